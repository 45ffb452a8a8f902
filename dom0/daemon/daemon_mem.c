/*
 * dom0/daemon/daemon_mem.c: the xresd subsystem for memory by demand.
 *
 * Glue between the daemon core (subsys.h) and the memory code: it runs the
 * balancing policy (policy_mem.c) on every agent report and timer tick,
 * carries transfers out as moves (mem_move.c, through mem_run.c and the
 * actuator) that it advances on every check without ever blocking, and
 * keeps the not-responding marks.  Run-time policies are in
 * mem_policy_rt.c, the IPC commands in mem_cmd.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actuator.h"
#include "config_mem.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "mem_priv.h"
#include "subsys.h"
#include "util.h"
#include "xs_schema.h"

/* ---- balloon states ---- */

void xres_memd_mark_busy(xres_daemon *d, uint32_t domid)
{
    if (domid != XRES_DOMID_INVALID)
        xres_daemon_set_balloon_state(d, domid, XRES_BALLOON_MOVING);
}

static nr_mark *nr_find(mem_priv *mp, uint32_t domid)
{
    for (size_t i = 0; i < mp->nr_n; i++)
        if (mp->nr[i].domid == domid) return &mp->nr[i];
    return NULL;
}

static void nr_remove(mem_priv *mp, size_t i)
{
    mp->nr[i] = mp->nr[--mp->nr_n];
}

/* Mark domid not responding: left out of balancing until its balloon
 * moves away from cur_kb or its retry time comes. */
static void nr_mark_add(xres_daemon *d, uint32_t domid, uint64_t cur_kb)
{
    mem_priv *mp = P(d);
    nr_mark *k = nr_find(mp, domid);

    if (!k) {
        nr_mark *v = realloc(mp->nr, (mp->nr_n + 1) * sizeof(*v));
        if (v) {
            mp->nr = v;
            k = &v[mp->nr_n++];
        }
    }
    if (k) {
        k->domid = domid;
        k->since_ms = now_ms(d);
        k->cur_kb = cur_kb;
    }
    xres_daemon_set_balloon_state(d, domid, XRES_BALLOON_NOT_RESPONDING);
}

static void move_done(void *opaque, const xres_move *m)
{
    xres_daemon *d = opaque;
    mem_priv *mp = P(d);

    if (m->state == XRES_MOVE_DONE) mp->moves_done++;
    else mp->moves_failed++;
    for (unsigned i = 0; i < LAT_NOTES; i++) {
        lat_note *n = &mp->lat[i];
        if (n->move_id != m->id) continue;
        if (m->state == XRES_MOVE_DONE && m->t.dst != XRES_DOMID_INVALID) {
            uint64_t w = xres_daemon_now_ms(d);
            uint64_t ms = w >= n->report_ms ? w - n->report_ms : 0;
            XLOG_INFO("mem: latency: move %" PRIu64 ": receiver %s's target "
                      "written at %" PRIu64 " ms, %" PRIu64 " ms after its "
                      "report was read", m->id, m->dst_name, w, ms);
            xres_histogram_observe(&mp->reaction, ms);
        }
        n->move_id = 0;
    }

    if (m->t.src != XRES_DOMID_INVALID &&
        xres_daemon_domstate(d, m->t.src))
        xres_daemon_clear_balloon_state(d, m->t.src);
    if (m->t.dst != XRES_DOMID_INVALID &&
        xres_daemon_domstate(d, m->t.dst))
        xres_daemon_clear_balloon_state(d, m->t.dst);
    if (m->donor_not_responding) {
        const xres_domain *s = xres_host_find(&d->host, m->t.src);
        nr_mark_add(d, m->t.src, s ? s->cur_kb : 0);
        XLOG_WARN("mem: %s (dom%" PRIu32 ") marked not responding; left out "
                  "of balancing until its balloon moves", m->src_name,
                  m->t.src);
    }
}

static int apply_cb(void *opaque, const xres_action *act)
{
    return xres_actuate(opaque, act);
}

/* Has the balloon moved at all since the mark?  Not a test of arrival: its
 * memory differs from what it was when marked by more than the
 * tolerance, either way. */
static bool balloon_moved_since(const xres_domain *dom, const nr_mark *k,
                                uint64_t tol_kb)
{
    uint64_t diff = dom->cur_kb > k->cur_kb ? dom->cur_kb - k->cur_kb
                                            : k->cur_kb - dom->cur_kb;

    return diff > tol_kb;
}

/* Clear not-responding marks of domains whose balloon moved, that are
 * gone, or whose retry time came while their agent reports.  A domain
 * whose agent went silent (a hung or paused guest) keeps its mark, and
 * `xres list` keeps showing it, until the balloon moves or the agent
 * reports again and the retry time has passed.  `now` may be older than
 * a mark made later in the same cycle (Xen calls take time): such a mark
 * is not due. */
static void nr_update(xres_daemon *d, uint64_t now)
{
    mem_priv *mp = P(d);

    for (size_t i = 0; i < mp->nr_n;) {
        nr_mark *k = &mp->nr[i];
        const xres_domain *dom = xres_host_find(&d->host, k->domid);
        if (!dom) {
            nr_remove(mp, i);
            continue;
        }
        bool moved = balloon_moved_since(dom, k, mp->p.tolerance_kb);
        bool retry = mp->p.retry_ms && now >= k->since_ms &&
            now - k->since_ms >= mp->p.retry_ms && dom->agent.valid &&
            dom->agent.heartbeat_ms > k->since_ms;
        if (moved || retry) {
            XLOG_INFO("mem: %s (dom%" PRIu32 ") %s; taking part in balancing "
                      "again", dom->name, dom->domid,
                      moved ? "balloon moved"
                            : "retry time reached and its agent reports");
            xres_daemon_clear_balloon_state(d, k->domid);
            nr_remove(mp, i);
            continue;
        }
        i++;
    }
}

static bool stall_skip(void *opaque, uint32_t domid)
{
    xres_daemon *d = opaque;
    mem_priv *mp = P(d);

    return xres_movers_busy(&mp->mv, domid) || nr_find(mp, domid);
}

/* Balloons that do not follow a raised target: the target goes back to
 * the memory and the domain is marked not responding (mem_stall.h). */
static void stalls_update(xres_daemon *d, uint64_t now)
{
    mem_priv *mp = P(d);
    xres_actions acts;

    xres_actions_init(&acts);
    if (xres_mem_stalls_check(&mp->stalls, &d->host, &mp->p, now,
                              stall_skip, d, &acts))
        XLOG_ERR("mem: cannot watch raised targets: out of memory");
    for (size_t i = 0; i < acts.n; i++) {
        const xres_action *a = &acts.v[i];
        const xres_domain *dom = xres_host_find(&d->host, a->domid);
        if (!dom || xres_actuate(d, a)) continue;
        XLOG_WARN("mem: %s (dom%" PRIu32 ") did not grow toward its target "
                  "%" PRIu64 " KiB within %" PRIu64 " ms: target back to its "
                  "memory, %" PRIu64 " KiB; marked not responding",
                  dom->name, dom->domid, dom->target_kb, mp->p.timeout_ms,
                  a->u.mem.kb);
        nr_mark_add(d, a->domid, a->u.mem.kb);
        d->host_stale = true;
    }
    xres_actions_dispose(&acts);
}

/* The snapshot the policy sees: moves in flight count as done for the
 * receiver (its raise is promised) and as not yet done for the donor (its
 * memory is not free yet); their domains are MOVING. */
int xres_memd_planning_view(xres_daemon *d, xres_host *view)
{
    mem_priv *mp = P(d);
    int rc = xres_host_copy(view, &d->host);

    if (rc) return rc;
    for (size_t i = 0; i < mp->mv.n; i++) {
        const xres_move *m = &mp->mv.v[i];
        xres_domain *s = xres_host_find(view, m->t.src);
        xres_domain *r = xres_host_find(view, m->t.dst);
        if (s) s->balloon = XRES_BALLOON_MOVING;
        if (r) {
            r->balloon = XRES_BALLOON_MOVING;
            if (m->state == XRES_MOVE_LOWERING && r->target_kb < m->t.dst_to)
                r->target_kb = m->t.dst_to;
        }
    }
    return 0;
}

/* The report-to-target time, in the log (info) with monotonic stamps:
 * when xresd read the receiver's latest report, and when the move just
 * started wrote its first target (the donor's lowered one, or the
 * receiver's raised one for a move from free memory).  move_done adds the
 * receiver's raise.  tests/system/40-mem.sh prints the figures. */
static void note_latency(xres_daemon *d, const xres_mem_transfer *t,
                         uint64_t id)
{
    mem_priv *mp = P(d);
    const xres_domstate *rs;
    const xres_move *m = xres_movers_find(&mp->mv, id);
    uint64_t w = xres_daemon_now_ms(d);   /* the clock of report_last_ms */

    if (!m || t->dst == XRES_DOMID_INVALID ||
        !(rs = xres_daemon_domstate(d, t->dst)) || !rs->report_last_ms ||
        !rs->agent.valid)
        return;
    if (m->state == XRES_MOVE_FAILED ||
        (m->state == XRES_MOVE_DONE && t->src != XRES_DOMID_INVALID))
        return;                         /* no target of this move written */
    XLOG_INFO("mem: latency: move %" PRIu64 ": report seq %" PRIu64
              " of dom%" PRIu32 " read at %" PRIu64 " ms, %s target "
              "written at %" PRIu64 " ms, %" PRIu64 " ms after",
              id, rs->agent.seq, t->dst, rs->report_last_ms,
              t->src != XRES_DOMID_INVALID ? "donor's" : "receiver's", w,
              w >= rs->report_last_ms ? w - rs->report_last_ms : 0);
    if (m->state == XRES_MOVE_DONE) {  /* from free memory: raised already */
        xres_histogram_observe(&mp->reaction, w >= rs->report_last_ms
                               ? w - rs->report_last_ms : 0);
        return;
    }
    mp->lat[mp->lat_next] = (lat_note){ id, rs->report_last_ms };
    mp->lat_next = (mp->lat_next + 1) % LAT_NOTES;
}

/* Start the transfers of a plan that do not touch a busy domain. */
void xres_memd_start_plan(xres_daemon *d, const xres_mem_plan *plan,
                          const char *origin, uint64_t *first_id)
{
    mem_priv *mp = P(d);

    for (size_t i = 0; i < plan->n; i++) {
        const xres_mem_transfer *t = &plan->v[i];
        uint64_t id;
        int rc = xres_moves_start(&mp->run, &mp->mv, &d->host, t, origin,
                                  now_ms(d), &id);
        if (rc == -EBUSY) continue;    /* next round, from fresh figures */
        if (rc) {
            XLOG_ERR("mem: cannot start a move: %s", strerror(-rc));
            continue;
        }
        if (first_id && !*first_id) *first_id = id;
        note_latency(d, t, id);
        /* still in flight? (a move from free memory ends at once) */
        for (size_t k = 0; k < mp->mv.n; k++)
            if (mp->mv.v[k].id == id) {
                xres_memd_mark_busy(d, t->src);
                xres_memd_mark_busy(d, t->dst);
            }
    }
}

/* Ask the core's loop to come back within check_ms while moves are in
 * flight (the core's timer is the only one; see docs/xres-mem.md). */
void xres_memd_schedule_check(xres_daemon *d)
{
    mem_priv *mp = P(d);

    if (!mp->mv.n) return;
    xres_daemon_wake_at(d, xres_daemon_now_ms(d) + mp->p.check_ms);
}

/* One check: advance the moves, refresh marks, balance.  d->host must be
 * fresh enough (the callers refresh it). */
void xres_memd_cycle(xres_daemon *d, bool balance)
{
    mem_priv *mp = P(d);
    uint64_t now = now_ms(d);

    if (mp->busy) return;
    mp->busy = true;
    xres_memd_overlay(d);
    if (mp->mv.n) {
        xres_moves_check(&mp->run, &mp->mv, &d->host, now);
        if (d->host_stale) {
            xres_daemon_refresh_if_stale(d);
            xres_memd_overlay(d);
        }
    }
    nr_update(d, now);
    stalls_update(d, now);
    if (d->host_stale) xres_daemon_refresh_if_stale(d);
    /* A pool's handover pauses balancing; memory a pool's round has
     * freed is not balancing's to hand out. */
    if (balance && !d->mem_paused) {
        mp->balance_wanted = false;
        xres_host view;
        xres_mem_plan plan;
        xres_mem_params bp = mp->p;
        bp.reserve_kb += d->mem_held_back_kb;
        xres_host_init(&view);
        xres_mem_plan_init(&plan);
        if (!xres_memd_planning_view(d, &view)) {
            uint64_t t0 = xres_stat_now_ns();
            int rc = xres_mem_balance(&view, &bp, &plan);
            xres_daemon_note_policy(d, xres_stat_now_ns() - t0);
            if (!rc && plan.n)
                xres_memd_start_plan(d, &plan, "balance", NULL);
        }
        xres_mem_plan_dispose(&plan);
        xres_host_dispose(&view);
    }
    xres_memd_schedule_check(d);
    mp->busy = false;
}

/* The memory subsystem's counters, for the metrics (metrics.h). */
void xres_memd_metrics(xres_daemon *d, xres_metrics_counters *c)
{
    mem_priv *mp = P(d);

    if (!mp) return;
    c->moves_done = mp->moves_done;
    c->moves_failed = mp->moves_failed;
    c->moves_in_flight = mp->mv.n;
    c->reaction = mp->reaction;
}

/* ---- hooks ---- */

static int mem_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_mem_params p;
    char err[256];
    int rc;

    (void)d;
    rc = xres_mem_params_from_config(cfg, &p, err, sizeof(err));
    if (rc) XLOG_ERR("%s", err);
    return rc;
}

static int mem_init(xres_daemon *d)
{
    mem_priv *mp = calloc(1, sizeof(*mp));
    char err[256];
    int rc;

    if (!mp) return -ENOMEM;
    (void)xres_daemon_set_priv(d, &xres_subsys_mem, mp);
    if ((rc = xres_mem_params_from_config(&d->cfg, &mp->p, err,
                                          sizeof(err)))) {
        XLOG_ERR("%s", err);
        return rc;
    }
    xres_movers_init(&mp->mv, &mp->p);
    xres_daemon_set_snapshot_age(d, mp->p.check_ms);
    xres_daemon_set_mem_tolerance(d, mp->p.tolerance_kb);
    mp->run = (xres_move_runner){ d->be, apply_cb, move_done, d };
    {
        char path[XRES_SCHEMA_PATH_MAX];
        if (!xres_schema_path(path, sizeof(path), XS_MEM_ROOT, 0, NULL))
            d->be->ops->xs_mkdir(d->be, path);
    }
    xres_memd_load_policies(d);
    xres_memd_overlay(d);
    rc = xres_moves_recover(&mp->run, &mp->mv, &d->host, now_ms(d));
    if (rc < 0) {
        XLOG_ERR("mem: cannot read moves left in XenStore: %s",
                 strerror(-rc));
    } else if (rc > 0) {
        XLOG_INFO("mem: %d move(s) of a previous xresd taken over", rc);
        for (size_t i = 0; i < mp->mv.n; i++) {
            xres_memd_mark_busy(d, mp->mv.v[i].t.src);
            xres_memd_mark_busy(d, mp->mv.v[i].t.dst);
        }
    }
    XLOG_INFO("mem: high %.0f%%, low %.0f%%, block %" PRIu64 " KiB, reserve "
              "%" PRIu64 " KiB, threshold %" PRIu64 " KiB, timeout %" PRIu64
              " ms", mp->p.high * 100, mp->p.low * 100, mp->p.block_kb,
              mp->p.reserve_kb, mp->p.threshold_kb, mp->p.timeout_ms);
    xres_memd_schedule_check(d);
    return 0;
}

static void mem_dispose(xres_daemon *d)
{
    mem_priv *mp = P(d);

    if (!mp) return;
    /* Moves in flight stay recorded in XenStore for the next xresd. */
    xres_movers_dispose(&mp->mv);
    xres_mem_stalls_dispose(&mp->stalls);
    free(mp->rt);
    free(mp->nr);
    free(mp);
    (void)xres_daemon_set_priv(d, &xres_subsys_mem, NULL);
}

static void mem_reload(xres_daemon *d)
{
    mem_priv *mp = P(d);
    char err[256];
    xres_mem_params p;

    if (!xres_mem_params_from_config(&d->cfg, &p, err, sizeof(err))) {
        mp->p = p;
        mp->mv.p = p;
        xres_daemon_set_snapshot_age(d, p.check_ms);
        xres_daemon_set_mem_tolerance(d, p.tolerance_kb);
    }
    xres_memd_overlay(d);
}

static void mem_tick(xres_daemon *d)
{
    xres_memd_cycle(d, true);
}

/* A report whose figures change what balancing would do for its domain
 * calls for a decision now; one that does not changes nothing.  The core
 * gave fresh memory figures: at most check_ms old
 * (xres_daemon_set_snapshot_age, set at init and reload). */
static void mem_on_report(xres_daemon *d, uint32_t domid)
{
    mem_priv *mp = P(d);
    const xres_domain *dom = xres_host_find(&d->host, domid);
    const xres_domstate *ds = xres_daemon_domstate(d, domid);

    if (!dom || !ds || xres_mem_report_moves(dom, &ds->agent_before, &mp->p))
        mp->balance_wanted = true;
}

/* The reports of one pass that called for a decision get one, at once. */
static void mem_reports_done(xres_daemon *d)
{
    if (P(d)->balance_wanted) xres_memd_cycle(d, true);
}

static void mem_on_event(xres_daemon *d, const xres_event *ev)
{
    if (ev->kind == XRES_EV_DOMAIN_DEATH ||
        ev->kind == XRES_EV_DOMAIN_SHUTDOWN)
        xres_memd_cycle(d, true);
}

static void mem_fill(xres_daemon *d, const xres_domain *dom, yajl_gen out)
{
    (void)d;
    xres_json_kv_u64(out, "mem_priority", dom->mem_policy.priority);
    xres_json_kv_u64(out, "mem_weight",
                     dom->mem_policy.weight ? dom->mem_policy.weight : 1);
}

const xres_subsys xres_subsys_mem = {
    .name = "mem",
    .init = mem_init,
    .dispose = mem_dispose,
    .check_config = mem_check_config,
    .reload = mem_reload,
    .tick = mem_tick,
    .on_report = mem_on_report,
    .reports_done = mem_reports_done,
    .on_event = mem_on_event,
    .command = xres_memd_command,
    .fill_domain_json = mem_fill,
};

