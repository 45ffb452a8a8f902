/*
 * dom0/policy/policy_cpu.c: the CPU policies over the whole host
 * (policy_cpu.h): one pass deciding every domain's weight and cap, and the
 * check of a policy against the others.  The building blocks are in
 * cpu_text.c, cpu_shares.c, cpu_demand.c and cpu_manage.c.  Pure functions
 * only.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_cpu.h"

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

/* Samples the load is taken over: the window, or the latest alone. */
static size_t load_window(const xres_cpu_settings *s)
{
    size_t win = s->load_window ? s->load_window : 1;

    if (s->load_mode == XRES_LOAD_LATEST) win = 1;
    return win > XRES_CPU_HIST_MAX ? XRES_CPU_HIST_MAX : win;
}

/* The host's load over the window, from the meter, and what is left of
 * max (cpu_measure.h). */
static void host_load(const xres_cpu_meter *m, const xres_cpu_settings *s,
                      double max, double *load, double *available)
{
    double v[XRES_CPU_HIST_MAX];
    size_t n = m ? xres_cpu_meter_loads(m, v, load_window(s)) : 0;

    *load = xres_cpu_load_of(v, n, s->load_mode);
    *available = xres_cpu_available(max, v, n, s->load_mode);
}

const char *xres_cpu_source_name(xres_cpu_source s)
{
    return s == XRES_CPU_SOURCE_AGENT ? "agent" : "xen";
}

int xres_cpu_source_parse(const char *s, xres_cpu_source *out)
{
    if (!s) return -EINVAL;
    if (!strcmp(s, "xen")) *out = XRES_CPU_SOURCE_XEN;
    else if (!strcmp(s, "agent")) *out = XRES_CPU_SOURCE_AGENT;
    else return -EINVAL;
    return 0;
}

double xres_cpu_point_use(const xres_cpu_point *p, xres_cpu_source src)
{
    if (src != XRES_CPU_SOURCE_AGENT || p->agent_pct < 0) return p->use_pct;
    return p->agent_pct < p->use_pct ? p->agent_pct : p->use_pct;
}

static double own_load(const xres_cpu_meter *m, const xres_cpu_settings *s,
                       uint32_t domid, xres_cpu_source src)
{
    xres_cpu_point pts[XRES_CPU_HIST_MAX];
    double v[XRES_CPU_HIST_MAX];
    size_t n;

    n = m ? xres_cpu_hist_recent(xres_cpu_meter_find(m, domid), pts,
                                 load_window(s)) : 0;
    for (size_t i = 0; i < n; i++) v[i] = xres_cpu_point_use(&pts[i], src);
    return xres_cpu_load_of(v, n, s->load_mode);
}

static void want(xres_cpu_decision *d, const xres_domain *dom, int weight,
                 int cap)
{
    if (weight > 0 && weight != dom->weight) d->weight = weight;
    if (cap >= 0 && cap != dom->cap) d->cap = cap;
}

/* The arrays xres_cpu_shares_weights works on, one entry per domain with
 * priority shares; idx maps an entry back to its domain.  A zeroed one
 * is disposable. */
typedef struct {
    unsigned *prio, *guar, *vc;
    const char **names;
    size_t *idx;
    int *w;
} shares_scratch;

static void shares_scratch_dispose(shares_scratch *sc)
{
    free(sc->prio);
    free(sc->guar);
    free(sc->vc);
    free(sc->names);
    free(sc->idx);
    free(sc->w);
    memset(sc, 0, sizeof(*sc));
}

static int shares_scratch_init(shares_scratch *sc, size_t n)
{
    memset(sc, 0, sizeof(*sc));
    sc->prio = calloc(n, sizeof(*sc->prio));
    sc->guar = calloc(n, sizeof(*sc->guar));
    sc->vc = calloc(n, sizeof(*sc->vc));
    sc->names = calloc(n, sizeof(*sc->names));
    sc->idx = calloc(n, sizeof(*sc->idx));
    sc->w = calloc(n, sizeof(*sc->w));
    if (!sc->prio || !sc->guar || !sc->vc || !sc->names || !sc->idx ||
        !sc->w) {
        shares_scratch_dispose(sc);
        return -ENOMEM;
    }
    return 0;
}

int xres_cpu_policy_run(const xres_host *h, const xres_cpu_settings *s,
                        const xres_cpu_policy *pols, const xres_cpu_meter *m,
                        const xres_manage_run *last, xres_cpu_result *r,
                        xres_actions *out)
{
    size_t nsh = 0, nman = 0;
    shares_scratch sc = { 0 };
    double budget;
    int rc = -ENOMEM;

    /* The decisions' array is kept from one run to the next: a pass
     * writes every entry and allocates only when the host grew. */
    xres_cpu_decision *dec = r->dec;
    size_t dec_cap = r->dec_cap;

    xres_cpu_result_init(r);
    r->dec = dec;
    r->dec_cap = dec_cap;
    r->max = 100.0 * h->nr_cpus;
    host_load(m, s, r->max, &r->load, &r->available);
    if (h->nr_domains > r->dec_cap) {
        dec = realloc(r->dec, h->nr_domains * sizeof(*dec));
        if (!dec) goto out;
        r->dec = dec;
        r->dec_cap = h->nr_domains;
    }
    r->n = h->nr_domains;
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *dom = &h->domains[i];
        const xres_cpu_point *lp =
            m ? xres_cpu_hist_latest(xres_cpu_meter_find(m, dom->domid))
              : NULL;
        r->dec[i].domid = dom->domid;
        r->dec[i].kind = pols ? pols[i].kind : XRES_CPU_POLICY_NONE;
        r->dec[i].weight = -1;
        r->dec[i].cap = -1;
        r->dec[i].use_pct = !lp ? -1 : xres_cpu_point_use(
            lp, pols ? pols[i].source : XRES_CPU_SOURCE_XEN);
        r->dec[i].note[0] = '\0';
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
        if (shares_scratch_init(&sc, nsh)) goto out;
        for (size_t i = 0; i < h->nr_domains; i++) {
            const xres_domain *dom = &h->domains[i];
            if (!competes(dom)) continue;
            if (pols[i].kind == XRES_CPU_POLICY_SHARES) {
                sc.prio[k] = pols[i].priority;
                sc.guar[k] = pols[i].guarantee;
                sc.vc[k] = dom->vcpus_online;
                sc.names[k] = dom->name;
                sc.idx[k++] = i;
            } else {
                other += eff_weight(dom, &pols[i]);
            }
        }
        if (xres_cpu_shares_weights(nsh, sc.prio, sc.guar, sc.vc, sc.names,
                                    other, r->max, sc.w, r->error,
                                    sizeof(r->error)) == -ENOMEM)
            goto out;
        if (!r->error[0]) {
            for (size_t j = 0; j < nsh; j++) {
                xres_cpu_decision *d = &r->dec[sc.idx[j]];
                want(d, &h->domains[sc.idx[j]], sc.w[j], -1);
                if (sc.guar[j])
                    snprintf(d->note, sizeof(d->note), "shares: priority %u "
                             "-> weight %d, guarantee %u%%", sc.prio[j],
                             sc.w[j], sc.guar[j]);
                else
                    snprintf(d->note, sizeof(d->note), "shares: priority %u "
                             "-> weight %d", sc.prio[j], sc.w[j]);
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
            for (size_t j = 0; j < n; j++)
                pts[j].use_pct = xres_cpu_point_use(&pts[j], p->source);
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
            own = own_load(m, s, dom->domid, p->source);
            avail = r->available + own;
            if (avail > r->max) avail = r->max;
            r->allocable = xres_cpu_allocable(avail, r->max, p->reserve);
            bool caution = false;
            a = xres_cpu_manage_alloc(p, r->allocable, last, d->note,
                                      sizeof(d->note), &caution);
            if (caution)
                snprintf(r->manage_caution, sizeof(r->manage_caution),
                         "%s", d->note);
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
    shares_scratch_dispose(&sc);
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
    shares_scratch sc = { 0 };
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
        rc = shares_scratch_init(&sc, nsh);
        if (rc) goto out;
        for (size_t i = 0; i < h->nr_domains; i++) {
            const xres_cpu_policy *q = i == idx ? p : pols ? &pols[i] : NULL;
            if (q && q->kind == XRES_CPU_POLICY_SHARES) {
                sc.prio[k] = q->priority;
                sc.guar[k] = q->guarantee;
                sc.vc[k] = h->domains[i].vcpus_online;
                sc.names[k] = h->domains[i].name;
                sc.idx[k++] = i;
            } else {
                other += eff_weight(&h->domains[i], q);
            }
        }
        rc = xres_cpu_shares_weights(nsh, sc.prio, sc.guar, sc.vc, sc.names,
                                     other, 100.0 * h->nr_cpus, sc.w, err,
                                     errlen);
        if (rc == -ERANGE) rc = -EINVAL;
        if (rc) goto out;
    }
    rc = 0;
out:
    shares_scratch_dispose(&sc);
    return rc;
}
