/*
 * dom0/policy/cpu_manage.c: the managing domain: its allocation A from the
 * allocable CPU and its last run, and the run report its agent sends back
 * (policy_cpu.h).  Pure functions only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy_cpu.h"

double xres_cpu_manage_alloc(const xres_cpu_policy *p, double allocable,
                             const xres_manage_run *last, char *why,
                             size_t whylen)
{
    double a = 0, r;
    bool hist = last && last->valid && last->alloc > 0 && last->time_s > 0;

    if (allocable < 0) allocable = 0;
    if (why && whylen) why[0] = '\0';
    switch (p->method) {
    case XRES_MANAGE_COEF:
        a = allocable * p->coef;
        snprintf(why, whylen, "manage 2: %.1f x %g", allocable, p->coef);
        break;
    case XRES_MANAGE_IF_TARGET:
        if (!hist) {
            a = allocable;
            snprintf(why, whylen, "manage 3: no run yet, all of %.1f",
                     allocable);
            break;
        }
        r = last->alloc * last->time_s;
        if (allocable > 0 && r / allocable <= p->target_s) {
            a = allocable;
            snprintf(why, whylen, "manage 3: estimate %.1f s meets target "
                     "%g s", r / allocable, p->target_s);
        } else {
            a = 0;
            if (allocable > 0)
                snprintf(why, whylen, "manage 3: estimate %.1f s misses "
                         "target %g s", r / allocable, p->target_s);
            else
                snprintf(why, whylen, "manage 3: nothing allocable");
        }
        break;
    case XRES_MANAGE_BY_TARGET:
        if (!hist) {
            a = allocable;
            snprintf(why, whylen, "manage 4: no run yet, all of %.1f",
                     allocable);
            break;
        }
        r = last->alloc * last->time_s;
        a = r / p->target_s;
        if (a > allocable) {
            snprintf(why, whylen, "manage 4: R/T = %.1f capped at %.1f", a,
                     allocable);
            a = allocable;
        } else {
            snprintf(why, whylen, "manage 4: R/T = %.0f/%g", r, p->target_s);
        }
        break;
    case XRES_MANAGE_ALLOCABLE:
    default:
        a = allocable;
        snprintf(why, whylen, "manage 1: all of %.1f", allocable);
        break;
    }
    if (a < 0) a = 0;
    if (a > allocable) a = allocable;
    return a;
}

int xres_cpu_parse_run_time(const char *s, size_t len, uint64_t *t_ms)
{
    static const char pre[] = "time-ms=";
    const size_t np = sizeof(pre) - 1;
    uint64_t v = 0;

    if (!s || len <= np || len > np + 9 || memcmp(s, pre, np)) return -EINVAL;
    if (s[np] == '0') return -EINVAL;
    for (size_t i = np; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v < 1 || v > XRES_RUN_TIME_MS_MAX) return -EINVAL;
    *t_ms = v;
    return 0;
}
