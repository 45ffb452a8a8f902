/*
 * guest-agent/agent_main.c: xres-agent's entry point and main loop.  It
 * samples the guest, writes reports under data/xres through libxenstore
 * (rate-limited by xres_agent_should_write: agent_main_report.c), checks
 * applications (agent_main_apps.c), carries out requests from dom0 (an
 * XenStore watch on xres/request, no polling; the watch has a connection
 * of its own, see agent_xswatch.c; agent_main_requests.c), and listens on
 * a local socket for `xres-agent notify APP LEVEL`.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agent_main.h"

static volatile sig_atomic_t quit;
static bool use_syslog;

void agent_say(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (use_syslog) {
        vsyslog(prio, fmt, ap);
    } else {
        fputs("xres-agent: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
    va_end(ap);
}

/* The loop's clock.  The coarse clock (a few ms) is read in the vDSO
 * without a system call even where the guest's clocksource has no vDSO
 * support, as under Xen PV without a stable TSC. */
uint64_t agent_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

/* --- XenStore helpers: paths always come from the schema. */

int agent_path_of(agent *a, char *buf, xres_schema_id id, const char *arg)
{
    int rc = xres_schema_path(buf, XRES_SCHEMA_PATH_MAX, id, a->domid, arg);
    if (rc) agent_say(LOG_ERR, "cannot build path %s (%s): %s",
                      xres_schema_row_get(id)->ident, arg ? arg : "-",
                      strerror(-rc));
    return rc;
}

bool agent_xwrite(agent *a, xs_transaction_t t, xres_schema_id id,
                  const char *arg, const char *val)
{
    char p[XRES_SCHEMA_PATH_MAX];

    if (agent_path_of(a, p, id, arg)) return false;
    return xs_write(a->xs, t, p, val, strlen(val));
}

void agent_xrm(agent *a, xres_schema_id id, const char *arg)
{
    char p[XRES_SCHEMA_PATH_MAX];

    if (!agent_path_of(a, p, id, arg)) xs_rm(a->xs, XBT_NULL, p);
}

/* --- Start-up and the loop. */

static int xs_setup(agent *a)
{
    char rel[XRES_SCHEMA_PATH_MAX], why[XRES_SCHEMA_WHY_MAX];
    unsigned len;
    uint64_t domid;

    a->xs = xs_open(0);
    if (!a->xs) {
        agent_say(LOG_ERR, "cannot open XenStore: %s (is this a Xen guest with "
            "/dev/xen/xenbus?)", strerror(errno));
        return -1;
    }
    xres_schema_relpath(rel, sizeof(rel), XS_XEN_DOMID, NULL);
    char *v = xs_read(a->xs, XBT_NULL, rel, &len);
    if (!v) {
        agent_say(LOG_ERR, "cannot read my domid: %s", strerror(errno));
        return -1;
    }
    int rc = xres_schema_parse_u64(XS_XEN_DOMID, v, len, &domid, why,
                                   sizeof(why));
    free(v);
    if (rc) {
        agent_say(LOG_ERR, "bad domid: %s", why);
        return -1;
    }
    a->domid = (uint32_t)domid;
    /* Applications removed from agent.conf must not linger. */
    agent_xrm(a, XS_REPORT_APP_DIR, NULL);
    if (agent_path_of(a, a->req_dir, XS_REQ_DIR, NULL)) return -1;
    if ((rc = xres_xsw_open(&a->w)) ||
        (rc = xres_xsw_watch(&a->w, a->req_dir, "req"))) {
        agent_say(LOG_ERR, "cannot watch %s: %s", a->req_dir, strerror(-rc));
        return -1;
    }
    if ((rc = xres_xsw_open(&a->rw))) {
        agent_say(LOG_ERR, "cannot open a XenStore connection for reports: %s",
                  strerror(-rc));
        return -1;
    }
    agent_say(LOG_INFO, "reporting for domain %" PRIu32 ", %zu applications",
              a->domid, a->cfg.napps);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: xres-agent [OPTIONS]         run the agent\n"
"       xres-agent notify APP LEVEL  set an application's fault level\n"
"\n"
"Reports this guest's memory, CPU and application health to dom0 through\n"
"XenStore (data/xres/...) and carries out xres requests.\n"
"\n"
"  -c, --config FILE      configuration (default " XRES_AGENT_CONF ")\n"
"      --interval-ms N    at most one report per N ms (default 1000)\n"
"      --heartbeat S      a report at least every S seconds (default 10)\n"
"      --change-kb N      report sooner after a memory change of N KiB\n"
"      --change-cpu N     ... or a CPU change of N points of %%\n"
"      --socket PATH      notify socket (default " XRES_AGENT_SOCKET ")\n"
"      --print            print reports to stdout; no XenStore\n"
"      --once             write one report and exit\n"
"      --syslog           log to syslog instead of stderr\n"
"      --check-config     read the configuration, report errors and\n"
"                         unknown keys, exit 1 if there are any\n"
"  -v, --verbose          log every report and request\n"
"  -h, --help             this text\n"
"  -V, --version          print the version\n"
"\n"
"LEVEL: 0 healthy, 1 restart me, 2 restarting did not help, 3 serious\n"
"fault, 4 my memory cannot be used.  See xres-agent(8).\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "interval-ms", required_argument, NULL, 1 },
        { "heartbeat", required_argument, NULL, 2 },
        { "change-kb", required_argument, NULL, 3 },
        { "change-cpu", required_argument, NULL, 4 },
        { "socket", required_argument, NULL, 5 },
        { "print", no_argument, NULL, 6 },
        { "once", no_argument, NULL, 7 },
        { "syslog", no_argument, NULL, 8 },
        { "check-config", no_argument, NULL, 9 },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    static agent a;
    const char *conf = XRES_AGENT_CONF, *sock = NULL;
    long long ov[5] = { -1, -1, -1, -1, -1 };
    char err[300];
    int c, rc = 1;
    bool check_only = false;

    while ((c = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'c': conf = optarg; break;
        case 1: case 2: case 3: case 4:
            errno = 0;
            ov[c] = strtoll(optarg, &end, 10);
            if (errno || *end || ov[c] < 0) {
                fprintf(stderr, "xres-agent: %s: not a number: %s\n",
                        opts[c].name, optarg);
                return 2;
            }
            break;
        case 5: sock = optarg; break;
        case 6: a.print = true; break;
        case 7: a.once = true; break;
        case 8: use_syslog = true; break;
        case 9: check_only = true; break;
        case 'v': a.verbose = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("xres-agent %s\n", XRES_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (use_syslog) openlog("xres-agent", LOG_PID, LOG_DAEMON);
    if (xres_agent_cfg_load(&a.cfg, conf, err, sizeof(err))) {
        agent_say(LOG_ERR, "%s", err);
        if (use_syslog) fprintf(stderr, "xres-agent: %s\n", err);
        return 1;
    }
    /* Unknown keys: a warning each, to syslog and stderr; the agent goes
     * on, --check-config fails. */
    for (char *l = a.cfg.unknown, *nl; *l; l = nl + 1) {
        nl = strchr(l, '\n');
        if (!nl) break;
        *nl = 0;
        agent_say(LOG_WARNING, "%s", l);
        if (use_syslog) fprintf(stderr, "xres-agent: %s\n", l);
        *nl = '\n';
    }
    if (check_only) {
        if (a.cfg.nunknown) {
            fprintf(stderr, "xres-agent: %s: %u unknown key%s\n", conf,
                    a.cfg.nunknown, a.cfg.nunknown == 1 ? "" : "s");
            return 1;
        }
        printf("%s: ok, %zu application%s\n", conf, a.cfg.napps,
               a.cfg.napps == 1 ? "" : "s");
        return 0;
    }
    if (sock) snprintf(a.cfg.socket, sizeof(a.cfg.socket), "%s", sock);
    xres_alloc_init(&a.alloc);
    a.alloc.cfg = a.cfg.alloc;

    if (optind < argc) {
        if (!strcmp(argv[optind], "notify") && argc - optind == 3)
            return agent_cmd_notify(a.cfg.socket, argv[optind + 1],
                                    argv[optind + 2]);
        usage(stderr);
        return 2;
    }
    if (ov[1] >= 0) a.cfg.interval_ms = (unsigned)ov[1];
    if (ov[2] >= 0) a.cfg.heartbeat_s = (unsigned)ov[2];
    if (ov[3] >= 0) a.cfg.change_kb = (uint64_t)ov[3];
    if (ov[4] >= 0) a.cfg.change_cpu = (unsigned)ov[4];
    if (a.cfg.interval_ms < 100 || a.cfg.heartbeat_s < 1 ||
        a.cfg.heartbeat_s > 600 || a.cfg.change_cpu < 1 ||
        a.cfg.heartbeat_s * 1000ULL < a.cfg.interval_ms) {
        agent_say(LOG_ERR, "bad rate limits: interval-ms >= 100, heartbeat "
                  "1..600 s and not shorter than the interval, change-cpu "
                  ">= 1");
        return 2;
    }

    /* agent.conf's nice; commands go back to the priority the agent was
     * started with. */
    errno = 0;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    if (errno) nice0 = 0;
    xres_job_set_nice(nice0);
    if (a.cfg.nice != nice0 && setpriority(PRIO_PROCESS, 0, a.cfg.nice))
        agent_say(LOG_WARNING, "cannot set nice %d: %s", a.cfg.nice,
                  strerror(errno));

    /* One malloc arena: libxenstore's watch thread needs no arena of its
     * own (each costs memory). */
    mallopt(M_ARENA_MAX, 1);
    a.paths = &xres_agent_default_paths;
    a.listen_fd = -1;
    a.w.fd = -1;
    a.rw.fd = -1;
    xres_agent_fds_init(&a.fds);
    xres_jobs_init(&a.jobs);
    /* SIGCHLD only through the signalfd: children get it unblocked. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    a.sigchld_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a.sigchld_fd < 0)
        agent_say(LOG_WARNING, "no signalfd (%s): commands are reaped on the "
                  "next tick", strerror(errno));
    for (size_t i = 0; i < a.cfg.napps; i++) {
        xres_app_state_init(&a.app[i]);
        xres_pid_watch_init(&a.pw[i]);
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!a.print && xs_setup(&a)) goto out;
    if (!a.once && (rc = agent_open_socket(&a)))
        agent_say(LOG_WARNING, "no notify socket at %s: %s", a.cfg.socket,
                  strerror(-rc));
    rc = 1;

    /* One timer: reports every period, health checks every
     * check_interval on the same grid (so they share wake-ups), and job
     * deadlines.  Otherwise the agent sleeps in poll() until XenStore, the
     * notify socket or a child's end (SIGCHLD, through a signalfd) wakes
     * it. */
    uint64_t period = a.cfg.interval_ms < 1000 ? a.cfg.interval_ms : 1000;
    uint64_t check_every = a.cfg.check_interval_s * 1000ULL;
    bool trimmed = false;
    uint64_t t = agent_now_ms(), next_report, next_check;
    /* The CPU share needs a first reading to compare with. */
    (void)xres_agent_sample_read(a.paths, &a.fds, &(xres_agent_sample){ 0 },
                                 &a.cpu, NULL);
    if (!a.once) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    t = agent_now_ms();
    next_report = next_check = t;
    while (!quit) {
        if (t >= next_check) {
            unsigned before = a.apps_gen;
            agent_apps_tick(&a);
            while (next_check <= t) next_check += check_every;
            /* A status change goes out now (the rate limit still holds). */
            if (a.apps_gen != before) next_report = t;
        }
        if (t >= next_report) {
            /* The rate limit counts on the timer's grid, not on when
             * poll() happened to return: a wake-up a few ms late must not
             * make the next tick look early (with interval 1000 ms that
             * skipped one report in three). */
            uint64_t due = next_report;
            while (due + period <= t) due += period;
            agent_report_tick(&a, due);
            agent_releases_tick(&a, t);
            agent_asks_tick(&a, t);
            uint64_t aseq;
            char aack[XRES_ACK_DETAIL_MAX + 16];
            if (a.xs && xres_alloc_poll(&a.alloc, t, &aseq, aack,
                                        sizeof(aack))) {
                agent_say(LOG_INFO, "analysis for request %" PRIu64 ": %s",
                          aseq, aack);
                agent_write_ack(&a, aseq, aack);
            }
            next_report = due + period;
        }
        if (a.once) {
            if (a.written && a.xs) agent_report_finish(&a);
            rc = a.written && !a.refresh ? 0 : 1;
            goto out;
        }
        if (!trimmed && a.written) {
            xres_agent_trim();
            trimmed = true;
        }
        unsigned gen = a.apps_gen;

        struct pollfd pf[3];
        nfds_t nfd = 0;
        if (a.xs) pf[nfd++] = (struct pollfd){ a.w.fd, POLLIN, 0 };
        if (a.listen_fd >= 0)
            pf[nfd++] = (struct pollfd){ a.listen_fd, POLLIN, 0 };
        if (a.sigchld_fd >= 0)
            pf[nfd++] = (struct pollfd){ a.sigchld_fd, POLLIN, 0 };
        uint64_t wake = next_report < next_check ? next_report : next_check;
        uint64_t jd = xres_jobs_next_deadline(&a.jobs);
        if (jd < wake) wake = jd;
        t = agent_now_ms();
        int timeout = wake > t ? (int)(wake - t) : 0;
        /* Watch events read during a report are handled at once. */
        if (a.xs && (a.w.events || a.w.rlen)) timeout = 0;
        int n = poll(pf, nfd, timeout);
        if (n < 0 && errno != EINTR) {
            agent_say(LOG_ERR, "poll: %s", strerror(errno));
            goto out;
        }
        if (a.xs && (a.w.events || a.w.rlen) && agent_handle_watch(&a))
            goto out;
        for (nfds_t i = 0; n > 0 && i < nfd; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (a.xs && pf[i].fd == a.w.fd) {
                if (agent_handle_watch(&a)) goto out;
            } else if (pf[i].fd == a.sigchld_fd) {
                struct signalfd_siginfo si;
                while (read(a.sigchld_fd, &si, sizeof(si)) == sizeof(si)) {}
            } else {
                agent_handle_notify(&a);
            }
        }
        t = agent_now_ms();
        /* Reap what ended, kill what overran. */
        if (xres_jobs_running(&a.jobs))
            xres_jobs_poll(&a.jobs, t, agent_job_done, &a);
        /* An application's status changed: report it without waiting for
         * the period (the rate limit still applies). */
        if (a.apps_gen != gen) next_report = t;
    }
    rc = 0;
out:
    xres_alloc_dispose(&a.alloc);
    if (a.listen_fd >= 0) {
        close(a.listen_fd);
        unlink(a.cfg.socket);
    }
    if (a.xs) {
        /* The last report's reply first: it must not land after the
         * removal below, which goes out on another connection. */
        if (a.rw.fd >= 0) agent_report_finish(&a);
        if (quit) {
            /* Gone: dom0 sees "no agent" at once rather than a stale one. */
            agent_xrm(&a, XS_REPORT, NULL);
        }
        xs_close(a.xs);
        xres_xsw_close(&a.w);
        xres_xsw_close(&a.rw);
    }
    xres_agent_fds_dispose(&a.fds);
    for (size_t i = 0; i < a.cfg.napps; i++) xres_pid_watch_dispose(&a.pw[i]);
    if (a.sigchld_fd >= 0) close(a.sigchld_fd);
    if (quit) agent_say(LOG_INFO, "stopped");
    return rc;
}
