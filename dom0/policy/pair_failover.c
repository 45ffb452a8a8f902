/*
 * dom0/policy/pair_failover.c: the resumable failover state machine of a
 * pair (policy_pair.h): begin, then one round at a time, each giving at
 * most one action or checking one condition against the snapshot and the
 * agents' answers.  Pure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pair_internal.h"

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
        xres_pair_why(err, errlen, "pair %s: a %s failover is already running "
                "(step %s)", p->name, xres_fo_kind_name(fo->kind),
                xres_fo_step_name(fo->steps[fo->pos < fo->nsteps ?
                                            fo->pos : 0]));
        return -EBUSY;
    }
    if (p->state == XRES_PAIR_FAILED_OVER) {
        xres_pair_why(err, errlen, "pair %s has already failed over; run "
                "failback first", p->name);
        return -EINVAL;
    }
    if (p->state == XRES_PAIR_DEGRADED) {
        xres_pair_why(err, errlen, "pair %s has no standby", p->name);
        return -ENODEV;
    }
    s = xres_host_find(snap, p->standby);
    if (!xres_pair_dom_alive(s)) {
        xres_pair_why(err, errlen, "standby dom%" PRIu32 " of pair %s is not "
                "running", p->standby, p->name);
        return -ENODEV;
    }
    if (kind != XRES_FO_DOMAIN) {
        if (!app || !(ar = xres_pair_area_find(p, app)) ||
            ar->kind != XRES_AREA_HOT || ar->owner != XRES_OWNER_ACTIVE) {
            xres_pair_why(err, errlen, "pair %s: %s is not a hot-standby app "
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
        fo->steps[n++] = XRES_STEP_COMMIT;
        fo->steps[n++] = XRES_STEP_START;
        break;
    case XRES_FO_APP:
        fo->steps[n++] = XRES_STEP_PLAN;
        fo->steps[n++] = XRES_STEP_STOP;
        fo->steps[n++] = XRES_STEP_RELEASE;
        fo->steps[n++] = XRES_STEP_ENGAGE;
        fo->steps[n++] = XRES_STEP_COMMIT;
        fo->steps[n++] = XRES_STEP_START;
        break;
    default:
        fo->steps[n++] = XRES_STEP_PLAN;
        fo->steps[n++] = XRES_STEP_STOP;
        fo->steps[n++] = XRES_STEP_ENGAGE;
        fo->steps[n++] = XRES_STEP_COMMIT;
        fo->steps[n++] = XRES_STEP_START;
        fo->steps[n++] = XRES_STEP_RELEASE;
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
        if (sub > 0 || !xres_pair_dom_alive(xres_host_find(snap, fo->act_domid)))
            return false;           /* gone: nothing to stop or release */
        snprintf(w, sizeof(w), "pair %s: stop %s on the active", p->name,
                 fo->app);
        xres_pair_req_action(act, fo->act_domid, "stop", fo->app, fo->seq0 + SEQ_STOP,
                   w);
        return true;

    case XRES_STEP_RELEASE:
        if (!xres_pair_dom_alive(xres_host_find(snap, fo->act_domid))) return false;
        snprintf(w, sizeof(w), "pair %s: release %s from the active",
                 p->name, fo->app);
        switch (sub) {
        case 0:
            /* Target first: libxl refuses a maxmem below the target. */
            xres_pair_mem_action(act, XRES_ACT_SET_TARGET, fo->act_domid,
                       fo->act_target0 - fo->bound_kb, w);
            return true;
        case 1: {
            /* "release KB": the agent lets the balloon go down to KB. */
            char arg[XRES_ACT_ARG_MAX];
            snprintf(arg, sizeof(arg), "%" PRIu64,
                     fo->act_target0 - fo->bound_kb);
            xres_pair_req_action(act, fo->act_domid, "release", arg,
                       fo->seq0 + SEQ_RELEASE, w);
            return true;
        }
        case 2:
            xres_pair_mem_action(act, XRES_ACT_SET_MAXMEM, fo->act_domid,
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
            xres_pair_mem_action(act, XRES_ACT_SET_MAXMEM, fo->sb_domid, mx, w);
            return true;
        }
        case 1:
            xres_pair_mem_action(act, XRES_ACT_SET_TARGET, fo->sb_domid,
                       fo->sb_target0 + fo->bound_kb, w);
            return true;
        case 2: {
            /* "engage KB": the standby's agent onlines what was added. */
            char arg[XRES_ACT_ARG_MAX];
            snprintf(arg, sizeof(arg), "%" PRIu64, fo->bound_kb);
            xres_pair_req_action(act, fo->sb_domid, "engage", arg,
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
            xres_pair_req_action(act, fo->sb_domid, "start", p->areas[i].name,
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
            /* Owners before the start request (003, 506->507 and
             * 611->612); an app that then fails to start is marked
             * stopped by the start step. */
            ar->owner = XRES_OWNER_STANDBY;
            ar->running = (fo->start_mask & (1u << i)) != 0;
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
    /* The standby was lost after the commit: no protection left. */
    if (!xres_pair_dom_alive(xres_host_find(snap, p->standby)))
        p->state = XRES_PAIR_DEGRADED;
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

    case XRES_STEP_RELEASE: {
        bool down, acked;

        if (fo->kind == XRES_FO_APP_RESERVE) return true;
        a = xres_host_find(snap, fo->act_domid);
        if (!xres_pair_dom_alive(a)) return true;     /* its memory is freed anyway */
        /* Both the agent's report and Xen's figure (003, step 505). */
        down = xres_mem_came_down(a->cur_kb, fo->act_target0 - fo->bound_kb,
                                  p->cfg.tol_kb);
        acked = find_ack(obs ? &obs->active : NULL,
                         fo->seq0 + SEQ_RELEASE) != NULL;
        if (down && acked) return true;
        if (down) {
            /* Released, never acked: Xen's figure, once time is up. */
            if (!timed_out(fo, snap, p->cfg.ack_timeout_ms)) return false;
            fo->notes |= XRES_FO_NOTE_RELEASE_NO_ACK;
            return true;
        }
        /* Acked but not released: Xen's figure says otherwise. */
        if (acked) fo->notes |= XRES_FO_NOTE_ACK_NO_RELEASE;
        /* Hung: lend from the reserve rather than wait for ever. */
        if (timed_out(fo, snap, p->cfg.release_timeout_ms) &&
            fo->reserve_cfg_kb >= fo->bound_kb &&
            snap->free_kb >= fo->bound_kb) {
            fo->kind = XRES_FO_APP_RESERVE;
            fo->reserve_kb = fo->bound_kb;
            return true;
        }
        return false;
    }

    case XRES_STEP_ENGAGE: {
        bool up, acked;

        if (!fo->bound_kb) return true;
        s = xres_host_find(snap, fo->sb_domid);
        /* Both the standby's report and Xen's figure (003, 607/610). */
        up = s && xres_mem_went_up(s->cur_kb, fo->sb_target0 + fo->bound_kb,
                                   p->cfg.tol_kb);
        acked = find_ack(obs ? &obs->standby : NULL,
                         fo->seq0 + SEQ_ENGAGE) != NULL;
        if (up && acked) return true;
        if (up) {
            if (!timed_out(fo, snap, p->cfg.ack_timeout_ms)) return false;
            fo->notes |= XRES_FO_NOTE_ENGAGE_NO_ACK;
            return true;
        }
        if (acked) fo->notes |= XRES_FO_NOTE_ACK_NO_ENGAGE;
        return false;
    }

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
        for (size_t i = 0; i < p->nareas; i++)
            if (failed & (1u << i)) p->areas[i].running = false;
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
     * commit the table is unchanged; the fence (if done) stays done.
     * After it, the apps are not started; what is left on the active
     * (a release) still runs, and the pair ends degraded. */
    s = xres_host_find(snap, fo->sb_domid);
    if (!xres_pair_dom_alive(s) && (fo->done & (1u << XRES_STEP_COMMIT)) &&
        step == XRES_STEP_START) {
        fo->failed_mask = fo->start_mask;
        for (size_t i = 0; i < p->nareas; i++)
            if (fo->start_mask & (1u << i)) p->areas[i].running = false;
        snprintf(fo->why, sizeof(fo->why), "standby dom%" PRIu32 " gone "
                 "after the commit: apps not started", fo->sb_domid);
        next_step(fo, snap);
        if (fo->pos >= fo->nsteps) {
            finish(p, snap);
            return XRES_FO_FINISHED;
        }
        return XRES_FO_ADVANCED;
    }
    if (!(fo->done & (1u << XRES_STEP_COMMIT)) &&
        step != XRES_STEP_COMMIT && !xres_pair_dom_alive(s)) {
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
