/*
 * guest-agent/agent_main.h: the state and the calls that the parts of
 * xres-agent's program share: the loop and start-up (agent_main.c),
 * reports (agent_main_report.c), applications and the notify socket
 * (agent_main_apps.c), and dom0's requests (agent_main_requests.c).
 * They are the program, not libxresagent.a: unit tests drive the pure
 * logic of agent.h and the other headers instead.
 */
#ifndef XRES_AGENT_MAIN_H
#define XRES_AGENT_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include <xenstore.h>

#include "agent.h"
#include "agent_alloc.h"
#include "agent_job.h"
#include "agent_sys.h"
#include "agent_xswatch.h"

#ifndef XRES_VERSION
#define XRES_VERSION "0.0.0"
#endif

#define RELEASES_MAX 8
#define PENDING_MAX 32

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
    /* An asking application (its extension): when to start it anyway. */
    uint64_t ask_deadline_ms[XRES_AGENT_APPS_MAX];

    int listen_fd;
    char req_dir[XRES_SCHEMA_PATH_MAX];
    xres_alloc alloc;               /* "alloc PCT": agent_alloc.h */
} agent;

/* What a job (agent_job.h) runs for: its kind. */
enum {
    JOB_DISCARD = 0,                /* killed for a request; result unused */
    JOB_CHECK,                      /* health check command */
    JOB_START,                      /* start, the agent's own decision */
    JOB_RESTART_STOP,               /* stop before a restart's start */
    JOB_REQ_START,                  /* start APP from dom0, acked */
    JOB_REQ_STOP,                   /* stop APP from dom0, acked */
    JOB_REQ_CMD,                    /* another request, acked by j->ack */
};

/* --- agent_main.c */
/* Logs to stderr, or to syslog with --syslog. */
void agent_say(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The loop's clock, in ms. */
uint64_t agent_now_ms(void);
/* XenStore helpers: paths always come from the schema. */
int agent_path_of(agent *a, char *buf, xres_schema_id id, const char *arg);
bool agent_xwrite(agent *a, xs_transaction_t t, xres_schema_id id,
                  const char *arg, const char *val);
void agent_xrm(agent *a, xres_schema_id id, const char *arg);

/* --- agent_main_report.c */
/* Samples the guest and writes a report when the rate limit lets it. */
void agent_report_tick(agent *a, uint64_t t);
/* Takes the reply to the last report, sent without waiting for it. */
void agent_report_finish(agent *a);

/* --- agent_main_apps.c */
bool agent_app_changed(const xres_app_state *x, const xres_app_state *y);
/* The job running for application i, or NULL. */
xres_job *agent_app_job(agent *a, size_t i);
/* Starts cmd as a job of kind for app (-1 none) and request seq (0
 * none); NULL, logged, when it cannot. */
xres_job *agent_job_start(agent *a, const char *cmd, int kind, int app,
                          uint64_t seq);
void agent_apps_tick(agent *a);
int agent_app_index(agent *a, const char *name);
/* A job has ended (xres_job_done_fn; ctx is the agent). */
void agent_job_done(void *ctx, xres_job *j, int st, uint64_t elapsed_ms);
/* The notify socket: listen, answer one client, and the client side
 * (`xres-agent notify APP LEVEL`, an exit status). */
int agent_open_socket(agent *a);
void agent_handle_notify(agent *a);
int agent_cmd_notify(const char *sock, const char *app, const char *lvl);

/* --- agent_main_requests.c */
void agent_write_ack(agent *a, uint64_t seq, const char *ack);
/* A release waits for the balloon. */
bool agent_release_pending(const agent *a);
/* Acks the releases that are done or out of time. */
void agent_releases_tick(agent *a, uint64_t t);
/* Asking applications dom0 did not answer in time are started. */
void agent_asks_tick(agent *a, uint64_t t);
/* Reads what the watch connection holds and carries out new requests;
 * -errno if it is gone. */
int agent_handle_watch(agent *a);

#endif
