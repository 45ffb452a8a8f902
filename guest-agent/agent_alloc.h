/*
 * guest-agent/agent_alloc.h: the managing domain's side of CPU sizing.
 * xresd sends "alloc PCT" (the CPU allocation, in % of one physical CPU,
 * that the domain's cap now holds); the agent runs the analysis job
 * configured in agent.conf, times it with the monotonic clock and acks
 * "ok time-ms=N".  The job runs in the background: the agent's reporting
 * goes on meanwhile, and xres_alloc_poll() collects the result.
 */
#ifndef XRES_AGENT_ALLOC_H
#define XRES_AGENT_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"

#include <libxlutil.h>

/* agent.conf keys read here (for a check of unknown keys); NULL-ended. */
extern const char *const xres_alloc_conf_keys[];

void xres_alloc_cfg_defaults(xres_alloc_cfg *c);
/* Takes analysis_command and analysis_timeout from agent.conf, already
 * parsed by xres_agent_cfg_parse() (fname for messages).  0, or -EINVAL
 * with a message naming the file and the key in err. */
int xres_alloc_cfg_read(xres_alloc_cfg *c, XLU_Config *cfg,
                        const char *fname, char *err, size_t errlen);

typedef struct {
    xres_alloc_cfg cfg;
    bool running;
    pid_t pid;                  /* the runner: times the job, then exits */
    int fd;                     /* read end of the runner's result pipe */
    uint64_t seq;               /* the request being carried out */
    unsigned pct;
    uint64_t deadline_ms;       /* monotonic */
    char buf[64];               /* the runner's result line so far */
    size_t nbuf;
} xres_alloc;

void xres_alloc_init(xres_alloc *al);
/* Kills a job still running and reaps it. */
void xres_alloc_dispose(xres_alloc *al);

/*
 * Request seq asks for "alloc pct".  Returns 1 when the job was started
 * (the ack comes from xres_alloc_poll), or 0 with the ack to write now
 * in ack ("error ...": no analysis_command, cannot fork).  A job still
 * running for an earlier request is killed: dom0 keeps one allocation
 * request at a time, so a newer one replaces it.  now_ms: monotonic.
 */
int xres_alloc_start(xres_alloc *al, uint64_t seq, unsigned pct,
                     uint64_t now_ms, char *ack, size_t acklen);
/* Is the job for request seq still running? */
bool xres_alloc_running(const xres_alloc *al, uint64_t seq);
/*
 * Never blocks.  Returns 1 with *seq and its ack when the job finished
 * ("ok time-ms=N", or "error ..." when it failed or ran past
 * analysis_timeout and was killed), 0 when there is nothing to report.
 */
int xres_alloc_poll(xres_alloc *al, uint64_t now_ms, uint64_t *seq,
                    char *ack, size_t acklen);

/* The runner's result line "STATUS MS" into an ack.  STATUS as
 * xres_job_exit_status gives it (0..255 exit status, 128+signal). */
int xres_alloc_result_ack(const char *line, size_t len, char *ack,
                          size_t acklen);

#endif
