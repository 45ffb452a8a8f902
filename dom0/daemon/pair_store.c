/*
 * dom0/daemon/pair_store.c: hot-standby pairs in XenStore (pair_store.h): the
 * text forms of a pair's config and state, their storage under
 * /local/domain/0/xres/pairs/<name>/.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair_store.h"
#include "xs_schema.h"

/* ---- text forms ---- */

typedef struct {
    char *buf;
    size_t len, off;
    bool overflow;
} outbuf;

static void out(outbuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void out(outbuf *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->overflow) return;
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->len - o->off) {
        o->overflow = true;
        return;
    }
    o->off += (size_t)n;
}

/* Free text (reasons) on one line, without control characters. */
static void out_text(outbuf *o, const char *s)
{
    char t[128];
    size_t i;

    for (i = 0; s[i] && i < sizeof(t) - 1; i++)
        t[i] = (s[i] < 0x20 || s[i] > 0x7e) ? ' ' : s[i] == ';' ? ',' : s[i];
    t[i] = 0;
    out(o, "%s", t);
}

static const char *or_dash(const char *s)
{
    return s[0] ? s : "-";
}

int xres_pair_format_config(const xres_pair *p, char *buf, size_t len)
{
    outbuf o = { buf, len, 0, false };

    if (!len) return -ENOSPC;
    buf[0] = 0;
    out(&o, "xres-pair-config 1;");
    out(&o, "name %s;", p->name);
    for (size_t i = 0; i < p->napps; i++)
        out(&o, "app %s %" PRIu64 " %s;", p->apps[i].name,
            p->apps[i].size_kb, p->apps[i].hot ? "hot" : "cold");
    out(&o, "cfg %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
        PRIu64 " %d;", p->cfg.max_restarts, p->cfg.heartbeat_timeout_ms,
        p->cfg.release_timeout_ms, p->cfg.ack_timeout_ms, p->cfg.tol_kb,
        p->cfg.base_min_kb, p->cfg.preserve ? 1 : 0);
    return o.overflow ? -ENOSPC : 0;
}

int xres_pair_format_state(const xres_pair *p, char *buf, size_t len)
{
    outbuf o = { buf, len, 0, false };
    const xres_pair_fo *fo = &p->fo;

    if (!len) return -ENOSPC;
    buf[0] = 0;
    out(&o, "xres-pair-state 1;");
    out(&o, "roles %" PRIu32 " %" PRIu32 " %s;", p->active, p->standby,
        xres_pair_state_name(p->state));
    out(&o, "active-name ");
    out_text(&o, p->active_name);
    out(&o, ";standby-name ");
    out_text(&o, p->standby_name);
    out(&o, ";seq %" PRIu64 ";", p->next_seq);
    out(&o, "debt %" PRIu64 " %" PRIu32 " %" PRIu64 ";", p->debt_kb,
        p->debt_domid, p->debt_until_kb);
    if (p->sb_floor_kb) out(&o, "floor %" PRIu64 ";", p->sb_floor_kb);
    if (p->lat.valid)
        out(&o, "lat %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
            PRIu64 ";", xres_fo_kind_name(p->lat.kind), p->lat.total_ms,
            p->lat.toolstack_us, p->lat.targets_ms, p->lat.balloon_ms,
            p->lat.start_ms);
    for (size_t i = 0; i < p->nareas; i++) {
        const xres_pair_area *a = &p->areas[i];
        out(&o, "area %s %" PRIu64 " %s %s %s %d %d %u %" PRIu64 ";",
            a->name, a->size_kb, xres_pair_owner_name(a->owner),
            xres_pair_dest_name(a->dest), xres_pair_area_kind_name(a->kind),
            a->running ? 1 : 0, a->moving ? 1 : 0, a->restarts,
            a->fault_seq);
    }
    if (fo->kind != XRES_FO_NONE) {
        out(&o, "fo %s %s %u %u %" PRIu32 " %" PRIu64 " %" PRIu64,
            xres_fo_kind_name(fo->kind), or_dash(fo->app), fo->pos, fo->sub,
            fo->done, fo->started_ms, fo->step_ms);
        out(&o, " %" PRIu32 " %" PRIu32 " %d %d", fo->act_domid,
            fo->sb_domid, fo->act_weight, fo->act_cap);
        out(&o, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
            " %" PRIu64 " %" PRIu64, fo->act_target0, fo->act_maxmem0,
            fo->act_cur0, fo->sb_target0, fo->sb_maxmem0, fo->free0,
            fo->reserve_cfg_kb);
        out(&o, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu32
            " %" PRIu32 " %" PRIu32 " ", fo->bound_kb, fo->return_kb,
            fo->reserve_kb, fo->seq0, fo->start_mask, fo->acked_mask,
            fo->failed_mask);
        for (unsigned i = 0; i < fo->nsteps && i < XRES_FO_SEQ_MAX; i++)
            out(&o, "%s%s", i ? "," : "", xres_fo_step_name(fo->steps[i]));
        out(&o, ";fo-why ");
        out_text(&o, fo->why);
        out(&o, ";fo-time %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
            " %" PRIu64 ";", fo->busy_us, fo->target_ms, fo->reached_ms,
            fo->startreq_ms, fo->acked_ms);
    }
    for (size_t i = 0; i < p->nlog; i++) {
        const xres_pair_logent *e = &p->log[i];
        out(&o, "log %" PRIu64 " %" PRIu64 " %s %s %" PRIu64 " %" PRIu64
            " %" PRIu64 " %" PRIu32 " ", e->started_ms, e->ended_ms,
            xres_fo_kind_name(e->kind), or_dash(e->app), e->bound_kb,
            e->return_kb, e->reserve_kb, e->failed_mask);
        out_text(&o, e->why);
        out(&o, ";");
    }
    return o.overflow ? -ENOSPC : 0;
}

/* Splits line into at most max whitespace-separated words; the last word
 * takes the rest of the line when rest is true. */
static unsigned split(char *line, char **w, unsigned max, bool rest)
{
    unsigned n = 0;
    char *s = line;

    while (*s && n < max) {
        while (*s == ' ') s++;
        if (!*s) break;
        if (rest && n == max - 1) { w[n++] = s; break; }
        w[n++] = s;
        while (*s && *s != ' ') s++;
        if (*s) *s++ = 0;
    }
    return n;
}

static int num(const char *s, uint64_t max, uint64_t *v)
{
    char *end;
    unsigned long long x;

    if (!s || *s < '0' || *s > '9') return -EINVAL;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (errno || *end || x > max) return -EINVAL;
    *v = x;
    return 0;
}

static int snum(const char *s, int *v)
{
    uint64_t x;

    if (s && s[0] == '-' && s[1] == '1' && !s[2]) { *v = -1; return 0; }
    if (num(s, 65535, &x)) return -EINVAL;
    *v = (int)x;
    return 0;
}

#define U64 UINT64_MAX
#define U32 UINT32_MAX

#define NUM(s, max, dst) do {                               \
        uint64_t v_;                                        \
        if (num((s), (max), &v_)) goto bad;                 \
        (dst) = v_;                                         \
    } while (0)

static int app_name(const char *s, char *dst)
{
    if (!strcmp(s, "-")) { dst[0] = 0; return 0; }
    if (!xres_pair_name_ok(s) && strcmp(s, XRES_PAIR_BASE)) return -EINVAL;
    snprintf(dst, XRES_PAIR_NAME_MAX, "%s", s);
    return 0;
}

/* Iterates the lines of a copy of text. */
static char *dup_text(const char *text)
{
    size_t n;
    char *t;

    if (!text) return NULL;
    n = strnlen(text, XRES_PAIR_VALUE_MAX + 1);
    if (n > XRES_PAIR_VALUE_MAX) return NULL;
    t = malloc(n + 1);
    if (!t) return NULL;
    memcpy(t, text, n);
    t[n] = 0;
    return t;
}

int xres_pair_parse_config(xres_pair *p, const char *text)
{
    char *t = dup_text(text), *line, *save = NULL;
    bool head = false, named = false, cfg = false;
    int rc = -EINVAL;

    if (!t) return -EINVAL;
    p->napps = 0;
    for (line = strtok_r(t, ";\n", &save); line;
         line = strtok_r(NULL, ";\n", &save)) {
        char *w[9];
        unsigned n = split(line, w, 9, false);

        if (!n) continue;
        if (!head) {
            if (n != 2 || strcmp(w[0], "xres-pair-config") ||
                strcmp(w[1], "1"))
                goto bad;
            head = true;
        } else if (!strcmp(w[0], "name") && n == 2) {
            if (!xres_pair_name_ok(w[1])) goto bad;
            snprintf(p->name, sizeof(p->name), "%s", w[1]);
            named = true;
        } else if (!strcmp(w[0], "app") && n == 4) {
            xres_pair_app *a;
            if (p->napps >= XRES_PAIR_APPS_MAX) goto bad;
            a = &p->apps[p->napps];
            if (!xres_pair_name_ok(w[1])) goto bad;
            snprintf(a->name, sizeof(a->name), "%s", w[1]);
            NUM(w[2], U64 / 4, a->size_kb);
            if (!strcmp(w[3], "hot")) a->hot = true;
            else if (!strcmp(w[3], "cold")) a->hot = false;
            else goto bad;
            p->napps++;
        } else if (!strcmp(w[0], "cfg") && n == 8) {
            NUM(w[1], 1000, p->cfg.max_restarts);
            NUM(w[2], U32, p->cfg.heartbeat_timeout_ms);
            NUM(w[3], U32, p->cfg.release_timeout_ms);
            NUM(w[4], U32, p->cfg.ack_timeout_ms);
            NUM(w[5], U64 / 4, p->cfg.tol_kb);
            NUM(w[6], U64 / 4, p->cfg.base_min_kb);
            if (strcmp(w[7], "0") && strcmp(w[7], "1")) goto bad;
            p->cfg.preserve = w[7][0] == '1';
            cfg = true;
        } else {
            goto bad;
        }
    }
    if (head && named && cfg) rc = 0;
bad:
    free(t);
    return rc;
}

int xres_pair_parse_state(xres_pair *p, const char *text)
{
    char *t = dup_text(text), *line, *save = NULL;
    bool head = false, roles = false;
    int rc = -EINVAL;

    if (!t) return -EINVAL;
    p->nareas = 0;
    p->nlog = 0;
    memset(&p->fo, 0, sizeof(p->fo));
    p->active_name[0] = p->standby_name[0] = 0;
    for (line = strtok_r(t, ";\n", &save); line;
         line = strtok_r(NULL, ";\n", &save)) {
        char *w[32];
        unsigned n;

        if (!head) {
            n = split(line, w, 3, false);
            if (n != 2 || strcmp(w[0], "xres-pair-state") ||
                strcmp(w[1], "1"))
                goto bad;
            head = true;
            continue;
        }
        if (!strncmp(line, "active-name ", 12)) {
            snprintf(p->active_name, sizeof(p->active_name), "%s",
                     line + 12);
            continue;
        }
        if (!strncmp(line, "standby-name ", 13)) {
            snprintf(p->standby_name, sizeof(p->standby_name), "%s",
                     line + 13);
            continue;
        }
        if (!strncmp(line, "fo-why ", 7)) {
            snprintf(p->fo.why, sizeof(p->fo.why), "%s", line + 7);
            continue;
        }
        if (!strncmp(line, "log ", 4)) {
            xres_pair_logent *e;
            n = split(line, w, 10, true);
            if (n < 9 || p->nlog >= XRES_PAIR_LOG_MAX) goto bad;
            e = &p->log[p->nlog];
            memset(e, 0, sizeof(*e));
            NUM(w[1], U64, e->started_ms);
            NUM(w[2], U64, e->ended_ms);
            if (xres_fo_kind_parse(w[3], &e->kind)) goto bad;
            if (app_name(w[4], e->app)) goto bad;
            NUM(w[5], U64, e->bound_kb);
            NUM(w[6], U64, e->return_kb);
            NUM(w[7], U64, e->reserve_kb);
            NUM(w[8], U32, e->failed_mask);
            if (n == 10) snprintf(e->why, sizeof(e->why), "%s", w[9]);
            p->nlog++;
            continue;
        }
        n = split(line, w, 32, false);
        if (!n) continue;
        if (!strcmp(w[0], "roles") && n == 4) {
            NUM(w[1], U32, p->active);
            NUM(w[2], U32, p->standby);
            if (xres_pair_state_parse(w[3], &p->state)) goto bad;
            roles = true;
        } else if (!strcmp(w[0], "seq") && n == 2) {
            NUM(w[1], U64 / 2, p->next_seq);
        } else if (!strcmp(w[0], "debt") && n == 4) {
            NUM(w[1], U64 / 4, p->debt_kb);
            NUM(w[2], U32, p->debt_domid);
            NUM(w[3], U64, p->debt_until_kb);
        } else if (!strcmp(w[0], "floor") && n == 2) {
            NUM(w[1], U64 / 4, p->sb_floor_kb);
        } else if (!strcmp(w[0], "lat") && n == 7) {
            if (xres_fo_kind_parse(w[1], &p->lat.kind)) goto bad;
            NUM(w[2], U64, p->lat.total_ms);
            NUM(w[3], U64, p->lat.toolstack_us);
            NUM(w[4], U64, p->lat.targets_ms);
            NUM(w[5], U64, p->lat.balloon_ms);
            NUM(w[6], U64, p->lat.start_ms);
            p->lat.guest_ms = p->lat.balloon_ms + p->lat.start_ms;
            p->lat.valid = true;
        } else if (!strcmp(w[0], "fo-time") && n == 6) {
            NUM(w[1], U64, p->fo.busy_us);
            NUM(w[2], U64, p->fo.target_ms);
            NUM(w[3], U64, p->fo.reached_ms);
            NUM(w[4], U64, p->fo.startreq_ms);
            NUM(w[5], U64, p->fo.acked_ms);
        } else if (!strcmp(w[0], "area") && n == 10) {
            xres_pair_area *a;
            uint64_t b;
            if (p->nareas >= XRES_PAIR_AREAS_MAX) goto bad;
            a = &p->areas[p->nareas];
            memset(a, 0, sizeof(*a));
            if (app_name(w[1], a->name) || !a->name[0]) goto bad;
            if (xres_pair_area_find(p, a->name)) goto bad;
            NUM(w[2], U64 / 4, a->size_kb);
            if (xres_pair_owner_parse(w[3], &a->owner)) goto bad;
            if (xres_pair_dest_parse(w[4], &a->dest)) goto bad;
            if (xres_pair_area_kind_parse(w[5], &a->kind)) goto bad;
            NUM(w[6], 1, b); a->running = b;
            NUM(w[7], 1, b); a->moving = b;
            NUM(w[8], 1000000, a->restarts);
            NUM(w[9], U64, a->fault_seq);
            p->nareas++;
        } else if (!strcmp(w[0], "fo") && n == 27) {
            xres_pair_fo *fo = &p->fo;
            char *s, *sv = NULL;
            if (xres_fo_kind_parse(w[1], &fo->kind) ||
                fo->kind == XRES_FO_NONE)
                goto bad;
            if (app_name(w[2], fo->app)) goto bad;
            NUM(w[3], XRES_FO_SEQ_MAX, fo->pos);
            NUM(w[4], 64, fo->sub);
            NUM(w[5], U32, fo->done);
            NUM(w[6], U64, fo->started_ms);
            NUM(w[7], U64, fo->step_ms);
            NUM(w[8], U32, fo->act_domid);
            NUM(w[9], U32, fo->sb_domid);
            if (snum(w[10], &fo->act_weight)) goto bad;
            if (snum(w[11], &fo->act_cap)) goto bad;
            NUM(w[12], U64 / 4, fo->act_target0);
            NUM(w[13], U64 / 4, fo->act_maxmem0);
            NUM(w[14], U64 / 4, fo->act_cur0);
            NUM(w[15], U64 / 4, fo->sb_target0);
            NUM(w[16], U64 / 4, fo->sb_maxmem0);
            NUM(w[17], U64, fo->free0);
            NUM(w[18], U64 / 4, fo->reserve_cfg_kb);
            NUM(w[19], U64 / 4, fo->bound_kb);
            NUM(w[20], U64 / 4, fo->return_kb);
            NUM(w[21], U64 / 4, fo->reserve_kb);
            NUM(w[22], U64 / 2, fo->seq0);
            NUM(w[23], U32, fo->start_mask);
            NUM(w[24], U32, fo->acked_mask);
            NUM(w[25], U32, fo->failed_mask);
            fo->nsteps = 0;
            for (s = strtok_r(w[26], ",", &sv); s;
                 s = strtok_r(NULL, ",", &sv)) {
                if (fo->nsteps >= XRES_FO_SEQ_MAX) goto bad;
                if (xres_fo_step_parse(s, &fo->steps[fo->nsteps])) goto bad;
                fo->nsteps++;
            }
            if (!fo->nsteps || fo->pos > fo->nsteps) goto bad;
            /* Areas must be read before the plan's masks refer to them. */
            if ((fo->start_mask | fo->failed_mask) >> p->nareas) goto bad;
            if (fo->act_target0 < fo->bound_kb &&
                fo->kind != XRES_FO_DOMAIN)
                goto bad;
        } else {
            goto bad;
        }
    }
    if (head && roles) rc = 0;
bad:
    free(t);
    return rc;
}

/* ---- XenStore ---- */

static int path_of(char *buf, size_t len, const char *name,
                   xres_schema_id id)
{
    if (!xres_pair_name_ok(name)) return -EINVAL;
    return xres_schema_path(buf, len, id, 0, name);
}

static int ensure_root(xres_backend *b)
{
    static const xres_perm_entry dom0_only[] = { { 0, XRES_PERM_NONE } };
    char root[XRES_SCHEMA_PATH_MAX];
    int rc;

    rc = xres_schema_path(root, sizeof(root), XS_PAIRS_DIR, 0, NULL);
    if (!rc) rc = b->ops->xs_mkdir(b, root);
    if (rc) return rc;
    return b->ops->xs_set_perms(b, root, dom0_only, 1);
}

static int save_key(xres_backend *b, const char *name, xres_schema_id key,
                    const char *val)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc;

    rc = path_of(path, sizeof(path), name, key);
    if (rc) return rc;
    return b->ops->xs_write(b, path, val, strlen(val));
}

int xres_pair_store_save_config(xres_backend *b, const xres_pair *p)
{
    char buf[XRES_PAIR_VALUE_MAX];
    int rc;

    rc = xres_pair_format_config(p, buf, sizeof(buf));
    if (rc) return rc;
    rc = ensure_root(b);
    if (rc) return rc;
    return save_key(b, p->name, XS_PAIR_CONFIG, buf);
}

int xres_pair_store_save_state(xres_backend *b, const xres_pair *p)
{
    char buf[XRES_PAIR_VALUE_MAX];
    int rc;

    rc = xres_pair_format_state(p, buf, sizeof(buf));
    if (rc) return rc;
    return save_key(b, p->name, XS_PAIR_STATE, buf);
}

int xres_pair_store_load(xres_backend *b, const char *name, xres_pair *p)
{
    char path[XRES_SCHEMA_PATH_MAX], *val = NULL;
    int rc;

    memset(p, 0, sizeof(*p));
    rc = path_of(path, sizeof(path), name, XS_PAIR_CONFIG);
    if (rc) goto out;
    rc = b->ops->xs_read(b, path, &val, NULL);
    if (rc) goto out;
    rc = xres_pair_parse_config(p, val);
    free(val);
    val = NULL;
    if (rc) goto out;
    if (strcmp(p->name, name)) { rc = -EINVAL; goto out; }
    rc = path_of(path, sizeof(path), name, XS_PAIR_STATE);
    if (rc) goto out;
    rc = b->ops->xs_read(b, path, &val, NULL);
    if (rc) goto out;
    rc = xres_pair_parse_state(p, val);
out:
    free(val);
    return rc;
}

int xres_pair_store_list(xres_backend *b, char ***names, unsigned *n)
{
    char root[XRES_SCHEMA_PATH_MAX];
    int rc = xres_schema_path(root, sizeof(root), XS_PAIRS_DIR, 0, NULL);

    if (!rc) rc = b->ops->xs_directory(b, root, names, n);
    if (rc == -ENOENT) {
        *names = NULL;
        *n = 0;
        return 0;
    }
    return rc;
}

void xres_pair_store_free_names(char **names, unsigned n)
{
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

int xres_pair_store_delete(xres_backend *b, const char *name)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc = path_of(path, sizeof(path), name, XS_PAIR_DIR);

    if (rc) return rc;
    return b->ops->xs_rm(b, path);
}
