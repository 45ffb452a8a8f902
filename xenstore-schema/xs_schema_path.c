/*
 * xenstore-schema/xs_schema_path.c: XenStore paths from the schema's
 * rows (built, looked up, matched) and the documentation line of a row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xs_schema_priv.h"

/* Checks the text that replaces placeholder ph (without <>). */
static bool arg_ok(const char *ph, size_t phlen, const char *arg)
{
    size_t n = strlen(arg);
    uint64_t v;

    if (phlen == 3 && !memcmp(ph, "app", 3))
        return xres_schema_check_name(arg, n);
    if (phlen == 3 && !memcmp(ph, "seq", 3))
        return xres_schema_parse_seq(arg, n, &v) == 0;
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = arg[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return !(n <= 2 && arg[0] == '.' && (n == 1 || arg[1] == '.'));
}

static int build(char *buf, size_t len, const char *pat, uint32_t domid,
                 const char *arg)
{
    size_t o = 0;
    bool used = false;

    for (const char *p = pat; *p;) {
        char tmp[24];
        const char *piece;
        size_t n;

        if (*p == '<') {
            const char *q = strchr(p, '>');
            if (!q) return -EINVAL;
            if (q - p - 1 == 5 && !memcmp(p + 1, "domid", 5)) {
                snprintf(tmp, sizeof(tmp), "%" PRIu32, domid);
                piece = tmp;
            } else {
                if (!arg || used || !arg_ok(p + 1, (size_t)(q - p - 1), arg))
                    return -EINVAL;
                used = true;
                piece = arg;
            }
            n = strlen(piece);
            p = q + 1;
        } else {
            piece = p;
            n = 1;
            p++;
        }
        if (o + n >= len) return -ENAMETOOLONG;
        memcpy(buf + o, piece, n);
        o += n;
    }
    if (arg && !used) return -EINVAL;
    buf[o] = 0;
    return 0;
}

int xres_schema_path(char *buf, size_t len, xres_schema_id id,
                     uint32_t domid, const char *arg)
{
    const xres_schema_row *r = xres_schema_row_get(id);

    if (!r || !len || r->field_pos >= 0) return -EINVAL;
    return build(buf, len, r->path, domid, arg);
}

int xres_schema_relpath(char *buf, size_t len, xres_schema_id id,
                        const char *arg)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    size_t pl = strlen(DOMAIN_PREFIX);

    if (!r || !len || r->field_pos >= 0 ||
        strncmp(r->path, DOMAIN_PREFIX, pl))
        return -EINVAL;
    return build(buf, len, r->path + pl, 0, arg);
}

/* Does concrete path s match pattern pat? */
static bool match(const char *pat, const char *s)
{
    while (*pat) {
        if (*pat == '<') {
            const char *q = strchr(pat, '>');
            char arg[80];
            size_t n = strcspn(s, "/");
            if (!q || n == 0 || n >= sizeof(arg)) return false;
            memcpy(arg, s, n);
            arg[n] = 0;
            if (q - pat - 1 == 5 && !memcmp(pat + 1, "domid", 5)) {
                uint64_t v;
                if (xs_parse_dec(arg, n, 5, &v) || v > 32767) return false;
            } else if (!arg_ok(pat + 1, (size_t)(q - pat - 1), arg)) {
                return false;
            }
            pat = q + 1;
            s += n;
        } else {
            if (*pat != *s) return false;
            pat++;
            s++;
        }
    }
    return *s == 0;
}

int xres_schema_lookup(const char *path, xres_schema_id *id)
{
    if (!path) return -ENOENT;
    /* dom0's own rows first: /local/domain/0/xres is DOM0_ROOT, not the
     * per-guest directory of domain 0. */
    for (size_t i = 0; i < xres_schema_nrows(); i++) {
        if (!strcmp(xs_rows[i].path, path)) {
            *id = xs_rows[i].id;
            return 0;
        }
    }
    for (size_t i = 0; i < xres_schema_nrows(); i++) {
        if (match(xs_rows[i].path, path)) {
            *id = xs_rows[i].id;
            return 0;
        }
    }
    return -ENOENT;
}

bool xres_schema_knows_literal(const char *lit)
{
    size_t pl = strlen(DOMAIN_PREFIX);
    char abs[XRES_SCHEMA_PATH_MAX + 32];
    xres_schema_id id;

    for (size_t i = 0; i < xres_schema_nrows(); i++) {
        if (!strcmp(xs_rows[i].path, lit)) return true;
        if (!strncmp(xs_rows[i].path, DOMAIN_PREFIX, pl) &&
            !strcmp(xs_rows[i].path + pl, lit))
            return true;
    }
    if (!xres_schema_lookup(lit, &id)) return true;
    if ((size_t)snprintf(abs, sizeof(abs), "/local/domain/1/%s", lit) <
            sizeof(abs) && !xres_schema_lookup(abs, &id))
        return true;
    return false;
}

/* --- Documentation. */

int xres_schema_doc_line(const xres_schema_row *r, char *buf, size_t len)
{
    char bounds[128], meaning[512];
    size_t o = 0;
    int n;

    switch (r->type) {
    case XS_T_U64:
        snprintf(bounds, sizeof(bounds), "%" PRIu64 "..%" PRIu64, r->min,
                 r->max);
        break;
    case XS_T_ENUM:
        o = 0;
        for (const char *c = r->choices; *c && o + 4 < sizeof(bounds); c++) {
            if (*c == '|') {
                memcpy(bounds + o, " \\| ", 4);
                o += 4;
            } else {
                bounds[o++] = *c;
            }
        }
        bounds[o] = 0;
        break;
    case XS_T_DIR:
        snprintf(bounds, sizeof(bounds), "-");
        break;
    default:
        snprintf(bounds, sizeof(bounds), "at most %u bytes", r->maxlen);
        break;
    }
    o = 0;
    for (const char *c = r->meaning; *c && o + 2 < sizeof(meaning); c++) {
        if (*c == '|') meaning[o++] = '\\';
        meaning[o++] = *c;
    }
    meaning[o] = 0;
    n = snprintf(buf, len, "| `%s` | %s | %s | %s | %s | %s | %s |",
                 r->path, xres_schema_type_name(r->type), bounds, r->unit,
                 r->writer, r->readers, meaning);
    if (n < 0 || (size_t)n >= len) return -ENAMETOOLONG;
    return n;
}
