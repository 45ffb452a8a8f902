/*
 * dom0/policy/conflict.h: resource-conflict detection on the hosts of a
 * cluster (docs/xres-cluster.md, "Conflicts"), pure: the state, the
 * cluster's figures and the time in; the new state and each host's
 * verdict out.  No I/O and no clock.
 *
 * A host is in conflict on a resource (CPU or memory) when its total use
 * Up is at or over T_server and at least two of its domains each use at
 * least T_vm of the host.  A domain's CPU share of the host is its cpu_pct
 * (% of one CPU) over the host's CPUs; its memory share is mem_kb over the
 * host's memory.  T_vm is a static value, Up/N or Up/N - k, N the host's
 * domains (dom0 not counted).  With both resources checked, `any' is a
 * conflict on either, `all' needs every resource over T_server and two
 * domains at or over T_vm on every resource.  A conflict is sustained
 * when it held on `sustain' consecutive figures of that host (an
 * interval is one new figures message: a repeated seq does not count).
 *
 * Figures are in hundredths of a percent ("cp", 0..10000): 30% is 3000.
 *
 * The state also follows where each domain runs: a domain that shows up
 * on another host has moved, and the time is kept for the hold-down of
 * the relocation (relocate.h); the source's count starts again.
 */
#ifndef XRES_CONFLICT_H
#define XRES_CONFLICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster_msg.h"
#include "cluster_view.h"

#define XRES_CONFLICT_HOSTS_MAX XRES_CLUSTER_NODES_MAX
#define XRES_CONFLICT_TRACK_MAX 512     /* domains whose place is followed */
#define XRES_CONFLICT_BUSY_MAX XRES_CLUSTER_CONFLICTS_MAX
#define XRES_CONFLICT_MOVED_MAX 8       /* moves reported by one step */
#define XRES_CONFLICT_SUSTAIN_DEFAULT 3
#define XRES_CP_MAX 10000               /* 100% */

/* The resources, and their bits in xres_conflict_params.resources. */
typedef enum { XRES_RES_CPU = 0, XRES_RES_MEM = 1, XRES_RES_N = 2 } xres_res;
#define XRES_RES_BIT(r) (1u << (r))
#define XRES_RES_BOTH (XRES_RES_BIT(XRES_RES_CPU) | XRES_RES_BIT(XRES_RES_MEM))

typedef enum {
    XRES_CMODE_OFF = 0,         /* no detection */
    XRES_CMODE_HOST,            /* each xresd decides for its own host */
    XRES_CMODE_CENTRAL,         /* the lowest member node decides for all */
    XRES_CMODE_DECENTRAL,       /* each its own, retrying other destinations */
} xres_conflict_mode;

typedef enum { XRES_COMBINE_ANY = 0, XRES_COMBINE_ALL } xres_conflict_combine;

typedef enum {
    XRES_TVM_STATIC = 0,        /* tvm_value % */
    XRES_TVM_UP_N,              /* Up / N */
    XRES_TVM_UP_N_K,            /* Up / N - tvm_value % */
} xres_tvm_kind;

/* T_server of one host, where it differs from the default (0: default). */
typedef struct {
    char host[XRES_CLUSTER_NAME_MAX];
    unsigned t_server[XRES_RES_N];      /* % */
} xres_conflict_hostp;

typedef struct {
    xres_conflict_mode mode;
    unsigned t_server[XRES_RES_N];      /* %, 1..100 */
    xres_tvm_kind tvm;
    unsigned tvm_value;                 /* %: the static value, or k */
    unsigned resources;                 /* XRES_RES_BIT()s, not 0 */
    xres_conflict_combine combine;
    unsigned sustain;                   /* intervals, >= 1 */
    size_t nhosts;
    xres_conflict_hostp hosts[XRES_CONFLICT_HOSTS_MAX];
} xres_conflict_params;

void xres_conflict_params_default(xres_conflict_params *p);
/* The host's T_server on r, in %. */
unsigned xres_conflict_t_server(const xres_conflict_params *p,
                                const char *host, xres_res r);

/* What the policies see of the cluster: the fresh figures of its members
 * (ours among them), who decides in central mode, and the locks. */
typedef struct {
    char name[XRES_CLUSTER_NAME_MAX];
    uint32_t holder;                    /* 0: free */
} xres_conflict_lock;

typedef struct {
    uint32_t self;                      /* our node id */
    uint32_t decider;                   /* the lowest member node id */
    size_t n;
    const xres_cluster_figures *fig[XRES_CLUSTER_NODES_MAX];
    size_t nlocks;
    xres_conflict_lock locks[XRES_CLUSTER_LOCKS_MAX];
} xres_conflict_obs;

/* o from v: members that are in the group with figures that are not
 * stale; the decider among the members; every lock.  o points into v. */
void xres_conflict_obs_of_view(const xres_cluster_view *v,
                               xres_conflict_obs *o);
const xres_cluster_figures *xres_conflict_obs_fig(const xres_conflict_obs *o,
                                                  uint32_t node);
/* The lock's holder, 0 when it is free. */
uint32_t xres_conflict_obs_holder(const xres_conflict_obs *o,
                                  const char *lock);

/* Use, in cp: the host's total on r, and a domain's share of host f. */
unsigned xres_conflict_host_use(const xres_cluster_figures *f, xres_res r);
unsigned xres_conflict_dom_use(const xres_cluster_figures *f,
                               const xres_cluster_dom *d, xres_res r);
/* The host's domains, dom0 not counted (N). */
unsigned xres_conflict_guests(const xres_cluster_figures *f);

typedef struct {
    uint32_t node;
    char host[XRES_CLUSTER_NAME_MAX];
    uint64_t seq;                       /* of the last figures counted */
    unsigned run;                       /* consecutive ones in conflict */
} xres_conflict_hstate;

typedef struct {
    char dom[XRES_CLUSTER_NAME_MAX];
    uint32_t node;                      /* where it was seen last */
    uint64_t seen_ms;
    bool moved;
    uint64_t moved_ms;                  /* when it was seen to move */
} xres_conflict_track;

typedef struct {
    size_t nh;
    xres_conflict_hstate h[XRES_CONFLICT_HOSTS_MAX];
    size_t nt;
    xres_conflict_track t[XRES_CONFLICT_TRACK_MAX];
} xres_conflict_state;

/* One host's verdict. */
typedef struct {
    uint32_t node;
    char host[XRES_CLUSTER_NAME_MAX];
    bool counted;                       /* new figures: the run moved */
    unsigned guests;                    /* N */
    unsigned up[XRES_RES_N];            /* cp */
    unsigned t_server[XRES_RES_N];      /* cp */
    unsigned t_vm[XRES_RES_N];          /* cp */
    unsigned over;                      /* bits: Up >= T_server */
    unsigned in_conflict;               /* bits: over, and two busy */
    bool conflict;                      /* now, after any/all */
    unsigned run;
    bool sustained;                     /* run >= sustain */
    size_t nbusy;                       /* domains at or over T_vm */
    char busy[XRES_CONFLICT_BUSY_MAX][XRES_CLUSTER_NAME_MAX];
} xres_conflict_host;

typedef struct {
    char dom[XRES_CLUSTER_NAME_MAX];
    uint32_t from, to;
} xres_conflict_move;

typedef struct {
    size_t n;
    xres_conflict_host h[XRES_CONFLICT_HOSTS_MAX];     /* as in obs */
    size_t nmoved;
    xres_conflict_move moved[XRES_CONFLICT_MOVED_MAX]; /* seen this step */
} xres_conflict_result;

void xres_conflict_state_init(xres_conflict_state *st);
/* One collection interval: every host of obs judged, the runs and the
 * domains' places updated. */
void xres_conflict_step(xres_conflict_state *st,
                        const xres_conflict_params *p,
                        const xres_conflict_obs *obs, uint64_t now_ms,
                        xres_conflict_result *res);
const xres_conflict_host *xres_conflict_find(const xres_conflict_result *r,
                                             uint32_t node);

/* A move the relocation made (or saw fail): held down from now_ms, and
 * the source's run starts again. */
void xres_conflict_record_move(xres_conflict_state *st, const char *dom,
                               uint32_t from, uint32_t to, uint64_t now_ms);
/* A move kept from an earlier run: dom moved at moved_ms and was then on
 * node.  Figures showing it there are no new move; elsewhere, they are.
 * Nothing is done when dom is followed already. */
void xres_conflict_restore_move(xres_conflict_state *st, const char *dom,
                                uint32_t node, uint64_t moved_ms);
/* Whether dom moved less than hold_ms ago; *ago_ms then says when. */
bool xres_conflict_held_down(const xres_conflict_state *st, const char *dom,
                             uint64_t hold_ms, uint64_t now_ms,
                             uint64_t *ago_ms);

const char *xres_conflict_mode_name(xres_conflict_mode m);

#endif
