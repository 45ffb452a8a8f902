/*
 * dom0/daemon/daemon.c: xresd's core (daemon.h): start-up and shutdown,
 * the configuration and its reload, signals, and the poll loop.  The
 * per-domain state is in domains.c, the IPC server in server.c.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core_int.h"
#include "ipc.h"
#include "log.h"
#include "policy_mem.h"
#include "util.h"
#include "xs_schema.h"

#define BACKEND_FDS_MAX 16
#define BACKEND_POLL_CAP_MS 1000    /* service libxl's own timeouts */

static const xres_subsys *const no_subsystems[] = { NULL };

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
    d->clock = opts->clock ? opts->clock : xres_clock_monotonic();
    {
        xres_mem_params mp;
        xres_mem_params_default(&mp);
        d->mem_tol_kb = mp.tolerance_kb;
    }
    if (!d->opts.subsystems) d->opts.subsystems = xres_default_subsystems;
    d->listen_fd = d->sig_fd = d->stop_fd = -1;
    for (int i = 0; i < XRES_MAX_CONNS; i++) d->conns[i].fd = -1;
    xres_host_init(&d->host);
    FOR_SUBSYS(d, s) ninit++;
    if (ninit > XRES_SUBSYS_MAX) {
        XLOG_ERR("%zu subsystems: at most %d", ninit, XRES_SUBSYS_MAX);
        d->opts.subsystems = no_subsystems;
        rc = -E2BIG;
        goto out;
    }
    ninit = 0;

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
    rc = xres_ipc_listen(d->socket_path, d->cfg.socket_gid, &d->listen_fd);
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
    xres_path_stats_reset(&d->pstats, xres_daemon_now_ms(d));
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
    d->next_tick_ms = xres_daemon_now_ms(d) + (uint64_t)d->cfg.tick_ms;
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
        if (d->conns[i].fd >= 0 || d->conns[i].buf) core_conn_close(&d->conns[i]);
    if (d->be && d->be->ops) {
        while (d->nr_dom) core_domain_gone(d, &d->dom[d->nr_dom - 1]);
    }
    if (d->listen_fd >= 0) {
        close(d->listen_fd);
        if (d->socket_path) unlink(d->socket_path);
    }
    if (d->sig_fd >= 0) close(d->sig_fd);
    if (d->stop_fd >= 0) close(d->stop_fd);
    free(d->dom);
    free(d->dirtyq);
    free(d->socket_path);
    free(d->config_path);
    xres_host_dispose(&d->host);
    xres_config_dispose(&d->cfg);
    memset(d, 0, sizeof(*d));
    d->listen_fd = d->sig_fd = d->stop_fd = -1;
}

void xres_daemon_note_policy(xres_daemon *d, uint64_t ns)
{
    d->pstats.policy_runs++;
    xres_stat_add(&d->pstats.step[XRES_PATH_POLICY], ns);
}

uint64_t xres_daemon_now_ms(const xres_daemon *d)
{
    return xres_clock_now_ms(d->clock);
}

static int subsys_index(const xres_daemon *d, const xres_subsys *s)
{
    for (int i = 0; d->opts.subsystems && d->opts.subsystems[i] &&
                    i < XRES_SUBSYS_MAX; i++)
        if (d->opts.subsystems[i] == s) return i;
    return -1;
}

void *xres_daemon_priv(const xres_daemon *d, const xres_subsys *s)
{
    int i = subsys_index(d, s);

    return i < 0 ? NULL : d->priv[i];
}

int xres_daemon_set_priv(xres_daemon *d, const xres_subsys *s, void *priv)
{
    int i = subsys_index(d, s);

    if (i < 0) return -ENOENT;
    d->priv[i] = priv;
    return 0;
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

int xres_daemon_run_once(xres_daemon *d, int timeout_ms)
{
    struct pollfd pfd[4 + BACKEND_FDS_MAX + XRES_SUBSYS_FDS_MAX +
                      XRES_MAX_CONNS];
    int bfds[BACKEND_FDS_MAX], sfds[XRES_SUBSYS_FDS_MAX];
    const xres_subsys *sown[XRES_SUBSYS_FDS_MAX], *s;
    unsigned nb = 0, ns = 0;
    int n = 0, i_stop, i_sig = -1, i_listen, i_be, i_sub, i_conn, r;
    uint64_t now = xres_daemon_now_ms(d);
    int timeout, rwait;
    bool more;

    d->loop_iter++;
    /* Work already pending decides how long we may sleep. */
    more = core_drain_events(d);
    rwait = core_process_reports(d, now);
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
    /* The subsystems' own fds (subsys.h poll_fds). */
    i_sub = n;
    FOR_SUBSYS(d, s) {
        unsigned k;
        if (!s->poll_fds) continue;
        k = s->poll_fds(d, sfds + ns, XRES_SUBSYS_FDS_MAX - ns);
        if (k > XRES_SUBSYS_FDS_MAX - ns) k = XRES_SUBSYS_FDS_MAX - ns;
        for (unsigned j = 0; j < k; j++) {
            sown[ns] = s;
            pfd[n++] = (struct pollfd){ .fd = sfds[ns++], .events = POLLIN };
        }
    }
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
    now = xres_daemon_now_ms(d);
    if (r > 0) {
        if (pfd[i_stop].revents) {
            uint64_t v;
            if (read(d->stop_fd, &v, sizeof(v)) < 0) {}
        }
        if (i_sig >= 0 && pfd[i_sig].revents) handle_signals(d);
        for (unsigned j = 0; j < ns; j++)
            if (pfd[i_sub + (int)j].revents && sown[j]->on_fd)
                sown[j]->on_fd(d, sfds[j]);
        for (int i = i_conn; i < n; i++) {
            xres_conn *c = &d->conns[conn_idx[i - i_conn]];
            if (!pfd[i].revents || c->fd != pfd[i].fd) continue;
            if (c->writing) core_conn_write(c);
            else core_conn_read(d, c);
            if (c->fd >= 0 && c->writing) core_conn_write(c);
        }
        if (pfd[i_listen].revents) core_accept_conns(d, now);
    }
    (void)i_be;
    core_drain_events(d);
    /* New or vanished domains: pick them up (and watch their reports)
     * now rather than at the next tick. */
    xres_daemon_refresh_if_stale(d);
    /* A report that came while we slept is acted on now. */
    core_process_reports(d, now);
    core_conns_expire(d, now);
    if (now >= d->next_tick_ms) {
        /* Set before the tick, so that a subsystem may ask for an
         * earlier one (a memory move in flight checks every 500 ms). */
        d->next_tick_ms = xres_daemon_now_ms(d) + (uint64_t)d->cfg.tick_ms;
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
