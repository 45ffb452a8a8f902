/*
 * dom0/cluster/cluster_view.h: what this host knows of its cluster, as a
 * pure state machine (docs/xres-cluster.md, "The view"): configuration
 * changes, delivered messages and ticks go in; the new state, and what
 * this host must send, come out.  No I/O and no clock: time is the tick
 * count, and the time of a figure is the tick it was delivered in (and
 * the caller's ms, for display only).
 *
 * Members: every node the group has named, with its state (member, left,
 * lost) and its latest figures.  Figures older than stale_ticks ticks are
 * stale: the host may be overloaded, or its xresd stuck.  A host that
 * joins is sent everyone's figures at once: on a change with a join, the
 * view asks its owner to multicast.
 *
 * Locks: named; request, grant and release messages, applied in delivery
 * order, so every member computes the same holder: the first request
 * delivered holds the lock, later ones wait in delivery order; release
 * or the holder leaving or being lost hands it to the next waiter.  The
 * new holder multicasts a grant, which every member records (granted).
 */
#ifndef XRES_CLUSTER_VIEW_H
#define XRES_CLUSTER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster_group.h"
#include "cluster_msg.h"

#define XRES_CLUSTER_STALE_TICKS_DEFAULT 3
#define XRES_CLUSTER_LOCKS_MAX 16

typedef enum {
    XRES_MEMBER_MEMBER = 0,
    XRES_MEMBER_LEFT,
    XRES_MEMBER_LOST,
} xres_member_state;

const char *xres_member_state_name(xres_member_state s);

typedef struct {
    uint32_t nodeid;
    xres_member_state state;
    bool have_fig;
    uint64_t fig_tick;          /* the view's tick its figures came in */
    uint64_t fig_ms;            /* the caller's time then */
    xres_cluster_figures *fig;  /* owned; NULL until the first */
} xres_cluster_member;

typedef struct {
    char name[XRES_CLUSTER_NAME_MAX];
    uint32_t holder;            /* 0: free */
    bool granted;               /* the holder's grant was delivered */
    size_t nwait;
    uint32_t wait[XRES_CLUSTER_NODES_MAX];      /* in delivery order */
} xres_cluster_lock;

typedef struct {
    uint32_t self;              /* our node id; 0: not joined */
    bool joined;                /* a configuration change named us */
    bool lost;                  /* our connection to the group failed */
    uint64_t tick;
    unsigned stale_ticks;
    size_t n;
    xres_cluster_member m[XRES_CLUSTER_NODES_MAX];
    size_t nlocks;
    xres_cluster_lock locks[XRES_CLUSTER_LOCKS_MAX];
} xres_cluster_view;

/* What the owner must do after a step. */
typedef struct {
    bool send_figures;          /* multicast ours now (a host joined) */
    bool send_grant;            /* we now hold grant_lock: multicast grant */
    char grant_lock[XRES_CLUSTER_NAME_MAX];
    char reject[160];           /* a message rejected: the log line */
} xres_cview_out;

void xres_cview_init(xres_cluster_view *v, uint32_t self,
                     unsigned stale_ticks);
void xres_cview_dispose(xres_cluster_view *v);

/* A configuration change. */
void xres_cview_confchg(xres_cluster_view *v, const xres_confchg *c,
                        xres_cview_out *out);
/* A message of len bytes from node `from`, delivered at now_ms: parsed
 * and checked here (a rejected one leaves the view as it was and says
 * why in out->reject). */
void xres_cview_deliver(xres_cluster_view *v, uint32_t from,
                        const void *msg, size_t len, uint64_t now_ms,
                        xres_cview_out *out);
/* One tick went by. */
void xres_cview_tick(xres_cluster_view *v);
/* Our connection failed: every other member is unknown from here on
 * (lost), and every lock we hold or wait for is dropped.  A later join
 * starts a new view (xres_cview_init). */
void xres_cview_lost(xres_cluster_view *v);

const xres_cluster_member *xres_cview_find(const xres_cluster_view *v,
                                           uint32_t nodeid);
const xres_cluster_member *xres_cview_find_host(const xres_cluster_view *v,
                                                const char *host);
/* Inline, so that pure readers of a view (dom0/policy/) link nothing of
 * the cluster layer. */
static inline bool xres_cview_stale(const xres_cluster_view *v,
                                    const xres_cluster_member *m)
{
    return !m->have_fig || v->tick - m->fig_tick > v->stale_ticks;
}
/* The lock's holder, or 0 when it is free or unknown. */
uint32_t xres_cview_lock_holder(const xres_cluster_view *v,
                                const char *lock);
const xres_cluster_lock *xres_cview_lock(const xres_cluster_view *v,
                                         const char *lock);

#endif
