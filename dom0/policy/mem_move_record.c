/*
 * dom0/policy/mem_move_record.c: the XenStore record of a memory move
 * (mem_move.h): its one-line form, written before each step of the move
 * and read back by a restarted xresd.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_move.h"
#include "xs_schema.h"

const char *xres_move_state_name(xres_move_state s)
{
    switch (s) {
    case XRES_MOVE_LOWERING: return "lowering";
    case XRES_MOVE_RAISING: return "raising";
    case XRES_MOVE_DONE: return "done";
    case XRES_MOVE_FAILED: return "failed";
    default: return "unknown";
    }
}

static xres_move_state state_from(const char *s)
{
    if (!strcmp(s, "lowering")) return XRES_MOVE_LOWERING;
    if (!strcmp(s, "raising")) return XRES_MOVE_RAISING;
    return 0;
}

static void esc(const char *s, char *out, size_t len)
{
    size_t o = 0;

    for (; *s && o + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '_' || c == '-') out[o++] = c;
        else o += snprintf(out + o, len - o, "%%%02X", c);
    }
    out[o] = 0;
}

static int unesc(const char *s, char *out, size_t len)
{
    size_t o = 0;

    for (; *s; s++) {
        if (o + 1 >= len) return -EINVAL;
        if (*s == '%') {
            unsigned v;
            if (!isxdigit((unsigned char)s[1]) ||
                !isxdigit((unsigned char)s[2]) ||
                sscanf(s + 1, "%2x", &v) != 1)
                return -EINVAL;
            out[o++] = (char)v;
            s += 2;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = 0;
    return 0;
}

int xres_move_encode(const xres_move *mv, char *buf, size_t len)
{
    char sn[3 * XRES_NAME_MAX + 1], dn[3 * XRES_NAME_MAX + 1];
    char on[3 * sizeof(mv->origin) + 1];
    int r;

    esc(mv->src_name, sn, sizeof(sn));
    esc(mv->dst_name, dn, sizeof(dn));
    esc(mv->origin, on, sizeof(on));
    r = snprintf(buf, len,
                 "v1 state=%s src=%" PRIu32 " dst=%" PRIu32 " kb=%" PRIu64
                 " src_from=%" PRIu64 " src_to=%" PRIu64
                 " dst_from=%" PRIu64 " dst_to=%" PRIu64
                 " maxmem=%" PRIu64 " src_name=%s dst_name=%s origin=%s",
                 xres_move_state_name(mv->state), mv->t.src, mv->t.dst,
                 mv->t.kb, mv->t.src_from, mv->t.src_to, mv->t.dst_from,
                 mv->t.dst_to, mv->t.dst_maxmem, sn, dn, on);
    return r < 0 || (size_t)r >= len ? -ENOSPC : 0;
}

int xres_move_parse_u64(const char *v, uint64_t *out)
{
    char *end;

    if (!isdigit((unsigned char)*v)) return -EINVAL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) return -EINVAL;
    *out = x;
    return 0;
}

int xres_move_decode(const char *s, xres_move *mv)
{
    char *copy = NULL, *save = NULL, *tok;
    unsigned seen = 0;
    uint64_t v;
    int rc = -EINVAL;

    memset(mv, 0, sizeof(*mv));
    if (strncmp(s, "v1 ", 3) || strlen(s) > 1024) return -EINVAL;
    copy = strdup(s + 3);
    if (!copy) return -ENOMEM;
    for (tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) goto out;
        *eq++ = 0;
        if (!strcmp(tok, "state")) {
            if (!(mv->state = state_from(eq))) goto out;
            seen |= 1;
        } else if (!strcmp(tok, "src_name")) {
            if (unesc(eq, mv->src_name, sizeof(mv->src_name))) goto out;
        } else if (!strcmp(tok, "dst_name")) {
            if (unesc(eq, mv->dst_name, sizeof(mv->dst_name))) goto out;
        } else if (!strcmp(tok, "origin")) {
            if (unesc(eq, mv->origin, sizeof(mv->origin))) goto out;
        } else {
            if (xres_move_parse_u64(eq, &v)) goto out;
            if (!strcmp(tok, "src") || !strcmp(tok, "dst")) {
                if (v > UINT32_MAX) goto out;
                if (tok[0] == 's' && tok[1] == 'r') mv->t.src = (uint32_t)v;
                else mv->t.dst = (uint32_t)v;
                seen |= tok[0] == 's' ? 2 : 4;
            } else if (!strcmp(tok, "kb")) { mv->t.kb = v; seen |= 8; }
            else if (!strcmp(tok, "src_from")) mv->t.src_from = v;
            else if (!strcmp(tok, "src_to")) mv->t.src_to = v;
            else if (!strcmp(tok, "dst_from")) mv->t.dst_from = v;
            else if (!strcmp(tok, "dst_to")) mv->t.dst_to = v;
            else if (!strcmp(tok, "maxmem")) mv->t.dst_maxmem = v;
            else goto out;
        }
    }
    if (seen != 15) goto out;
    /* The figures must agree with each other. */
    if (mv->t.src != XRES_DOMID_INVALID &&
        (mv->t.src_from < mv->t.src_to ||
         mv->t.src_from - mv->t.src_to != mv->t.kb))
        goto out;
    if (mv->t.dst != XRES_DOMID_INVALID &&
        (mv->t.dst_to < mv->t.dst_from ||
         mv->t.dst_to - mv->t.dst_from > mv->t.kb))
        goto out;
    snprintf(mv->t.why, sizeof(mv->t.why), "%s", mv->origin);
    rc = 0;
out:
    free(copy);
    return rc;
}

int xres_move_path(uint64_t id, char *buf, size_t len)
{
    char arg[24];

    snprintf(arg, sizeof(arg), "%" PRIu64, id);
    return xres_schema_path(buf, len, XS_MEM_MOVE, 0, arg);
}

