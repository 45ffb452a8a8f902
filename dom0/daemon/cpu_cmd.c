/*
 * dom0/daemon/cpu_cmd.c: the CPU subsystem's commands, sched-list,
 * sched-set and sched-policy, and its fields in `xres list`.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"
#include "ipc.h"
#include "log.h"

/*----- JSON helpers -----*/

static void json_num1(yajl_gen g, const char *key, double v)
{
    char buf[32];

    xres_json_str(g, key);
    if (v < 0 || !isfinite(v)) {
        yajl_gen_null(g);
        return;
    }
    snprintf(buf, sizeof(buf), "%.1f", v);
    yajl_gen_number(g, buf, strlen(buf));
}

static void json_num3(yajl_gen g, const char *key, double v)
{
    char buf[40];

    xres_json_str(g, key);
    if (!isfinite(v)) {
        yajl_gen_null(g);
        return;
    }
    snprintf(buf, sizeof(buf), "%.3f", v);
    yajl_gen_number(g, buf, strlen(buf));
}

static const char *src_name(uint8_t s)
{
    return s == 2 ? "run-time" : s == 1 ? "config" : "-";
}

void xres_cpud_fill_domain_json(xres_daemon *d, const xres_domain *dom,
                                 yajl_gen g)
{
    cpu_state *st = ST(d);
    const xres_cpu_point *p =
        xres_cpu_hist_latest(xres_cpu_meter_find(&st->meter, dom->domid));
    uint8_t src;
    const xres_cpu_policy *pol = xres_cpud_policy_for(st, dom->name, &src);
    char spec[XRES_CPU_SPEC_MAX] = "none";

    json_num1(g, "cpu_use_pct", p ? p->use_pct : -1);
    if (pol) xres_cpu_policy_format(pol, spec, sizeof(spec));
    xres_json_kv_str(g, "cpu_policy", spec);
}

/*----- commands -----*/

static void sched_list(xres_daemon *d, yajl_val req, yajl_gen g)
{
    cpu_state *st = ST(d);
    const char *only = xres_json_get_str(req, "domain");
    const xres_domain *odom = NULL;

    if (only) {
        odom = xres_daemon_find_domain(d, only);
        if (!odom) {
            xres_ipc_reply_error(g, "sched-list: no domain %.64s", only);
            return;
        }
    }
    xres_ipc_reply_ok_begin(g);
    xres_json_kv_str(g, "scheduler", xres_sched_kind_name(d->host.sched));
    xres_json_kv_u64(g, "nr_cpus", d->host.nr_cpus);
    json_num1(g, "max_pct", 100.0 * d->host.nr_cpus);
    json_num1(g, "load_pct", st->res.load);
    xres_json_kv_str(g, "load_mode", xres_load_mode_name(st->prm.set.load_mode));
    xres_json_kv_u64(g, "load_window", st->prm.set.load_window);
    json_num1(g, "available_pct", st->res.available);
    xres_json_kv_str(g, "error", st->res.error);
    xres_json_str(g, "manage");
    if (st->res.manage_domid != XRES_DOMID_INVALID || st->mg.name[0]) {
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "domain", st->mg.name);
        json_num1(g, "allocable_pct", st->res.allocable);
        json_num1(g, "alloc_pct", st->res.manage_alloc);
        xres_json_kv_str(g, "caution", st->res.manage_caution);
        xres_json_kv_u64(g, "request_seq", st->mg.seq);
        xres_json_kv_int(g, "request_alloc_pct",
                         st->mg.seq ? st->mg.alloc : -1);
        /* What the latest request was worked out from, to 3 decimals so
         * that it can be checked against the figures above. */
        xres_json_str(g, "basis");
        if (st->mg.basis.valid) {
            yajl_gen_map_open(g);
            xres_json_kv_u64(g, "seq", st->mg.basis.seq);
            json_num3(g, "available_pct", st->mg.basis.available);
            json_num3(g, "own_pct", st->mg.basis.own);
            json_num3(g, "allocable_pct", st->mg.basis.allocable);
            json_num3(g, "a_pct", st->mg.basis.a);
            xres_json_kv_str(g, "note", st->mg.basis.note);
            yajl_gen_map_close(g);
        } else {
            yajl_gen_null(g);
        }
        xres_json_str(g, "runs");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < st->mg.hist_n; i++) {
            size_t j = (st->mg.hist_next + XRES_MANAGE_HIST - st->mg.hist_n + i) %
                       XRES_MANAGE_HIST;
            yajl_gen_map_open(g);
            json_num1(g, "alloc_pct", st->mg.hist[j].alloc);
            json_num1(g, "time_s", st->mg.hist[j].time_s);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    } else {
        yajl_gen_null(g);
    }
    xres_json_str(g, "domains");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < d->host.nr_domains; i++) {
        const xres_domain *dom = &d->host.domains[i];
        const xres_cpu_dom_hist *h = xres_cpu_meter_find(&st->meter,
                                                         dom->domid);
        const xres_cpu_point *lp = xres_cpu_hist_latest(h);
        xres_cpu_point pts[XRES_CPU_HIST_MAX];
        size_t np, k = xres_cpud_dec_index(st, dom->domid);
        uint8_t src;
        const xres_cpu_policy *pol = xres_cpud_policy_for(st, dom->name, &src);
        char spec[XRES_CPU_SPEC_MAX] = "none";

        if (odom && odom->domid != dom->domid) continue;
        if (pol) xres_cpu_policy_format(pol, spec, sizeof(spec));
        yajl_gen_map_open(g);
        xres_json_kv_u64(g, "domid", dom->domid);
        xres_json_kv_str(g, "name", dom->name);
        xres_json_kv_int(g, "weight", dom->weight);
        xres_json_kv_int(g, "cap", dom->cap);
        xres_json_kv_u64(g, "vcpus", dom->vcpus_online);
        json_num1(g, "use_pct", lp ? lp->use_pct : -1);
        json_num1(g, "agent_pct", lp ? lp->agent_pct : -1);
        xres_json_kv_str(g, "cpu_source", xres_cpu_source_name(
                             xres_cpu_params_source(&st->prm, dom->name)));
        xres_json_kv_str(g, "policy", spec);
        xres_json_kv_str(g, "source", src_name(src));
        xres_json_kv_str(g, "note", k != SIZE_MAX ? st->res.dec[k].note : "");
        xres_json_str(g, "history");
        yajl_gen_array_open(g);
        np = xres_cpu_hist_recent(h, pts, XRES_CPU_HIST_MAX);
        for (size_t j = 0; j < np; j++) {
            yajl_gen_map_open(g);
            xres_json_kv_u64(g, "t_ms", pts[j].t_ms);
            json_num1(g, "use_pct", pts[j].use_pct);
            json_num1(g, "agent_pct", pts[j].agent_pct);
            xres_json_kv_int(g, "cap", pts[j].cap);
            xres_json_kv_int(g, "weight", pts[j].weight);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

static bool sched_active(xres_daemon *d, yajl_gen g, const char *cmd)
{
    if (d->host.sched == XRES_SCHED_CREDIT ||
        d->host.sched == XRES_SCHED_CREDIT2)
        return true;
    xres_ipc_reply_error(g, "%s: scheduler %s has no weight and cap", cmd,
                         xres_sched_kind_name(d->host.sched));
    return false;
}

static void sched_set(xres_daemon *d, yajl_val req, yajl_gen g)
{
    cpu_state *st = ST(d);
    const char *dname = xres_json_get_str(req, "domain");
    bool force = xres_json_get_bool(req, "force", false);
    long long w = -1, c = -1;
    xres_domain *dom;
    const xres_cpu_policy *p;
    uint8_t src;
    xres_action act;
    int rc;

    if (!sched_active(d, g, "sched-set")) return;
    if (!dname) {
        xres_ipc_reply_error(g, "sched-set: no domain given");
        return;
    }
    dom = xres_daemon_find_domain(d, dname);
    if (!dom) {
        xres_ipc_reply_error(g, "sched-set: no domain %.64s", dname);
        return;
    }
    rc = xres_json_get_int(req, "weight", &w);
    if (rc == -EINVAL || (!rc && (w < XRES_WEIGHT_MIN ||
                                  w > XRES_WEIGHT_MAX))) {
        xres_ipc_reply_error(g, "sched-set: %s: weight must be %d..%d",
                             dom->name, XRES_WEIGHT_MIN, XRES_WEIGHT_MAX);
        return;
    }
    if (rc) w = -1;
    rc = xres_json_get_int(req, "cap", &c);
    if (rc == -EINVAL || (!rc && (c < 0 ||
                                  c > 100LL * (dom->vcpus_max ?
                                               dom->vcpus_max : 1)))) {
        xres_ipc_reply_error(g, "sched-set: %s: cap must be 0..%u (100 x "
                             "its %u vCPUs; 0 = no cap)", dom->name,
                             100 * (dom->vcpus_max ? dom->vcpus_max : 1),
                             dom->vcpus_max);
        return;
    }
    if (rc) c = -1;
    if (w < 0 && c < 0) {
        xres_ipc_reply_error(g, "sched-set: %s: give weight= and/or cap=",
                             dom->name);
        return;
    }
    p = xres_cpud_policy_for(st, dom->name, &src);
    if (p && p->kind == XRES_CPU_POLICY_FIXED) {
        /* The fixed values are what sched-set changes. */
        xres_cpu_policy np = *p;
        if (w >= 0) np.weight = (int)w;
        if (c >= 0) np.cap = (int)c;
        xres_cpud_policies_changed(st);
        if (xres_cpu_named_set(&st->rt, &st->nr_rt, dom->name, &np)) {
            xres_ipc_reply_error(g, "sched-set: out of memory");
            return;
        }
        xres_cpud_persist_policy(d, dom->name);
    } else if (p && !force &&
               ((w >= 0 && p->kind == XRES_CPU_POLICY_SHARES) ||
                (c >= 0 && (p->kind == XRES_CPU_POLICY_DEMAND ||
                            p->kind == XRES_CPU_POLICY_MANAGE)))) {
        xres_ipc_reply_error(g, "sched-set: %s: its %s is set by policy "
                             "'%s'; change the policy (xres sched-policy) "
                             "or use --force (the policy carries on from "
                             "the new value)", dom->name,
                             w >= 0 && p->kind == XRES_CPU_POLICY_SHARES ?
                             "weight" : "cap",
                             xres_cpu_policy_kind_name(p->kind));
        return;
    }
    memset(&act, 0, sizeof(act));
    act.kind = XRES_ACT_SET_SCHED;
    act.domid = dom->domid;
    act.u.sched.weight = (int)w;
    act.u.sched.cap = (int)c;
    snprintf(act.why, sizeof(act.why), "xres sched-set%s",
             force ? " --force" : "");
    rc = xres_actuate(d, &act);
    if (rc) {
        xres_ipc_reply_error(g, "sched-set: %s: Xen refused: %s", dom->name,
                             strerror(-rc));
        return;
    }
    xres_daemon_refresh_if_stale(d);
    dom = xres_host_find(&d->host, act.domid);
    xres_ipc_reply_ok_begin(g);
    xres_json_kv_str(g, "name", dom ? dom->name : dname);
    xres_json_kv_int(g, "weight", dom ? dom->weight : w);
    xres_json_kv_int(g, "cap", dom ? dom->cap : c);
    yajl_gen_map_close(g);
}

static void sched_policy(xres_daemon *d, yajl_val req, yajl_gen g)
{
    cpu_state *st = ST(d);
    const char *dname = xres_json_get_str(req, "domain");
    const char *text = xres_json_get_str(req, "policy");
    bool reset = xres_json_get_bool(req, "reset", false);
    const xres_cpu_policy *cur;
    xres_cpu_policy p, *now;
    xres_domain *dom;
    size_t idx = SIZE_MAX, nnow;
    bool refused;
    uint8_t src;
    char err[256], spec[XRES_CPU_SPEC_MAX] = "none";

    if (!dname) {
        xres_ipc_reply_error(g, "sched-policy: no domain given");
        return;
    }
    dom = xres_daemon_find_domain(d, dname);
    if (!dom) {
        xres_ipc_reply_error(g, "sched-policy: no domain %.64s", dname);
        return;
    }
    if (reset) {
        for (size_t i = 0; i < st->nr_rt; i++) {
            if (strcmp(st->rt[i].name, dom->name)) continue;
            xres_cpud_forget_policy(d, st->rt[i].slot);
            xres_cpud_policies_changed(st);
            st->rt[i] = st->rt[--st->nr_rt];
            break;
        }
    } else if (text) {
        if (!sched_active(d, g, "sched-policy")) return;
        if (xres_cpu_policy_parse(text, &p, err, sizeof(err))) {
            xres_ipc_reply_error(g, "sched-policy: %s: %s", dom->name, err);
            return;
        }
        if (xres_cpud_build_policies(d, &now, &nnow)) {
            xres_ipc_reply_error(g, "sched-policy: out of memory");
            return;
        }
        for (size_t i = 0; i < nnow; i++)
            if (d->host.domains[i].domid == dom->domid) idx = i;
        refused = idx != SIZE_MAX &&
            xres_cpu_policy_check(&d->host, now, idx, &p, err, sizeof(err));
        free(now);
        if (refused) {
            xres_ipc_reply_error(g, "sched-policy: %s: refused: %s",
                                 dom->name, err);
            return;
        }
        if (st->nr_rt >= RT_POLICIES_MAX &&
            !xres_cpu_named_find(st->rt, st->nr_rt, dom->name)) {
            xres_ipc_reply_error(g, "sched-policy: too many run-time "
                                 "policies (%d)", RT_POLICIES_MAX);
            return;
        }
        xres_cpud_policies_changed(st);
        if (xres_cpu_named_set(&st->rt, &st->nr_rt, dom->name, &p)) {
            xres_ipc_reply_error(g, "sched-policy: out of memory");
            return;
        }
        xres_cpud_persist_policy(d, dom->name);
        xres_cpu_policy_format(&p, spec, sizeof(spec));
        XLOG_INFO("cpu: %s: policy set to %s", dom->name, spec);
    }
    if (reset || text) xres_cpud_run_pass(d, false);
    cur = xres_cpud_policy_for(st, dom->name, &src);
    if (cur) xres_cpu_policy_format(cur, spec, sizeof(spec));
    else snprintf(spec, sizeof(spec), "none");
    xres_ipc_reply_ok_begin(g);
    xres_json_kv_str(g, "name", dom->name);
    xres_json_kv_str(g, "policy", spec);
    xres_json_kv_str(g, "source", src_name(src));
    xres_json_kv_str(g, "scheduler", xres_sched_kind_name(d->host.sched));
    yajl_gen_map_close(g);
}

int xres_cpud_command(xres_daemon *d, const char *cmd, yajl_val req,
                       yajl_gen out)
{
    if (!strcmp(cmd, "sched-list")) sched_list(d, req, out);
    else if (!strcmp(cmd, "sched-set")) sched_set(d, req, out);
    else if (!strcmp(cmd, "sched-policy")) sched_policy(d, req, out);
    else return -ENOSYS;
    return 0;
}
