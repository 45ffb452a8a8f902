/*
 * dom0/daemon/subsys.h: the interface between the xresd core (daemon.c) and its
 * feature subsystems (memory, CPU, pairs).
 *
 * Each feature area is one `xres_subsys` defined in dom0/daemon/daemon_<area>.c.
 * The core owns the event loop, the backend, the host snapshot, the
 * configuration and the IPC socket; it calls the hooks below.  Every hook
 * may be NULL.  Hooks run on the daemon's single thread and must never
 * block: no sleeping, no waiting for a guest.  Anything that takes time is
 * a state machine advanced from tick / on_report / on_event / on_fd.
 *
 * Subsystem-private state lives in an opaque slot of the daemon
 * (xres_daemon_priv, xres_daemon_set_priv in daemon.h), which init fills
 * and dispose frees.  The core knows no subsystem by name.
 */
#ifndef XRES_SUBSYS_H
#define XRES_SUBSYS_H

#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "backend.h"
#include "model.h"

typedef struct xres_daemon xres_daemon;
typedef struct xres_config xres_config;

typedef struct xres_subsys {
    /* Short name: "mem", "cpu", "pair".  Used in log messages. */
    const char *name;

    /* Called once at start-up, after the configuration is loaded, the
     * backend is open and the first snapshot is in d->host (agent reports
     * not yet read).  Return 0, or a negative errno value to make xresd
     * refuse to start (log why first). */
    int (*init)(xres_daemon *d);

    /* Called once at shutdown (also after a failed start-up in which init
     * succeeded).  Frees the subsystem's slot.  Must not change any domain:
     * a daemon that stops leaves every domain's memory and scheduler
     * parameters where they are. */
    void (*dispose)(xres_daemon *d);

    /* Validate the keys this subsystem owns in cfg (global keys and
     * per-domain keys).  Called at start-up before init and on SIGHUP
     * before a new file replaces the old one.  Return 0 to accept, or a
     * negative errno value after logging "FILE: key: reason"; one
     * rejection keeps the old configuration (or refuses start-up). */
    int (*check_config)(xres_daemon *d, const xres_config *cfg);

    /* Called after a reloaded configuration has replaced d->cfg. */
    void (*reload)(xres_daemon *d);

    /* The periodic timer (tick_ms, default 10 s).  d->host has just been
     * refreshed. */
    void (*tick)(xres_daemon *d);

    /* A domain's agent report changed.  It runs in the loop iteration
     * the report came in, at most once per domain per iteration, while
     * the guest's bucket holds an evaluation (XRES_REPORT_BURST of them,
     * one more every report_interval_ms), however fast a guest writes.
     * The validated report is in xres_host_find(&d->host, domid)->agent
     * (agent.valid may be false: the guest stopped reporting or wrote
     * garbage); the one before it in xres_daemon_domstate(d,
     * domid)->agent_before. */
    void (*on_report)(xres_daemon *d, uint32_t domid);

    /* After the on_report calls of one pass over the reports that came
     * in (at most REPORTS_PER_LOOP of them): a decision that several
     * reports may call for is taken here, once for all of them. */
    void (*reports_done)(xres_daemon *d);

    /* Domain shutdown / death (ev->kind XRES_EV_DOMAIN_SHUTDOWN or
     * XRES_EV_DOMAIN_DEATH), and XenStore watch events whose token starts
     * with this subsystem's name followed by ':' (watches the subsystem
     * set itself through d->be).  d->host is refreshed before death and
     * shutdown events are delivered. */
    void (*on_event)(xres_daemon *d, const xres_event *ev);

    /* An IPC request.  cmd is req's "cmd" string.  If cmd is not one of
     * this subsystem's commands return -ENOSYS and write nothing.
     * Otherwise write exactly one complete JSON object to out, either
     * {"ok":true,...} (xres_ipc_reply_ok_begin + fields + map close) or
     * {"ok":false,"error":"..."} (xres_ipc_reply_error), and return 0.
     * Any other negative errno: the core discards what was written and
     * replies {"ok":false,"error":"<cmd>: <strerror>"}. */
    int (*command)(xres_daemon *d, const char *cmd, yajl_val req,
                   yajl_gen out);

    /* Add this subsystem's keys to one domain's object in the `list`
     * reply.  out is inside the domain's map: write key/value pairs
     * only. */
    void (*fill_domain_json)(xres_daemon *d, const xres_domain *dom,
                             yajl_gen out);

    /* File descriptors of the subsystem's own that the loop polls for
     * input (a connection to another service, e.g. Corosync's): write
     * at most max into fds and return how many.  Asked again on every
     * loop iteration, so the set may change.  At most
     * XRES_SUBSYS_FDS_MAX over all subsystems. */
    unsigned (*poll_fds)(xres_daemon *d, int *fds, unsigned max);

    /* fd, one of those poll_fds gave, is readable (or has an error or
     * hang-up).  Must read without blocking. */
    void (*on_fd)(xres_daemon *d, int fd);
} xres_subsys;

#define XRES_SUBSYS_FDS_MAX 8

/* The registrations, one per dom0/daemon/daemon_<area>.c. */
extern const xres_subsys xres_subsys_mem;
extern const xres_subsys xres_subsys_cpu;
extern const xres_subsys xres_subsys_pair;
extern const xres_subsys xres_subsys_pool;      /* daemon_pool.c */
extern const xres_subsys xres_subsys_metrics;   /* daemon_metrics.c */
extern const xres_subsys xres_subsys_cluster;   /* daemon_cluster.c */
extern const xres_subsys xres_subsys_move;      /* daemon_move.c */
extern const xres_subsys xres_subsys_conflict;  /* daemon_conflict.c */

/* NULL-terminated list of the above, in the order hooks are called. */
extern const xres_subsys *const xres_default_subsystems[];

#endif
