/*
 * dom0/core/clock.c: the monotonic clock (clock.h).
 */
#include <stddef.h>
#include <time.h>

#include "clock.h"
#include "util.h"

static uint64_t monotonic_now(const xres_clock *c)
{
    (void)c;
    return xres_monotonic_ms();
}

static const xres_clock monotonic = { .now_ms = monotonic_now, .ctx = NULL };

uint64_t xres_busy_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const xres_clock *xres_clock_monotonic(void)
{
    return &monotonic;
}
