/*
 * dom0/policy/policy_pair.c: hot-standby domain pairs, the pure part (see
 * policy_pair.h): settings, names, the resource table (create, admit, app
 * started or stopped), the standby's floor, the reserve's refill and
 * failback.  Fault decisions are in pair_fault.c, the failover machine in
 * pair_failover.c.  No Xen calls, no clock, no I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pair_internal.h"
#include "util.h"
#include "xs_schema.h"

#define MIB ((uint64_t)1024)

void xres_pair_cfg_default(xres_pair_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->max_restarts = 3;
    c->heartbeat_timeout_ms = 30000;
    c->release_timeout_ms = 5000;
    c->ack_timeout_ms = 30000;
    c->tol_kb = 1024;
    c->base_min_kb = 0;
    c->preserve = false;
}

/* ---- names ---- */

static const char *const owner_names[] = { "active", "standby", "host" };
static const char *const dest_names[] = { "none", "standby" };
static const char *const kind_names[] = { "base", "hot", "cold", "ext" };
static const char *const state_names[] = {
    "normal", "failing-over", "failed-over", "degraded" };
static const char *const fo_kind_names[] = {
    "none", "domain", "app", "app-reserve" };
static const char *const step_names[] = {
    "fence", "plan", "stop", "release", "engage", "sched", "start",
    "commit" };

#define NAMEOF(tab, v) \
    ((unsigned)(v) < sizeof(tab) / sizeof(tab[0]) ? tab[v] : "?")

static int parse_name(const char *const *tab, size_t n, const char *s,
                      int *out)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(tab[i], s)) { *out = (int)i; return 0; }
    return -EINVAL;
}

#define PARSER(fn, type, tab)                                          \
    int fn(const char *s, type *o)                                     \
    {                                                                  \
        int v, rc = parse_name(tab, sizeof(tab) / sizeof(tab[0]), s, &v); \
        if (!rc) *o = (type)v;                                         \
        return rc;                                                     \
    }

const char *xres_pair_owner_name(xres_pair_owner o)
{ return NAMEOF(owner_names, o); }
const char *xres_pair_dest_name(xres_pair_dest d)
{ return NAMEOF(dest_names, d); }
const char *xres_pair_area_kind_name(xres_pair_area_kind k)
{ return NAMEOF(kind_names, k); }
const char *xres_pair_state_name(xres_pair_state s)
{ return NAMEOF(state_names, s); }
const char *xres_fo_kind_name(xres_fo_kind k)
{ return NAMEOF(fo_kind_names, k); }
const char *xres_fo_step_name(xres_fo_step s)
{ return NAMEOF(step_names, s); }

PARSER(xres_pair_owner_parse, xres_pair_owner, owner_names)
PARSER(xres_pair_dest_parse, xres_pair_dest, dest_names)
PARSER(xres_pair_area_kind_parse, xres_pair_area_kind, kind_names)
PARSER(xres_pair_state_parse, xres_pair_state, state_names)
PARSER(xres_fo_kind_parse, xres_fo_kind, fo_kind_names)
PARSER(xres_fo_step_parse, xres_fo_step, step_names)

bool xres_pair_name_ok(const char *s)
{
    size_t n;

    if (!s) return false;
    n = strlen(s);
    if (n == 0 || n >= XRES_PAIR_NAME_MAX) return false;
    if (!strcmp(s, XRES_PAIR_BASE)) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* ---- table ---- */

void xres_pair_why(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!why || !len) return;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

xres_pair_area *xres_pair_area_find(xres_pair *p, const char *name)
{
    for (size_t i = 0; i < p->nareas; i++)
        if (!strcmp(p->areas[i].name, name)) return &p->areas[i];
    return NULL;
}

static xres_pair_area *base_area(xres_pair *p)
{
    return xres_pair_area_find(p, XRES_PAIR_BASE);
}

const xres_pair_app *xres_pair_app_find(const xres_pair *p,
                                        const char *name)
{
    for (size_t i = 0; i < p->napps; i++)
        if (!strcmp(p->apps[i].name, name)) return &p->apps[i];
    return NULL;
}

uint64_t xres_pair_sum(const xres_pair *p, xres_pair_owner owner, int dest)
{
    uint64_t s = 0;

    for (size_t i = 0; i < p->nareas; i++) {
        const xres_pair_area *a = &p->areas[i];
        if (a->owner != owner) continue;
        if (dest >= 0 && (int)a->dest != dest) continue;
        s += a->size_kb;
    }
    return s;
}

static uint64_t declared_hot_kb(const xres_pair *p)
{
    uint64_t s = 0;

    for (size_t i = 0; i < p->napps; i++)
        if (p->apps[i].hot) s += p->apps[i].size_kb;
    return s;
}

bool xres_pair_dom_alive(const xres_domain *d)
{
    return d && !d->dying && !d->shutdown;
}

int xres_pair_admit(const xres_pair *p, const xres_host *snap,
                    uint64_t hot_kb, uint64_t reserve_kb,
                    char *why, size_t whylen)
{
    const xres_domain *sb = xres_host_find(snap, p->standby);
    uint64_t maxkb;

    (void)reserve_kb;
    if (!xres_pair_dom_alive(sb)) {
        xres_pair_why(why, whylen, "standby domain %" PRIu32 " is not running",
                p->standby);
        return -ENOENT;
    }
    maxkb = sb->static_max_kb ? sb->static_max_kb : sb->xen_max_kb;
    if (sb->target_kb + hot_kb > maxkb) {
        xres_pair_why(why, whylen,
                "standby %s (dom%" PRIu32 ") has maxmem %" PRIu64
                " MiB and target %" PRIu64 " MiB: it cannot take the %"
                PRIu64 " MiB of hot-standby areas (needs maxmem >= %" PRIu64
                " MiB)", sb->name, sb->domid, maxkb / MIB,
                sb->target_kb / MIB, hot_kb / MIB,
                (sb->target_kb + hot_kb + MIB - 1) / MIB);
        return -ENOSPC;
    }
    if (p->cfg.preserve && snap->free_kb < hot_kb) {
        xres_pair_why(why, whylen,
                "the old active is kept paused for a dump, so its memory is "
                "not freed at failover; the host has %" PRIu64 " MiB free "
                "(reserve included) but the hot-standby areas need %" PRIu64
                " MiB", snap->free_kb / MIB, hot_kb / MIB);
        return -ENOSPC;
    }
    return 0;
}

/* Appends a running area owned by the active; the caller has checked
 * that the table has room. */
static void add_area(xres_pair *p, const char *name, uint64_t size_kb,
                     xres_pair_dest dest, xres_pair_area_kind kind)
{
    xres_pair_area *ar = &p->areas[p->nareas++];

    memset(ar, 0, sizeof(*ar));
    snprintf(ar->name, sizeof(ar->name), "%s", name);
    ar->size_kb = size_kb;
    ar->owner = XRES_OWNER_ACTIVE;
    ar->dest = dest;
    ar->kind = kind;
    ar->running = true;
}

int xres_pair_create(xres_pair *p, const char *name, const xres_host *snap,
                     uint32_t active, uint32_t standby,
                     const xres_pair_app *apps, size_t napps,
                     const xres_pair_cfg *cfg, uint64_t reserve_kb,
                     char *why, size_t whylen)
{
    const xres_domain *a, *s;
    int rc;

    memset(p, 0, sizeof(*p));
    if (!xres_pair_name_ok(name)) {
        xres_pair_why(why, whylen, "bad pair name '%s': use 1-31 of A-Z a-z 0-9 "
                "_ . - (not 'base')", name ? name : "");
        return -EINVAL;
    }
    if (active == standby) {
        xres_pair_why(why, whylen, "active and standby are the same domain");
        return -EINVAL;
    }
    a = xres_host_find(snap, active);
    s = xres_host_find(snap, standby);
    if (!xres_pair_dom_alive(a)) {
        xres_pair_why(why, whylen, "active domain %" PRIu32 " is not running",
                active);
        return -ENOENT;
    }
    if (!xres_pair_dom_alive(s)) {
        xres_pair_why(why, whylen, "standby domain %" PRIu32 " is not running",
                standby);
        return -ENOENT;
    }
    if (active == 0 || standby == 0) {
        xres_pair_why(why, whylen, "Domain-0 cannot be part of a pair");
        return -EINVAL;
    }
    if (napps > XRES_PAIR_APPS_MAX) {
        xres_pair_why(why, whylen, "at most %d apps per pair", XRES_PAIR_APPS_MAX);
        return -E2BIG;
    }
    for (size_t i = 0; i < napps; i++) {
        if (!xres_pair_name_ok(apps[i].name)) {
            xres_pair_why(why, whylen, "bad app name '%s'", apps[i].name);
            return -EINVAL;
        }
        if (!apps[i].size_kb) {
            xres_pair_why(why, whylen, "app %s has size 0", apps[i].name);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(apps[i].name, apps[j].name)) {
                xres_pair_why(why, whylen, "app %s declared twice", apps[i].name);
                return -EINVAL;
            }
    }

    snprintf(p->name, sizeof(p->name), "%s", name);
    p->active = active;
    p->standby = standby;
    snprintf(p->active_name, sizeof(p->active_name), "%s", a->name);
    snprintf(p->standby_name, sizeof(p->standby_name), "%s", s->name);
    p->cfg = *cfg;
    p->napps = napps;
    memcpy(p->apps, apps, napps * sizeof(*apps));
    p->next_seq = 1;

    rc = xres_pair_admit(p, snap, declared_hot_kb(p), reserve_kb, why,
                         whylen);
    if (rc) return rc;

    add_area(p, XRES_PAIR_BASE, a->target_kb, XRES_DEST_NONE, XRES_AREA_BASE);
    p->state = XRES_PAIR_NORMAL;
    return 0;
}

void xres_pair_req_action(xres_action *act, uint32_t domid, const char *op,
                       const char *arg, uint64_t seq, const char *why)
{
    memset(act, 0, sizeof(*act));
    act->kind = XRES_ACT_AGENT_REQUEST;
    act->domid = domid;
    snprintf(act->u.req.op, sizeof(act->u.req.op), "%s", op);
    snprintf(act->u.req.arg, sizeof(act->u.req.arg), "%s", arg);
    act->u.req.seq = seq;
    snprintf(act->why, sizeof(act->why), "%s", why);
}

void xres_pair_mem_action(xres_action *act, xres_action_kind kind,
                       uint32_t domid, uint64_t kb, const char *why)
{
    memset(act, 0, sizeof(*act));
    act->kind = kind;
    act->domid = domid;
    act->u.mem.kb = kb;
    snprintf(act->why, sizeof(act->why), "%s", why);
}

int xres_pair_app_started(xres_pair *p, const xres_host *snap,
                          const char *app, uint64_t reserve_kb,
                          xres_actions *acts, char *why, size_t whylen)
{
    const xres_pair_app *decl = xres_pair_app_find(p, app);
    xres_pair_area *base = base_area(p), *ar;
    const xres_domain *ad = xres_host_find(snap, p->active);
    const xres_domain *sd = xres_host_find(snap, p->standby);
    uint64_t active_kb, pool_kb = 0, sb_room_kb = 0, held;
    char w[96];
    int rc;

    held = reserve_kb + p->debt_kb;
    if (snap->free_kb > held) pool_kb = snap->free_kb - held;
    if (sd) {
        uint64_t mx = sd->static_max_kb ? sd->static_max_kb : sd->xen_max_kb;
        uint64_t used = sd->target_kb +
            xres_pair_sum(p, XRES_OWNER_ACTIVE, XRES_DEST_STANDBY);
        sb_room_kb = mx > used ? mx - used : 0;
    }
    if (!decl) {
        xres_pair_why(why, whylen, "app %s is not declared in pair %s", app,
                p->name);
        return -ENOENT;
    }
    if (p->state != XRES_PAIR_NORMAL) {
        xres_pair_why(why, whylen, "pair %s is %s", p->name,
                xres_pair_state_name(p->state));
        return -EBUSY;
    }
    ar = xres_pair_area_find(p, app);
    if (ar) {
        if (ar->owner == XRES_OWNER_ACTIVE) ar->running = true;
        return 0;
    }
    if (!base || p->nareas >= XRES_PAIR_AREAS_MAX) {
        xres_pair_why(why, whylen, "pair %s: resource table full", p->name);
        return -E2BIG;
    }

    if (decl->hot) {
        if (base->size_kb < decl->size_kb) {
            xres_pair_why(why, whylen, "hot-standby app %s needs %" PRIu64
                    " MiB but the active's base has only %" PRIu64 " MiB",
                    app, decl->size_kb / MIB, base->size_kb / MIB);
            return -ENOSPC;
        }
        if (decl->size_kb > sb_room_kb) {
            xres_pair_why(why, whylen, "standby dom%" PRIu32 " can take only %"
                    PRIu64 " MiB more, hot-standby app %s needs %" PRIu64
                    " MiB", p->standby, sb_room_kb / MIB, app,
                    decl->size_kb / MIB);
            return -ENOSPC;
        }
        base->size_kb -= decl->size_kb;
        add_area(p, app, decl->size_kb, XRES_DEST_STANDBY, XRES_AREA_HOT);
        return 0;
    }

    /* Cold: carved from the base if it fits above the OS's minimum,
     * else an extension from the host pool. */
    if (base->size_kb >= decl->size_kb + p->cfg.base_min_kb) {
        base->size_kb -= decl->size_kb;
        add_area(p, app, decl->size_kb, XRES_DEST_NONE, XRES_AREA_COLD);
        return 0;
    }
    if (pool_kb < decl->size_kb) {
        xres_pair_why(why, whylen, "app %s needs an extension of %" PRIu64
                " MiB for dom%" PRIu32 " but the host pool has %" PRIu64
                " MiB above the reserve", app, decl->size_kb / MIB,
                p->active, pool_kb / MIB);
        return -ENOSPC;
    }
    active_kb = xres_pair_sum(p, XRES_OWNER_ACTIVE, -1);
    snprintf(w, sizeof(w), "pair %s: extension for %s", p->name, app);
    {
        xres_action act;
        uint64_t mx = ad ? (ad->static_max_kb ? ad->static_max_kb
                                              : ad->xen_max_kb) : 0;
        /* Raise maxmem first: libxl refuses a target above it. */
        if (mx < active_kb + decl->size_kb) {
            xres_pair_mem_action(&act, XRES_ACT_SET_MAXMEM, p->active,
                       active_kb + decl->size_kb, w);
            rc = xres_actions_push(acts, &act);
            if (rc) return rc;
        }
        xres_pair_mem_action(&act, XRES_ACT_SET_TARGET, p->active,
                   active_kb + decl->size_kb, w);
        rc = xres_actions_push(acts, &act);
        if (rc) return rc;
    }
    add_area(p, app, decl->size_kb, XRES_DEST_NONE, XRES_AREA_EXT);
    return 0;
}

static void remove_area(xres_pair *p, xres_pair_area *ar)
{
    size_t i = (size_t)(ar - p->areas);

    memmove(&p->areas[i], &p->areas[i + 1],
            (p->nareas - i - 1) * sizeof(*ar));
    p->nareas--;
}

int xres_pair_app_stopped(xres_pair *p, const char *app,
                          xres_actions *acts)
{
    xres_pair_area *ar = xres_pair_area_find(p, app), *base;
    char w[96];
    int rc;

    if (!ar || ar->kind == XRES_AREA_BASE) return -ENOENT;
    if (ar->owner != XRES_OWNER_ACTIVE || p->state != XRES_PAIR_NORMAL) {
        ar->running = false;
        return 0;
    }
    switch (ar->kind) {
    case XRES_AREA_HOT:
        ar->running = false;
        return 0;
    case XRES_AREA_COLD:
        base = base_area(p);
        if (base) base->size_kb += ar->size_kb;
        remove_area(p, ar);
        return 0;
    case XRES_AREA_EXT: {
        uint64_t active_kb = xres_pair_sum(p, XRES_OWNER_ACTIVE, -1);
        uint64_t new_kb = active_kb - ar->size_kb;
        xres_action act;

        snprintf(w, sizeof(w), "pair %s: %s stopped, extension back to host",
                 p->name, app);
        xres_pair_mem_action(&act, XRES_ACT_SET_TARGET, p->active, new_kb, w);
        rc = xres_actions_push(acts, &act);
        if (rc) return rc;
        remove_area(p, ar);
        return 0;
    }
    default:
        return -EINVAL;
    }
}

uint64_t xres_pair_mem_floor(const xres_pair *p, uint32_t domid)
{
    if (!p->sb_floor_kb || domid != p->standby ||
        p->state == XRES_PAIR_DEGRADED)
        return 0;
    return p->sb_floor_kb;
}

bool xres_pair_refill(xres_pair *p, const xres_host *snap)
{
    const xres_domain *d;

    if (!p->debt_kb) return false;
    d = xres_host_find(snap, p->debt_domid);
    if (d && !d->dying && d->cur_kb > p->debt_until_kb) return false;
    p->debt_kb = 0;
    p->debt_domid = 0;
    p->debt_until_kb = 0;
    return true;
}

int xres_pair_failback(xres_pair *p, const xres_host *snap,
                       uint32_t new_standby, uint64_t reserve_kb,
                       char *why, size_t whylen)
{
    const xres_domain *na = xres_host_find(snap, p->standby);
    const xres_domain *ns = xres_host_find(snap, new_standby);
    xres_pair q = *p;
    uint64_t hot = 0;
    size_t n = 0;
    int rc;

    if (p->fo.kind != XRES_FO_NONE) {
        xres_pair_why(why, whylen, "pair %s: a failover is still running",
                p->name);
        return -EBUSY;
    }
    if (p->state != XRES_PAIR_FAILED_OVER) {
        xres_pair_why(why, whylen, "pair %s is %s: failback follows a whole-"
                "domain failover", p->name, xres_pair_state_name(p->state));
        return -EINVAL;
    }
    if (!xres_pair_dom_alive(na)) {
        xres_pair_why(why, whylen, "old standby dom%" PRIu32 " is not running",
                p->standby);
        return -ENOENT;
    }
    if (new_standby == p->standby || new_standby == 0) {
        xres_pair_why(why, whylen, "the new standby must be another domU");
        return -EINVAL;
    }
    if (!xres_pair_dom_alive(ns)) {
        xres_pair_why(why, whylen, "new standby domain %" PRIu32 " is not running",
                new_standby);
        return -ENOENT;
    }

    /* New table: the old standby's hot areas, the rest is its base. */
    q.nareas = 1;
    memset(&q.areas[0], 0, sizeof(q.areas[0]));
    snprintf(q.areas[0].name, sizeof(q.areas[0].name), XRES_PAIR_BASE);
    q.areas[0].kind = XRES_AREA_BASE;
    q.areas[0].owner = XRES_OWNER_ACTIVE;
    q.areas[0].dest = XRES_DEST_NONE;
    q.areas[0].running = true;
    for (size_t i = 0; i < p->nareas; i++) {
        const xres_pair_area *ar = &p->areas[i];
        if (ar->owner != XRES_OWNER_STANDBY) continue;
        xres_pair_area *nr = &q.areas[1 + n++];
        *nr = *ar;
        nr->owner = XRES_OWNER_ACTIVE;
        nr->dest = XRES_DEST_STANDBY;
        nr->restarts = 0;
        nr->moving = false;
        hot += ar->size_kb;
    }
    q.nareas = 1 + n;
    q.areas[0].size_kb = na->target_kb > hot ? na->target_kb - hot : 0;
    q.active = p->standby;
    snprintf(q.active_name, sizeof(q.active_name), "%s", na->name);
    q.standby = new_standby;
    snprintf(q.standby_name, sizeof(q.standby_name), "%s", ns->name);
    q.state = XRES_PAIR_NORMAL;
    q.sb_floor_kb = 0;      /* the new standby has been given nothing */

    rc = xres_pair_admit(&q, snap, hot > declared_hot_kb(&q) ? hot
                         : declared_hot_kb(&q), reserve_kb, why, whylen);
    if (rc) return rc;
    *p = q;
    return 0;
}

