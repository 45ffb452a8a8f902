/*
 * dom0/daemon/metrics.c: formats xresd's metrics in the Prometheus text
 * exposition format (metrics.h): the domains of a snapshot, the host,
 * the memory moves, the failovers and the reaction-time histogram.  Pure:
 * a snapshot and counters in, text out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

const uint64_t xres_reaction_le_ms[XRES_REACTION_BUCKETS] = {
    10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
};

void xres_histogram_observe(xres_histogram *h, uint64_t ms)
{
    for (unsigned i = 0; i < XRES_REACTION_BUCKETS; i++)
        if (ms <= xres_reaction_le_ms[i]) {
            h->bucket[i]++;
            break;
        }
    h->count++;
    h->sum_ms += ms;
}

void xres_metrics_label(char *buf, size_t len, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    if (!len) return;
    while (*p) {
        char tmp[4];
        const char *w = tmp;
        size_t n = xres_utf8_char(p), wn;

        if (*p == '\\' || *p == '"' || *p == '\n') {
            tmp[0] = '\\';
            tmp[1] = *p == '\n' ? 'n' : (char)*p;
            wn = 2;
        } else if (n) {
            w = (const char *)p;
            wn = n;
        } else {
            w = "\xef\xbf\xbd";         /* U+FFFD for a byte that is not */
            wn = 3;
            n = 1;
        }
        if (o + wn >= len) break;
        memcpy(buf + o, w, wn);
        o += wn;
        p += n;
    }
    buf[o] = 0;
}

static void family(FILE *f, const char *name, const char *type,
                   const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One domain figure: false when the domain has none. */
typedef bool dom_get_fn(const xres_domain *dom, uint64_t *v);

static bool get_cur(const xres_domain *dom, uint64_t *v)
{
    *v = dom->cur_kb * 1024;
    return true;
}

static bool get_target(const xres_domain *dom, uint64_t *v)
{
    *v = dom->target_kb * 1024;
    return true;
}

static bool get_max(const xres_domain *dom, uint64_t *v)
{
    *v = dom->static_max_kb * 1024;
    return dom->static_max_kb != 0;
}

static bool get_used(const xres_domain *dom, uint64_t *v)
{
    *v = dom->agent.mem_used_kb * 1024;
    return dom->agent.valid;
}

static bool get_weight(const xres_domain *dom, uint64_t *v)
{
    *v = dom->weight >= 0 ? (uint64_t)dom->weight : 0;
    return dom->weight >= 0;
}

static bool get_cap(const xres_domain *dom, uint64_t *v)
{
    *v = dom->cap >= 0 ? (uint64_t)dom->cap : 0;
    return dom->weight >= 0 && dom->cap >= 0;
}

static bool get_cpu_ns(const xres_domain *dom, uint64_t *v)
{
    *v = dom->cpu_time_ns;
    return true;
}

static const struct {
    const char *name, *type, *help;
    dom_get_fn *get;
    bool ns;                    /* the figure is in ns, written in seconds */
} dom_metrics[] = {
    { "xres_domain_memory_bytes", "gauge",
      "Memory the domain has now, in bytes.", get_cur, false },
    { "xres_domain_memory_target_bytes", "gauge",
      "The domain's balloon target (memory/target), in bytes.", get_target,
      false },
    { "xres_domain_memory_max_bytes", "gauge",
      "The domain's static maximum (memory/static-max), in bytes.", get_max,
      false },
    { "xres_domain_memory_used_bytes", "gauge",
      "Memory in use in the guest, as its agent reports it (MemTotal - "
      "MemAvailable), in bytes.", get_used, false },
    { "xres_domain_weight", "gauge",
      "The domain's credit scheduler weight.", get_weight, false },
    { "xres_domain_cap", "gauge",
      "The domain's credit scheduler cap, in percent of one CPU (0: none).",
      get_cap, false },
    { "xres_domain_cpu_seconds_total", "counter",
      "CPU time the domain has used, in seconds.", get_cpu_ns, true },
};

static void domain_labels(char *buf, size_t len, const xres_domain *dom)
{
    char name[4 * XRES_NAME_MAX];

    xres_metrics_label(name, sizeof(name), dom->name);
    snprintf(buf, len, "domain=\"%s\",domid=\"%" PRIu32 "\"", name,
             dom->domid);
}

static void domains(FILE *f, const xres_host *h)
{
    char lab[8 * XRES_NAME_MAX];

    for (size_t m = 0; m < sizeof(dom_metrics) / sizeof(dom_metrics[0]);
         m++) {
        family(f, dom_metrics[m].name, dom_metrics[m].type,
               dom_metrics[m].help);
        for (size_t i = 0; i < h->nr_domains; i++) {
            const xres_domain *dom = &h->domains[i];
            uint64_t v;
            if (!dom_metrics[m].get(dom, &v)) continue;
            domain_labels(lab, sizeof(lab), dom);
            if (dom_metrics[m].ns)
                fprintf(f, "%s{%s} %" PRIu64 ".%09" PRIu64 "\n",
                        dom_metrics[m].name, lab, v / 1000000000,
                        v % 1000000000);
            else
                fprintf(f, "%s{%s} %" PRIu64 "\n", dom_metrics[m].name, lab,
                        v);
        }
    }
    family(f, "xres_domain_balloon_state", "gauge",
           "1 for the balloon state xres sees the domain in, 0 for the "
           "others.");
    for (size_t i = 0; i < h->nr_domains; i++) {
        domain_labels(lab, sizeof(lab), &h->domains[i]);
        for (int s = XRES_BALLOON_FIXED; s <= XRES_BALLOON_NOT_RESPONDING;
             s++)
            fprintf(f, "xres_domain_balloon_state{%s,state=\"%s\"} %d\n",
                    lab, xres_balloon_state_name((xres_balloon_state)s),
                    h->domains[i].balloon == (xres_balloon_state)s);
    }
}

static void host(FILE *f, const xres_host *h)
{
    family(f, "xres_host_memory_bytes", "gauge",
           "The host's memory, in bytes.");
    fprintf(f, "xres_host_memory_bytes %" PRIu64 "\n", h->total_kb * 1024);
    family(f, "xres_host_memory_free_bytes", "gauge",
           "Memory Xen has free, in bytes.");
    fprintf(f, "xres_host_memory_free_bytes %" PRIu64 "\n",
            h->free_kb * 1024);
}

static void seconds(FILE *f, uint64_t ms)
{
    fprintf(f, "%" PRIu64 ".%03" PRIu64, ms / 1000, ms % 1000);
}

static void counters(FILE *f, const xres_metrics_counters *c)
{
    uint64_t cum = 0;

    family(f, "xres_memory_moves_total", "counter",
           "Memory moves that ended, by result.");
    fprintf(f, "xres_memory_moves_total{result=\"done\"} %" PRIu64 "\n"
            "xres_memory_moves_total{result=\"failed\"} %" PRIu64 "\n",
            c->moves_done, c->moves_failed);
    family(f, "xres_memory_moves_in_flight", "gauge",
           "Memory moves under way.");
    fprintf(f, "xres_memory_moves_in_flight %" PRIu64 "\n",
            c->moves_in_flight);
    family(f, "xres_failovers_total", "counter",
           "Failovers of a hot-standby pair that ended, by kind.");
    for (size_t i = 0; i < c->npairs && i < XRES_PAIR_DECLS_MAX; i++) {
        char name[4 * XRES_PAIR_NAME_MAX];
        xres_metrics_label(name, sizeof(name), c->pairs[i].pair);
        fprintf(f, "xres_failovers_total{pair=\"%s\",kind=\"domain\"} %"
                PRIu64 "\nxres_failovers_total{pair=\"%s\",kind=\"app\"} %"
                PRIu64 "\n", name, c->pairs[i].domain, name,
                c->pairs[i].app);
    }
    family(f, "xres_pool_held_bytes", "gauge",
           "Memory a pool holds with Xen claims.");
    for (size_t i = 0; i < c->npools && i < XRES_METRICS_POOLS_MAX; i++) {
        char name[4 * sizeof(c->pools[0].pool)];
        xres_metrics_label(name, sizeof(name), c->pools[i].pool);
        fprintf(f, "xres_pool_held_bytes{pool=\"%s\",phase=\"%s\"} %" PRIu64
                "\n", name, c->pools[i].phase, c->pools[i].held_kb * 1024);
    }
    family(f, "xres_pool_size_bytes", "gauge", "Memory a pool gathers.");
    for (size_t i = 0; i < c->npools && i < XRES_METRICS_POOLS_MAX; i++) {
        char name[4 * sizeof(c->pools[0].pool)];
        xres_metrics_label(name, sizeof(name), c->pools[i].pool);
        fprintf(f, "xres_pool_size_bytes{pool=\"%s\"} %" PRIu64 "\n", name,
                c->pools[i].size_kb * 1024);
    }
    family(f, "xres_pool_at_risk", "gauge",
           "1 when a pool's forecast says it will not be full by its "
           "deadline.");
    for (size_t i = 0; i < c->npools && i < XRES_METRICS_POOLS_MAX; i++) {
        char name[4 * sizeof(c->pools[0].pool)];
        xres_metrics_label(name, sizeof(name), c->pools[i].pool);
        fprintf(f, "xres_pool_at_risk{pool=\"%s\"} %d\n", name,
                c->pools[i].at_risk ? 1 : 0);
    }
    family(f, "xres_reaction_seconds", "histogram",
           "Time from reading a guest's report to writing the raised memory "
           "target it led to, in seconds.");
    for (unsigned i = 0; i < XRES_REACTION_BUCKETS; i++) {
        cum += c->reaction.bucket[i];
        fprintf(f, "xres_reaction_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                (double)xres_reaction_le_ms[i] / 1000.0, cum);
    }
    fprintf(f, "xres_reaction_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
            c->reaction.count);
    fputs("xres_reaction_seconds_sum ", f);
    seconds(f, c->reaction.sum_ms);
    fprintf(f, "\nxres_reaction_seconds_count %" PRIu64 "\n",
            c->reaction.count);
}

int xres_metrics_format(const xres_host *h, const xres_metrics_counters *c,
                        char **text, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    int rc = 0;

    *text = NULL;
    if (!f) return -ENOMEM;
    domains(f, h);
    host(f, h);
    counters(f, c);
    if (ferror(f)) rc = -ENOMEM;
    if (fclose(f)) rc = -ENOMEM;
    if (rc) {
        free(buf);
        goto out;
    }
    *text = buf;
    if (len) *len = n;
out:
    return rc;
}
