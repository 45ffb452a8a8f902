/*
 * dom0/policy/mem_classify.c: one domain's demand and its class in the
 * balancing decision (receiver, donor or neither), for policy_mem.c.
 */
#include <math.h>
#include <string.h>

#include "mem_classify.h"

/* The most of a guest's memory taken as held outside MemTotal: 64 MiB or
 * an eighth of what it has, whichever is more. */
#define XRES_MEM_OUTSIDE_MAX(cur) ((cur) / 8 > 65536 ? (cur) / 8 : 65536)

bool xres_mem_report_moves(const xres_domain *d,
                           const xres_agent_report *before,
                           const xres_mem_params *p)
{
    xres_domain old = *d;
    mdom a, b;

    if (d->agent.valid != before->valid) return true;
    if (!d->agent.valid) return false;
    old.agent = *before;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    mem_classify(&a, &old, p);
    mem_classify(&b, d, p);
    return a.receiver != b.receiver || a.need != b.need || a.give != b.give ||
        a.forced != b.forced || a.guarantee != b.guarantee;
}

bool mem_eligible(const xres_domain *d, const xres_mem_params *p)
{
    if (!xres_mem_balloonable(d)) return false;
    if (d->balloon == XRES_BALLOON_MOVING ||
        d->balloon == XRES_BALLOON_NOT_RESPONDING)
        return false;
    /* A balloon still on its way somewhere is left alone. */
    return xres_mem_arrived(d->cur_kb, d->target_kb, p->tolerance_kb);
}

void mem_classify(mdom *x, const xres_domain *d, const xres_mem_params *p)
{
    uint64_t B = p->block_kb, mid_floor, base, over;
    double mid = (p->low + p->high) / 2.0;

    x->a = d->target_kb;
    x->hi = xres_mem_max_of(d);
    x->lo = d->mem_policy.min_kb;
    /* A floor set by another subsystem (a pair's standby that took over)
     * counts like a guarantee, and also lifts a lower policy max. */
    if (d->mem_floor_kb > x->lo) x->lo = d->mem_floor_kb;
    if (d->mem_floor_kb > x->hi) {
        uint64_t smax = d->static_max_kb ? d->static_max_kb : d->xen_max_kb;
        x->hi = d->mem_floor_kb < smax ? d->mem_floor_kb : smax;
    }
    if (x->lo > x->hi) x->lo = x->hi;
    /* Demand: what the guest uses, and what it has in swap.  MemTotal -
     * MemAvailable stops near the top for a guest that swaps; the swap in
     * use says how much more it would hold. */
    x->swap = mem_swap_demand(d->agent.mem_used_kb, d->agent.swap_used_kb,
                              x->hi);
    x->used = d->agent.mem_used_kb + x->swap;
    x->prio = d->mem_policy.priority;
    x->u = x->a ? (double)x->used / (double)x->a : 1e9;
    x->wd = (double)(d->mem_policy.weight ? d->mem_policy.weight : 1) *
        (double)(x->used ? x->used : 1);

    /* What the guest holds outside MemTotal (kernel, page tables,
     * reserved pages) cannot go back through its balloon: every target it
     * can reach is that much above what it uses.  Both figures come from
     * the same report (the balloon's current size and MemTotal): Xen's
     * current memory may be newer than a report and would skew it. */
    over = d->agent.mem_total_kb &&
        d->agent.mem_total_kb < d->agent.balloon_cur_kb
        ? d->agent.balloon_cur_kb - d->agent.mem_total_kb : 0;
    /* MemTotal comes from the guest: bound what it can claim this way
     * (a real kernel's share is tens of MiB, about 2 % of a large guest). */
    if (over > XRES_MEM_OUTSIDE_MAX(d->cur_kb))
        over = XRES_MEM_OUTSIDE_MAX(d->cur_kb);
    /* want: the smallest target with used / target < high, plus that */
    double w = floor((double)x->used / p->high) + 1.0 + (double)over;
    if (w > (double)x->hi) w = (double)x->hi;
    x->want = (uint64_t)w;
    if (x->want < x->lo) x->want = x->lo;
    x->keep = x->lo;
    /* Swapped pages are not held: what cannot go back is the resident
     * use. */
    if (over && over + x->used - x->swap > x->keep)
        x->keep = over + x->used - x->swap;
    if (x->keep > x->hi) x->keep = x->hi > x->lo ? x->hi : x->lo;
    if (x->want < x->keep) x->want = x->keep;

    /* Receiver: below its min, or deficient. */
    uint64_t goal = x->a;
    if (x->a < x->lo) {
        goal = x->lo;
        x->guarantee = true;
    }
    if (x->u >= p->high && x->a < x->hi) {
        /* fewest whole blocks that bring u below high */
        uint64_t k = 1;
        double need = (double)x->used / p->high - (double)x->a;
        if (need >= (double)B) k = (uint64_t)(need / (double)B) + 1;
        uint64_t g = x->a + k * B;
        if (k > (UINT64_MAX - x->a) / B || g > x->hi) g = x->hi;
        if (g > goal) goal = g;
    }
    if (goal > x->hi) goal = x->hi;
    if (goal > x->a && (goal - x->a >= p->threshold_kb || x->guarantee)) {
        x->need = goal - x->a;
        x->receiver = true;
        return;
    }

    /* Donor: above its max (forced), and/or excess. */
    base = x->a;
    if (x->a > x->hi) {
        x->forced = true;
        x->give = x->room = x->a - x->hi;
        base = x->hi;
    }
    if (x->u <= p->low) {
        double f = ceil((double)x->used / mid) + (double)over;
        mid_floor = f > (double)UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)f;
        if (mid_floor < x->lo) mid_floor = x->lo;
        if (mid_floor < B) mid_floor = B;
        if (base > mid_floor) {
            x->give += (base - mid_floor) / B * B;
            x->room += base - mid_floor;
        }
    }
    if (x->give < p->threshold_kb && !x->forced) x->give = 0;
}

uint64_t mem_swap_demand(uint64_t used, uint64_t swap, uint64_t hi)
{
    /* A guest's swap figure is its own word: it can raise the guest's
     * demand to its max, never past it, as a false used figure could. */
    if (used >= hi) return 0;
    return swap < hi - used ? swap : hi - used;
}
