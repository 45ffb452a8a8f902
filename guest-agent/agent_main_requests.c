/*
 * guest-agent/agent_main_requests.c: requests from dom0 under
 * xres/request, read when the watch fires, carried out and acked under
 * data/xres/ack: releases (agent_release.h), engage, application start
 * and stop, and the managing domain's analysis (agent_alloc.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_main.h"
#include "agent_release.h"

void agent_write_ack(agent *a, uint64_t seq, const char *ack)
{
    char s[24];

    snprintf(s, sizeof(s), "%" PRIu64, seq);
    if (a->verbose) agent_say(LOG_DEBUG, "request %s: %s", s, ack);
    if (!agent_xwrite(a, XBT_NULL, XS_REPORT_ACK, s, ack))
        agent_say(LOG_ERR, "cannot write ack %s: %s", s, strerror(errno));
}

bool agent_release_pending(const agent *a)
{
    for (int i = 0; i < RELEASES_MAX; i++)
        if (a->rel[i].active) return true;
    return false;
}

static bool release_active(agent *a, uint64_t seq)
{
    for (int i = 0; i < RELEASES_MAX; i++)
        if (a->rel[i].active && a->rel[i].seq == seq) return true;
    return false;
}

static void do_request(agent *a, uint64_t seq, const xres_request *q)
{
    char ack[XRES_ACK_DETAIL_MAX + 16], msg[XRES_ACK_DETAIL_MAX + 1];
    int idx, st;

    switch (q->op) {
    case XRES_REQ_RELEASE: {
        uint64_t cur;
        if (xres_agent_read_u64(a->paths->balloon_cur, &cur)) {
            xres_schema_format_ack(false, "no balloon driver", ack,
                                   sizeof(ack));
            break;
        }
        if (q->drop_caches && (st = xres_agent_drop_caches(a->paths)))
            agent_say(LOG_WARNING, "cannot drop caches: %s", strerror(-st));
        for (idx = 0; idx < RELEASES_MAX && a->rel[idx].active; idx++) {}
        if (idx == RELEASES_MAX) {
            xres_schema_format_ack(false, "busy: too many releases waiting",
                                   ack, sizeof(ack));
            break;
        }
        a->rel[idx].active = true;
        a->rel[idx].seq = seq;
        a->rel[idx].target_kb = q->kb;
        a->rel[idx].deadline_ms = agent_now_ms() +
            (uint64_t)a->cfg.release_timeout_s * 1000;
        return;                     /* acked once the balloon is there */
    }
    case XRES_REQ_ENGAGE: {
        unsigned on, bad;
        if (xres_agent_online_memory(a->paths, &on, &bad)) {
            xres_schema_format_ack(true, "no memory hotplug; nothing to "
                                   "online", ack, sizeof(ack));
        } else {
            snprintf(msg, sizeof(msg), "onlined %u memory blocks%s", on,
                     bad ? ", some failed" : "");
            xres_schema_format_ack(!bad, msg, ack, sizeof(ack));
        }
        break;
    }
    case XRES_REQ_REFUSE: {
        idx = agent_app_index(a, q->app);
        const xres_agent_app_cfg *ac = &a->cfg.apps[idx];
        bool was = a->app[idx].asking;
        if (xres_app_refused(&a->app[idx], a->cfg.start_without_extension) ==
            XRES_APP_ACT_START) {
            agent_say(LOG_WARNING, "%s: extension refused; starting it "
                      "without (start_without_extension)", ac->name);
            (void)agent_job_start(a, ac->start, JOB_START, idx, 0);
        } else if (was) {
            agent_say(LOG_WARNING, "%s: extension refused; not started",
                      ac->name);
        }
        a->apps_gen++;
        xres_schema_format_ack(true, was ? "noted" : "not asking", ack,
                               sizeof(ack));
        break;
    }
    case XRES_REQ_START:
    case XRES_REQ_STOP: {
        idx = agent_app_index(a, q->app);
        /* dom0's answer: start (the extension is engaged), or stop,
         * which ends the asking too (no start when time runs out). */
        if (xres_app_answered(&a->app[idx])) a->apps_gen++;
        const xres_agent_app_cfg *ac = &a->cfg.apps[idx];
        bool start = q->op == XRES_REQ_START;
        const char *cmd = start ? ac->start : ac->stop;
        if (!cmd[0]) {
            snprintf(msg, sizeof(msg), "%s has no stop command", ac->name);
            xres_schema_format_ack(false, msg, ack, sizeof(ack));
            break;
        }
        xres_job *busy = agent_app_job(a, (size_t)idx);
        if (busy && busy->kind == JOB_CHECK) {
            /* A health check gives way to a request. */
            busy->kind = JOB_DISCARD;
            xres_jobs_kill(busy);
            busy->app = -1;
        } else if (busy) {
            snprintf(msg, sizeof(msg), "busy: a %s command of %s is running",
                     busy->kind == JOB_REQ_STOP ||
                     busy->kind == JOB_RESTART_STOP ? "stop" : "start",
                     ac->name);
            xres_schema_format_ack(false, msg, ack, sizeof(ack));
            break;
        }
        if (!agent_job_start(a, cmd, start ? JOB_REQ_START : JOB_REQ_STOP, idx,
                             seq)) {
            snprintf(msg, sizeof(msg), "cannot run the %s command of %s: %s",
                     start ? "start" : "stop", ac->name, strerror(errno));
            xres_schema_format_ack(false, msg, ack, sizeof(ack));
            break;
        }
        return;                     /* acked when the command ends */
    }
    case XRES_REQ_ALLOC:
        if (xres_alloc_start(&a->alloc, seq, q->pct, agent_now_ms(), ack,
                             sizeof(ack))) {
            agent_say(LOG_INFO, "analysis started under alloc %u", q->pct);
            return;                 /* acked when the job is done */
        }
        break;
    default:
        xres_schema_format_ack(false, "unknown request", ack, sizeof(ack));
        break;
    }
    agent_write_ack(a, seq, ack);
}

static bool job_active_for(agent *a, uint64_t seq)
{
    for (size_t k = 0; k < XRES_JOBS_MAX; k++)
        if (a->jobs.j[k].pid && a->jobs.j[k].seq == seq) return true;
    return false;
}

/* Carries out a request by running cmd without waiting: true if it runs
 * (fn writes the ack when it ends, and the agent writes it under seq);
 * false with an error ack in ack.  For request kinds other than start and
 * stop, whose handlers live in files of their own: a case in do_request
 * that builds the command, calls this and returns when it is true. */
__attribute__((unused))
static bool request_job(agent *a, uint64_t seq, const char *cmd,
                        xres_job_ack_fn *fn, char *ack, size_t acklen)
{
    char msg[XRES_ACK_DETAIL_MAX + 1];
    xres_job *j = agent_job_start(a, cmd, JOB_REQ_CMD, -1, seq);

    if (!j) {
        snprintf(msg, sizeof(msg), "cannot run the command: %s",
                 strerror(errno));
        xres_schema_format_ack(false, msg, ack, acklen);
        return false;
    }
    j->ack = fn;
    return true;
}

void agent_releases_tick(agent *a, uint64_t t)
{
    char ack[XRES_ACK_DETAIL_MAX + 16], msg[XRES_ACK_DETAIL_MAX + 1];

    for (int i = 0; i < RELEASES_MAX; i++) {
        uint64_t cur = 0;
        if (!a->rel[i].active) continue;
        (void)xres_agent_read_u64(a->paths->balloon_cur, &cur);
        xres_release_state st = xres_agent_release_check(
            cur, a->rel[i].target_kb, t, a->rel[i].deadline_ms,
            a->cfg.release_timeout_s, msg, sizeof(msg));
        if (st == XRES_RELEASE_WAIT) continue;
        xres_schema_format_ack(st == XRES_RELEASE_DONE, msg, ack,
                               sizeof(ack));
        a->rel[i].active = false;
        agent_write_ack(a, a->rel[i].seq, ack);
    }
}

static void handle_requests(agent *a)
{
    char **names, p[XRES_SCHEMA_PATH_MAX], s[24];
    unsigned n = 0;
    uint64_t seqs[PENDING_MAX];
    size_t ns;

    names = xs_directory(a->xs, XBT_NULL, a->req_dir, &n);
    ns = names ? xres_agent_pending_seqs(names, n, seqs, PENDING_MAX) : 0;
    free(names);

    for (size_t i = 0; i < ns; i++) {
        unsigned len;
        xres_request q;
        char ack[XRES_ACK_DETAIL_MAX + 16];

        snprintf(s, sizeof(s), "%" PRIu64, seqs[i]);
        if (release_active(a, seqs[i]) || job_active_for(a, seqs[i]) ||
            xres_alloc_running(&a->alloc, seqs[i]))
            continue;
        if (agent_path_of(a, p, XS_REPORT_ACK, s)) continue;
        char *old = xs_read(a->xs, XBT_NULL, p, &len);
        if (old) {                  /* done before */
            free(old);
            continue;
        }
        if (agent_path_of(a, p, XS_REQ_ITEM, s)) continue;
        char *val = xs_read(a->xs, XBT_NULL, p, &len);
        if (!val) continue;         /* removed meanwhile */
        xres_plan plan = xres_agent_plan(&a->cfg, val, len, &q, ack,
                                         sizeof(ack));
        free(val);
        if (plan == XRES_PLAN_ACK) {
            agent_say(LOG_WARNING, "request %s refused: %s", s, ack);
            agent_write_ack(a, seqs[i], ack);
        } else {
            agent_say(LOG_INFO, "request %s: %s %s", s,
                      xres_request_op_name(q.op), q.app);
            do_request(a, seqs[i], &q);
        }
    }

    /* Acks whose request dom0 has removed are of no more use. */
    if (agent_path_of(a, p, XS_REPORT_ACK_DIR, NULL)) return;
    names = xs_directory(a->xs, XBT_NULL, p, &n);
    for (unsigned i = 0; names && i < n && i < 256; i++) {
        uint64_t sq;
        bool pending = false;
        if (xres_schema_parse_seq(names[i], strlen(names[i]), &sq)) {
            continue;
        }
        for (size_t j = 0; j < ns; j++) pending |= seqs[j] == sq;
        if (!pending && !release_active(a, sq) && !job_active_for(a, sq) &&
            !xres_alloc_running(&a->alloc, sq))
            agent_xrm(a, XS_REPORT_ACK, names[i]);
    }
    free(names);
}

/* Reads what the watch connection holds; -errno if it is gone. */
int agent_handle_watch(agent *a)
{
    char tok[16];
    bool ours = false;

    /* Events may already be counted (read while a report waited for its
     * replies) or buffered. */
    ours = a->w.events > 0;
    a->w.events = 0;
    while (xres_xsw_pending(&a->w)) {
        int rc = xres_xsw_next(&a->w, tok, sizeof(tok));
        if (rc == XRES_XSW_STALE) {
            continue;
        } else if (rc == XRES_XSW_EVENT) {
            ours |= !strcmp(tok, "req");
        } else if (rc == -EINVAL) {
            agent_say(LOG_ERR, "XenStore refused the watch on %s", a->req_dir);
            return rc;
        } else if (rc < 0) {
            agent_say(LOG_ERR, "lost the XenStore watch connection: %s",
                      strerror(-rc));
            return rc;
        }
    }
    if (ours) handle_requests(a);
    return 0;
}

