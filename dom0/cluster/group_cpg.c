/*
 * dom0/cluster/group_cpg.c: the group of cluster_group.h on Corosync 3's
 * closed process groups (libcpg).  cpg_model_initialize with the V1
 * model, cpg_join on group "xres", cpg_mcast_joined with CPG_TYPE_AGREED
 * (every member delivers the messages in one total order), cpg_fd_get
 * for xresd's poll loop and cpg_dispatch(CS_DISPATCH_ALL) when it is
 * readable, cpg_local_get for this node's id.
 *
 * A process of the group is a (nodeid, pid); xresd runs once per node, so
 * members are named by node id here.  A member that leaves with
 * CPG_REASON_LEAVE has left; NODEDOWN (the host or its corosync died) and
 * PROCDOWN (xresd died) count as lost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <corosync/cpg.h>

#include "cluster_group.h"

typedef struct {
    xres_group g;
    cpg_handle_t h;
    bool open;
    uint64_t ring_seq;          /* the latest totem ring, for the record */
} cpg_group;

static int cs_errno(cs_error_t e)
{
    switch (e) {
    case CS_OK: return 0;
    case CS_ERR_TRY_AGAIN: return -EAGAIN;
    case CS_ERR_LIBRARY: return -ECONNREFUSED;
    case CS_ERR_BAD_HANDLE:
    case CS_ERR_NOT_EXIST: return -ENOTCONN;
    case CS_ERR_TOO_BIG: return -EMSGSIZE;
    case CS_ERR_NO_MEMORY: return -ENOMEM;
    case CS_ERR_ACCESS: return -EACCES;
    default: return -EIO;
    }
}

static cpg_group *CG(cpg_handle_t h)
{
    void *ctx = NULL;

    cpg_context_get(h, &ctx);
    return ctx;
}

static void on_deliver(cpg_handle_t h, const struct cpg_name *name,
                       uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
    cpg_group *c = CG(h);

    (void)name;
    (void)pid;
    if (c) c->g.cbs.deliver(c->g.ctx, nodeid, msg, len);
}

static bool has(const uint32_t *v, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id) return true;
    return false;
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *name,
                       const struct cpg_address *mem, size_t nmem,
                       const struct cpg_address *left, size_t nleft,
                       const struct cpg_address *joined, size_t njoined)
{
    cpg_group *c = CG(h);
    xres_confchg cc;

    (void)name;
    if (!c) return;
    memset(&cc, 0, sizeof(cc));
    for (size_t i = 0; i < nmem && cc.nmembers < XRES_CLUSTER_NODES_MAX; i++)
        if (!has(cc.members, cc.nmembers, mem[i].nodeid))
            cc.members[cc.nmembers++] = mem[i].nodeid;
    for (size_t i = 0; i < njoined && cc.njoined < XRES_CLUSTER_NODES_MAX; i++)
        if (!has(cc.joined, cc.njoined, joined[i].nodeid))
            cc.joined[cc.njoined++] = joined[i].nodeid;
    for (size_t i = 0; i < nleft && cc.nleft < XRES_CLUSTER_NODES_MAX; i++) {
        /* A node with another process still in the group has not gone. */
        if (has(cc.members, cc.nmembers, left[i].nodeid) ||
            has(cc.left, cc.nleft, left[i].nodeid))
            continue;
        cc.left_lost[cc.nleft] = left[i].reason != CPG_REASON_LEAVE;
        cc.left[cc.nleft++] = left[i].nodeid;
    }
    c->g.cbs.confchg(c->g.ctx, &cc);
}

/* The ring changed: CPG follows with the group's own change, which is the
 * one the view uses; the ring is kept for the record only. */
static void on_totem(cpg_handle_t h, struct cpg_ring_id ring, uint32_t n,
                     const uint32_t *members)
{
    cpg_group *c = CG(h);

    (void)n;
    (void)members;
    if (c) c->ring_seq = ring.seq;
}

static void c_leave(xres_group *g)
{
    cpg_group *c = g->priv;
    struct cpg_name name;

    if (!c->open) return;
    name.length = strlen(XRES_CLUSTER_GROUP_NAME);
    memcpy(name.value, XRES_CLUSTER_GROUP_NAME, name.length);
    cpg_leave(c->h, &name);
    cpg_finalize(c->h);
    c->open = false;
}

static int c_join(xres_group *g)
{
    cpg_group *c = g->priv;
    cpg_model_v1_data_t md;
    struct cpg_name name;
    cs_error_t e;
    int rc;

    if (c->open) return -EBUSY;
    memset(&md, 0, sizeof(md));
    md.model = CPG_MODEL_V1;
    md.cpg_deliver_fn = on_deliver;
    md.cpg_confchg_fn = on_confchg;
    md.cpg_totem_confchg_fn = on_totem;
    e = cpg_model_initialize(&c->h, CPG_MODEL_V1, (cpg_model_data_t *)&md, c);
    if (e != CS_OK) return e == CS_ERR_LIBRARY ? -ECONNREFUSED : cs_errno(e);
    c->open = true;
    name.length = strlen(XRES_CLUSTER_GROUP_NAME);
    memcpy(name.value, XRES_CLUSTER_GROUP_NAME, name.length);
    e = cpg_join(c->h, &name);
    if (e != CS_OK) {
        rc = cs_errno(e);
        cpg_finalize(c->h);
        c->open = false;
        return rc;
    }
    return 0;
}

static int c_fd(xres_group *g)
{
    cpg_group *c = g->priv;
    int fd = -1;

    if (!c->open || cpg_fd_get(c->h, &fd) != CS_OK) return -1;
    return fd;
}

static int c_dispatch(xres_group *g)
{
    cpg_group *c = g->priv;
    cs_error_t e;

    if (!c->open) return -ENOTCONN;
    e = cpg_dispatch(c->h, CS_DISPATCH_ALL);
    if (e == CS_OK || e == CS_ERR_TRY_AGAIN) return 0;
    return -ENOTCONN;
}

static int c_mcast(xres_group *g, const void *msg, size_t len)
{
    cpg_group *c = g->priv;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };

    if (!c->open) return -ENOTCONN;
    return cs_errno(cpg_mcast_joined(c->h, CPG_TYPE_AGREED, &iov, 1));
}

static int c_local_nodeid(xres_group *g, uint32_t *nodeid)
{
    cpg_group *c = g->priv;
    unsigned int id = 0;
    int rc;

    if (!c->open) return -ENOTCONN;
    if ((rc = cs_errno(cpg_local_get(c->h, &id)))) return rc;
    *nodeid = id;
    return 0;
}

static void c_dispose(xres_group *g)
{
    c_leave(g);
    free(g->priv);
}

static const xres_group_ops cpg_ops = {
    .name = "cpg",
    .join = c_join,
    .fd = c_fd,
    .dispatch = c_dispatch,
    .mcast = c_mcast,
    .local_nodeid = c_local_nodeid,
    .leave = c_leave,
    .dispose = c_dispose,
};

int xres_group_cpg_open(void *arg, const xres_group_cbs *cbs, void *ctx,
                        xres_group **out)
{
    cpg_group *c = calloc(1, sizeof(*c));

    (void)arg;
    if (!c) return -ENOMEM;
    c->g.ops = &cpg_ops;
    c->g.cbs = *cbs;
    c->g.ctx = ctx;
    c->g.priv = c;
    *out = &c->g;
    return 0;
}
