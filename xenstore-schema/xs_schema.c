/*
 * xenstore-schema/xs_schema.c: the shared parser and validator for every
 * XenStore value xres reads or writes: the rows, numbers, words, names
 * and records.  Requests and acks are in xs_schema_request.c, paths in
 * xs_schema_path.c.  The table of rows is generated from schema.tbl.
 * Only libc: the guest agent and the fuzzer link these files as they
 * are.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xs_schema_priv.h"

const xres_schema_row xs_rows[] = {
#define XS_ROW(id, path, writer, readers, type, min, max, maxlen, choices, \
               unit, meaning, rec, pos) \
    { XS_##id, #id, path, writer, readers, type, min, max, maxlen, \
      choices, unit, meaning, XS_##rec, pos },
#include "xs_schema_rows.h"
#undef XS_ROW
};

size_t xres_schema_nrows(void)
{
    return sizeof(xs_rows) / sizeof(xs_rows[0]);
}

const xres_schema_row *xres_schema_row_get(xres_schema_id id)
{
    if ((unsigned)id >= xres_schema_nrows()) return NULL;
    return &xs_rows[id];
}

const char *xres_schema_type_name(xres_schema_type t)
{
    switch (t) {
    case XS_T_U64: return "u64";
    case XS_T_ENUM: return "enum";
    case XS_T_NAME: return "name";
    case XS_T_TOKEN: return "token";
    case XS_T_TEXT: return "text";
    case XS_T_REQUEST: return "request";
    case XS_T_ACK: return "ack";
    case XS_T_RECORD: return "record";
    case XS_T_DIR: return "dir";
    }
    return "?";
}

const char *xres_schema_leaf(xres_schema_id id)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    const char *p;

    if (!r) return "?";
    if (r->field_pos >= 0) return strchr(r->path, '#') + 1;
    p = r->path;
    if (!strncmp(p, DOMAIN_PREFIX, strlen(DOMAIN_PREFIX)))
        p += strlen(DOMAIN_PREFIX);
    if (!strncmp(p, "data/xres/", 10)) p += 10;
    return p;
}

/* A short, printable excerpt of a hostile value for messages. */
static void excerpt(const char *val, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)val[i];
        if (i == 24) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
        } else {
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
        }
    }
    out[o] = 0;
}

int xs_reject(int rc, char *why, size_t whylen, const char *what,
              const char *val, size_t len, const char *fmt, ...)
{
    char ex[40], msg[80];
    va_list ap;

    if (!why || !whylen) return rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (val) {
        excerpt(val, len, ex, sizeof(ex));
        snprintf(why, whylen, "%s: %s: \"%s\"", what, msg, ex);
    } else {
        snprintf(why, whylen, "%s: %s", what, msg);
    }
    return rc;
}

/* Strict decimal: digits only, no sign, no leading zero, max digits. */
int xs_parse_dec(const char *s, size_t len, size_t maxdigits,
                 uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0) return -EINVAL;
    if (len > maxdigits || len > 19) return -E2BIG;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (s[0] == '0' && len > 1) return -EINVAL;
    *out = v;
    return 0;
}

/* What every value of field id is checked for first: that the field is
 * of the type (else notype is the reason), that the value is not empty and
 * not longer than the field allows.  Gives the field's row. */
static int value_check(xres_schema_id id, xres_schema_type type,
                       const char *notype, const char *val, size_t len,
                       const xres_schema_row **row, char *why, size_t whylen)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    const char *what;

    if (!r || r->type != type)
        return xs_reject(-EINVAL, why, whylen, r ? r->ident : "?", NULL, 0,
                         "%s", notype);
    *row = r;
    what = xres_schema_leaf(id);
    if (!val || len == 0)
        return xs_reject(-EINVAL, why, whylen, what, NULL, 0, "empty");
    if (len > r->maxlen)
        return xs_reject(-E2BIG, why, whylen, what, val, len,
                         "too long (%zu bytes, at most %u)", len, r->maxlen);
    return 0;
}

int xres_schema_parse_u64(xres_schema_id id, const char *val, size_t len,
                          uint64_t *out, char *why, size_t whylen)
{
    const xres_schema_row *r;
    const char *what = xres_schema_leaf(id);
    uint64_t v;
    int rc;

    rc = value_check(id, XS_T_U64, "not a number field", val, len, &r, why,
                     whylen);
    if (rc) return rc;
    rc = xs_parse_dec(val, len, r->maxlen, &v);
    if (rc == -EINVAL && val[0] == '0' && len > 1) {
        bool digits = true;
        for (size_t i = 0; i < len; i++)
            if (val[i] < '0' || val[i] > '9') digits = false;
        if (digits)
            return xs_reject(rc, why, whylen, what, val, len, "leading zero");
    }
    if (rc)
        return xs_reject(rc, why, whylen, what, val, len, "not a number");
    if (v < r->min || v > r->max)
        return xs_reject(-ERANGE, why, whylen, what, val, len,
                         "out of range %" PRIu64 "..%" PRIu64, r->min, r->max);
    *out = v;
    return 0;
}

int xres_schema_format_u64(xres_schema_id id, uint64_t v, char *buf,
                           size_t len)
{
    const xres_schema_row *r = xres_schema_row_get(id);

    if (!r || r->type != XS_T_U64) return -EINVAL;
    if (v < r->min || v > r->max) return -ERANGE;
    if ((size_t)snprintf(buf, len, "%" PRIu64, v) >= len)
        return -ENAMETOOLONG;
    return 0;
}

int xres_schema_parse_enum(xres_schema_id id, const char *val, size_t len,
                           unsigned *out, char *why, size_t whylen)
{
    const xres_schema_row *r;
    const char *c;
    int rc;

    rc = value_check(id, XS_T_ENUM, "not a choice field", val, len, &r, why,
                     whylen);
    if (rc) return rc;
    c = r->choices;
    for (unsigned i = 0; *c; i++) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (n == len && !memcmp(c, val, len)) {
            *out = i;
            return 0;
        }
        if (!bar) break;
        c = bar + 1;
    }
    return xs_reject(-EINVAL, why, whylen, xres_schema_leaf(id), val, len,
                     "not one of %s", r->choices);
}

bool xres_schema_check_name(const char *s, size_t len)
{
    if (!s || len == 0 || len > XRES_APP_NAME_MAX) return false;
    if (s[0] < 'a' || s[0] > 'z') return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static bool is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
           c == '~' || c == ':' || c == '-';
}

bool xs_is_print(char c)
{
    return (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f;
}

int xres_schema_parse_seq(const char *s, size_t len, uint64_t *seq)
{
    uint64_t v;

    if (xs_parse_dec(s, len, 16, &v)) return -EINVAL;
    if (v == 0 || v > SEQ_MAX) return -ERANGE;
    *seq = v;
    return 0;
}

int xres_schema_check(xres_schema_id id, const char *val, size_t len,
                      char *why, size_t whylen)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    uint64_t u;
    unsigned e;
    xres_request req;
    xres_ack ack;
    xres_schema_field fields[XRES_SCHEMA_FIELDS_MAX];

    if (!r) return xs_reject(-ENOENT, why, whylen, "?", NULL, 0, "no such row");
    const char *what = xres_schema_leaf(id);
    if (!val) val = "", len = 0;
    switch (r->type) {
    case XS_T_U64:
        return xres_schema_parse_u64(id, val, len, &u, why, whylen);
    case XS_T_ENUM:
        return xres_schema_parse_enum(id, val, len, &e, why, whylen);
    case XS_T_REQUEST:
        return xres_schema_parse_request(val, len, &req, why, whylen);
    case XS_T_ACK:
        return xres_schema_parse_ack(val, len, &ack, why, whylen);
    case XS_T_RECORD:
        return xres_schema_parse_record(id, val, len, fields, why, whylen);
    case XS_T_DIR:
        if (len)
            return xs_reject(-EINVAL, why, whylen, what, val, len,
                             "a directory holds no value");
        return 0;
    case XS_T_NAME:
    case XS_T_TOKEN:
    case XS_T_TEXT:
        break;
    }
    if (len > r->maxlen)
        return xs_reject(-E2BIG, why, whylen, what, val, len,
                         "too long (%zu bytes, at most %u)", len, r->maxlen);
    if (r->type == XS_T_NAME) {
        if (!xres_schema_check_name(val, len))
            return xs_reject(-EINVAL, why, whylen, what, val, len,
                             "not a name [a-z][a-z0-9_]*");
        return 0;
    }
    if (r->type == XS_T_TOKEN && len == 0)
        return xs_reject(-EINVAL, why, whylen, what, NULL, 0, "empty");
    for (size_t i = 0; i < len; i++) {
        if (r->type == XS_T_TOKEN ? !is_token_char(val[i])
                                  : !xs_is_print(val[i]))
            return xs_reject(-EINVAL, why, whylen, what, val, len,
                             "bad character at byte %zu", i);
    }
    return 0;
}

/* --- Records. */

unsigned xres_schema_record_nfields(xres_schema_id rec)
{
    const xres_schema_row *r = xres_schema_row_get(rec);
    unsigned n = 0;

    if (!r || r->type != XS_T_RECORD) return 0;
    for (size_t i = 0; i < xres_schema_nrows(); i++)
        if (xs_rows[i].field_pos >= 0 && xs_rows[i].record == rec) n++;
    return n;
}

/* The row of field pos of record rec, or NULL. */
static const xres_schema_row *field_row(xres_schema_id rec, int pos)
{
    for (size_t i = 0; i < xres_schema_nrows(); i++)
        if (xs_rows[i].field_pos == pos && xs_rows[i].record == rec)
            return &xs_rows[i];
    return NULL;
}

static bool is_word_char(char c)
{
    return c > 0x20 && c < 0x7f;
}

static bool is_field_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int xres_schema_parse_record(xres_schema_id rec, const char *val,
                             size_t len, xres_schema_field *f,
                             char *why, size_t whylen)
{
    const xres_schema_row *r = xres_schema_row_get(rec);
    const char *what = xres_schema_leaf(rec);
    size_t o = 0;
    int pos = 0;

    if (!r || r->type != XS_T_RECORD)
        return xs_reject(-ENOENT, why, whylen, what, NULL, 0, "not a record");
    if (!val) val = "", len = 0;
    if (len > r->maxlen)
        return xs_reject(-E2BIG, why, whylen, what, val, len,
                         "too long (%zu bytes, at most %u)", len, r->maxlen);
    for (const xres_schema_row *fr; (fr = field_row(rec, pos)); pos++) {
        const char *name = xres_schema_leaf(fr->id);
        size_t nl = strlen(name), vs, ve;
        char fwhy[XRES_SCHEMA_WHY_MAX];
        int rc;

        if (pos > 0) {
            if (o >= len || val[o] != ' ')
                return xs_reject(-EINVAL, why, whylen, what, NULL, 0,
                                 "%s missing", name);
            o++;
        }
        if (len - o < nl + 1 || memcmp(val + o, name, nl) ||
            val[o + nl] != '=')
            return xs_reject(-EINVAL, why, whylen, what, val + o, len - o,
                             "expected %s= at byte %zu", name, o);
        vs = o + nl + 1;
        for (ve = vs; ve < len && val[ve] != ' '; ve++) {}
        f[pos].s = val + vs;
        f[pos].len = ve - vs;
        f[pos].u64 = 0;
        switch (fr->type) {
        case XS_T_U64:
            rc = xres_schema_parse_u64(fr->id, val + vs, ve - vs, &f[pos].u64,
                                       fwhy, sizeof(fwhy));
            break;
        case XS_T_ENUM: {
            unsigned e = 0;
            rc = xres_schema_parse_enum(fr->id, val + vs, ve - vs, &e, fwhy,
                                        sizeof(fwhy));
            f[pos].u64 = e;
            break;
        }
        default:
            rc = xres_schema_check(fr->id, val + vs, ve - vs, fwhy,
                                   sizeof(fwhy));
            break;
        }
        if (rc) {
            if (why && whylen) snprintf(why, whylen, "%s: %s", what, fwhy);
            return rc;
        }
        o = ve;
    }
    /* Later words: a newer agent's fields, checked for form only. */
    while (o < len) {
        size_t s = o + 1, n;
        if (val[o] != ' ' || s >= len)
            return xs_reject(-EINVAL, why, whylen, what, val + o, len - o,
                             "bad separator at byte %zu", o);
        for (n = s; n < len && is_field_name_char(val[n]); n++) {}
        if (n == s || val[s] < 'a' || val[s] > 'z' || n >= len ||
            val[n] != '=' || n + 1 >= len || !is_word_char(val[n + 1]))
            return xs_reject(-EINVAL, why, whylen, what, val + s, len - s,
                             "not a NAME=VALUE word at byte %zu", s);
        for (o = n + 1; o < len && val[o] != ' '; o++)
            if (!is_word_char(val[o]))
                return xs_reject(-EINVAL, why, whylen, what, val + o, len - o,
                                 "bad character at byte %zu", o);
    }
    return 0;
}

int xres_schema_format_record(xres_schema_id rec,
                              const xres_schema_field *f, char *buf,
                              size_t len)
{
    const xres_schema_row *r = xres_schema_row_get(rec);
    size_t o = 0;
    int pos = 0;

    if (!r || r->type != XS_T_RECORD || !len) return -EINVAL;
    for (const xres_schema_row *fr; (fr = field_row(rec, pos)); pos++) {
        char num[24];
        const char *v = num;
        size_t vl;
        int rc;

        switch (fr->type) {
        case XS_T_U64:
            rc = xres_schema_format_u64(fr->id, f[pos].u64, num,
                                        sizeof(num));
            if (rc) return rc;
            vl = strlen(num);
            break;
        case XS_T_ENUM: {
            const char *c = fr->choices;
            for (uint64_t k = 0; c && k < f[pos].u64; k++) {
                c = strchr(c, '|');
                if (c) c++;
            }
            if (!c) return -EINVAL;
            v = c;
            vl = strcspn(c, "|");
            break;
        }
        default:
            v = f[pos].s ? f[pos].s : "";
            vl = f[pos].len;
            if (xres_schema_check(fr->id, v, vl, NULL, 0)) return -EINVAL;
            break;
        }
        const char *name = xres_schema_leaf(fr->id);
        size_t nl = strlen(name);
        if (o + (pos ? 1 : 0) + nl + 1 + vl >= len) return -ENAMETOOLONG;
        if (pos) buf[o++] = ' ';
        memcpy(buf + o, name, nl);
        o += nl;
        buf[o++] = '=';
        memcpy(buf + o, v, vl);
        o += vl;
    }
    buf[o] = 0;
    if (o > r->maxlen) return -ENAMETOOLONG;
    return 0;
}

