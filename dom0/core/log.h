/*
 * dom0/core/log.h: logging for xresd and xres.  Messages go to syslog (daemon
 * facility) and, when asked, to stderr; a rate limiter keeps a flood of
 * rejected guest input from flooding the log.
 */
#ifndef XRES_LOG_H
#define XRES_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* ident: "xresd"; to_syslog: open syslog; to_stderr: also print. */
void xres_log_open(const char *ident, bool to_syslog, bool to_stderr);
void xres_log_set_level(int level);   /* LOG_ERR .. LOG_DEBUG */
int xres_log_get_level(void);
void xres_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A token bucket: at most burst messages, then rate_per_s. */
typedef struct {
    double tokens;
    double burst;
    double rate_per_s;
    uint64_t last_ms;
    uint64_t suppressed;
} xres_ratelimit;

void xres_ratelimit_init(xres_ratelimit *rl, double burst, double rate_per_s);
/* True if a message may be logged now.  now_ms: monotonic milliseconds. */
bool xres_ratelimit_ok(xres_ratelimit *rl, uint64_t now_ms);

#define XLOG_ERR(...) xres_log(LOG_ERR, __VA_ARGS__)
#define XLOG_WARN(...) xres_log(LOG_WARNING, __VA_ARGS__)
#define XLOG_INFO(...) xres_log(LOG_INFO, __VA_ARGS__)
#define XLOG_DEBUG(...) xres_log(LOG_DEBUG, __VA_ARGS__)

#endif
