/*
 * dom0/core/clock.c: the monotonic clock (clock.h).
 */
#include <stddef.h>

#include "clock.h"
#include "util.h"

static uint64_t monotonic_now(const xres_clock *c)
{
    (void)c;
    return xres_monotonic_ms();
}

static const xres_clock monotonic = { .now_ms = monotonic_now, .ctx = NULL };

const xres_clock *xres_clock_monotonic(void)
{
    return &monotonic;
}
