/*
 * dom0/core/cpu_measure.c: per-domain CPU use and host load from Xen's
 * cumulative cpu_time, with a short history in memory (cpu_measure.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_measure.h"

const char *xres_load_mode_name(xres_load_mode m)
{
    switch (m) {
    case XRES_LOAD_LATEST: return "latest";
    case XRES_LOAD_AVERAGE: return "average";
    case XRES_LOAD_MAXIMUM: return "maximum";
    default: return "unknown";
    }
}

int xres_load_mode_parse(const char *s, xres_load_mode *m)
{
    if (!s) return -EINVAL;
    if (!strcmp(s, "latest") || !strcmp(s, "last")) {
        *m = XRES_LOAD_LATEST;
    } else if (!strcmp(s, "average") || !strcmp(s, "avg")) {
        *m = XRES_LOAD_AVERAGE;
    } else if (!strcmp(s, "maximum") || !strcmp(s, "max")) {
        *m = XRES_LOAD_MAXIMUM;
    } else {
        return -EINVAL;
    }
    return 0;
}

double xres_cpu_use_pct(uint64_t ns0, uint64_t ms0, uint64_t ns1,
                        uint64_t ms1)
{
    if (ms1 <= ms0 || ns1 < ns0) return -1;
    /* ns / (ms * 1e6) * 100 */
    return (double)(ns1 - ns0) / ((double)(ms1 - ms0) * 1e4);
}

double xres_cpu_load_of(const double *load, size_t n, xres_load_mode mode)
{
    double r = 0;

    if (!n) return 0;
    switch (mode) {
    case XRES_LOAD_AVERAGE:
        for (size_t i = 0; i < n; i++) r += load[i];
        return r / (double)n;
    case XRES_LOAD_MAXIMUM:
        r = load[0];
        for (size_t i = 1; i < n; i++)
            if (load[i] > r) r = load[i];
        return r;
    case XRES_LOAD_LATEST:
    default:
        return load[n - 1];
    }
}

double xres_cpu_available(double max, const double *load, size_t n,
                          xres_load_mode mode)
{
    double a = max - xres_cpu_load_of(load, n, mode);
    return a > 0 ? a : 0;
}

double xres_cpu_allocable(double available, double max, double reserve_frac)
{
    double a = available - reserve_frac * max;
    return a > 0 ? a : 0;
}

void xres_cpu_meter_init(xres_cpu_meter *m, size_t len)
{
    memset(m, 0, sizeof(*m));
    if (!len) len = XRES_CPU_HIST_DEFAULT;
    if (len > XRES_CPU_HIST_MAX) len = XRES_CPU_HIST_MAX;
    m->len = len;
}

void xres_cpu_meter_dispose(xres_cpu_meter *m)
{
    free(m->doms);
    free(m->pts);
    memset(m, 0, sizeof(*m));
}

static void hist_push(xres_cpu_dom_hist *d, const xres_cpu_point *p)
{
    d->v[d->head] = *p;
    d->head = (d->head + 1) % d->len;
    if (d->n < d->len) d->n++;
}

static void load_push(xres_cpu_meter *m, uint64_t t_ms, double load)
{
    m->load[m->hhead].t_ms = t_ms;
    m->load[m->hhead].load_pct = load;
    m->hhead = (m->hhead + 1) % m->len;
    if (m->hn < m->len) m->hn++;
}

/* v is in the order of the snapshot it was built from: sorted by domid
 * (model.h). */
static const xres_cpu_dom_hist *find_in(const xres_cpu_dom_hist *v, size_t n,
                                        uint32_t domid)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].domid == domid) return &v[mid];
        if (v[mid].domid < domid) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Are the domains m tracks those of h, in the same order? */
static bool same_domains(const xres_cpu_meter *m, const xres_host *h)
{
    if (m->nr != h->nr_domains) return false;
    for (size_t i = 0; i < m->nr; i++)
        if (m->doms[i].domid != h->domains[i].domid) return false;
    return true;
}

/* d takes over old's history, its points into pts. */
static void carry(xres_cpu_dom_hist *d, const xres_cpu_dom_hist *old,
                  xres_cpu_point *pts)
{
    *d = *old;
    d->v = pts;
    memcpy(pts, old->v, old->len * sizeof(*pts));
}

int xres_cpu_meter_update(xres_cpu_meter *m, const xres_host *h)
{
    /* The same domains as the snapshot before (the usual case): update
     * each history in place.  Otherwise build new arrays, walking the
     * old one alongside since both are sorted by domid.  The points sit
     * apart from the headers so that a pass reads little memory. */
    bool inplace = same_domains(m, h);
    xres_cpu_dom_hist *nv = inplace ? m->doms : NULL;
    xres_cpu_point *npts = inplace ? m->pts : NULL;
    double load = 0;
    bool any = false;
    size_t j = 0;

    if (!inplace && h->nr_domains) {
        nv = malloc(h->nr_domains * sizeof(*nv));
        npts = malloc(h->nr_domains * m->len * sizeof(*npts));
        if (!nv || !npts) {
            free(nv);
            free(npts);
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *dom = &h->domains[i];
        const xres_cpu_dom_hist *old;
        xres_cpu_dom_hist *d = &nv[i];

        if (inplace) {
            old = d;
        } else {
            while (j < m->nr && m->doms[j].domid < dom->domid) j++;
            old = j < m->nr && m->doms[j].domid == dom->domid ?
                  &m->doms[j] : NULL;
        }
        if (old && !strncmp(old->name, dom->name, XRES_NAME_MAX) &&
            dom->cpu_time_ns >= old->last_ns &&
            h->now_ms >= old->last_ms + XRES_CPU_SAMPLE_MIN_MS) {
            xres_cpu_point p;
            double limit = 100.0 * (dom->vcpus_max ? dom->vcpus_max : 1);

            if (d != old) carry(d, old, &npts[i * m->len]);
            memset(&p, 0, sizeof(p));
            p.t_ms = h->now_ms;
            p.use_pct = xres_cpu_use_pct(old->last_ns, old->last_ms,
                                         dom->cpu_time_ns, h->now_ms);
            /* Timer jitter can give a hair over what the vCPUs allow. */
            if (p.use_pct > limit) p.use_pct = limit;
            p.agent_pct = -1;
            if (dom->agent.valid && dom->agent.cpu_pct <= 100)
                p.agent_pct = (double)dom->agent.cpu_pct *
                              (dom->vcpus_online ? dom->vcpus_online : 1);
            p.cap = dom->cap;
            p.weight = dom->weight;
            hist_push(d, &p);
            load += p.use_pct;
            any = true;
        } else if (old && !strncmp(old->name, dom->name, XRES_NAME_MAX) &&
                   h->now_ms < old->last_ms + XRES_CPU_SAMPLE_MIN_MS &&
                   dom->cpu_time_ns >= old->last_ns) {
            /* Too soon (an early tick) or the same instant twice: keep
             * the earlier reading. */
            if (d != old) carry(d, old, &npts[i * m->len]);
            continue;
        } else {
            memset(d, 0, sizeof(*d));
            d->domid = dom->domid;
            memcpy(d->name, dom->name, sizeof(d->name));
            d->name[sizeof(d->name) - 1] = '\0';
            d->len = m->len;
            d->v = &npts[i * m->len];
        }
        d->last_ns = dom->cpu_time_ns;
        d->last_ms = h->now_ms;
    }
    if (!inplace) {
        free(m->doms);
        free(m->pts);
        m->doms = nv;
        m->pts = npts;
        m->nr = h->nr_domains;
    }
    if (any) load_push(m, h->now_ms, load);
    return 0;
}

const xres_cpu_dom_hist *xres_cpu_meter_find(const xres_cpu_meter *m,
                                             uint32_t domid)
{
    return find_in(m->doms, m->nr, domid);
}

size_t xres_cpu_hist_recent(const xres_cpu_dom_hist *d, xres_cpu_point *out,
                            size_t max)
{
    size_t n;

    if (!d || !d->len) return 0;
    n = d->n < max ? d->n : max;
    for (size_t i = 0; i < n; i++) {
        size_t back = n - i;    /* 1 = the latest */
        out[i] = d->v[(d->head + d->len - back) % d->len];
    }
    return n;
}

const xres_cpu_point *xres_cpu_hist_latest(const xres_cpu_dom_hist *d)
{
    if (!d || !d->n || !d->len) return NULL;
    return &d->v[(d->head + d->len - 1) % d->len];
}

size_t xres_cpu_meter_loads(const xres_cpu_meter *m, double *out, size_t max)
{
    size_t n = m->hn < max ? m->hn : max;

    for (size_t i = 0; i < n; i++) {
        size_t back = n - i;
        out[i] = m->load[(m->hhead + m->len - back) % m->len].load_pct;
    }
    return n;
}
