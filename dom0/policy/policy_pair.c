/*
 * dom0/policy/policy_pair.c: hot-standby domain pairs, the pure part (see
 * policy_pair.h): the resource table, fault decisions and the resumable
 * failover state machine.  No Xen calls, no clock, no I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy_pair.h"
#include "util.h"
#include "xs_schema.h"

#define MIB ((uint64_t)1024)

/* Request sequence numbers of one failover, relative to fo.seq0. */
#define SEQ_STOP 0
#define SEQ_RELEASE 1
#define SEQ_ENGAGE 2
#define SEQ_START(i) (3 + (i))
#define SEQ_SPAN XRES_PAIR_SEQ_SPAN

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

static void set_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
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

static bool dom_alive(const xres_domain *d)
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
    if (!dom_alive(sb)) {
        set_why(why, whylen, "standby domain %" PRIu32 " is not running",
                p->standby);
        return -ENOENT;
    }
    maxkb = sb->static_max_kb ? sb->static_max_kb : sb->xen_max_kb;
    if (sb->target_kb + hot_kb > maxkb) {
        set_why(why, whylen,
                "standby %s (dom%" PRIu32 ") has maxmem %" PRIu64
                " MiB and target %" PRIu64 " MiB: it cannot take the %"
                PRIu64 " MiB of hot-standby areas (needs maxmem >= %" PRIu64
                " MiB)", sb->name, sb->domid, maxkb / MIB,
                sb->target_kb / MIB, hot_kb / MIB,
                (sb->target_kb + hot_kb + MIB - 1) / MIB);
        return -ENOSPC;
    }
    if (p->cfg.preserve && snap->free_kb < hot_kb) {
        set_why(why, whylen,
                "the old active is kept paused for a dump, so its memory is "
                "not freed at failover; the host has %" PRIu64 " MiB free "
                "(reserve included) but the hot-standby areas need %" PRIu64
                " MiB", snap->free_kb / MIB, hot_kb / MIB);
        return -ENOSPC;
    }
    return 0;
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
        set_why(why, whylen, "bad pair name '%s': use 1-31 of A-Z a-z 0-9 "
                "_ . - (not 'base')", name ? name : "");
        return -EINVAL;
    }
    if (active == standby) {
        set_why(why, whylen, "active and standby are the same domain");
        return -EINVAL;
    }
    a = xres_host_find(snap, active);
    s = xres_host_find(snap, standby);
    if (!dom_alive(a)) {
        set_why(why, whylen, "active domain %" PRIu32 " is not running",
                active);
        return -ENOENT;
    }
    if (!dom_alive(s)) {
        set_why(why, whylen, "standby domain %" PRIu32 " is not running",
                standby);
        return -ENOENT;
    }
    if (active == 0 || standby == 0) {
        set_why(why, whylen, "Domain-0 cannot be part of a pair");
        return -EINVAL;
    }
    if (napps > XRES_PAIR_APPS_MAX) {
        set_why(why, whylen, "at most %d apps per pair", XRES_PAIR_APPS_MAX);
        return -E2BIG;
    }
    for (size_t i = 0; i < napps; i++) {
        if (!xres_pair_name_ok(apps[i].name)) {
            set_why(why, whylen, "bad app name '%s'", apps[i].name);
            return -EINVAL;
        }
        if (!apps[i].size_kb) {
            set_why(why, whylen, "app %s has size 0", apps[i].name);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(apps[i].name, apps[j].name)) {
                set_why(why, whylen, "app %s declared twice", apps[i].name);
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

    p->nareas = 1;
    snprintf(p->areas[0].name, sizeof(p->areas[0].name), XRES_PAIR_BASE);
    p->areas[0].size_kb = a->target_kb;
    p->areas[0].owner = XRES_OWNER_ACTIVE;
    p->areas[0].dest = XRES_DEST_NONE;
    p->areas[0].kind = XRES_AREA_BASE;
    p->areas[0].running = true;
    p->state = XRES_PAIR_NORMAL;
    return 0;
}

static void req_action(xres_action *act, uint32_t domid, const char *op,
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

static void mem_action(xres_action *act, xres_action_kind kind,
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
        set_why(why, whylen, "app %s is not declared in pair %s", app,
                p->name);
        return -ENOENT;
    }
    if (p->state != XRES_PAIR_NORMAL) {
        set_why(why, whylen, "pair %s is %s", p->name,
                xres_pair_state_name(p->state));
        return -EBUSY;
    }
    ar = xres_pair_area_find(p, app);
    if (ar) {
        if (ar->owner == XRES_OWNER_ACTIVE) ar->running = true;
        return 0;
    }
    if (!base || p->nareas >= XRES_PAIR_AREAS_MAX) {
        set_why(why, whylen, "pair %s: resource table full", p->name);
        return -E2BIG;
    }

    if (decl->hot) {
        if (base->size_kb < decl->size_kb) {
            set_why(why, whylen, "hot-standby app %s needs %" PRIu64
                    " MiB but the active's base has only %" PRIu64 " MiB",
                    app, decl->size_kb / MIB, base->size_kb / MIB);
            return -ENOSPC;
        }
        if (decl->size_kb > sb_room_kb) {
            set_why(why, whylen, "standby dom%" PRIu32 " can take only %"
                    PRIu64 " MiB more, hot-standby app %s needs %" PRIu64
                    " MiB", p->standby, sb_room_kb / MIB, app,
                    decl->size_kb / MIB);
            return -ENOSPC;
        }
        base->size_kb -= decl->size_kb;
        ar = &p->areas[p->nareas++];
        memset(ar, 0, sizeof(*ar));
        snprintf(ar->name, sizeof(ar->name), "%s", app);
        ar->size_kb = decl->size_kb;
        ar->owner = XRES_OWNER_ACTIVE;
        ar->dest = XRES_DEST_STANDBY;
        ar->kind = XRES_AREA_HOT;
        ar->running = true;
        return 0;
    }

    /* Cold: carved from the base if it fits above the OS's minimum,
     * else an extension from the host pool. */
    if (base->size_kb >= decl->size_kb + p->cfg.base_min_kb) {
        base->size_kb -= decl->size_kb;
        ar = &p->areas[p->nareas++];
        memset(ar, 0, sizeof(*ar));
        snprintf(ar->name, sizeof(ar->name), "%s", app);
        ar->size_kb = decl->size_kb;
        ar->owner = XRES_OWNER_ACTIVE;
        ar->dest = XRES_DEST_NONE;
        ar->kind = XRES_AREA_COLD;
        ar->running = true;
        return 0;
    }
    if (pool_kb < decl->size_kb) {
        set_why(why, whylen, "app %s needs an extension of %" PRIu64
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
            mem_action(&act, XRES_ACT_SET_MAXMEM, p->active,
                       active_kb + decl->size_kb, w);
            rc = xres_actions_push(acts, &act);
            if (rc) return rc;
        }
        mem_action(&act, XRES_ACT_SET_TARGET, p->active,
                   active_kb + decl->size_kb, w);
        rc = xres_actions_push(acts, &act);
        if (rc) return rc;
    }
    ar = &p->areas[p->nareas++];
    memset(ar, 0, sizeof(*ar));
    snprintf(ar->name, sizeof(ar->name), "%s", app);
    ar->size_kb = decl->size_kb;
    ar->owner = XRES_OWNER_ACTIVE;
    ar->dest = XRES_DEST_NONE;
    ar->kind = XRES_AREA_EXT;
    ar->running = true;
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
        mem_action(&act, XRES_ACT_SET_TARGET, p->active, new_kb, w);
        rc = xres_actions_push(acts, &act);
        if (rc) return rc;
        remove_area(p, ar);
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* ---- faults ---- */

static void decide(xres_pair_decision *d, xres_pair_do what,
                   const char *app, uint64_t fseq, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void decide(xres_pair_decision *d, xres_pair_do what,
                   const char *app, uint64_t fseq, const char *fmt, ...)
{
    va_list ap;

    memset(d, 0, sizeof(*d));
    d->what = what;
    if (app) snprintf(d->app, sizeof(d->app), "%s", app);
    d->fault_seq = fseq;
    va_start(ap, fmt);
    vsnprintf(d->why, sizeof(d->why), fmt, ap);
    va_end(ap);
}

void xres_pair_on_domain_event(const xres_pair *p, uint32_t domid,
                               bool is_death, int reason,
                               xres_pair_decision *d)
{
    memset(d, 0, sizeof(*d));
    if (domid == p->standby && p->state != XRES_PAIR_DEGRADED) {
        if (is_death || reason != XRES_SHUTDOWN_REBOOT)
            decide(d, XRES_PAIR_DO_DEGRADE, NULL, 0,
                   "standby dom%" PRIu32 " %s", domid,
                   is_death ? "died" : "shut down");
        return;
    }
    if (domid != p->active || p->state != XRES_PAIR_NORMAL) return;
    if (is_death) {
        decide(d, XRES_PAIR_DO_DOMAIN_FAILOVER, NULL, 0,
               "active dom%" PRIu32 " died", domid);
        return;
    }
    switch (reason) {
    case XRES_SHUTDOWN_CRASH:
        decide(d, XRES_PAIR_DO_DOMAIN_FAILOVER, NULL, 0,
               "active dom%" PRIu32 " crashed", domid);
        break;
    case XRES_SHUTDOWN_WATCHDOG:
        decide(d, XRES_PAIR_DO_DOMAIN_FAILOVER, NULL, 0,
               "active dom%" PRIu32 ": Xen watchdog fired", domid);
        break;
    case XRES_SHUTDOWN_POWEROFF:
        decide(d, XRES_PAIR_DO_DOMAIN_FAILOVER, NULL, 0,
               "active dom%" PRIu32 " shut down", domid);
        break;
    default:
        /* reboot, suspend, soft reset: the domain comes back itself. */
        break;
    }
}

static const xres_pair_app_obs *obs_app(const xres_pair_guest_obs *g,
                                        const char *name)
{
    for (size_t i = 0; i < g->napps; i++)
        if (!strcmp(g->apps[i].name, name)) return &g->apps[i];
    return NULL;
}

void xres_pair_check(const xres_pair *p, const xres_host *snap,
                     const xres_pair_obs *obs, xres_pair_decision *d)
{
    const xres_domain *a;
    uint64_t hb, limit;

    memset(d, 0, sizeof(*d));
    if (p->state != XRES_PAIR_NORMAL || p->fo.kind != XRES_FO_NONE) return;
    a = xres_host_find(snap, p->active);
    hb = obs && obs->active.heartbeat_ms ? obs->active.heartbeat_ms
       : a ? a->agent.heartbeat_ms : 0;
    limit = p->cfg.heartbeat_timeout_ms;
    if (limit && obs && obs->active.heartbeat_min_timeout_ms > limit)
        limit = obs->active.heartbeat_min_timeout_ms;
    if (a && limit && hb && snap->now_ms > hb && snap->now_ms - hb > limit) {
        decide(d, XRES_PAIR_DO_DOMAIN_FAILOVER, NULL, 0,
               "active dom%" PRIu32 ": no agent heartbeat for %" PRIu64
               " ms", p->active, snap->now_ms - hb);
        return;
    }
    if (!obs) return;
    for (size_t i = 0; i < p->nareas; i++) {
        const xres_pair_area *ar = &p->areas[i];
        const xres_pair_app_obs *o;

        if (ar->kind == XRES_AREA_BASE || ar->owner != XRES_OWNER_ACTIVE)
            continue;
        o = obs_app(&obs->active, ar->name);
        if (!o || o->fault_level == 0 || o->fault_seq == ar->fault_seq)
            continue;
        if (o->fault_level > 4) {
            decide(d, XRES_PAIR_DO_IGNORE_FAULT, ar->name, o->fault_seq,
                   "app %s: bad fault level %u", ar->name, o->fault_level);
            return;
        }
        if (ar->kind != XRES_AREA_HOT) {
            if (o->fault_level <= 3 && ar->restarts < p->cfg.max_restarts)
                decide(d, XRES_PAIR_DO_RESTART, ar->name, o->fault_seq,
                       "app %s: fault level %u, restart %u of %u",
                       ar->name, o->fault_level, ar->restarts + 1,
                       p->cfg.max_restarts);
            else
                decide(d, XRES_PAIR_DO_IGNORE_FAULT, ar->name, o->fault_seq,
                       "app %s: fault level %u, not hot-standby: left "
                       "stopped", ar->name, o->fault_level);
            return;
        }
        switch (o->fault_level) {
        case 1:
            if (ar->restarts < p->cfg.max_restarts)
                decide(d, XRES_PAIR_DO_RESTART, ar->name, o->fault_seq,
                       "app %s: fault level 1, restart %u of %u", ar->name,
                       ar->restarts + 1, p->cfg.max_restarts);
            else
                decide(d, XRES_PAIR_DO_APP_FAILOVER, ar->name, o->fault_seq,
                       "app %s: fault level 1 after %u restarts", ar->name,
                       ar->restarts);
            return;
        case 2:
        case 3:
            decide(d, XRES_PAIR_DO_APP_FAILOVER, ar->name, o->fault_seq,
                   "app %s: fault level %u", ar->name, o->fault_level);
            return;
        case 4:
            decide(d, XRES_PAIR_DO_RESERVE_FAILOVER, ar->name, o->fault_seq,
                   "app %s: fault level 4 (memory unusable)", ar->name);
            return;
        }
    }
}

int xres_pair_restart(xres_pair *p, const char *app, uint64_t fault_seq,
                      xres_actions *acts)
{
    xres_pair_area *ar = xres_pair_area_find(p, app);
    xres_action act;
    char w[96];

    if (!ar || ar->kind == XRES_AREA_BASE || ar->owner != XRES_OWNER_ACTIVE)
        return -ENOENT;
    ar->restarts++;
    ar->fault_seq = fault_seq;
    snprintf(w, sizeof(w), "pair %s: restart %s in place (%u)", p->name,
             app, ar->restarts);
    req_action(&act, p->active, "start", app, p->next_seq++, w);
    return xres_actions_push(acts, &act);
}

/* ---- the failover machine ---- */

static int area_index(const xres_pair *p, const char *name)
{
    for (size_t i = 0; i < p->nareas; i++)
        if (!strcmp(p->areas[i].name, name)) return (int)i;
    return -1;
}

int xres_pair_fo_begin(xres_pair *p, xres_fo_kind kind, const char *app,
                       const char *why, const xres_host *snap,
                       uint64_t reserve_kb, char *err, size_t errlen)
{
    xres_pair_fo *fo = &p->fo;
    const xres_domain *a, *s;
    xres_pair_area *ar = NULL;
    unsigned n = 0;

    if (kind != XRES_FO_DOMAIN && kind != XRES_FO_APP &&
        kind != XRES_FO_APP_RESERVE)
        return -EINVAL;
    if (fo->kind != XRES_FO_NONE) {
        set_why(err, errlen, "pair %s: a %s failover is already running "
                "(step %s)", p->name, xres_fo_kind_name(fo->kind),
                xres_fo_step_name(fo->steps[fo->pos < fo->nsteps ?
                                            fo->pos : 0]));
        return -EBUSY;
    }
    if (p->state == XRES_PAIR_FAILED_OVER) {
        set_why(err, errlen, "pair %s has already failed over; run "
                "failback first", p->name);
        return -EINVAL;
    }
    if (p->state == XRES_PAIR_DEGRADED) {
        set_why(err, errlen, "pair %s has no standby", p->name);
        return -ENODEV;
    }
    s = xres_host_find(snap, p->standby);
    if (!dom_alive(s)) {
        set_why(err, errlen, "standby dom%" PRIu32 " of pair %s is not "
                "running", p->standby, p->name);
        return -ENODEV;
    }
    if (kind != XRES_FO_DOMAIN) {
        if (!app || !(ar = xres_pair_area_find(p, app)) ||
            ar->kind != XRES_AREA_HOT || ar->owner != XRES_OWNER_ACTIVE) {
            set_why(err, errlen, "pair %s: %s is not a hot-standby app "
                    "running on the active", p->name, app ? app : "(none)");
            return -ENOENT;
        }
        /* The reserve path needs the reserve; else release first. */
        if (kind == XRES_FO_APP_RESERVE &&
            (reserve_kb < ar->size_kb || snap->free_kb < ar->size_kb))
            kind = XRES_FO_APP;
    }

    a = xres_host_find(snap, p->active);
    memset(fo, 0, sizeof(*fo));
    fo->kind = kind;
    if (ar) snprintf(fo->app, sizeof(fo->app), "%s", ar->name);
    snprintf(fo->why, sizeof(fo->why), "%s", why ? why : "");
    switch (kind) {
    case XRES_FO_DOMAIN:
        fo->steps[n++] = XRES_STEP_FENCE;
        fo->steps[n++] = XRES_STEP_PLAN;
        fo->steps[n++] = XRES_STEP_ENGAGE;
        fo->steps[n++] = XRES_STEP_SCHED;
        fo->steps[n++] = XRES_STEP_START;
        fo->steps[n++] = XRES_STEP_COMMIT;
        break;
    case XRES_FO_APP:
        fo->steps[n++] = XRES_STEP_PLAN;
        fo->steps[n++] = XRES_STEP_STOP;
        fo->steps[n++] = XRES_STEP_RELEASE;
        fo->steps[n++] = XRES_STEP_ENGAGE;
        fo->steps[n++] = XRES_STEP_START;
        fo->steps[n++] = XRES_STEP_COMMIT;
        break;
    default:
        fo->steps[n++] = XRES_STEP_PLAN;
        fo->steps[n++] = XRES_STEP_STOP;
        fo->steps[n++] = XRES_STEP_ENGAGE;
        fo->steps[n++] = XRES_STEP_START;
        fo->steps[n++] = XRES_STEP_RELEASE;
        fo->steps[n++] = XRES_STEP_COMMIT;
        break;
    }
    fo->nsteps = n;
    fo->started_ms = fo->step_ms = snap->now_ms;
    fo->act_domid = p->active;
    fo->sb_domid = p->standby;
    fo->act_weight = a ? a->weight : -1;
    fo->act_cap = a ? a->cap : -1;
    fo->act_target0 = a ? a->target_kb : 0;
    fo->act_cur0 = a ? a->cur_kb : 0;
    fo->act_maxmem0 = a ? (a->static_max_kb ? a->static_max_kb
                                            : a->xen_max_kb) : 0;
    fo->sb_target0 = s->target_kb;
    fo->sb_maxmem0 = s->static_max_kb ? s->static_max_kb : s->xen_max_kb;
    fo->free0 = snap->free_kb;
    fo->reserve_cfg_kb = reserve_kb;
    p->state = XRES_PAIR_FAILING;
    return 0;
}

static const xres_pair_ack *find_ack(const xres_pair_guest_obs *g,
                                     uint64_t seq)
{
    if (!g) return NULL;
    for (size_t i = 0; i < g->nacks && i < XRES_PAIR_ACKS_MAX; i++)
        if (g->acks[i].seq == seq) return &g->acks[i];
    return NULL;
}

/* The sub-th action of the current step, if there is one. */
static bool step_action(const xres_pair *p, const xres_host *snap,
                        xres_fo_step step, unsigned sub, xres_action *act)
{
    const xres_pair_fo *fo = &p->fo;
    const xres_domain *a;
    char w[96];

    switch (step) {
    case XRES_STEP_FENCE:
        if (sub > 0) return false;
        a = xres_host_find(snap, fo->act_domid);
        if (!a || a->dying) return false;           /* already gone */
        if (p->cfg.preserve) {
            if (a->paused || a->shutdown) return false;
            snprintf(w, sizeof(w), "pair %s: fence old active (keep for "
                     "dump)", p->name);
            memset(act, 0, sizeof(*act));
            act->kind = XRES_ACT_PAUSE;
        } else {
            snprintf(w, sizeof(w), "pair %s: fence old active", p->name);
            memset(act, 0, sizeof(*act));
            act->kind = XRES_ACT_DESTROY;
        }
        act->domid = fo->act_domid;
        snprintf(act->why, sizeof(act->why), "%s", w);
        return true;

    case XRES_STEP_PLAN:
    case XRES_STEP_COMMIT:
        return false;

    case XRES_STEP_STOP:
        if (sub > 0 || !dom_alive(xres_host_find(snap, fo->act_domid)))
            return false;           /* gone: nothing to stop or release */
        snprintf(w, sizeof(w), "pair %s: stop %s on the active", p->name,
                 fo->app);
        req_action(act, fo->act_domid, "stop", fo->app, fo->seq0 + SEQ_STOP,
                   w);
        return true;

    case XRES_STEP_RELEASE:
        if (!dom_alive(xres_host_find(snap, fo->act_domid))) return false;
        snprintf(w, sizeof(w), "pair %s: release %s from the active",
                 p->name, fo->app);
        switch (sub) {
        case 0:
            /* Target first: libxl refuses a maxmem below the target. */
            mem_action(act, XRES_ACT_SET_TARGET, fo->act_domid,
                       fo->act_target0 - fo->bound_kb, w);
            return true;
        case 1: {
            /* "release KB": the agent lets the balloon go down to KB. */
            char arg[XRES_ACT_ARG_MAX];
            snprintf(arg, sizeof(arg), "%" PRIu64,
                     fo->act_target0 - fo->bound_kb);
            req_action(act, fo->act_domid, "release", arg,
                       fo->seq0 + SEQ_RELEASE, w);
            return true;
        }
        case 2:
            mem_action(act, XRES_ACT_SET_MAXMEM, fo->act_domid,
                       fo->act_maxmem0 - fo->bound_kb, w);
            return true;
        default:
            return false;
        }

    case XRES_STEP_ENGAGE:
        snprintf(w, sizeof(w), "pair %s: engage %" PRIu64 " KiB into the "
                 "standby", p->name, fo->bound_kb);
        if (!fo->bound_kb) return false;
        switch (sub) {
        case 0: {
            uint64_t mx = fo->sb_target0 + fo->bound_kb;
            if (mx < fo->sb_maxmem0) mx = fo->sb_maxmem0;
            mem_action(act, XRES_ACT_SET_MAXMEM, fo->sb_domid, mx, w);
            return true;
        }
        case 1:
            mem_action(act, XRES_ACT_SET_TARGET, fo->sb_domid,
                       fo->sb_target0 + fo->bound_kb, w);
            return true;
        case 2: {
            /* "engage KB": the standby's agent onlines what was added. */
            char arg[XRES_ACT_ARG_MAX];
            snprintf(arg, sizeof(arg), "%" PRIu64, fo->bound_kb);
            req_action(act, fo->sb_domid, "engage", arg,
                       fo->seq0 + SEQ_ENGAGE, w);
            return true;
        }
        default:
            return false;
        }

    case XRES_STEP_SCHED:
        if (sub > 0 || (fo->act_weight < 0 && fo->act_cap < 0)) return false;
        memset(act, 0, sizeof(*act));
        act->kind = XRES_ACT_SET_SCHED;
        act->domid = fo->sb_domid;
        act->u.sched.weight = fo->act_weight;
        act->u.sched.cap = fo->act_cap;
        snprintf(act->why, sizeof(act->why), "pair %s: weight and cap of "
                 "the old active to the standby", p->name);
        return true;

    case XRES_STEP_START: {
        unsigned k = 0;
        for (size_t i = 0; i < p->nareas; i++) {
            if (!(fo->start_mask & (1u << i))) continue;
            if (k++ != sub) continue;
            snprintf(w, sizeof(w), "pair %s: start %s on the standby",
                     p->name, p->areas[i].name);
            req_action(act, fo->sb_domid, "start", p->areas[i].name,
                       fo->seq0 + SEQ_START(i), w);
            return true;
        }
        return false;
    }
    default:
        return false;
    }
}

static bool timed_out(const xres_pair_fo *fo, const xres_host *snap,
                      uint64_t limit)
{
    return limit && snap->now_ms >= fo->step_ms &&
           snap->now_ms - fo->step_ms >= limit;
}

static void do_plan(xres_pair *p, const xres_host *snap)
{
    xres_pair_fo *fo = &p->fo;
    uint64_t pool;

    fo->bound_kb = fo->return_kb = 0;
    fo->start_mask = 0;
    if (fo->kind == XRES_FO_DOMAIN) {
        for (size_t i = 0; i < p->nareas; i++) {
            xres_pair_area *ar = &p->areas[i];
            if (ar->owner != XRES_OWNER_ACTIVE) continue;
            if (ar->dest == XRES_DEST_STANDBY) {
                ar->moving = true;
                fo->bound_kb += ar->size_kb;
                if (ar->running) fo->start_mask |= 1u << i;
            } else {
                fo->return_kb += ar->size_kb;
            }
        }
    } else {
        int i = area_index(p, fo->app);
        if (i >= 0) {
            p->areas[i].moving = true;
            fo->bound_kb = p->areas[i].size_kb;
            fo->start_mask = 1u << i;
        }
    }
    fo->seq0 = p->next_seq;
    p->next_seq += SEQ_SPAN;

    /* What the reserve lends: for the reserve path the whole area; else
     * whatever the free pool above the reserve cannot cover now. */
    pool = snap->free_kb > fo->reserve_cfg_kb
        ? snap->free_kb - fo->reserve_cfg_kb : 0;
    if (fo->kind == XRES_FO_APP_RESERVE)
        fo->reserve_kb = fo->bound_kb;
    else if (fo->kind == XRES_FO_DOMAIN && fo->bound_kb > pool)
        fo->reserve_kb = fo->bound_kb - pool;
    else
        fo->reserve_kb = 0;
}

static void do_commit(xres_pair *p)
{
    xres_pair_fo *fo = &p->fo;

    for (size_t i = 0; i < p->nareas; i++) {
        xres_pair_area *ar = &p->areas[i];
        if (ar->moving) {
            ar->owner = XRES_OWNER_STANDBY;
            ar->running = (fo->start_mask & (1u << i)) &&
                          !(fo->failed_mask & (1u << i));
            ar->moving = false;
            ar->restarts = 0;
        } else if (fo->kind == XRES_FO_DOMAIN &&
                   ar->owner == XRES_OWNER_ACTIVE) {
            ar->owner = XRES_OWNER_HOST;
            ar->running = false;
        }
    }
    /* What was engaged stays in the standby: balancing may not take it. */
    if (fo->bound_kb && fo->sb_target0 + fo->bound_kb > p->sb_floor_kb)
        p->sb_floor_kb = fo->sb_target0 + fo->bound_kb;
    if (fo->reserve_kb) {
        p->debt_kb += fo->reserve_kb;
        p->debt_domid = fo->act_domid;
        p->debt_until_kb = fo->kind == XRES_FO_DOMAIN
            ? 0 : fo->act_target0 - fo->bound_kb + p->cfg.tol_kb;
    }
    p->state = fo->kind == XRES_FO_DOMAIN ? XRES_PAIR_FAILED_OVER
                                          : XRES_PAIR_NORMAL;
}

static void finish(xres_pair *p, const xres_host *snap)
{
    xres_pair_fo *fo = &p->fo;
    xres_pair_logent *e;

    if (p->nlog == XRES_PAIR_LOG_MAX) {
        memmove(&p->log[0], &p->log[1], (XRES_PAIR_LOG_MAX - 1) *
                sizeof(p->log[0]));
        p->nlog--;
    }
    e = &p->log[p->nlog++];
    memset(e, 0, sizeof(*e));
    e->started_ms = fo->started_ms;
    e->ended_ms = snap->now_ms;
    e->kind = fo->kind;
    snprintf(e->app, sizeof(e->app), "%s", fo->app);
    snprintf(e->why, sizeof(e->why), "%s", fo->why);
    e->bound_kb = fo->bound_kb;
    e->return_kb = fo->return_kb;
    e->reserve_kb = fo->reserve_kb;
    e->failed_mask = fo->failed_mask;

    memset(&p->lat, 0, sizeof(p->lat));
    p->lat.valid = true;
    p->lat.kind = fo->kind;
    p->lat.total_ms = e->ended_ms - e->started_ms;
    p->lat.toolstack_us = fo->busy_us;
    if (fo->target_ms >= fo->started_ms && fo->target_ms)
        p->lat.targets_ms = fo->target_ms - fo->started_ms;
    if (fo->reached_ms >= fo->target_ms && fo->target_ms)
        p->lat.balloon_ms = fo->reached_ms - fo->target_ms;
    if (fo->acked_ms >= fo->startreq_ms && fo->startreq_ms)
        p->lat.start_ms = fo->acked_ms - fo->startreq_ms;
    p->lat.guest_ms = p->lat.balloon_ms + p->lat.start_ms;
    memset(fo, 0, sizeof(*fo));
}

static void next_step(xres_pair_fo *fo, const xres_host *snap)
{
    if (fo->steps[fo->pos] == XRES_STEP_ENGAGE && fo->target_ms)
        fo->reached_ms = snap->now_ms;
    if (fo->steps[fo->pos] == XRES_STEP_START && fo->startreq_ms)
        fo->acked_ms = snap->now_ms;
    fo->done |= 1u << fo->steps[fo->pos];
    fo->pos++;
    fo->sub = 0;
    fo->step_ms = snap->now_ms;
}

/* Does the current step's condition hold?  May update the plan. */
static bool step_cond(xres_pair *p, const xres_host *snap,
                      const xres_pair_obs *obs, xres_fo_step step)
{
    xres_pair_fo *fo = &p->fo;
    const xres_domain *a, *s;

    switch (step) {
    case XRES_STEP_FENCE:
        a = xres_host_find(snap, fo->act_domid);
        /* Two actives must never run: gone, dying, or paused. */
        return !a || a->dying ||
               (p->cfg.preserve && (a->paused || a->shutdown));

    case XRES_STEP_PLAN:
        do_plan(p, snap);
        return true;

    case XRES_STEP_STOP:
        if (fo->kind == XRES_FO_APP_RESERVE) return true;
        a = xres_host_find(snap, fo->act_domid);
        if (!a || a->dying || a->shutdown) return true;  /* no ack coming */
        return find_ack(obs ? &obs->active : NULL, fo->seq0 + SEQ_STOP) ||
               timed_out(fo, snap, p->cfg.ack_timeout_ms);

    case XRES_STEP_RELEASE:
        if (fo->kind == XRES_FO_APP_RESERVE) return true;
        a = xres_host_find(snap, fo->act_domid);
        if (!dom_alive(a)) return true;     /* its memory is freed anyway */
        if (a->cur_kb <= fo->act_target0 - fo->bound_kb + p->cfg.tol_kb)
            return true;
        /* Hung: lend from the reserve rather than wait for ever. */
        if (timed_out(fo, snap, p->cfg.release_timeout_ms) &&
            fo->reserve_cfg_kb >= fo->bound_kb &&
            snap->free_kb >= fo->bound_kb) {
            fo->kind = XRES_FO_APP_RESERVE;
            fo->reserve_kb = fo->bound_kb;
            return true;
        }
        return false;

    case XRES_STEP_ENGAGE:
        if (!fo->bound_kb) return true;
        s = xres_host_find(snap, fo->sb_domid);
        return s && s->cur_kb + p->cfg.tol_kb >= fo->sb_target0 +
               fo->bound_kb;

    case XRES_STEP_SCHED:
    case XRES_STEP_COMMIT:
        if (step == XRES_STEP_COMMIT) do_commit(p);
        return true;

    case XRES_STEP_START: {
        bool late = timed_out(fo, snap, p->cfg.ack_timeout_ms);
        uint32_t acked = 0, failed = 0;

        for (size_t i = 0; i < p->nareas; i++) {
            const xres_pair_ack *k;
            if (!(fo->start_mask & (1u << i))) continue;
            k = find_ack(obs ? &obs->standby : NULL,
                         fo->seq0 + SEQ_START(i));
            if (k && k->rc == 0) acked |= 1u << i;
            else if (k || late) failed |= 1u << i;
            else return false;
        }
        fo->acked_mask = acked;
        fo->failed_mask = failed;
        return true;
    }
    default:
        return true;
    }
}

xres_fo_result xres_pair_fo_run(xres_pair *p, const xres_host *snap,
                                const xres_pair_obs *obs,
                                xres_actions *acts)
{
    xres_pair_fo *fo = &p->fo;
    xres_fo_step step;
    xres_action act;
    const xres_domain *s;

    if (fo->kind == XRES_FO_NONE) return XRES_FO_IDLE;
    if (fo->pos >= fo->nsteps || fo->nsteps > XRES_FO_SEQ_MAX) {
        finish(p, snap);
        return XRES_FO_FINISHED;
    }
    step = fo->steps[fo->pos];

    /* Without a standby there is nothing to fail over to.  Before the
     * commit the table is unchanged; the fence (if done) stays done. */
    s = xres_host_find(snap, fo->sb_domid);
    if (step != XRES_STEP_COMMIT && !dom_alive(s)) {
        for (size_t i = 0; i < p->nareas; i++) p->areas[i].moving = false;
        snprintf(fo->why, sizeof(fo->why), "aborted: standby dom%" PRIu32
                 " gone at step %s", fo->sb_domid, xres_fo_step_name(step));
        fo->bound_kb = fo->return_kb = fo->reserve_kb = 0;
        finish(p, snap);
        p->state = XRES_PAIR_DEGRADED;
        return XRES_FO_FINISHED;
    }

    if (step_action(p, snap, step, fo->sub, &act)) {
        if (xres_actions_push(acts, &act)) return XRES_FO_WAIT;
        fo->sub++;
        return XRES_FO_ACT;
    }
    if (!step_cond(p, snap, obs, step)) return XRES_FO_WAIT;
    next_step(fo, snap);
    if (fo->pos >= fo->nsteps) {
        finish(p, snap);
        return XRES_FO_FINISHED;
    }
    return XRES_FO_ADVANCED;
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
        set_why(why, whylen, "pair %s: a failover is still running",
                p->name);
        return -EBUSY;
    }
    if (p->state != XRES_PAIR_FAILED_OVER) {
        set_why(why, whylen, "pair %s is %s: failback follows a whole-"
                "domain failover", p->name, xres_pair_state_name(p->state));
        return -EINVAL;
    }
    if (!dom_alive(na)) {
        set_why(why, whylen, "old standby dom%" PRIu32 " is not running",
                p->standby);
        return -ENOENT;
    }
    if (new_standby == p->standby || new_standby == 0) {
        set_why(why, whylen, "the new standby must be another domU");
        return -EINVAL;
    }
    if (!dom_alive(ns)) {
        set_why(why, whylen, "new standby domain %" PRIu32 " is not running",
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

