/*
 * guest-agent/agent_job.c: commands run without waiting (see
 * agent_job.h): spawn, reap, time limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_job.h"

static int job_nice;

void xres_job_set_nice(int nice)
{
    job_nice = nice;
}

void xres_job_exec(const char *cmd)
{
    int fd = open("/dev/null", O_RDWR);

    (void)setpriority(PRIO_PROCESS, 0, job_nice);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        if (fd > 2) close(fd);
    }
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(127);
}

pid_t xres_job_spawn(const char *cmd)
{
    pid_t pid = fork();

    if (pid < 0) return -errno;
    if (pid == 0) {
        setsid();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        xres_job_exec(cmd);
    }
    return pid;
}

int xres_job_exit_status(int wstatus)
{
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return -EINVAL;
}

void xres_jobs_init(xres_jobs *t)
{
    memset(t, 0, sizeof(*t));
}

xres_job *xres_jobs_start(xres_jobs *t, const char *cmd, unsigned timeout_s,
                          uint64_t now_ms)
{
    for (size_t i = 0; i < XRES_JOBS_MAX; i++) {
        xres_job *j = &t->j[i];
        if (j->pid) continue;
        pid_t pid = xres_job_spawn(cmd);
        if (pid < 0) {
            errno = -pid;
            return NULL;
        }
        memset(j, 0, sizeof(*j));
        j->pid = pid;
        j->app = -1;
        j->start_ms = now_ms;
        j->deadline_ms = now_ms + (uint64_t)timeout_s * 1000;
        return j;
    }
    errno = EBUSY;
    return NULL;
}

void xres_jobs_kill(xres_job *j)
{
    if (!j->pid || j->killed) return;
    kill(-j->pid, SIGKILL);         /* its session: sh and what it ran */
    kill(j->pid, SIGKILL);
    j->killed = true;
}

int xres_jobs_poll(xres_jobs *t, uint64_t now_ms, xres_job_done_fn *done,
                   void *ctx)
{
    int ended = 0;

    for (size_t i = 0; i < XRES_JOBS_MAX; i++) {
        xres_job *j = &t->j[i];
        int ws;
        if (!j->pid) continue;
        pid_t r = waitpid(j->pid, &ws, WNOHANG);
        if (r == 0) {
            if (now_ms >= j->deadline_ms) xres_jobs_kill(j);
            continue;
        }
        int status = r < 0 ? -errno : xres_job_exit_status(ws);
        if (j->killed) status = -ETIMEDOUT;
        uint64_t el = now_ms > j->start_ms ? now_ms - j->start_ms : 0;
        done(ctx, j, status, el);
        memset(j, 0, sizeof(*j));
        ended++;
    }
    return ended;
}

uint64_t xres_jobs_next_deadline(const xres_jobs *t)
{
    uint64_t d = UINT64_MAX;

    for (size_t i = 0; i < XRES_JOBS_MAX; i++)
        if (t->j[i].pid && !t->j[i].killed && t->j[i].deadline_ms < d)
            d = t->j[i].deadline_ms;
    return d;
}

size_t xres_jobs_running(const xres_jobs *t)
{
    size_t n = 0;

    for (size_t i = 0; i < XRES_JOBS_MAX; i++) n += t->j[i].pid != 0;
    return n;
}
