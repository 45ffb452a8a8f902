/*
 * dom0/daemon/server.c: xresd's IPC server: non-blocking client
 * connections on the listening socket, the built-in `list` and `version`
 * commands, and the hand-off of every other command to the subsystems.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core_int.h"
#include "ipc.h"
#include "log.h"

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

void core_conn_close(xres_conn *c)
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

    if (!g) { core_conn_close(c); return; }
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
    if (!strcmp(cmd, "stats")) {
        yajl_val reset = yajl_tree_get(req, (const char *[]){ "reset", NULL },
                                       yajl_t_any);
        uint64_t now = xres_daemon_now_ms(d);
        xres_ipc_reply_ok_begin(*gp);
        xres_path_stats_json(&d->pstats, now, *gp);
        xres_json_kv_bool(*gp, "reset", YAJL_IS_TRUE(reset));
        yajl_gen_map_close(*gp);
        if (YAJL_IS_TRUE(reset)) xres_path_stats_reset(&d->pstats, now);
        return;
    }
    if (!strcmp(cmd, "version")) {
        xres_ipc_reply_ok_begin(*gp);
        xres_json_kv_str(*gp, "version", XRES_VERSION);
        xres_json_kv_str(*gp, "backend", d->be->ops->name);
        yajl_gen_map_close(*gp);
        return;
    }
    /* An operator's command works on the host as it is now (a failed
     * snapshot is logged, and the last one is kept). */
    (void)xres_daemon_refresh(d);
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

#define REFUSED_LOG_MS 60000      /* one log line a minute at most */

/* Defence in depth behind the socket's mode: a peer that is neither root
 * nor in socket_group (SO_PEERCRED) gets its request answered with an
 * error, one log line a minute. */
static bool peer_refused(xres_daemon *d, int fd, uint64_t now)
{
    uid_t uid = (uid_t)-1;

    if (xres_ipc_peer_allowed(fd, d->cfg.socket_gid, &uid) == 1)
        return false;
    d->nr_refused++;
    if (!d->refused_log_ms || now >= d->refused_log_ms + REFUSED_LOG_MS) {
        XLOG_WARN("refused a client of uid %ld on %s: neither root nor in "
                  "socket_group (%" PRIu64 " refused so far)", (long)uid,
                  d->socket_path, d->nr_refused);
        d->refused_log_ms = now ? now : 1;
    }
    return true;
}

static void conn_reply_refused(xres_daemon *d, xres_conn *c)
{
    char msg[256];

    snprintf(msg, sizeof(msg), "permission denied on %s: xres needs root%s%s",
             d->socket_path,
             d->cfg.socket_group ? " or membership of group " : "",
             d->cfg.socket_group ? d->cfg.socket_group : "");
    conn_reply_error(c, "%s", msg);
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

    if (c->refused) {
        conn_reply_refused(d, c);
        return true;
    }
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
    if (!g) { core_conn_close(c); return true; }
    conn_reply(c, g);
    yajl_gen_free(g);
    return true;
}

int xres_daemon_answer(xres_daemon *d, const char *req, size_t len,
                       char **reply, size_t *replylen)
{
    xres_conn c = { .fd = -1 };

    *reply = NULL;
    *replylen = 0;
    if (len > XRES_IPC_REQ_MAX) return -E2BIG;
    c.buf = malloc(len + 1);
    if (!c.buf) return -ENOMEM;
    memcpy(c.buf, req, len);
    c.len = c.cap = len;
    conn_handle_request(d, &c, true);
    if (!c.buf || !c.writing) {
        free(c.buf);
        return -ENOMEM;
    }
    *reply = c.buf;
    *replylen = c.len;
    return 0;
}

void core_conn_read(xres_daemon *d, xres_conn *c)
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
            if (!nb) { core_conn_close(c); return; }
            c->buf = nb;
            c->cap = ncap;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) core_conn_close(c);
            return;
        }
        if (r == 0) {
            if (c->len == 0) { core_conn_close(c); return; }
            conn_handle_request(d, c, true);
            return;
        }
        bool nl = memchr(c->buf + c->len, '\n', r) != NULL;
        c->len += r;
        if (nl && conn_handle_request(d, c, false)) return;
    }
}

void core_conn_write(xres_conn *c)
{
    while (c->off < c->len) {
        ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off,
                         MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) core_conn_close(c);
            return;
        }
        c->off += w;
    }
    core_conn_close(c);
}

void core_accept_conns(xres_daemon *d, uint64_t now)
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
        c->refused = peer_refused(d, fd, now);
        c->deadline_ms = now + XRES_IPC_TIMEOUT_MS;
    }
}

void core_conns_expire(xres_daemon *d, uint64_t now)
{
    for (int i = 0; i < XRES_MAX_CONNS; i++) {
        xres_conn *c = &d->conns[i];
        if (c->fd < 0 || now < c->deadline_ms) continue;
        if (c->writing) {
            core_conn_close(c);
        } else {
            /* One last chance to tell the client, then it gets closed at
             * the next expiry. */
            conn_reply_error(c, "%s", "request timed out");
            if (c->fd >= 0) {
                c->deadline_ms = now + 1000;
                core_conn_write(c);
            }
        }
    }
}
