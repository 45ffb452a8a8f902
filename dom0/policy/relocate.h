/*
 * dom0/policy/relocate.h: what to do about a host in conflict
 * (conflict.h; docs/xres-cluster.md, "Conflicts"), pure: which domain
 * moves, to which host, and the steps of the destination's lock, as a
 * state machine.  The state, the cluster's figures and locks, the
 * conflict verdicts and the time in; the new state and what to send or
 * do out.  No I/O, no clock.
 *
 * The domain: the busiest on the source (its use of the resources in
 * conflict), or the highest relocate_priority, or the highest weighted
 * score.  A domain that is not said to be movable (pinned, one of a pair,
 * not a Pacemaker resource that may migrate, or unknown) or that moved
 * less than hold_down_ms ago is never chosen; each such domain is listed
 * with its reason.  The destination: the most free capacity (100% - use,
 * on the scarcest resource checked) times the host's coefficient, among
 * hosts whose free capacity exceeds the domain's use on them on every
 * resource checked and whose free memory holds the domain's; with
 * power_saving, hosts that run guests come before empty ones.  None: no
 * move, one warning.
 *
 * No destination because one is settling: no move and no warning yet.
 * Moves are one at a time per deciding host.  The decider takes the lock
 * "dest:HOST" before it moves: the group orders requests, so of two
 * sources wanting one destination exactly one holds it; the other
 * withdraws.  Decentralised retries at once without the destinations it
 * failed to lock; host and central modes decide again on the next
 * interval.  In central mode the lock keeps a new decider (a lower node
 * that joins) from moving to a destination while the old one's move is
 * under way.
 * A destination that another host locked, and the source and destination
 * of a move, are left alone until each has sent two new figures (their
 * figures then show the move).
 */
#ifndef XRES_RELOCATE_H
#define XRES_RELOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conflict.h"

#define XRES_RELOCATE_PRIOS_MAX 128
#define XRES_RELOCATE_HOLD_DOWN_DEFAULT_MS (600 * 1000ULL)
#define XRES_RELOCATE_LOCK_TIMEOUT_DEFAULT_MS (30 * 1000ULL)
#define XRES_RELOCATE_LOCK_PREFIX "dest:"    /* and the host's first 58 */

typedef enum {
    XRES_CHOOSE_BUSIEST = 0,
    XRES_CHOOSE_PRIORITY,
    XRES_CHOOSE_WEIGHTED,
} xres_relocate_choose;

typedef struct {
    char name[XRES_CLUSTER_NAME_MAX];   /* a domain, or a host */
    unsigned value;                     /* priority, or coefficient in 1/1000 */
} xres_relocate_named;

typedef struct {
    bool on;                            /* relocate = on */
    xres_relocate_choose choose;
    /* weighted: w_cpu * cpu + w_mem * mem (cp) + w_prio * priority * 100 */
    unsigned w_cpu, w_mem, w_prio;
    bool power_saving;
    uint64_t hold_down_ms;
    uint64_t lock_timeout_ms;
    size_t nprio;
    xres_relocate_named prio[XRES_RELOCATE_PRIOS_MAX];      /* 0 unless set */
    size_t ncoef;
    xres_relocate_named coef[XRES_CONFLICT_HOSTS_MAX];      /* 1000 unless */
} xres_relocate_params;

void xres_relocate_params_default(xres_relocate_params *p);

typedef enum {
    XRES_RELOC_IDLE = 0,
    XRES_RELOC_LOCKING,                 /* our request sent, not held yet */
    XRES_RELOC_MOVING,                  /* the move is the daemon's now */
} xres_relocate_phase;

typedef struct {
    uint32_t node;
    uint64_t seq;                       /* its figures' seq then */
} xres_relocate_settle;

typedef struct {
    uint32_t node;                      /* 0: a free slot */
    char text[200];
} xres_relocate_warned;

typedef struct {
    xres_relocate_phase phase;
    char dom[XRES_CLUSTER_NAME_MAX];
    uint32_t src, dst;
    char dst_host[XRES_CLUSTER_NAME_MAX];
    char lock[XRES_CLUSTER_NAME_MAX];   /* "" in central mode */
    uint64_t since_ms;                  /* the phase began */
    size_t nexcl;                       /* destinations that failed now */
    uint32_t excl[XRES_CONFLICT_HOSTS_MAX];
    size_t nsettle;
    xres_relocate_settle settle[XRES_CONFLICT_HOSTS_MAX];
    char why[288];                      /* the decision, for the log */
    /* The last warning about each source, said once until it changes. */
    xres_relocate_warned warned[XRES_CONFLICT_HOSTS_MAX];
} xres_relocate_state;

typedef struct {
    char dom[XRES_CLUSTER_NAME_MAX];
    char why[96];
} xres_relocate_skip;

/* What the caller must do, in this order. */
typedef struct {
    size_t nrelease;                    /* multicast lock releases */
    char release[2][XRES_CLUSTER_NAME_MAX];
    bool request;                       /* multicast a lock request */
    char request_lock[XRES_CLUSTER_NAME_MAX];
    bool move;                          /* move dom from src to host */
    char dom[XRES_CLUSTER_NAME_MAX];
    char host[XRES_CLUSTER_NAME_MAX];
    uint32_t src, dst;
    char why[288];                      /* the move's reason, for the log */
    char warn[200];                     /* one line: nothing moves */
    size_t nskip;                       /* domains not chosen, and why */
    xres_relocate_skip skip[XRES_CLUSTER_DOMS_MAX];
} xres_relocate_out;

void xres_relocate_state_init(xres_relocate_state *st);

/* One interval, after xres_conflict_step gave res for the same obs. */
void xres_relocate_step(xres_relocate_state *st, xres_conflict_state *cst,
                        const xres_conflict_params *cp,
                        const xres_relocate_params *rp,
                        const xres_conflict_obs *obs,
                        const xres_conflict_result *res, uint64_t now_ms,
                        xres_relocate_out *out);
/* The move that out->move asked for ended: rc 0 (done) or a negative
 * errno.  Either way the domain is held down, the lock released, and the
 * source and destination settle. */
void xres_relocate_done(xres_relocate_state *st, xres_conflict_state *cst,
                        const xres_conflict_obs *obs, int rc,
                        uint64_t now_ms, xres_relocate_out *out);

/* The pieces, for the step and its tests. */
unsigned xres_relocate_priority(const xres_relocate_params *p,
                                const char *dom);
unsigned xres_relocate_coef(const xres_relocate_params *p, const char *host);
/* The domain of src to move, or NULL (out->skip says why not each). */
const xres_cluster_dom *xres_relocate_pick_dom(
    const xres_conflict_state *cst, const xres_conflict_params *cp,
    const xres_relocate_params *rp, const xres_cluster_figures *src,
    const xres_conflict_host *verdict, uint64_t now_ms,
    xres_relocate_out *out);
/* Whether host f can take d: 0, or why not in why. */
int xres_relocate_fits(const xres_conflict_params *cp,
                       const xres_cluster_figures *f,
                       const xres_cluster_dom *d, char *why, size_t len);
/* The destination for d from src, or NULL with the reasons in why;
 * *settling (if not NULL) tells whether a host was passed over only
 * because a move to or from it is settling (then decide again later). */
const xres_cluster_figures *xres_relocate_pick_host(
    const xres_relocate_state *st, const xres_conflict_params *cp,
    const xres_relocate_params *rp, const xres_conflict_obs *obs,
    const xres_conflict_result *res, const xres_cluster_figures *src,
    const xres_cluster_dom *d, bool *settling, char *why, size_t len);

const char *xres_relocate_choose_name(xres_relocate_choose c);

#endif
