/*
 * dom0/policy/cpu_demand.c: one demand-following cap decision for a
 * domain from its latest samples (policy_cpu.h).  Pure function.
 */
#include <math.h>
#include <stdio.h>

#include "policy_cpu.h"

xres_demand_verdict xres_cpu_demand_step(const xres_cpu_policy *p,
                                         const xres_cpu_settings *s,
                                         int cap, unsigned vcpus_online,
                                         const xres_cpu_point *pts, size_t n,
                                         double available, int *cap_out,
                                         char *why, size_t whylen)
{
    unsigned step = p->cap_step ? p->cap_step : s->cap_step;
    long vlimit = 100L * (vcpus_online ? vcpus_online : 1);
    long lo, hi;
    size_t run = 0, win, pegged = 0, idle = 0;
    double need;

    if (!step) step = 1;
    lo = p->cap_min > step ? p->cap_min : step;
    hi = p->cap_max ? p->cap_max : vlimit;
    if (hi > vlimit) hi = vlimit;
    if (lo > hi) lo = hi;
    *cap_out = cap;
    if (why && whylen) why[0] = '\0';

    if (cap <= 0 || cap < lo || cap > hi) {
        long c = cap <= 0 ? lo : cap;
        if (c < lo) c = lo;
        if (c > hi) c = hi;
        *cap_out = (int)c;
        snprintf(why, whylen, "demand: cap %d brought into bounds %ld..%ld",
                 cap, lo, hi);
        return XRES_DEMAND_BOUNDS;
    }
    /* The latest samples taken at the current cap. */
    while (run < n && pts[n - 1 - run].cap == cap) run++;
    win = s->demand_window ? s->demand_window : 1;
    if (run < win) {
        snprintf(why, whylen, "demand: %zu of %zu samples at cap %d", run,
                 win, cap);
        return XRES_DEMAND_KEEP;
    }
    for (size_t i = n - win; i < n; i++) {
        if (pts[i].use_pct >= s->u_hi * cap) pegged++;
        if (pts[i].use_pct <= s->u_lo * cap) idle++;
    }
    need = s->demand_majority * (double)win;
    if ((double)pegged >= need && pegged >= idle) {
        long inc = step;
        if (cap >= hi) {
            if (hi == vlimit && (!p->cap_max || (long)p->cap_max > vlimit))
                snprintf(why, whylen, "demand: pegged at cap %d = 100 x %u "
                         "vCPU(s) online; wants more: bring vCPUs online "
                         "(xl vcpu-set)", cap, vcpus_online);
            else
                snprintf(why, whylen, "demand: pegged at its maximum cap %d",
                         cap);
            return XRES_DEMAND_WANTS_MORE;
        }
        if (inc > hi - cap) inc = hi - cap;
        if ((double)inc > floor(available)) inc = (long)floor(available);
        if (inc < 1) {
            snprintf(why, whylen, "demand: pegged at cap %d; no CPU "
                     "available on the host", cap);
            return XRES_DEMAND_WANTS_MORE;
        }
        *cap_out = (int)(cap + inc);
        snprintf(why, whylen, "demand: pegged, cap %d -> %d", cap, *cap_out);
        return XRES_DEMAND_UP;
    }
    if ((double)idle >= need) {
        long c = cap - (long)step;
        if (c < lo) c = lo;
        if (c == cap) {
            snprintf(why, whylen, "demand: idle at its minimum cap %d", cap);
            return XRES_DEMAND_KEEP;
        }
        *cap_out = (int)c;
        snprintf(why, whylen, "demand: idle, cap %d -> %d", cap, *cap_out);
        return XRES_DEMAND_DOWN;
    }
    snprintf(why, whylen, "demand: cap %d fits", cap);
    return XRES_DEMAND_KEEP;
}
