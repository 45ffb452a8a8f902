/*
 * dom0/daemon/daemon_pair.c: the xresd subsystem for hot-standby domain pairs.
 *
 * Keeps every pair (policy_pair.h) in memory and in XenStore
 * (pair_store.h), reacts to domain shutdown/death events, agent reports
 * (app start/stop, fault levels, acks) and the heartbeat, and starts
 * failovers, which pair_drive.c drives one stored step at a time.  Nothing
 * here blocks: waiting steps are re-checked on the next event, report or
 * tick.  The IPC commands are in pair_cmd.c, the guests' side (requests,
 * acks, app status, heartbeat) in pair_guest.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actuator.h"
#include "agent_report.h"
#include "pair_priv.h"
#include "pair_store.h"
#include "subsys.h"
#include "util.h"
#include "xs_schema.h"

static int pair_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_pair_params *par = malloc(sizeof(*par));
    char err[512] = "";
    int rc;

    (void)d;
    if (!par) return -ENOMEM;
    rc = xres_pair_params_from_config(cfg, par, err, sizeof(err));
    if (rc) XLOG_ERR("%s", err);
    free(par);
    return rc;
}

static void declare(xres_daemon *d);

/* Settings and declarations from d->cfg, which check_config accepted. */
static int load_config(xres_daemon *d)
{
    pair_priv *pp = PP(d);
    char err[512] = "";
    int rc;

    memset(pp->decl_state, 0, sizeof(pp->decl_state));
    rc = xres_pair_params_from_config(&d->cfg, &pp->par, err, sizeof(err));
    if (rc) XLOG_ERR("%s", err);
    return rc;
}

static void pair_reload(xres_daemon *d)
{
    if (!PP(d)) return;
    load_config(d);
    declare(d);
}

void pair_save(xres_daemon *d, const xres_pair *p)
{
    int rc = xres_pair_store_save_state(d->be, p);

    if (rc) XLOG_ERR("pair %s: cannot store its state: %s", p->name,
                     strerror(-rc));
}

xres_pair *pair_find(xres_daemon *d, const char *name)
{
    pair_priv *pp = PP(d);

    for (size_t i = 0; i < pp->n; i++)
        if (!strcmp(pp->v[i]->name, name)) return pp->v[i];
    return NULL;
}

xres_pair *pair_of_domain(xres_daemon *d, uint32_t domid)
{
    pair_priv *pp = PP(d);

    for (size_t i = 0; i < pp->n; i++)
        if (pp->v[i]->active == domid || pp->v[i]->standby == domid)
            return pp->v[i];
    return NULL;
}

bool pair_of_domain_const(xres_daemon *d, uint32_t domid)
{
    return domid && pair_of_domain(d, domid) != NULL;
}

bool pair_active_lost(xres_daemon *d, const xres_pair *p)
{
    const xres_domain *a = xres_host_find(&d->host, p->active);
    return !a || a->dying || a->shutdown;
}

/* Memory balancing keeps the standby at what a failover engaged into it
 * (xres_domain.mem_floor_kb); every other member has no floor from us. */
void pair_set_floors(xres_daemon *d, const xres_pair *p)
{
    uint64_t kb = xres_pair_mem_floor(p, p->standby);

    if (p->standby) xres_daemon_set_mem_floor(d, p->standby, kb);
    if (p->active) xres_daemon_set_mem_floor(d, p->active, 0);
}

/* The failover counts of the pair called name; make: take a row (a free
 * one, or one of a pair that is gone) when it has none. */
static xres_metrics_pair *fo_row(xres_daemon *d, const char *name, bool make)
{
    pair_priv *pp = PP(d);
    xres_metrics_pair *free_row = NULL;

    for (size_t i = 0; i < PAIRS_MAX; i++) {
        xres_metrics_pair *r = &pp->fo_count[i];
        if (r->pair[0] && !strcmp(r->pair, name)) return r;
        if (!free_row && (!r->pair[0] || !pair_find(d, r->pair)))
            free_row = r;
    }
    if (!make || !free_row) return NULL;
    memset(free_row, 0, sizeof(*free_row));
    snprintf(free_row->pair, sizeof(free_row->pair), "%s", name);
    return free_row;
}

void pair_count_failover(xres_daemon *d, const xres_pair *p,
                         xres_fo_kind kind)
{
    xres_metrics_pair *r = fo_row(d, p->name, true);

    if (!r) return;
    if (kind == XRES_FO_DOMAIN) r->domain++;
    else r->app++;
}

/* Every pair's failover counts, for the metrics (metrics.h). */
void xres_paird_metrics(xres_daemon *d, xres_metrics_counters *c)
{
    pair_priv *pp = PP(d);

    if (!pp) return;
    c->npairs = 0;
    for (size_t i = 0; i < pp->n && i < PAIRS_MAX; i++) {
        const xres_metrics_pair *r = fo_row(d, pp->v[i]->name, false);
        xres_metrics_pair *o = &c->pairs[c->npairs++];
        memset(o, 0, sizeof(*o));
        if (r) *o = *r;
        snprintf(o->pair, sizeof(o->pair), "%s", pp->v[i]->name);
    }
}

int pair_begin(xres_daemon *d, xres_pair *p, xres_fo_kind kind,
                 const char *app, const char *why, char *err, size_t errlen)
{
    int rc;

    rc = pair_reserve_seqs(d, p, XRES_PAIR_SEQ_SPAN);
    if (rc) {
        snprintf(err, errlen, "pair %s: cannot reserve request numbers: %s",
                 p->name, strerror(-rc));
        return rc;
    }
    rc = xres_pair_fo_begin(p, kind, app, why, &d->host, PP(d)->par.reserve_kb,
                            err, errlen);
    if (rc) return rc;
    XLOG_WARN("pair %s: %s failover%s%s: %s", p->name,
              xres_fo_kind_name(p->fo.kind), app ? " of " : "",
              app ? app : "", why);
    pair_save(d, p);
    pair_drive(d, p);
    return 0;
}

void pair_handle(xres_daemon *d, xres_pair *p, const xres_pair_decision *dc)
{
    xres_pair_area *ar = dc->app[0] ? xres_pair_area_find(p, dc->app) : NULL;
    xres_actions acts;
    char err[256] = "";
    int rc;

    switch (dc->what) {
    case XRES_PAIR_DO_NOTHING:
        return;
    case XRES_PAIR_DO_DOMAIN_FAILOVER:
        rc = pair_begin(d, p, XRES_FO_DOMAIN, NULL, dc->why, err, sizeof(err));
        break;
    case XRES_PAIR_DO_APP_FAILOVER:
    case XRES_PAIR_DO_RESERVE_FAILOVER:
        if (ar) ar->fault_seq = dc->fault_seq;
        rc = pair_begin(d, p, dc->what == XRES_PAIR_DO_APP_FAILOVER
                   ? XRES_FO_APP : XRES_FO_APP_RESERVE, dc->app, dc->why,
                   err, sizeof(err));
        if (rc) pair_save(d, p);
        break;
    case XRES_PAIR_DO_RESTART:
        xres_actions_init(&acts);
        rc = pair_reserve_seqs(d, p, 1);
        if (!rc) rc = xres_pair_restart(p, dc->app, dc->fault_seq, &acts);
        for (size_t i = 0; !rc && i < acts.n; i++) {
            rc = xres_actuate(d, &acts.v[i]);
            if (!rc && acts.v[i].kind == XRES_ACT_AGENT_REQUEST)
                pair_loose_add(d, acts.v[i].domid, acts.v[i].u.req.seq);
        }
        xres_actions_dispose(&acts);
        XLOG_INFO("pair %s: %s", p->name, dc->why);
        pair_save(d, p);
        if (rc) snprintf(err, sizeof(err), "restart of %s: %s", dc->app,
                         strerror(-rc));
        break;
    case XRES_PAIR_DO_IGNORE_FAULT:
        if (ar) ar->fault_seq = dc->fault_seq;
        XLOG_WARN("pair %s: %s", p->name, dc->why);
        pair_save(d, p);
        return;
    case XRES_PAIR_DO_DEGRADE:
        if (p->state != XRES_PAIR_FAILING) p->state = XRES_PAIR_DEGRADED;
        XLOG_ERR("pair %s: %s: the pair has no standby now", p->name,
                 dc->why);
        pair_save(d, p);
        return;
    default:
        return;
    }
    if (rc) XLOG_ERR("pair %s: %s", p->name, err[0] ? err : strerror(-rc));
}

/* The agent says which declared apps run on the active: the table
 * follows (carve, extension, give back). */
static void sync_apps(xres_daemon *d, xres_pair *p, const xres_pair_obs *obs)
{
    bool changed = false;

    if (p->state != XRES_PAIR_NORMAL || p->fo.kind != XRES_FO_NONE) return;
    for (size_t i = 0; i < obs->active.napps; i++) {
        const xres_pair_app_obs *o = &obs->active.apps[i];
        xres_pair_area *ar = xres_pair_area_find(p, o->name);
        xres_actions acts;
        char why[256] = "";
        int rc = 0;

        if (o->asking) {
            if (pair_sync_ask(d, p, o)) changed = true;
            continue;
        }
        pair_ask_forget(d, p->active, o->name);         /* not asking */
        xres_actions_init(&acts);
        if (o->running && (!ar || (ar->owner == XRES_OWNER_ACTIVE &&
                                   !ar->running))) {
            rc = xres_pair_app_started(p, &d->host, o->name,
                                       PP(d)->par.reserve_kb, &acts, why,
                                       sizeof(why));
            /* Retried on every report (the pool may grow): a guest can
             * provoke this, so the message is rate-limited. */
            if (rc && xres_ratelimit_ok(&PP(d)->rl_guest, xres_daemon_now_ms(d)))
                XLOG_WARN("pair %s: %s", p->name, why);
            else if (!rc)
                changed = true;
        } else if (!o->running && !o->fault_level && ar &&
                   ar->owner == XRES_OWNER_ACTIVE && ar->running) {
            rc = xres_pair_app_stopped(p, o->name, &acts);
            if (!rc) changed = true;
        }
        for (size_t k = 0; k < acts.n; k++)
            xres_actuate(d, &acts.v[k]);
        xres_actions_dispose(&acts);
    }
    if (changed) pair_save(d, p);
}

void pair_look(xres_daemon *d, xres_pair *p)
{
    xres_pair_obs obs;
    xres_pair_decision dc;

    if (xres_pair_refill(p, &d->host)) {
        XLOG_INFO("pair %s: reserve refilled: the old active released its "
                  "memory", p->name);
        pair_save(d, p);
    }
    pair_set_floors(d, p);
    if (p->fo.kind != XRES_FO_NONE) {
        pair_drive(d, p);
        return;
    }
    pair_read_obs(d, p, &obs);
    sync_apps(d, p, &obs);
    xres_pair_check(p, &d->host, &obs, &dc);
    pair_handle(d, p, &dc);
}

static bool runs(const xres_domain *x)
{
    return x && !x->shutdown && !x->dying;
}

/* Creates each declared pair that does not exist yet, once both its
 * domains run.  A pair of that name made at run time (xres pair-create,
 * or stored from before) wins over the file, and so does a run-time pair
 * that holds one of the declared domains; both are logged once. */
static void declare(xres_daemon *d)
{
    pair_priv *pp = PP(d);
    const char *file = d->cfg.path ? d->cfg.path : "xres.conf";

    for (size_t i = 0; i < pp->par.ndecl; i++) {
        const xres_pair_decl *x = &pp->par.decl[i];
        xres_pair *p = pair_find(d, x->name);
        const xres_domain *a, *s;
        xres_pair *pa, *ps;
        xres_pair_cfg cfg = pp->par.defaults;
        char why[320] = "", by[300];
        int rc;

        if (pp->decl_state[i] == DECL_DONE) continue;
        if (p) {
            if (!strcmp(p->active_name, x->active) &&
                !strcmp(p->standby_name, x->standby))
                XLOG_INFO("pair %s (declared in %s) exists already; kept as "
                          "it is", x->name, file);
            else
                XLOG_WARN("pair %s: %s declares active %s, standby %s; the "
                          "pair made at run time (active %s, standby %s) "
                          "wins", x->name, file, x->active, x->standby,
                          p->active_name, p->standby_name);
            pp->decl_state[i] = DECL_DONE;
            continue;
        }
        a = xres_host_find_name(&d->host, x->active);
        s = xres_host_find_name(&d->host, x->standby);
        pa = a ? pair_of_domain(d, a->domid) : NULL;
        ps = s ? pair_of_domain(d, s->domid) : NULL;
        if (pa || ps) {
            XLOG_WARN("pair %s (declared in %s) not created: %s is already "
                      "in pair %s, made at run time, which wins", x->name,
                      file, pa ? x->active : x->standby,
                      pa ? pa->name : ps->name);
            pp->decl_state[i] = DECL_DONE;
            continue;
        }
        if (!runs(a) || !runs(s)) {
            if (pp->decl_state[i] != DECL_WAITING)
                XLOG_INFO("pair %s (declared in %s) waits: domain %s is not "
                          "running", x->name, file,
                          !runs(a) ? x->active : x->standby);
            pp->decl_state[i] = DECL_WAITING;
            continue;
        }
        snprintf(by, sizeof(by), "declared in %s", file);
        rc = pair_create(d, x->name, a, s, x->apps, x->napps, &cfg, by, why,
                         sizeof(why));
        if (rc == -ENOMEM) continue;            /* next tick */
        if (rc)
            XLOG_ERR("pair %s (declared in %s) not created: %s", x->name,
                     file, why);
        pp->decl_state[i] = DECL_DONE;
    }
}

int pair_add(xres_daemon *d, xres_pair *p)
{
    pair_priv *pp = PP(d);

    if (pp->n == PAIRS_MAX) return -ENOSPC;
    pp->v[pp->n++] = p;
    pair_watch_acks(d, p->active, true);
    pair_watch_acks(d, p->standby, true);
    return 0;
}

static int pair_init(xres_daemon *d)
{
    pair_priv *pp = calloc(1, sizeof(*pp));
    char **names = NULL;
    unsigned n = 0;
    int rc;

    if (!pp) return -ENOMEM;
    (void)xres_daemon_set_priv(d, &xres_subsys_pair, pp);
    xres_ratelimit_init(&pp->rl_guest, 5, 0.1);
    rc = load_config(d);
    if (rc) return rc;
    rc = xres_pair_store_list(d->be, &names, &n);
    if (rc) {
        XLOG_ERR("cannot list stored pairs: %s", strerror(-rc));
        return rc;
    }
    for (unsigned i = 0; i < n; i++) {
        xres_pair *p = calloc(1, sizeof(*p));
        if (!p) { rc = -ENOMEM; break; }
        rc = xres_pair_store_load(d->be, names[i], p);
        if (rc) {
            XLOG_ERR("pair %s: stored state unreadable (%s); left alone",
                     names[i], strerror(-rc));
            free(p);
            rc = 0;
            continue;
        }
        if (pair_add(d, p)) {
            XLOG_ERR("pair %s: too many pairs", p->name);
            free(p);
            continue;
        }
        pair_set_floors(d, p);
        if (p->fo.kind != XRES_FO_NONE) {
            XLOG_WARN("pair %s: resuming the %s failover at step %s",
                      p->name, xres_fo_kind_name(p->fo.kind),
                      p->fo.pos < p->fo.nsteps
                      ? xres_fo_step_name(p->fo.steps[p->fo.pos]) : "end");
            pair_drive(d, p);
        } else if (p->state == XRES_PAIR_NORMAL) {
            const xres_domain *a = xres_host_find(&d->host, p->active);
            xres_pair_decision dc;
            memset(&dc, 0, sizeof(dc));
            if (pair_active_lost(d, p)) {
                dc.what = XRES_PAIR_DO_DOMAIN_FAILOVER;
                snprintf(dc.why, sizeof(dc.why), "active dom%" PRIu32
                         " %s while xresd was not running", p->active,
                         a ? "shut down" : "gone");
                pair_handle(d, p, &dc);
            }
        }
    }
    xres_pair_store_free_names(names, n);
    XLOG_INFO("pairs: %zu loaded, reserve %" PRIu64 " MiB", pp->n,
              pp->par.reserve_kb / 1024);
    declare(d);
    return rc;
}

static void pair_dispose(xres_daemon *d)
{
    pair_priv *pp = PP(d);

    if (!pp) return;
    for (size_t i = 0; i < pp->n; i++) free(pp->v[i]);
    free(pp);
    (void)xres_daemon_set_priv(d, &xres_subsys_pair, NULL);
}

static void pair_tick(xres_daemon *d)
{
    pair_priv *pp = PP(d);

    if (pp) declare(d);
    for (size_t i = 0; pp && i < pp->n; i++) pair_look(d, pp->v[i]);
    if (pp) pair_sweep_requests(d);
}

static void pair_on_report(xres_daemon *d, uint32_t domid)
{
    xres_pair *p = pair_of_domain(d, domid);

    if (p) pair_look(d, p);
}

/* Is path an ack, under domid's data/xres/ack, that the failover of p
 * waits for?  A guest rewriting other keys there wakes nothing. */
static bool awaited_ack(const char *path, uint32_t domid, const xres_pair *p)
{
    uint64_t seq;

    if (!p->fo.seq0) return false;
    if (xres_agent_request_ack_of(path, domid, &seq)) return false;
    return seq >= p->fo.seq0 && seq < p->fo.seq0 + XRES_PAIR_SEQ_SPAN;
}

static void pair_on_event(xres_daemon *d, const xres_event *ev)
{
    pair_priv *pp = PP(d);

    if (!pp) return;
    if (ev->kind == XRES_EV_WATCH) {
        /* An ack under one of our domains' data/xres/ack: drive the
         * failovers that wait for one. */
        for (size_t i = 0; i < pp->n; i++) {
            xres_pair *p = pp->v[i];
            if (p->fo.kind == XRES_FO_NONE) continue;
            if (awaited_ack(ev->path, p->active, p) ||
                awaited_ack(ev->path, p->standby, p))
                pair_drive(d, p);
        }
        return;
    }
    for (size_t i = 0; i < pp->n; i++) {
        xres_pair *p = pp->v[i];
        xres_pair_decision dc;

        xres_pair_on_domain_event(p, ev->domid,
                                  ev->kind == XRES_EV_DOMAIN_DEATH,
                                  ev->reason, &dc);
        pair_handle(d, p, &dc);
        if (p->fo.kind != XRES_FO_NONE && p->fo.act_domid == ev->domid)
            pair_drive(d, p);
    }
}

const xres_subsys xres_subsys_pair = {
    .name = "pair",
    .init = pair_init,
    .dispose = pair_dispose,
    .check_config = pair_check_config,
    .reload = pair_reload,
    .tick = pair_tick,
    .on_report = pair_on_report,
    .on_event = pair_on_event,
    .command = pair_command,
    .fill_domain_json = pair_fill,
};
