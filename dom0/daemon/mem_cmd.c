/*
 * dom0/daemon/mem_cmd.c: the IPC requests of memory by demand: mem-move,
 * mem-set (both with dry_run), balance, mem-moves; mem-policy is passed to
 * mem_policy_rt.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "mem_priv.h"

/* ---- commands ---- */

static xres_domain *dom_arg(xres_daemon *d, yajl_val req, const char *key,
                            yajl_gen out)
{
    const char *s = xres_json_get_str(req, key);
    xres_domain *dom;

    if (!s) {
        xres_ipc_reply_error(out, "missing `%s'", key);
        return NULL;
    }
    dom = xres_daemon_find_domain(d, s);
    if (!dom) xres_ipc_reply_error(out, "no domain called %s", s);
    return dom;
}

static void reply_moves(yajl_gen out, const xres_movers *mv, uint64_t only)
{
    xres_json_str(out, "moves");
    yajl_gen_array_open(out);
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass ? mv->hist_n : mv->n;
        for (size_t i = 0; i < n; i++) {
            const xres_move *m = pass ? &mv->hist[i] : &mv->v[i];
            if (only && m->id != only) continue;
            yajl_gen_map_open(out);
            xres_json_kv_u64(out, "id", m->id);
            xres_json_kv_str(out, "state", xres_move_state_name(m->state));
            xres_json_kv_str(out, "origin", m->origin);
            xres_json_kv_str(out, "src", m->src_name[0] ? m->src_name : "-");
            xres_json_kv_str(out, "dst", m->dst_name[0] ? m->dst_name : "-");
            xres_json_kv_u64(out, "kb", m->t.kb);
            if (pass) {
                xres_json_kv_int(out, "result", m->result);
                xres_json_kv_str(out, "message", m->msg);
            }
            yajl_gen_map_close(out);
        }
    }
    yajl_gen_array_close(out);
}

/* The plan's actions, one line each, as `--dry-run` prints them. */
static void reply_actions(yajl_gen out, const xres_actions *acts)
{
    char line[256];

    xres_json_str(out, "actions");
    yajl_gen_array_open(out);
    for (size_t i = 0; i < acts->n; i++) {
        xres_action_format(&acts->v[i], line, sizeof(line));
        xres_json_str(out, line);
    }
    yajl_gen_array_close(out);
}

/* mem-move / mem-set --dry-run: the actions the move would run. */
static int reply_dry_run(const xres_mem_plan *plan, const xres_mem_params *p,
                         yajl_gen out)
{
    xres_actions acts;
    int rc;

    xres_actions_init(&acts);
    if (!(rc = xres_mem_plan_actions(plan, p, &acts))) {
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_bool(out, "dry_run", true);
        reply_actions(out, &acts);
        yajl_gen_map_close(out);
    }
    xres_actions_dispose(&acts);
    return rc;
}

/* Start a single planned transfer for mem-move / mem-set. */
static int run_single(xres_daemon *d, xres_mem_plan *plan, const char *origin,
                      yajl_gen out)
{
    mem_priv *mp = P(d);
    uint64_t id = 0;

    if (!plan->n) {
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_str(out, "message", "nothing to do");
        yajl_gen_map_close(out);
        return 0;
    }
    int rc = xres_moves_start(&mp->run, &mp->mv, &d->host, &plan->v[0],
                              origin, now_ms(d), &id);
    if (rc) {
        xres_ipc_reply_error(out, "cannot start the move: %s",
                             rc == -EBUSY ? "a domain is already in a move"
                                          : strerror(-rc));
        return 0;
    }
    for (size_t k = 0; k < mp->mv.n; k++)
        if (mp->mv.v[k].id == id) {
            xres_memd_mark_busy(d, plan->v[0].src);
            xres_memd_mark_busy(d, plan->v[0].dst);
        }
    xres_memd_schedule_check(d);
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_u64(out, "move", id);
    reply_moves(out, &mp->mv, id);
    yajl_gen_map_close(out);
    return 0;
}

static int cmd_move_or_set(xres_daemon *d, bool is_move, yajl_val req,
                           yajl_gen out)
{
    mem_priv *mp = P(d);
    xres_domain *s, *r = NULL;
    xres_mem_plan plan;
    xres_host view;
    uint64_t kb;
    char err[400];
    int rc;

    xres_memd_overlay(d);
    if (!(s = dom_arg(d, req, is_move ? "src" : "dom", out))) return 0;
    if (is_move && !(r = dom_arg(d, req, "dst", out))) return 0;
    if (xres_json_get_u64(req, "kb", &kb)) {
        xres_ipc_reply_error(out, "missing or invalid `kb'");
        return 0;
    }
    uint32_t sid = s->domid, rid = r ? r->domid : XRES_DOMID_INVALID;
    xres_host_init(&view);
    xres_mem_plan_init(&plan);
    if ((rc = xres_memd_planning_view(d, &view))) goto out;
    rc = is_move ? xres_mem_plan_move(&view, &mp->p, sid, rid, kb, &plan,
                                      err, sizeof(err))
                 : xres_mem_plan_set(&view, &mp->p, sid, kb, &plan, err,
                                     sizeof(err));
    if (rc == -ENOMEM) goto out;
    if (rc) {
        xres_ipc_reply_error(out, "%s", err);
        rc = 0;
        goto out;
    }
    if (xres_json_get_bool(req, "dry_run", false))
        rc = reply_dry_run(&plan, &mp->p, out);
    else
        rc = run_single(d, &plan, is_move ? "mem-move" : "mem-set", out);
out:
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&view);
    return rc;
}

static int cmd_balance(xres_daemon *d, yajl_val req, yajl_gen out)
{
    mem_priv *mp = P(d);
    bool dry = xres_json_get_bool(req, "dry_run", false);
    xres_mem_plan plan;
    xres_actions acts;
    xres_host view;
    int rc;

    xres_memd_overlay(d);
    if (!dry && mp->mv.n)
        xres_moves_check(&mp->run, &mp->mv, &d->host, now_ms(d));
    xres_host_init(&view);
    xres_mem_plan_init(&plan);
    xres_actions_init(&acts);
    if ((rc = xres_memd_planning_view(d, &view)) ||
        (rc = xres_mem_balance(&view, &mp->p, &plan)) ||
        (rc = xres_mem_plan_actions(&plan, &mp->p, &acts)))
        goto out;
    uint64_t first = mp->mv.next_id;
    if (!dry) xres_memd_start_plan(d, &plan, "balance", NULL);
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_bool(out, "dry_run", dry);
    xres_json_kv_bool(out, "short", plan.short_mode);
    reply_actions(out, &acts);
    if (!dry) {
        xres_json_str(out, "started");
        yajl_gen_array_open(out);
        for (uint64_t id = first; id < mp->mv.next_id; id++)
            yajl_gen_integer(out, (long long)id);
        yajl_gen_array_close(out);
    }
    yajl_gen_map_close(out);
    xres_memd_schedule_check(d);
out:
    xres_actions_dispose(&acts);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&view);
    return rc;
}

int xres_memd_command(xres_daemon *d, const char *cmd, yajl_val req,
                      yajl_gen out)
{
    if (!strcmp(cmd, "mem-move")) return cmd_move_or_set(d, true, req, out);
    if (!strcmp(cmd, "mem-set")) return cmd_move_or_set(d, false, req, out);
    if (!strcmp(cmd, "balance")) return cmd_balance(d, req, out);
    if (!strcmp(cmd, "mem-policy")) return xres_memd_cmd_policy(d, req, out);
    if (!strcmp(cmd, "mem-moves")) {
        uint64_t id = 0;
        mem_priv *mp = P(d);
        xres_json_get_u64(req, "id", &id);
        if (mp->mv.n) xres_memd_cycle(d, false);
        if (id && !xres_movers_find(&mp->mv, id)) {
            xres_ipc_reply_error(out, "no move %" PRIu64 " (moves are "
                                 "remembered until %d more have ended)", id,
                                 XRES_MOVES_HISTORY);
            return 0;
        }
        xres_ipc_reply_ok_begin(out);
        reply_moves(out, &mp->mv, id);
        yajl_gen_map_close(out);
        return 0;
    }
    return -ENOSYS;
}

