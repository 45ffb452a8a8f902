/*
 * dom0/daemon/metrics.h: xresd's metrics in the Prometheus text format
 * (the node exporter's textfile collector reads them; `xres metrics`
 * prints them).  metrics.c formats a snapshot and the counters below,
 * and nothing else: no clock, no backend, no file.  daemon_metrics.c
 * gathers the counters, each from the subsystem that owns it, and
 * writes the file.
 */
#ifndef XRES_METRICS_H
#define XRES_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_pair.h"
#include "model.h"
#include "policy_pair.h"

/* The reaction-time histogram: upper bounds of its buckets, in ms
 * (+Inf is the count). */
#define XRES_REACTION_BUCKETS 11
extern const uint64_t xres_reaction_le_ms[XRES_REACTION_BUCKETS];

typedef struct {
    uint64_t bucket[XRES_REACTION_BUCKETS];   /* not cumulative */
    uint64_t count;
    uint64_t sum_ms;
} xres_histogram;

void xres_histogram_observe(xres_histogram *h, uint64_t ms);

/* Failovers of one pair that ended, by kind (app covers both app kinds). */
typedef struct {
    char pair[XRES_PAIR_NAME_MAX];
    uint64_t domain, app;
} xres_metrics_pair;

typedef struct {
    char pool[32];                      /* XRES_POOL_NAME_MAX */
    uint64_t held_kb, size_kb;
    bool at_risk;
    const char *phase;                  /* static text */
} xres_metrics_pool;

#define XRES_METRICS_POOLS_MAX 16       /* XRES_POOLS_MAX */

typedef struct {
    uint64_t moves_done, moves_failed;  /* memory moves that ended */
    uint64_t moves_in_flight;
    /* From reading a receiver's agent report to writing its raised
     * target, per balancing move (the memory subsystem's "latency"). */
    xres_histogram reaction;
    size_t npairs;
    xres_metrics_pair pairs[XRES_PAIR_DECLS_MAX];
    size_t npools;
    xres_metrics_pool pools[XRES_METRICS_POOLS_MAX];
} xres_metrics_counters;

/* The text of h and c, in the exposition format, with HELP and TYPE
 * lines; label values escaped (backslash, double quote, newline) and
 * bytes that are not UTF-8 replaced.  *text is malloc'd and
 * NUL-terminated.  0 or -ENOMEM. */
int xres_metrics_format(const xres_host *h, const xres_metrics_counters *c,
                        char **text, size_t *len);

/* The label value s as the exposition format writes it, NUL-terminated
 * in buf (len bytes; cut short at a whole character).  For tests too. */
void xres_metrics_label(char *buf, size_t len, const char *s);

/* Filled by the subsystem that owns the figures; they leave c as it is
 * when their subsystem does not run in d. */
typedef struct xres_daemon xres_daemon;
void xres_memd_metrics(xres_daemon *d, xres_metrics_counters *c);
void xres_paird_metrics(xres_daemon *d, xres_metrics_counters *c);
void xres_poold_metrics(xres_daemon *d, xres_metrics_counters *c);

/* daemon_metrics.c: the text for d's snapshot and counters (0 or
 * -ENOMEM), and the atomic write of a file: a temporary file in the same
 * directory, fsync, rename (0 or a negative errno; nothing left behind on
 * error). */
int xres_daemon_metrics_text(xres_daemon *d, char **text, size_t *len);
int xres_metrics_write_file(const char *path, const char *text, size_t len);

#endif
