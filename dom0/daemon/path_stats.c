/*
 * dom0/daemon/path_stats.c: the figures of the report-to-target path
 * (path_stats.h) and their form in the `stats` reply.
 */
#include <string.h>

#include "ipc.h"
#include "path_stats.h"

static const char *const step_names[XRES_PATH_NR] = {
    "coalesce", "report-read", "snapshot", "policy", "report-to-target",
};

static const char *const act_names[XRES_ACT_KINDS] = {
    [XRES_ACT_SET_TARGET] = "set-target",
    [XRES_ACT_SET_MAXMEM] = "set-maxmem",
    [XRES_ACT_WAIT_TARGET] = "wait-target",
    [XRES_ACT_SET_SCHED] = "set-sched",
    [XRES_ACT_AGENT_REQUEST] = "request",
    [XRES_ACT_DESTROY] = "destroy",
    [XRES_ACT_PAUSE] = "pause",
    [XRES_ACT_MARK] = "mark",
    [XRES_ACT_POOL_CLAIM] = "pool-claim",
    [XRES_ACT_CLAIM] = "claim",
    [XRES_ACT_CREATE] = "create",
    [XRES_ACT_CLAIM_ADJUST] = "claim-adjust",
    [XRES_ACT_CLAIM_MOVE] = "claim-move",
};

const char *xres_path_step_name(xres_path_step s)
{
    return (unsigned)s < XRES_PATH_NR ? step_names[s] : "?";
}

const char *xres_act_kind_name(xres_action_kind k)
{
    return (unsigned)k < XRES_ACT_KINDS && act_names[k] ? act_names[k] : "?";
}

void xres_path_stats_reset(xres_path_stats *p, uint64_t now_ms)
{
    memset(p, 0, sizeof(*p));
    p->reset_ms = now_ms;
}

void xres_path_stats_snapshot(xres_path_stats *p, uint64_t ns,
                              const xres_bcalls *before,
                              const xres_bcalls *after)
{
    xres_stat_add(&p->step[XRES_PATH_SNAPSHOT], ns);
    for (int k = 0; k < XRES_BCALL_KINDS; k++) {
        uint64_t n = after->n[k] - before->n[k];
        xres_stat_add(&p->snap_kind[k], after->ns[k] - before->ns[k]);
        p->snap_calls[k] += n;
        p->snap_calls_last[k] = n;
    }
}

static void stat_fields(yajl_gen g, const xres_stat *s)
{
    xres_stat_summary m;

    xres_stat_summarise(s, &m);
    xres_json_kv_u64(g, "count", m.count);
    xres_json_kv_u64(g, "last_ns", m.last_ns);
    xres_json_kv_u64(g, "p50_ns", m.p50_ns);
    xres_json_kv_u64(g, "p99_ns", m.p99_ns);
    xres_json_kv_u64(g, "max_ns", m.max_ns);
}

void xres_path_stats_json(const xres_path_stats *p, uint64_t now_ms,
                          yajl_gen g)
{
    xres_json_kv_u64(g, "span_ms", now_ms >= p->reset_ms
                     ? now_ms - p->reset_ms : 0);
    xres_json_kv_u64(g, "window", XRES_STAT_WINDOW);
    xres_json_str(g, "steps");
    yajl_gen_array_open(g);
    for (int s = 0; s < XRES_PATH_NR; s++) {
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "name", step_names[s]);
        stat_fields(g, &p->step[s]);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    xres_json_str(g, "snapshot_calls");
    yajl_gen_array_open(g);
    for (int k = 0; k < XRES_BCALL_KINDS; k++) {
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "kind", xres_bcall_kind_name(k));
        xres_json_kv_u64(g, "calls", p->snap_calls[k]);
        xres_json_kv_u64(g, "last_calls", p->snap_calls_last[k]);
        stat_fields(g, &p->snap_kind[k]);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    xres_json_str(g, "actions");
    yajl_gen_array_open(g);
    for (int k = 0; k < XRES_ACT_KINDS; k++) {
        if (!p->act[k].count) continue;
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "kind", xres_act_kind_name(k));
        stat_fields(g, &p->act[k]);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    xres_json_str(g, "counters");
    yajl_gen_map_open(g);
    xres_json_kv_u64(g, "report_events", p->report_events);
    xres_json_kv_u64(g, "reports", p->reports);
    xres_json_kv_u64(g, "reports_deferred", p->reports_deferred);
    xres_json_kv_u64(g, "policy_runs", p->policy_runs);
    yajl_gen_map_close(g);
}
