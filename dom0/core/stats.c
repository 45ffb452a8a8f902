/*
 * dom0/core/stats.c: running statistics of durations (stats.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

void xres_stat_reset(xres_stat *s)
{
    memset(s, 0, sizeof(*s));
}

void xres_stat_add(xres_stat *s, uint64_t ns)
{
    s->count++;
    s->last_ns = ns;
    s->sum_ns += ns;
    if (ns > s->max_ns) s->max_ns = ns;
    s->win[s->next] = ns;
    s->next = (s->next + 1) % XRES_STAT_WINDOW;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The value of nearest rank pct (1..100) of n sorted values. */
static uint64_t rank(const uint64_t *v, size_t n, unsigned pct)
{
    size_t r = (n * pct + 99) / 100;

    return v[r ? r - 1 : 0];
}

void xres_stat_summarise(const xres_stat *s, xres_stat_summary *out)
{
    uint64_t v[XRES_STAT_WINDOW];
    size_t n = s->count < XRES_STAT_WINDOW ? (size_t)s->count
                                           : XRES_STAT_WINDOW;

    memset(out, 0, sizeof(*out));
    out->count = s->count;
    out->last_ns = s->last_ns;
    out->max_ns = s->max_ns;
    out->sum_ns = s->sum_ns;
    if (!n) return;
    memcpy(v, s->win, n * sizeof(v[0]));
    qsort(v, n, sizeof(v[0]), u64_cmp);
    out->p50_ns = rank(v, n, 50);
    out->p99_ns = rank(v, n, 99);
}

uint64_t xres_stat_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
