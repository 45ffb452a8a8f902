/*
 * dom0/policy/pair_fault.c: what a pair does about a fault (policy_pair.h):
 * domain events, the active's heartbeat and app fault levels, and level-1
 * restarts in place.  Pure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pair_internal.h"

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
    xres_pair_req_action(&act, p->active, "start", app, p->next_seq++, w);
    return xres_actions_push(acts, &act);
}

