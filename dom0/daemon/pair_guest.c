/*
 * dom0/daemon/pair_guest.c: the pair subsystem's side of the guests,
 * through the guest request channel (agent_request.c) and the report
 * reader (agent_report.c): request numbers, the acks and app status a
 * failover observes, the heartbeat, requests outside failovers, and the
 * answer to an app that asks for its extension before it starts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actuator.h"
#include "agent_report.h"
#include "pair_priv.h"
#include "xs_schema.h"

#define PAIR_ACK_TOKEN "pair:ack"

void pair_watch_acks(xres_daemon *d, uint32_t domid, bool on)
{
    (void)xres_agent_request_watch_acks(d->be, domid, 0, PAIR_ACK_TOKEN, on);
}

/*
 * Request sequence numbers are per guest (xres/seq).  Take n of them for
 * the pair on both of its domains (those that exist), above the pair's
 * own next_seq: the guest request channel moves both counters past them.
 */
int pair_reserve_seqs(xres_daemon *d, xres_pair *p, uint64_t n)
{
    uint32_t doms[2];
    size_t nd = 0;

    if (xres_host_find(&d->host, p->active)) doms[nd++] = p->active;
    if (xres_host_find(&d->host, p->standby)) doms[nd++] = p->standby;
    return xres_agent_request_reserve(d->be, doms, nd, p->next_seq, n,
                                      &p->next_seq);
}

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
        o->running = app.state == XRES_APP_RUNNING && app.level == 0;
        o->asking = app.state == XRES_APP_ASKING;
        o->fault_level = app.level;
        if (!app.level && app.state == XRES_APP_FAILED)
            o->fault_level = 2;         /* the agent gave up: a level 2 */
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

void pair_read_obs(xres_daemon *d, const xres_pair *p, xres_pair_obs *obs)
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

/* The standby keeps its hot-standby apps installed but stopped until a
 * failover starts them: ask its agent to stop each (no wait). */
void pair_hold_standby_apps(xres_daemon *d, xres_pair *p)
{
    unsigned nhot = 0;

    for (size_t i = 0; i < p->napps; i++) nhot += p->apps[i].hot;
    if (!nhot || pair_reserve_seqs(d, p, nhot)) return;
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
            pair_loose_add(d, act.domid, act.u.req.seq);
    }
    pair_save(d, p);
}

/* Requests sent outside a failover (restarts, holds) are removed once
 * their ack is there; the agent then drops the ack.  Only the requests
 * this subsystem sent: other subsystems' are theirs to remove. */
void pair_loose_add(xres_daemon *d, uint32_t domid, uint64_t seq)
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

void pair_sweep_requests(xres_daemon *d)
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

static bool answered(pair_priv *pp, uint32_t domid, const char *app,
                     bool add)
{
    for (size_t i = 0; i < pp->nanswered; i++)
        if (pp->answered[i].domid == domid &&
            !strcmp(pp->answered[i].app, app)) {
            if (!add) {
                pp->answered[i] = pp->answered[--pp->nanswered];
            }
            return true;
        }
    if (add && pp->nanswered < LOOSE_MAX) {
        pp->answered[pp->nanswered].domid = domid;
        snprintf(pp->answered[pp->nanswered].app, XRES_PAIR_NAME_MAX, "%s",
                 app);
        pp->nanswered++;
    }
    return false;
}

/* Sends "start APP" or "refuse APP" to the active: 0 or an error. */
static int answer_ask(xres_daemon *d, xres_pair *p, const char *op,
                      const char *app)
{
    xres_action act;
    int rc = pair_reserve_seqs(d, p, 1);

    if (rc) return rc;
    memset(&act, 0, sizeof(act));
    act.kind = XRES_ACT_AGENT_REQUEST;
    act.domid = p->active;
    snprintf(act.u.req.op, sizeof(act.u.req.op), "%s", op);
    snprintf(act.u.req.arg, sizeof(act.u.req.arg), "%s", app);
    act.u.req.seq = p->next_seq++;
    snprintf(act.why, sizeof(act.why), "pair %s: %s's extension %s", p->name,
             app, strcmp(op, "start") ? "refused" : "engaged: start it");
    rc = xres_actuate(d, &act);
    if (!rc) {
        pair_loose_add(d, act.domid, act.u.req.seq);
        answered(PP(d), p->active, app, true);
    }
    return rc;
}

/*
 * An app asks for its extension before it starts (003, routine 110): it
 * is granted (the table as for a started app, the active raised) and the
 * agent told to start it once Xen shows the memory engaged, or refused
 * and the agent told so.  Each asking is answered once.  True when the
 * table changed.
 */
bool pair_sync_ask(xres_daemon *d, xres_pair *p, const xres_pair_app_obs *o)
{
    pair_priv *pp = PP(d);
    xres_pair_area *ar = xres_pair_area_find(p, o->name);
    const xres_domain *a = xres_host_find(&d->host, p->active);
    xres_actions acts;
    char why[256] = "";
    bool changed = false;
    int rc = 0;

    if (answered(pp, p->active, o->name, false)) {
        answered(pp, p->active, o->name, true);     /* still asking */
        return false;
    }
    xres_actions_init(&acts);
    if (!ar) {
        rc = xres_pair_app_started(p, &d->host, o->name, pp->par.reserve_kb,
                                   &acts, why, sizeof(why));
        for (size_t k = 0; k < acts.n; k++)
            xres_actuate(d, &acts.v[k]);
        if (rc == -ENOSPC) {
            XLOG_WARN("pair %s: extension of %s refused before it starts: %s",
                      p->name, o->name, why);
            if (answer_ask(d, p, "refuse", o->name))
                XLOG_WARN("pair %s: cannot tell dom%" PRIu32 " that %s's "
                          "extension is refused", p->name, p->active,
                          o->name);
            goto out;
        }
        if (rc) {
            if (xres_ratelimit_ok(&pp->rl_guest, xres_daemon_now_ms(d)))
                XLOG_WARN("pair %s: %s", p->name, why);
            goto out;
        }
        changed = true;
        ar = xres_pair_area_find(p, o->name);
        XLOG_INFO("pair %s: extension of %s granted before it starts: %"
                  PRIu64 " KiB (%s)", p->name, o->name, ar ? ar->size_kb : 0,
                  ar ? xres_pair_area_kind_name(ar->kind) : "?");
        /* The snapshot predates the raise: engaged is seen next look. */
        goto out;
    }
    /* Granted: start it once Xen's figure shows the memory there (the
     * active holds what the table gives it). */
    if (a && a->cur_kb + p->cfg.tol_kb >=
             xres_pair_sum(p, XRES_OWNER_ACTIVE, -1)) {
        if (answer_ask(d, p, "start", o->name) == 0)
            XLOG_INFO("pair %s: %s's memory is engaged (dom%" PRIu32 " at %"
                      PRIu64 " KiB): asked to start it", p->name, o->name,
                      p->active, a->cur_kb);
    }
out:
    xres_actions_dispose(&acts);
    return changed;
}

void pair_ask_forget(xres_daemon *d, uint32_t domid, const char *app)
{
    (void)answered(PP(d), domid, app, false);
}
