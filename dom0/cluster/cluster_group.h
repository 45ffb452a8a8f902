/*
 * dom0/cluster/cluster_group.h: the process group xresd joins to share its
 * host's figures with the other hosts of a cluster (docs/xres-cluster.md).
 *
 * One ops table, like the backend's, with two implementations: Corosync's
 * CPG (group_cpg.c, libcpg) and an in-process model for the unit tests
 * (group_model.c), in which several members live in one process.  Either
 * gives every member the same messages and configuration changes in one
 * total order (CPG_TYPE_AGREED).  A member is named by its node id: one
 * xresd runs on a node.
 *
 * Nothing here blocks: join fails at once when the group cannot be
 * reached, dispatch runs only when the fd is readable, and a multicast
 * the group cannot take now returns -EAGAIN (the caller drops it and
 * sends fresh figures on its next tick).
 */
#ifndef XRES_CLUSTER_GROUP_H
#define XRES_CLUSTER_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XRES_CLUSTER_NODES_MAX 32      /* members a view keeps */
#define XRES_CLUSTER_GROUP_NAME "xres"

/* One configuration change, as CPG reports it. */
typedef struct {
    size_t nmembers, njoined, nleft;
    uint32_t members[XRES_CLUSTER_NODES_MAX];   /* after the change */
    uint32_t joined[XRES_CLUSTER_NODES_MAX];
    uint32_t left[XRES_CLUSTER_NODES_MAX];
    bool left_lost[XRES_CLUSTER_NODES_MAX];     /* node down, not a leave */
} xres_confchg;

typedef struct {
    /* A message of len bytes from nodeid, in delivery order. */
    void (*deliver)(void *ctx, uint32_t nodeid, const void *msg, size_t len);
    void (*confchg)(void *ctx, const xres_confchg *c);
} xres_group_cbs;

typedef struct xres_group xres_group;

typedef struct {
    const char *name;                       /* "cpg", "model" */
    /* Connect and join the group: 0, or -ECONNREFUSED when the group
     * service is not running (any other negative errno: other failure). */
    int (*join)(xres_group *g);
    /* The fd to poll for input, or -1 before join. */
    int (*fd)(xres_group *g);
    /* Run the callbacks of everything pending: 0, or -ENOTCONN when the
     * connection is gone (the member must join again). */
    int (*dispatch)(xres_group *g);
    /* Send to every member, this one included: 0, -EAGAIN (try next
     * tick), -ENOTCONN, -EMSGSIZE. */
    int (*mcast)(xres_group *g, const void *msg, size_t len);
    /* This member's node id (after join). */
    int (*local_nodeid)(xres_group *g, uint32_t *nodeid);
    /* Leave the group and close the connection (join may follow). */
    void (*leave)(xres_group *g);
    /* Leave, and free g. */
    void (*dispose)(xres_group *g);
} xres_group_ops;

struct xres_group {
    const xres_group_ops *ops;
    xres_group_cbs cbs;
    void *ctx;                  /* the callbacks' first argument */
    void *priv;                 /* the implementation's */
};

/* How a user opens its group: *out is set, not joined yet. */
typedef int (*xres_group_open_fn)(void *arg, const xres_group_cbs *cbs,
                                  void *ctx, xres_group **out);

/* Corosync's CPG, group XRES_CLUSTER_GROUP_NAME (arg unused). */
int xres_group_cpg_open(void *arg, const xres_group_cbs *cbs, void *ctx,
                        xres_group **out);

#endif
