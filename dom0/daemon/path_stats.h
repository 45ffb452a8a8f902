/*
 * dom0/daemon/path_stats.h: how long each step of xresd's path from a
 * guest's report to a balloon target takes, kept as running statistics
 * (stats.h) for `xres stats`: the coalescing wait, the report's reading,
 * the snapshot (and in it the calls into Xen by kind), the balancing
 * decision, each action's call by kind, and the whole path from the watch
 * event to the first target written.  Adding a figure is O(1); the core
 * keeps one set, whatever the number of domains.
 */
#ifndef XRES_PATH_STATS_H
#define XRES_PATH_STATS_H

#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "action.h"
#include "backend.h"
#include "stats.h"

typedef enum {
    XRES_PATH_COALESCE = 0,     /* watch event until the report is read */
    XRES_PATH_REPORT_READ,      /* reading and checking one report */
    XRES_PATH_SNAPSHOT,         /* one snapshot of the host */
    XRES_PATH_POLICY,           /* one balancing decision */
    XRES_PATH_REACT,            /* watch event until the first target */
    XRES_PATH_NR,
} xres_path_step;

#define XRES_ACT_KINDS (XRES_ACT_CLAIM_MOVE + 1)

typedef struct {
    xres_stat step[XRES_PATH_NR];
    /* Per snapshot: the time spent in each kind of call, and how many. */
    xres_stat snap_kind[XRES_BCALL_KINDS];
    uint64_t snap_calls[XRES_BCALL_KINDS];
    uint64_t snap_calls_last[XRES_BCALL_KINDS];
    xres_stat act[XRES_ACT_KINDS];      /* each action's call */
    uint64_t report_events;     /* watch events on report areas */
    uint64_t reports;           /* reports read */
    uint64_t reports_deferred;  /* reports held back by a domain's bucket */
    uint64_t policy_runs;       /* balancing decisions */
    uint64_t reset_ms;          /* the daemon's clock at the last reset */
    uint64_t react_t0_ns;       /* the report being acted on: its event */
} xres_path_stats;

void xres_path_stats_reset(xres_path_stats *p, uint64_t now_ms);
/* A snapshot took ns; before and after are the backend's call counts. */
void xres_path_stats_snapshot(xres_path_stats *p, uint64_t ns,
                              const xres_bcalls *before,
                              const xres_bcalls *after);
/* Writes the figures as the fields of the `stats` reply (inside its map). */
void xres_path_stats_json(const xres_path_stats *p, uint64_t now_ms,
                          yajl_gen g);
/* "coalesce", "report-read", ...; "set-target", ... */
const char *xres_path_step_name(xres_path_step s);
const char *xres_act_kind_name(xres_action_kind k);

#endif
