/*
 * dom0/policy/cpu_text.c: the CPU policies' names, defaults and text form
 * (policy_cpu.h): the one parser and formatter for the command line,
 * xres.conf and XenStore, and the list of policies by domain name.  Pure
 * functions only.
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

/* ---- policies by domain name ---- */

int xres_cpu_named_set(xres_cpu_named **v, size_t *n, const char *name,
                       const xres_cpu_policy *p)
{
    xres_cpu_named *nv = xres_cpu_named_find(*v, *n, name);

    if (nv) {
        nv->pol = *p;
        return 0;
    }
    nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv) return -ENOMEM;
    *v = nv;
    memset(&nv[*n], 0, sizeof(nv[*n]));
    snprintf(nv[*n].name, sizeof(nv[*n].name), "%s", name);
    nv[*n].pol = *p;
    (*n)++;
    return 0;
}

xres_cpu_named *xres_cpu_named_find(xres_cpu_named *v, size_t n,
                                    const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name)) return &v[i];
    return NULL;
}
