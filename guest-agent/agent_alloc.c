/*
 * guest-agent/agent_alloc.c: "alloc PCT" requests in the managing domain:
 * runs analysis_command from agent.conf in the background and acks the
 * time it took (see agent_alloc.h).
 *
 * The agent forks a runner, which forks the job (/bin/sh -c COMMAND, with
 * XRES_ALLOC_PCT=PCT in its environment), waits for it, and writes
 * "STATUS MS" (MS from CLOCK_MONOTONIC around the job) to a pipe before
 * exiting.  The agent only reads that pipe without blocking and reaps its
 * own runner by pid, so the time does not depend on how often the agent
 * looks, and nothing here waits for the job.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxlutil.h>

#include "agent_alloc.h"
#include "agent_job.h"

const char *const xres_alloc_conf_keys[] = {
    "analysis_command", "analysis_timeout", NULL
};

void xres_alloc_cfg_defaults(xres_alloc_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->timeout_s = XRES_ALLOC_TIMEOUT_DEFAULT;
}

int xres_alloc_cfg_read(xres_alloc_cfg *c, XLU_Config *cfg,
                        const char *fname, char *err, size_t errlen)
{
    XLU_ConfigList *l;
    const char *s;
    int n;

    xres_alloc_cfg_defaults(c);
    if (!xlu_cfg_get_string(cfg, "analysis_command", &s, 1)) {
        if (!s[0] || strlen(s) >= sizeof(c->command)) {
            snprintf(err, errlen, "%s: analysis_command: must be 1..%zu "
                     "bytes", fname, sizeof(c->command) - 1);
            return -EINVAL;
        }
        snprintf(c->command, sizeof(c->command), "%s", s);
    } else if (!xlu_cfg_get_list(cfg, "analysis_command", &l, &n, 1)) {
        snprintf(err, errlen, "%s: analysis_command: must be a string, e.g. "
                 "analysis_command = \"/usr/local/bin/analyse\"", fname);
        return -EINVAL;
    }
    if (!xlu_cfg_get_string(cfg, "analysis_timeout", &s, 1)) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < 1 ||
            v > XRES_ALLOC_TIMEOUT_MAX) {
            snprintf(err, errlen, "%s: analysis_timeout: \"%s\" is not a "
                     "number of seconds 1..%d", fname, s,
                     XRES_ALLOC_TIMEOUT_MAX);
            return -EINVAL;
        }
        c->timeout_s = (unsigned)v;
    } else if (!xlu_cfg_get_list(cfg, "analysis_timeout", &l, &n, 1)) {
        snprintf(err, errlen, "%s: analysis_timeout: must be a number",
                 fname);
        return -EINVAL;
    }
    return 0;
}

void xres_alloc_init(xres_alloc *al)
{
    memset(al, 0, sizeof(*al));
    xres_alloc_cfg_defaults(&al->cfg);
    al->pid = -1;
    al->fd = -1;
}

/* Ends the current job: kills the runner's process group (the runner and
 * the job) if asked, reaps the runner, closes the pipe. */
static void finish(xres_alloc *al, bool kill_it)
{
    if (al->pid > 0) {
        if (kill_it) {
            kill(-al->pid, SIGKILL);
            kill(al->pid, SIGKILL);
        }
        /* The runner exits right after writing its line, or was killed;
         * ECHILD if something else reaped it. */
        while (waitpid(al->pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    if (al->fd >= 0) close(al->fd);
    al->pid = -1;
    al->fd = -1;
    al->running = false;
    al->nbuf = 0;
}

void xres_alloc_dispose(xres_alloc *al)
{
    if (al->running) finish(al, true);
}

/* The runner, in the child: never returns. */
static void runner(const char *cmd, unsigned pct, int wfd)
{
    char line[64], num[16];
    struct timespec t0, t1;
    int status, st;
    pid_t job;

    setsid();                   /* one process group: killed as one */
    snprintf(num, sizeof(num), "%u", pct);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    job = fork();
    if (job < 0) _exit(126);
    if (job == 0) {
        setenv("XRES_ALLOC_PCT", num, 1);
        xres_job_exec(cmd);
    }
    while (waitpid(job, &status, 0) < 0) {
        if (errno != EINTR) _exit(126);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st = xres_job_exit_status(status);
    if (st < 0) st = 255;
    int64_t ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
                 (t1.tv_nsec - t0.tv_nsec) / 1000000;
    int n = snprintf(line, sizeof(line), "%d %" PRId64 "\n", st, ms);
    (void)!write(wfd, line, (size_t)n);
    _exit(0);
}

int xres_alloc_start(xres_alloc *al, uint64_t seq, unsigned pct,
                     uint64_t now_ms, char *ack, size_t acklen)
{
    char msg[XRES_ACK_DETAIL_MAX + 1];
    int p[2];
    pid_t pid;

    if (!al->cfg.command[0]) {
        xres_schema_format_ack(false, "no analysis_command in agent.conf",
                               ack, acklen);
        return 0;
    }
    if (al->running) finish(al, true);  /* replaced by this request */
    if (pipe2(p, O_CLOEXEC)) {
        snprintf(msg, sizeof(msg), "cannot start the analysis: pipe: %s",
                 strerror(errno));
        xres_schema_format_ack(false, msg, ack, acklen);
        return 0;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(msg, sizeof(msg), "cannot start the analysis: fork: %s",
                 strerror(errno));
        close(p[0]);
        close(p[1]);
        xres_schema_format_ack(false, msg, ack, acklen);
        return 0;
    }
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        close(p[0]);
        runner(al->cfg.command, pct, p[1]);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    al->running = true;
    al->pid = pid;
    al->fd = p[0];
    al->seq = seq;
    al->pct = pct;
    al->nbuf = 0;
    al->deadline_ms = now_ms + (uint64_t)al->cfg.timeout_s * 1000;
    return 1;
}

bool xres_alloc_running(const xres_alloc *al, uint64_t seq)
{
    return al->running && al->seq == seq;
}

int xres_alloc_result_ack(const char *line, size_t len, char *ack,
                          size_t acklen)
{
    char msg[XRES_ACK_DETAIL_MAX + 1], tmp[64];
    long long st, ms;
    char extra;

    if (len == 0 || len >= sizeof(tmp)) return -EINVAL;
    memcpy(tmp, line, len);
    tmp[len] = 0;
    if (sscanf(tmp, "%lld %lld%c", &st, &ms, &extra) != 3 || extra != '\n' ||
        st < 0 || st > 255 || ms < 0)
        return -EINVAL;
    if (ms == 0) ms = 1;        /* xresd takes 1.. ms; a run takes time */
    if (st == 0) {
        snprintf(msg, sizeof(msg), "time-ms=%lld", ms);
        return xres_schema_format_ack(true, msg, ack, acklen);
    }
    if (st == 127)
        snprintf(msg, sizeof(msg), "analysis_command not found (exit 127) "
                 "after %lld ms", ms);
    else if (st > 128)
        snprintf(msg, sizeof(msg), "analysis killed by signal %lld after "
                 "%lld ms", st - 128, ms);
    else
        snprintf(msg, sizeof(msg), "analysis exited %lld after %lld ms", st,
                 ms);
    return xres_schema_format_ack(false, msg, ack, acklen);
}

int xres_alloc_poll(xres_alloc *al, uint64_t now_ms, uint64_t *seq,
                    char *ack, size_t acklen)
{
    char msg[XRES_ACK_DETAIL_MAX + 1];
    ssize_t n;

    if (!al->running) return 0;
    for (;;) {
        n = read(al->fd, al->buf + al->nbuf, sizeof(al->buf) - 1 - al->nbuf);
        if (n > 0) {
            al->nbuf += (size_t)n;
            if (al->nbuf < sizeof(al->buf) - 1) continue;
        } else if (n < 0 && errno == EINTR) {
            continue;
        }
        break;
    }
    *seq = al->seq;
    if (n == 0 || al->nbuf == sizeof(al->buf) - 1) {
        /* The runner is done (end of file) or wrote nonsense. */
        if (xres_alloc_result_ack(al->buf, al->nbuf, ack, acklen))
            xres_schema_format_ack(false, "the analysis runner failed",
                                   ack, acklen);
        finish(al, false);
        return 1;
    }
    if (n < 0 && errno != EAGAIN) {
        snprintf(msg, sizeof(msg), "lost the analysis runner: %s",
                 strerror(errno));
        xres_schema_format_ack(false, msg, ack, acklen);
        finish(al, true);
        return 1;
    }
    if (now_ms >= al->deadline_ms) {
        snprintf(msg, sizeof(msg), "analysis still running after %u s "
                 "(analysis_timeout); killed", al->cfg.timeout_s);
        xres_schema_format_ack(false, msg, ack, acklen);
        finish(al, true);
        return 1;
    }
    return 0;
}
