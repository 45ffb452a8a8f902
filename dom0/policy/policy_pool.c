/*
 * dom0/policy/policy_pool.c: one step of every memory pool (policy_pool.h).
 *
 * Pools are served in queue order (priority, then deadline), each from
 * what the pools before it left: Xen's spare memory above the reserve,
 * then the donors balancing would take from, in its order.  A round that
 * needs donors lowers them first; its claim follows once their memory has
 * come down (checked on Xen's figure), so the pool counts only what Xen
 * shows.  A pool that cannot get a step may take a piece of a pool of
 * lower priority only when that pool is at-risk: it would not be full by
 * its deadline anyway.
 *
 * Handover on stock Xen: every domain that could still grow is frozen at
 * its current memory (max_mem), the placeholders' claims are cancelled and
 * the placeholders destroyed, and then either the pool's running domain
 * claims the memory and its target rises, or xl creates the new domain,
 * whose own claim (xl's claim_mode) takes the memory.  Then the maxima
 * come back.  Balancing is paused meanwhile (the daemon's part).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "policy_pool.h"

typedef struct {
    const xres_host *h;
    const xres_mem_params *mp;
    uint64_t now;
    xres_actions *out;
    xres_pool_notes *notes;
    int64_t avail;              /* spare memory the pools may still take */
    xres_mem_offer *offers;     /* donors; give_kb falls as they are used */
    size_t nr_offers;
    xres_pool *pools;
    size_t n;
    uint64_t wake;
} ctx;

#define PAGE_KB 4

static void wake(ctx *c, uint64_t at)
{
    if (at < c->wake) c->wake = at;
}

static void piece_name(char *buf, size_t len, const xres_pool *p, unsigned k)
{
    snprintf(buf, len, XRES_POOL_PREFIX "%s-%u", p->spec.name, k);
}

/* Is domid the domain of some pool, or lowered by a round under way? */
static bool reserved_dom(const ctx *c, const xres_domain *d)
{
    for (size_t i = 0; i < c->n; i++) {
        const xres_pool *p = &c->pools[i];
        if (!p->spec.from_config && !strcmp(d->name, p->spec.domain))
            return true;
        for (unsigned j = 0; p->st.round && j < p->st.nr_donors; j++)
            if (p->st.donors[j].domid == d->domid) return true;
    }
    return false;
}

static uint64_t offered(const ctx *c)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < c->nr_offers; i++) sum += c->offers[i].give_kb;
    return sum;
}

static int claim(ctx *c, xres_pool *p, uint64_t kb, const char *why)
{
    char name[XRES_NAME_MAX];
    int rc;

    kb -= kb % PAGE_KB;
    if (!kb) return 0;
    if (c->h->claim_ops && p->ph_domid != XRES_DOMID_INVALID) {
        /* Patched: the one placeholder's claim grows in place. */
        rc = xres_act_claim_adjust(c->out, p->ph_domid, p->ph_kb + kb, why);
        if (rc) return rc;
        p->ph_kb += kb;
    } else {
        piece_name(name, sizeof(name), p, p->st.next_piece);
        rc = xres_act_pool_claim(c->out, name, kb, why);
        if (rc) return rc;
        /* Room to grow in place where the hypervisor allows it. */
        if (c->h->claim_ops) c->out->v[c->out->n - 1].u.pool.max_kb =
            p->spec.size_kb;
        p->st.next_piece++;
    }
    c->avail -= (int64_t)kb;
    p->st.stalled = 0;
    p->st.warned_stall = false;
    return 0;
}

/* The placeholders of p: every claim cancelled, then every placeholder
 * destroyed; or (last_only) the last one destroyed.  *first_destroy gets
 * the index of the first DESTROY in c->out (may be NULL). */
static int destroy_pieces(ctx *c, xres_pool *p, bool last_only,
                          const char *why, size_t *first_destroy)
{
    const xres_domain *last = NULL;
    long lk = -1;
    int rc;

    for (int pass = 0; pass < 2 && !last_only; pass++) {
        if (pass && first_destroy) *first_destroy = c->out->n;
        for (size_t i = 0; i < c->h->nr_domains; i++) {
            const xres_domain *d = &c->h->domains[i];
            if (xres_pool_piece_of(d, p->spec.name) < 0 || d->dying)
                continue;
            rc = pass ? xres_act_destroy(c->out, d->domid, why)
                      : xres_act_claim(c->out, d->domid, 0, why);
            if (rc) return rc;
        }
    }
    if (!last_only) return 0;
    for (size_t i = 0; i < c->h->nr_domains; i++) {
        const xres_domain *d = &c->h->domains[i];
        long k = xres_pool_piece_of(d, p->spec.name);
        if (k > lk && !d->dying) { lk = k; last = d; }
    }
    if (!last) return 0;
    c->avail += (int64_t)last->outstanding_kb;
    return xres_act_destroy(c->out, last->domid, why);
}

/* A pool of lower priority than p, at-risk and holding memory. */
static xres_pool *preemptable(ctx *c, const xres_pool *p)
{
    xres_pool *best = NULL;

    for (size_t i = 0; i < c->n; i++) {
        xres_pool *q = &c->pools[i];
        if (q == p || q->spec.priority >= p->spec.priority ||
            !q->st.at_risk || !q->pieces || q->st.round ||
            q->st.phase != XRES_POOL_GATHERING || q->st.delete_asked)
            continue;
        if (!best || q->spec.priority < best->spec.priority) best = q;
    }
    return best;
}

/* Start a round: take = all that remains when the host can give it in
 * one round, else at most one step. */
static int round_begin(ctx *c, xres_pool *p)
{
    xres_pool_state *st = &p->st;
    uint64_t rem = p->spec.size_kb - p->held_kb, can, take, from_free, need;
    uint64_t avail = c->avail > 0 ? (uint64_t)c->avail : 0;
    char why[96];
    int rc;

    st->next_round_ms = c->now + p->spec.every_ms;
    can = avail + offered(c);
    take = can >= rem ? rem : (p->spec.step_kb < can ? p->spec.step_kb : can);
    if (take > rem) take = rem;
    take -= take % PAGE_KB;
    if (!take) {
        xres_pool *q = preemptable(c, p);
        st->stalled++;
        if (q) {
            xres_pool_note_add(c->notes, LOG_WARNING, "pool %s: takes a "
                               "piece of at-risk pool %s (priority %u > %u)",
                               p->spec.name, q->spec.name, p->spec.priority,
                               q->spec.priority);
            snprintf(why, sizeof(why), "pool %s: for pool %s", q->spec.name,
                     p->spec.name);
            st->next_round_ms = c->now;
            wake(c, c->now + c->mp->check_ms);
            if (c->h->claim_ops && q->ph_domid != XRES_DOMID_INVALID &&
                q->ph_kb > p->spec.step_kb) {
                q->ph_kb -= p->spec.step_kb;
                c->avail += (int64_t)p->spec.step_kb;
                return xres_act_claim_adjust(c->out, q->ph_domid, q->ph_kb,
                                             why);
            }
            return destroy_pieces(c, q, true, why, NULL);
        }
        if (st->stalled >= p->spec.stall_rounds && !st->warned_stall) {
            xres_pool_note_add(c->notes, LOG_WARNING, "pool %s: no memory "
                               "gathered in %u rounds in a row (held %"
                               PRIu64 " of %" PRIu64 " KiB)", p->spec.name,
                               st->stalled, p->held_kb, p->spec.size_kb);
            st->warned_stall = true;
        }
        return 0;
    }
    from_free = take < avail ? take : avail;
    need = take - from_free;
    snprintf(why, sizeof(why), "pool %s: %s", p->spec.name,
             take == rem ? "all at once" : "one step");
    if (!need) return claim(c, p, take, why);

    st->round = true;
    st->round_kb = take;
    st->round_free_kb = from_free;
    st->round_ms = c->now;
    st->nr_donors = 0;
    c->avail -= (int64_t)from_free;
    for (size_t i = 0; i < c->nr_offers && need &&
         st->nr_donors < XRES_POOL_DONORS; i++) {
        xres_mem_offer *o = &c->offers[i];
        uint64_t g = o->give_kb < need ? o->give_kb : need;
        if (!g) continue;
        g -= g % PAGE_KB;
        o->give_kb -= g;
        need -= g;
        st->donors[st->nr_donors].domid = o->domid;
        st->donors[st->nr_donors].to_kb = o->target_kb - g;
        st->nr_donors++;
        o->target_kb -= g;
        if ((rc = xres_act_set_target(c->out, o->domid, o->target_kb, why)))
            return rc;
    }
    st->round_kb -= need;
    wake(c, c->now + c->mp->check_ms);
    return 0;
}

/* A round under way: claim once the donors came down, or what there is
 * when they have not within the time a balloon is given. */
static int round_finish(ctx *c, xres_pool *p)
{
    xres_pool_state *st = &p->st;
    uint64_t lim = c->mp->timeout_ms > p->spec.every_ms ? c->mp->timeout_ms
                                                        : p->spec.every_ms;
    uint64_t avail, kb;
    bool down = true;
    char why[96];

    for (unsigned i = 0; i < st->nr_donors; i++) {
        const xres_domain *d = xres_host_find(c->h, st->donors[i].domid);
        if (d && !xres_mem_came_down(d->cur_kb, st->donors[i].to_kb,
                                     c->mp->tolerance_kb))
            down = false;
    }
    if (!down && c->now - st->round_ms < lim) {
        wake(c, c->now + c->mp->check_ms);
        return 0;
    }
    /* The round's free part was set aside from avail when it began. */
    avail = c->avail > 0 ? (uint64_t)c->avail : 0;
    avail += st->round_free_kb;
    kb = st->round_kb < avail ? st->round_kb : avail;
    if (!down)
        xres_pool_note_add(c->notes, LOG_WARNING, "pool %s: donors did not "
                           "come down within %" PRIu64 " ms; claims %" PRIu64
                           " of %" PRIu64 " KiB", p->spec.name, lim, kb,
                           st->round_kb);
    st->round = false;
    st->nr_donors = 0;
    c->avail += (int64_t)st->round_free_kb;
    snprintf(why, sizeof(why), "pool %s: after its donors", p->spec.name);
    if (!kb) st->stalled++;
    return claim(c, p, kb, why);
}

static int freeze(ctx *c, xres_pool *p, uint32_t skip)
{
    xres_pool_state *st = &p->st;
    int rc;

    st->nr_frozen = 0;
    for (size_t i = 0; i < c->h->nr_domains; i++) {
        const xres_domain *d = &c->h->domains[i];
        uint64_t at = d->cur_kb > d->target_kb ? d->cur_kb : d->target_kb;
        if (!d->domid || d->domid == skip || d->dying ||
            xres_pool_is_placeholder(d) ||
            d->xen_max_kb <= at + c->mp->maxmem_slack_kb ||
            st->nr_frozen == XRES_POOL_FROZEN_MAX)
            continue;
        st->frozen[st->nr_frozen].domid = d->domid;
        st->frozen[st->nr_frozen].old_kb = d->xen_max_kb;
        st->nr_frozen++;
        if ((rc = xres_act_set_maxmem(c->out, d->domid, at,
                                      "pool handover: frozen")))
            return rc;
        /* One that cannot be frozen (not libxl's) does not stop it. */
        c->out->v[c->out->n - 1].optional = true;
    }
    return 0;
}

static int thaw(ctx *c, xres_pool *p)
{
    xres_pool_state *st = &p->st;
    int rc;

    for (unsigned i = 0; i < st->nr_frozen; i++) {
        if (!xres_host_find(c->h, st->frozen[i].domid)) continue;
        if ((rc = xres_act_set_maxmem(c->out, st->frozen[i].domid,
                                      st->frozen[i].old_kb,
                                      "pool handover: thawed")))
            return rc;
        c->out->v[c->out->n - 1].optional = true;
    }
    st->nr_frozen = 0;
    return 0;
}

static int handover_step(ctx *c, xres_pool *p);

/* Patched: every placeholder's claim moves to the domain in one
 * hypercall each, so the memory is never unclaimed; then the empty
 * placeholders go and the domain's target rises. */
static int handover_move(ctx *c, xres_pool *p, const xres_domain *d,
                         const char *why)
{
    int rc;

    for (size_t i = 0; i < c->h->nr_domains; i++) {
        const xres_domain *ph = &c->h->domains[i];
        if (xres_pool_piece_of(ph, p->spec.name) < 0 || ph->dying ||
            !ph->outstanding_kb)
            continue;
        rc = xres_act_claim_move(c->out, ph->domid, d->domid,
                                 ph->outstanding_kb, why);
        if (rc) return rc;
    }
    for (size_t i = 0; i < c->h->nr_domains; i++) {
        const xres_domain *ph = &c->h->domains[i];
        if (xres_pool_piece_of(ph, p->spec.name) < 0 || ph->dying) continue;
        if ((rc = xres_act_destroy(c->out, ph->domid, why))) return rc;
    }
    wake(c, c->now + c->mp->check_ms);
    return xres_act_set_target(c->out, d->domid, p->st.dom_target_kb, why);
}

static int handover_begin(ctx *c, xres_pool *p, uint64_t give)
{
    xres_pool_state *st = &p->st;
    const xres_domain *d = NULL;
    int rc;

    if (!p->spec.from_config) {
        d = xres_host_find_name(c->h, p->spec.domain);
        if (!d || d->dying || d->shutdown) {
            snprintf(st->msg, sizeof(st->msg), "domain %s is not running; "
                     "the pool keeps its memory", p->spec.domain);
            return 0;
        }
    } else if (xres_host_find_name(c->h, p->spec.domain)) {
        snprintf(st->msg, sizeof(st->msg), "a domain called %s is running "
                 "already; the pool keeps its memory", p->spec.domain);
        return 0;
    }
    st->phase = XRES_POOL_HANDOVER;
    st->give_kb = give;
    st->handover_ms = c->now;
    st->round = false;
    xres_pool_note_add(c->notes, LOG_NOTICE, "pool %s: handover of %" PRIu64
                       " KiB to %s%s", p->spec.name, give, p->spec.domain,
                       p->spec.from_config ? " (new domain)" : "");
    if ((rc = freeze(c, p, d ? d->domid : XRES_DOMID_INVALID))) return rc;
    if (d) st->dom_target_kb = d->target_kb + give;
    return handover_step(c, p);
}

/* The rest of a handover, from what the snapshot shows: replayed as it is
 * after a restart. */
static int handover_step(ctx *c, xres_pool *p)
{
    xres_pool_state *st = &p->st;
    const xres_domain *d = xres_host_find_name(c->h, p->spec.domain);
    char why[96];
    int rc;

    snprintf(why, sizeof(why), "pool %s: handover", p->spec.name);
    /* Room for the memory first (again, after a restart): the domain's
     * claim of cur + give, and its new target. */
    if (p->pieces && !p->spec.from_config && d) {
        uint64_t want = d->cur_kb + st->give_kb;
        if (want < st->dom_target_kb) want = st->dom_target_kb;
        want += c->mp->maxmem_slack_kb;
        if (d->xen_max_kb < want &&
            (rc = xres_act_set_maxmem(c->out, d->domid, want, why)))
            return rc;
    }
    if (p->pieces && c->h->claim_ops && !p->spec.from_config && d)
        return handover_move(c, p, d, why);
    if (p->pieces) {
        size_t at = 0;
        if ((rc = destroy_pieces(c, p, false, why, &at))) return rc;
        if (p->spec.from_config)
            return xres_act_create(c->out, p->spec.domain, p->spec.config,
                                   st->give_kb, why);
        if (!d) return 0;
        if (c->h->claim_ops) return handover_move(c, p, d, why);
        /* The claims were just cancelled: the domain claims the memory
         * before the placeholders are destroyed. */
        rc = xres_act_claim(c->out, d->domid, d->cur_kb + st->give_kb, why);
        if (rc) return rc;
        /* Should memory be taken in the gap, the handover goes on: the
         * domain's balloon gets what there is. */
        c->out->v[c->out->n - 1].optional = true;
        xres_action moved = c->out->v[c->out->n - 1];
        memmove(&c->out->v[at + 1], &c->out->v[at],
                (c->out->n - 1 - at) * sizeof(moved));
        c->out->v[at] = moved;
        wake(c, c->now + c->mp->check_ms);
        return xres_act_set_target(c->out, d->domid, st->dom_target_kb, why);
    }
    if (p->spec.from_config) {
        if (!d)
            return xres_act_create(c->out, p->spec.domain, p->spec.config,
                                   st->give_kb, why);
    } else {
        bool up = d && xres_mem_went_up(d->cur_kb, st->dom_target_kb,
                                        c->mp->tolerance_kb);
        uint64_t lim = 6 * c->mp->timeout_ms;
        if (d && !up && c->now - st->handover_ms < lim) {
            wake(c, c->now + c->mp->check_ms);
            return 0;
        }
        if (d && d->outstanding_kb) {
            if ((rc = xres_act_claim(c->out, d->domid, 0, why))) return rc;
            c->out->v[c->out->n - 1].optional = true;
        }
        if (d && !up)
            xres_pool_note_add(c->notes, LOG_WARNING, "pool %s: %s did not "
                               "reach %" PRIu64 " KiB within %" PRIu64
                               " ms; its claim is cancelled", p->spec.name,
                               p->spec.domain, st->dom_target_kb, lim);
    }
    if ((rc = thaw(c, p))) return rc;
    st->phase = d ? XRES_POOL_STARTED : XRES_POOL_FAILED;
    st->domid = d ? d->domid : XRES_DOMID_INVALID;
    if (d && p->spec.from_config)
        snprintf(st->msg, sizeof(st->msg), "%s started with %" PRIu64
                 " KiB from the pool", p->spec.domain, st->give_kb);
    else if (d)
        snprintf(st->msg, sizeof(st->msg), "%s got %" PRIu64 " KiB from the "
                 "pool: target and guarantee %" PRIu64 " KiB", p->spec.domain,
                 st->give_kb, st->dom_target_kb);
    else
        snprintf(st->msg, sizeof(st->msg), "domain %s is gone",
                 p->spec.domain);
    xres_pool_note_add(c->notes, LOG_NOTICE, "pool %s: %s", p->spec.name,
                       st->msg);
    return 0;
}

/* At the deadline or on pool-start, with less than the size. */
static int short_start(ctx *c, xres_pool *p)
{
    xres_pool_state *st = &p->st;
    uint64_t least = p->spec.from_config ? p->spec.config_mem_kb : 1;

    switch (p->spec.on_short) {
    case XRES_POOL_SHORT_START:
        if (p->held_kb >= least && p->held_kb)
            return handover_begin(c, p, p->held_kb);
        snprintf(st->msg, sizeof(st->msg), "short: %" PRIu64 " of %" PRIu64
                 " KiB, less than the %" PRIu64 " KiB the domain needs; "
                 "waiting", p->held_kb, p->spec.size_kb, least);
        return 0;
    case XRES_POOL_SHORT_WAIT:
        snprintf(st->msg, sizeof(st->msg), "short at its deadline: %" PRIu64
                 " of %" PRIu64 " KiB; waiting until full", p->held_kb,
                 p->spec.size_kb);
        return 0;
    case XRES_POOL_SHORT_FAIL:
    default:
        snprintf(st->msg, sizeof(st->msg), "failed: %" PRIu64 " of %" PRIu64
                 " KiB at its deadline; the memory is given back", p->held_kb,
                 p->spec.size_kb);
        xres_pool_note_add(c->notes, LOG_ERR, "pool %s: %s", p->spec.name,
                           st->msg);
        st->phase = XRES_POOL_FAILED;
        return destroy_pieces(c, p, false, "pool failed: released", NULL);
    }
}

static int pool_step(ctx *c, xres_pool *p)
{
    xres_pool_state *st = &p->st;
    bool due, full;
    int rc = 0;

    if (st->delete_asked) {
        st->round = false;
        return p->pieces ? destroy_pieces(c, p, false, "pool deleted", NULL)
                         : 0;
    }
    switch (st->phase) {
    case XRES_POOL_HANDOVER:
        return handover_step(c, p);
    case XRES_POOL_STARTED:
    case XRES_POOL_FAILED:
        return 0;
    default:
        break;
    }
    if (c->now >= st->next_sample_ms) {
        st->next_sample_ms = xres_pool_sample_add(p, c->now, c->notes);
    }
    wake(c, st->next_sample_ms);
    if (st->round && (rc = round_finish(c, p))) return rc;
    full = p->held_kb >= p->spec.size_kb;
    if (!full && st->phase == XRES_POOL_FULL) st->phase = XRES_POOL_GATHERING;
    if (full && st->phase == XRES_POOL_GATHERING && !st->round) {
        st->phase = XRES_POOL_FULL;
        st->at_risk = false;
        xres_pool_note_add(c->notes, LOG_NOTICE, "pool %s: full (%" PRIu64
                           " KiB in %u pieces)", p->spec.name, p->held_kb,
                           p->pieces);
    }
    due = st->start_asked || c->now >= p->spec.deadline_ms ||
        (full && p->spec.start_when_full);
    if (due && !st->round) {
        if (full) return handover_begin(c, p, p->spec.size_kb);
        if ((rc = short_start(c, p)) || st->phase != XRES_POOL_GATHERING)
            return rc;
    }
    if (!full && !st->round && c->now >= st->next_round_ms)
        rc = round_begin(c, p);
    if (!st->round) wake(c, st->next_round_ms);
    if (!full) wake(c, p->spec.deadline_ms);
    return rc;
}

int xres_pool_step(xres_pool *pools, size_t n, const xres_host *h,
                   const xres_mem_params *mp, uint64_t now,
                   xres_actions *out, xres_pool_notes *notes,
                   uint64_t *wake_ms)
{
    ctx c = { .h = h, .mp = mp, .now = now, .out = out, .notes = notes,
              .pools = pools, .n = n, .wake = UINT64_MAX };
    size_t order[XRES_POOLS_MAX], k = 0;
    xres_mem_account acc;
    int rc;

    if (n > XRES_POOLS_MAX) return -E2BIG;
    for (size_t i = 0; i < n; i++) xres_pool_observe(&pools[i], h);
    xres_pool_queue(pools, n, order);
    xres_mem_account_of(h, mp, &acc);
    c.avail = acc.spare_kb;
    rc = xres_mem_offers(h, mp, &c.offers, &c.nr_offers);
    if (rc) goto out;
    /* Donors already given to a pool's round, or a pool's own domain,
     * are not offered again. */
    size_t kept = 0;
    for (size_t i = 0; i < c.nr_offers; i++) {
        const xres_domain *d = xres_host_find(h, c.offers[i].domid);
        if (!d || !reserved_dom(&c, d)) c.offers[kept++] = c.offers[i];
    }
    c.nr_offers = kept;
    /* A round's free part is set aside until its claim. */
    for (size_t i = 0; i < n; i++)
        if (pools[i].st.round) c.avail -= (int64_t)pools[i].st.round_free_kb;
    for (k = 0; k < n; k++)
        if ((rc = pool_step(&c, &pools[order[k]]))) goto out;
out:
    free(c.offers);
    *wake_ms = c.wake;
    return rc;
}
