/*
 * dom0/core/log.c: syslog and stderr logging, and a token-bucket rate limiter
 * for messages that a guest can provoke.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static bool log_syslog;
static bool log_stderr = true;
static int log_level = LOG_INFO;
static const char *log_ident = "xres";

void xres_log_open(const char *ident, bool to_syslog, bool to_stderr)
{
    log_ident = ident;
    log_syslog = to_syslog;
    log_stderr = to_stderr;
    if (to_syslog) openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void xres_log_set_level(int level)
{
    log_level = level;
}

int xres_log_get_level(void)
{
    return log_level;
}

void xres_log(int prio, const char *fmt, ...)
{
    va_list ap;

    if (prio > log_level) return;
    if (log_syslog) {
        va_start(ap, fmt);
        vsyslog(prio, fmt, ap);
        va_end(ap);
    }
    if (log_stderr) {
        static const char *names[] = { "emerg", "alert", "crit", "error",
                                       "warning", "notice", "info", "debug" };
        fprintf(stderr, "%s: %s: ", log_ident, names[prio & 7]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
}

void xres_ratelimit_init(xres_ratelimit *rl, double burst, double rate_per_s)
{
    rl->tokens = burst;
    rl->burst = burst;
    rl->rate_per_s = rate_per_s;
    rl->last_ms = 0;
    rl->suppressed = 0;
}

bool xres_ratelimit_ok(xres_ratelimit *rl, uint64_t now_ms)
{
    if (rl->last_ms && now_ms > rl->last_ms) {
        rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate_per_s / 1000.0;
        if (rl->tokens > rl->burst) rl->tokens = rl->burst;
    }
    rl->last_ms = now_ms;
    if (rl->tokens >= 1.0) {
        rl->tokens -= 1.0;
        return true;
    }
    rl->suppressed++;
    return false;
}
