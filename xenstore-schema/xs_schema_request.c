/*
 * xenstore-schema/xs_schema_request.c: dom0's requests to a guest and
 * the guest's acks: their one parser and their formatter.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "xs_schema_priv.h"

const char *xres_request_op_name(xres_request_op op)
{
    switch (op) {
    case XRES_REQ_RELEASE: return "release";
    case XRES_REQ_ENGAGE: return "engage";
    case XRES_REQ_START: return "start";
    case XRES_REQ_STOP: return "stop";
    case XRES_REQ_ALLOC: return "alloc";
    case XRES_REQ_REFUSE: return "refuse";
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
        return xs_reject(-EINVAL, why, whylen, "request", NULL, 0, "empty");
    if (len > r->maxlen)
        return xs_reject(-E2BIG, why, whylen, "request", val, len,
                         "too long (%zu bytes, at most %u)", len, r->maxlen);
    /* Words separated by exactly one space; no leading or trailing one. */
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && val[j] != ' ') {
            if (!xs_is_print(val[j]))
                return xs_reject(-EINVAL, why, whylen, "request", val, len,
                                 "unprintable byte");
            j++;
        }
        if (j == i || nw == 4)
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             j == i ? "stray space" : "too many words");
        w[nw] = val + i;
        wl[nw++] = j - i;
        if (j == len - 1)
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             "stray space");
        i = j + 1;
    }
    memset(req, 0, sizeof(*req));
    if (word_is(w[0], wl[0], "release")) {
        req->op = XRES_REQ_RELEASE;
        if (nw < 2 || nw > 3)
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             "usage: release KB [drop-caches]");
        rc = xs_parse_dec(w[1], wl[1], 13, &kb);
        if (rc || kb == 0 || kb > REQ_KB_MAX)
            return xs_reject(rc ? rc : -ERANGE, why, whylen, "request", val,
                             len, "release: bad size in KiB");
        req->kb = kb;
        if (nw == 3) {
            if (!word_is(w[2], wl[2], "drop-caches"))
                return xs_reject(-EINVAL, why, whylen, "request", val, len,
                                 "release: unknown option");
            req->drop_caches = true;
        }
    } else if (word_is(w[0], wl[0], "engage")) {
        req->op = XRES_REQ_ENGAGE;
        if (nw > 2)
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             "usage: engage [KB]");
        if (nw == 2) {
            rc = xs_parse_dec(w[1], wl[1], 13, &kb);
            if (rc || kb == 0 || kb > REQ_KB_MAX)
                return xs_reject(rc ? rc : -ERANGE, why, whylen, "request", val,
                                 len, "engage: bad size in KiB");
            req->kb = kb;
        }
    } else if (word_is(w[0], wl[0], "start") || word_is(w[0], wl[0], "stop") ||
               word_is(w[0], wl[0], "refuse")) {
        req->op = w[0][0] == 'r' ? XRES_REQ_REFUSE
                : w[0][2] == 'a' ? XRES_REQ_START : XRES_REQ_STOP;
        if (nw != 2)
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             "usage: %s APP", xres_request_op_name(req->op));
        if (!xres_schema_check_name(w[1], wl[1]))
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             "bad application name");
        memcpy(req->app, w[1], wl[1]);
        req->app[wl[1]] = 0;
    } else if (word_is(w[0], wl[0], "alloc")) {
        uint64_t pct;
        req->op = XRES_REQ_ALLOC;
        if (nw != 2)
            return xs_reject(-EINVAL, why, whylen, "request", val, len,
                             "usage: alloc PCT");
        rc = xs_parse_dec(w[1], wl[1], 5, &pct);
        if (rc || pct == 0 || pct > XRES_REQ_ALLOC_MAX)
            return xs_reject(rc ? rc : -ERANGE, why, whylen, "request", val,
                             len, "alloc: PCT must be 1..%u",
                             XRES_REQ_ALLOC_MAX);
        req->pct = (unsigned)pct;
    } else {
        memset(req, 0, sizeof(*req));
        return xs_reject(-EINVAL, why, whylen, "request", val, len,
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
    case XRES_REQ_REFUSE:
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
        return xs_reject(-EINVAL, why, whylen, "ack", NULL, 0, "empty");
    if (len > r->maxlen)
        return xs_reject(-E2BIG, why, whylen, "ack", val, len,
                         "too long (%zu bytes, at most %u)", len, r->maxlen);
    for (size_t i = 0; i < len; i++)
        if (!xs_is_print(val[i]))
            return xs_reject(-EINVAL, why, whylen, "ack", val, len,
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
            return xs_reject(-EINVAL, why, whylen, "ack", val, len,
                             "error without a reason");
    } else {
        return xs_reject(-EINVAL, why, whylen, "ack", val, len,
                         "must start with ok or error");
    }
    if (len > word) {
        size_t n = len - word - 1;
        if (n == 0 || n > XRES_ACK_DETAIL_MAX || val[word + 1] == ' ' ||
            val[len - 1] == ' ')
            return xs_reject(-EINVAL, why, whylen, "ack", val, len,
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
            d[n] = xs_is_print(detail[n]) ? detail[n] : '?';
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
