/*
 * guest-agent/agent_main.c: xres-agent's entry point and main loop.  It
 * samples the guest, writes reports under data/xres through libxenstore
 * (rate-limited by xres_agent_should_write), checks applications, carries
 * out requests from dom0 (an XenStore watch on xres/request, no polling;
 * the watch has a connection of its own, see agent_xswatch.c),
 * and listens on a local socket for `xres-agent notify APP LEVEL`.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "agent.h"
#include "agent_alloc.h"
#include "agent_job.h"
#include "agent_release.h"
#include "agent_sys.h"
#include "agent_xswatch.h"

#ifndef XRES_VERSION
#define XRES_VERSION "0.0.0"
#endif

#define RELEASES_MAX 8
#define PENDING_MAX 32
/* The applications' keys are written again at least this often (else
 * only when they change), in case one was lost or clobbered. */
#define REFRESH_MS 600000

typedef struct {
    xres_agent_cfg cfg;
    const xres_agent_paths *paths;
    struct xs_handle *xs;           /* NULL with --print */
    xres_xsw w;                     /* the watch's connection */
    xres_xsw rw;                    /* the reports' connection: not
                                       polled, see write_report */
    uint32_t domid;
    bool print, once, verbose;

    xres_app_state app[XRES_AGENT_APPS_MAX];
    xres_pid_watch pw[XRES_AGENT_APPS_MAX];    /* pidfile checks */
    xres_app_state app_written[XRES_AGENT_APPS_MAX];
    bool app_ever_written[XRES_AGENT_APPS_MAX];
    unsigned apps_gen;

    xres_cpu_times cpu;
    xres_agent_sample last;         /* last written */
    xres_agent_sample sampled;      /* last read */
    uint64_t last_ms, seq, writes;
    uint64_t last_full_ms;          /* applications' keys last all written */
    uint64_t xs_requests;           /* XenStore requests for reports */
    bool written;
    bool refresh;                   /* write every key next time */
    uint64_t balloon_ms;            /* balloon files last read */
    xres_agent_fds fds;             /* /proc and sysfs, kept open */
    xres_jobs jobs;                 /* commands running */
    int sigchld_fd;                 /* signalfd: a job ended */

    struct {
        bool active;
        uint64_t seq, target_kb, deadline_ms;
    } rel[RELEASES_MAX];

    int listen_fd;
    char req_dir[XRES_SCHEMA_PATH_MAX];
    xres_alloc alloc;               /* "alloc PCT": agent_alloc.h */
} agent;

static volatile sig_atomic_t quit;
static bool use_syslog;

static void say(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(int prio, const char *fmt, ...)
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
static uint64_t now_ms(void)
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

static int path_of(agent *a, char *buf, xres_schema_id id, const char *arg)
{
    int rc = xres_schema_path(buf, XRES_SCHEMA_PATH_MAX, id, a->domid, arg);
    if (rc) say(LOG_ERR, "cannot build path %s (%s): %s",
                xres_schema_row_get(id)->ident, arg ? arg : "-",
                strerror(-rc));
    return rc;
}

static bool xwrite(agent *a, xs_transaction_t t, xres_schema_id id,
                   const char *arg, const char *val)
{
    char p[XRES_SCHEMA_PATH_MAX];

    if (path_of(a, p, id, arg)) return false;
    return xs_write(a->xs, t, p, val, strlen(val));
}

static void xrm(agent *a, xres_schema_id id, const char *arg)
{
    char p[XRES_SCHEMA_PATH_MAX];

    if (!path_of(a, p, id, arg)) xs_rm(a->xs, XBT_NULL, p);
}

/* --- Reports. */

/* A figure within row id's bounds: one out of them (a guest with more
 * than 1 PiB, a clock past 2^53 ms) is clamped, not left out. */
static uint64_t clamp_u64(xres_schema_id id, uint64_t v)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    if (v > r->max) v = r->max;
    if (v < r->min) v = r->min;
    return v;
}

static void fmt_u64(char *buf, xres_schema_id id, uint64_t v)
{
    xres_schema_format_u64(id, clamp_u64(id, v), buf, 24);
}

static void app_values(agent *a, size_t i, char lv[24], char rs[24],
                       const char **st)
{
    static const char *states[] = { "running", "stopped", "failed" };

    fmt_u64(lv, XS_REPORT_APP_LEVEL, a->app[i].level);
    fmt_u64(rs, XS_REPORT_APP_RESTARTS, a->app[i].restarts);
    *st = states[xres_app_run_state_of(&a->app[i])];
}

static bool app_changed(const xres_app_state *x, const xres_app_state *y)
{
    return x->level != y->level || x->restarts != y->restarts ||
           xres_app_run_state_of(x) != xres_app_run_state_of(y);
}

/* Takes the reply to the last report, sent without waiting for it. */
static void report_finish(agent *a)
{
    char why[160] = "";
    int rc = xres_xsw_finish(&a->rw, why, sizeof(why));

    if (!rc) return;
    a->refresh = true;
    say(LOG_ERR, "report %" PRIu64 " was not written: %s", a->seq,
        rc == -EIO ? why : strerror(-rc));
}

/* Writes one report: the report record (every figure, in one value) and,
 * when they changed or full is set, the applications' keys, in one
 * transaction with the record.  A report with only the record -- nearly
 * all of them -- is one request whose reply is read before the next
 * one (xres_xsw_write_async). */
static int write_report(agent *a, const xres_agent_sample *s, bool full,
                        uint64_t t_ms)
{
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char rec[600];
    uint64_t next = a->seq + 1;
    int rc;

    memset(f, 0, sizeof(f));
#define FIG(id_, v_) (f[XS_POS_##id_].u64 = clamp_u64(XS_##id_, (v_)))
    FIG(REPORT_SEQ, next);
    FIG(REPORT_HEARTBEAT, t_ms);
    FIG(REPORT_HB_INTERVAL, a->cfg.heartbeat_s);
    FIG(REPORT_MEM_TOTAL, s->mem_total_kb);
    FIG(REPORT_MEM_AVAIL, s->mem_avail_kb);
    FIG(REPORT_MEM_USED, s->mem_used_kb);
    FIG(REPORT_SWAP_USED, s->swap_used_kb);
    FIG(REPORT_BALLOON_CUR, s->balloon_cur_kb);
    FIG(REPORT_BALLOON_TGT, s->balloon_target_kb);
    FIG(REPORT_CPU_PCT, s->cpu_pct);
#undef FIG
    f[XS_POS_REPORT_VERSION].s = XRES_VERSION;
    f[XS_POS_REPORT_VERSION].len = strlen(XRES_VERSION);
    if ((rc = xres_schema_format_record(XS_REPORT, f, rec, sizeof(rec)))) {
        say(LOG_ERR, "cannot format the report: %s", strerror(-rc));
        return rc;
    }

    if (a->print) {
        printf("%s", rec);
        for (size_t i = 0; i < a->cfg.napps; i++) {
            char lv[24], rs[24];
            const char *st;
            app_values(a, i, lv, rs, &st);
            printf(" app/%s=%s/%s/%s", a->cfg.apps[i].name, lv, rs, st);
        }
        putchar('\n');
        fflush(stdout);
        goto done;
    }

    report_finish(a);
    full |= a->refresh;
    enum { KV_MAX = 1 + 5 * XRES_AGENT_APPS_MAX };
    xres_xsw_kv kv[KV_MAX];
    char paths[KV_MAX][XRES_SCHEMA_PATH_MAX];
    char appv[XRES_AGENT_APPS_MAX][3][24];
    size_t n = 0;
#define KV(id_, arg_, val_) do { \
        if (path_of(a, paths[n], id_, arg_)) return -EINVAL; \
        kv[n].path = paths[n]; \
        kv[n].val = val_; \
        n++; \
    } while (0)

    for (size_t i = 0; i < a->cfg.napps; i++) {
        const xres_agent_app_cfg *ac = &a->cfg.apps[i];
        const char *st;
        if (!full && a->app_ever_written[i] &&
            !app_changed(&a->app[i], &a->app_written[i]))
            continue;
        app_values(a, i, appv[i][0], appv[i][1], &st);
        fmt_u64(appv[i][2], XS_REPORT_APP_MEMORY, ac->memory_kb);
        KV(XS_REPORT_APP_LEVEL, ac->name, appv[i][0]);
        KV(XS_REPORT_APP_RESTARTS, ac->name, appv[i][1]);
        KV(XS_REPORT_APP_STATE, ac->name, st);
        KV(XS_REPORT_APP_STANDBY, ac->name, ac->hot_standby ? "1" : "0");
        KV(XS_REPORT_APP_MEMORY, ac->name, appv[i][2]);
    }
    KV(XS_REPORT, NULL, rec);
#undef KV

    if (n == 1) {
        /* The common case: the record alone, its reply read later. */
        if ((rc = xres_xsw_write_async(&a->rw, kv[0].path, kv[0].val))) {
            a->refresh = true;
            say(LOG_ERR, "cannot write the report: %s", strerror(-rc));
            return rc;
        }
        a->xs_requests++;
        goto done;
    }
    for (int attempt = 0;; attempt++) {
        char why[160] = "";
        rc = xres_xsw_write_all(&a->rw, kv, n, true, why, sizeof(why));
        if (!rc) break;
        if (rc == -EAGAIN && attempt < 5) continue;
        /* Whatever went in, the next report writes every key again. */
        a->refresh = true;
        if (rc == -EIO || rc == -EPROTO)
            say(LOG_ERR, "cannot write the report: %s", why);
        else
            say(LOG_ERR, "cannot write the report: %s", strerror(-rc));
        return rc;
    }
    a->xs_requests += n + 2;
    a->refresh = false;
done:
    for (size_t i = 0; i < a->cfg.napps; i++) {
        a->app_written[i] = a->app[i];
        a->app_ever_written[i] = true;
    }
    a->seq = next;
    a->writes++;
    if (full) a->last_full_ms = t_ms;
    return 0;
}

/* The balloon's files are read when MemTotal moved (the balloon driver
 * changes it as it takes or gives pages), while a release waits for the
 * balloon, and at least this often; otherwise the last figures stand. */
#define BALLOON_REREAD_MS 5000

static bool release_pending(const agent *a);

static void report_tick(agent *a, uint64_t t)
{
    xres_agent_sample s;
    bool balloon = !a->balloon_ms || t - a->balloon_ms >= BALLOON_REREAD_MS ||
                   release_pending(a);

    memset(&s, 0, sizeof(s));
    if (xres_agent_sample_read(a->paths, &a->fds, &s, &a->cpu,
                               balloon ? NULL : &a->sampled)) {
        say(LOG_ERR, "cannot read %s", a->paths->meminfo);
        return;
    }
    if (s.balloon_read) a->balloon_ms = t;
    a->sampled = s;
    s.apps_gen = a->apps_gen;
    xres_write_why w = xres_agent_should_write(&a->cfg, a->written, &a->last,
                                               a->last_ms, &s, t);
    if (w == XRES_WRITE_NO) return;
    /* The applications' keys now and then, in case one was lost or
     * clobbered; else only what changed. */
    bool full = w == XRES_WRITE_FIRST || a->refresh ||
                t - a->last_full_ms >= REFRESH_MS;
    if (write_report(a, &s, full, t)) return;
    if (a->verbose)
        say(LOG_DEBUG, "report %" PRIu64 " (%s): used %" PRIu64 " KiB, cpu "
            "%u%%", a->seq, xres_write_why_name(w), s.mem_used_kb,
            s.cpu_pct);
    a->last = s;
    a->last_ms = t;
    a->written = true;
}

/* --- Applications.  Their commands run as jobs (agent_job.h): a check,
 * start, stop or restart never holds up the loop; an application has at
 * most one command running, and is not checked while it has one. */

enum {
    JOB_DISCARD = 0,                /* killed for a request; result unused */
    JOB_CHECK,                      /* health check command */
    JOB_START,                      /* start, the agent's own decision */
    JOB_RESTART_STOP,               /* stop before a restart's start */
    JOB_REQ_START,                  /* start APP from dom0, acked */
    JOB_REQ_STOP,                   /* stop APP from dom0, acked */
    JOB_REQ_CMD,                    /* another request, acked by j->ack */
};

static xres_job *app_job(agent *a, size_t i)
{
    for (size_t k = 0; k < XRES_JOBS_MAX; k++)
        if (a->jobs.j[k].pid && a->jobs.j[k].app == (int)i)
            return &a->jobs.j[k];
    return NULL;
}

static xres_job *job_start(agent *a, const char *cmd, int kind, int app,
                           uint64_t seq)
{
    xres_job *j = xres_jobs_start(&a->jobs, cmd, a->cfg.command_timeout_s,
                                  now_ms());
    if (!j) {
        say(LOG_ERR, "cannot run \"%s\": %s", cmd, strerror(errno));
        return NULL;
    }
    j->kind = kind;
    j->app = app;
    j->seq = seq;
    return j;
}

static void app_start(agent *a, size_t i)
{
    (void)job_start(a, a->cfg.apps[i].start, JOB_START, (int)i, 0);
}

/* A health check's result: the fault level moves, and a start or restart
 * may begin. */
static void app_checked(agent *a, size_t i, bool healthy)
{
    const xres_agent_app_cfg *ac = &a->cfg.apps[i];
    xres_app_state before = a->app[i];
    xres_app_action act = xres_app_step(&a->app[i], healthy,
                                        ac->max_restarts);

    if (act == XRES_APP_ACT_START) {
        say(LOG_INFO, "starting %s", ac->name);
        app_start(a, i);
    } else if (act == XRES_APP_ACT_RESTART) {
        say(LOG_WARNING, "%s is not healthy: restart %u of %u", ac->name,
            a->app[i].tries, ac->max_restarts);
        if (ac->stop[0])
            (void)job_start(a, ac->stop, JOB_RESTART_STOP, (int)i, 0);
        else
            app_start(a, i);
    } else if (a->app[i].level != before.level) {
        say(a->app[i].level ? LOG_WARNING : LOG_INFO, "%s: fault level %u "
            "(was %u)", ac->name, a->app[i].level, before.level);
    }
    if (app_changed(&a->app[i], &before)) a->apps_gen++;
}

static void app_check(agent *a, size_t i)
{
    const xres_agent_app_cfg *ac = &a->cfg.apps[i];

    if (app_job(a, i)) return;      /* busy: check next time */
    if (a->app[i].stopped)
        app_checked(a, i, true);
    else if (ac->pidfile[0])
        app_checked(a, i, xres_pid_watch_alive(&a->pw[i], ac->pidfile));
    else
        (void)job_start(a, ac->check, JOB_CHECK, (int)i, 0);
}

static void apps_tick(agent *a)
{
    for (size_t i = 0; i < a->cfg.napps; i++) app_check(a, i);
}

static int app_index(agent *a, const char *name)
{
    for (size_t i = 0; i < a->cfg.napps; i++)
        if (!strcmp(a->cfg.apps[i].name, name)) return (int)i;
    return -1;
}

/* --- Requests from dom0. */

static void write_ack(agent *a, uint64_t seq, const char *ack)
{
    char s[24];

    snprintf(s, sizeof(s), "%" PRIu64, seq);
    if (a->verbose) say(LOG_DEBUG, "request %s: %s", s, ack);
    if (!xwrite(a, XBT_NULL, XS_REPORT_ACK, s, ack))
        say(LOG_ERR, "cannot write ack %s: %s", s, strerror(errno));
}

static bool release_pending(const agent *a)
{
    for (int i = 0; i < RELEASES_MAX; i++)
        if (a->rel[i].active) return true;
    return false;
}

static bool release_active(agent *a, uint64_t seq)
{
    for (int i = 0; i < RELEASES_MAX; i++)
        if (a->rel[i].active && a->rel[i].seq == seq) return true;
    return false;
}

static void do_request(agent *a, uint64_t seq, const xres_request *q)
{
    char ack[XRES_ACK_DETAIL_MAX + 16], msg[XRES_ACK_DETAIL_MAX + 1];
    int idx, st;

    switch (q->op) {
    case XRES_REQ_RELEASE: {
        uint64_t cur;
        if (xres_agent_read_u64(a->paths->balloon_cur, &cur)) {
            xres_schema_format_ack(false, "no balloon driver", ack,
                                   sizeof(ack));
            break;
        }
        if (q->drop_caches && (st = xres_agent_drop_caches(a->paths)))
            say(LOG_WARNING, "cannot drop caches: %s", strerror(-st));
        for (idx = 0; idx < RELEASES_MAX && a->rel[idx].active; idx++) {}
        if (idx == RELEASES_MAX) {
            xres_schema_format_ack(false, "busy: too many releases waiting",
                                   ack, sizeof(ack));
            break;
        }
        a->rel[idx].active = true;
        a->rel[idx].seq = seq;
        a->rel[idx].target_kb = q->kb;
        a->rel[idx].deadline_ms = now_ms() +
            (uint64_t)a->cfg.release_timeout_s * 1000;
        return;                     /* acked once the balloon is there */
    }
    case XRES_REQ_ENGAGE: {
        unsigned on, bad;
        if (xres_agent_online_memory(a->paths, &on, &bad)) {
            xres_schema_format_ack(true, "no memory hotplug; nothing to "
                                   "online", ack, sizeof(ack));
        } else {
            snprintf(msg, sizeof(msg), "onlined %u memory blocks%s", on,
                     bad ? ", some failed" : "");
            xres_schema_format_ack(!bad, msg, ack, sizeof(ack));
        }
        break;
    }
    case XRES_REQ_START:
    case XRES_REQ_STOP: {
        idx = app_index(a, q->app);
        const xres_agent_app_cfg *ac = &a->cfg.apps[idx];
        bool start = q->op == XRES_REQ_START;
        const char *cmd = start ? ac->start : ac->stop;
        if (!cmd[0]) {
            snprintf(msg, sizeof(msg), "%s has no stop command", ac->name);
            xres_schema_format_ack(false, msg, ack, sizeof(ack));
            break;
        }
        xres_job *busy = app_job(a, (size_t)idx);
        if (busy && busy->kind == JOB_CHECK) {
            /* A health check gives way to a request. */
            busy->kind = JOB_DISCARD;
            xres_jobs_kill(busy);
            busy->app = -1;
        } else if (busy) {
            snprintf(msg, sizeof(msg), "busy: a %s command of %s is running",
                     busy->kind == JOB_REQ_STOP ||
                     busy->kind == JOB_RESTART_STOP ? "stop" : "start",
                     ac->name);
            xres_schema_format_ack(false, msg, ack, sizeof(ack));
            break;
        }
        if (!job_start(a, cmd, start ? JOB_REQ_START : JOB_REQ_STOP, idx,
                       seq)) {
            snprintf(msg, sizeof(msg), "cannot run the %s command of %s: %s",
                     start ? "start" : "stop", ac->name, strerror(errno));
            xres_schema_format_ack(false, msg, ack, sizeof(ack));
            break;
        }
        return;                     /* acked when the command ends */
    }
    case XRES_REQ_ALLOC:
        if (xres_alloc_start(&a->alloc, seq, q->pct, now_ms(), ack,
                             sizeof(ack))) {
            say(LOG_INFO, "analysis started under alloc %u", q->pct);
            return;                 /* acked when the job is done */
        }
        break;
    default:
        xres_schema_format_ack(false, "unknown request", ack, sizeof(ack));
        break;
    }
    write_ack(a, seq, ack);
}

/* A job has ended: what it means depends on what it was for. */
static void job_done(void *ctx, xres_job *j, int st, uint64_t elapsed_ms)
{
    agent *a = ctx;
    char ack[XRES_ACK_DETAIL_MAX + 16], msg[XRES_ACK_DETAIL_MAX + 1];
    const xres_agent_app_cfg *ac = j->app >= 0 ? &a->cfg.apps[j->app] : NULL;
    size_t i = j->app >= 0 ? (size_t)j->app : 0;

    if (a->verbose)
        say(LOG_DEBUG, "job %d (pid %d) ended: %d after %" PRIu64 " ms",
            j->kind, (int)j->pid, st, elapsed_ms);
    switch (j->kind) {
    case JOB_CHECK:
        if (st == -ETIMEDOUT)
            say(LOG_WARNING, "%s: check command timed out", ac->name);
        app_checked(a, i, st == ac->check_status);
        break;
    case JOB_START:
        if (st) say(LOG_WARNING, "%s: start command failed (%d)", ac->name,
                    st);
        break;
    case JOB_RESTART_STOP:
        app_start(a, i);
        break;
    case JOB_REQ_START:
    case JOB_REQ_STOP: {
        bool start = j->kind == JOB_REQ_START;
        xres_app_state before = a->app[i];
        if (start) {
            xres_app_state_init(&a->app[i]);
            a->app[i].restarts = before.restarts;
        } else {
            a->app[i].stopped = true;
            a->app[i].level = XRES_LEVEL_HEALTHY;
        }
        if (app_changed(&a->app[i], &before)) a->apps_gen++;
        if (st == 0)
            snprintf(msg, sizeof(msg), "%s %s", start ? "started" : "stopped",
                     ac->name);
        else if (st == -ETIMEDOUT)
            snprintf(msg, sizeof(msg), "%s command of %s timed out after %u "
                     "s", start ? "start" : "stop", ac->name,
                     a->cfg.command_timeout_s);
        else
            snprintf(msg, sizeof(msg), "%s command of %s exited %d",
                     start ? "start" : "stop", ac->name, st);
        xres_schema_format_ack(st == 0, msg, ack, sizeof(ack));
        write_ack(a, j->seq, ack);
        break;
    }
    case JOB_REQ_CMD:
        if (j->ack) {
            j->ack(j, st, elapsed_ms, ack, sizeof(ack));
            write_ack(a, j->seq, ack);
        }
        break;
    default:                        /* JOB_DISCARD */
        break;
    }
}

static bool job_active_for(agent *a, uint64_t seq)
{
    for (size_t k = 0; k < XRES_JOBS_MAX; k++)
        if (a->jobs.j[k].pid && a->jobs.j[k].seq == seq) return true;
    return false;
}

/* Carries out a request by running cmd without waiting: true if it runs
 * (fn writes the ack when it ends, and the agent writes it under seq);
 * false with an error ack in ack.  For request kinds other than start and
 * stop, whose handlers live in files of their own: a case in do_request
 * that builds the command, calls this and returns when it is true. */
__attribute__((unused))
static bool request_job(agent *a, uint64_t seq, const char *cmd,
                        xres_job_ack_fn *fn, char *ack, size_t acklen)
{
    char msg[XRES_ACK_DETAIL_MAX + 1];
    xres_job *j = job_start(a, cmd, JOB_REQ_CMD, -1, seq);

    if (!j) {
        snprintf(msg, sizeof(msg), "cannot run the command: %s",
                 strerror(errno));
        xres_schema_format_ack(false, msg, ack, acklen);
        return false;
    }
    j->ack = fn;
    return true;
}

static void releases_tick(agent *a, uint64_t t)
{
    char ack[XRES_ACK_DETAIL_MAX + 16], msg[XRES_ACK_DETAIL_MAX + 1];

    for (int i = 0; i < RELEASES_MAX; i++) {
        uint64_t cur = 0;
        if (!a->rel[i].active) continue;
        (void)xres_agent_read_u64(a->paths->balloon_cur, &cur);
        xres_release_state st = xres_agent_release_check(
            cur, a->rel[i].target_kb, t, a->rel[i].deadline_ms,
            a->cfg.release_timeout_s, msg, sizeof(msg));
        if (st == XRES_RELEASE_WAIT) continue;
        xres_schema_format_ack(st == XRES_RELEASE_DONE, msg, ack,
                               sizeof(ack));
        a->rel[i].active = false;
        write_ack(a, a->rel[i].seq, ack);
    }
}

static void handle_requests(agent *a)
{
    char **names, p[XRES_SCHEMA_PATH_MAX], s[24];
    unsigned n = 0;
    uint64_t seqs[PENDING_MAX];
    size_t ns;

    names = xs_directory(a->xs, XBT_NULL, a->req_dir, &n);
    ns = names ? xres_agent_pending_seqs(names, n, seqs, PENDING_MAX) : 0;
    free(names);

    for (size_t i = 0; i < ns; i++) {
        unsigned len;
        xres_request q;
        char ack[XRES_ACK_DETAIL_MAX + 16];

        snprintf(s, sizeof(s), "%" PRIu64, seqs[i]);
        if (release_active(a, seqs[i]) || job_active_for(a, seqs[i]) ||
            xres_alloc_running(&a->alloc, seqs[i]))
            continue;
        if (path_of(a, p, XS_REPORT_ACK, s)) continue;
        char *old = xs_read(a->xs, XBT_NULL, p, &len);
        if (old) {                  /* done before */
            free(old);
            continue;
        }
        if (path_of(a, p, XS_REQ_ITEM, s)) continue;
        char *val = xs_read(a->xs, XBT_NULL, p, &len);
        if (!val) continue;         /* removed meanwhile */
        xres_plan plan = xres_agent_plan(&a->cfg, val, len, &q, ack,
                                         sizeof(ack));
        free(val);
        if (plan == XRES_PLAN_ACK) {
            say(LOG_WARNING, "request %s refused: %s", s, ack);
            write_ack(a, seqs[i], ack);
        } else {
            say(LOG_INFO, "request %s: %s %s", s,
                xres_request_op_name(q.op), q.app);
            do_request(a, seqs[i], &q);
        }
    }

    /* Acks whose request dom0 has removed are of no more use. */
    if (path_of(a, p, XS_REPORT_ACK_DIR, NULL)) return;
    names = xs_directory(a->xs, XBT_NULL, p, &n);
    for (unsigned i = 0; names && i < n && i < 256; i++) {
        uint64_t sq;
        bool pending = false;
        if (xres_schema_parse_seq(names[i], strlen(names[i]), &sq)) {
            continue;
        }
        for (size_t j = 0; j < ns; j++) pending |= seqs[j] == sq;
        if (!pending && !release_active(a, sq) && !job_active_for(a, sq) &&
            !xres_alloc_running(&a->alloc, sq))
            xrm(a, XS_REPORT_ACK, names[i]);
    }
    free(names);
}

/* Reads what the watch connection holds; -errno if it is gone. */
static int handle_watch(agent *a)
{
    char tok[16];
    bool ours = false;

    /* Events may already be counted (read while a report waited for its
     * replies) or buffered. */
    ours = a->w.events > 0;
    a->w.events = 0;
    while (xres_xsw_pending(&a->w)) {
        int rc = xres_xsw_next(&a->w, tok, sizeof(tok));
        if (rc == XRES_XSW_STALE) {
            continue;
        } else if (rc == XRES_XSW_EVENT) {
            ours |= !strcmp(tok, "req");
        } else if (rc == -EINVAL) {
            say(LOG_ERR, "XenStore refused the watch on %s", a->req_dir);
            return rc;
        } else if (rc < 0) {
            say(LOG_ERR, "lost the XenStore watch connection: %s",
                strerror(-rc));
            return rc;
        }
    }
    if (ours) handle_requests(a);
    return 0;
}

/* --- xres-agent notify. */

static int open_socket(agent *a)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->cfg.socket);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    unlink(sa.sun_path);
    mode_t old = umask(0077);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc || listen(fd, 8)) {
        rc = -errno;
        close(fd);
        return rc;
    }
    a->listen_fd = fd;
    return 0;
}

static void handle_notify(agent *a)
{
    int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    char line[128], app[XRES_APP_NAME_MAX + 1];
    const char *reply = "ok\n";
    int level;

    if (fd < 0) return;
    struct timeval tv = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(fd, line, sizeof(line) - 1, 0);
    if (n <= 0) goto out;
    line[n] = 0;
    int rc = xres_agent_parse_notify(line, (size_t)n, app, sizeof(app),
                                     &level);
    int idx = rc ? -1 : app_index(a, app);
    if (rc) {
        reply = "error: usage: notify APP LEVEL (LEVEL 0..4)\n";
    } else if (idx < 0) {
        reply = "error: no such application in agent.conf\n";
    } else {
        xres_app_state before = a->app[idx];
        xres_app_notify(&a->app[idx], level);
        say(LOG_INFO, "%s reports fault level %d", app, level);
        app_check(a, (size_t)idx);
        if (app_changed(&a->app[idx], &before)) a->apps_gen++;
    }
    (void)!send(fd, reply, strlen(reply), MSG_NOSIGNAL);
out:
    close(fd);
}

static int cmd_notify(const char *sock, const char *app, const char *lvl)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char line[128], reply[128];
    int fd, level;

    snprintf(line, sizeof(line), "notify %s %s\n", app, lvl);
    if (xres_agent_parse_notify(line, strlen(line), reply, sizeof(reply),
                                &level)) {
        fprintf(stderr, "xres-agent notify: APP must be [a-z][a-z0-9_]* and "
                "LEVEL 0..4\n");
        return 2;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        fprintf(stderr, "xres-agent notify: cannot reach the agent at %s: "
                "%s\n", sock, strerror(errno));
        return 1;
    }
    if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "xres-agent notify: %s\n", strerror(errno));
        return 1;
    }
    ssize_t n = recv(fd, reply, sizeof(reply) - 1, 0);
    close(fd);
    if (n <= 0) {
        fprintf(stderr, "xres-agent notify: no answer from the agent\n");
        return 1;
    }
    reply[n] = 0;
    if (strncmp(reply, "ok", 2)) {
        fprintf(stderr, "xres-agent notify: %s", reply);
        return 1;
    }
    return 0;
}

/* --- Start-up and the loop. */

static int xs_setup(agent *a)
{
    char rel[XRES_SCHEMA_PATH_MAX], why[XRES_SCHEMA_WHY_MAX];
    unsigned len;
    uint64_t domid;

    a->xs = xs_open(0);
    if (!a->xs) {
        say(LOG_ERR, "cannot open XenStore: %s (is this a Xen guest with "
            "/dev/xen/xenbus?)", strerror(errno));
        return -1;
    }
    xres_schema_relpath(rel, sizeof(rel), XS_XEN_DOMID, NULL);
    char *v = xs_read(a->xs, XBT_NULL, rel, &len);
    if (!v) {
        say(LOG_ERR, "cannot read my domid: %s", strerror(errno));
        return -1;
    }
    int rc = xres_schema_parse_u64(XS_XEN_DOMID, v, len, &domid, why,
                                   sizeof(why));
    free(v);
    if (rc) {
        say(LOG_ERR, "bad domid: %s", why);
        return -1;
    }
    a->domid = (uint32_t)domid;
    /* Applications removed from agent.conf must not linger. */
    xrm(a, XS_REPORT_APP_DIR, NULL);
    if (path_of(a, a->req_dir, XS_REQ_DIR, NULL)) return -1;
    if ((rc = xres_xsw_open(&a->w)) ||
        (rc = xres_xsw_watch(&a->w, a->req_dir, "req"))) {
        say(LOG_ERR, "cannot watch %s: %s", a->req_dir, strerror(-rc));
        return -1;
    }
    if ((rc = xres_xsw_open(&a->rw))) {
        say(LOG_ERR, "cannot open a XenStore connection for reports: %s",
            strerror(-rc));
        return -1;
    }
    say(LOG_INFO, "reporting for domain %" PRIu32 ", %zu applications",
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
        say(LOG_ERR, "%s", err);
        if (use_syslog) fprintf(stderr, "xres-agent: %s\n", err);
        return 1;
    }
    /* Unknown keys: a warning each, to syslog and stderr; the agent goes
     * on, --check-config fails. */
    for (char *l = a.cfg.unknown, *nl; *l; l = nl + 1) {
        nl = strchr(l, '\n');
        if (!nl) break;
        *nl = 0;
        say(LOG_WARNING, "%s", l);
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
            return cmd_notify(a.cfg.socket, argv[optind + 1],
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
        say(LOG_ERR, "bad rate limits: interval-ms >= 100, heartbeat 1..600 "
            "s and not shorter than the interval, change-cpu >= 1");
        return 2;
    }

    /* agent.conf's nice; commands go back to the priority the agent was
     * started with. */
    errno = 0;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    if (errno) nice0 = 0;
    xres_job_set_nice(nice0);
    if (a.cfg.nice != nice0 && setpriority(PRIO_PROCESS, 0, a.cfg.nice))
        say(LOG_WARNING, "cannot set nice %d: %s", a.cfg.nice,
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
        say(LOG_WARNING, "no signalfd (%s): commands are reaped on the "
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
    if (!a.once && (rc = open_socket(&a)))
        say(LOG_WARNING, "no notify socket at %s: %s", a.cfg.socket,
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
    uint64_t t = now_ms(), next_report, next_check;
    /* The CPU share needs a first reading to compare with. */
    (void)xres_agent_sample_read(a.paths, &a.fds, &(xres_agent_sample){ 0 },
                                 &a.cpu, NULL);
    if (!a.once) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    t = now_ms();
    next_report = next_check = t;
    while (!quit) {
        if (t >= next_check) {
            unsigned before = a.apps_gen;
            apps_tick(&a);
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
            report_tick(&a, due);
            releases_tick(&a, t);
            uint64_t aseq;
            char aack[XRES_ACK_DETAIL_MAX + 16];
            if (a.xs && xres_alloc_poll(&a.alloc, t, &aseq, aack,
                                        sizeof(aack))) {
                say(LOG_INFO, "analysis for request %" PRIu64 ": %s", aseq,
                    aack);
                write_ack(&a, aseq, aack);
            }
            next_report = due + period;
        }
        if (a.once) {
            if (a.written && a.xs) report_finish(&a);
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
        t = now_ms();
        int timeout = wake > t ? (int)(wake - t) : 0;
        /* Watch events read during a report are handled at once. */
        if (a.xs && (a.w.events || a.w.rlen)) timeout = 0;
        int n = poll(pf, nfd, timeout);
        if (n < 0 && errno != EINTR) {
            say(LOG_ERR, "poll: %s", strerror(errno));
            goto out;
        }
        if (a.xs && (a.w.events || a.w.rlen) && handle_watch(&a)) goto out;
        for (nfds_t i = 0; n > 0 && i < nfd; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (a.xs && pf[i].fd == a.w.fd) {
                if (handle_watch(&a)) goto out;
            } else if (pf[i].fd == a.sigchld_fd) {
                struct signalfd_siginfo si;
                while (read(a.sigchld_fd, &si, sizeof(si)) == sizeof(si)) {}
            } else {
                handle_notify(&a);
            }
        }
        t = now_ms();
        /* Reap what ended, kill what overran. */
        if (xres_jobs_running(&a.jobs))
            xres_jobs_poll(&a.jobs, t, job_done, &a);
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
        if (a.rw.fd >= 0) report_finish(&a);
        if (quit) {
            /* Gone: dom0 sees "no agent" at once rather than a stale one. */
            xrm(&a, XS_REPORT, NULL);
        }
        xs_close(a.xs);
        xres_xsw_close(&a.w);
        xres_xsw_close(&a.rw);
    }
    xres_agent_fds_dispose(&a.fds);
    for (size_t i = 0; i < a.cfg.napps; i++) xres_pid_watch_dispose(&a.pw[i]);
    if (a.sigchld_fd >= 0) close(a.sigchld_fd);
    if (quit) say(LOG_INFO, "stopped");
    return rc;
}
