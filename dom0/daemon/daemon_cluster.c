/*
 * dom0/daemon/daemon_cluster.c: the cluster subsystem (subsys.h,
 * docs/xres-cluster.md).  At start it joins the process group "xres"
 * (Corosync's CPG, or the model the tests give in xres_daemon_opts);
 * when the group cannot be reached the cluster features are off, with
 * one log line, and xresd runs as before.  Joined, it multicasts this
 * host's figures every tick and at once when a host joins, feeds what
 * the group delivers to the pure view (cluster_view.h), and answers
 * cluster-list and cluster-show.  A connection lost later is one log
 * line; xresd goes on managing its own host and joins again quietly
 * every cluster_retry_ticks ticks, with one line when it is back.
 * Nothing here blocks: the group's fd is dispatched only when readable,
 * and a multicast the group cannot take now is dropped until the next
 * tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster_view.h"
#include "config_cluster.h"
#include "cpu_measure.h"
#include "daemon.h"
#include "daemon_cluster.h"
#include "ipc.h"
#include "log.h"
#include "pair_priv.h"
#include "pool_priv.h"

typedef struct {
    xres_cluster_params p;
    xres_group *g;
    xres_cluster_view v;
    bool joined;                /* connected to the group now */
    bool was_joined;            /* once: a failure is a loss */
    bool view_live;             /* v holds a view (since the first join) */
    unsigned retry_in;          /* ticks to the next join attempt */
    uint64_t seq;
    char host[XRES_CLUSTER_HOST_MAX];
    char why_off[96];           /* not in a cluster: why */
    xres_cpu_meter meter;
} cl_state;

static cl_state *CL(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_cluster);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*----- this host's figures -----*/

/* Whether a domain may be relocated (docs/xres-cluster.md, "Which
 * domain"): pinned by relocate = "never", one of a hot-standby pair, not
 * a Pacemaker resource that may migrate, or not known before the first
 * resource table. */
static xres_cluster_movable movable_of(xres_daemon *d, const xres_domain *dom)
{
    const char *never = xres_config_domain_get(&d->cfg, dom->name,
                                               "relocate");
    const xres_crm_resource *r;

    if (dom->domid == 0) return XRES_CMOVE_PINNED;
    if (never && !strcmp(never, "never")) return XRES_CMOVE_PINNED;
    if (xres_daemon_priv(d, &xres_subsys_pair) && pair_of_domain(d, dom->domid))
        return XRES_CMOVE_PAIR;
    if (!xres_daemon_cluster_resources_known(d)) return XRES_CMOVE_UNKNOWN;
    r = xres_daemon_cluster_resource(d, dom->name);
    return r && r->migrate ? XRES_CMOVE_MOVABLE : XRES_CMOVE_NOT_MIGRATABLE;
}

static void fill_domains(xres_daemon *d, cl_state *st,
                         xres_cluster_figures *f)
{
    for (size_t i = 0; i < d->host.nr_domains &&
                       f->ndoms < XRES_CLUSTER_DOMS_MAX; i++) {
        const xres_domain *dom = &d->host.domains[i];
        const xres_cpu_point *pt =
            xres_cpu_hist_latest(xres_cpu_meter_find(&st->meter, dom->domid));
        xres_cluster_dom *cd = &f->doms[f->ndoms];
        uint64_t max = dom->static_max_kb ? dom->static_max_kb
                                          : dom->xen_max_kb;

        if (!xres_cluster_name_ok(dom->name)) continue;
        snprintf(cd->name, sizeof(cd->name), "%s", dom->name);
        cd->domid = dom->domid;
        cd->mem_kb = dom->cur_kb < f->mem_total_kb ? dom->cur_kb
                                                   : f->mem_total_kb;
        cd->max_kb = max < f->mem_total_kb ? max : f->mem_total_kb;
        cd->vcpus = dom->vcpus_online ? dom->vcpus_online : 1;
        if (cd->vcpus > XRES_CLUSTER_VCPUS_MAX)
            cd->vcpus = XRES_CLUSTER_VCPUS_MAX;
        cd->cpu_pct = pt && pt->use_pct > 0 ? (unsigned)(pt->use_pct + 0.5)
                                            : 0;
        if (cd->cpu_pct > cd->vcpus * 100) cd->cpu_pct = cd->vcpus * 100;
        cd->movable = movable_of(d, dom);
        f->mem_domains_kb += cd->mem_kb;
        f->ndoms++;
    }
    if (f->mem_domains_kb > f->mem_total_kb)
        f->mem_domains_kb = f->mem_total_kb;
}

static void fill_pools(xres_daemon *d, xres_cluster_figures *f)
{
    pool_sys *ps = PS(d);

    for (size_t i = 0; ps && i < ps->n && f->npools < XRES_CLUSTER_POOLS_MAX;
         i++) {
        xres_cluster_pool *p = &f->pools[f->npools];
        if (!xres_cluster_name_ok(ps->pools[i].spec.name)) continue;
        snprintf(p->name, sizeof(p->name), "%s", ps->pools[i].spec.name);
        p->size_kb = ps->pools[i].spec.size_kb;
        p->held_kb = ps->pools[i].held_kb;
        if (p->size_kb > f->mem_total_kb) p->size_kb = f->mem_total_kb;
        if (p->held_kb > f->mem_total_kb) p->held_kb = f->mem_total_kb;
        f->npools++;
    }
}

/* Our figures, from the snapshot and the CPU meter: 0 or -errno. */
static int figures_of(xres_daemon *d, cl_state *st, xres_cluster_figures *f)
{
    const xres_host *h = &d->host;
    double loads[XRES_CPU_HIST_MAX], max;
    size_t nl;

    memset(f, 0, sizeof(*f));
    if (!h->total_kb || !h->nr_cpus) return -ENODATA;
    snprintf(f->host, sizeof(f->host), "%s", st->host);
    f->nodeid = st->v.self;
    f->seq = ++st->seq;
    f->time_ms = wall_ms();
    f->mem_total_kb = h->total_kb < XRES_CLUSTER_MEM_MAX_KB
        ? h->total_kb : XRES_CLUSTER_MEM_MAX_KB;
    f->mem_free_kb = h->free_kb < f->mem_total_kb ? h->free_kb
                                                  : f->mem_total_kb;
    f->mem_outstanding_kb = h->outstanding_kb;
    if (f->mem_outstanding_kb > f->mem_total_kb - f->mem_free_kb)
        f->mem_outstanding_kb = f->mem_total_kb - f->mem_free_kb;
    f->nr_cpus = h->nr_cpus < XRES_CLUSTER_CPUS_MAX ? h->nr_cpus
                                                    : XRES_CLUSTER_CPUS_MAX;
    max = f->nr_cpus * 100.0;
    nl = xres_cpu_meter_loads(&st->meter, loads, XRES_CPU_HIST_MAX);
    f->cpu_allocable_pct = (unsigned)xres_cpu_available(max, loads, nl,
                                                        XRES_LOAD_LATEST);
    f->cpu_use_pct = (unsigned)((max - f->cpu_allocable_pct) * 100.0 / max);
    f->mem_use_pct = (unsigned)((f->mem_total_kb - f->mem_free_kb) * 100 /
                                f->mem_total_kb);
    f->live = h->cap_shadow;
    fill_domains(d, st, f);
    fill_pools(d, f);
    f->nconflicts = xres_daemon_conflict_busy(d, f->conflicts,
                                              XRES_CLUSTER_CONFLICTS_MAX);
    return 0;
}

static void send_msg(cl_state *st, const xres_cluster_msg *m)
{
    char *buf;
    size_t len;
    int rc;

    if (!st->joined) return;
    if ((rc = xres_cluster_msg_encode(m, &buf, &len))) {
        XLOG_WARN("cluster: cannot encode a message: %s", strerror(-rc));
        return;
    }
    /* -EAGAIN: the group is busy; the next tick sends fresh figures. */
    rc = st->g->ops->mcast(st->g, buf, len);
    if (rc && rc != -EAGAIN && rc != -ENOTCONN)
        XLOG_WARN("cluster: multicast: %s", strerror(-rc));
    free(buf);
}

static void send_figures(xres_daemon *d, cl_state *st)
{
    xres_cluster_msg m;

    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_FIGURES;
    if (!(m.fig = malloc(sizeof(*m.fig)))) return;
    if (!figures_of(d, st, m.fig)) send_msg(st, &m);
    xres_cluster_msg_dispose(&m);
}

static void send_lock(cl_state *st, xres_lock_op op, const char *lock)
{
    xres_cluster_msg m;

    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_LOCK;
    m.op = op;
    m.node = st->v.self;
    snprintf(m.lock, sizeof(m.lock), "%s", lock);
    send_msg(st, &m);
}

/*----- the group's callbacks -----*/

static void act(xres_daemon *d, cl_state *st, const xres_cview_out *o)
{
    if (o->reject[0]) XLOG_WARN("cluster: %s", o->reject);
    if (o->send_figures) send_figures(d, st);
    if (o->send_grant) send_lock(st, XRES_LOCK_GRANT, o->grant_lock);
}

static void on_deliver(void *ctx, uint32_t from, const void *msg, size_t len)
{
    xres_daemon *d = ctx;
    cl_state *st = CL(d);
    xres_cview_out o;

    xres_cview_deliver(&st->v, from, msg, len, xres_daemon_now_ms(d), &o);
    act(d, st, &o);
}

static void on_confchg(void *ctx, const xres_confchg *c)
{
    xres_daemon *d = ctx;
    cl_state *st = CL(d);
    xres_cview_out o;

    for (size_t i = 0; i < c->nleft; i++)
        xres_log(LOG_NOTICE, "cluster: node %u %s", c->left[i],
                 c->left_lost[i] ? "lost" : "left");
    xres_cview_confchg(&st->v, c, &o);
    act(d, st, &o);
}

/*----- joining and losing the group -----*/

static int try_join(cl_state *st, bool quiet)
{
    uint32_t self = 0;
    int rc;

    rc = st->g->ops->join(st->g);
    if (!rc) rc = st->g->ops->local_nodeid(st->g, &self);
    if (rc) {
        st->g->ops->leave(st->g);
        st->retry_in = st->p.retry_ticks;
        snprintf(st->why_off, sizeof(st->why_off), "%s",
                 rc == -ECONNREFUSED ? "corosync not running"
                                     : strerror(-rc));
        if (!quiet)
            XLOG_WARN("cluster: %s%s; cluster features off",
                      rc == -ECONNREFUSED ? "" : "cannot join: ",
                      st->why_off);
        return rc;
    }
    if (st->view_live) xres_cview_dispose(&st->v);
    xres_cview_init(&st->v, self, st->p.stale_ticks);
    st->view_live = true;
    st->joined = true;
    st->why_off[0] = '\0';
    XLOG_INFO("cluster: %s group %s as node %u, host %s",
              st->was_joined ? "back in" : "joined", XRES_CLUSTER_GROUP_NAME,
              self, st->host);
    st->was_joined = true;
    return 0;
}

static void lost(cl_state *st)
{
    XLOG_WARN("cluster: connection to corosync lost; managing this host "
              "alone, joining again every %u ticks", st->p.retry_ticks);
    xres_cview_lost(&st->v);
    st->g->ops->leave(st->g);
    st->joined = false;
    st->retry_in = st->p.retry_ticks;
    snprintf(st->why_off, sizeof(st->why_off), "connection to corosync lost");
}

/*----- hooks -----*/

static int cluster_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_cluster_params p;
    char err[256];

    (void)d;
    if (xres_cluster_params_from_config(cfg, &p, err, sizeof(err))) {
        XLOG_ERR("%s", err);
        return -EINVAL;
    }
    return 0;
}

static int cluster_init(xres_daemon *d)
{
    cl_state *st = calloc(1, sizeof(*st));
    xres_group_cbs cbs = { on_deliver, on_confchg };
    xres_group_open_fn open_fn = d->opts.group_open ? d->opts.group_open
                                                    : xres_group_cpg_open;
    char err[256];
    int rc;

    if (!st) return -ENOMEM;
    xres_cpu_meter_init(&st->meter, 2);
    if ((rc = xres_cluster_params_from_config(&d->cfg, &st->p, err,
                                              sizeof(err)))) {
        XLOG_ERR("%s", err);
        goto out;
    }
    snprintf(st->host, sizeof(st->host), "%s", st->p.host);
    if (!st->host[0] && gethostname(st->host, sizeof(st->host) - 1))
        snprintf(st->host, sizeof(st->host), "localhost");
    if (!xres_cluster_name_ok(st->host)) {
        XLOG_ERR("cluster: host name `%s' cannot be shared; set cluster_host",
                 st->host);
        rc = -EINVAL;
        goto out;
    }
    if ((rc = xres_daemon_set_priv(d, &xres_subsys_cluster, st))) goto out;
    snprintf(st->why_off, sizeof(st->why_off), "cluster = off in xres.conf");
    if (!st->p.on) return 0;
    if ((rc = open_fn(d->opts.group_arg, &cbs, d, &st->g))) {
        XLOG_WARN("cluster: cannot open the group: %s; cluster features off",
                  strerror(-rc));
        st->g = NULL;
        return 0;
    }
    xres_cpu_meter_update(&st->meter, &d->host);
    /* Our own join's change sends our first figures. */
    try_join(st, false);
    return 0;
out:
    xres_daemon_set_priv(d, &xres_subsys_cluster, NULL);
    xres_cpu_meter_dispose(&st->meter);
    free(st);
    return rc;
}

static void cluster_dispose(xres_daemon *d)
{
    cl_state *st = CL(d);

    if (!st) return;
    if (st->g) st->g->ops->dispose(st->g);
    if (st->view_live) xres_cview_dispose(&st->v);
    xres_cpu_meter_dispose(&st->meter);
    free(st);
    xres_daemon_set_priv(d, &xres_subsys_cluster, NULL);
}

static void cluster_reload(xres_daemon *d)
{
    cl_state *st = CL(d);
    char err[256];
    xres_cluster_params p;

    if (!st || xres_cluster_params_from_config(&d->cfg, &p, err, sizeof(err)))
        return;
    /* cluster and cluster_host take effect at the next start. */
    st->p.stale_ticks = p.stale_ticks;
    st->p.retry_ticks = p.retry_ticks;
    if (st->view_live) st->v.stale_ticks = p.stale_ticks;
}

static void cluster_tick(xres_daemon *d)
{
    cl_state *st = CL(d);

    if (!st || !st->g) return;
    xres_cpu_meter_update(&st->meter, &d->host);
    if (!st->joined) {
        if (st->retry_in && --st->retry_in) return;
        if (try_join(st, true)) return;
    } else {
        xres_cview_tick(&st->v);
    }
    send_figures(d, st);
}

static unsigned cluster_poll_fds(xres_daemon *d, int *fds, unsigned max)
{
    cl_state *st = CL(d);
    int fd;

    if (!st || !st->joined || !max || (fd = st->g->ops->fd(st->g)) < 0)
        return 0;
    fds[0] = fd;
    return 1;
}

static void cluster_on_fd(xres_daemon *d, int fd)
{
    cl_state *st = CL(d);

    (void)fd;
    if (!st || !st->joined) return;
    if (st->g->ops->dispatch(st->g) == -ENOTCONN) lost(st);
}

/*----- for the other subsystems -----*/

const xres_cluster_view *xres_daemon_cluster_view(xres_daemon *d)
{
    cl_state *st = CL(d);

    return st && st->joined ? &st->v : NULL;
}

int xres_daemon_cluster_lock(xres_daemon *d, const char *op,
                             const char *name)
{
    cl_state *st = CL(d);

    if (!st || !st->joined) return -ENOTCONN;
    if (!xres_cluster_name_ok(name)) return -EINVAL;
    if (!strcmp(op, "request")) send_lock(st, XRES_LOCK_REQUEST, name);
    else if (!strcmp(op, "release")) send_lock(st, XRES_LOCK_RELEASE, name);
    else return -EINVAL;
    return 0;
}

/*----- commands -----*/

static void host_json(yajl_gen g, const cl_state *st,
                      const xres_cluster_member *m, uint64_t now, bool doms)
{
    const xres_cluster_figures *f = m->fig;

    yajl_gen_map_open(g);
    xres_json_kv_str(g, "host", m->have_fig ? f->host : "");
    xres_json_kv_u64(g, "node", m->nodeid);
    xres_json_kv_str(g, "state", xres_member_state_name(m->state));
    xres_json_kv_bool(g, "self", m->nodeid == st->v.self);
    xres_json_kv_bool(g, "stale", xres_cview_stale(&st->v, m));
    if (!m->have_fig) goto out;
    xres_json_kv_u64(g, "age_ticks", st->v.tick - m->fig_tick);
    xres_json_kv_u64(g, "age_ms", now > m->fig_ms ? now - m->fig_ms : 0);
    xres_json_kv_u64(g, "seq", f->seq);
    xres_json_kv_u64(g, "mem_total_kb", f->mem_total_kb);
    xres_json_kv_u64(g, "mem_free_kb", f->mem_free_kb);
    xres_json_kv_u64(g, "mem_outstanding_kb", f->mem_outstanding_kb);
    xres_json_kv_u64(g, "mem_domains_kb", f->mem_domains_kb);
    xres_json_kv_u64(g, "cpus", f->nr_cpus);
    xres_json_kv_u64(g, "cpu_allocable_pct", f->cpu_allocable_pct);
    xres_json_kv_u64(g, "cpu_use_pct", f->cpu_use_pct);
    xres_json_kv_u64(g, "mem_use_pct", f->mem_use_pct);
    xres_json_kv_str(g, "method", f->live ? "live" : "save-restore");
    if (!doms) goto out;
    yajl_gen_string(g, (const unsigned char *)"domains", 7);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < f->ndoms; i++) {
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "name", f->doms[i].name);
        xres_json_kv_u64(g, "domid", f->doms[i].domid);
        xres_json_kv_u64(g, "mem_kb", f->doms[i].mem_kb);
        xres_json_kv_u64(g, "max_kb", f->doms[i].max_kb);
        xres_json_kv_u64(g, "cpu_pct", f->doms[i].cpu_pct);
        xres_json_kv_u64(g, "vcpus", f->doms[i].vcpus);
        xres_json_kv_str(g, "movable",
                         xres_cluster_movable_name(f->doms[i].movable));
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
out:
    yajl_gen_map_close(g);
}

static int cluster_command(xres_daemon *d, const char *cmd, yajl_val req,
                           yajl_gen out)
{
    cl_state *st = CL(d);
    uint64_t now = xres_daemon_now_ms(d);
    bool list = !strcmp(cmd, "cluster-list");
    const xres_cluster_member *m;
    const char *host;

    if (!list && strcmp(cmd, "cluster-show")) return -ENOSYS;
    if (!st) return -ENODEV;
    if (!st->joined && !st->view_live && !list) {
        xres_ipc_reply_error(out, "not in a cluster: %s", st->why_off);
        return 0;
    }
    if (list) {
        /* Never in a cluster: "cluster":false, the reason, no hosts. */
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_bool(out, "cluster", st->joined);
        if (!st->joined) xres_json_kv_str(out, "reason", st->why_off);
        xres_json_kv_u64(out, "self", st->v.self);
        xres_json_kv_u64(out, "stale_ticks", st->v.stale_ticks);
        yajl_gen_string(out, (const unsigned char *)"hosts", 5);
        yajl_gen_array_open(out);
        for (size_t i = 0; i < st->v.n; i++)
            host_json(out, st, &st->v.m[i], now, false);
        yajl_gen_array_close(out);
        yajl_gen_map_close(out);
        return 0;
    }
    host = xres_json_get_str(req, "host");
    if (!host || !(m = xres_cview_find_host(&st->v, host))) {
        xres_ipc_reply_error(out, "%s: not a host of the cluster",
                             host ? host : "(none)");
        return 0;
    }
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_bool(out, "cluster", st->joined);
    yajl_gen_string(out, (const unsigned char *)"host", 4);
    host_json(out, st, m, now, true);
    yajl_gen_map_close(out);
    return 0;
}

const xres_subsys xres_subsys_cluster = {
    .name = "cluster",
    .init = cluster_init,
    .dispose = cluster_dispose,
    .check_config = cluster_check_config,
    .reload = cluster_reload,
    .tick = cluster_tick,
    .command = cluster_command,
    .poll_fds = cluster_poll_fds,
    .on_fd = cluster_on_fd,
};
