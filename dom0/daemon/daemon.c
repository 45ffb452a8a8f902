/*
 * dom0/daemon/daemon.c: xresd's core (daemon.h): the poll loop, snapshots and
 * per-domain state, coalescing of guest reports, the IPC server with its
 * built-in `list` command, and the calls into the subsystems.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_report.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "policy_mem.h"
#include "util.h"
#include "xs_schema.h"

/* Bounds on the work of one loop iteration, so that no source (a guest
 * flooding XenStore, a busy client) can starve the others. */
#define EVENTS_PER_LOOP 1024
#define REPORTS_PER_LOOP 32
#define BACKEND_FDS_MAX 16
#define BACKEND_POLL_CAP_MS 1000    /* service libxl's own timeouts */
#define SIM_POLL_CAP_MS 200         /* smooth simulated balloons */

const xres_subsys *const xres_default_subsystems[] = {
    &xres_subsys_mem, &xres_subsys_cpu, &xres_subsys_pair, NULL,
};

static const xres_subsys *const no_subsystems[] = { NULL };

#define FOR_SUBSYS(d, s) \
    for (const xres_subsys *const *s##_p = (d)->opts.subsystems; \
         (s = *s##_p) != NULL; s##_p++)

/*----- per-domain state -----*/

xres_domstate *xres_daemon_domstate(xres_daemon *d, uint32_t domid)
{
    size_t lo = 0, hi = d->nr_dom;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->dom[mid].domid == domid) return &d->dom[mid];
        if (d->dom[mid].domid < domid) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static xres_domstate *domstate_add(xres_daemon *d, uint32_t domid)
{
    size_t i;

    if (d->nr_dom == d->cap_dom) {
        size_t ncap = d->cap_dom ? d->cap_dom * 2 : 16;
        xres_domstate *v = realloc(d->dom, ncap * sizeof(*v));
        if (!v) return NULL;
        d->dom = v;
        d->cap_dom = ncap;
    }
    for (i = d->nr_dom; i > 0 && d->dom[i - 1].domid > domid; i--)
        d->dom[i] = d->dom[i - 1];
    memset(&d->dom[i], 0, sizeof(d->dom[i]));
    d->dom[i].domid = domid;
    d->nr_dom++;
    return &d->dom[i];
}

static void domstate_remove(xres_daemon *d, xres_domstate *ds)
{
    size_t i = ds - d->dom;

    memmove(&d->dom[i], &d->dom[i + 1],
            (d->nr_dom - i - 1) * sizeof(d->dom[0]));
    d->nr_dom--;
}

static void report_token(uint32_t domid, char *buf, size_t len)
{
    snprintf(buf, len, XRES_WATCH_REPORT "%u", domid);
}

/* A new domain: watch its reports and give it a dom0-owned request
 * directory that it may read. */
static void domain_appeared(xres_daemon *d, xres_domstate *ds)
{
    char path[XRES_SCHEMA_PATH_MAX], token[32];
    int rc;

    if (ds->domid == 0) return;
    report_token(ds->domid, token, sizeof(token));
    rc = xres_schema_path(path, sizeof(path), XS_REPORT_DIR, ds->domid,
                          NULL);
    if (!rc) rc = d->be->ops->xs_watch(d->be, path, token);
    if (rc) XLOG_WARN("dom%u: cannot watch its reports: %s", ds->domid,
                      strerror(-rc));
    else ds->watched = true;

    rc = xres_agent_request_setup(d->be, ds->domid);
    if (rc) XLOG_WARN("dom%u: cannot create its request directory: %s",
                      ds->domid, strerror(-rc));
}

static void domain_gone(xres_daemon *d, xres_domstate *ds)
{
    char path[XRES_SCHEMA_PATH_MAX], token[32];

    if (ds->watched &&
        !xres_schema_path(path, sizeof(path), XS_REPORT_DIR, ds->domid,
                          NULL)) {
        report_token(ds->domid, token, sizeof(token));
        d->be->ops->xs_unwatch(d->be, path, token);
    }
    domstate_remove(d, ds);
}

static xres_balloon_state balloon_state(const xres_domain *dom,
                                        const xres_domstate *ds)
{
    uint64_t tol, diff;

    if (ds && ds->balloon_forced) return ds->balloon;
    if (dom->domid == 0 || !dom->agent.valid || !xres_mem_has_balloon(dom))
        return XRES_BALLOON_FIXED;
    /* Within 1% of the target (at least 1 MiB) counts as there. */
    tol = dom->target_kb / 100;
    if (tol < 1024) tol = 1024;
    diff = dom->cur_kb > dom->target_kb ? dom->cur_kb - dom->target_kb
                                        : dom->target_kb - dom->cur_kb;
    return diff <= tol ? XRES_BALLOON_OK : XRES_BALLOON_MOVING;
}

/* Copies what the core knows into one domain of the snapshot. */
static void merge_domain(xres_daemon *d, xres_domain *dom)
{
    xres_domstate *ds = xres_daemon_domstate(d, dom->domid);
    const xres_config_domain *cd = xres_config_domain_find(&d->cfg,
                                                           dom->name);

    if (ds) dom->agent = ds->agent;
    memset(&dom->mem_policy, 0, sizeof(dom->mem_policy));
    if (cd) dom->mem_policy = cd->mem;
    dom->balloon = balloon_state(dom, ds);
    dom->mem_floor_kb = ds ? ds->mem_floor_kb : 0;
}

int xres_daemon_refresh(xres_daemon *d)
{
    xres_host h;
    int rc;

    xres_host_init(&h);
    rc = d->be->ops->snapshot(d->be, &h);
    if (rc) {
        XLOG_ERR("cannot read the host's state: %s", strerror(-rc));
        goto out;
    }
    for (size_t i = 0; i < d->nr_dom; i++) d->dom[i].seen = false;
    for (size_t i = 0; i < h.nr_domains; i++) {
        uint32_t domid = h.domains[i].domid;
        xres_domstate *ds = xres_daemon_domstate(d, domid);
        if (!ds) {
            ds = domstate_add(d, domid);
            if (!ds) { rc = -ENOMEM; goto out; }
        }
        ds->seen = true;
        /* Set a domain up once the toolstack has made its XenStore
         * directory (its name is there): libxl removes and re-creates
         * that directory while it builds the domain. */
        if (!ds->set_up && h.domains[i].name[0] && !h.domains[i].dying) {
            XLOG_DEBUG("dom%u (%s) appeared", domid, h.domains[i].name);
            ds->set_up = true;
            domain_appeared(d, ds);
        }
    }
    for (size_t i = 0; i < d->nr_dom;) {
        if (!d->dom[i].seen) {
            XLOG_DEBUG("dom%u is gone", d->dom[i].domid);
            domain_gone(d, &d->dom[i]);
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < h.nr_domains; i++) merge_domain(d, &h.domains[i]);
    xres_host_dispose(&d->host);
    d->host = h;
    xres_host_init(&h);
    d->host_stale = false;
out:
    xres_host_dispose(&h);
    return rc;
}

int xres_daemon_refresh_if_stale(xres_daemon *d)
{
    return d->host_stale ? xres_daemon_refresh(d) : 0;
}

void xres_daemon_set_balloon_state(xres_daemon *d, uint32_t domid,
                                   xres_balloon_state s)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);
    xres_domain *dom = xres_host_find(&d->host, domid);

    if (!ds) return;
    ds->balloon_forced = true;
    ds->balloon = s;
    if (dom) dom->balloon = s;
}

void xres_daemon_clear_balloon_state(xres_daemon *d, uint32_t domid)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);
    xres_domain *dom = xres_host_find(&d->host, domid);

    if (!ds) return;
    ds->balloon_forced = false;
    if (dom) dom->balloon = balloon_state(dom, ds);
}

void xres_daemon_set_mem_floor(xres_daemon *d, uint32_t domid,
                               uint64_t kb)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);
    xres_domain *dom = xres_host_find(&d->host, domid);

    if (!ds) return;
    ds->mem_floor_kb = kb;
    if (dom) dom->mem_floor_kb = kb;
}

void xres_daemon_wake_at(xres_daemon *d, uint64_t at_ms)
{
    if (at_ms < d->next_tick_ms) d->next_tick_ms = at_ms;
}

/*----- XenStore nodes addressed by schema row -----*/

int xres_xs_path(char *buf, xres_schema_id id, uint32_t domid,
                 const char *arg)
{
    int rc = xres_schema_path(buf, XRES_SCHEMA_PATH_MAX, id, domid, arg);

    if (rc) XLOG_ERR("no XenStore path for %s (%s): %s",
                     xres_schema_leaf(id), arg ? arg : "-", strerror(-rc));
    return rc;
}

int xres_xs_get(xres_daemon *d, xres_schema_id id, uint32_t domid,
                const char *arg, char **val, size_t *len)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc = xres_xs_path(path, id, domid, arg);

    if (rc) return rc;
    return d->be->ops->xs_read(d->be, path, val, len);
}

int xres_xs_get_u64(xres_daemon *d, xres_schema_id id, uint32_t domid,
                    const char *arg, uint64_t *out)
{
    char *val = NULL;
    size_t len = 0;
    int rc = xres_xs_get(d, id, domid, arg, &val, &len);

    if (!rc) rc = xres_schema_parse_u64(id, val, len, out, NULL, 0);
    free(val);
    return rc;
}

int xres_xs_put(xres_daemon *d, xres_schema_id id, uint32_t domid,
                const char *arg, const char *val)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc = xres_xs_path(path, id, domid, arg);

    if (rc) return rc;
    rc = d->be->ops->xs_write(d->be, path, val, strlen(val));
    if (rc) XLOG_WARN("cannot write %s: %s", path, strerror(-rc));
    return rc;
}

int xres_xs_put_u64(xres_daemon *d, xres_schema_id id, uint32_t domid,
                    const char *arg, uint64_t v)
{
    char val[24];

    snprintf(val, sizeof(val), "%" PRIu64, v);
    return xres_xs_put(d, id, domid, arg, val);
}

void xres_xs_del(xres_daemon *d, xres_schema_id id, uint32_t domid,
                 const char *arg)
{
    char path[XRES_SCHEMA_PATH_MAX];

    if (!xres_xs_path(path, id, domid, arg)) d->be->ops->xs_rm(d->be, path);
}

xres_domain *xres_daemon_find_domain(xres_daemon *d, const char *s)
{
    xres_domain *dom = xres_host_find_name(&d->host, s);
    char *end;

    if (dom) return dom;
    if (*s < '0' || *s > '9') return NULL;
    errno = 0;
    unsigned long id = strtoul(s, &end, 10);
    if (*end || errno || id > UINT32_MAX) return NULL;
    return xres_host_find(&d->host, (uint32_t)id);
}

/*----- list -----*/

void xres_daemon_list_json(xres_daemon *d, yajl_gen g)
{
    const xres_host *h = &d->host;
    const xres_subsys *s;

    xres_ipc_reply_ok_begin(g);
    xres_json_kv_str(g, "xen_version", h->xen_version);
    xres_json_kv_str(g, "scheduler", xres_sched_kind_name(h->sched));
    xres_json_kv_u64(g, "nr_cpus", h->nr_cpus);
    xres_json_kv_u64(g, "total_kb", h->total_kb);
    xres_json_kv_u64(g, "free_kb", h->free_kb);
    xres_json_str(g, "domains");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *dom = &h->domains[i];
        yajl_gen_map_open(g);
        xres_json_kv_u64(g, "domid", dom->domid);
        xres_json_kv_str(g, "name", dom->name);
        xres_json_kv_u64(g, "cur_kb", dom->cur_kb);
        xres_json_kv_u64(g, "target_kb", dom->target_kb);
        xres_json_kv_u64(g, "xen_max_kb", dom->xen_max_kb);
        xres_json_kv_u64(g, "static_max_kb", dom->static_max_kb);
        xres_json_kv_u64(g, "vcpus", dom->vcpus_online);
        xres_json_kv_int(g, "weight", dom->weight);
        xres_json_kv_int(g, "cap", dom->cap);
        xres_json_kv_bool(g, "agent", dom->agent.valid);
        if (dom->agent.valid) xres_json_kv_u64(g, "used_kb",
                                               dom->agent.mem_used_kb);
        else xres_json_kv_null(g, "used_kb");
        xres_json_kv_u64(g, "min_kb", dom->mem_policy.min_kb);
        xres_json_kv_u64(g, "max_kb", dom->mem_policy.max_kb);
        xres_json_kv_str(g, "state", xres_balloon_state_name(dom->balloon));
        FOR_SUBSYS(d, s)
            if (s->fill_domain_json) s->fill_domain_json(d, dom, g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

/*----- IPC -----*/

static void conn_close(xres_conn *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* Switch c to writing the contents of g. */
static void conn_reply(xres_conn *c, yajl_gen g)
{
    const unsigned char *out;
    size_t len;

    yajl_gen_get_buf(g, &out, &len);
    free(c->buf);
    c->buf = malloc(len + 1);
    if (!c->buf) { c->len = 0; c->writing = true; return; }
    memcpy(c->buf, out, len);
    c->buf[len] = '\n';
    c->len = len + 1;
    c->off = 0;
    c->writing = true;
}

static void conn_reply_error(xres_conn *c, const char *fmt, const char *arg)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g) { conn_close(c); return; }
    xres_ipc_reply_error(g, fmt, arg);
    conn_reply(c, g);
    yajl_gen_free(g);
}

static void dispatch(xres_daemon *d, const char *cmd, yajl_val req,
                     yajl_gen *gp)
{
    const xres_subsys *s;
    int rc;

    if (!strcmp(cmd, "list")) {
        rc = xres_daemon_refresh(d);
        if (rc) xres_ipc_reply_error(*gp, "cannot read the host's state: %s",
                                     strerror(-rc));
        else xres_daemon_list_json(d, *gp);
        return;
    }
    if (!strcmp(cmd, "version")) {
        xres_ipc_reply_ok_begin(*gp);
        xres_json_kv_str(*gp, "version", XRES_VERSION);
        xres_json_kv_str(*gp, "backend", d->be->ops->name);
        yajl_gen_map_close(*gp);
        return;
    }
    xres_daemon_refresh_if_stale(d);
    FOR_SUBSYS(d, s) {
        if (!s->command) continue;
        rc = s->command(d, cmd, req, *gp);
        if (rc == -ENOSYS) {
            yajl_gen_free(*gp);
            *gp = yajl_gen_alloc(NULL);
            if (!*gp) return;
            continue;
        }
        if (rc) {
            yajl_gen_free(*gp);
            *gp = yajl_gen_alloc(NULL);
            if (*gp) xres_ipc_reply_error(*gp, "%s: %s", cmd,
                                          strerror(-rc));
        }
        return;
    }
    xres_ipc_reply_error(*gp, "unknown command `%.64s'", cmd);
}

/* Parses and answers the request in c->buf.  Before the client has
 * finished sending (!eof), a request that is valid so far but incomplete
 * (a JSON object spread over several lines) is left to grow: returns
 * false. */
static bool conn_handle_request(xres_daemon *d, xres_conn *c, bool eof)
{
    char errbuf[256];
    yajl_val req;
    yajl_gen g;
    const char *cmd;

    c->buf[c->len] = 0;
    req = yajl_tree_parse(c->buf, errbuf, sizeof(errbuf));
    if (!req) {
        if (!eof && strstr(errbuf, "premature EOF") &&
            strlen(c->buf) == c->len)
            return false;
        char *nl = strchr(errbuf, '\n');
        if (nl) *nl = 0;
        conn_reply_error(c, "malformed request: %s", errbuf);
        return true;
    }
    cmd = xres_json_get_str(req, "cmd");
    if (!YAJL_IS_OBJECT(req) || !cmd) {
        yajl_tree_free(req);
        conn_reply_error(c, "malformed request: %s",
                         "not an object with a \"cmd\" string");
        return true;
    }
    g = yajl_gen_alloc(NULL);
    if (g) {
        dispatch(d, cmd, req, &g);
    }
    yajl_tree_free(req);
    if (!g) { conn_close(c); return true; }
    conn_reply(c, g);
    yajl_gen_free(g);
    return true;
}

static void conn_read(xres_daemon *d, xres_conn *c)
{
    for (;;) {
        if (c->len == c->cap) {
            if (c->cap >= XRES_IPC_REQ_MAX) {
                char lim[32];
                snprintf(lim, sizeof(lim), "%d", XRES_IPC_REQ_MAX);
                conn_reply_error(c, "request too large (limit %s bytes)",
                                 lim);
                shutdown(c->fd, SHUT_RD);
                return;
            }
            size_t ncap = c->cap ? c->cap * 2 : 1024;
            if (ncap > XRES_IPC_REQ_MAX) ncap = XRES_IPC_REQ_MAX;
            char *nb = realloc(c->buf, ncap + 1);
            if (!nb) { conn_close(c); return; }
            c->buf = nb;
            c->cap = ncap;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) conn_close(c);
            return;
        }
        if (r == 0) {
            if (c->len == 0) { conn_close(c); return; }
            conn_handle_request(d, c, true);
            return;
        }
        bool nl = memchr(c->buf + c->len, '\n', r) != NULL;
        c->len += r;
        if (nl && conn_handle_request(d, c, false)) return;
    }
}

static void conn_write(xres_conn *c)
{
    while (c->off < c->len) {
        ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off,
                         MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) conn_close(c);
            return;
        }
        c->off += w;
    }
    conn_close(c);
}

static void accept_conns(xres_daemon *d, uint64_t now)
{
    for (int n = 0; n < XRES_MAX_CONNS; n++) {
        int fd = accept4(d->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        xres_conn *c = NULL;
        for (int i = 0; i < XRES_MAX_CONNS; i++)
            if (d->conns[i].fd < 0) { c = &d->conns[i]; break; }
        if (!c) {
            static const char busy[] =
                "{\"ok\":false,\"error\":\"xresd is busy, try again\"}\n";
            if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {}
            close(fd);
            continue;
        }
        c->fd = fd;
        c->deadline_ms = now + XRES_IPC_TIMEOUT_MS;
    }
}

static void conns_expire(xres_daemon *d, uint64_t now)
{
    for (int i = 0; i < XRES_MAX_CONNS; i++) {
        xres_conn *c = &d->conns[i];
        if (c->fd < 0 || now < c->deadline_ms) continue;
        if (c->writing) {
            conn_close(c);
        } else {
            /* One last chance to tell the client, then it gets closed at
             * the next expiry. */
            conn_reply_error(c, "%s", "request timed out");
            if (c->fd >= 0) {
                c->deadline_ms = now + 1000;
                conn_write(c);
            }
        }
    }
}

/*----- events and reports -----*/

/* The domid of a report watch token, or XRES_DOMID_INVALID. */
static uint32_t report_domid(const char *token)
{
    size_t n = strlen(XRES_WATCH_REPORT);
    unsigned long id;
    char *end;

    if (strncmp(token, XRES_WATCH_REPORT, n)) return XRES_DOMID_INVALID;
    if (token[n] < '0' || token[n] > '9') return XRES_DOMID_INVALID;
    errno = 0;
    id = strtoul(token + n, &end, 10);
    if (errno || *end || id >= XRES_DOMID_INVALID) return XRES_DOMID_INVALID;
    return (uint32_t)id;
}

static void deliver_event(xres_daemon *d, const xres_event *ev)
{
    const xres_subsys *s;

    FOR_SUBSYS(d, s) {
        if (!s->on_event) continue;
        if (ev->kind == XRES_EV_WATCH) {
            size_t n = strlen(s->name);
            if (strncmp(ev->token, s->name, n) || ev->token[n] != ':')
                continue;
        }
        s->on_event(d, ev);
    }
}

static void handle_event(xres_daemon *d, const xres_event *ev)
{
    switch (ev->kind) {
    case XRES_EV_WATCH:
        if (report_domid(ev->token) != XRES_DOMID_INVALID) {
            uint32_t domid = report_domid(ev->token);
            xres_domstate *ds = domid == XRES_DOMID_INVALID ? NULL
                : xres_daemon_domstate(d, domid);
            if (ds) {
                ds->report_dirty = true;
                ds->report_events++;
            }
        } else if (!strcmp(ev->token, XRES_WATCH_INTRODUCE) ||
                   !strcmp(ev->token, XRES_WATCH_RELEASE)) {
            d->host_stale = true;
        } else {
            deliver_event(d, ev);
        }
        break;
    case XRES_EV_DOMAIN_SHUTDOWN:
    case XRES_EV_DOMAIN_DEATH:
        XLOG_INFO("dom%u: %s", ev->domid,
                  ev->kind == XRES_EV_DOMAIN_DEATH ? "destroyed"
                                                   : "shut down");
        xres_daemon_refresh(d);
        deliver_event(d, ev);
        break;
    default:
        break;
    }
}

/* Returns true if more events may be pending. */
static bool drain_events(xres_daemon *d)
{
    xres_event ev;

    for (int n = 0; n < EVENTS_PER_LOOP; n++) {
        memset(&ev, 0, sizeof(ev));
        if (d->be->ops->next_event(d->be, &ev) || ev.kind == XRES_EV_NONE)
            return false;
        handle_event(d, &ev);
    }
    return true;
}

/* Runs on_report for dirty domains that are due.  Returns the delay in
 * ms until the next one is due, or -1 if none is waiting. */
static int process_reports(xres_daemon *d, uint64_t now)
{
    const xres_subsys *s;
    int next = -1, done = 0;
    uint64_t ival = (uint64_t)d->cfg.report_interval_ms;

    for (size_t i = 0; i < d->nr_dom; i++) {
        xres_domstate *ds = &d->dom[i];
        if (!ds->report_dirty) continue;
        if (ds->report_last_ms && now < ds->report_last_ms + ival) {
            int wait = (int)(ds->report_last_ms + ival - now);
            if (next < 0 || wait < next) next = wait;
            continue;
        }
        if (done == REPORTS_PER_LOOP) { next = 0; break; }
        done++;
        uint32_t domid = ds->domid;
        ds->report_dirty = false;
        ds->report_last_ms = now;
        /* A rejected or missing report marks the domain "not reporting"
         * inside; the figures below are the ones it leaves. */
        (void)xres_daemon_read_agent_report(d->be, domid, &ds->agent,
                                            d->be->ops->now_ms(d->be));
        xres_domain *dom = xres_host_find(&d->host, domid);
        if (dom) {
            dom->agent = ds->agent;
            dom->balloon = balloon_state(dom, ds);
            FOR_SUBSYS(d, s)
                if (s->on_report) s->on_report(d, domid);
        }
        /* A subsystem may have refreshed d->host and so changed d->dom:
         * carry on after domid. */
        size_t j = 0;
        while (j < d->nr_dom && d->dom[j].domid <= domid) j++;
        i = j - 1;          /* wraps to SIZE_MAX for j == 0; i++ gives 0 */
    }
    return next;
}

void xres_daemon_tick(xres_daemon *d)
{
    const xres_subsys *s;
    uint64_t now = d->be->ops->now_ms(d->be);

    xres_daemon_refresh(d);
    /* Agents that stopped reporting: their figures are no longer used. */
    for (size_t i = 0; i < d->nr_dom; i++) {
        xres_domstate *ds = &d->dom[i];
        uint32_t domid = ds->domid;
        if (!xres_agent_report_expire(&ds->agent, domid, now)) continue;
        xres_domain *dom = xres_host_find(&d->host, domid);
        if (dom) {
            dom->agent = ds->agent;
            dom->balloon = balloon_state(dom, ds);
        }
        FOR_SUBSYS(d, s)
            if (s->on_report) s->on_report(d, domid);
        /* on_report may refresh and change d->dom: carry on by domid. */
        size_t j = 0;
        while (j < d->nr_dom && d->dom[j].domid <= domid) j++;
        i = j - 1;
    }
    FOR_SUBSYS(d, s)
        if (s->tick) s->tick(d);
}

/*----- configuration -----*/

static int check_config(xres_daemon *d, const xres_config *cfg)
{
    const xres_subsys *s;
    int rc;

    if (!d->opts.subsystems) return 0;
    FOR_SUBSYS(d, s) {
        if (!s->check_config) continue;
        rc = s->check_config(d, cfg);
        if (rc) return rc;
    }
    return 0;
}

int xres_daemon_load_config(xres_daemon *d, const char *path,
                            bool missing_ok, char *err, size_t errlen)
{
    xres_config cfg;
    int rc;

    xres_config_init(&cfg);
    rc = xres_config_load(&cfg, path, missing_ok, err, errlen);
    if (rc) goto out;
    rc = check_config(d, &cfg);
    if (rc) {
        snprintf(err, errlen, "%s: rejected (see the messages above)",
                 path ? path : "configuration");
        goto out;
    }
    if (path != d->config_path) {
        char *p = path ? strdup(path) : NULL;
        if (path && !p) { rc = -ENOMEM; goto out; }
        free(d->config_path);
        d->config_path = p;
    }
    d->config_missing_ok = missing_ok;
    xres_config_dispose(&d->cfg);
    d->cfg = cfg;
    xres_config_init(&cfg);
out:
    xres_config_dispose(&cfg);
    return rc;
}

int xres_daemon_reload(xres_daemon *d)
{
    const xres_subsys *s;
    char err[512];
    int rc;

    rc = xres_daemon_load_config(d, d->config_path, d->config_missing_ok,
                                 err, sizeof(err));
    if (rc) {
        XLOG_ERR("%s; keeping the previous configuration", err);
        return rc;
    }
    XLOG_INFO("configuration reloaded from %s",
              d->config_path ? d->config_path : "(defaults)");
    d->host_stale = true;
    xres_daemon_refresh(d);
    FOR_SUBSYS(d, s)
        if (s->reload) s->reload(d);
    return 0;
}

/*----- init / loop -----*/

int xres_daemon_init(xres_daemon *d, xres_backend *be,
                     const xres_daemon_opts *opts)
{
    const xres_subsys *s;
    char err[512];
    sigset_t set;
    int rc;
    size_t ninit = 0;

    /* d->cfg may have been loaded already; keep it. */
    d->be = be;
    d->opts = *opts;
    if (!d->opts.subsystems) d->opts.subsystems = xres_default_subsystems;
    d->listen_fd = d->sig_fd = d->stop_fd = -1;
    for (int i = 0; i < XRES_MAX_CONNS; i++) d->conns[i].fd = -1;
    xres_host_init(&d->host);

    if (!d->cfg.socket) {
        rc = xres_daemon_load_config(d, NULL, true, err, sizeof(err));
        if (rc) { XLOG_ERR("%s", err); goto out; }
    } else {
        rc = check_config(d, &d->cfg);
        if (rc) { XLOG_ERR("configuration rejected"); goto out; }
    }

    d->socket_path = strdup(opts->socket_path ? opts->socket_path
                                              : d->cfg.socket);
    if (!d->socket_path) { rc = -ENOMEM; goto out; }
    rc = xres_ipc_listen(d->socket_path, &d->listen_fd);
    if (rc == -EADDRINUSE) {
        XLOG_ERR("another xresd is already running on %s", d->socket_path);
        goto out;
    }
    if (rc == -EEXIST) {
        XLOG_ERR("cannot listen on %s: a file that is not a socket is in "
                 "the way; remove it", d->socket_path);
        goto out;
    }
    if (rc) {
        XLOG_ERR("cannot listen on %s: %s", d->socket_path, strerror(-rc));
        goto out;
    }

    d->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d->stop_fd < 0) { rc = -errno; goto out; }
    if (d->opts.use_signals) {
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) { rc = -errno; goto out; }
        d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (d->sig_fd < 0) { rc = -errno; goto out; }
        signal(SIGPIPE, SIG_IGN);
    }

    /* Where the daemon keeps its state: dom0 only. */
    {
        xres_perm_entry p = { 0, XRES_PERM_NONE };
        char path[XRES_SCHEMA_PATH_MAX];
        rc = xres_schema_path(path, sizeof(path), XS_DOM0_ROOT, 0, NULL);
        if (!rc) rc = be->ops->xs_mkdir(be, path);
        if (!rc) rc = be->ops->xs_set_perms(be, path, &p, 1);
        if (rc) XLOG_WARN("cannot create %s: %s", path, strerror(-rc));
    }
    rc = be->ops->watch_domains(be);
    if (!rc) rc = be->ops->xs_watch(be, "@introduceDomain",
                                    XRES_WATCH_INTRODUCE);
    if (!rc) rc = be->ops->xs_watch(be, "@releaseDomain",
                                    XRES_WATCH_RELEASE);
    if (rc) {
        XLOG_ERR("cannot watch for domains: %s", strerror(-rc));
        goto out;
    }
    rc = xres_daemon_refresh(d);
    if (rc) goto out;

    FOR_SUBSYS(d, s) {
        if (s->init) {
            rc = s->init(d);
            if (rc) {
                XLOG_ERR("%s: cannot start: %s", s->name, strerror(-rc));
                goto out;
            }
        }
        ninit++;
    }
    d->next_tick_ms = xres_monotonic_ms() + (uint64_t)d->cfg.tick_ms;
    d->last_loop_ms = xres_monotonic_ms();
    XLOG_INFO("xresd %s started: backend %s, %zu domains, socket %s",
              XRES_VERSION, be->ops->name, d->host.nr_domains,
              d->socket_path);
    rc = 0;
out:
    if (rc) {
        /* Undo only the subsystems that started. */
        for (size_t i = ninit; i-- > 0;)
            if (d->opts.subsystems[i]->dispose)
                d->opts.subsystems[i]->dispose(d);
        d->opts.subsystems = no_subsystems;
        xres_daemon_dispose(d);
    }
    return rc;
}

void xres_daemon_dispose(xres_daemon *d)
{
    const xres_subsys *s;
    size_t n = 0;

    if (d->opts.subsystems) {
        FOR_SUBSYS(d, s) n++;
        while (n-- > 0)
            if (d->opts.subsystems[n]->dispose)
                d->opts.subsystems[n]->dispose(d);
    }
    for (int i = 0; i < XRES_MAX_CONNS; i++)
        if (d->conns[i].fd >= 0 || d->conns[i].buf) conn_close(&d->conns[i]);
    if (d->be && d->be->ops) {
        while (d->nr_dom) domain_gone(d, &d->dom[d->nr_dom - 1]);
    }
    if (d->listen_fd >= 0) {
        close(d->listen_fd);
        if (d->socket_path) unlink(d->socket_path);
    }
    if (d->sig_fd >= 0) close(d->sig_fd);
    if (d->stop_fd >= 0) close(d->stop_fd);
    free(d->dom);
    free(d->socket_path);
    free(d->config_path);
    xres_host_dispose(&d->host);
    xres_config_dispose(&d->cfg);
    memset(d, 0, sizeof(*d));
    d->listen_fd = d->sig_fd = d->stop_fd = -1;
}

void xres_daemon_stop(xres_daemon *d)
{
    uint64_t one = 1;

    d->quit = true;
    if (d->stop_fd >= 0 && write(d->stop_fd, &one, sizeof(one)) < 0) {}
}

static void handle_signals(xres_daemon *d)
{
    struct signalfd_siginfo si;

    while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGHUP:
            xres_daemon_reload(d);
            break;
        case SIGTERM:
        case SIGINT:
            XLOG_INFO("signal %u: exiting; domains are left as they are",
                      si.ssi_signo);
            d->quit = true;
            break;
        }
    }
}

static bool is_sim(const xres_daemon *d)
{
    return !strcmp(d->be->ops->name, "sim");
}

int xres_daemon_run_once(xres_daemon *d, int timeout_ms)
{
    struct pollfd pfd[4 + BACKEND_FDS_MAX + XRES_MAX_CONNS];
    int bfds[BACKEND_FDS_MAX];
    unsigned nb = 0;
    int n = 0, i_stop, i_sig = -1, i_listen, i_be, i_conn, r;
    uint64_t now = xres_monotonic_ms();
    int timeout, rwait;
    bool more;

    if (d->opts.sim_realtime && is_sim(d)) {
        if (now > d->last_loop_ms) xres_sim_advance(d->be,
                                                    now - d->last_loop_ms);
        d->last_loop_ms = now;
    }

    /* Work already pending decides how long we may sleep. */
    more = drain_events(d);
    rwait = process_reports(d, now);
    timeout = now >= d->next_tick_ms ? 0 : (int)(d->next_tick_ms - now);
    if (timeout_ms >= 0 && timeout_ms < timeout) timeout = timeout_ms;
    if (more) timeout = 0;
    if (rwait >= 0 && rwait < timeout) timeout = rwait;
    for (int i = 0; i < XRES_MAX_CONNS; i++) {
        if (d->conns[i].fd < 0) continue;
        int w = now >= d->conns[i].deadline_ms ? 0
            : (int)(d->conns[i].deadline_ms - now);
        if (w < timeout) timeout = w;
    }

    i_stop = n;
    pfd[n++] = (struct pollfd){ .fd = d->stop_fd, .events = POLLIN };
    if (d->sig_fd >= 0) {
        i_sig = n;
        pfd[n++] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
    }
    i_listen = n;
    pfd[n++] = (struct pollfd){ .fd = d->listen_fd, .events = POLLIN };
    i_be = n;
    if (d->be->ops->poll_fds(d->be, bfds, BACKEND_FDS_MAX, &nb)) nb = 0;
    for (unsigned i = 0; i < nb; i++)
        pfd[n++] = (struct pollfd){ .fd = bfds[i], .events = POLLIN };
    if (nb && timeout > BACKEND_POLL_CAP_MS) timeout = BACKEND_POLL_CAP_MS;
    if (d->opts.sim_realtime && is_sim(d) && timeout > SIM_POLL_CAP_MS)
        timeout = SIM_POLL_CAP_MS;
    i_conn = n;
    int conn_idx[XRES_MAX_CONNS];
    for (int i = 0; i < XRES_MAX_CONNS; i++) {
        if (d->conns[i].fd < 0) continue;
        conn_idx[n - i_conn] = i;
        pfd[n++] = (struct pollfd){
            .fd = d->conns[i].fd,
            .events = d->conns[i].writing ? POLLOUT : POLLIN,
        };
    }

    r = poll(pfd, n, timeout);
    if (r < 0 && errno != EINTR) {
        XLOG_ERR("poll: %s", strerror(errno));
        return -errno;
    }
    now = xres_monotonic_ms();
    if (r > 0) {
        if (pfd[i_stop].revents) {
            uint64_t v;
            if (read(d->stop_fd, &v, sizeof(v)) < 0) {}
        }
        if (i_sig >= 0 && pfd[i_sig].revents) handle_signals(d);
        for (int i = i_conn; i < n; i++) {
            xres_conn *c = &d->conns[conn_idx[i - i_conn]];
            if (!pfd[i].revents || c->fd != pfd[i].fd) continue;
            if (c->writing) conn_write(c);
            else conn_read(d, c);
            if (c->fd >= 0 && c->writing) conn_write(c);
        }
        if (pfd[i_listen].revents) accept_conns(d, now);
    }
    (void)i_be;
    drain_events(d);
    /* New or vanished domains: pick them up (and watch their reports)
     * now rather than at the next tick. */
    xres_daemon_refresh_if_stale(d);
    conns_expire(d, now);
    if (now >= d->next_tick_ms) {
        /* Set before the tick, so that a subsystem may ask for an
         * earlier one (a memory move in flight checks every 500 ms). */
        d->next_tick_ms = xres_monotonic_ms() + (uint64_t)d->cfg.tick_ms;
        xres_daemon_tick(d);
    }
    return 0;
}

int xres_daemon_run(xres_daemon *d)
{
    while (!d->quit) {
        int rc = xres_daemon_run_once(d, -1);
        if (rc && rc != -EINTR) return rc;
    }
    return 0;
}
