/*
 * dom0/cluster/group_model.c: the in-process model of a CPG group
 * (group_model.h), for the unit tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "group_model.h"

typedef struct item {
    struct item *next;
    bool is_conf;
    uint32_t from;
    xres_confchg conf;
    size_t len;
    unsigned char data[];
} item;

typedef struct member {
    xres_group g;
    xres_group_bus *bus;
    uint32_t nodeid;
    bool joined, cut;
    int efd;
    item *head, **tail;
} member;

struct xres_group_bus {
    bool down;
    unsigned busy;
    unsigned long sent;
    member *m[XRES_CLUSTER_NODES_MAX];
    size_t n;
};

int xres_group_bus_new(xres_group_bus **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void xres_group_bus_free(xres_group_bus *bus)
{
    free(bus);
}

void xres_group_bus_set_down(xres_group_bus *bus, bool down)
{
    bus->down = down;
}

void xres_group_bus_busy(xres_group_bus *bus, unsigned n)
{
    bus->busy = n;
}

unsigned long xres_group_bus_sent(const xres_group_bus *bus)
{
    return bus->sent;
}

static void push(member *m, item *it)
{
    uint64_t one = 1;

    it->next = NULL;
    *m->tail = it;
    m->tail = &it->next;
    if (write(m->efd, &one, sizeof(one)) < 0) {}
}

static void drop_inbox(member *m)
{
    uint64_t v;

    while (m->head) {
        item *it = m->head;
        m->head = it->next;
        free(it);
    }
    m->tail = &m->head;
    if (read(m->efd, &v, sizeof(v)) < 0) {}
}

/* The same change, into every joined member's inbox. */
static void post_conf(xres_group_bus *bus, uint32_t node, bool joined,
                      bool lost)
{
    xres_confchg c;

    memset(&c, 0, sizeof(c));
    for (size_t i = 0; i < bus->n; i++)
        if (bus->m[i]->joined && c.nmembers < XRES_CLUSTER_NODES_MAX)
            c.members[c.nmembers++] = bus->m[i]->nodeid;
    if (joined) c.joined[c.njoined++] = node;
    else {
        c.left_lost[c.nleft] = lost;
        c.left[c.nleft++] = node;
    }
    for (size_t i = 0; i < bus->n; i++) {
        item *it;
        if (!bus->m[i]->joined) continue;
        if (!(it = calloc(1, sizeof(*it)))) continue;
        it->is_conf = true;
        it->conf = c;
        push(bus->m[i], it);
    }
}

static int m_join(xres_group *g)
{
    member *m = g->priv;

    if (m->bus->down) return -ECONNREFUSED;
    if (m->joined) return -EBUSY;
    m->joined = true;
    m->cut = false;
    post_conf(m->bus, m->nodeid, true, false);
    return 0;
}

static int m_fd(xres_group *g)
{
    member *m = g->priv;

    return m->joined || m->cut ? m->efd : -1;
}

static int m_dispatch(xres_group *g)
{
    member *m = g->priv;
    uint64_t v;

    if (m->cut) return -ENOTCONN;
    if (read(m->efd, &v, sizeof(v)) < 0) {}
    while (m->head && !m->cut) {
        item *it = m->head;
        m->head = it->next;
        if (!m->head) m->tail = &m->head;
        if (it->is_conf) g->cbs.confchg(g->ctx, &it->conf);
        else g->cbs.deliver(g->ctx, it->from, it->data, it->len);
        free(it);
    }
    return m->cut ? -ENOTCONN : 0;
}

static int m_mcast(xres_group *g, const void *msg, size_t len)
{
    member *m = g->priv;
    xres_group_bus *bus = m->bus;

    if (m->cut || !m->joined) return -ENOTCONN;
    if (len > 1024 * 1024) return -EMSGSIZE;
    if (bus->busy) {
        bus->busy--;
        return -EAGAIN;
    }
    for (size_t i = 0; i < bus->n; i++) {
        item *it;
        if (!bus->m[i]->joined) continue;
        if (!(it = calloc(1, sizeof(*it) + len))) return -ENOMEM;
        it->from = m->nodeid;
        it->len = len;
        memcpy(it->data, msg, len);
        push(bus->m[i], it);
    }
    bus->sent++;
    return 0;
}

static int m_local_nodeid(xres_group *g, uint32_t *nodeid)
{
    *nodeid = ((member *)g->priv)->nodeid;
    return 0;
}

static void m_leave(xres_group *g)
{
    member *m = g->priv;
    bool was = m->joined && !m->cut;

    m->joined = false;
    m->cut = false;
    drop_inbox(m);
    if (was) post_conf(m->bus, m->nodeid, false, false);
}

void xres_group_bus_lose(xres_group_bus *bus, uint32_t nodeid)
{
    for (size_t i = 0; i < bus->n; i++) {
        member *m = bus->m[i];
        if (m->nodeid != nodeid || !m->joined) continue;
        m->joined = false;
        m->cut = true;
        drop_inbox(m);
        post_conf(bus, nodeid, false, true);
        if (write(m->efd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {}
    }
}

static void m_dispose(xres_group *g)
{
    member *m = g->priv;
    xres_group_bus *bus = m->bus;

    m_leave(g);
    for (size_t i = 0; i < bus->n; i++)
        if (bus->m[i] == m) {
            bus->m[i] = bus->m[--bus->n];
            break;
        }
    close(m->efd);
    free(m);
}

static const xres_group_ops model_ops = {
    .name = "model",
    .join = m_join,
    .fd = m_fd,
    .dispatch = m_dispatch,
    .mcast = m_mcast,
    .local_nodeid = m_local_nodeid,
    .leave = m_leave,
    .dispose = m_dispose,
};

int xres_group_model_open(void *arg, const xres_group_cbs *cbs, void *ctx,
                          xres_group **out)
{
    const xres_group_model_arg *a = arg;
    member *m;

    if (a->bus->n == XRES_CLUSTER_NODES_MAX) return -ENOSPC;
    if (!(m = calloc(1, sizeof(*m)))) return -ENOMEM;
    m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m->efd < 0) {
        free(m);
        return -errno;
    }
    m->bus = a->bus;
    m->nodeid = a->nodeid;
    m->tail = &m->head;
    m->g.ops = &model_ops;
    m->g.cbs = *cbs;
    m->g.ctx = ctx;
    m->g.priv = m;
    a->bus->m[a->bus->n++] = m;
    *out = &m->g;
    return 0;
}
