/*
 * dom0/policy/policy_mem.c: memory by demand, the pure policy (policy_mem.h).
 *
 * Snapshot in, plan of transfers out.  The rules, in short (the full text
 * is in docs/xres-mem.md):
 *  - u = used / target, used counting the swap in use up to the max
 *    (mem_classify.c).  Deficient when u >= high, excess when u <= low.
 *  - A receiver takes the fewest whole blocks that bring u below high
 *    (or its guarantee, if it is below it), never past its max.
 *  - An excess donor gives whole blocks while its u stays at or below the
 *    mid point (low + high) / 2 and its target at or above its min.
 *  - Receivers by guarantee first, then priority, then u; donors from the
 *    most underused.  Donors first, then Xen's free memory above the
 *    reserve.
 *  - If receivers are still short, every eligible domain is given a share
 *    (its min, then the rest in proportion to weight x used, up to what it
 *    wants); domains above their share give whole blocks down to it, and
 *    short receivers take up to theirs.
 * Everything is O(n log n) in the number of domains.  The operator's
 * commands (mem-move, mem-set) and a plan's actions are in
 * policy_mem_ops.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_classify.h"
#include "policy_mem.h"

#define NONE ((size_t)-1)

void xres_mem_params_default(xres_mem_params *p)
{
    memset(p, 0, sizeof(*p));
    p->high = 0.90;
    p->low = 0.50;
    p->block_kb = 64 * 1024;
    p->reserve_kb = 64 * 1024;
    p->threshold_kb = 16 * 1024;
    p->tolerance_kb = 4 * 1024;
    p->timeout_ms = 5000;
    p->check_ms = 500;
    p->retry_ms = 60000;
    p->tick_ms = 10000;
    p->maxmem_slack_kb = 1024;
}

int xres_mem_params_check(const xres_mem_params *p, char *err, size_t len)
{
    const char *why = NULL;

    if (!(p->low > 0.0 && p->low < 1.0))
        why = "mem_low must be between 0 and 1";
    else if (!(p->high > p->low && p->high <= 1.0))
        why = "mem_high must be above mem_low and at most 1";
    else if (p->block_kb < 4 || p->block_kb % 4)
        why = "mem_block must be a positive multiple of 4K";
    else if (p->threshold_kb > p->block_kb)
        why = "mem_threshold must not exceed mem_block";
    else if (!p->timeout_ms || !p->check_ms || p->check_ms > p->timeout_ms)
        why = "mem_check_ms must be positive and at most mem_timeout_ms";
    else if (!p->tick_ms)
        why = "mem_tick_ms must be positive";
    if (why) {
        if (err) snprintf(err, len, "%s", why);
        return -EINVAL;
    }
    return 0;
}

void xres_mem_plan_init(xres_mem_plan *p)
{
    memset(p, 0, sizeof(*p));
}

void xres_mem_plan_dispose(xres_mem_plan *p)
{
    free(p->v);
    memset(p, 0, sizeof(*p));
}

int xres_mem_plan_push(xres_mem_plan *p, const xres_mem_transfer *t)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        xres_mem_transfer *v = realloc(p->v, ncap * sizeof(*v));
        if (!v) return -ENOMEM;
        p->v = v;
        p->cap = ncap;
    }
    p->v[p->n++] = *t;
    return 0;
}

bool xres_mem_has_balloon(const xres_domain *d)
{
    /* Windows PV drivers write control/feature-balloon; Linux does not,
     * but its agent reports the balloon driver's current_kb. */
    return d->feature_balloon ||
        (d->agent.valid && d->agent.balloon_cur_kb > 0);
}

bool xres_mem_balloonable(const xres_domain *d)
{
    return d->domid != 0 && d->agent.valid && xres_mem_has_balloon(d) &&
        !d->shutdown && !d->dying;
}

uint64_t xres_mem_max_of(const xres_domain *d)
{
    uint64_t smax = d->static_max_kb ? d->static_max_kb : d->xen_max_kb;
    uint64_t m = d->mem_policy.max_kb;

    if (!m || m > smax) m = smax;
    return m;
}

void xres_mem_account_of(const xres_host *h, const xres_mem_params *p,
                         xres_mem_account *a)
{
    uint64_t sum_cur = 0, promised = 0, claimed = 0;

    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *d = &h->domains[i];
        sum_cur += d->cur_kb;
        claimed += d->cur_kb > d->target_kb ? d->cur_kb : d->target_kb;
        if (d->target_kb > d->cur_kb) promised += d->target_kb - d->cur_kb;
    }
    a->total_kb = h->total_kb;
    a->overhead_kb = h->total_kb - h->free_kb - h->outstanding_kb - sum_cur;
    a->claimed_kb = claimed;
    a->reserve_kb = p->reserve_kb;
    a->spare_kb = (int64_t)h->free_kb - (int64_t)p->reserve_kb -
        (int64_t)promised;
}

int64_t xres_mem_raise_room(const xres_host *h, const xres_mem_params *p,
                            const xres_domain *donor, uint64_t donor_from_kb)
{
    xres_mem_account acc;

    xres_mem_account_of(h, p, &acc);
    if (donor && donor->cur_kb < donor_from_kb) {
        int64_t rel = (int64_t)(donor_from_kb - donor->cur_kb);
        int64_t unpromised = acc.spare_kb + (int64_t)acc.reserve_kb;
        if (acc.spare_kb - rel < 0) {
            int64_t own = rel < unpromised ? rel : unpromised;
            if (own > acc.spare_kb) return own;
        }
    }
    return acc.spare_kb;
}

/* ---- the balancing decision ---- */

typedef struct {
    const xres_host *h;
    const xres_mem_params *p;
    mdom *m;
    size_t n;
    xres_mem_plan *plan;
} bal;

static int emit(bal *b, size_t s, size_t r, uint64_t kb, const char *why)
{
    xres_mem_transfer t;

    memset(&t, 0, sizeof(t));
    t.src = t.dst = XRES_DOMID_INVALID;
    t.kb = kb;
    if (s != NONE) {
        mdom *x = &b->m[s];
        t.src = b->h->domains[x->idx].domid;
        t.src_from = x->a;
        t.src_to = x->a - kb;
        x->a -= kb;
    }
    if (r != NONE) {
        mdom *x = &b->m[r];
        const xres_domain *d = &b->h->domains[x->idx];
        t.dst = d->domid;
        t.dst_from = x->a;
        t.dst_to = x->a + kb;
        x->a += kb;
        if (t.dst_to + b->p->maxmem_slack_kb > d->xen_max_kb)
            t.dst_maxmem = t.dst_to + b->p->maxmem_slack_kb;
    }
    size_t wl = strlen(why);
    if (wl >= sizeof(t.why)) wl = sizeof(t.why) - 1;
    memcpy(t.why, why, wl);
    return xres_mem_plan_push(b->plan, &t);
}

/* Sorting: every order is a 64-bit key, smaller first, sorted by a
 * stable LSD radix sort, so equal keys keep domid order (the snapshot is
 * sorted by domid).  O(n), and no comparison calls. */
typedef struct {
    uint64_t k;
    size_t i;
} skey;

static int radix_sort(skey *v, size_t n)
{
    skey *tmp, *src = v, *dst;
    size_t cnt[256];

    if (n < 2) return 0;
    tmp = malloc(n * sizeof(*tmp));
    if (!tmp) return -ENOMEM;
    dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8) {
        size_t sum = 0;
        memset(cnt, 0, sizeof(cnt));
        for (size_t j = 0; j < n; j++) cnt[(src[j].k >> shift) & 0xff]++;
        if (cnt[(src[0].k >> shift) & 0xff] == n) continue;  /* one bucket */
        for (unsigned b = 0; b < 256; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t j = 0; j < n; j++)
            dst[cnt[(src[j].k >> shift) & 0xff]++] = src[j];
        skey *t = src; src = dst; dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof(*v));
    free(tmp);
    return 0;
}

/* Order-preserving bits of a non-negative double. */
static uint64_t dbits(double x)
{
    uint64_t u;

    if (!(x > 0)) return 0;
    memcpy(&u, &x, sizeof(u));
    return u;
}

/* Order-preserving 32 bits of a non-negative ratio (float precision). */
static uint32_t fbits(double x)
{
    float f = x > 3e38 ? 3e38f : (float)x;
    uint32_t u;

    if (!(f > 0)) return 0;
    memcpy(&u, &f, sizeof(u));
    return u;
}

/* Shares for short mode: what each must keep first (its min, and what
 * it cannot give back), then the rest in proportion to
 * weight x used, each capped at want.  Water-filling over the sorted
 * saturation points. */
static int compute_shares(bal *b, uint64_t pool)
{
    double M = (double)pool, sum_keep = 0, sum_want = 0;
    skey *k;
    size_t nk = 0;

    for (size_t i = 0; i < b->n; i++) {
        M += (double)b->m[i].a;
        sum_keep += (double)b->m[i].keep;
        sum_want += (double)b->m[i].want;
    }
    if (sum_want <= M) {
        for (size_t i = 0; i < b->n; i++) b->m[i].share = b->m[i].want;
        return 0;
    }
    if (sum_keep >= M) {
        for (size_t i = 0; i < b->n; i++) b->m[i].share = b->m[i].keep;
        return 0;
    }
    k = malloc((b->n ? b->n : 1) * sizeof(*k));
    if (!k) return -ENOMEM;
    double base = 0, slope = 0;
    for (size_t i = 0; i < b->n; i++) {
        mdom *x = &b->m[i];
        base += (double)x->keep;
        if (x->want > x->keep) {
            k[nk].k = dbits((double)(x->want - x->keep) / x->wd);
            k[nk].i = i;
            nk++;
            slope += x->wd;
        }
    }
    if (radix_sort(k, nk)) {
        free(k);
        return -ENOMEM;
    }
    double lambda = 0;
    for (size_t j = 0; j < nk; j++) {
        lambda = slope > 0 ? (M - base) / slope : 0;
        mdom *x = &b->m[k[j].i];
        double bp = (double)(x->want - x->keep) / x->wd;
        if (lambda <= bp) break;
        base += (double)(x->want - x->keep);
        slope -= x->wd;
        lambda = bp;
    }
    for (size_t i = 0; i < b->n; i++) {
        mdom *x = &b->m[i];
        double s = (double)x->keep + lambda * x->wd;
        x->share = s >= (double)x->want ? x->want : (uint64_t)s;
        if (x->share < x->keep) x->share = x->keep;
    }
    free(k);
    return 0;
}

int xres_mem_balance(const xres_host *h, const xres_mem_params *p,
                     xres_mem_plan *plan)
{
    bal b = { .h = h, .p = p, .plan = plan };
    skey *rk = NULL, *dk = NULL;
    size_t nr = 0, nd = 0;
    uint64_t B = p->block_kb, pool;
    xres_mem_account acc;
    int rc = 0;

    b.m = malloc((h->nr_domains ? h->nr_domains : 1) * sizeof(*b.m));
    rk = malloc((h->nr_domains ? h->nr_domains : 1) * sizeof(*rk));
    dk = malloc((h->nr_domains ? h->nr_domains : 1) * sizeof(*dk));
    if (!b.m || !rk || !dk) { rc = -ENOMEM; goto out; }

    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *d = &h->domains[i];
        if (!mem_eligible(d, p)) continue;
        mdom *x = &b.m[b.n];
        memset(x, 0, sizeof(*x));
        x->idx = i;
        mem_classify(x, d, p);
        if (x->receiver) {
            /* guarantee first, then priority, then u, all descending */
            unsigned pr = x->prio > 0x7fff ? 0x7fff : x->prio;
            rk[nr].k = ((uint64_t)(x->guarantee ? 0 : 1) << 63) |
                ((uint64_t)(0x7fff - pr) << 48) |
                ((uint64_t)(UINT32_MAX - fbits(x->u)) << 16);
            rk[nr].i = b.n;
            nr++;
        } else if (x->give) {
            /* above max first, then the most underused */
            dk[nd].k = ((uint64_t)(x->forced ? 0 : 1) << 63) |
                ((uint64_t)fbits(x->u) << 16);
            dk[nd].i = b.n;
            nd++;
        }
        b.n++;
    }
    if ((rc = radix_sort(rk, nr)) || (rc = radix_sort(dk, nd))) goto out;

    xres_mem_account_of(h, p, &acc);
    pool = acc.spare_kb > 0 ? (uint64_t)acc.spare_kb : 0;

    /* 1. Donors to receivers, then free memory to receivers. */
    size_t dj = 0;
    bool unmet = false;
    for (size_t ri = 0; ri < nr; ri++) {
        mdom *r = &b.m[rk[ri].i];
        while (r->need && dj < nd) {
            mdom *s = &b.m[dk[dj].i];
            uint64_t kb = r->need < s->give ? r->need : s->give;
            if ((rc = emit(&b, dk[dj].i, rk[ri].i, kb,
                           r->guarantee ? "guarantee" : "demand")))
                goto out;
            r->need -= kb;
            s->give -= kb;
            if (!s->give) dj++;
        }
        if (r->need && pool) {
            uint64_t kb = r->need <= pool ? r->need : pool / B * B;
            if (kb && (kb >= p->threshold_kb || kb == r->need)) {
                if ((rc = emit(&b, NONE, rk[ri].i, kb, "free memory")))
                    goto out;
                r->need -= kb;
                pool -= kb;
            }
        }
        if (r->need) unmet = true;
    }

    /* 2. Domains above their max give the rest back to Xen. */
    for (size_t j = dj; j < nd; j++) {
        mdom *s = &b.m[dk[j].i];
        if (!s->forced) break;
        uint64_t over = s->a > s->hi ? s->a - s->hi : 0;
        if (over) {
            if ((rc = emit(&b, dk[j].i, NONE, over, "above max"))) goto out;
            s->give -= over < s->give ? over : s->give;
            pool += over;
        }
    }

    /* 3. Short: shares by weight x demand. */
    if (!unmet) goto out;
    plan->short_mode = true;
    if ((rc = compute_shares(&b, pool))) goto out;
    nd = 0;
    for (size_t i = 0; i < b.n; i++) {
        mdom *x = &b.m[i];
        uint64_t floor_ = x->share > x->keep ? x->share : x->keep;
        x->give = 0;
        if (x->a <= floor_) continue;
        x->give = (x->a - floor_) / B * B;
        if (!x->give) continue;
        x->need = 0;            /* above its share: it gives, even if short */
        dk[nd].k = (uint64_t)fbits(x->u) << 16;
        dk[nd].i = i;
        nd++;
    }
    if ((rc = radix_sort(dk, nd))) goto out;
    dj = 0;
    for (size_t ri = 0; ri < nr && dj < nd; ri++) {
        mdom *r = &b.m[rk[ri].i];
        if (!r->need || r->a >= r->share) continue;
        uint64_t room = r->share - r->a;
        if (room < r->need) r->need = room;
        while (r->need >= p->threshold_kb && dj < nd) {
            mdom *s = &b.m[dk[dj].i];
            uint64_t kb = r->need < s->give ? r->need : s->give;
            if ((rc = emit(&b, dk[dj].i, rk[ri].i, kb, "share")))
                goto out;
            r->need -= kb;
            s->give -= kb;
            if (s->give < p->threshold_kb) dj++;
        }
    }

out:
    free(b.m);
    free(rk);
    free(dk);
    return rc;
}

int xres_mem_offers(const xres_host *h, const xres_mem_params *p,
                    xres_mem_offer **out, size_t *n)
{
    size_t cap = h->nr_domains ? h->nr_domains : 1, nd = 0;
    skey *dk = malloc(cap * sizeof(*dk));
    mdom *m = malloc(cap * sizeof(*m));
    xres_mem_offer *v = malloc(cap * sizeof(*v));
    int rc = -ENOMEM;

    *out = NULL;
    *n = 0;
    if (!dk || !m || !v) goto out;
    for (size_t i = 0; i < h->nr_domains; i++) {
        if (!mem_eligible(&h->domains[i], p)) continue;
        memset(&m[nd], 0, sizeof(m[nd]));
        m[nd].idx = i;
        mem_classify(&m[nd], &h->domains[i], p);
        if (m[nd].receiver || m[nd].room < 4) continue;
        dk[nd].k = ((uint64_t)(m[nd].forced ? 0 : 1) << 63) |
            ((uint64_t)fbits(m[nd].u) << 16);
        dk[nd].i = nd;
        nd++;
    }
    if ((rc = radix_sort(dk, nd))) goto out;
    for (size_t j = 0; j < nd; j++) {
        const mdom *x = &m[dk[j].i];
        v[j].domid = h->domains[x->idx].domid;
        v[j].target_kb = x->a;
        v[j].give_kb = x->room;
    }
    *out = v;
    *n = nd;
    v = NULL;
    rc = 0;
out:
    free(dk);
    free(m);
    free(v);
    return rc;
}
