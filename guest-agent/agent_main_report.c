/*
 * guest-agent/agent_main_report.c: xres-agent's reports: it samples the
 * guest and, when the rate limit lets it, writes the report record and
 * the applications' keys under data/xres.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent_main.h"

/* The applications' keys are written again at least this often (else
 * only when they change), in case one was lost or clobbered. */
#define REFRESH_MS 600000

/* A figure within row id's bounds: one out of them (a guest with more
 * than 1 PiB, a clock past 2^53 ms) is clamped, not left out. */
static uint64_t clamp_u64(xres_schema_id id, uint64_t v)
{
    const xres_schema_row *r = xres_schema_row_get(id);
    if (v > r->max) v = r->max;
    if (v < r->min) v = r->min;
    return v;
}

static void fmt_u64(char *buf, xres_schema_id id, uint64_t v)
{
    xres_schema_format_u64(id, clamp_u64(id, v), buf, 24);
}

static void app_values(agent *a, size_t i, char lv[24], char rs[24],
                       const char **st)
{
    static const char *states[] = { "running", "stopped", "failed",
                                    "asking" };

    fmt_u64(lv, XS_REPORT_APP_LEVEL, a->app[i].level);
    fmt_u64(rs, XS_REPORT_APP_RESTARTS, a->app[i].restarts);
    *st = states[xres_app_run_state_of(&a->app[i])];
}

/* Takes the reply to the last report, sent without waiting for it. */
void agent_report_finish(agent *a)
{
    char why[160] = "";
    int rc = xres_xsw_finish(&a->rw, why, sizeof(why));

    if (!rc) return;
    a->refresh = true;
    agent_say(LOG_ERR, "report %" PRIu64 " was not written: %s", a->seq,
              rc == -EIO ? why : strerror(-rc));
}

/* Writes one report: the report record (every figure, in one value) and,
 * when they changed or full is set, the applications' keys, in one
 * transaction with the record.  A report with only the record -- nearly
 * all of them -- is one request whose reply is read before the next
 * one (xres_xsw_write_async). */
static int write_report(agent *a, const xres_agent_sample *s, bool full,
                        uint64_t t_ms)
{
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char rec[600];
    uint64_t next = a->seq + 1;
    int rc;

    memset(f, 0, sizeof(f));
#define FIG(id_, v_) (f[XS_POS_##id_].u64 = clamp_u64(XS_##id_, (v_)))
    FIG(REPORT_SEQ, next);
    FIG(REPORT_HEARTBEAT, t_ms);
    FIG(REPORT_HB_INTERVAL, a->cfg.heartbeat_s);
    FIG(REPORT_MEM_TOTAL, s->mem_total_kb);
    FIG(REPORT_MEM_AVAIL, s->mem_avail_kb);
    FIG(REPORT_MEM_USED, s->mem_used_kb);
    FIG(REPORT_SWAP_USED, s->swap_used_kb);
    FIG(REPORT_BALLOON_CUR, s->balloon_cur_kb);
    FIG(REPORT_BALLOON_TGT, s->balloon_target_kb);
    FIG(REPORT_CPU_PCT, s->cpu_pct);
#undef FIG
    f[XS_POS_REPORT_VERSION].s = XRES_VERSION;
    f[XS_POS_REPORT_VERSION].len = strlen(XRES_VERSION);
    if ((rc = xres_schema_format_record(XS_REPORT, f, rec, sizeof(rec)))) {
        agent_say(LOG_ERR, "cannot format the report: %s", strerror(-rc));
        return rc;
    }

    if (a->print) {
        printf("%s", rec);
        for (size_t i = 0; i < a->cfg.napps; i++) {
            char lv[24], rs[24];
            const char *st;
            app_values(a, i, lv, rs, &st);
            printf(" app/%s=%s/%s/%s", a->cfg.apps[i].name, lv, rs, st);
        }
        putchar('\n');
        fflush(stdout);
        goto done;
    }

    agent_report_finish(a);
    full |= a->refresh;
    enum { KV_MAX = 1 + 5 * XRES_AGENT_APPS_MAX };
    xres_xsw_kv kv[KV_MAX];
    char paths[KV_MAX][XRES_SCHEMA_PATH_MAX];
    char appv[XRES_AGENT_APPS_MAX][3][24];
    size_t n = 0;
#define KV(id_, arg_, val_) do { \
        if (agent_path_of(a, paths[n], id_, arg_)) return -EINVAL; \
        kv[n].path = paths[n]; \
        kv[n].val = val_; \
        n++; \
    } while (0)

    for (size_t i = 0; i < a->cfg.napps; i++) {
        const xres_agent_app_cfg *ac = &a->cfg.apps[i];
        const char *st;
        if (!full && a->app_ever_written[i] &&
            !agent_app_changed(&a->app[i], &a->app_written[i]))
            continue;
        app_values(a, i, appv[i][0], appv[i][1], &st);
        fmt_u64(appv[i][2], XS_REPORT_APP_MEMORY, ac->memory_kb);
        KV(XS_REPORT_APP_LEVEL, ac->name, appv[i][0]);
        KV(XS_REPORT_APP_RESTARTS, ac->name, appv[i][1]);
        KV(XS_REPORT_APP_STATE, ac->name, st);
        KV(XS_REPORT_APP_STANDBY, ac->name, ac->hot_standby ? "1" : "0");
        KV(XS_REPORT_APP_MEMORY, ac->name, appv[i][2]);
    }
    KV(XS_REPORT, NULL, rec);
#undef KV

    if (n == 1) {
        /* The common case: the record alone, its reply read later. */
        if ((rc = xres_xsw_write_async(&a->rw, kv[0].path, kv[0].val))) {
            a->refresh = true;
            agent_say(LOG_ERR, "cannot write the report: %s", strerror(-rc));
            return rc;
        }
        a->xs_requests++;
        goto done;
    }
    for (int attempt = 0;; attempt++) {
        char why[160] = "";
        rc = xres_xsw_write_all(&a->rw, kv, n, true, why, sizeof(why));
        if (!rc) break;
        if (rc == -EAGAIN && attempt < 5) continue;
        /* Whatever went in, the next report writes every key again. */
        a->refresh = true;
        if (rc == -EIO || rc == -EPROTO)
            agent_say(LOG_ERR, "cannot write the report: %s", why);
        else
            agent_say(LOG_ERR, "cannot write the report: %s", strerror(-rc));
        return rc;
    }
    a->xs_requests += n + 2;
    a->refresh = false;
done:
    for (size_t i = 0; i < a->cfg.napps; i++) {
        a->app_written[i] = a->app[i];
        a->app_ever_written[i] = true;
    }
    a->seq = next;
    a->writes++;
    if (full) a->last_full_ms = t_ms;
    return 0;
}

/* The balloon's files are read when MemTotal moved (the balloon driver
 * changes it as it takes or gives pages), while a release waits for the
 * balloon, and at least this often; otherwise the last figures stand. */
#define BALLOON_REREAD_MS 5000

void agent_report_tick(agent *a, uint64_t t)
{
    xres_agent_sample s;
    bool balloon = !a->balloon_ms || t - a->balloon_ms >= BALLOON_REREAD_MS ||
                   agent_release_pending(a);

    memset(&s, 0, sizeof(s));
    if (xres_agent_sample_read(a->paths, &a->fds, &s, &a->cpu,
                               balloon ? NULL : &a->sampled)) {
        agent_say(LOG_ERR, "cannot read %s", a->paths->meminfo);
        return;
    }
    if (s.balloon_read) a->balloon_ms = t;
    a->sampled = s;
    s.apps_gen = a->apps_gen;
    xres_write_why w = xres_agent_should_write(&a->cfg, a->written, &a->last,
                                               a->last_ms, &s, t);
    if (w == XRES_WRITE_NO) return;
    /* The applications' keys now and then, in case one was lost or
     * clobbered; else only what changed. */
    bool full = w == XRES_WRITE_FIRST || a->refresh ||
                t - a->last_full_ms >= REFRESH_MS;
    if (write_report(a, &s, full, t)) return;
    if (a->verbose)
        agent_say(LOG_DEBUG, "report %" PRIu64 " (%s): used %" PRIu64 " KiB, "
                  "cpu %u%%", a->seq, xres_write_why_name(w), s.mem_used_kb,
                  s.cpu_pct);
    a->last = s;
    a->last_ms = t;
    a->written = true;
}

