/*
 * dom0/policy/policy_pair.h: hot-standby domain pairs, the pure part.
 *
 * A pair is an active domain and a small standby domain.  The pair's
 * resource table splits the active's memory into areas (the OS base and
 * one area per application), each with an owner and a switch-over
 * destination.  Failover is a resumable state machine: the pair (table +
 * failover progress) and a host snapshot go in, the next action comes
 * out.  The daemon executes the action, stores the new pair state and asks
 * again.  Waiting steps (balloon reached, agent ack received) are
 * conditions checked against the snapshot and the observed agent replies,
 * never blocking calls.  Nothing here calls Xen, reads a clock or logs.
 */
#ifndef XRES_POLICY_PAIR_H
#define XRES_POLICY_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "model.h"

#define XRES_PAIR_NAME_MAX 32       /* pair and application names, incl. NUL */
#define XRES_PAIR_AREAS_MAX 16      /* base + applications */
#define XRES_PAIR_APPS_MAX 15
#define XRES_PAIR_ACKS_MAX 16
#define XRES_PAIR_BASE "base"       /* name of the active OS's base area */

/* libxl shutdown reasons (LIBXL_SHUTDOWN_REASON_*), kept here so the pure
 * code does not need libxl headers. */
#define XRES_SHUTDOWN_POWEROFF 0
#define XRES_SHUTDOWN_REBOOT 1
#define XRES_SHUTDOWN_SUSPEND 2
#define XRES_SHUTDOWN_CRASH 3
#define XRES_SHUTDOWN_WATCHDOG 4
#define XRES_SHUTDOWN_SOFT_RESET 5

typedef enum {
    XRES_OWNER_ACTIVE = 0,
    XRES_OWNER_STANDBY,
    XRES_OWNER_HOST,
} xres_pair_owner;

typedef enum {
    XRES_DEST_NONE = 0,         /* back to the host pool */
    XRES_DEST_STANDBY,
} xres_pair_dest;

typedef enum {
    XRES_AREA_BASE = 0,         /* the active OS */
    XRES_AREA_HOT,              /* hot-standby app, carved from the base */
    XRES_AREA_COLD,             /* other app, carved from the base */
    XRES_AREA_EXT,              /* other app, extension from the host pool */
} xres_pair_area_kind;

typedef struct {
    char name[XRES_PAIR_NAME_MAX];
    uint64_t size_kb;
    xres_pair_owner owner;
    xres_pair_dest dest;
    xres_pair_area_kind kind;
    bool running;               /* app runs on the owner's side */
    bool moving;                /* chosen by the running failover's plan */
    unsigned restarts;          /* level-1 restarts in place so far */
    uint64_t fault_seq;         /* last fault report handled */
} xres_pair_area;

/* An application declared at pair-create. */
typedef struct {
    char name[XRES_PAIR_NAME_MAX];
    uint64_t size_kb;
    bool hot;
} xres_pair_app;

typedef struct {
    unsigned max_restarts;          /* level-1 restarts before failover */
    uint64_t heartbeat_timeout_ms;  /* 0: do not watch the heartbeat */
    uint64_t release_timeout_ms;    /* wait for a release, then reserve */
    uint64_t ack_timeout_ms;        /* wait for an agent's ack */
    uint64_t tol_kb;                /* balloon "reached" tolerance */
    uint64_t base_min_kb;           /* the active OS keeps at least this */
    bool preserve;                  /* fence by pause (keep for a dump) */
} xres_pair_cfg;

void xres_pair_cfg_default(xres_pair_cfg *c);

typedef enum {
    XRES_PAIR_NORMAL = 0,       /* active serves, standby ready */
    XRES_PAIR_FAILING,          /* a failover is in flight */
    XRES_PAIR_FAILED_OVER,      /* the standby serves; no protection */
    XRES_PAIR_DEGRADED,         /* the standby is gone; no protection */
} xres_pair_state;

typedef enum {
    XRES_FO_NONE = 0,
    XRES_FO_DOMAIN,             /* whole-domain failover */
    XRES_FO_APP,                /* one app: release first, then engage */
    XRES_FO_APP_RESERVE,        /* one app: engage from the reserve first */
} xres_fo_kind;

typedef enum {
    XRES_STEP_FENCE = 0,        /* destroy or pause the old active */
    XRES_STEP_PLAN,             /* decide from the table where areas go */
    XRES_STEP_STOP,             /* stop the app on the active */
    XRES_STEP_RELEASE,          /* shrink the active by the area */
    XRES_STEP_ENGAGE,           /* grow the standby by the bound areas */
    XRES_STEP_SCHED,            /* weight and cap to the standby */
    XRES_STEP_START,            /* start the apps on the standby */
    XRES_STEP_COMMIT,           /* new owners in the table */
    XRES_STEP_NR,
} xres_fo_step;

#define XRES_FO_SEQ_MAX 8
/* Agent request sequence numbers one failover uses: seq0 .. seq0+SPAN-1
 * (stop, release, engage, then one start per area). */
#define XRES_PAIR_SEQ_SPAN (3 + XRES_PAIR_AREAS_MAX)

/* Failover progress: everything needed to resume after a daemon restart.
 * Values the steps use are captured here once (plan) and never re-read
 * from a later snapshot, so re-executing a step is harmless. */
typedef struct {
    xres_fo_kind kind;
    char app[XRES_PAIR_NAME_MAX];   /* XRES_FO_APP*: the app */
    char why[64];                   /* what started it */
    unsigned nsteps;
    xres_fo_step steps[XRES_FO_SEQ_MAX];
    unsigned pos;                   /* index into steps */
    unsigned sub;                   /* actions of steps[pos] executed */
    uint32_t done;                  /* bit per xres_fo_step: completed */
    uint64_t started_ms;
    uint64_t step_ms;               /* when steps[pos] was entered */

    /* Captured at the start. */
    uint32_t act_domid, sb_domid;
    int act_weight, act_cap;
    uint64_t act_target0, act_maxmem0, act_cur0;
    uint64_t sb_target0, sb_maxmem0;
    uint64_t free0;                 /* host free memory at the start */
    uint64_t reserve_cfg_kb;        /* the configured reserve */

    /* Plan. */
    uint64_t bound_kb;              /* to the standby */
    uint64_t return_kb;             /* back to the host */
    uint64_t reserve_kb;            /* taken from the reserve */
    uint64_t seq0;                  /* agent requests: seq0, seq0+1, ... */
    uint32_t start_mask;            /* areas (by index) to start */
    uint32_t acked_mask;            /* start acks received */
    uint32_t failed_mask;           /* start refused or timed out */

    /* What the guests' reports and Xen's figures disagreed on, for the
     * log (XRES_FO_NOTE_*); not stored: after a restart a note may be
     * logged again. */
    uint32_t notes;

    /* Timing (same clock as started_ms; 0: not yet). */
    uint64_t busy_us;               /* xresd's own time on it so far */
    uint64_t target_ms;             /* the standby's new target written */
    uint64_t reached_ms;            /* the standby's balloon got there */
    uint64_t startreq_ms;           /* first start request written */
    uint64_t acked_ms;              /* every start acked (or given up) */
} xres_pair_fo;

/* Disconnect and engage complete on the guest's report and on Xen's
 * figure (003, steps 505, 607 and 610): each is waited for. */
#define XRES_FO_NOTE_ACK_NO_RELEASE 1u  /* acked, but Xen's cur_kb is high */
#define XRES_FO_NOTE_RELEASE_NO_ACK 2u  /* released, no ack: taken on Xen's
                                         * figure after ack_timeout_ms */
#define XRES_FO_NOTE_ACK_NO_ENGAGE 4u   /* acked, but Xen's cur_kb is low */
#define XRES_FO_NOTE_ENGAGE_NO_ACK 8u   /* engaged, no ack: taken on Xen's
                                         * figure after ack_timeout_ms */

/* Latency of the last failover, split into xresd's share and the wait for
 * the guests.  All ms figures are counted from the fault seen by xresd
 * (started_ms) unless said otherwise. */
typedef struct {
    bool valid;
    xres_fo_kind kind;
    uint64_t total_ms;              /* fault seen -> failover finished */
    uint64_t toolstack_us;          /* xresd's own time: snapshots,
                                     * decisions, libxl and XenStore writes */
    uint64_t targets_ms;            /* fault seen -> standby target written */
    uint64_t balloon_ms;            /* target written -> balloon reached */
    uint64_t start_ms;              /* start request -> agent's ack */
    uint64_t guest_ms;              /* balloon_ms + start_ms */
} xres_pair_lat;

/* One line of the failover log kept with the pair. */
typedef struct {
    uint64_t started_ms;
    uint64_t ended_ms;
    xres_fo_kind kind;
    char app[XRES_PAIR_NAME_MAX];
    char why[64];
    uint64_t bound_kb, return_kb, reserve_kb;
    uint32_t failed_mask;
} xres_pair_logent;

#define XRES_PAIR_LOG_MAX 8

typedef struct {
    char name[XRES_PAIR_NAME_MAX];
    uint32_t active, standby;
    char active_name[XRES_NAME_MAX];
    char standby_name[XRES_NAME_MAX];
    xres_pair_cfg cfg;
    xres_pair_state state;

    size_t napps;
    xres_pair_app apps[XRES_PAIR_APPS_MAX];

    size_t nareas;
    xres_pair_area areas[XRES_PAIR_AREAS_MAX];

    uint64_t next_seq;              /* next agent request sequence number */
    uint64_t debt_kb;               /* reserve lent, not yet given back */
    uint32_t debt_domid;            /* whose release refills the reserve */
    uint64_t debt_until_kb;         /* ... when its memory is at most this */

    xres_pair_fo fo;

    /* Memory balancing keeps the standby at or above this once memory
     * was engaged into it (its target after the last engagement); 0:
     * none.  Cleared when it becomes the active at failback. */
    uint64_t sb_floor_kb;
    xres_pair_lat lat;              /* the last failover's timing */

    size_t nlog;                    /* newest last */
    xres_pair_logent log[XRES_PAIR_LOG_MAX];
} xres_pair;

/* An agent's reply to a request. */
typedef struct {
    uint64_t seq;
    int rc;                         /* 0: done; else the agent's error */
} xres_pair_ack;

/* What one domain's agent reports about one app. */
typedef struct {
    char name[XRES_PAIR_NAME_MAX];
    bool running;
    unsigned fault_level;           /* 0..4 */
    uint64_t fault_seq;             /* changes with each new fault report */
    bool asking;                    /* waits for its extension to start
                                     * (003, routine 110) */
} xres_pair_app_obs;

/* What the daemon read from one domain's agent (validated). */
typedef struct {
    /* When dom0 last saw the agent's report change (monotonic ms, as
     * snap->now_ms); 0: use the snapshot's agent.heartbeat_ms. */
    uint64_t heartbeat_ms;
    /* The agent's own promise (2 * heartbeat-interval + 5 s): the
     * heartbeat timeout is never shorter.  0: none known. */
    uint64_t heartbeat_min_timeout_ms;
    size_t nacks;
    xres_pair_ack acks[XRES_PAIR_ACKS_MAX];
    size_t napps;
    xres_pair_app_obs apps[XRES_PAIR_APPS_MAX];
} xres_pair_guest_obs;

typedef struct {
    xres_pair_guest_obs active, standby;
} xres_pair_obs;

/* Names. */
const char *xres_pair_owner_name(xres_pair_owner o);
const char *xres_pair_dest_name(xres_pair_dest d);
const char *xres_pair_area_kind_name(xres_pair_area_kind k);
const char *xres_pair_state_name(xres_pair_state s);
const char *xres_fo_kind_name(xres_fo_kind k);
const char *xres_fo_step_name(xres_fo_step s);
int xres_pair_owner_parse(const char *s, xres_pair_owner *o);
int xres_pair_dest_parse(const char *s, xres_pair_dest *d);
int xres_pair_area_kind_parse(const char *s, xres_pair_area_kind *k);
int xres_pair_state_parse(const char *s, xres_pair_state *st);
int xres_fo_kind_parse(const char *s, xres_fo_kind *k);
int xres_fo_step_parse(const char *s, xres_fo_step *st);

/* [A-Za-z0-9_.-], 1..31 characters, not "base". */
bool xres_pair_name_ok(const char *s);

/*
 * Creating a pair.  The table starts with one base area holding the
 * active's whole allotment (its balloon target).  `why` (may be NULL)
 * receives the reason for a refusal.  Returns 0, -EINVAL, -ENOENT,
 * -ENOSPC (the standby could not be given the hot-standby areas).
 */
int xres_pair_create(xres_pair *p, const char *name, const xres_host *snap,
                     uint32_t active, uint32_t standby,
                     const xres_pair_app *apps, size_t napps,
                     const xres_pair_cfg *cfg, uint64_t reserve_kb,
                     char *why, size_t whylen);

/* Can the standby be given `hot_kb` more when needed?  Checks the
 * standby's maxmem, and, when the old active is only paused (its memory
 * is not freed), the host memory including the reserve. */
int xres_pair_admit(const xres_pair *p, const xres_host *snap,
                    uint64_t hot_kb, uint64_t reserve_kb,
                    char *why, size_t whylen);

xres_pair_area *xres_pair_area_find(xres_pair *p, const char *name);
const xres_pair_app *xres_pair_app_find(const xres_pair *p,
                                        const char *name);
/* Sum of the areas with that owner (and, if dest >= 0, that dest). */
uint64_t xres_pair_sum(const xres_pair *p, xres_pair_owner owner,
                       int dest);

/*
 * An app started on the active (the agent said so).  Hot-standby: its
 * area is carved from the base, destination standby, nothing moves; it is
 * refused (-ENOSPC) if the base is too small or the standby could not
 * take it (its maxmem minus target minus hot areas already bound to it).
 * Any other app: carved from the base if it fits above cfg.base_min_kb,
 * else an extension from the host pool (free memory above the reserve and
 * above what the reserve has lent): actions raise the active's maxmem (if
 * needed) and target; refused (-ENOSPC, table unchanged) when the pool is
 * too small.  Unknown app: -ENOENT.  Already in the table: 0, nothing done.
 */
int xres_pair_app_started(xres_pair *p, const xres_host *snap,
                          const char *app, uint64_t reserve_kb,
                          xres_actions *acts, char *why, size_t whylen);
/* An app stopped normally on the active: extensions go back to the host
 * (actions lower the active), carved cold areas merge into the base.  Hot
 * areas stay, marked not running. */
int xres_pair_app_stopped(xres_pair *p, const char *app,
                          xres_actions *acts);

/*
 * What to do about a fault.
 */
typedef enum {
    XRES_PAIR_DO_NOTHING = 0,
    XRES_PAIR_DO_RESTART,           /* level 1: restart in place */
    XRES_PAIR_DO_APP_FAILOVER,      /* level 1 after N, 2, 3 */
    XRES_PAIR_DO_RESERVE_FAILOVER,  /* level 4 */
    XRES_PAIR_DO_DOMAIN_FAILOVER,
    XRES_PAIR_DO_IGNORE_FAULT,      /* note fault_seq handled, log why */
    XRES_PAIR_DO_DEGRADE,           /* the standby is gone */
} xres_pair_do;

typedef struct {
    xres_pair_do what;
    char app[XRES_PAIR_NAME_MAX];
    uint64_t fault_seq;
    char why[64];
} xres_pair_decision;

/* A backend event for `domid`: death (is_death) or shutdown (reason). */
void xres_pair_on_domain_event(const xres_pair *p, uint32_t domid,
                               bool is_death, int reason,
                               xres_pair_decision *d);
/* Periodic look: heartbeat of the active, app fault reports.  Returns the
 * first thing that needs doing. */
void xres_pair_check(const xres_pair *p, const xres_host *snap,
                     const xres_pair_obs *obs, xres_pair_decision *d);

/* Level-1 restart: request start on the active, count it, remember the
 * fault report handled. */
int xres_pair_restart(xres_pair *p, const char *app, uint64_t fault_seq,
                      xres_actions *acts);

/*
 * Start a failover.  kind DOMAIN: app NULL.  APP / APP_RESERVE: the app's
 * area must be hot and owned by the active.  Captures what later steps
 * need from snap.  Returns -EBUSY if one is in flight, -ENOENT/-EINVAL.
 * reserve_kb: the configured reserve.
 */
int xres_pair_fo_begin(xres_pair *p, xres_fo_kind kind, const char *app,
                       const char *why, const xres_host *snap,
                       uint64_t reserve_kb, char *err, size_t errlen);

typedef enum {
    XRES_FO_IDLE = 0,       /* nothing in flight */
    XRES_FO_ACT,            /* one action to execute, then store and ask again */
    XRES_FO_ADVANCED,       /* state moved on without an action: store, ask again */
    XRES_FO_WAIT,           /* a condition does not hold yet */
    XRES_FO_FINISHED,       /* the failover just ended: store */
} xres_fo_result;

/*
 * One round of the machine.  In: the stored pair, snapshot, observations.
 * Out: *p updated (the progress to store) and at most one action in acts
 * (appended).  The daemon executes that action; on success it stores *p
 * and calls again; on failure it must reload the stored state (or keep a
 * copy) so the action is retried.  Every action carries absolute values
 * computed from the captured plan, so executing it twice does no harm.
 */
xres_fo_result xres_pair_fo_run(xres_pair *p, const xres_host *snap,
                                const xres_pair_obs *obs,
                                xres_actions *acts);

/* The floor memory balancing must honour for domid because of this pair
 * (xres_domain.mem_floor_kb): the standby keeps what a failover engaged
 * into it.  0 for any other domain. */
uint64_t xres_pair_mem_floor(const xres_pair *p, uint32_t domid);

/* Reserve bookkeeping: true when the reserve lent to a standby has been
 * given back (the old active released its memory or is gone); clears
 * the debt. */
bool xres_pair_refill(xres_pair *p, const xres_host *snap);

/*
 * Failback after a whole-domain failover: the old standby becomes the
 * active (its hot areas now owned by the active, base = its target minus
 * them) and new_standby becomes the standby, subject to the same check as
 * at creation.
 */
int xres_pair_failback(xres_pair *p, const xres_host *snap,
                       uint32_t new_standby, uint64_t reserve_kb,
                       char *why, size_t whylen);

#endif
