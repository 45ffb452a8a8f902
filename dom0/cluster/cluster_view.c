/*
 * dom0/cluster/cluster_view.c: the pure cluster view (cluster_view.h):
 * membership, each member's latest figures, staleness and the locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_view.h"

static const char *const state_names[] = { "member", "left", "lost" };

const char *xres_member_state_name(xres_member_state s)
{
    return s <= XRES_MEMBER_LOST ? state_names[s] : "?";
}

void xres_cview_init(xres_cluster_view *v, uint32_t self,
                     unsigned stale_ticks)
{
    memset(v, 0, sizeof(*v));
    v->self = self;
    v->stale_ticks = stale_ticks ? stale_ticks
                                 : XRES_CLUSTER_STALE_TICKS_DEFAULT;
}

void xres_cview_dispose(xres_cluster_view *v)
{
    for (size_t i = 0; i < v->n; i++) free(v->m[i].fig);
    memset(v, 0, sizeof(*v));
}

static xres_cluster_member *find(xres_cluster_view *v, uint32_t id)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->m[i].nodeid == id) return &v->m[i];
    return NULL;
}

const xres_cluster_member *xres_cview_find(const xres_cluster_view *v,
                                           uint32_t nodeid)
{
    return find((xres_cluster_view *)v, nodeid);
}

const xres_cluster_member *xres_cview_find_host(const xres_cluster_view *v,
                                                const char *host)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->m[i].have_fig && !strcmp(v->m[i].fig->host, host))
            return &v->m[i];
    return NULL;
}

static xres_cluster_member *member(xres_cluster_view *v, uint32_t id)
{
    xres_cluster_member *m = find(v, id);

    if (m || v->n == XRES_CLUSTER_NODES_MAX) return m;
    m = &v->m[v->n++];
    memset(m, 0, sizeof(*m));
    m->nodeid = id;
    return m;
}

/*----- locks -----*/

static xres_cluster_lock *lock_find(xres_cluster_view *v, const char *name)
{
    for (size_t i = 0; i < v->nlocks; i++)
        if (!strcmp(v->locks[i].name, name)) return &v->locks[i];
    return NULL;
}

const xres_cluster_lock *xres_cview_lock(const xres_cluster_view *v,
                                         const char *lock)
{
    return lock_find((xres_cluster_view *)v, lock);
}

uint32_t xres_cview_lock_holder(const xres_cluster_view *v, const char *lock)
{
    const xres_cluster_lock *l = xres_cview_lock(v, lock);

    return l ? l->holder : 0;
}

/* The holder goes: the next waiter holds the lock, or it is free. */
static void lock_pass(xres_cluster_view *v, xres_cluster_lock *l,
                      xres_cview_out *out)
{
    l->granted = false;
    if (!l->nwait) {
        *l = v->locks[--v->nlocks];
        return;
    }
    l->holder = l->wait[0];
    memmove(l->wait, l->wait + 1, --l->nwait * sizeof(l->wait[0]));
    if (l->holder == v->self && out) {
        out->send_grant = true;
        snprintf(out->grant_lock, sizeof(out->grant_lock), "%s", l->name);
    }
}

static bool unwait(xres_cluster_lock *l, uint32_t node)
{
    for (size_t i = 0; i < l->nwait; i++)
        if (l->wait[i] == node) {
            memmove(l->wait + i, l->wait + i + 1,
                    (l->nwait - i - 1) * sizeof(l->wait[0]));
            l->nwait--;
            return true;
        }
    return false;
}

/* node is gone: out of every queue, and its locks passed on. */
static void locks_drop_node(xres_cluster_view *v, uint32_t node,
                            xres_cview_out *out)
{
    for (size_t i = v->nlocks; i-- > 0;) {
        xres_cluster_lock *l = &v->locks[i];
        unwait(l, node);
        if (l->holder == node) lock_pass(v, l, out);
    }
}

static void lock_msg(xres_cluster_view *v, uint32_t from,
                     const xres_cluster_msg *m, xres_cview_out *out)
{
    xres_cluster_lock *l = lock_find(v, m->lock);

    if (m->node != from) {
        snprintf(out->reject, sizeof(out->reject), "node %u: lock %s %s for "
                 "node %u: rejected", from, xres_lock_op_name(m->op),
                 m->lock, m->node);
        return;
    }
    switch (m->op) {
    case XRES_LOCK_REQUEST:
        if (!l) {
            if (v->nlocks == XRES_CLUSTER_LOCKS_MAX) {
                snprintf(out->reject, sizeof(out->reject), "node %u: lock "
                         "%s: too many locks", from, m->lock);
                return;
            }
            l = &v->locks[v->nlocks++];
            memset(l, 0, sizeof(*l));
            snprintf(l->name, sizeof(l->name), "%s", m->lock);
            l->holder = from;
            if (from == v->self) {
                out->send_grant = true;
                snprintf(out->grant_lock, sizeof(out->grant_lock), "%s",
                         l->name);
            }
            return;
        }
        if (l->holder == from) return;
        for (size_t i = 0; i < l->nwait; i++)
            if (l->wait[i] == from) return;
        if (l->nwait < XRES_CLUSTER_NODES_MAX) l->wait[l->nwait++] = from;
        return;
    case XRES_LOCK_GRANT:
        if (l && l->holder == from) l->granted = true;
        return;
    case XRES_LOCK_RELEASE:
        if (!l) return;
        if (l->holder == from) lock_pass(v, l, out);
        else unwait(l, from);
        return;
    }
}

/*----- membership and figures -----*/

void xres_cview_confchg(xres_cluster_view *v, const xres_confchg *c,
                        xres_cview_out *out)
{
    xres_cluster_member *m;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < c->nmembers; i++)
        if ((m = member(v, c->members[i]))) m->state = XRES_MEMBER_MEMBER;
    for (size_t i = 0; i < c->njoined; i++) {
        if (!(m = member(v, c->joined[i]))) continue;
        /* A new run of that host: its figures and sequence start anew. */
        m->state = XRES_MEMBER_MEMBER;
        m->have_fig = false;
        if (c->joined[i] == v->self) v->joined = true;
        out->send_figures = true;
    }
    for (size_t i = 0; i < c->nleft; i++) {
        if (c->left[i] == v->self) continue;
        if ((m = member(v, c->left[i])))
            m->state = c->left_lost[i] ? XRES_MEMBER_LOST : XRES_MEMBER_LEFT;
        locks_drop_node(v, c->left[i], out);
    }
}

static void figures_msg(xres_cluster_view *v, uint32_t from,
                        xres_cluster_msg *msg, uint64_t now_ms,
                        xres_cview_out *out)
{
    xres_cluster_figures *f = msg->fig;
    xres_cluster_member *m;
    const xres_cluster_member *same;

    if (f->nodeid != from) {
        snprintf(out->reject, sizeof(out->reject), "node %u: figures that "
                 "name node %u: rejected", from, f->nodeid);
        return;
    }
    same = xres_cview_find_host(v, f->host);
    if (same && same->nodeid != from &&
        same->state == XRES_MEMBER_MEMBER) {
        snprintf(out->reject, sizeof(out->reject), "node %u: host name %s "
                 "is node %u's: rejected", from, f->host, same->nodeid);
        return;
    }
    if (!(m = member(v, from))) {
        snprintf(out->reject, sizeof(out->reject), "node %u: more than %d "
                 "hosts: figures ignored", from, XRES_CLUSTER_NODES_MAX);
        return;
    }
    if (m->have_fig && f->seq <= m->fig->seq) {
        snprintf(out->reject, sizeof(out->reject), "node %u: figures %llu "
                 "after %llu: rejected", from, (unsigned long long)f->seq,
                 (unsigned long long)m->fig->seq);
        return;
    }
    free(m->fig);
    m->fig = f;
    msg->fig = NULL;
    m->have_fig = true;
    m->fig_tick = v->tick;
    m->fig_ms = now_ms;
}

void xres_cview_deliver(xres_cluster_view *v, uint32_t from,
                        const void *buf, size_t len, uint64_t now_ms,
                        xres_cview_out *out)
{
    xres_cluster_msg msg;
    char err[128];

    memset(out, 0, sizeof(*out));
    if (xres_cluster_msg_parse(buf, len, &msg, err, sizeof(err))) {
        snprintf(out->reject, sizeof(out->reject), "node %u: message "
                 "rejected: %s", from, err);
        return;
    }
    if (msg.type == XRES_CMSG_FIGURES) figures_msg(v, from, &msg, now_ms, out);
    else lock_msg(v, from, &msg, out);
    xres_cluster_msg_dispose(&msg);
}

void xres_cview_tick(xres_cluster_view *v)
{
    v->tick++;
}

void xres_cview_lost(xres_cluster_view *v)
{
    v->lost = true;
    v->joined = false;
    for (size_t i = 0; i < v->n; i++)
        if (v->m[i].nodeid != v->self) v->m[i].state = XRES_MEMBER_LOST;
    v->nlocks = 0;
}
