/*
 * dom0/daemon/mem_priv.h: the memory subsystem's private state and the
 * calls between its files: daemon_mem.c (hooks, marks, the check cycle),
 * mem_policy_rt.c (run-time policies) and mem_cmd.c (IPC commands).
 */
#ifndef XRES_MEM_PRIV_H
#define XRES_MEM_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "mem_move.h"
#include "mem_run.h"
#include "mem_stall.h"
#include "metrics.h"
#include "policy_mem.h"

enum { POL_MIN = 1, POL_MAX = 2, POL_PRIO = 4, POL_WEIGHT = 8 };

/* A run-time policy (xres mem-policy), by domain name. */
typedef struct {
    char name[XRES_NAME_MAX];
    unsigned set;               /* POL_* fields given */
    xres_mem_policy pol;
} rt_policy;

/* A domain marked not responding. */
typedef struct {
    uint32_t domid;
    uint64_t since_ms;
    uint64_t cur_kb;            /* its memory when marked */
} nr_mark;

/* For the log: when the report behind a balancing move was read, so that
 * the move's end can say how long after it the receiver was raised. */
#define LAT_NOTES 8
typedef struct {
    uint64_t move_id;           /* 0: slot free */
    uint64_t report_ms;         /* monotonic, when xresd read the report */
} lat_note;

/* Run-time policies kept (`mem-policy` may name a domain not yet there);
 * the same bound as the CPU's. */
#define MEM_RT_POLICIES_MAX 1024

/* xres_daemon_priv(d, &xres_subsys_mem) */
typedef struct {
    xres_mem_params p;
    xres_movers mv;
    xres_move_runner run;       /* carries the moves' steps out */
    lat_note lat[LAT_NOTES];
    unsigned lat_next;
    rt_policy *rt;
    size_t rt_n;
    nr_mark *nr;
    size_t nr_n;
    xres_mem_stalls stalls;     /* raised targets a balloon may not follow */
    bool busy;                  /* inside a cycle: no re-entry */
    bool balance_wanted;        /* a report of this pass moved a decision */
    /* For the metrics: moves that ended, and report-to-target times. */
    uint64_t moves_done, moves_failed;
    xres_histogram reaction;
} mem_priv;

static inline mem_priv *P(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_mem);
}

static inline uint64_t now_ms(xres_daemon *d)
{
    return xres_daemon_now_ms(d);
}

/* daemon_mem.c */
/* One check: advance the moves, refresh marks, balance if asked.
 * d->host must be fresh enough (the callers refresh it). */
void xres_memd_cycle(xres_daemon *d, bool balance);
/* The snapshot the policy plans on (moves in flight taken into account). */
int xres_memd_planning_view(xres_daemon *d, xres_host *view);
/* Start the transfers of a plan that do not touch a busy domain. */
void xres_memd_start_plan(xres_daemon *d, const xres_mem_plan *plan,
                          const char *origin, uint64_t *first_id);
/* Ask the core's loop back while moves are in flight. */
void xres_memd_schedule_check(xres_daemon *d);
void xres_memd_mark_busy(xres_daemon *d, uint32_t domid);

/* mem_policy_rt.c */
/* Lay the run-time policies over d->cfg's domains and the snapshot. */
int xres_memd_overlay(xres_daemon *d);
/* Read the policies stored in XenStore (at start-up). */
void xres_memd_load_policies(xres_daemon *d);
/* The mem-policy request. */
int xres_memd_cmd_policy(xres_daemon *d, yajl_val req, yajl_gen out);

/* mem_cmd.c: the IPC requests of the memory subsystem (subsys.h). */
int xres_memd_command(xres_daemon *d, const char *cmd, yajl_val req,
                      yajl_gen out);

#endif
