/*
 * guest-agent/agent_job.h: commands the agent runs without waiting for
 * them -- health checks, start and stop commands, restarts, and commands
 * that carry out a request from dom0.  Each runs as /bin/sh -c in a
 * session of its own; the main loop hears of its end through SIGCHLD (a
 * signalfd in its poll set), reaps it, and kills it when it outlives its
 * time limit, so a slow command never holds up reporting.
 */
#ifndef XRES_AGENT_JOB_H
#define XRES_AGENT_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define XRES_JOBS_MAX 40

struct xres_job;

/* For a request carried out by a command: called once the command has
 * ended (status: its exit status 0..255, 128+signal, -ETIMEDOUT when it
 * was killed for time, or another -errno); writes the ack text
 * ("ok ..." / "error ...", see xres_schema_format_ack) that the agent
 * then writes under the request's sequence number. */
typedef void xres_job_ack_fn(const struct xres_job *j, int status,
                             uint64_t elapsed_ms, char *ack, size_t acklen);

typedef struct xres_job {
    pid_t pid;                      /* 0: the slot is free */
    uint64_t start_ms, deadline_ms; /* monotonic */
    bool killed;                    /* past its deadline, SIGKILLed */
    int kind;                       /* what it is for: the caller's */
    int app;                        /* the application, or -1 */
    uint64_t seq;                   /* request to ack when done, 0 none */
    xres_job_ack_fn *ack;           /* for kinds that ack through it */
} xres_job;

typedef struct {
    xres_job j[XRES_JOBS_MAX];
} xres_jobs;

/* The scheduling priority (nice) commands run at: the agent's own before
 * it raised it (agent.conf's nice), so that applications do not inherit
 * the agent's.  Default 0. */
void xres_job_set_nice(int nice);
/* In a child: the priority above, stdin and stdout on /dev/null, then
 * /bin/sh -c cmd (exit 127 if it cannot be run).  Never returns. */
_Noreturn void xres_job_exec(const char *cmd);
/* Starts /bin/sh -c cmd with stdin and stdout on /dev/null, in a new
 * session, with no signal blocked.  The child's pid, or -errno. */
pid_t xres_job_spawn(const char *cmd);
/* A wait status as an exit status: 0..255, or 128 + the signal. */
int xres_job_exit_status(int wstatus);

void xres_jobs_init(xres_jobs *t);
/* Starts cmd in a free slot with a time limit; the slot (its pid set,
 * the rest zero, app -1) for the caller to fill in, or NULL with errno
 * (EBUSY: all slots taken). */
xres_job *xres_jobs_start(xres_jobs *t, const char *cmd, unsigned timeout_s,
                          uint64_t now_ms);

typedef void xres_job_done_fn(void *ctx, xres_job *j, int status,
                              uint64_t elapsed_ms);
/* Reaps every job that has ended and calls done for each (the slot is
 * freed after done returns); kills (SIGKILL, its whole session) each job
 * past its deadline, whose done then comes with -ETIMEDOUT once it is
 * reaped.  Returns how many ended. */
int xres_jobs_poll(xres_jobs *t, uint64_t now_ms, xres_job_done_fn *done,
                   void *ctx);
/* The earliest deadline of a running job not yet killed, or UINT64_MAX. */
uint64_t xres_jobs_next_deadline(const xres_jobs *t);
/* Kills a job now; its done comes with discard semantics left to the
 * caller (it usually sets kind to a value it ignores first). */
void xres_jobs_kill(xres_job *j);
size_t xres_jobs_running(const xres_jobs *t);

#endif
