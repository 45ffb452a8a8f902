# xenstore-schema/schema_gen.awk: turns schema.tbl into build/gen/
# xs_schema_rows.h, one XS_ROW(...) line per path, for xs_schema.h/.c.
# It refuses a malformed row, so a bad table stops the build.
function fail(msg) {
    printf("%s:%d: %s\n", FILENAME, FNR, msg) > "/dev/stderr"
    bad = 1
    exit 1
}
function cstr(s) {
    gsub(/\\/, "\\\\", s)
    gsub(/"/, "\\\"", s)
    return "\"" s "\""
}
BEGIN {
    split("agent xresd xres toolstack guest-kernel", w, " ")
    for (i in w) who[w[i]] = 1
    print "/* Generated from xenstore-schema/schema.tbl by schema_gen.awk. */"
}
/^[ \t]*(#|$)/ { next }
{
    if (NF < 8) fail("expected 8 columns: ID PATH WRITER READERS TYPE BOUNDS UNIT MEANING")
    id = $1; path = $2; writer = $3; readers = $4; type = $5; bounds = $6
    unit = $7
    meaning = $0
    for (i = 1; i <= 7; i++) sub(/^[ \t]*[^ \t]+[ \t]+/, "", meaning)
    if (id !~ /^[A-Z][A-Z0-9_]*$/) fail("bad ID " id)
    if (id in seen) fail("duplicate ID " id)
    seen[id] = 1
    if (path in seenpath) fail("duplicate path " path)
    seenpath[path] = 1
    if (path !~ /^\/local\/domain\/(<domid>|0)(\/[a-z0-9<>_.-]+)*(#[a-z][a-z0-9-]*)?$/) fail("bad path " path)
    # PATH#NAME: field NAME of the record at PATH, which a row above
    # declares; fields are numbered in table order.
    rec = id; pos = -1
    if (path ~ /#/) {
        base = path; sub(/#.*/, "", base)
        if (!(base in recid)) fail("field of an undeclared record: " path)
        if (type !~ /^(u64|enum|name|token)$/) fail("a record field is u64, enum, name or token")
        rec = recid[base]; pos = nfield[base]++
        if (pos >= 16) fail("a record holds at most 16 fields")
    }
    if (!(writer in who)) fail("unknown writer " writer)
    n = split(readers, r, ",")
    for (i = 1; i <= n; i++) if (!(r[i] in who)) fail("unknown reader " r[i])
    if (unit !~ /^(KiB|ms|s|%|count|-)$/) fail("bad unit " unit)
    min = "0"; max = "0"; maxlen = 0; choices = ""
    if (type == "u64") {
        if (bounds !~ /^[0-9]+\.\.[0-9]+$/) fail("u64 bounds must be MIN..MAX")
        split(bounds, b, /\.\./)
        if (length(b[1]) > 19 || length(b[2]) > 19) fail("bound too large")
        min = b[1]; max = b[2]; maxlen = length(b[2])
    } else if (type == "enum") {
        if (bounds !~ /^[a-z0-9-]+(\|[a-z0-9-]+)*$/) fail("enum bounds must be a|b|c")
        choices = bounds
        n = split(bounds, c, "|")
        for (i = 1; i <= n; i++) if (length(c[i]) > maxlen) maxlen = length(c[i])
    } else if (type ~ /^(name|token|text|request|ack|record)$/) {
        if (bounds !~ /^[0-9]+$/ || bounds + 0 < 1 || bounds + 0 > 4096) fail("bounds must be a length 1..4096")
        maxlen = bounds + 0
    } else if (type == "dir") {
        if (bounds != "-") fail("dir bounds must be -")
    } else fail("unknown type " type)
    if (type == "record") { recid[path] = id; nfield[path] = 0 }
    printf("XS_ROW(%s, %s, %s, %s, XS_T_%s, %sULL, %sULL, %d, %s, %s, %s, %s, %d)\n",
           id, cstr(path), cstr(writer), cstr(readers), toupper(type),
           min, max, maxlen, cstr(choices), cstr(unit), cstr(meaning), rec, pos)
}
