/*
 * xenstore-schema/fuzz/fuzz_schema.c: libFuzzer target for the XenStore
 * value parser.  The first byte picks a schema row; the rest is the value
 * a guest wrote, also parsed as the agent's report record.  Besides "never
 * crash", it checks that what the parser accepts is canonical: formatting
 * the parsed result gives the input back (for a record, up to the words
 * after its last field, which are ignored).  The same bytes are a path
 * (application keys: app/<app>/level and its siblings) and a sequence
 * number as a request or ack directory names it.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[XRES_SCHEMA_WHY_MAX], buf[512], rbuf[1024];
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX], g[XRES_SCHEMA_FIELDS_MAX];
    xres_request req;
    xres_ack ack;
    uint64_t u;
    unsigned e;

    if (size < 1) return 0;
    xres_schema_id id = (xres_schema_id)(data[0] % xres_schema_nrows());
    const char *val = (const char *)data + 1;
    size_t len = size - 1;

    int rc = xres_schema_check(id, val, len, why, sizeof(why));
    if (rc && !why[0]) abort();          /* a rejection always says why */
    if (!rc && memchr(val, 0, len)) abort();

    if (!xres_schema_parse_u64(id, val, len, &u, why, sizeof(why))) {
        if (xres_schema_format_u64(id, u, buf, sizeof(buf))) abort();
        if (strlen(buf) != len || memcmp(buf, val, len)) abort();
    }
    if (!xres_schema_parse_enum(id, val, len, &e, why, sizeof(why)) &&
        len > 64)
        abort();
    if (!xres_schema_parse_request(val, len, &req, why, sizeof(why))) {
        if (xres_schema_format_request(&req, buf, sizeof(buf))) abort();
        if (strlen(buf) != len || memcmp(buf, val, len)) abort();
    }
    if (!xres_schema_parse_ack(val, len, &ack, why, sizeof(why))) {
        if (xres_schema_format_ack(ack.ok, ack.detail, buf, sizeof(buf)))
            abort();
        if (strlen(buf) != len || memcmp(buf, val, len)) abort();
    }

    /* Records: what parses formats back to the input's fields, and that
     * parses again to the same figures. */
    why[0] = 0;
    rc = xres_schema_parse_record(XS_REPORT, val, len, f, why, sizeof(why));
    if (rc && !why[0]) abort();
    if (!rc) {
        unsigned n = xres_schema_record_nfields(XS_REPORT);
        if (xres_schema_format_record(XS_REPORT, f, rbuf, sizeof(rbuf)))
            abort();
        size_t fl = strlen(rbuf);
        if (fl > len || memcmp(rbuf, val, fl)) abort();
        if (fl < len && val[fl] != ' ') abort();
        if (xres_schema_parse_record(XS_REPORT, rbuf, fl, g, why,
                                     sizeof(why)))
            abort();
        for (unsigned i = 0; i < n; i++)
            if (g[i].u64 != f[i].u64 || g[i].len != f[i].len) abort();
    }

    /* Paths: a hostile application name or sequence number must never
     * produce a path outside its row. */
    char *s = malloc(len + 1);
    if (!s) return 0;
    memcpy(s, val, len);
    s[len] = 0;
    xres_schema_id found;
    if (!xres_schema_path(buf, sizeof(buf), id, 7, s)) {
        if (xres_schema_lookup(buf, &found) || found != id) abort();
        if (strstr(buf, "/../") || strstr(buf, "//")) abort();
    }
    (void)xres_schema_lookup(s, &found);
    /* A sequence number from a directory entry (requests, acks). */
    uint64_t seq;
    if (!xres_schema_parse_seq(s, len, &seq)) {
        if (seq == 0 || seq > (1ULL << 53) - 1) abort();
        snprintf(buf, sizeof(buf), "%" PRIu64, seq);
        if (strcmp(buf, s)) abort();
    }
    (void)xres_schema_knows_literal(s);
    free(s);
    return 0;
}
