/*
 * bench/bench_scale.h: the sizes every scale benchmark runs at (10 to
 * 10,000 domains) and the ratio between successive sizes, printed next
 * to each figure so that a super-linear step (a ratio well above 10)
 * shows at a glance.
 */
#ifndef XRES_BENCH_SCALE_H
#define XRES_BENCH_SCALE_H

#include <stdio.h>

#define BENCH_NSIZES 4
static const unsigned bench_sizes[BENCH_NSIZES] = { 10, 100, 1000, 10000 };

/* Print v (a figure at size k) and its ratio to prev (the figure at the
 * size before): "  12.345 x10.2".  prev <= 0 prints no ratio. */
static inline void bench_cell(double v, double prev)
{
    if (v < 0) {
        printf(" %10s %6s", "-", "");
        return;
    }
    printf(" %10.3f", v);
    if (prev > 0) printf(" x%-5.1f", v / prev);
    else printf(" %6s", "");
}

/* The header of one figure's cell pair. */
static inline void bench_head(const char *name)
{
    printf(" %10s %6s", name, "ratio");
}

#endif
