/*
 * dom0/policy/pair_step.c: the failover drive as a pure step
 * (xres_pair_step) and a failover's dry run (xres_pair_fo_preview), see
 * pair_step.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pair_step.h"

#define PREVIEW_ROUNDS 64

/* When the writes the guests then have to follow were done. */
static void stamp(xres_pair *p, const xres_action *act, uint64_t now_ms)
{
    xres_pair_fo *fo = &p->fo;

    if (act->domid != fo->sb_domid) return;
    if (act->kind == XRES_ACT_SET_TARGET)
        fo->target_ms = now_ms;
    else if (act->kind == XRES_ACT_AGENT_REQUEST &&
             !strcmp(act->u.req.op, "start") && !fo->startreq_ms)
        fo->startreq_ms = now_ms;
}

int xres_pair_step(xres_pair *p, const xres_host *snap,
                   const xres_pair_obs *obs, uint64_t now_ms,
                   size_t max_acts, xres_actions *acts, xres_pair *stepped)
{
    size_t n0 = acts->n;
    int rc;

    if (stepped) *stepped = *p;
    for (;;) {
        rc = xres_pair_fo_run(p, snap, obs, acts);
        if (rc == XRES_FO_ACT) {
            stamp(p, &acts->v[acts->n - 1], now_ms);
            if (max_acts && acts->n - n0 >= max_acts) break;
        } else if (rc != XRES_FO_ADVANCED) {
            break;
        } else if (stepped && acts->n == n0) {
            *stepped = *p;              /* a step done, no action yet */
        }
    }
    if (stepped && acts->n == n0) *stepped = *p;
    return rc;
}

/* The effect of act on the imagined host h and the agents' answers. */
static void imagine(const xres_pair *p, const xres_action *act, xres_host *h,
                    xres_pair_obs *obs)
{
    xres_domain *x = xres_host_find(h, act->domid);
    xres_pair_guest_obs *g;

    if (!x) return;
    switch (act->kind) {
    case XRES_ACT_SET_TARGET:
        if (x->cur_kb > act->u.mem.kb) h->free_kb += x->cur_kb - act->u.mem.kb;
        else if (h->free_kb > act->u.mem.kb - x->cur_kb)
            h->free_kb -= act->u.mem.kb - x->cur_kb;
        else h->free_kb = 0;
        x->target_kb = x->cur_kb = act->u.mem.kb;
        break;
    case XRES_ACT_SET_MAXMEM:
        x->static_max_kb = act->u.mem.kb;
        break;
    case XRES_ACT_SET_SCHED:
        if (act->u.sched.weight >= 0) x->weight = act->u.sched.weight;
        if (act->u.sched.cap >= 0) x->cap = act->u.sched.cap;
        break;
    case XRES_ACT_DESTROY:
        h->free_kb += x->cur_kb;
        x->dying = true;
        break;
    case XRES_ACT_PAUSE:
        x->paused = true;
        break;
    case XRES_ACT_AGENT_REQUEST:
        g = act->domid == p->active ? &obs->active : &obs->standby;
        if (g->nacks == XRES_PAIR_ACKS_MAX) break;
        g->acks[g->nacks].seq = act->u.req.seq;
        g->acks[g->nacks].rc = 0;
        g->nacks++;
        break;
    default:
        break;
    }
}

int xres_pair_fo_preview(const xres_pair *p, xres_fo_kind kind,
                         const char *app, const char *why,
                         const xres_host *snap, uint64_t reserve_kb,
                         xres_actions *acts, char *err, size_t errlen)
{
    xres_pair *q = malloc(sizeof(*q));
    xres_pair_obs *obs = calloc(1, sizeof(*obs));
    xres_host h;
    int rc;

    xres_host_init(&h);
    if (!q || !obs) { rc = -ENOMEM; goto out; }
    *q = *p;
    rc = xres_host_copy(&h, snap);
    if (rc) goto out;
    rc = xres_pair_fo_begin(q, kind, app, why, &h, reserve_kb, err, errlen);
    if (rc) goto out;
    for (int round = 0; round < PREVIEW_ROUNDS; round++) {
        size_t n0 = acts->n;
        int r = xres_pair_step(q, &h, obs, h.now_ms, 0, acts, NULL);

        for (size_t i = n0; i < acts->n; i++)
            imagine(q, &acts->v[i], &h, obs);
        if (r != XRES_FO_WAIT) break;
        if (acts->n == n0) { rc = -EDEADLK; break; }   /* stuck */
    }
out:
    xres_host_dispose(&h);
    free(obs);
    free(q);
    return rc;
}
