/*
 * guest-agent/agent.h: xres-agent, the program that runs inside a guest and
 * reports to dom0 through XenStore.  The logic (rate limit, fault levels,
 * CPU share, meminfo, requests) is pure functions here so that unit tests
 * can drive it; agent_main*.c (agent_main.h) do the I/O.
 */
#ifndef XRES_AGENT_H
#define XRES_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xs_schema.h"

#define XRES_AGENT_CONF "/etc/xres/agent.conf"
#define XRES_AGENT_SOCKET "/run/xres-agent.sock"
#define XRES_AGENT_APPS_MAX 16
/* The agent's default nice: it keeps reporting when the guest's CPUs are
 * saturated, and a kernel thread its XenStore write wakes does not
 * preempt it.  It runs for a few ms a second, so its weight takes nothing
 * measurable from applications. */
#define XRES_AGENT_NICE_DEFAULT (-10)
#define XRES_AGENT_CMD_MAX 512
/* Never two writes closer than this, whatever changed. */
#define XRES_AGENT_MIN_GAP_MS 100
/* An application is "stable" again after this many healthy checks in a
 * row; its restart tries start from zero then. */
#define XRES_APP_STABLE_CHECKS 3

/* --- Configuration: /etc/xres/agent.conf, xl.cfg syntax. */
typedef struct {
    char name[XRES_APP_NAME_MAX + 1];
    char pidfile[256];              /* health check: a live pid in it */
    char check[XRES_AGENT_CMD_MAX]; /* or: a command ... */
    int check_status;               /* ... that exits with this status */
    char start[XRES_AGENT_CMD_MAX];
    char stop[XRES_AGENT_CMD_MAX];
    uint64_t memory_kb;
    bool hot_standby;
    bool ask_extension;     /* asks dom0 for its memory before it starts */
    unsigned max_restarts;
} xres_agent_app_cfg;

/* The managing domain's analysis job ("alloc" requests, agent_alloc.h). */
#define XRES_ALLOC_TIMEOUT_DEFAULT 3600     /* s */
#define XRES_ALLOC_TIMEOUT_MAX 604800       /* s: a week, as xresd takes */
typedef struct {
    char command[XRES_AGENT_CMD_MAX];   /* analysis_command; "" = none */
    unsigned timeout_s;                 /* analysis_timeout */
} xres_alloc_cfg;

typedef struct {
    unsigned interval_ms;           /* at most one write per this */
    unsigned heartbeat_s;           /* a write at least this often */
    uint64_t change_kb;             /* a memory change this big ... */
    unsigned change_cpu;            /* ... or a CPU change this big (in
                                       points of %) is written sooner */
    unsigned check_interval_s;      /* application health checks */
    unsigned command_timeout_s;     /* start, stop and check commands */
    unsigned release_timeout_s;     /* give up waiting for the balloon */
    /* A non-hot application with a memory size asks dom0 for its
     * extension before it starts (003, routine 110). */
    bool start_without_extension;   /* refused: start it all the same */
    unsigned extension_timeout_s;   /* no answer: start it (no pair) */
    int nice;                       /* the agent's scheduling priority */
    char socket[108];               /* xres-agent notify */
    size_t napps;
    xres_agent_app_cfg apps[XRES_AGENT_APPS_MAX];
    xres_alloc_cfg alloc;           /* analysis_command, analysis_timeout */
    /* Keys the agent does not know, one line each: "FILE:LINE: unknown
     * key \"KEY\", ignored".  They do not stop the agent. */
    unsigned nunknown;
    char unknown[1024];
} xres_agent_cfg;

void xres_agent_cfg_defaults(xres_agent_cfg *c);
/* Parses agent.conf text (fname for messages).  0, or -EINVAL with a
 * message naming the file, the key and the reason in err. */
int xres_agent_cfg_parse(xres_agent_cfg *c, const char *data, size_t len,
                         const char *fname, char *err, size_t errlen);
/* The settings agent.conf may hold, without the per-application ones
 * (NAME.pidfile and so on): NULL-terminated.  A key that is neither is
 * reported in nunknown/unknown. */
extern const char *const xres_agent_cfg_keys[];
extern const char *const xres_agent_cfg_app_keys[];
/* Pure: the unknown keys of xl.cfg text, given the applications c
 * declares; fills c->nunknown and c->unknown.  xres_agent_cfg_parse calls
 * it. */
void xres_agent_cfg_find_unknown(xres_agent_cfg *c, const char *data,
                                 size_t len, const char *fname);
/* Reads a file; a missing file gives the defaults and 0. */
int xres_agent_cfg_load(xres_agent_cfg *c, const char *path, char *err,
                        size_t errlen);
const xres_agent_app_cfg *xres_agent_cfg_app(const xres_agent_cfg *c,
                                             const char *name);
/* "256M", "1G", "512k", "64" (MiB, as xl's memory=).  0 or -EINVAL. */
int xres_agent_parse_size(const char *s, uint64_t *kb);

/* --- One sample of the guest. */
typedef struct {
    uint64_t mem_total_kb;
    uint64_t mem_avail_kb;
    uint64_t mem_used_kb;
    uint64_t swap_used_kb;
    uint64_t balloon_cur_kb;
    uint64_t balloon_target_kb;
    unsigned cpu_pct;
    unsigned apps_gen;              /* changes when any app's status does */
    bool balloon_read;              /* balloon_* read now, not kept */
} xres_agent_sample;

/* /proc/meminfo text -> mem_* and swap_used_kb.  -EINVAL if MemTotal or
 * MemAvailable is missing. */
int xres_agent_parse_meminfo(const char *text, xres_agent_sample *s);

/* The "cpu" line of /proc/stat. */
typedef struct {
    uint64_t busy, idle;            /* idle includes iowait; steal is left
                                       out, so 100 means "using all it
                                       gets" */
    bool valid;
} xres_cpu_times;
int xres_agent_parse_stat(const char *text, xres_cpu_times *t);
/* Busy share between two readings, 0..100, rounded. */
unsigned xres_agent_cpu_pct(const xres_cpu_times *prev,
                            const xres_cpu_times *cur);

/* --- Rate limit. */
typedef enum {
    XRES_WRITE_NO = 0,
    XRES_WRITE_FIRST,               /* nothing written yet */
    XRES_WRITE_CHANGE,              /* changed, interval_ms has passed */
    XRES_WRITE_BIG_CHANGE,          /* changed by more than a threshold */
    XRES_WRITE_HEARTBEAT,           /* heartbeat_s without a write */
} xres_write_why;

const char *xres_write_why_name(xres_write_why w);
/* last/last_ms: the last sample written (ignored if !written). */
xres_write_why xres_agent_should_write(const xres_agent_cfg *c, bool written,
                                       const xres_agent_sample *last,
                                       uint64_t last_ms,
                                       const xres_agent_sample *now,
                                       uint64_t now_ms);

/* --- Application fault levels. */
enum {
    XRES_LEVEL_HEALTHY = 0,         /* running and healthy */
    XRES_LEVEL_RESTARTING = 1,      /* minor fault, the agent restarts it */
    XRES_LEVEL_RESTART_FAILED = 2,  /* minor fault restarting did not fix */
    XRES_LEVEL_SERIOUS = 3,         /* serious fault */
    XRES_LEVEL_MEMORY = 4,          /* its memory cannot be used */
};

typedef enum {
    XRES_APP_RUNNING = 0,           /* the XS_REPORT_APP_STATE choices */
    XRES_APP_STOPPED,
    XRES_APP_FAILED,
    XRES_APP_ASKING,                /* waits for its extension */
} xres_app_run_state;

typedef struct {
    unsigned level;
    unsigned tries;                 /* restarts since it was last stable */
    unsigned restarts;              /* restarts since the agent started */
    unsigned healthy_streak;
    int notified;                   /* level the app set itself, -1 none */
    bool stopped;                   /* stopped on request */
    bool launched;                  /* past the first check */
    bool asking;                    /* waits for dom0's answer to its
                                       extension before it starts */
} xres_app_state;

typedef enum {
    XRES_APP_ACT_NONE = 0,
    XRES_APP_ACT_START,             /* first check, not running: start it;
                                       not a fault */
    XRES_APP_ACT_RESTART,           /* run stop (if any), then start */
} xres_app_action;

void xres_app_state_init(xres_app_state *st);
/* One health check's result in, the new state and what to do out. */
xres_app_action xres_app_step(xres_app_state *st, bool healthy,
                              unsigned max_restarts);
/* Does the application ask dom0 for its extension before it starts (003,
 * routine 110)?  A non-hot application with a memory size and
 * NAME.ask_extension = 1 does (a guest in no pair has nobody to ask). */
bool xres_app_asks_first(const xres_agent_app_cfg *ac);
/* dom0 refused the extension an asking application waits for: START when
 * start_without says so, else the application stays stopped (NONE). */
xres_app_action xres_app_refused(xres_app_state *st, bool start_without);
/* dom0 sent start or stop for an application that was asking for its
 * extension: the asking ends (a stop too, so that nothing starts it when
 * the asking times out).  True if the state changed. */
bool xres_app_answered(xres_app_state *st);
/* A start or stop that dom0 asked for finished with status (0: done).  A
 * failed start keeps the tries and restarts counted so far. */
void xres_app_request_done(xres_app_state *st, bool start, int status);
/* xres-agent notify APP LEVEL: 0 clears, 1 asks for a restart, 2..4
 * stick until the application clears them.  -ERANGE for other levels. */
int xres_app_notify(xres_app_state *st, int level);
xres_app_run_state xres_app_run_state_of(const xres_app_state *st);

/* --- Requests. */

/* The valid sequence numbers among a request directory's entries, in
 * ascending order, at most max.  Entries that are not sequence numbers are
 * skipped.  Returns how many. */
size_t xres_agent_pending_seqs(char *const *names, size_t n, uint64_t *out,
                               size_t max);

typedef enum {
    XRES_PLAN_ACK = 0,              /* answer now with ack (an error) */
    XRES_PLAN_DO,                   /* carry out req */
} xres_plan;

/* Decides what a request value asks for: a malformed request, or an
 * unknown application, gives XRES_PLAN_ACK with an "error ..." ack. */
xres_plan xres_agent_plan(const xres_agent_cfg *c, const char *val,
                          size_t len, xres_request *req, char *ack,
                          size_t acklen);

/* Parses "notify APP LEVEL" as the socket carries it. */
int xres_agent_parse_notify(const char *line, size_t len, char *app,
                            size_t applen, int *level);

#endif
