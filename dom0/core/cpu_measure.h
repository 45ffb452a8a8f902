/*
 * dom0/core/cpu_measure.h: CPU use measured from Xen's per-domain cpu_time.
 *
 * Each snapshot (model.h) carries every domain's cumulative cpu_time and
 * the snapshot's monotonic time.  Between two snapshots a domain's use is
 * the growth of its cpu_time as a percentage of one physical CPU; the host
 * load is the sum over all domains, dom0 included.  The meter keeps a short
 * history of both in memory; the policies (policy_cpu.h) read it.
 *
 * Everything here is pure: the meter never calls Xen or reads a clock,
 * it only looks at the snapshots it is given.
 */
#ifndef XRES_CPU_MEASURE_H
#define XRES_CPU_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define XRES_CPU_HIST_MAX 120       /* samples kept, at most */
#define XRES_CPU_HIST_DEFAULT 30

/* How the host load is taken when computing the available amount. */
typedef enum {
    XRES_LOAD_LATEST = 0,   /* the latest sample */
    XRES_LOAD_AVERAGE,      /* mean over the window */
    XRES_LOAD_MAXIMUM,      /* maximum over the window */
} xres_load_mode;

const char *xres_load_mode_name(xres_load_mode m);
/* "latest", "average" (or "avg"), "maximum" (or "max"); 0 or -EINVAL. */
int xres_load_mode_parse(const char *s, xres_load_mode *m);

/* One sample of one domain: the interval that ended at t_ms. */
typedef struct {
    uint64_t t_ms;
    double use_pct;     /* Xen's figure: % of one physical CPU */
    double agent_pct;   /* the agent's figure in % of one CPU, or -1 */
    int cap;            /* the cap in force when the sample was taken */
    int weight;         /* the weight in force when the sample was taken */
} xres_cpu_point;

/* One sample of the host. */
typedef struct {
    uint64_t t_ms;
    double load_pct;    /* sum of every domain's use */
} xres_load_point;

typedef struct {
    uint32_t domid;
    char name[XRES_NAME_MAX];
    uint64_t last_ns;       /* cpu_time of the previous snapshot */
    uint64_t last_ms;       /* time of the previous snapshot */
    size_t len;             /* ring size (the meter's len) */
    size_t n, head;         /* ring: n points, head = next slot */
    xres_cpu_point *v;      /* len points, in the meter's store */
} xres_cpu_dom_hist;

typedef struct {
    size_t len;             /* points kept per domain, 1..HIST_MAX */
    unsigned nr_cpus;
    size_t nr;              /* domains tracked */
    xres_cpu_dom_hist *doms;
    xres_cpu_point *pts;    /* nr * len points: the domains' rings */
    size_t hn, hhead;       /* host load ring */
    xres_load_point load[XRES_CPU_HIST_MAX];
} xres_cpu_meter;

/*
 * Use in % of one physical CPU between two readings of a cumulative
 * cpu_time.  Returns -1 when there is no figure: no time passed, or the
 * counter went backwards (a new domain reusing the domid).
 */
double xres_cpu_use_pct(uint64_t ns0, uint64_t ms0, uint64_t ns1,
                        uint64_t ms1);

/* Load of the last n samples (oldest first) as mode takes it; 0 if n==0. */
double xres_cpu_load_of(const double *load, size_t n, xres_load_mode mode);
/* max - load, never below 0.  max = nr_cpus * 100.  The CPU policies take
 * the host's available CPU from here. */
double xres_cpu_available(double max, const double *load, size_t n,
                          xres_load_mode mode);
/* available - reserve_frac * max, never below 0 (managing-domain sizing). */
double xres_cpu_allocable(double available, double max, double reserve_frac);

/* len: points kept per domain (0 = default; above HIST_MAX is cut). */
void xres_cpu_meter_init(xres_cpu_meter *m, size_t len);
void xres_cpu_meter_dispose(xres_cpu_meter *m);

/* A use figure spans at least this much time.  Over a shorter span a
 * capped domain's figure swings far above its cap: the credit scheduler
 * lets it run, then parks it for the rest of its accounting period. */
#define XRES_CPU_SAMPLE_MIN_MS 1000

/*
 * Take one snapshot: for every domain in h with a reading at least
 * XRES_CPU_SAMPLE_MIN_MS older, append its use since then (a snapshot
 * sooner than that keeps the earlier reading and appends nothing); forget
 * domains no longer in h; append the host load when at least one domain
 * had a figure.  Domains in a snapshot whose cpu_time went backwards or
 * whose name changed start afresh.
 * Returns 0 or -ENOMEM (the meter stays consistent either way).
 */
int xres_cpu_meter_update(xres_cpu_meter *m, const xres_host *h);

const xres_cpu_dom_hist *xres_cpu_meter_find(const xres_cpu_meter *m,
                                             uint32_t domid);
/* Copies the latest up to max points of d, oldest first; returns count. */
size_t xres_cpu_hist_recent(const xres_cpu_dom_hist *d, xres_cpu_point *out,
                            size_t max);
/* Latest point of d, or NULL when there is none. */
const xres_cpu_point *xres_cpu_hist_latest(const xres_cpu_dom_hist *d);
/* Copies the latest up to max host loads, oldest first; returns count. */
size_t xres_cpu_meter_loads(const xres_cpu_meter *m, double *out, size_t max);

#endif
