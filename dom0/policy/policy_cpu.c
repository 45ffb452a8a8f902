/*
 * dom0/policy/policy_cpu.c: CPU policies (policy_cpu.h): fixed weight and cap,
 * priority shares with guarantees, demand-following caps and the managing
 * domain's allocation.  Pure functions only.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_cpu.h"

#define CAP_LIMIT 65535         /* Xen keeps the cap in 16 bits */

const char *xres_cpu_policy_kind_name(xres_cpu_policy_kind k)
{
    switch (k) {
    case XRES_CPU_POLICY_NONE: return "none";
    case XRES_CPU_POLICY_FIXED: return "fixed";
    case XRES_CPU_POLICY_SHARES: return "shares";
    case XRES_CPU_POLICY_DEMAND: return "demand";
    case XRES_CPU_POLICY_MANAGE: return "manage";
    default: return "unknown";
    }
}

void xres_cpu_policy_init(xres_cpu_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->kind = XRES_CPU_POLICY_NONE;
    p->weight = -1;
    p->cap = -1;
    p->priority = 0;
    p->method = XRES_MANAGE_ALLOCABLE;
    p->coef = 0.5;
    p->target_s = 0;
    p->reserve = 0.20;
}

void xres_cpu_settings_init(xres_cpu_settings *s)
{
    s->load_mode = XRES_LOAD_LATEST;
    s->load_window = 6;
    s->u_hi = 0.9;
    s->u_lo = 0.3;
    s->demand_window = 3;
    s->demand_majority = 0.6;
    s->cap_step = 10;
}

/* ---- text form ---- */

static int parse_uint(const char *v, unsigned long lo, unsigned long hi,
                      unsigned *out)
{
    char *end;
    unsigned long x;

    if (!v || *v < '0' || *v > '9') return -EINVAL;
    errno = 0;
    x = strtoul(v, &end, 10);
    if (errno || *end || x < lo || x > hi) return -EINVAL;
    *out = (unsigned)x;
    return 0;
}

static int parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x;

    if (!v || !((*v >= '0' && *v <= '9') || *v == '.')) return -EINVAL;
    errno = 0;
    x = strtod(v, &end);
    if (errno || *end || !isfinite(x) || x < lo || x > hi) return -EINVAL;
    *out = x;
    return 0;
}

static bool allowed(xres_cpu_policy_kind k, const char *key)
{
    static const struct { xres_cpu_policy_kind k; const char *key; } t[] = {
        { XRES_CPU_POLICY_FIXED, "weight" }, { XRES_CPU_POLICY_FIXED, "cap" },
        { XRES_CPU_POLICY_SHARES, "priority" },
        { XRES_CPU_POLICY_SHARES, "guarantee" },
        { XRES_CPU_POLICY_DEMAND, "min" }, { XRES_CPU_POLICY_DEMAND, "max" },
        { XRES_CPU_POLICY_DEMAND, "step" },
        { XRES_CPU_POLICY_MANAGE, "method" }, { XRES_CPU_POLICY_MANAGE, "coef" },
        { XRES_CPU_POLICY_MANAGE, "target" },
        { XRES_CPU_POLICY_MANAGE, "reserve" }, { XRES_CPU_POLICY_MANAGE, "min" },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].k == k && !strcmp(t[i].key, key)) return true;
    return false;
}

int xres_cpu_policy_parse(const char *s, xres_cpu_policy *p, char *err,
                          size_t errlen)
{
    char buf[XRES_CPU_SPEC_MAX + 1];
    char *save = NULL, *w;
    xres_cpu_policy q;
    bool have_prio = false, have_target = false;
    int rc = -EINVAL;

    xres_cpu_policy_init(&q);
    if (err && errlen) err[0] = '\0';
    if (!s || strlen(s) > XRES_CPU_SPEC_MAX) {
        snprintf(err, errlen, "policy text missing or longer than %d",
                 XRES_CPU_SPEC_MAX);
        goto out;
    }
    strcpy(buf, s);
    w = strtok_r(buf, " \t", &save);
    if (!w) {
        snprintf(err, errlen, "empty policy (none, fixed, shares, demand "
                 "or manage)");
        goto out;
    }
    if (!strcmp(w, "none")) q.kind = XRES_CPU_POLICY_NONE;
    else if (!strcmp(w, "fixed")) q.kind = XRES_CPU_POLICY_FIXED;
    else if (!strcmp(w, "shares")) q.kind = XRES_CPU_POLICY_SHARES;
    else if (!strcmp(w, "demand")) q.kind = XRES_CPU_POLICY_DEMAND;
    else if (!strcmp(w, "manage")) q.kind = XRES_CPU_POLICY_MANAGE;
    else {
        snprintf(err, errlen, "unknown policy '%.32s' (none, fixed, shares, "
                 "demand or manage)", w);
        goto out;
    }
    while ((w = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(w, '=');
        const char *key = w, *val;
        unsigned u;
        int r = 0;

        if (!eq) {
            snprintf(err, errlen, "'%.32s': expected key=value", w);
            goto out;
        }
        *eq = '\0';
        val = eq + 1;
        if (!allowed(q.kind, key)) {
            snprintf(err, errlen, "'%.32s' is not a setting of policy %s",
                     key, xres_cpu_policy_kind_name(q.kind));
            goto out;
        }
        if (!strcmp(key, "weight")) {
            r = parse_uint(val, XRES_WEIGHT_MIN, XRES_WEIGHT_MAX, &u);
            q.weight = (int)u;
        } else if (!strcmp(key, "cap")) {
            r = parse_uint(val, 0, CAP_LIMIT, &u);
            q.cap = (int)u;
        } else if (!strcmp(key, "priority")) {
            r = parse_uint(val, 1, 1000000000, &q.priority);
            have_prio = true;
        } else if (!strcmp(key, "guarantee")) {
            r = parse_uint(val, 0, CAP_LIMIT, &q.guarantee);
        } else if (!strcmp(key, "min")) {
            r = parse_uint(val, 1, CAP_LIMIT, &q.cap_min);
        } else if (!strcmp(key, "max")) {
            r = parse_uint(val, 1, CAP_LIMIT, &q.cap_max);
        } else if (!strcmp(key, "step")) {
            r = parse_uint(val, 1, 1000, &q.cap_step);
        } else if (!strcmp(key, "method")) {
            r = parse_uint(val, 1, 4, &u);
            q.method = (xres_manage_method)u;
        } else if (!strcmp(key, "coef")) {
            r = parse_num(val, 0, 1, &q.coef);
            if (!r && q.coef <= 0) r = -EINVAL;
        } else if (!strcmp(key, "target")) {
            r = parse_num(val, 0.001, 1e7, &q.target_s);
            have_target = true;
        } else if (!strcmp(key, "reserve")) {
            double pct;
            r = parse_num(val, 0, 99, &pct);
            q.reserve = pct / 100.0;
        }
        if (r) {
            snprintf(err, errlen, "bad value '%.32s' for %s", val, key);
            goto out;
        }
    }
    switch (q.kind) {
    case XRES_CPU_POLICY_FIXED:
        if (q.weight < 0 && q.cap < 0) {
            snprintf(err, errlen, "fixed needs weight=W and/or cap=C");
            goto out;
        }
        break;
    case XRES_CPU_POLICY_SHARES:
        if (!have_prio) {
            snprintf(err, errlen, "shares needs priority=P (1 or more)");
            goto out;
        }
        break;
    case XRES_CPU_POLICY_DEMAND:
        if (q.cap_max && q.cap_min > q.cap_max) {
            snprintf(err, errlen, "demand: min=%u is above max=%u",
                     q.cap_min, q.cap_max);
            goto out;
        }
        break;
    case XRES_CPU_POLICY_MANAGE:
        if ((q.method == XRES_MANAGE_IF_TARGET ||
             q.method == XRES_MANAGE_BY_TARGET) && !have_target) {
            snprintf(err, errlen, "manage method=%d needs target=SECONDS",
                     (int)q.method);
            goto out;
        }
        break;
    default:
        break;
    }
    *p = q;
    rc = 0;
out:
    return rc;
}

void xres_cpu_policy_format(const xres_cpu_policy *p, char *buf, size_t len)
{
    size_t o = 0;

#define ADD(...) do { \
        int k_ = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__); \
        if (k_ > 0) o += (size_t)k_; \
    } while (0)

    if (!len) return;
    buf[0] = '\0';
    ADD("%s", xres_cpu_policy_kind_name(p->kind));
    switch (p->kind) {
    case XRES_CPU_POLICY_FIXED:
        if (p->weight >= 0) ADD(" weight=%d", p->weight);
        if (p->cap >= 0) ADD(" cap=%d", p->cap);
        break;
    case XRES_CPU_POLICY_SHARES:
        ADD(" priority=%u", p->priority);
        if (p->guarantee) ADD(" guarantee=%u", p->guarantee);
        break;
    case XRES_CPU_POLICY_DEMAND:
        if (p->cap_min) ADD(" min=%u", p->cap_min);
        if (p->cap_max) ADD(" max=%u", p->cap_max);
        if (p->cap_step) ADD(" step=%u", p->cap_step);
        break;
    case XRES_CPU_POLICY_MANAGE:
        ADD(" method=%d", (int)p->method);
        if (p->method == XRES_MANAGE_COEF) ADD(" coef=%g", p->coef);
        if (p->method == XRES_MANAGE_IF_TARGET ||
            p->method == XRES_MANAGE_BY_TARGET)
            ADD(" target=%g", p->target_s);
        ADD(" reserve=%g", p->reserve * 100.0);
        if (p->cap_min) ADD(" min=%u", p->cap_min);
        break;
    default:
        break;
    }
#undef ADD
}

/* ---- shares ---- */

int xres_cpu_shares_weights(size_t n, const unsigned *prio,
                            const unsigned *guar, const unsigned *vcpus,
                            const char *const *names, double other_weight,
                            double max, int *w, char *err, size_t errlen)
{
    unsigned pmax = 0;
    double gsum = 0;
    double *ww = NULL;
    bool *raised = NULL;
    int rc = -EINVAL;

#define NAME(i) (names && names[i] ? names[i] : "?")
    if (err && errlen) err[0] = '\0';
    if (!n) return 0;
    ww = calloc(n, sizeof(*ww));
    raised = calloc(n, sizeof(*raised));
    if (!ww || !raised) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!prio[i]) {
            snprintf(err, errlen, "%s: priority must be 1 or more", NAME(i));
            goto out;
        }
        if (prio[i] > pmax) pmax = prio[i];
        if (guar && guar[i]) {
            gsum += guar[i];
            if (vcpus && guar[i] > 100u * (vcpus[i] ? vcpus[i] : 1)) {
                snprintf(err, errlen, "%s: guarantee %u%% cannot be met: it "
                         "has %u vCPU(s), at most %u%%", NAME(i), guar[i],
                         vcpus[i], 100u * vcpus[i]);
                goto out;
            }
        }
    }
    if (gsum > max) {
        snprintf(err, errlen, "CPU guarantees add up to %.0f%% but the host "
                 "has only %.0f%% (%.0f CPUs)", gsum, max, max / 100.0);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (pmax > XRES_WEIGHT_MAX) {
            ww[i] = floor((double)prio[i] * XRES_WEIGHT_MAX / pmax + 0.5);
            if (ww[i] < XRES_WEIGHT_MIN) ww[i] = XRES_WEIGHT_MIN;
        } else {
            ww[i] = prio[i];
        }
    }
    if (guar && gsum > 0) {
        /* Find the set of domains whose guarantee needs more than their
         * priority gives.  With f = sum of g/max over that set and U the
         * weight of everyone else, the total is T = U / (1 - f) and each
         * raised domain gets g/max * T. */
        double t = 0, f = 0, u = 0;
        for (size_t iter = 0; iter <= n; iter++) {
            bool changed = false;
            f = 0;
            u = other_weight;
            for (size_t i = 0; i < n; i++) {
                if (raised[i]) f += guar[i] / max;
                else u += ww[i];
            }
            if (f >= 1.0) {
                if (u > 0) {
                    snprintf(err, errlen, "CPU guarantees take the whole "
                             "host (%.0f%%), leaving nothing for the other "
                             "domains", max);
                    rc = -ERANGE;
                    goto out;
                }
                t = 0;
                break;
            }
            t = u / (1.0 - f);
            for (size_t i = 0; i < n; i++) {
                if (!raised[i] && guar[i] &&
                    ww[i] * max < guar[i] * t - 1e-9) {
                    raised[i] = true;
                    changed = true;
                }
            }
            if (!changed) break;
        }
        for (size_t i = 0; i < n; i++)
            if (raised[i]) ww[i] = ceil(guar[i] / max * t - 1e-6);
        if (t == 0) {
            /* Guarantees alone fill the host: weights follow them. */
            double gm = 0;
            for (size_t i = 0; i < n; i++) if (guar[i] > gm) gm = guar[i];
            for (size_t i = 0; i < n; i++)
                ww[i] = ceil(guar[i] * (double)XRES_WEIGHT_MAX / gm - 1e-6);
        } else {
            /* Ceilings moved the total a little: make sure each holds. */
            for (unsigned guard = 0; guard < 100000; guard++) {
                double tot = other_weight;
                bool ok = true;
                for (size_t i = 0; i < n; i++) tot += ww[i];
                for (size_t i = 0; i < n; i++) {
                    if (guar[i] && ww[i] * max < guar[i] * tot) {
                        ww[i] += 1;
                        ok = false;
                        break;
                    }
                }
                if (ok) break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ww[i] > XRES_WEIGHT_MAX) {
            snprintf(err, errlen, "%s: guarantee %u%% needs weight %.0f, "
                     "above %d, against the other domains' weights; lower "
                     "the guarantees or the other weights", NAME(i),
                     guar ? guar[i] : 0, ww[i], XRES_WEIGHT_MAX);
            rc = -ERANGE;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) w[i] = (int)ww[i];
    rc = 0;
out:
#undef NAME
    free(ww);
    free(raised);
    return rc;
}

/* ---- demand-following caps ---- */

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

/* ---- the managing domain ---- */

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

/* ---- the whole host ---- */

void xres_cpu_result_init(xres_cpu_result *r)
{
    memset(r, 0, sizeof(*r));
    r->manage_alloc = -1;
    r->manage_own = 0;
    r->manage_cap = -1;
    r->manage_domid = XRES_DOMID_INVALID;
}

void xres_cpu_result_dispose(xres_cpu_result *r)
{
    free(r->dec);
    memset(r, 0, sizeof(*r));
}

static int eff_weight(const xres_domain *d, const xres_cpu_policy *p)
{
    if (p && p->kind == XRES_CPU_POLICY_FIXED && p->weight > 0)
        return p->weight;
    return d->weight > 0 ? d->weight : XRES_WEIGHT_DEFAULT;
}

static bool competes(const xres_domain *d)
{
    return !d->dying && !d->shutdown;
}

/* Load over the configured window, from the meter. */
static double host_load(const xres_cpu_meter *m, const xres_cpu_settings *s)
{
    double v[XRES_CPU_HIST_MAX];
    size_t win = s->load_window ? s->load_window : 1;
    size_t n;

    if (s->load_mode == XRES_LOAD_LATEST) win = 1;
    if (win > XRES_CPU_HIST_MAX) win = XRES_CPU_HIST_MAX;
    n = m ? xres_cpu_meter_loads(m, v, win) : 0;
    return xres_cpu_load_of(v, n, s->load_mode);
}

static double own_load(const xres_cpu_meter *m, const xres_cpu_settings *s,
                       uint32_t domid)
{
    xres_cpu_point pts[XRES_CPU_HIST_MAX];
    double v[XRES_CPU_HIST_MAX];
    size_t win = s->load_window ? s->load_window : 1;
    size_t n;

    if (s->load_mode == XRES_LOAD_LATEST) win = 1;
    if (win > XRES_CPU_HIST_MAX) win = XRES_CPU_HIST_MAX;
    n = m ? xres_cpu_hist_recent(xres_cpu_meter_find(m, domid), pts, win) : 0;
    for (size_t i = 0; i < n; i++) v[i] = pts[i].use_pct;
    return xres_cpu_load_of(v, n, s->load_mode);
}

static void want(xres_cpu_decision *d, const xres_domain *dom, int weight,
                 int cap)
{
    if (weight > 0 && weight != dom->weight) d->weight = weight;
    if (cap >= 0 && cap != dom->cap) d->cap = cap;
}

int xres_cpu_policy_run(const xres_host *h, const xres_cpu_settings *s,
                        const xres_cpu_policy *pols, const xres_cpu_meter *m,
                        const xres_manage_run *last, xres_cpu_result *r,
                        xres_actions *out)
{
    size_t nsh = 0, nman = 0;
    unsigned *prio = NULL, *guar = NULL, *vc = NULL;
    const char **names = NULL;
    size_t *idx = NULL;
    int *w = NULL;
    double budget;
    int rc = -ENOMEM;

    free(r->dec);
    xres_cpu_result_init(r);
    r->max = 100.0 * h->nr_cpus;
    r->load = host_load(m, s);
    r->available = r->max - r->load > 0 ? r->max - r->load : 0;
    r->n = h->nr_domains;
    if (r->n) {
        r->dec = calloc(r->n, sizeof(*r->dec));
        if (!r->dec) goto out;
    }
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *dom = &h->domains[i];
        const xres_cpu_point *lp =
            m ? xres_cpu_hist_latest(xres_cpu_meter_find(m, dom->domid))
              : NULL;
        r->dec[i].domid = dom->domid;
        r->dec[i].kind = pols ? pols[i].kind : XRES_CPU_POLICY_NONE;
        r->dec[i].weight = -1;
        r->dec[i].cap = -1;
        r->dec[i].use_pct = lp ? lp->use_pct : -1;
    }
    r->active = h->sched == XRES_SCHED_CREDIT ||
                h->sched == XRES_SCHED_CREDIT2;
    if (!r->active) {
        snprintf(r->error, sizeof(r->error), "scheduler %s has no weight "
                 "and cap: CPU policies are inactive",
                 xres_sched_kind_name(h->sched));
        rc = 0;
        goto out;
    }
    if (!pols) {
        rc = 0;
        goto out;
    }

    /* Priority shares, all together. */
    for (size_t i = 0; i < h->nr_domains; i++) {
        if (pols[i].kind == XRES_CPU_POLICY_SHARES && competes(&h->domains[i]))
            nsh++;
        if (pols[i].kind == XRES_CPU_POLICY_MANAGE) nman++;
    }
    if (nsh) {
        double other = 0;
        size_t k = 0;
        prio = calloc(nsh, sizeof(*prio));
        guar = calloc(nsh, sizeof(*guar));
        vc = calloc(nsh, sizeof(*vc));
        names = calloc(nsh, sizeof(*names));
        idx = calloc(nsh, sizeof(*idx));
        w = calloc(nsh, sizeof(*w));
        if (!prio || !guar || !vc || !names || !idx || !w) goto out;
        for (size_t i = 0; i < h->nr_domains; i++) {
            const xres_domain *dom = &h->domains[i];
            if (!competes(dom)) continue;
            if (pols[i].kind == XRES_CPU_POLICY_SHARES) {
                prio[k] = pols[i].priority;
                guar[k] = pols[i].guarantee;
                vc[k] = dom->vcpus_online;
                names[k] = dom->name;
                idx[k++] = i;
            } else {
                other += eff_weight(dom, &pols[i]);
            }
        }
        if (xres_cpu_shares_weights(nsh, prio, guar, vc, names, other,
                                    r->max, w, r->error,
                                    sizeof(r->error)) == -ENOMEM)
            goto out;
        if (!r->error[0]) {
            for (size_t j = 0; j < nsh; j++) {
                xres_cpu_decision *d = &r->dec[idx[j]];
                want(d, &h->domains[idx[j]], w[j], -1);
                if (guar[j])
                    snprintf(d->note, sizeof(d->note), "shares: priority %u "
                             "-> weight %d, guarantee %u%%", prio[j], w[j],
                             guar[j]);
                else
                    snprintf(d->note, sizeof(d->note), "shares: priority %u "
                             "-> weight %d", prio[j], w[j]);
            }
        }
    }
    if (nman > 1 && !r->error[0])
        snprintf(r->error, sizeof(r->error), "%zu domains are marked as the "
                 "managing domain; only one may be: none is sized", nman);

    budget = r->available;
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *dom = &h->domains[i];
        const xres_cpu_policy *p = &pols[i];
        xres_cpu_decision *d = &r->dec[i];

        if (!competes(dom)) continue;
        switch (p->kind) {
        case XRES_CPU_POLICY_FIXED: {
            int cap = p->cap;
            size_t o;
            if (cap > 0 && dom->vcpus_max &&
                cap > 100 * (int)dom->vcpus_max) {
                snprintf(d->note, sizeof(d->note), "fixed: cap %d is above "
                         "100 x %u vCPUs; cap left at %d", cap,
                         dom->vcpus_max, dom->cap);
                cap = -1;
            } else {
                snprintf(d->note, sizeof(d->note), "fixed");
            }
            want(d, dom, p->weight, cap);
            if (d->weight < 0 && d->cap < 0) break;
            o = (size_t)snprintf(d->note, sizeof(d->note), "fixed:");
            if (d->weight >= 0 && o < sizeof(d->note))
                o += (size_t)snprintf(d->note + o, sizeof(d->note) - o,
                                      " weight %d (was %d)", d->weight,
                                      dom->weight);
            if (d->cap >= 0 && o < sizeof(d->note))
                snprintf(d->note + o, sizeof(d->note) - o,
                         " cap %d (was %d)", d->cap, dom->cap);
            break;
        }
        case XRES_CPU_POLICY_DEMAND: {
            xres_cpu_point pts[XRES_CPU_HIST_MAX];
            size_t n = m ? xres_cpu_hist_recent(
                               xres_cpu_meter_find(m, dom->domid), pts,
                               XRES_CPU_HIST_MAX) : 0;
            int cap;
            xres_demand_verdict v =
                xres_cpu_demand_step(p, s, dom->cap, dom->vcpus_online, pts,
                                     n, budget, &cap, d->note,
                                     sizeof(d->note));
            if (v == XRES_DEMAND_UP && cap > dom->cap)
                budget -= cap - dom->cap;
            want(d, dom, -1, cap);
            break;
        }
        case XRES_CPU_POLICY_MANAGE: {
            double avail, a, own;
            long cap, floor_cap, vlimit;
            unsigned step = s->cap_step ? s->cap_step : 1;
            if (nman > 1) break;
            if (!m || !m->hn) {
                snprintf(d->note, sizeof(d->note), "manage: waiting for a "
                         "CPU measurement");
                break;
            }
            /* Its own use is its to keep: count it as available. */
            own = own_load(m, s, dom->domid);
            avail = r->available + own;
            if (avail > r->max) avail = r->max;
            r->allocable = xres_cpu_allocable(avail, r->max, p->reserve);
            a = xres_cpu_manage_alloc(p, r->allocable, last, d->note,
                                      sizeof(d->note));
            r->manage_alloc = a;
            r->manage_own = own;
            r->manage_domid = dom->domid;
            floor_cap = p->cap_min ? p->cap_min : 1;
            vlimit = 100L * (dom->vcpus_online ? dom->vcpus_online : 1);
            cap = lround(a);
            if (cap < floor_cap) cap = floor_cap;
            if (cap > vlimit) {
                size_t o = strlen(d->note);
                cap = vlimit;
                snprintf(d->note + o, sizeof(d->note) - o, "; cap held to "
                         "100 x %u vCPUs", dom->vcpus_online);
            }
            /* Small moves are noise: keep the cap unless it is off by half
             * a step or more, or there is none. */
            if (dom->cap > 0 && labs(cap - dom->cap) * 2 < (long)step)
                cap = dom->cap;
            r->manage_cap = (int)cap;
            want(d, dom, -1, (int)cap);
            break;
        }
        default:
            break;
        }
    }

    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_cpu_decision *d = &r->dec[i];
        if (d->weight < 0 && d->cap < 0) continue;
        rc = xres_act_set_sched(out, d->domid, d->weight, d->cap, d->note);
        if (rc) goto out;
    }
    rc = 0;
out:
    free(prio);
    free(guar);
    free(vc);
    free(names);
    free(idx);
    free(w);
    return rc;
}

int xres_cpu_policy_check(const xres_host *h, const xres_cpu_policy *pols,
                          size_t idx, const xres_cpu_policy *p, char *err,
                          size_t errlen)
{
    const xres_domain *dom = &h->domains[idx];
    unsigned vmax = dom->vcpus_max ? dom->vcpus_max : 1;
    unsigned von = dom->vcpus_online ? dom->vcpus_online : 1;
    size_t nsh = 0, k = 0;
    unsigned *prio = NULL, *guar = NULL, *vc = NULL;
    const char **names = NULL;
    int *w = NULL;
    double other = 0;
    int rc = -EINVAL;

    if (err && errlen) err[0] = '\0';
    switch (p->kind) {
    case XRES_CPU_POLICY_FIXED:
        if (p->cap > (int)(100 * vmax)) {
            snprintf(err, errlen, "%s: cap %d is above 100 x %u vCPUs",
                     dom->name, p->cap, vmax);
            goto out;
        }
        break;
    case XRES_CPU_POLICY_DEMAND:
        if (p->cap_min > 100 * von) {
            snprintf(err, errlen, "%s: demand min=%u is above 100 x %u vCPUs "
                     "online", dom->name, p->cap_min, von);
            goto out;
        }
        break;
    case XRES_CPU_POLICY_MANAGE:
        for (size_t i = 0; i < h->nr_domains; i++) {
            if (i != idx && pols && pols[i].kind == XRES_CPU_POLICY_MANAGE) {
                snprintf(err, errlen, "%s is already the managing domain; "
                         "only one per host (set it to none first)",
                         h->domains[i].name);
                goto out;
            }
        }
        break;
    default:
        break;
    }
    /* Shares: the guarantees of all, with this one in place. */
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_cpu_policy *q = i == idx ? p : pols ? &pols[i] : NULL;
        if (q && q->kind == XRES_CPU_POLICY_SHARES) nsh++;
    }
    if (nsh) {
        rc = -ENOMEM;
        prio = calloc(nsh, sizeof(*prio));
        guar = calloc(nsh, sizeof(*guar));
        vc = calloc(nsh, sizeof(*vc));
        names = calloc(nsh, sizeof(*names));
        w = calloc(nsh, sizeof(*w));
        if (!prio || !guar || !vc || !names || !w) goto out;
        for (size_t i = 0; i < h->nr_domains; i++) {
            const xres_cpu_policy *q = i == idx ? p : pols ? &pols[i] : NULL;
            if (q && q->kind == XRES_CPU_POLICY_SHARES) {
                prio[k] = q->priority;
                guar[k] = q->guarantee;
                vc[k] = h->domains[i].vcpus_online;
                names[k++] = h->domains[i].name;
            } else {
                other += eff_weight(&h->domains[i], q);
            }
        }
        rc = xres_cpu_shares_weights(nsh, prio, guar, vc, names, other,
                                     100.0 * h->nr_cpus, w, err, errlen);
        if (rc == -ERANGE) rc = -EINVAL;
        if (rc) goto out;
    }
    rc = 0;
out:
    free(prio);
    free(guar);
    free(vc);
    free(names);
    free(w);
    return rc;
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
