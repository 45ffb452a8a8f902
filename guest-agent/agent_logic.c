/*
 * guest-agent/agent_logic.c: the agent's decisions as pure functions:
 * parsing /proc text, the CPU share, when to write a report, application
 * fault levels, and what a request asks for.  No I/O, no clocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* "Key:   1234 kB" -> 1234; false if the key is not in text. */
static bool meminfo_field(const char *text, const char *key, uint64_t *v)
{
    size_t kl = strlen(key);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (strncmp(p, key, kl) || p[kl] != ':') continue;
        p += kl + 1;
        while (*p == ' ') p++;
        if (*p < '0' || *p > '9') return false;
        char *end;
        *v = strtoull(p, &end, 10);
        return true;
    }
    return false;
}

int xres_agent_parse_meminfo(const char *text, xres_agent_sample *s)
{
    uint64_t total, avail, st = 0, sf = 0;

    if (!meminfo_field(text, "MemTotal", &total) ||
        !meminfo_field(text, "MemAvailable", &avail))
        return -EINVAL;
    if (avail > total) avail = total;
    (void)meminfo_field(text, "SwapTotal", &st);
    (void)meminfo_field(text, "SwapFree", &sf);
    s->mem_total_kb = total;
    s->mem_avail_kb = avail;
    s->mem_used_kb = total - avail;
    s->swap_used_kb = st > sf ? st - sf : 0;
    return 0;
}

int xres_agent_parse_stat(const char *text, xres_cpu_times *t)
{
    uint64_t f[8] = { 0 };
    const char *p;
    int n = 0;

    memset(t, 0, sizeof(*t));
    if (strncmp(text, "cpu ", 4)) return -EINVAL;
    /* user nice system idle iowait irq softirq steal (no sscanf: it would
     * add a lot to the static agent). */
    for (p = text + 4; n < 8; n++) {
        char *end;
        while (*p == ' ') p++;
        if (*p < '0' || *p > '9') break;
        f[n] = strtoull(p, &end, 10);
        p = end;
    }
    if (n < 4) return -EINVAL;
    t->busy = f[0] + f[1] + f[2] + f[5] + f[6];
    t->idle = f[3] + f[4];
    t->valid = true;
    return 0;
}

unsigned xres_agent_cpu_pct(const xres_cpu_times *prev,
                            const xres_cpu_times *cur)
{
    if (!prev->valid || !cur->valid) return 0;
    if (cur->busy < prev->busy || cur->idle < prev->idle) return 0;
    uint64_t db = cur->busy - prev->busy, di = cur->idle - prev->idle;
    if (db + di == 0) return 0;
    uint64_t pct = (db * 100 + (db + di) / 2) / (db + di);
    return pct > 100 ? 100 : (unsigned)pct;
}

const char *xres_write_why_name(xres_write_why w)
{
    switch (w) {
    case XRES_WRITE_NO: return "no";
    case XRES_WRITE_FIRST: return "first";
    case XRES_WRITE_CHANGE: return "change";
    case XRES_WRITE_BIG_CHANGE: return "big-change";
    case XRES_WRITE_HEARTBEAT: return "heartbeat";
    }
    return "?";
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

xres_write_why xres_agent_should_write(const xres_agent_cfg *c, bool written,
                                       const xres_agent_sample *last,
                                       uint64_t last_ms,
                                       const xres_agent_sample *now,
                                       uint64_t now_ms)
{
    if (!written) return XRES_WRITE_FIRST;
    /* A clock that went backwards: treat as no time passed. */
    uint64_t dt = now_ms > last_ms ? now_ms - last_ms : 0;

    if (dt >= (uint64_t)c->heartbeat_s * 1000) return XRES_WRITE_HEARTBEAT;
    bool changed = memcmp(last, now, sizeof(*now)) != 0;
    if (!changed) return XRES_WRITE_NO;
    if (dt >= c->interval_ms) return XRES_WRITE_CHANGE;
    if (dt < XRES_AGENT_MIN_GAP_MS) return XRES_WRITE_NO;

    bool big = now->apps_gen != last->apps_gen ||
        absdiff(now->cpu_pct, last->cpu_pct) >= c->change_cpu;
    if (c->change_kb) {
        big = big ||
            absdiff(now->mem_used_kb, last->mem_used_kb) >= c->change_kb ||
            absdiff(now->mem_total_kb, last->mem_total_kb) >= c->change_kb ||
            absdiff(now->swap_used_kb, last->swap_used_kb) >= c->change_kb ||
            absdiff(now->balloon_cur_kb, last->balloon_cur_kb) >=
                c->change_kb ||
            absdiff(now->balloon_target_kb, last->balloon_target_kb) >=
                c->change_kb;
    }
    return big ? XRES_WRITE_BIG_CHANGE : XRES_WRITE_NO;
}

void xres_app_state_init(xres_app_state *st)
{
    memset(st, 0, sizeof(*st));
    st->notified = -1;
}

xres_app_action xres_app_step(xres_app_state *st, bool healthy,
                              unsigned max_restarts)
{
    if (st->stopped || st->asking) {
        /* Stopped, or not started yet: waits for its extension. */
        st->level = XRES_LEVEL_HEALTHY;
        st->healthy_streak = 0;
        return XRES_APP_ACT_NONE;
    }
    /* Levels the application declared itself stand until it clears them;
     * the agent does not restart over them. */
    if (st->notified >= XRES_LEVEL_RESTART_FAILED) {
        st->level = (unsigned)st->notified;
        st->healthy_streak = 0;
        return XRES_APP_ACT_NONE;
    }
    if (st->notified == XRES_LEVEL_RESTARTING) {
        healthy = false;            /* the application asked for a restart */
        st->notified = -1;
    }
    if (!st->launched) {
        /* The agent has just started: an application that is not running
         * yet is started, and that is no fault. */
        st->launched = true;
        if (!healthy) {
            st->level = XRES_LEVEL_HEALTHY;
            return XRES_APP_ACT_START;
        }
    }
    if (healthy) {
        st->level = XRES_LEVEL_HEALTHY;
        if (++st->healthy_streak >= XRES_APP_STABLE_CHECKS) st->tries = 0;
        return XRES_APP_ACT_NONE;
    }
    st->healthy_streak = 0;
    if (st->tries < max_restarts) {
        st->tries++;
        st->restarts++;
        st->level = XRES_LEVEL_RESTARTING;
        return XRES_APP_ACT_RESTART;
    }
    st->level = XRES_LEVEL_RESTART_FAILED;
    return XRES_APP_ACT_NONE;
}

int xres_app_notify(xres_app_state *st, int level)
{
    if (level < 0 || level > XRES_LEVEL_MEMORY) return -ERANGE;
    st->notified = level == 0 ? -1 : level;
    if (level == 0 && st->level >= XRES_LEVEL_SERIOUS)
        st->level = XRES_LEVEL_HEALTHY;
    return 0;
}

bool xres_app_asks_first(const xres_agent_app_cfg *ac)
{
    return ac->ask_extension && !ac->hot_standby && ac->memory_kb > 0;
}

xres_app_action xres_app_refused(xres_app_state *st, bool start_without)
{
    if (!st->asking) return XRES_APP_ACT_NONE;
    st->asking = false;
    if (start_without) return XRES_APP_ACT_START;
    st->stopped = true;
    return XRES_APP_ACT_NONE;
}

bool xres_app_answered(xres_app_state *st)
{
    if (!st->asking) return false;
    st->asking = false;
    return true;
}

void xres_app_request_done(xres_app_state *st, bool start, int status)
{
    unsigned restarts = st->restarts;

    if (start && status != 0) {
        /* dom0's restart did not help: the agent's own restarts go on
         * from where they were, so that a fault that persists reaches
         * level 2 and dom0 escalates. */
        st->launched = true;
        st->stopped = false;
        st->asking = false;
    } else if (start) {
        xres_app_state_init(st);
        st->restarts = restarts;
    } else {
        st->stopped = true;
        st->level = XRES_LEVEL_HEALTHY;
    }
}

xres_app_run_state xres_app_run_state_of(const xres_app_state *st)
{
    if (st->asking) return XRES_APP_ASKING;
    if (st->stopped) return XRES_APP_STOPPED;
    if (st->level == XRES_LEVEL_RESTART_FAILED && st->notified < 0)
        return XRES_APP_FAILED;
    return XRES_APP_RUNNING;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t xres_agent_pending_seqs(char *const *names, size_t n, uint64_t *out,
                               size_t max)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k < max; i++) {
        uint64_t s;
        if (names[i] && !xres_schema_parse_seq(names[i], strlen(names[i]),
                                               &s))
            out[k++] = s;
    }
    qsort(out, k, sizeof(*out), cmp_u64);
    return k;
}

xres_plan xres_agent_plan(const xres_agent_cfg *c, const char *val,
                          size_t len, xres_request *req, char *ack,
                          size_t acklen)
{
    char why[XRES_SCHEMA_WHY_MAX], msg[160];

    if (xres_schema_parse_request(val, len, req, why, sizeof(why))) {
        /* "request: unknown request: ..." -> "unknown request: ..." */
        const char *w = strncmp(why, "request: ", 9) ? why : why + 9;
        xres_schema_format_ack(false, w, ack, acklen);
        return XRES_PLAN_ACK;
    }
    if ((req->op == XRES_REQ_START || req->op == XRES_REQ_STOP ||
         req->op == XRES_REQ_REFUSE) &&
        !xres_agent_cfg_app(c, req->app)) {
        snprintf(msg, sizeof(msg), "no application %s in agent.conf",
                 req->app);
        xres_schema_format_ack(false, msg, ack, acklen);
        return XRES_PLAN_ACK;
    }
    ack[0] = 0;
    return XRES_PLAN_DO;
}

int xres_agent_parse_notify(const char *line, size_t len, char *app,
                            size_t applen, int *level)
{
    const char *p = line, *end = line + len;
    const char *name, *num;

    while (end > p && (end[-1] == '\n' || end[-1] == '\r')) end--;
    if ((size_t)(end - p) < 7 || memcmp(p, "notify ", 7)) return -EINVAL;
    name = p + 7;
    const char *sp = memchr(name, ' ', (size_t)(end - name));
    if (!sp) return -EINVAL;
    if (!xres_schema_check_name(name, (size_t)(sp - name)) ||
        (size_t)(sp - name) >= applen)
        return -EINVAL;
    num = sp + 1;
    if (end - num != 1 || *num < '0' || *num > '9') return -EINVAL;
    if (*num - '0' > XRES_LEVEL_MEMORY) return -ERANGE;
    memcpy(app, name, (size_t)(sp - name));
    app[sp - name] = 0;
    *level = *num - '0';
    return 0;
}
