/*
 * dom0/daemon/daemon.h: xresd's core: the event loop, the host snapshot, the
 * per-domain state, the IPC server and the subsystem calls.
 *
 * One thread, one poll() loop over: the backend's file descriptors, the
 * listening socket and its client connections, a signalfd (SIGTERM,
 * SIGINT: exit; SIGHUP: reload the configuration) and the tick timer.
 */
#ifndef XRES_DAEMON_H
#define XRES_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "action.h"
#include "backend.h"
#include "clock.h"
#include "cluster_group.h"
#include "config.h"
#include "log.h"
#include "model.h"
#include "path_stats.h"
#include "subsys.h"
#include "xs_schema.h"

/* Watch tokens of the core.  Paths come from xenstore-schema/ (XS_*). */
#define XRES_WATCH_REPORT "core:report:"      /* followed by the domid */
#define XRES_WATCH_INTRODUCE "core:introduce"
#define XRES_WATCH_RELEASE "core:release"

/* What the core keeps about one domain between snapshots. */
typedef struct {
    uint32_t domid;
    bool seen;                  /* present in the latest snapshot */
    bool set_up;                /* watch and request area done */
    bool watched;               /* report watch registered */
    bool report_dirty;          /* report changed, on_report not yet run */
    bool report_queued;         /* in the daemon's queue of dirty domains */
    bool report_held;           /* its bucket is empty: it waits */
    bool bucket_set;            /* report_credit_ms has been filled */
    uint64_t report_last_ms;    /* when on_report last ran (monotonic) */
    /* The guest's bucket of evaluations: up to XRES_REPORT_BURST, one
     * more every report_interval_ms; credit in ms of that interval. */
    uint64_t report_credit_ms, report_refill_ms;
    uint64_t report_iter;       /* the loop iteration of its last on_report */
    xres_agent_report agent_before; /* the report before the latest */
    uint64_t report_events;     /* watch events seen, for the log */
    uint64_t report_event_ns;   /* first event since the last read */
    xres_agent_report agent;    /* latest report, as agent_report.c read it */
    bool balloon_forced;        /* a subsystem set the balloon state */
    xres_balloon_state balloon;
    uint64_t mem_floor_kb;      /* a subsystem's floor for balancing */
} xres_domstate;

#define XRES_MAX_CONNS 16
#define XRES_SUBSYS_MAX 8          /* subsystems a daemon runs */

typedef struct {
    int fd;                     /* -1: slot free */
    uint64_t deadline_ms;
    bool writing;
    bool refused;               /* peer not allowed: its request is
                                 * answered with an error */
    char *buf;                  /* request, then reply */
    size_t len, cap, off;
} xres_conn;

typedef struct {
    const char *socket_path;    /* NULL: the configuration's socket */
    bool use_signals;           /* signalfd for TERM/INT/HUP; false in tests */
    const xres_clock *clock;    /* the daemon's clock; NULL: monotonic */
    const xres_subsys *const *subsystems;   /* NULL: the default three */
    /* How the cluster subsystem opens its process group (NULL:
     * Corosync's CPG); tests give the in-process model. */
    xres_group_open_fn group_open;
    void *group_arg;
    /* The helper that speaks to Pacemaker (NULL: $XRES_CRM, else
     * /usr/lib/xres/xres-crm); tests give a stand-in. */
    const char *crm_path;
} xres_daemon_opts;

struct xres_daemon {
    xres_backend *be;           /* not owned */
    xres_config cfg;            /* owned; replaced on reload */
    char *config_path;          /* file to reload on SIGHUP, or NULL */
    bool config_missing_ok;
    xres_daemon_opts opts;

    /* Latest snapshot, with agent reports, configured policies and balloon
     * states merged in.  Sorted by domid. */
    xres_host host;
    bool host_stale;            /* refresh before next use */

    size_t nr_dom, cap_dom;
    xres_domstate *dom;         /* sorted by domid */

    int listen_fd, sig_fd, stop_fd;
    char *socket_path;          /* where we listen (owned) */
    xres_conn conns[XRES_MAX_CONNS];

    /* Domains whose report changed, by domid, in the order they did: a
     * ring (reports are taken from its head). */
    uint32_t *dirtyq;
    size_t dq_head, dq_len, dq_cap;
    uint64_t loop_iter;         /* iterations of the loop so far */
    uint64_t refused_log_ms;    /* last log line of a refused peer */
    uint64_t nr_refused;        /* peers refused by SO_PEERCRED */

    uint64_t next_tick_ms;      /* monotonic */
    const xres_clock *clock;    /* opts.clock, or the monotonic clock */
    uint64_t mem_tol_kb;        /* balloon at its target: xres_mem_arrived */
    uint64_t host_max_age_ms;   /* 0, or refresh before a report older */
    bool quit;
    char act_err[256];          /* the actuator's last CREATE failure */
    uint64_t nr_actuated;       /* actions that changed a domain */
    /* Fault injection for tests: once nr_actuated reaches it, every
     * action is refused with -ECANCELED, as if xresd had died there
     * (0: never). */
    uint64_t die_after_actions;
    /* Set by the pool subsystem: balancing pauses during a handover, and
     * keeps what a pool's round freed out of what it hands out. */
    bool mem_paused;
    uint64_t mem_held_back_kb;

    /* The report-to-target path's figures (`xres stats`). */
    xres_path_stats pstats;

    /* Private state of each subsystem, one opaque slot each, in the
     * order of opts.subsystems (xres_daemon_priv). */
    void *priv[XRES_SUBSYS_MAX];
};

/* Opens everything: config already loaded into d->cfg by the caller
 * (xres_daemon_load_config), backend open.  Returns 0 or a negative errno
 * after logging why. */
int xres_daemon_init(xres_daemon *d, xres_backend *be,
                     const xres_daemon_opts *opts);
/* Closes the socket, unwatches, disposes subsystems.  Never changes a
 * domain. */
void xres_daemon_dispose(xres_daemon *d);

/* Load path into d->cfg (before init) or, later, reload it: a file that
 * fails to parse or that a subsystem rejects leaves the old one.  err
 * gets the reason. */
int xres_daemon_load_config(xres_daemon *d, const char *path,
                            bool missing_ok, char *err, size_t errlen);
int xres_daemon_reload(xres_daemon *d);

/* Run the loop until SIGTERM/SIGINT or xres_daemon_stop.  Returns 0. */
int xres_daemon_run(xres_daemon *d);
/* One iteration: poll up to timeout_ms (-1: until the next timer), then
 * handle what is ready.  For tests. */
int xres_daemon_run_once(xres_daemon *d, int timeout_ms);
/* Ask the loop to end; safe from another thread or a signal handler. */
void xres_daemon_stop(xres_daemon *d);

/*
 * The snapshot, d->host, is the core's.  It is taken at start-up, before
 * every tick and every command, and before any other hook runs when it is
 * marked stale: the actuator marks it after each action, domains that come
 * and go mark it, and a subsystem may ask with xres_daemon_want_refresh.
 * Within one hook a subsystem sees one snapshot, unless it carried actions
 * out and calls xres_daemon_refresh_if_stale to see their effect.
 * Subsystems never call xres_daemon_refresh (tests/lint/tree.sh).
 */
/* Take a new snapshot into d->host and merge the core's state.  Returns 0
 * or a negative errno (the old snapshot is kept).  The core's, and tests'. */
int xres_daemon_refresh(xres_daemon *d);
/* Refresh only if marked stale. */
int xres_daemon_refresh_if_stale(xres_daemon *d);
/* Mark the snapshot stale: it is taken again before the next hook. */
void xres_daemon_want_refresh(xres_daemon *d);
/* Figures for on_report at most ms old (0: no bound); a subsystem that
 * needs fresh memory figures on each report asks for it once. */
void xres_daemon_set_snapshot_age(xres_daemon *d, uint64_t ms);
/* Run tick now (refresh + each subsystem's tick). */
void xres_daemon_tick(xres_daemon *d);

/* A subsystem's private state: the slot of s, one of the daemon's
 * subsystems (NULL before set_priv).  set_priv returns 0, or -ENOENT if s
 * is not one of them. */
void *xres_daemon_priv(const xres_daemon *d, const xres_subsys *s);
int xres_daemon_set_priv(xres_daemon *d, const xres_subsys *s, void *priv);

/* A subsystem's balancing decision took ns (for `xres stats`). */
void xres_daemon_note_policy(xres_daemon *d, uint64_t ns);

/* The time on the daemon's one clock (opts.clock), in ms. */
uint64_t xres_daemon_now_ms(const xres_daemon *d);

/* The core's state for domid; NULL if the domain is unknown. */
xres_domstate *xres_daemon_domstate(xres_daemon *d, uint32_t domid);
/* A subsystem decides the balloon state (e.g. not-responding); it sticks
 * until xres_daemon_clear_balloon_state. */
void xres_daemon_set_balloon_state(xres_daemon *d, uint32_t domid,
                                   xres_balloon_state s);
void xres_daemon_clear_balloon_state(xres_daemon *d, uint32_t domid);
/* A subsystem sets the floor memory balancing honours for domid
 * (xres_domain.mem_floor_kb; 0 clears it).  It sticks, in this snapshot
 * and the next ones, until set again or the domain is gone. */
void xres_daemon_set_mem_floor(xres_daemon *d, uint32_t domid,
                               uint64_t kb);
/* A subsystem waiting for something that is not an event (a balloon on
 * its way, a timeout) asks for the next tick no later than at_ms
 * (the daemon's clock, xres_daemon_now_ms).  The tick still runs every
 * subsystem's tick hook; each takes an early tick as an ordinary one. */
void xres_daemon_wake_at(xres_daemon *d, uint64_t at_ms);
/* The tolerance within which a balloon counts as at its target (the
 * memory subsystem's mem_tolerance; the default until it says). */
void xres_daemon_set_mem_tolerance(xres_daemon *d, uint64_t kb);

/* XenStore nodes by schema row (arg fills the placeholder other than
 * <domid>).  Numbers are parsed with the row's bounds; a failed write is
 * logged with its path.  xres_xs_path fills buf (XRES_SCHEMA_PATH_MAX
 * bytes) and logs a row that cannot be addressed. */
int xres_xs_path(char *buf, xres_schema_id id, uint32_t domid,
                 const char *arg);
int xres_xs_get(xres_daemon *d, xres_schema_id id, uint32_t domid,
                const char *arg, char **val, size_t *len);
int xres_xs_get_u64(xres_daemon *d, xres_schema_id id, uint32_t domid,
                    const char *arg, uint64_t *out);
int xres_xs_put(xres_daemon *d, xres_schema_id id, uint32_t domid,
                const char *arg, const char *val);
int xres_xs_put_u64(xres_daemon *d, xres_schema_id id, uint32_t domid,
                    const char *arg, uint64_t v);
void xres_xs_del(xres_daemon *d, xres_schema_id id, uint32_t domid,
                 const char *arg);

/* Actions are carried out by xres_actuate (actuator.h). */

/* Find a domain of the current snapshot by name or by decimal domid. */
xres_domain *xres_daemon_find_domain(xres_daemon *d, const char *name_or_id);

/* The `list` reply, as the IPC command builds it (for tests). */
void xres_daemon_list_json(xres_daemon *d, yajl_gen g);

/* Answers one request of len bytes as a client's connection would get
 * it, without a socket (for tests and the fuzzer): 0 and the reply, a
 * line of JSON, in *reply (malloc'd, the caller frees it); -E2BIG for a
 * request over XRES_IPC_REQ_MAX bytes, -ENOMEM. */
int xres_daemon_answer(xres_daemon *d, const char *req, size_t len,
                       char **reply, size_t *replylen);

/* Agent reports are read by dom0/daemon/agent_report.c (agent_report.h), from
 * process_reports() in daemon.c: the one place where they plug in. */

#endif
