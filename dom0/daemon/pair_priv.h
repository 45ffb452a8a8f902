/*
 * dom0/daemon/pair_priv.h: what the files of the pair subsystem share
 * (daemon_pair.c the hooks and reactions, pair_drive.c the failover
 * drive, pair_guest.c the guests' side, pair_cmd.c the IPC commands).
 * Not for other subsystems.
 */
#ifndef XRES_PAIR_PRIV_H
#define XRES_PAIR_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "config_pair.h"
#include "daemon.h"
#include "ipc.h"
#include "metrics.h"
#include "policy_pair.h"

#define PAIRS_MAX XRES_PAIR_DECLS_MAX
#define LOOSE_MAX 64        /* requests outside failovers awaiting an ack */

/* The agent's report sequence number as last read, and when it last
 * changed: the heartbeat, when the core does not give one. */
typedef struct {
    uint32_t domid;
    uint64_t seq;
    uint64_t changed_ms;
} heartbeat;

typedef struct {
    size_t n;
    xres_pair *v[PAIRS_MAX];
    xres_pair_params par;       /* from xres.conf: reserve, defaults, decls */
    heartbeat hb[2 * PAIRS_MAX];
    size_t nloose;
    struct { uint32_t domid; uint64_t seq; } loose[LOOSE_MAX];
    xres_ratelimit rl_guest;    /* messages a guest can provoke */
    /* Apps asking for their extension that were answered (start or
     * refuse), until they stop asking. */
    size_t nanswered;
    struct { uint32_t domid; char app[XRES_PAIR_NAME_MAX]; } answered[LOOSE_MAX];
    /* What became of each pair declared in xres.conf. */
    enum { DECL_PENDING = 0, DECL_WAITING, DECL_DONE } decl_state[PAIRS_MAX];
    /* For the metrics: failovers that ended, by pair name. */
    xres_metrics_pair fo_count[PAIRS_MAX];
} pair_priv;

static inline pair_priv *PP(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_pair);
}

/* daemon_pair.c */
void pair_save(xres_daemon *d, const xres_pair *p);
xres_pair *pair_find(xres_daemon *d, const char *name);
xres_pair *pair_of_domain(xres_daemon *d, uint32_t domid);
bool pair_of_domain_const(xres_daemon *d, uint32_t domid);
bool pair_active_lost(xres_daemon *d, const xres_pair *p);
void pair_set_floors(xres_daemon *d, const xres_pair *p);
int pair_begin(xres_daemon *d, xres_pair *p, xres_fo_kind kind,
               const char *app, const char *why, char *err, size_t errlen);
void pair_handle(xres_daemon *d, xres_pair *p, const xres_pair_decision *dc);
void pair_look(xres_daemon *d, xres_pair *p);
int pair_add(xres_daemon *d, xres_pair *p);
/* A failover of p ended: count it for the metrics. */
void pair_count_failover(xres_daemon *d, const xres_pair *p,
                         xres_fo_kind kind);

/* pair_drive.c */
void pair_drive(xres_daemon *d, xres_pair *p);

/* pair_guest.c */
void pair_watch_acks(xres_daemon *d, uint32_t domid, bool on);
int pair_reserve_seqs(xres_daemon *d, xres_pair *p, uint64_t n);
void pair_read_obs(xres_daemon *d, const xres_pair *p, xres_pair_obs *obs);
void pair_hold_standby_apps(xres_daemon *d, xres_pair *p);
void pair_loose_add(xres_daemon *d, uint32_t domid, uint64_t seq);
void pair_sweep_requests(xres_daemon *d);
/* An app on the active asks for its extension before it starts: grant
 * (and, once engaged, "start APP") or "refuse APP", once per asking.
 * True when the table changed. */
bool pair_sync_ask(xres_daemon *d, xres_pair *p, const xres_pair_app_obs *o);
/* The app stopped asking: the next asking is answered afresh. */
void pair_ask_forget(xres_daemon *d, uint32_t domid, const char *app);

/* pair_cmd.c */
int pair_create(xres_daemon *d, const char *name, const xres_domain *a,
                const xres_domain *s, const xres_pair_app *av, size_t napps,
                const xres_pair_cfg *cfg, const char *by, char *why,
                size_t whylen);
int pair_command(xres_daemon *d, const char *cmd, yajl_val req, yajl_gen out);
void pair_fill(xres_daemon *d, const xres_domain *dom, yajl_gen out);

#endif
