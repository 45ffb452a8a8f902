/*
 * dom0/core/stats.h: running statistics of a duration: how many, the
 * last, the largest, and the median and 99th percentile over the last
 * XRES_STAT_WINDOW samples.  Adding a sample is O(1) and allocates
 * nothing; the percentiles are worked out when asked for.
 */
#ifndef XRES_STATS_H
#define XRES_STATS_H

#include <stdint.h>

#define XRES_STAT_WINDOW 512

typedef struct {
    uint64_t count;             /* samples since the last reset */
    uint64_t last_ns, max_ns;
    uint64_t sum_ns;
    uint32_t next;              /* where the next sample goes in win */
    uint64_t win[XRES_STAT_WINDOW];
} xres_stat;

typedef struct {
    uint64_t count, last_ns, max_ns, sum_ns, p50_ns, p99_ns;
} xres_stat_summary;

void xres_stat_reset(xres_stat *s);
void xres_stat_add(xres_stat *s, uint64_t ns);
/* Nearest-rank percentiles over the samples in the window. */
void xres_stat_summarise(const xres_stat *s, xres_stat_summary *out);

/* Nanoseconds of CLOCK_MONOTONIC: for figures of xresd's own work only,
 * never for timers or decisions (those use the daemon's clock). */
uint64_t xres_stat_now_ns(void);

#endif
