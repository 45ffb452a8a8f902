/*
 * dom0/daemon/agent_report.h: the daemon's side of the guest agent: reading and
 * checking a domain's data/xres report (agent_report.c) and sending
 * requests and reading their acks (agent_request.c).  Everything goes
 * through backend XenStore operations, so the sim backend tests it.
 */
#ifndef XRES_AGENT_REPORT_H
#define XRES_AGENT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "action.h"
#include "backend.h"
#include "model.h"
#include "xs_schema.h"

/* A report whose seq has not changed for 2 * heartbeat-interval + this is
 * stale. */
#define XRES_AGENT_STALE_GRACE_MS 5000

/*
 * Reads the report record /local/domain/<domid>/data/xres/report into
 * *rep.  *rep holds the previous report on entry (zeroed the first time):
 * its seq and heartbeat_ms tell a live agent from a stale one.  The value
 * is parsed by the schema (one value: read atomically, no torn reports);
 * a bad value, figures that do not add up, or a stale report make
 * rep->valid false ("not reporting") and are logged, rate-limited per
 * domain.  Returns 0 (valid), -ENOENT (no agent), -EINVAL, -ERANGE or
 * -E2BIG (rejected), -ETIMEDOUT (stale) or another -errno from the
 * backend.
 */
int xres_daemon_read_agent_report(xres_backend *b, uint32_t domid,
                                  xres_agent_report *rep, uint64_t now_ms);

/* Just the seq and heartbeat-interval of domid's report (either pointer
 * may be NULL), for code that watches another domain's heartbeat; the
 * whole record is parsed, nothing is logged.  0, -ENOENT (no report),
 * -EINVAL (rejected) or another -errno from the backend. */
int xres_agent_report_peek(xres_backend *b, uint32_t domid, uint64_t *seq,
                           unsigned *hb_interval_s);

/* For the daemon's tick: marks a valid report stale once its time is up
 * (no XenStore read).  Returns true if it has just become invalid. */
bool xres_agent_report_expire(xres_agent_report *rep, uint32_t domid,
                              uint64_t now_ms);

/* An application's state as the agent reports it (xres_agent_app.state). */
typedef enum {
    XRES_APP_RUNNING = 0,
    XRES_APP_STOPPED = 1,
    XRES_APP_FAILED = 2,        /* the agent gave up restarting it */
    XRES_APP_ASKING = 3,        /* waits for its extension to start */
} xres_app_state;

/* One application's status as the agent reports it. */
typedef struct {
    char name[XRES_APP_NAME_MAX + 1];
    unsigned level;             /* 0..4, see xres-agent(8) */
    unsigned restarts;
    unsigned state;             /* xres_app_state */
    bool hot_standby;
    uint64_t memory_kb;
} xres_agent_app;

/* One application: 0, -ENOENT, or -EINVAL (logged). */
int xres_daemon_read_agent_app(xres_backend *b, uint32_t domid,
                               const char *name, xres_agent_app *app,
                               uint64_t now_ms);

/*
 * Requests (agent_request.c).
 *
 * setup: creates /local/domain/<domid>/xres and xres/request owned by
 * dom0 with read-only access for the guest (call when a domain appears).
 * send: writes the next request, returns its sequence number.
 * poll: 0 with *ack when the agent answered (the request and the ack are
 * then removed), -EAGAIN while it has not, -EINVAL for an ack that does
 * not parse (logged, removed too; treat as failed).
 * cancel: forget a request (on timeout).
 */
int xres_agent_request_setup(xres_backend *b, uint32_t domid);
int xres_agent_request_send(xres_backend *b, uint32_t domid,
                            const xres_request *req, uint64_t *seq);
int xres_agent_request_poll(xres_backend *b, uint32_t domid, uint64_t seq,
                            xres_ack *ack, uint64_t now_ms);
int xres_agent_request_cancel(xres_backend *b, uint32_t domid, uint64_t seq);
/* Takes the next request number of one domain (the counter is written
 * first: a number is never used twice).  -ENOENT, logged, if the domain's
 * request directory is not set up. */
int xres_agent_request_next(xres_backend *b, uint32_t domid, uint64_t *seq);
/* Writes an AGENT_REQUEST action (action.h) as request u.req.seq, a
 * number the caller has already taken with xres_agent_request_reserve.
 * -EINVAL for an op or argument that is not a request. */
int xres_agent_request_put(xres_backend *b, const xres_action *act);
/* Is request seq still there?  Only dom0 removes one: a request that is
 * gone (a restarted xresd set the directory up afresh) is never answered.
 * A read that fails otherwise counts as still there. */
bool xres_agent_request_pending(xres_backend *b, uint32_t domid,
                                uint64_t seq);
/* Watch (on) or stop watching the agent's answer to seq, or every answer
 * of the domain when seq is 0, with the caller's token. */
int xres_agent_request_watch_acks(xres_backend *b, uint32_t domid,
                                  uint64_t seq, const char *token, bool on);
/* Is path (from a watch event) one of domid's answers?  0 with its seq,
 * -ENOENT if it is not under domid's acks, -EINVAL if it names none. */
int xres_agent_request_ack_of(const char *path, uint32_t domid, uint64_t *seq);

/*
 * The rest of the channel, for callers that number their own requests
 * (the pairs: one failover's requests share one range on both domains).
 *
 * reserve: takes n request numbers at once on every domain of doms (the
 * domains that exist): *first gets a number above every domain's counter
 * and at least `floor`, and each counter is moved to *first + n - 1, so
 * nothing else uses *first .. *first + n - 1.  Returns the first error of
 * a counter write (*first is set all the same).
 * ack_peek: the agent's answer to seq, left in place: 0 with *ack,
 * -ENOENT while there is none, -EINVAL for one that does not parse.
 * collect: once seq is answered, removes the request (the agent then
 * drops its ack): 0, or -ENOENT while there is no answer.
 */
int xres_agent_request_reserve(xres_backend *b, const uint32_t *doms,
                               size_t ndoms, uint64_t floor, uint64_t n,
                               uint64_t *first);
int xres_agent_request_ack_peek(xres_backend *b, uint32_t domid,
                                uint64_t seq, xres_ack *ack);
int xres_agent_request_collect(xres_backend *b, uint32_t domid,
                               uint64_t seq);

/* Per-domain limit for log messages a guest can provoke: true if this one
 * may be logged; *suppressed gets how many were dropped before it. */
bool xres_agent_log_ok(uint32_t domid, uint64_t now_ms,
                       uint64_t *suppressed);

#endif
