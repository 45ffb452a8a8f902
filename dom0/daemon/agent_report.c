/*
 * dom0/daemon/agent_report.c: reads a guest agent's report from XenStore (the
 * one record value /local/domain/<domid>/data/xres/report, and the
 * applications under data/xres/app) into an xres_agent_report.  Every
 * value is hostile: it is parsed only through xenstore-schema, checked for
 * consistency, and on any fault the domain is "not reporting".  Rejections
 * are logged, rate-limited per domain.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_report.h"
#include "log.h"

/* --- Per-domain log limit: a burst of 3, then one a minute. */
#define RL_SLOTS 256

static struct {
    uint32_t domid;
    bool used;
    xres_ratelimit rl;
} rl_slots[RL_SLOTS];

bool xres_agent_log_ok(uint32_t domid, uint64_t now_ms,
                       uint64_t *suppressed)
{
    unsigned i = domid % RL_SLOTS;

    if (!rl_slots[i].used || rl_slots[i].domid != domid) {
        rl_slots[i].used = true;
        rl_slots[i].domid = domid;
        xres_ratelimit_init(&rl_slots[i].rl, 3, 1.0 / 60);
    }
    uint64_t before = rl_slots[i].rl.suppressed;
    /* The limiter treats last_ms == 0 as "never"; keep 0 out of it. */
    bool ok = xres_ratelimit_ok(&rl_slots[i].rl, now_ms ? now_ms : 1);
    if (ok && suppressed) {
        *suppressed = before;
        rl_slots[i].rl.suppressed = 0;
    }
    return ok;
}

static void reject_log(uint32_t domid, uint64_t now_ms, const char *what,
                       const char *why)
{
    uint64_t sup = 0;

    if (!xres_agent_log_ok(domid, now_ms, &sup)) return;
    if (sup)
        XLOG_WARN("dom%" PRIu32 ": %s: %s (and %" PRIu64 " more messages "
                  "about this domain suppressed)", domid, what, why, sup);
    else
        XLOG_WARN("dom%" PRIu32 ": %s: %s", domid, what, why);
}

/* Reads one value of row id; 0, -ENOENT or a backend error. */
static int read_val(xres_backend *b, uint32_t domid, xres_schema_id id,
                    const char *arg, char **val, size_t *len)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc = xres_schema_path(path, sizeof(path), id, domid, arg);

    if (rc) return rc;
    *val = NULL;
    *len = 0;
    rc = b->ops->xs_read(b, path, val, len);
    if (rc == 0 && !*val) rc = -EIO;
    return rc;
}

static int read_u64(xres_backend *b, uint32_t domid, xres_schema_id id,
                    const char *arg, uint64_t *out, char *why, size_t whylen)
{
    char *val;
    size_t len;
    int rc = read_val(b, domid, id, arg, &val, &len);

    if (rc == -ENOENT) {
        snprintf(why, whylen, "%s: missing", xres_schema_leaf(id));
        return -EINVAL;
    }
    if (rc) {
        snprintf(why, whylen, "%s: cannot read: %s", xres_schema_leaf(id),
                 strerror(-rc));
        return rc;
    }
    rc = xres_schema_parse_u64(id, val, len, out, why, whylen);
    free(val);
    return rc;
}

static void clear_figures(xres_agent_report *rep)
{
    uint64_t seq = rep->seq, hb = rep->heartbeat_ms;
    unsigned hbi = rep->hb_interval_s;

    memset(rep, 0, sizeof(*rep));
    rep->seq = seq;
    rep->heartbeat_ms = hb;
    rep->hb_interval_s = hbi;
}

static uint64_t stale_ms(unsigned hb_interval_s)
{
    if (hb_interval_s == 0) hb_interval_s = 10;
    return 2ULL * hb_interval_s * 1000 + XRES_AGENT_STALE_GRACE_MS;
}

bool xres_agent_report_expire(xres_agent_report *rep, uint32_t domid,
                              uint64_t now_ms)
{
    char why[96];

    if (!rep->valid || now_ms <= rep->heartbeat_ms ||
        now_ms - rep->heartbeat_ms <= stale_ms(rep->hb_interval_s))
        return false;
    snprintf(why, sizeof(why), "no new report for %" PRIu64 " s",
             (now_ms - rep->heartbeat_ms) / 1000);
    reject_log(domid, now_ms, "agent not reporting", why);
    clear_figures(rep);
    return true;
}

/* Reads and parses the report record into f: 0, -ENOENT (no report),
 * -EINVAL, -ERANGE or -E2BIG (rejected; why says which field), or a
 * backend error (why says so). */
static int read_record(xres_backend *b, uint32_t domid,
                       xres_schema_field *f, char *why, size_t whylen)
{
    char *val = NULL;
    size_t len = 0;
    int rc = read_val(b, domid, XS_REPORT, NULL, &val, &len);

    if (rc == -ENOENT) return rc;
    if (rc) {
        snprintf(why, whylen, "cannot read: %s", strerror(-rc));
        return rc;
    }
    rc = xres_schema_parse_record(XS_REPORT, val, len, f, why, whylen);
    free(val);
    return rc;
}

static bool is_rejection(int rc)
{
    return rc == -EINVAL || rc == -ERANGE || rc == -E2BIG;
}

int xres_agent_report_peek(xres_backend *b, uint32_t domid, uint64_t *seq,
                           unsigned *hb_interval_s)
{
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char why[XRES_SCHEMA_WHY_MAX];
    int rc = read_record(b, domid, f, why, sizeof(why));

    if (is_rejection(rc)) return -EINVAL;
    if (rc) return rc;
    if (seq) *seq = f[XS_POS_REPORT_SEQ].u64;
    if (hb_interval_s)
        *hb_interval_s = (unsigned)f[XS_POS_REPORT_HB_INTERVAL].u64;
    return 0;
}

int xres_daemon_read_agent_report(xres_backend *b, uint32_t domid,
                                  xres_agent_report *rep, uint64_t now_ms)
{
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char why[XRES_SCHEMA_WHY_MAX + 64];
    uint64_t seq, total, avail, used;
    unsigned hbi;
    int rc;

    rc = read_record(b, domid, f, why, sizeof(why));
    if (rc == -ENOENT) {
        bool was = rep->valid;
        memset(rep, 0, sizeof(*rep));
        if (was && xres_agent_log_ok(domid, now_ms, NULL))
            XLOG_INFO("dom%" PRIu32 ": agent gone", domid);
        return -ENOENT;
    }
    if (is_rejection(rc)) goto reject;
    if (rc) goto backend_error;
    seq = f[XS_POS_REPORT_SEQ].u64;
    hbi = (unsigned)f[XS_POS_REPORT_HB_INTERVAL].u64;
    total = f[XS_POS_REPORT_MEM_TOTAL].u64;
    avail = f[XS_POS_REPORT_MEM_AVAIL].u64;
    used = f[XS_POS_REPORT_MEM_USED].u64;

    /* The figures must add up. */
    if (avail > total) {
        snprintf(why, sizeof(why), "mem-avail %" PRIu64 " KiB is above "
                 "mem-total %" PRIu64 " KiB", avail, total);
        rc = -EINVAL;
        goto reject;
    }
    if (used != total - avail) {
        snprintf(why, sizeof(why), "mem-used %" PRIu64 " KiB is not "
                 "mem-total - mem-avail = %" PRIu64 " KiB", used,
                 total - avail);
        rc = -EINVAL;
        goto reject;
    }

    /* Heartbeat: a new seq is a sign of life; the same seq for too long
     * is a dead or stuck agent. */
    bool was_valid = rep->valid;
    if (seq != rep->seq || rep->heartbeat_ms == 0) {
        rep->seq = seq;
        rep->heartbeat_ms = now_ms ? now_ms : 1;
    } else if (now_ms > rep->heartbeat_ms &&
               now_ms - rep->heartbeat_ms > stale_ms(hbi)) {
        snprintf(why, sizeof(why), "seq %" PRIu64 " unchanged for %" PRIu64
                 " s", seq, (now_ms - rep->heartbeat_ms) / 1000);
        rep->hb_interval_s = hbi;
        rc = -ETIMEDOUT;
        goto reject;
    }
    rep->valid = true;
    rep->hb_interval_s = hbi;
    rep->mem_total_kb = total;
    rep->mem_avail_kb = avail;
    rep->mem_used_kb = used;
    rep->swap_used_kb = f[XS_POS_REPORT_SWAP_USED].u64;
    rep->balloon_cur_kb = f[XS_POS_REPORT_BALLOON_CUR].u64;
    rep->balloon_target_kb = f[XS_POS_REPORT_BALLOON_TGT].u64;
    rep->cpu_pct = (unsigned)f[XS_POS_REPORT_CPU_PCT].u64;
    /* A guest that flips between good and bad reports must not flood the
     * log either: this message shares the domain's limit. */
    if (!was_valid && xres_agent_log_ok(domid, now_ms, NULL))
        XLOG_INFO("dom%" PRIu32 ": agent reporting (seq %" PRIu64 ")", domid,
                  seq);
    return 0;

reject:
    if (rep->valid || rc != -ETIMEDOUT)
        reject_log(domid, now_ms, rc == -ETIMEDOUT ? "agent not reporting" :
                   "agent report rejected, domain treated as not reporting",
                   why);
    clear_figures(rep);
    return rc;

backend_error:
    XLOG_ERR("dom%" PRIu32 ": cannot read the agent report: %s", domid,
             strerror(-rc));
    clear_figures(rep);
    return rc;
}

/* --- Applications. */

int xres_daemon_read_agent_app(xres_backend *b, uint32_t domid,
                               const char *name, xres_agent_app *app,
                               uint64_t now_ms)
{
    char why[XRES_SCHEMA_WHY_MAX + 64], *val = NULL;
    uint64_t level, restarts;
    unsigned st, hs = 0;
    size_t len;
    int rc;

    memset(app, 0, sizeof(*app));
    if (!xres_schema_check_name(name, strlen(name))) return -EINVAL;
    snprintf(app->name, sizeof(app->name), "%s", name);
    rc = read_u64(b, domid, XS_REPORT_APP_LEVEL, name, &level, why,
                  sizeof(why));
    if (rc == -EINVAL && strstr(why, ": missing")) return -ENOENT;
    if (rc) goto bad;
    rc = read_u64(b, domid, XS_REPORT_APP_RESTARTS, name, &restarts, why,
                  sizeof(why));
    if (rc) goto bad;
    rc = read_u64(b, domid, XS_REPORT_APP_MEMORY, name, &app->memory_kb, why,
                  sizeof(why));
    if (rc) goto bad;
    rc = read_val(b, domid, XS_REPORT_APP_STATE, name, &val, &len);
    if (rc == 0) {
        rc = xres_schema_parse_enum(XS_REPORT_APP_STATE, val, len, &st, why,
                                    sizeof(why));
        free(val);
        val = NULL;
    } else {
        snprintf(why, sizeof(why), "app/%s/state: missing", name);
    }
    if (rc) goto bad;
    rc = read_val(b, domid, XS_REPORT_APP_STANDBY, name, &val, &len);
    if (rc == 0) {
        rc = xres_schema_parse_enum(XS_REPORT_APP_STANDBY, val, len, &hs, why,
                                    sizeof(why));
        free(val);
        val = NULL;
    } else {
        snprintf(why, sizeof(why), "app/%s/hot-standby: missing", name);
    }
    if (rc) goto bad;
    app->level = (unsigned)level;
    app->restarts = (unsigned)restarts;
    app->state = st;
    app->hot_standby = hs == 1;
    return 0;
bad:
    {
        char what[XRES_APP_NAME_MAX + 48];
        snprintf(what, sizeof(what), "agent status of application %s "
                 "rejected", name);
        reject_log(domid, now_ms, what, why);
    }
    memset(app, 0, sizeof(*app));
    return -EINVAL;
}
