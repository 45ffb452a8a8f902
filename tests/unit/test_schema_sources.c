/*
 * tests/unit/test_schema_sources.c: the tree against the XenStore schema:
 * docs/xenstore-schema.md's table against schema.tbl, and a scan of the
 * sources for XenStore paths the schema does not list.
 */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xs_schema.h"

static const char *srcdir(void)
{
    const char *d = getenv("XRES_SRCDIR");
    return d && *d ? d : ".";
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f) return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t r = fread(buf + n, 1, 4096, f);
        if (!r) break;
        n += r;
    }
    fclose(f);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* The table in docs/xenstore-schema.md must be exactly what the schema
 * gives, line for line. */
START_TEST(test_doc_matches_table)
{
    char path[512], line[1024];
    size_t len;

    snprintf(path, sizeof(path), "%s/docs/xenstore-schema.md", srcdir());
    char *doc = slurp(path, &len);
    ck_assert_msg(doc != NULL, "cannot read %s", path);
    char *b = strstr(doc, XRES_SCHEMA_DOC_BEGIN "\n");
    ck_assert_msg(b != NULL, "no begin marker in %s", path);
    b += strlen(XRES_SCHEMA_DOC_BEGIN) + 1;
    char *e = strstr(b, XRES_SCHEMA_DOC_END);
    ck_assert_msg(e != NULL, "no end marker in %s", path);
    *e = 0;

    char *want = NULL;
    size_t wlen = 0;
    FILE *m = open_memstream(&want, &wlen);
    fprintf(m, "%s\n", XRES_SCHEMA_DOC_HEAD);
    for (size_t i = 0; i < xres_schema_nrows(); i++) {
        ck_assert_int_gt(xres_schema_doc_line(xres_schema_row_get(i), line,
                                              sizeof(line)), 0);
        fprintf(m, "%s\n", line);
    }
    fclose(m);
    ck_assert_msg(!strcmp(b, want), "%s disagrees with schema.tbl: run "
                  "`make schema-doc`", path);
    free(want);
    free(doc);
}
END_TEST

/* --- The source scan: every XenStore path literal must be a row. */

static bool looks_like_xs_path(const char *s)
{
    static const char *prefixes[] = {
        "/local/", "data/", "xres/", "memory/", "control/", "device/",
        "console/", "domid/", "name/",
    };
    /* XenStore paths hold no spaces: messages and help texts do. */
    if (strpbrk(s, " \t")) return false;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (!strncmp(s, prefixes[i], strlen(prefixes[i]))) return true;
    return strstr(s, "data/xres") || strstr(s, "/xres/request");
}

/* A printf format that builds a path is fine if it builds a listed one:
 * try its conversions as a number, and %s also as an application name. */
static bool format_is_known(const char *lit)
{
    for (int pass = 0; pass < 2; pass++) {
        char out[600];
        size_t o = 0;
        for (const char *p = lit; *p && o + 8 < sizeof(out); p++) {
            if (*p != '%') {
                out[o++] = *p;
                continue;
            }
            /* %u %d %lu %" PRIu32 ... : flags, length, conversion. */
            p++;
            while (*p && strchr("0123456789.-+ #lhjzt", *p)) p++;
            const char *rep = (pass == 1 && *p == 's') ? "web" :
                              *p == 'n' ? "" : "1";
            memcpy(out + o, rep, strlen(rep));
            o += strlen(rep);
            if (!*p) break;
        }
        out[o] = 0;
        if (xres_schema_knows_literal(out)) return true;
    }
    return false;
}

/* Returns the number of unknown path literals in text; reports them. */
static int scan_source(const char *name, const char *text, char *report,
                       size_t rlen)
{
    int bad = 0, line = 1;
    size_t ro = strlen(report);

    for (const char *p = text; *p; p++) {
        if (*p == '\n') line++;
        else if (p[0] == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");
            for (const char *c = p; c < (q ? q : p + strlen(p)); c++)
                if (*c == '\n') line++;
            if (!q) break;
            p = q + 1;
        } else if (p[0] == '/' && p[1] == '/') {
            while (p[1] && p[1] != '\n') p++;
        } else if (*p == '\'') {
            p++;
            if (*p == '\\') p++;
            while (*p && *p != '\'') p++;
            if (!*p) break;
        } else if (*p == '"') {
            char lit[512];
            size_t n = 0;
            for (;;) {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && p[1]) p++;
                    if (n + 1 < sizeof(lit)) lit[n++] = *p;
                }
                if (!*p) break;
                /* "a" "b" and "%" PRIu32 "..." are one literal. */
                const char *q = p + 1;
                while (*q == ' ' || *q == '\t' || *q == '\n') q++;
                if (!strncmp(q, "PRI", 3)) {
                    while (*q && (isalnum((unsigned char)*q) || *q == '_'))
                        q++;
                    if (n + 1 < sizeof(lit)) lit[n++] = 'u';
                    while (*q == ' ' || *q == '\t' || *q == '\n') q++;
                }
                if (*q != '"') break;
                for (const char *c = p; c < q; c++)
                    if (*c == '\n') line++;
                p = q;
            }
            lit[n] = 0;
            if (!*p) break;
            if (looks_like_xs_path(lit) && !xres_schema_knows_literal(lit) &&
                !(strchr(lit, '%') && format_is_known(lit))) {
                bad++;
                if (ro + 1 < rlen)
                    ro += (size_t)snprintf(report + ro, rlen - ro,
                                           " %s:%d: \"%s\"", name, line, lit);
                if (ro >= rlen) ro = rlen - 1;
            }
        }
    }
    return bad;
}

START_TEST(test_scan_catches)
{
    char report[512] = "";
    const char *src =
        "/* \"data/xres/bogus\" in a comment is fine */\n"
        "xs_read(h, 0, \"data/xres/report\", &n);\n"
        "char c = '\"'; // \"data/xres/also-fine\"\n"
        "xs_write(h, 0, \"data/xres/bogus\", v, n);\n"
        "snprintf(p, n, \"/local/domain/%u/data/xres/report\", d);\n"
        "snprintf(p, n, \"/local/domain/%u/data/xres/bogus\", d);\n"
        "#define APP_FMT \"/local/domain/%\" PRIu32 \"/data/xres/app/%s/level\"\n"
        "#define BAD_FMT \"/local/domain/%u/data/xres/app/%s/colour\"\n"
        "log(\"/run/xres/xresd.sock\");\n"
        "puts(\"reports under data/xres/ in XenStore\");\n";

    ck_assert_int_eq(scan_source("t.c", src, report, sizeof(report)), 3);
    ck_assert_str_eq(report, " t.c:4: \"data/xres/bogus\" t.c:6: "
                     "\"/local/domain/%u/data/xres/bogus\" t.c:8: "
                     "\"/local/domain/%u/data/xres/app/%s/colour\"");
}
END_TEST

/* Scans every .c and .h file in srcdir()/rel; counts the files and the
 * unknown paths, which go into report. */
static void scan_dir(const char *rel, char *report, size_t len, int *bad,
                     int *files)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", srcdir(), rel);
    DIR *dir = opendir(path);
    ck_assert_msg(dir != NULL, "cannot open %s", path);
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        if (n < 3 || (strcmp(de->d_name + n - 2, ".c") &&
                      strcmp(de->d_name + n - 2, ".h")))
            continue;
        /* The backends implement XenStore access for any path (the
         * simulator models the whole store); the scan is for the code
         * that uses paths. */
        if (!strncmp(de->d_name, "backend_", 8)) continue;
        snprintf(path, sizeof(path), "%s/%s/%s", srcdir(), rel, de->d_name);
        char *text = slurp(path, NULL);
        ck_assert_ptr_nonnull(text);
        *bad += scan_source(path, text, report, len);
        (*files)++;
        free(text);
    }
    closedir(dir);
}

/* guest-agent/ and each of dom0's layer folders. */
START_TEST(test_sources_use_only_schema_paths)
{
    char report[4096] = "", path[1024], rel[300];
    int bad = 0, files = 0;
    struct stat st;

    scan_dir("guest-agent", report, sizeof(report), &bad, &files);
    snprintf(path, sizeof(path), "%s/dom0", srcdir());
    DIR *dir = opendir(path);
    ck_assert_msg(dir != NULL, "cannot open %s", path);
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/dom0/%s", srcdir(), de->d_name);
        if (stat(path, &st) || !S_ISDIR(st.st_mode)) continue;
        snprintf(rel, sizeof(rel), "dom0/%s", de->d_name);
        scan_dir(rel, report, sizeof(report), &bad, &files);
    }
    closedir(dir);
    ck_assert_int_gt(files, 3);
    ck_assert_msg(bad == 0, "XenStore paths not in schema.tbl (add a row and "
                  "use xres_schema_path()):%s", report);
}
END_TEST

Suite *schema_sources_suite(void)
{
    Suite *s = suite_create("schema_sources");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_doc_matches_table);
    tcase_add_test(tc, test_scan_catches);
    tcase_add_test(tc, test_sources_use_only_schema_paths);
    suite_add_tcase(s, tc);
    return s;
}
