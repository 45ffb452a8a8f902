/*
 * xenstore-schema/xs_schema.c: the shared parser and validator for every
 * XenStore value xres reads or writes, and the path builder.  The table of
 * rows is generated from schema.tbl.  Only libc: the guest agent and the
 * fuzzer link this file as it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xs_schema.h"

static const xres_schema_row rows[] = {
#define XS_ROW(id, path, writer, readers, type, min, max, maxlen, choices, \
               unit, meaning, rec, pos) \
    { XS_##id, #id, path, writer, readers, type, min, max, maxlen, \
      choices, unit, meaning, XS_##rec, pos },
#include "xs_schema_rows.h"
#undef XS_ROW
};

#define DOMAIN_PREFIX "/local/domain/<domid>/"
#define SEQ_MAX 9007199254740991ULL         /* 2^53 - 1 */
#define REQ_KB_MAX 1099511627776ULL         /* 1 PiB in KiB */

size_t xres_schema_nrows(void)
{
    return sizeof(rows) / sizeof(rows[0]);
}

const xres_schema_row *xres_schema_row_get(xres_schema_id id)
{
    if ((unsigned)id >= xres_schema_nrows()) return NULL;
    return &rows[id];
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

static int reject(int rc, char *why, size_t whylen, const char *what,
                  const char *val, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int reject(int rc, char *why, size_t whylen, const char *what,
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
static int parse_dec(const char *s, size_t len, size_t maxdigits,
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

int xres_schema_parse_u64(xres_schema_id id, const char *val, size_t len,
                          uint64_t *out, char *why, size_t whylen)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    uint64_t v;
    int rc;

    if (!r || r->type != XS_T_U64)
        return reject(-EINVAL, why, whylen, r ? r->ident : "?", NULL, 0,
                      "not a number field");
    const char *what = xres_schema_leaf(id);
    if (!val || len == 0)
        return reject(-EINVAL, why, whylen, what, NULL, 0, "empty");
    if (len > r->maxlen)
        return reject(-E2BIG, why, whylen, what, val, len,
                      "too long (%zu bytes, at most %u)", len, r->maxlen);
    rc = parse_dec(val, len, r->maxlen, &v);
    if (rc == -EINVAL && val[0] == '0' && len > 1) {
        bool digits = true;
        for (size_t i = 0; i < len; i++)
            if (val[i] < '0' || val[i] > '9') digits = false;
        if (digits)
            return reject(rc, why, whylen, what, val, len, "leading zero");
    }
    if (rc)
        return reject(rc, why, whylen, what, val, len, "not a number");
    if (v < r->min || v > r->max)
        return reject(-ERANGE, why, whylen, what, val, len,
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
    const xres_schema_row *r = xres_schema_row_get(id);

    if (!r || r->type != XS_T_ENUM)
        return reject(-EINVAL, why, whylen, r ? r->ident : "?", NULL, 0,
                      "not a choice field");
    const char *what = xres_schema_leaf(id);
    if (!val || len == 0)
        return reject(-EINVAL, why, whylen, what, NULL, 0, "empty");
    if (len > r->maxlen)
        return reject(-E2BIG, why, whylen, what, val, len,
                      "too long (%zu bytes, at most %u)", len, r->maxlen);
    const char *c = r->choices;
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
    return reject(-EINVAL, why, whylen, what, val, len, "not one of %s",
                  r->choices);
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

static bool is_print(char c)
{
    return (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f;
}

int xres_schema_parse_seq(const char *s, size_t len, uint64_t *seq)
{
    uint64_t v;

    if (parse_dec(s, len, 16, &v)) return -EINVAL;
    if (v == 0 || v > SEQ_MAX) return -ERANGE;
    *seq = v;
    return 0;
}

const char *xres_request_op_name(xres_request_op op)
{
    switch (op) {
    case XRES_REQ_RELEASE: return "release";
    case XRES_REQ_ENGAGE: return "engage";
    case XRES_REQ_START: return "start";
    case XRES_REQ_STOP: return "stop";
    case XRES_REQ_ALLOC: return "alloc";
    }
    return "?";
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return n == strlen(lit) && !memcmp(w, lit, n);
}

int xres_schema_parse_request(const char *val, size_t len, xres_request *req,
                              char *why, size_t whylen)
{
    const xres_schema_row *r = xres_schema_row_get(XS_REQ_ITEM);
    const char *w[4];
    size_t wl[4];
    unsigned nw = 0;
    uint64_t kb;
    int rc;

    if (!val || len == 0)
        return reject(-EINVAL, why, whylen, "request", NULL, 0, "empty");
    if (len > r->maxlen)
        return reject(-E2BIG, why, whylen, "request", val, len,
                      "too long (%zu bytes, at most %u)", len, r->maxlen);
    /* Words separated by exactly one space; no leading or trailing one. */
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && val[j] != ' ') {
            if (!is_print(val[j]))
                return reject(-EINVAL, why, whylen, "request", val, len,
                              "unprintable byte");
            j++;
        }
        if (j == i || nw == 4)
            return reject(-EINVAL, why, whylen, "request", val, len,
                          j == i ? "stray space" : "too many words");
        w[nw] = val + i;
        wl[nw++] = j - i;
        if (j == len - 1)
            return reject(-EINVAL, why, whylen, "request", val, len,
                          "stray space");
        i = j + 1;
    }
    memset(req, 0, sizeof(*req));
    if (word_is(w[0], wl[0], "release")) {
        req->op = XRES_REQ_RELEASE;
        if (nw < 2 || nw > 3)
            return reject(-EINVAL, why, whylen, "request", val, len,
                          "usage: release KB [drop-caches]");
        rc = parse_dec(w[1], wl[1], 13, &kb);
        if (rc || kb == 0 || kb > REQ_KB_MAX)
            return reject(rc ? rc : -ERANGE, why, whylen, "request", val, len,
                          "release: bad size in KiB");
        req->kb = kb;
        if (nw == 3) {
            if (!word_is(w[2], wl[2], "drop-caches"))
                return reject(-EINVAL, why, whylen, "request", val, len,
                              "release: unknown option");
            req->drop_caches = true;
        }
    } else if (word_is(w[0], wl[0], "engage")) {
        req->op = XRES_REQ_ENGAGE;
        if (nw > 2)
            return reject(-EINVAL, why, whylen, "request", val, len,
                          "usage: engage [KB]");
        if (nw == 2) {
            rc = parse_dec(w[1], wl[1], 13, &kb);
            if (rc || kb == 0 || kb > REQ_KB_MAX)
                return reject(rc ? rc : -ERANGE, why, whylen, "request", val,
                              len, "engage: bad size in KiB");
            req->kb = kb;
        }
    } else if (word_is(w[0], wl[0], "start") || word_is(w[0], wl[0], "stop")) {
        req->op = w[0][2] == 'a' ? XRES_REQ_START : XRES_REQ_STOP;
        if (nw != 2)
            return reject(-EINVAL, why, whylen, "request", val, len,
                          "usage: %s APP", xres_request_op_name(req->op));
        if (!xres_schema_check_name(w[1], wl[1]))
            return reject(-EINVAL, why, whylen, "request", val, len,
                          "bad application name");
        memcpy(req->app, w[1], wl[1]);
        req->app[wl[1]] = 0;
    } else if (word_is(w[0], wl[0], "alloc")) {
        uint64_t pct;
        req->op = XRES_REQ_ALLOC;
        if (nw != 2)
            return reject(-EINVAL, why, whylen, "request", val, len,
                          "usage: alloc PCT");
        rc = parse_dec(w[1], wl[1], 5, &pct);
        if (rc || pct == 0 || pct > XRES_REQ_ALLOC_MAX)
            return reject(rc ? rc : -ERANGE, why, whylen, "request", val, len,
                          "alloc: PCT must be 1..%u", XRES_REQ_ALLOC_MAX);
        req->pct = (unsigned)pct;
    } else {
        memset(req, 0, sizeof(*req));
        return reject(-EINVAL, why, whylen, "request", val, len,
                      "unknown request");
    }
    return 0;
}

int xres_schema_format_request(const xres_request *req, char *buf,
                               size_t len)
{
    int n;

    switch (req->op) {
    case XRES_REQ_RELEASE:
        if (req->kb == 0 || req->kb > REQ_KB_MAX) return -ERANGE;
        n = snprintf(buf, len, "release %" PRIu64 "%s", req->kb,
                     req->drop_caches ? " drop-caches" : "");
        break;
    case XRES_REQ_ENGAGE:
        if (req->kb > REQ_KB_MAX) return -ERANGE;
        if (req->kb)
            n = snprintf(buf, len, "engage %" PRIu64, req->kb);
        else
            n = snprintf(buf, len, "engage");
        break;
    case XRES_REQ_START:
    case XRES_REQ_STOP:
        if (!xres_schema_check_name(req->app, strnlen(req->app,
                                                      sizeof(req->app))))
            return -EINVAL;
        n = snprintf(buf, len, "%s %s", xres_request_op_name(req->op),
                     req->app);
        break;
    case XRES_REQ_ALLOC:
        if (req->pct == 0 || req->pct > XRES_REQ_ALLOC_MAX) return -ERANGE;
        n = snprintf(buf, len, "alloc %u", req->pct);
        break;
    default:
        return -EINVAL;
    }
    if (n < 0 || (size_t)n >= len) return -ENAMETOOLONG;
    return 0;
}

int xres_schema_parse_ack(const char *val, size_t len, xres_ack *ack,
                          char *why, size_t whylen)
{
    const xres_schema_row *r = xres_schema_row_get(XS_REPORT_ACK);
    size_t word;

    if (!val || len == 0)
        return reject(-EINVAL, why, whylen, "ack", NULL, 0, "empty");
    if (len > r->maxlen)
        return reject(-E2BIG, why, whylen, "ack", val, len,
                      "too long (%zu bytes, at most %u)", len, r->maxlen);
    for (size_t i = 0; i < len; i++)
        if (!is_print(val[i]))
            return reject(-EINVAL, why, whylen, "ack", val, len,
                          "unprintable byte");
    memset(ack, 0, sizeof(*ack));
    if (len >= 2 && !memcmp(val, "ok", 2) && (len == 2 || val[2] == ' ')) {
        ack->ok = true;
        word = 2;
    } else if (len >= 5 && !memcmp(val, "error", 5) &&
               (len == 5 || val[5] == ' ')) {
        ack->ok = false;
        word = 5;
        if (len == 5)
            return reject(-EINVAL, why, whylen, "ack", val, len,
                          "error without a reason");
    } else {
        return reject(-EINVAL, why, whylen, "ack", val, len,
                      "must start with ok or error");
    }
    if (len > word) {
        size_t n = len - word - 1;
        if (n == 0 || n > XRES_ACK_DETAIL_MAX || val[word + 1] == ' ' ||
            val[len - 1] == ' ')
            return reject(-EINVAL, why, whylen, "ack", val, len,
                          "bad detail");
        memcpy(ack->detail, val + word + 1, n);
        ack->detail[n] = 0;
    }
    return 0;
}

int xres_schema_format_ack(bool ok, const char *detail, char *buf,
                           size_t len)
{
    char d[XRES_ACK_DETAIL_MAX + 1];
    size_t n = 0;

    if (detail) {
        while (*detail == ' ') detail++;
        for (; detail[n] && n < XRES_ACK_DETAIL_MAX; n++)
            d[n] = is_print(detail[n]) ? detail[n] : '?';
        while (n && d[n - 1] == ' ') n--;
    }
    d[n] = 0;
    if (!ok && !n) {
        strcpy(d, "failed");
        n = 6;
    }
    int r = snprintf(buf, len, "%s%s%s", ok ? "ok" : "error", n ? " " : "",
                     d);
    if (r < 0 || (size_t)r >= len) return -ENAMETOOLONG;
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

    if (!r) return reject(-ENOENT, why, whylen, "?", NULL, 0, "no such row");
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
            return reject(-EINVAL, why, whylen, what, val, len,
                          "a directory holds no value");
        return 0;
    case XS_T_NAME:
    case XS_T_TOKEN:
    case XS_T_TEXT:
        break;
    }
    if (len > r->maxlen)
        return reject(-E2BIG, why, whylen, what, val, len,
                      "too long (%zu bytes, at most %u)", len, r->maxlen);
    if (r->type == XS_T_NAME) {
        if (!xres_schema_check_name(val, len))
            return reject(-EINVAL, why, whylen, what, val, len,
                          "not a name [a-z][a-z0-9_]*");
        return 0;
    }
    if (r->type == XS_T_TOKEN && len == 0)
        return reject(-EINVAL, why, whylen, what, NULL, 0, "empty");
    for (size_t i = 0; i < len; i++) {
        if (r->type == XS_T_TOKEN ? !is_token_char(val[i]) : !is_print(val[i]))
            return reject(-EINVAL, why, whylen, what, val, len,
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
        if (rows[i].field_pos >= 0 && rows[i].record == rec) n++;
    return n;
}

/* The row of field pos of record rec, or NULL. */
static const xres_schema_row *field_row(xres_schema_id rec, int pos)
{
    for (size_t i = 0; i < xres_schema_nrows(); i++)
        if (rows[i].field_pos == pos && rows[i].record == rec)
            return &rows[i];
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
        return reject(-ENOENT, why, whylen, what, NULL, 0, "not a record");
    if (!val) val = "", len = 0;
    if (len > r->maxlen)
        return reject(-E2BIG, why, whylen, what, val, len,
                      "too long (%zu bytes, at most %u)", len, r->maxlen);
    for (const xres_schema_row *fr; (fr = field_row(rec, pos)); pos++) {
        const char *name = xres_schema_leaf(fr->id);
        size_t nl = strlen(name), vs, ve;
        char fwhy[XRES_SCHEMA_WHY_MAX];
        int rc;

        if (pos > 0) {
            if (o >= len || val[o] != ' ')
                return reject(-EINVAL, why, whylen, what, NULL, 0,
                              "%s missing", name);
            o++;
        }
        if (len - o < nl + 1 || memcmp(val + o, name, nl) ||
            val[o + nl] != '=')
            return reject(-EINVAL, why, whylen, what, val + o, len - o,
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
            return reject(-EINVAL, why, whylen, what, val + o, len - o,
                          "bad separator at byte %zu", o);
        for (n = s; n < len && is_field_name_char(val[n]); n++) {}
        if (n == s || val[s] < 'a' || val[s] > 'z' || n >= len ||
            val[n] != '=' || n + 1 >= len || !is_word_char(val[n + 1]))
            return reject(-EINVAL, why, whylen, what, val + s, len - s,
                          "not a NAME=VALUE word at byte %zu", s);
        for (o = n + 1; o < len && val[o] != ' '; o++)
            if (!is_word_char(val[o]))
                return reject(-EINVAL, why, whylen, what, val + o, len - o,
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

/* --- Paths. */

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
                if (parse_dec(arg, n, 5, &v) || v > 32767) return false;
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
        if (!strcmp(rows[i].path, path)) {
            *id = rows[i].id;
            return 0;
        }
    }
    for (size_t i = 0; i < xres_schema_nrows(); i++) {
        if (match(rows[i].path, path)) {
            *id = rows[i].id;
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
        if (!strcmp(rows[i].path, lit)) return true;
        if (!strncmp(rows[i].path, DOMAIN_PREFIX, pl) &&
            !strcmp(rows[i].path + pl, lit))
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
