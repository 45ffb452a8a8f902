/*
 * dom0/daemon/pair_drive.c: the glue that drives a failover: it gathers
 * the snapshot and the guests' answers, asks the pure step
 * (pair_step.h) for the next action, hands it to the actuator, and stores
 * the progress after each one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actuator.h"
#include "agent_report.h"
#include "pair_priv.h"
#include "pair_step.h"
#include "pair_store.h"
#include "util.h"

/* Passes over a failover per call: an action may make the next condition
 * true once the snapshot is fresh (a fence, a balloon already there). */
#define DRIVE_PASSES 4
/* While a failover waits for something that is no event (a balloon on
 * its way, a timeout), look again this often rather than a full tick
 * (then less often as the step gets older). */
#define PAIR_CHECK_MS 200

/* Requests and acks of a finished failover are read: remove them. */
void pair_cleanup_requests(xres_daemon *d, const xres_pair *p)
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

void pair_log_latency(const xres_pair *p)
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

/* What the step just did, for the log: the steps it completed. */
static void log_steps(const xres_pair *before, const xres_pair *p, int rc)
{
    const xres_pair_fo *fo = &before->fo;
    unsigned end = rc == XRES_FO_FINISHED ? fo->nsteps : p->fo.pos;

    for (unsigned i = fo->pos; i < end && i < fo->nsteps; i++)
        XLOG_INFO("pair %s: %s failover, step %s done", p->name,
                  xres_fo_kind_name(fo->kind), xres_fo_step_name(fo->steps[i]));
    if (rc == XRES_FO_FINISHED) {
        const xres_pair_logent *e = p->nlog ? &p->log[p->nlog - 1] : NULL;
        XLOG_INFO("pair %s: %s failover finished: %s%s", p->name,
                  xres_fo_kind_name(fo->kind), e ? e->why : "",
                  p->state == XRES_PAIR_DEGRADED ? " (degraded)" : "");
    }
}

/* What the guests' reports and Xen's figures disagreed on, once each. */
static void log_notes(const xres_daemon *d, const xres_pair *before,
                      const xres_pair *p)
{
    const xres_pair_fo *fo = &p->fo;
    uint32_t fresh = fo->notes & ~before->fo.notes;
    const xres_domain *a = xres_host_find(&d->host, fo->act_domid);
    const xres_domain *s = xres_host_find(&d->host, fo->sb_domid);

    if (fo->kind == XRES_FO_NONE || !fresh) return;
    if (fresh & XRES_FO_NOTE_ACK_NO_RELEASE)
        XLOG_WARN("pair %s: the agent of dom%" PRIu32 " acknowledged the "
                  "release of %s, but Xen shows %" PRIu64 " KiB, not at most "
                  "%" PRIu64 " KiB: waiting on Xen's figure", p->name,
                  fo->act_domid, fo->app, a ? a->cur_kb : 0,
                  fo->act_target0 - fo->bound_kb);
    if (fresh & XRES_FO_NOTE_RELEASE_NO_ACK)
        XLOG_WARN("pair %s: dom%" PRIu32 " released %s (Xen shows %" PRIu64
                  " KiB) but its agent did not acknowledge within %" PRIu64
                  " ms: taken on Xen's figure", p->name, fo->act_domid,
                  fo->app, a ? a->cur_kb : 0, p->cfg.ack_timeout_ms);
    if (fresh & XRES_FO_NOTE_ACK_NO_ENGAGE)
        XLOG_WARN("pair %s: the agent of standby dom%" PRIu32 " acknowledged "
                  "the engage, but Xen shows %" PRIu64 " KiB, not %" PRIu64
                  " KiB: waiting on Xen's figure", p->name, fo->sb_domid,
                  s ? s->cur_kb : 0, fo->sb_target0 + fo->bound_kb);
    if (fresh & XRES_FO_NOTE_ENGAGE_NO_ACK)
        XLOG_WARN("pair %s: standby dom%" PRIu32 " has %" PRIu64 " KiB but its "
                  "agent did not acknowledge the engage within %" PRIu64
                  " ms: taken on Xen's figure", p->name, fo->sb_domid,
                  s ? s->cur_kb : 0, p->cfg.ack_timeout_ms);
}

/*
 * Runs the failover of p on the current snapshot and obs until it waits
 * or ends: the pure step gives the next action, the actuator carries it
 * out, the new progress is stored, and the step is asked again.  On an
 * action error p goes back to the stored progress and the error is
 * returned (the next call retries).  Else the step's last result; *nacts
 * counts the actions carried out.
 */
static int drive_snapshot(xres_daemon *d, xres_pair *p,
                          const xres_pair_obs *obs, unsigned *nacts)
{
    xres_pair *saved = malloc(sizeof(*saved));
    xres_pair *stepped = malloc(sizeof(*stepped));
    xres_actions acts;
    uint64_t t0 = xres_busy_us(), t1;
    int rc = -ENOMEM;

    xres_actions_init(&acts);
    *nacts = 0;
    while (saved && stepped) {
        *saved = *p;
        xres_actions_clear(&acts);
        rc = xres_pair_step(p, &d->host, obs, xres_daemon_now_ms(d), 1,
                            &acts, stepped);
        log_steps(saved, p, rc);
        log_notes(d, saved, p);
        /* Steps finished on the way to the action are stored before it
         * is carried out, as each step always was. */
        if (acts.n && (stepped->fo.kind != saved->fo.kind ||
                       stepped->fo.pos != saved->fo.pos)) {
            int src = xres_pair_store_save_state(d->be, stepped);
            if (src) {
                XLOG_ERR("pair %s: cannot store failover progress: %s",
                         p->name, strerror(-src));
                *p = *saved;
                rc = src;
                break;
            }
            *saved = *stepped;          /* an action error goes back here */
        }
        if (acts.n) {
            int arc = xres_actuate(d, &acts.v[0]);
            char line[200];

            xres_action_format(&acts.v[0], line, sizeof(line));
            if (arc) {
                XLOG_ERR("pair %s: %s failover, step %s: %s failed: %s",
                         p->name, xres_fo_kind_name(saved->fo.kind),
                         xres_fo_step_name(p->fo.steps[p->fo.pos]), line,
                         strerror(-arc));
                *p = *saved;
                rc = arc;
                break;
            }
            (*nacts)++;
        } else if ((rc == XRES_FO_WAIT || rc == XRES_FO_IDLE) &&
                   p->fo.pos == saved->fo.pos) {
            break;                      /* nothing new to store */
        }
        /* xresd's own time so far, counted into the progress before it is
         * stored (after the end, into the last failover's figures). */
        t1 = xres_busy_us();
        if (rc == XRES_FO_FINISHED) p->lat.toolstack_us += t1 - t0;
        else p->fo.busy_us += t1 - t0;
        t0 = t1;
        int src = xres_pair_store_save_state(d->be, p);
        if (src) {
            XLOG_ERR("pair %s: cannot store failover progress: %s",
                     p->name, strerror(-src));
            rc = src;
            break;
        }
        if (rc != XRES_FO_ACT) break;
    }
    xres_actions_dispose(&acts);
    free(saved);
    free(stepped);
    return rc;
}

void pair_drive(xres_daemon *d, xres_pair *p)
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
        uint64_t t0 = xres_busy_us(), look_us;
        unsigned pos0 = p->fo.pos, sub0 = p->fo.sub;
        /* Each pass looks at the host as it is now: its conditions and
         * times are the guests' balloons and acks of this moment. */
        xres_daemon_want_refresh(d);
        xres_daemon_refresh_if_stale(d);
        pair_read_obs(d, p, &obs);
        look_us = xres_busy_us() - t0;
        rc = drive_snapshot(d, p, &obs, &n);
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
        xres_daemon_wake_at(d, xres_daemon_now_ms(d) + wait);
    }
    if (rc == XRES_FO_FINISHED) {
        const xres_pair_logent *e = p->nlog ? &p->log[p->nlog - 1] : NULL;
        pair_set_floors(d, p);
        xres_daemon_clear_balloon_state(d, act);
        xres_daemon_clear_balloon_state(d, sb);
        pair_cleanup_requests(d, p);
        if (e)
            XLOG_INFO("pair %s: %s failover done in %" PRIu64 " ms: %" PRIu64
                      " MiB to standby dom%" PRIu32 ", %" PRIu64 " MiB back"
                      " to the host, %" PRIu64 " MiB from the reserve%s",
                      p->name, xres_fo_kind_name(e->kind),
                      e->ended_ms - e->started_ms, e->bound_kb / 1024,
                      p->standby, e->return_kb / 1024, e->reserve_kb / 1024,
                      e->failed_mask ? "; some apps did not start" : "");
        pair_log_latency(p);
        if (e) pair_count_failover(d, p, e->kind);
        /* The active may have died while an app failover ran (its event
         * found the pair busy): fail the whole domain over now. */
        if (p->state == XRES_PAIR_NORMAL && pair_active_lost(d, p)) {
            xres_pair_decision dc;
            memset(&dc, 0, sizeof(dc));
            dc.what = XRES_PAIR_DO_DOMAIN_FAILOVER;
            snprintf(dc.why, sizeof(dc.why), "active dom%" PRIu32 " lost "
                     "during the app failover", p->active);
            pair_handle(d, p, &dc);
        }
    }
}
