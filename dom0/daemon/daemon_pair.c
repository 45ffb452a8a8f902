/*
 * dom0/daemon/daemon_pair.c: the xresd subsystem for hot-standby domain pairs.
 *
 * Keeps every pair (policy_pair.h) in memory and in XenStore
 * (pair_store.h), reacts to domain shutdown/death events, agent reports
 * (app start/stop, fault levels, acks) and the heartbeat, and drives
 * failovers one stored step at a time.  Nothing here blocks: waiting steps
 * are re-checked on the next event, report or tick.  IPC commands:
 * pair-create, pair-list, pair-show, failover, failback, pair-delete.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actuator.h"
#include "agent_report.h"
#include "daemon.h"
#include "ipc.h"
#include "pair_store.h"
#include "policy_pair.h"
#include "subsys.h"
#include "util.h"
#include "xs_schema.h"

#define PAIRS_MAX 32
#define LOOSE_MAX 64        /* requests outside failovers awaiting an ack */
#define PAIR_ACK_TOKEN "pair:ack"
/* Passes over a failover per call: an action may make the next condition
 * true once the snapshot is fresh (a fence, a balloon already there). */
#define DRIVE_PASSES 4
/* While a failover waits for something that is no event (a balloon on
 * its way, a timeout), look again this often rather than a full tick
 * (then less often as the step gets older). */
#define PAIR_CHECK_MS 200

/* The agent's report sequence number as last read, and when it last
 * changed: the heartbeat, when the core does not give one. */
typedef struct {
    uint32_t domid;
    uint64_t seq;
    uint64_t changed_ms;
} heartbeat;

typedef struct {
    size_t n;
    xres_pair *v[PAIRS_MAX];
    uint64_t reserve_kb;
    xres_pair_cfg defaults;
    heartbeat hb[2 * PAIRS_MAX];
    size_t nloose;
    struct { uint32_t domid; uint64_t seq; } loose[LOOSE_MAX];
    xres_ratelimit rl_guest;    /* messages a guest can provoke */
    /* Pairs declared in xres.conf, and what became of each. */
    size_t ndecl;
    xres_pair_decl decl[PAIRS_MAX];
    enum { DECL_PENDING = 0, DECL_WAITING, DECL_DONE } decl_state[PAIRS_MAX];
} pair_priv;

static pair_priv *PP(xres_daemon *d) { return d->priv.pair; }
static bool pair_of_domain_const(xres_daemon *d, uint32_t domid);
static void sweep_requests(xres_daemon *d);
static void loose_add(xres_daemon *d, uint32_t domid, uint64_t seq);

/*----- configuration -----*/

static int read_config(const xres_config *cfg, uint64_t *reserve_kb,
                       xres_pair_cfg *def, char *err, size_t errlen)
{
    long v;
    int rc;

    xres_pair_cfg_default(def);
    rc = xres_config_size_kb(cfg, "pair_reserve", 0, reserve_kb, err, errlen);
    if (rc) return rc;
    rc = xres_config_long(cfg, "pair_restarts", 0, 100,
                          (long)def->max_restarts, &v, err, errlen);
    if (rc) return rc;
    def->max_restarts = (unsigned)v;
    rc = xres_config_long(cfg, "pair_heartbeat_timeout_ms", 0, 3600000,
                          (long)def->heartbeat_timeout_ms, &v, err, errlen);
    if (rc) return rc;
    def->heartbeat_timeout_ms = (uint64_t)v;
    rc = xres_config_long(cfg, "pair_release_timeout_ms", 0, 3600000,
                          (long)def->release_timeout_ms, &v, err, errlen);
    if (rc) return rc;
    def->release_timeout_ms = (uint64_t)v;
    rc = xres_config_long(cfg, "pair_ack_timeout_ms", 0, 3600000,
                          (long)def->ack_timeout_ms, &v, err, errlen);
    if (rc) return rc;
    def->ack_timeout_ms = (uint64_t)v;
    return 0;
}

static int pair_check_config(xres_daemon *d, const xres_config *cfg)
{
    uint64_t r;
    xres_pair_cfg c;
    xres_pair_decl *v = calloc(PAIRS_MAX, sizeof(*v));
    size_t n;
    char err[512] = "";
    int rc;

    (void)d;
    if (!v) return -ENOMEM;
    rc = read_config(cfg, &r, &c, err, sizeof(err));
    if (!rc) rc = xres_pair_decls_of_config(cfg, v, PAIRS_MAX, &n, err,
                                            sizeof(err));
    if (rc) XLOG_ERR("%s", err);
    free(v);
    return rc;
}

static void load_decls(xres_daemon *d)
{
    pair_priv *pp = PP(d);
    char err[512] = "";

    pp->ndecl = 0;
    memset(pp->decl_state, 0, sizeof(pp->decl_state));
    /* check_config accepted this configuration already. */
    if (xres_pair_decls_of_config(&d->cfg, pp->decl, PAIRS_MAX, &pp->ndecl,
                                  err, sizeof(err))) {
        XLOG_ERR("%s", err);
        pp->ndecl = 0;
    }
}

static void declare(xres_daemon *d);

static void pair_reload(xres_daemon *d)
{
    pair_priv *pp = PP(d);
    char err[256] = "";

    if (!pp) return;
    read_config(&d->cfg, &pp->reserve_kb, &pp->defaults, err, sizeof(err));
    load_decls(d);
    declare(d);
}


static void watch_acks(xres_daemon *d, uint32_t domid, bool on)
{
    char path[XRES_SCHEMA_PATH_MAX];

    if (domid == 0 || domid == XRES_DOMID_INVALID) return;
    if (xres_schema_path(path, sizeof(path), XS_REPORT_ACK_DIR, domid, NULL))
        return;
    if (on) d->be->ops->xs_watch(d->be, path, PAIR_ACK_TOKEN);
    else d->be->ops->xs_unwatch(d->be, path, PAIR_ACK_TOKEN);
}

/*
 * Request sequence numbers are per guest (xres/seq).  Take n of them for
 * the pair on both of its domains (those that exist), above the pair's
 * own next_seq: the guest request channel moves both counters past them.
 */
static int reserve_seqs(xres_daemon *d, xres_pair *p, uint64_t n)
{
    uint32_t doms[2];
    size_t nd = 0;

    if (xres_host_find(&d->host, p->active)) doms[nd++] = p->active;
    if (xres_host_find(&d->host, p->standby)) doms[nd++] = p->standby;
    return xres_agent_request_reserve(d->be, doms, nd, p->next_seq, n,
                                      &p->next_seq);
}

static int pair_exec(void *ctx, const xres_action *act)
{
    return xres_actuate(ctx, act);
}

/*----- observations -----*/

static void guest_obs(xres_daemon *d, const xres_pair *p, uint32_t domid,
                      const uint64_t *seqs, size_t nseq,
                      xres_pair_guest_obs *g)
{
    memset(g, 0, sizeof(*g));
    if (!xres_host_find(&d->host, domid)) return;
    for (size_t i = 0; i < p->napps && g->napps < XRES_PAIR_APPS_MAX; i++) {
        const char *name = p->apps[i].name;
        xres_pair_app_obs *o;
        xres_agent_app app;

        /* Only the declared apps, each read and checked by the core's
         * reader (bad values are logged there, rate-limited). */
        if (!xres_schema_check_name(name, strlen(name))) continue;
        if (xres_daemon_read_agent_app(d->be, domid, name, &app,
                                       d->host.now_ms))
            continue;
        o = &g->apps[g->napps++];
        snprintf(o->name, sizeof(o->name), "%s", name);
        o->running = app.state == 0 && app.level == 0;  /* running */
        o->fault_level = app.level;
        if (!app.level && app.state == 2) o->fault_level = 2;  /* gave up */
        /* A new fault is a new (restarts, level); never 0. */
        o->fault_seq = o->fault_level
            ? ((uint64_t)app.restarts << 3 | o->fault_level) : 0;
    }
    for (size_t i = 0; i < nseq && g->nacks < XRES_PAIR_ACKS_MAX; i++) {
        xres_ack ack;

        if (xres_agent_request_ack_peek(d->be, domid, seqs[i], &ack))
            continue;
        g->acks[g->nacks].seq = seqs[i];
        g->acks[g->nacks].rc = ack.ok ? 0 : -EIO;
        g->nacks++;
    }
}

/* dom0 time of the last change of domid's report seq; 0 if never seen.
 * seq_rc, seq: what xres_agent_report_peek() gave for the domain now. */
static uint64_t heartbeat_of(xres_daemon *d, uint32_t domid, int seq_rc,
                             uint64_t seq)
{
    pair_priv *pp = PP(d);
    heartbeat *h = NULL, *free_slot = NULL;

    for (size_t i = 0; i < 2 * PAIRS_MAX; i++) {
        if (pp->hb[i].domid == domid && pp->hb[i].changed_ms) h = &pp->hb[i];
        if (!pp->hb[i].changed_ms && !free_slot) free_slot = &pp->hb[i];
    }
    if (seq_rc)
        return h ? h->changed_ms : 0;
    if (!h) {
        if (!free_slot) {
            /* Forget slots of domains that are gone. */
            for (size_t i = 0; i < 2 * PAIRS_MAX; i++)
                if (!pair_of_domain_const(d, pp->hb[i].domid))
                    memset(&pp->hb[i], 0, sizeof(pp->hb[i]));
            return 0;
        }
        h = free_slot;
        h->domid = domid;
        h->seq = seq;
        h->changed_ms = d->host.now_ms ? d->host.now_ms : 1;
    } else if (h->seq != seq) {
        h->seq = seq;
        h->changed_ms = d->host.now_ms ? d->host.now_ms : 1;
    }
    return h->changed_ms;
}

static void read_obs(xres_daemon *d, const xres_pair *p, xres_pair_obs *obs)
{
    uint64_t as[2], ss[XRES_PAIR_SEQ_SPAN];
    size_t na = 0, ns = 0;

    if (p->fo.kind != XRES_FO_NONE && p->fo.seq0) {
        as[na++] = p->fo.seq0;
        as[na++] = p->fo.seq0 + 1;
        for (uint64_t k = 2; k < XRES_PAIR_SEQ_SPAN; k++)
            ss[ns++] = p->fo.seq0 + k;
    }
    guest_obs(d, p, p->active, as, na, &obs->active);
    {
        const xres_domain *a = xres_host_find(&d->host, p->active);
        uint64_t seq = 0;
        unsigned ival = 0;
        int rc = xres_agent_report_peek(d->be, p->active, &seq, &ival);
        if (a && !a->agent.heartbeat_ms)
            obs->active.heartbeat_ms = heartbeat_of(d, p->active, rc, seq);
        if (!rc)
            obs->active.heartbeat_min_timeout_ms = 2ULL * ival * 1000 + 5000;
    }
    guest_obs(d, p, p->standby, ss,
              ns < XRES_PAIR_ACKS_MAX ? ns : XRES_PAIR_ACKS_MAX,
              &obs->standby);
}

/*----- the pairs -----*/

static void save(xres_daemon *d, const xres_pair *p)
{
    int rc = xres_pair_store_save_state(d->be, p);

    if (rc) XLOG_ERR("pair %s: cannot store its state: %s", p->name,
                     strerror(-rc));
}

static xres_pair *find_pair(xres_daemon *d, const char *name)
{
    pair_priv *pp = PP(d);

    for (size_t i = 0; i < pp->n; i++)
        if (!strcmp(pp->v[i]->name, name)) return pp->v[i];
    return NULL;
}

static xres_pair *pair_of_domain(xres_daemon *d, uint32_t domid)
{
    pair_priv *pp = PP(d);

    for (size_t i = 0; i < pp->n; i++)
        if (pp->v[i]->active == domid || pp->v[i]->standby == domid)
            return pp->v[i];
    return NULL;
}

static bool pair_of_domain_const(xres_daemon *d, uint32_t domid)
{
    return domid && pair_of_domain(d, domid) != NULL;
}

/* Requests and acks of a finished failover are read: remove them. */
static void cleanup_requests(xres_daemon *d, const xres_pair *p)
{
    uint64_t seq0 = p->next_seq >= XRES_PAIR_SEQ_SPAN
        ? p->next_seq - XRES_PAIR_SEQ_SPAN : 0;
    uint32_t doms[2] = { p->active, p->standby };

    for (int i = 0; i < 2; i++) {
        if (!xres_host_find(&d->host, doms[i])) continue;
        for (uint64_t k = 0; seq0 && k < XRES_PAIR_SEQ_SPAN; k++)
            (void)xres_agent_request_cancel(d->be, doms[i], seq0 + k);
    }
}

static bool active_lost(xres_daemon *d, const xres_pair *p)
{
    const xres_domain *a = xres_host_find(&d->host, p->active);
    return !a || a->dying || a->shutdown;
}

static void handle(xres_daemon *d, xres_pair *p, const xres_pair_decision *dc);

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Memory balancing keeps the standby at what a failover engaged into it
 * (xres_domain.mem_floor_kb); every other member has no floor from us. */
static void set_floors(xres_daemon *d, const xres_pair *p)
{
    uint64_t kb = xres_pair_mem_floor(p, p->standby);

    if (p->standby) xres_daemon_set_mem_floor(d, p->standby, kb);
    if (p->active) xres_daemon_set_mem_floor(d, p->active, 0);
}

static void log_latency(const xres_pair *p)
{
    const xres_pair_lat *l = &p->lat;

    if (!l->valid) return;
    XLOG_INFO("pair %s: %s failover timing: toolstack %" PRIu64 ".%03"
              PRIu64 " ms (xresd's own work), guest %" PRIu64 " ms (balloon "
              "%" PRIu64 " ms after the target was written, app start ack %"
              PRIu64 " ms), target written %" PRIu64 " ms after the fault, "
              "total %" PRIu64 " ms", p->name, xres_fo_kind_name(l->kind),
              l->toolstack_us / 1000, l->toolstack_us % 1000, l->guest_ms,
              l->balloon_ms, l->start_ms, l->targets_ms, l->total_ms);
}

static void drive(xres_daemon *d, xres_pair *p)
{
    xres_pair_obs obs;
    unsigned n;
    int rc = XRES_FO_IDLE;

    /* While a failover moves their memory, memory balancing leaves both
     * domains alone (it skips balloons on their way somewhere). */
    uint32_t act = p->fo.act_domid, sb = p->fo.sb_domid;
    if (p->fo.kind != XRES_FO_NONE) {
        xres_daemon_set_balloon_state(d, act, XRES_BALLOON_MOVING);
        xres_daemon_set_balloon_state(d, sb, XRES_BALLOON_MOVING);
    }
    for (int pass = 0; pass < DRIVE_PASSES && p->fo.kind != XRES_FO_NONE;
         pass++) {
        uint64_t t0 = now_us(), look_us;
        unsigned pos0 = p->fo.pos, sub0 = p->fo.sub;
        xres_daemon_refresh(d);
        read_obs(d, p, &obs);
        look_us = now_us() - t0;
        n = 0;
        rc = xres_pair_drive(d->be, p, &d->host, &obs, pair_exec, d, &n,
                             NULL, NULL);
        /* The snapshot and agent reads count as xresd's share when they
         * led somewhere (an action, a step done); a look that found the
         * guests still on their way is part of waiting for them. */
        if (rc == XRES_FO_FINISHED) p->lat.toolstack_us += look_us;
        else if (p->fo.pos != pos0 || p->fo.sub != sub0)
            p->fo.busy_us += look_us;
        if (rc < 0 || rc == XRES_FO_FINISHED || n == 0) break;
    }
    /* Still waiting (a balloon, an ack, a timeout): look again soon, not
     * only on the next report or a full tick later.  A step that takes
     * long (a guest that does not move) is looked at less and less often:
     * a quarter of its age, at most every tick. */
    if (p->fo.kind != XRES_FO_NONE) {
        uint64_t age = d->host.now_ms > p->fo.step_ms
            ? d->host.now_ms - p->fo.step_ms : 0;
        uint64_t wait = age / 4 > PAIR_CHECK_MS ? age / 4 : PAIR_CHECK_MS;
        xres_daemon_wake_at(d, xres_monotonic_ms() + wait);
    }
    if (rc == XRES_FO_FINISHED) {
        const xres_pair_logent *e = p->nlog ? &p->log[p->nlog - 1] : NULL;
        set_floors(d, p);
        xres_daemon_clear_balloon_state(d, act);
        xres_daemon_clear_balloon_state(d, sb);
        cleanup_requests(d, p);
        if (e)
            XLOG_INFO("pair %s: %s failover done in %" PRIu64 " ms: %" PRIu64
                      " MiB to standby dom%" PRIu32 ", %" PRIu64 " MiB back"
                      " to the host, %" PRIu64 " MiB from the reserve%s",
                      p->name, xres_fo_kind_name(e->kind),
                      e->ended_ms - e->started_ms, e->bound_kb / 1024,
                      p->standby, e->return_kb / 1024, e->reserve_kb / 1024,
                      e->failed_mask ? "; some apps did not start" : "");
        log_latency(p);
        /* The active may have died while an app failover ran (its event
         * found the pair busy): fail the whole domain over now. */
        if (p->state == XRES_PAIR_NORMAL && active_lost(d, p)) {
            xres_pair_decision dc;
            memset(&dc, 0, sizeof(dc));
            dc.what = XRES_PAIR_DO_DOMAIN_FAILOVER;
            snprintf(dc.why, sizeof(dc.why), "active dom%" PRIu32 " lost "
                     "during the app failover", p->active);
            handle(d, p, &dc);
        }
    }
}

static int begin(xres_daemon *d, xres_pair *p, xres_fo_kind kind,
                 const char *app, const char *why, char *err, size_t errlen)
{
    int rc;

    rc = reserve_seqs(d, p, XRES_PAIR_SEQ_SPAN);
    if (rc) {
        snprintf(err, errlen, "pair %s: cannot reserve request numbers: %s",
                 p->name, strerror(-rc));
        return rc;
    }
    rc = xres_pair_fo_begin(p, kind, app, why, &d->host, PP(d)->reserve_kb,
                            err, errlen);
    if (rc) return rc;
    XLOG_WARN("pair %s: %s failover%s%s: %s", p->name,
              xres_fo_kind_name(p->fo.kind), app ? " of " : "",
              app ? app : "", why);
    save(d, p);
    drive(d, p);
    return 0;
}

static void handle(xres_daemon *d, xres_pair *p, const xres_pair_decision *dc)
{
    xres_pair_area *ar = dc->app[0] ? xres_pair_area_find(p, dc->app) : NULL;
    xres_actions acts;
    char err[256] = "";
    int rc;

    switch (dc->what) {
    case XRES_PAIR_DO_NOTHING:
        return;
    case XRES_PAIR_DO_DOMAIN_FAILOVER:
        rc = begin(d, p, XRES_FO_DOMAIN, NULL, dc->why, err, sizeof(err));
        break;
    case XRES_PAIR_DO_APP_FAILOVER:
    case XRES_PAIR_DO_RESERVE_FAILOVER:
        if (ar) ar->fault_seq = dc->fault_seq;
        rc = begin(d, p, dc->what == XRES_PAIR_DO_APP_FAILOVER
                   ? XRES_FO_APP : XRES_FO_APP_RESERVE, dc->app, dc->why,
                   err, sizeof(err));
        if (rc) save(d, p);
        break;
    case XRES_PAIR_DO_RESTART:
        xres_actions_init(&acts);
        rc = reserve_seqs(d, p, 1);
        if (!rc) rc = xres_pair_restart(p, dc->app, dc->fault_seq, &acts);
        for (size_t i = 0; !rc && i < acts.n; i++) {
            rc = pair_exec(d, &acts.v[i]);
            if (!rc && acts.v[i].kind == XRES_ACT_AGENT_REQUEST)
                loose_add(d, acts.v[i].domid, acts.v[i].u.req.seq);
        }
        xres_actions_dispose(&acts);
        XLOG_INFO("pair %s: %s", p->name, dc->why);
        save(d, p);
        if (rc) snprintf(err, sizeof(err), "restart of %s: %s", dc->app,
                         strerror(-rc));
        break;
    case XRES_PAIR_DO_IGNORE_FAULT:
        if (ar) ar->fault_seq = dc->fault_seq;
        XLOG_WARN("pair %s: %s", p->name, dc->why);
        save(d, p);
        return;
    case XRES_PAIR_DO_DEGRADE:
        if (p->state != XRES_PAIR_FAILING) p->state = XRES_PAIR_DEGRADED;
        XLOG_ERR("pair %s: %s: the pair has no standby now", p->name,
                 dc->why);
        save(d, p);
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

        xres_actions_init(&acts);
        if (o->running && (!ar || (ar->owner == XRES_OWNER_ACTIVE &&
                                   !ar->running))) {
            rc = xres_pair_app_started(p, &d->host, o->name,
                                       PP(d)->reserve_kb, &acts, why,
                                       sizeof(why));
            /* Retried on every report (the pool may grow): a guest can
             * provoke this, so the message is rate-limited. */
            if (rc && xres_ratelimit_ok(&PP(d)->rl_guest, xres_monotonic_ms()))
                XLOG_WARN("pair %s: %s", p->name, why);
            else if (!rc)
                changed = true;
        } else if (!o->running && !o->fault_level && ar &&
                   ar->owner == XRES_OWNER_ACTIVE && ar->running) {
            rc = xres_pair_app_stopped(p, o->name, &acts);
            if (!rc) changed = true;
        }
        for (size_t k = 0; k < acts.n; k++)
            pair_exec(d, &acts.v[k]);
        xres_actions_dispose(&acts);
    }
    if (changed) save(d, p);
}

static void look(xres_daemon *d, xres_pair *p)
{
    xres_pair_obs obs;
    xres_pair_decision dc;

    if (xres_pair_refill(p, &d->host)) {
        XLOG_INFO("pair %s: reserve refilled: the old active released its "
                  "memory", p->name);
        save(d, p);
    }
    set_floors(d, p);
    if (p->fo.kind != XRES_FO_NONE) {
        drive(d, p);
        return;
    }
    read_obs(d, p, &obs);
    sync_apps(d, p, &obs);
    xres_pair_check(p, &d->host, &obs, &dc);
    handle(d, p, &dc);
}

/*----- pairs declared in xres.conf -----*/

static int create_pair(xres_daemon *d, const char *name,
                       const xres_domain *a, const xres_domain *s,
                       const xres_pair_app *av, size_t napps,
                       const xres_pair_cfg *cfg, const char *by,
                       char *why, size_t whylen);

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

    for (size_t i = 0; i < pp->ndecl; i++) {
        const xres_pair_decl *x = &pp->decl[i];
        xres_pair *p = find_pair(d, x->name);
        const xres_domain *a, *s;
        xres_pair *pa, *ps;
        xres_pair_cfg cfg = pp->defaults;
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
        rc = create_pair(d, x->name, a, s, x->apps, x->napps, &cfg, by, why,
                         sizeof(why));
        if (rc == -ENOMEM) continue;            /* next tick */
        if (rc)
            XLOG_ERR("pair %s (declared in %s) not created: %s", x->name,
                     file, why);
        pp->decl_state[i] = DECL_DONE;
    }
}

/*----- hooks -----*/

static int add_pair(xres_daemon *d, xres_pair *p)
{
    pair_priv *pp = PP(d);

    if (pp->n == PAIRS_MAX) return -ENOSPC;
    pp->v[pp->n++] = p;
    watch_acks(d, p->active, true);
    watch_acks(d, p->standby, true);
    return 0;
}

static int pair_init(xres_daemon *d)
{
    pair_priv *pp = calloc(1, sizeof(*pp));
    char **names = NULL, err[256] = "";
    unsigned n = 0;
    int rc;

    if (!pp) return -ENOMEM;
    d->priv.pair = pp;
    xres_ratelimit_init(&pp->rl_guest, 5, 0.1);
    rc = read_config(&d->cfg, &pp->reserve_kb, &pp->defaults, err,
                     sizeof(err));
    if (rc) {
        XLOG_ERR("%s", err);
        return rc;
    }
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
        if (add_pair(d, p)) {
            XLOG_ERR("pair %s: too many pairs", p->name);
            free(p);
            continue;
        }
        set_floors(d, p);
        if (p->fo.kind != XRES_FO_NONE) {
            XLOG_WARN("pair %s: resuming the %s failover at step %s",
                      p->name, xres_fo_kind_name(p->fo.kind),
                      p->fo.pos < p->fo.nsteps
                      ? xres_fo_step_name(p->fo.steps[p->fo.pos]) : "end");
            drive(d, p);
        } else if (p->state == XRES_PAIR_NORMAL) {
            const xres_domain *a = xres_host_find(&d->host, p->active);
            xres_pair_decision dc;
            memset(&dc, 0, sizeof(dc));
            if (active_lost(d, p)) {
                dc.what = XRES_PAIR_DO_DOMAIN_FAILOVER;
                snprintf(dc.why, sizeof(dc.why), "active dom%" PRIu32
                         " %s while xresd was not running", p->active,
                         a ? "shut down" : "gone");
                handle(d, p, &dc);
            }
        }
    }
    xres_pair_store_free_names(names, n);
    XLOG_INFO("pairs: %zu loaded, reserve %" PRIu64 " MiB", pp->n,
              pp->reserve_kb / 1024);
    load_decls(d);
    declare(d);
    return rc;
}

static void pair_dispose(xres_daemon *d)
{
    pair_priv *pp = PP(d);

    if (!pp) return;
    for (size_t i = 0; i < pp->n; i++) free(pp->v[i]);
    free(pp);
    d->priv.pair = NULL;
}

static void pair_tick(xres_daemon *d)
{
    pair_priv *pp = PP(d);

    if (pp) declare(d);
    for (size_t i = 0; pp && i < pp->n; i++) look(d, pp->v[i]);
    if (pp) sweep_requests(d);
}

static void pair_on_report(xres_daemon *d, uint32_t domid)
{
    xres_pair *p = pair_of_domain(d, domid);

    if (p) look(d, p);
}

/* Is path an ack, under domid's data/xres/ack, that the failover of p
 * waits for?  A guest rewriting other keys there wakes nothing. */
static bool awaited_ack(const char *path, uint32_t domid, const xres_pair *p)
{
    char dir[XRES_SCHEMA_PATH_MAX];
    uint64_t seq;
    size_t n;

    if (!p->fo.seq0) return false;
    if (xres_schema_path(dir, sizeof(dir), XS_REPORT_ACK_DIR, domid, NULL))
        return false;
    n = strlen(dir);
    if (strncmp(path, dir, n) || path[n] != '/') return false;
    if (xres_schema_parse_seq(path + n + 1, strlen(path + n + 1), &seq))
        return false;
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
                drive(d, p);
        }
        return;
    }
    for (size_t i = 0; i < pp->n; i++) {
        xres_pair *p = pp->v[i];
        xres_pair_decision dc;

        xres_pair_on_domain_event(p, ev->domid,
                                  ev->kind == XRES_EV_DOMAIN_DEATH,
                                  ev->reason, &dc);
        handle(d, p, &dc);
        if (p->fo.kind != XRES_FO_NONE && p->fo.act_domid == ev->domid)
            drive(d, p);
    }
}

/*----- commands -----*/

static const xres_domain *req_domain(xres_daemon *d, yajl_val req,
                                     const char *key, yajl_gen out)
{
    const char *s = xres_json_get_str(req, key);
    const xres_domain *dom;

    if (!s) {
        xres_ipc_reply_error(out, "missing \"%s\"", key);
        return NULL;
    }
    dom = xres_daemon_find_domain(d, s);
    if (!dom) xres_ipc_reply_error(out, "no domain `%s'", s);
    return dom;
}

/* The standby keeps its hot-standby apps installed but stopped until a
 * failover starts them: ask its agent to stop each (no wait). */
static void hold_standby_apps(xres_daemon *d, xres_pair *p)
{
    unsigned nhot = 0;

    for (size_t i = 0; i < p->napps; i++) nhot += p->apps[i].hot;
    if (!nhot || reserve_seqs(d, p, nhot)) return;
    for (size_t i = 0; i < p->napps; i++) {
        xres_action act;
        if (!p->apps[i].hot) continue;
        memset(&act, 0, sizeof(act));
        act.kind = XRES_ACT_AGENT_REQUEST;
        act.domid = p->standby;
        snprintf(act.u.req.op, sizeof(act.u.req.op), "stop");
        snprintf(act.u.req.arg, sizeof(act.u.req.arg), "%s", p->apps[i].name);
        act.u.req.seq = p->next_seq++;
        if (xres_actuate(d, &act))
            XLOG_WARN("pair %s: cannot ask standby dom%" PRIu32 " to hold "
                      "%s stopped", p->name, p->standby, p->apps[i].name);
        else
            loose_add(d, act.domid, act.u.req.seq);
    }
    save(d, p);
}

/* Requests sent outside a failover (restarts, holds) are removed once
 * their ack is there; the agent then drops the ack.  Only the requests
 * this subsystem sent: other subsystems' are theirs to remove. */
static void loose_add(xres_daemon *d, uint32_t domid, uint64_t seq)
{
    pair_priv *pp = PP(d);

    if (pp->nloose == LOOSE_MAX) {
        memmove(&pp->loose[0], &pp->loose[1],
                (LOOSE_MAX - 1) * sizeof(pp->loose[0]));
        pp->nloose--;
    }
    pp->loose[pp->nloose].domid = domid;
    pp->loose[pp->nloose].seq = seq;
    pp->nloose++;
}

static void sweep_requests(xres_daemon *d)
{
    pair_priv *pp = PP(d);
    size_t k = 0;

    for (size_t i = 0; i < pp->nloose; i++) {
        bool gone = !xres_host_find(&d->host, pp->loose[i].domid);

        if (!gone && !xres_agent_request_collect(d->be, pp->loose[i].domid,
                                                 pp->loose[i].seq))
            gone = true;
        if (!gone) pp->loose[k++] = pp->loose[i];
    }
    pp->nloose = k;
}

/* Creates, stores and starts following a pair; `why` gets the reason of
 * a refusal.  0, -ENOMEM, or another negative errno with why set. */
static int create_pair(xres_daemon *d, const char *name,
                       const xres_domain *a, const xres_domain *s,
                       const xres_pair_app *av, size_t napps,
                       const xres_pair_cfg *cfg, const char *by,
                       char *why, size_t whylen)
{
    xres_pair *p = calloc(1, sizeof(*p));
    int rc;

    if (!p) return -ENOMEM;
    rc = xres_pair_create(p, name, &d->host, a->domid, s->domid, av, napps,
                          cfg, PP(d)->reserve_kb, why, whylen);
    if (rc) {
        free(p);
        return rc;
    }
    rc = xres_pair_store_save_config(d->be, p);
    if (!rc) rc = xres_pair_store_save_state(d->be, p);
    if (!rc) rc = add_pair(d, p);
    if (rc) {
        xres_pair_store_delete(d->be, name);
        snprintf(why, whylen, "cannot store it: %s", strerror(-rc));
        free(p);
        return rc == -ENOMEM ? -EIO : rc;
    }
    hold_standby_apps(d, p);
    XLOG_INFO("pair %s created (%s): active %s (dom%" PRIu32 "), standby %s "
              "(dom%" PRIu32 "), %zu apps", name, by, a->name, a->domid,
              s->name, s->domid, napps);
    /* Apps the agent already reports running go into the table now. */
    look(d, p);
    return 0;
}

static int cmd_create(xres_daemon *d, yajl_val req, yajl_gen out)
{
    const char *name = xres_json_get_str(req, "name");
    yajl_val apps = xres_json_get(req, "apps");
    xres_pair_app av[XRES_PAIR_APPS_MAX];
    const xres_domain *a, *s;
    xres_pair_cfg cfg = PP(d)->defaults;
    char why[320] = "";
    size_t napps = 0;
    int rc;

    if (!name) { xres_ipc_reply_error(out, "missing \"name\""); return 0; }
    if (find_pair(d, name)) {
        xres_ipc_reply_error(out, "pair %s exists already", name);
        return 0;
    }
    xres_daemon_refresh(d);
    if (!(a = req_domain(d, req, "active", out))) return 0;
    if (!(s = req_domain(d, req, "standby", out))) return 0;
    if (pair_of_domain(d, a->domid) || pair_of_domain(d, s->domid)) {
        xres_ipc_reply_error(out, "%s is already in a pair",
                             pair_of_domain(d, a->domid) ? a->name : s->name);
        return 0;
    }
    if (apps && !YAJL_IS_ARRAY(apps)) {
        xres_ipc_reply_error(out, "\"apps\" must be an array");
        return 0;
    }
    for (size_t i = 0; apps && i < apps->u.array.len; i++) {
        yajl_val o = apps->u.array.values[i];
        const char *an = xres_json_get_str(o, "name");
        uint64_t kb;

        if (napps == XRES_PAIR_APPS_MAX) {
            xres_ipc_reply_error(out, "at most %d apps per pair",
                                 XRES_PAIR_APPS_MAX);
            return 0;
        }
        if (!an || !xres_schema_check_name(an, strlen(an))) {
            xres_ipc_reply_error(out, "bad app name `%s': use [a-z][a-z0-9_]*"
                                 ", at most 31 characters", an ? an : "");
            return 0;
        }
        if (xres_json_get_u64(o, "size_kb", &kb) || !kb) {
            xres_ipc_reply_error(out, "app %s: missing or bad size", an);
            return 0;
        }
        snprintf(av[napps].name, sizeof(av[napps].name), "%s", an);
        av[napps].size_kb = kb;
        av[napps].hot = xres_json_get_bool(o, "hot", false);
        napps++;
    }
    cfg.preserve = xres_json_get_bool(req, "preserve", false);
    rc = create_pair(d, name, a, s, av, napps, &cfg, "xres pair-create", why,
                     sizeof(why));
    if (rc == -ENOMEM) return rc;
    if (rc) {
        xres_ipc_reply_error(out, "pair-create %s: %s", name, why);
        return 0;
    }
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_str(out, "name", name);
    yajl_gen_map_close(out);
    return 0;
}

static void json_pair(xres_daemon *d, const xres_pair *p, yajl_gen g,
                      bool full)
{
    const xres_pair_fo *fo = &p->fo;

    (void)d;
    yajl_gen_map_open(g);
    xres_json_kv_str(g, "name", p->name);
    xres_json_kv_u64(g, "active", p->active);
    xres_json_kv_str(g, "active_name", p->active_name);
    xres_json_kv_u64(g, "standby", p->standby);
    xres_json_kv_str(g, "standby_name", p->standby_name);
    xres_json_kv_str(g, "state", xres_pair_state_name(p->state));
    xres_json_kv_u64(g, "reserve_lent_kb", p->debt_kb);
    xres_json_kv_u64(g, "standby_floor_kb", xres_pair_mem_floor(p,
                                                                p->standby));
    if (!p->lat.valid) {
        xres_json_kv_null(g, "last_failover_timing");
    } else {
        xres_json_str(g, "last_failover_timing");
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "kind", xres_fo_kind_name(p->lat.kind));
        xres_json_kv_u64(g, "toolstack_us", p->lat.toolstack_us);
        xres_json_kv_u64(g, "guest_ms", p->lat.guest_ms);
        xres_json_kv_u64(g, "target_written_ms", p->lat.targets_ms);
        xres_json_kv_u64(g, "balloon_ms", p->lat.balloon_ms);
        xres_json_kv_u64(g, "start_ack_ms", p->lat.start_ms);
        xres_json_kv_u64(g, "total_ms", p->lat.total_ms);
        yajl_gen_map_close(g);
    }
    if (fo->kind == XRES_FO_NONE) {
        xres_json_kv_null(g, "failover");
    } else {
        xres_json_str(g, "failover");
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "kind", xres_fo_kind_name(fo->kind));
        xres_json_kv_str(g, "app", fo->app);
        xres_json_kv_str(g, "step", fo->pos < fo->nsteps
                         ? xres_fo_step_name(fo->steps[fo->pos]) : "end");
        xres_json_kv_u64(g, "step_index", fo->pos);
        xres_json_kv_u64(g, "steps", fo->nsteps);
        xres_json_kv_str(g, "why", fo->why);
        yajl_gen_map_close(g);
    }
    if (full) {
        xres_json_str(g, "areas");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->nareas; i++) {
            const xres_pair_area *a = &p->areas[i];
            yajl_gen_map_open(g);
            xres_json_kv_str(g, "name", a->name);
            xres_json_kv_u64(g, "size_kb", a->size_kb);
            xres_json_kv_str(g, "owner", xres_pair_owner_name(a->owner));
            xres_json_kv_str(g, "dest", xres_pair_dest_name(a->dest));
            xres_json_kv_str(g, "kind", xres_pair_area_kind_name(a->kind));
            xres_json_kv_bool(g, "running", a->running);
            xres_json_kv_u64(g, "restarts", a->restarts);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        xres_json_str(g, "apps");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->napps; i++) {
            yajl_gen_map_open(g);
            xres_json_kv_str(g, "name", p->apps[i].name);
            xres_json_kv_u64(g, "size_kb", p->apps[i].size_kb);
            xres_json_kv_bool(g, "hot", p->apps[i].hot);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        xres_json_str(g, "log");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->nlog; i++) {
            const xres_pair_logent *e = &p->log[i];
            yajl_gen_map_open(g);
            xres_json_kv_u64(g, "started_ms", e->started_ms);
            xres_json_kv_u64(g, "duration_ms", e->ended_ms - e->started_ms);
            xres_json_kv_str(g, "kind", xres_fo_kind_name(e->kind));
            xres_json_kv_str(g, "app", e->app);
            xres_json_kv_str(g, "why", e->why);
            xres_json_kv_u64(g, "to_standby_kb", e->bound_kb);
            xres_json_kv_u64(g, "to_host_kb", e->return_kb);
            xres_json_kv_u64(g, "from_reserve_kb", e->reserve_kb);
            xres_json_kv_bool(g, "apps_failed", e->failed_mask != 0);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    yajl_gen_map_close(g);
}

static xres_pair *req_pair(xres_daemon *d, yajl_val req, yajl_gen out)
{
    const char *name = xres_json_get_str(req, "name");
    xres_pair *p;

    if (!name) { xres_ipc_reply_error(out, "missing \"name\""); return NULL; }
    p = find_pair(d, name);
    if (!p) xres_ipc_reply_error(out, "no pair `%s'", name);
    return p;
}

static int pair_command(xres_daemon *d, const char *cmd, yajl_val req,
                        yajl_gen out)
{
    pair_priv *pp = PP(d);
    xres_pair *p;
    char err[320] = "";
    int rc;

    if (!strcmp(cmd, "pair-create")) return cmd_create(d, req, out);

    if (!strcmp(cmd, "pair-list")) {
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_u64(out, "reserve_kb", pp->reserve_kb);
        xres_json_str(out, "pairs");
        yajl_gen_array_open(out);
        for (size_t i = 0; i < pp->n; i++) json_pair(d, pp->v[i], out, false);
        yajl_gen_array_close(out);
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "pair-show")) {
        if (!(p = req_pair(d, req, out))) return 0;
        xres_ipc_reply_ok_begin(out);
        xres_json_str(out, "pair");
        json_pair(d, p, out, true);
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "failover")) {
        const char *app = xres_json_get_str(req, "app");
        if (!(p = req_pair(d, req, out))) return 0;
        xres_daemon_refresh(d);
        rc = begin(d, p, app ? XRES_FO_APP : XRES_FO_DOMAIN, app,
                   "asked by the operator", err, sizeof(err));
        if (rc) {
            xres_ipc_reply_error(out, "failover %s: %s", p->name,
                                 err[0] ? err : strerror(-rc));
            return 0;
        }
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_str(out, "state", xres_pair_state_name(p->state));
        xres_json_kv_str(out, "step", p->fo.kind == XRES_FO_NONE ? "done"
                         : xres_fo_step_name(p->fo.steps[p->fo.pos]));
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "failback")) {
        const xres_domain *ns;
        uint32_t old_active, old_standby;
        if (!(p = req_pair(d, req, out))) return 0;
        xres_daemon_refresh(d);
        if (!(ns = req_domain(d, req, "standby", out))) return 0;
        if (pair_of_domain(d, ns->domid) &&
            pair_of_domain(d, ns->domid) != p) {
            xres_ipc_reply_error(out, "%s is already in a pair", ns->name);
            return 0;
        }
        old_active = p->active;
        old_standby = p->standby;
        rc = xres_pair_failback(p, &d->host, ns->domid, pp->reserve_kb, err,
                                sizeof(err));
        if (rc) {
            xres_ipc_reply_error(out, "failback %s: %s", p->name, err);
            return 0;
        }
        save(d, p);
        /* The old standby is the active now: no floor from the pair. */
        xres_daemon_set_mem_floor(d, old_standby, 0);
        set_floors(d, p);
        watch_acks(d, old_active, false);
        watch_acks(d, ns->domid, true);
        hold_standby_apps(d, p);
        XLOG_INFO("pair %s: failback: dom%" PRIu32 " is the active, dom%"
                  PRIu32 " the new standby", p->name, old_standby,
                  ns->domid);
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_u64(out, "active", p->active);
        xres_json_kv_u64(out, "standby", p->standby);
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "pair-delete")) {
        if (!(p = req_pair(d, req, out))) return 0;
        if (p->fo.kind != XRES_FO_NONE) {
            xres_ipc_reply_error(out, "pair %s: a failover is running "
                                 "(step %s); delete it afterwards", p->name,
                                 xres_fo_step_name(p->fo.steps[p->fo.pos]));
            return 0;
        }
        rc = xres_pair_store_delete(d->be, p->name);
        if (rc && rc != -ENOENT) {
            xres_ipc_reply_error(out, "pair %s: cannot remove its state: %s",
                                 p->name, strerror(-rc));
            return 0;
        }
        watch_acks(d, p->active, false);
        watch_acks(d, p->standby, false);
        xres_daemon_set_mem_floor(d, p->active, 0);
        xres_daemon_set_mem_floor(d, p->standby, 0);
        XLOG_INFO("pair %s deleted", p->name);
        for (size_t i = 0; i < pp->n; i++)
            if (pp->v[i] == p) {
                pp->v[i] = pp->v[--pp->n];
                break;
            }
        free(p);
        xres_ipc_reply_ok_begin(out);
        yajl_gen_map_close(out);
        return 0;
    }
    return -ENOSYS;
}

static void pair_fill(xres_daemon *d, const xres_domain *dom, yajl_gen out)
{
    xres_pair *p = PP(d) ? pair_of_domain(d, dom->domid) : NULL;

    if (!p) return;
    xres_json_kv_str(out, "pair", p->name);
    xres_json_kv_str(out, "pair_role",
                     p->active == dom->domid ? "active" : "standby");
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
