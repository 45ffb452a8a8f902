/*
 * dom0/core/clock.h: the clock xresd runs on, injected.
 *
 * Everything in the daemon that needs the time (timers, report
 * coalescing, timeouts of moves and failovers, the snapshot's now_ms)
 * reads one clock, the daemon's (xres_daemon_now_ms).  xresd on a real host
 * gives it the monotonic clock; the simulated host has a clock of its own
 * (xres_sim_clock), so that tests move time by hand.  Policies never read
 * a clock: they get the time as an argument or in the snapshot.
 */
#ifndef XRES_CLOCK_H
#define XRES_CLOCK_H

#include <stdint.h>

typedef struct xres_clock xres_clock;

struct xres_clock {
    /* Milliseconds; never goes back. */
    uint64_t (*now_ms)(const xres_clock *c);
    void *ctx;
};

/* CLOCK_MONOTONIC, in ms. */
const xres_clock *xres_clock_monotonic(void);

static inline uint64_t xres_clock_now_ms(const xres_clock *c)
{
    return c->now_ms(c);
}

/* Microseconds of real time, for figures of how long xresd's own work
 * took (a failover's toolstack time).  Never for timers or decisions:
 * those use the daemon's clock. */
uint64_t xres_busy_us(void);

#endif
