/*
 * dom0/daemon/pair_cmd.c: the pair subsystem's IPC commands: pair-create,
 * pair-list, pair-show, failover (and its dry run), failback, pair-delete,
 * and the pair fields of a domain's JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair_priv.h"
#include "pair_step.h"
#include "pair_store.h"
#include "xs_schema.h"

static const xres_domain *req_domain(xres_daemon *d, yajl_val req,
                                     const char *key, yajl_gen out)
{
    const char *s = xres_json_get_str(req, key);
    const xres_domain *dom;

    if (!s) {
        xres_ipc_reply_error(out, "missing \"%s\"", key);
        return NULL;
    }
    dom = xres_daemon_find_domain(d, s);
    if (!dom) xres_ipc_reply_error(out, "no domain `%s'", s);
    return dom;
}

/* Creates, stores and starts following a pair; `why` gets the reason of
 * a refusal.  0, -ENOMEM, or another negative errno with why set. */
int pair_create(xres_daemon *d, const char *name,
                       const xres_domain *a, const xres_domain *s,
                       const xres_pair_app *av, size_t napps,
                       const xres_pair_cfg *cfg, const char *by,
                       char *why, size_t whylen)
{
    xres_pair *p = calloc(1, sizeof(*p));
    int rc;

    if (!p) return -ENOMEM;
    rc = xres_pair_create(p, name, &d->host, a->domid, s->domid, av, napps,
                          cfg, PP(d)->par.reserve_kb, why, whylen);
    if (rc) {
        free(p);
        return rc;
    }
    rc = xres_pair_store_save_config(d->be, p);
    if (!rc) rc = xres_pair_store_save_state(d->be, p);
    if (!rc) rc = pair_add(d, p);
    if (rc) {
        xres_pair_store_delete(d->be, name);
        snprintf(why, whylen, "cannot store it: %s", strerror(-rc));
        free(p);
        return rc == -ENOMEM ? -EIO : rc;
    }
    pair_hold_standby_apps(d, p);
    XLOG_INFO("pair %s created (%s): active %s (dom%" PRIu32 "), standby %s "
              "(dom%" PRIu32 "), %zu apps", name, by, a->name, a->domid,
              s->name, s->domid, napps);
    /* Apps the agent already reports running go into the table now. */
    pair_look(d, p);
    return 0;
}

static int cmd_create(xres_daemon *d, yajl_val req, yajl_gen out)
{
    const char *name = xres_json_get_str(req, "name");
    yajl_val apps = xres_json_get(req, "apps");
    xres_pair_app av[XRES_PAIR_APPS_MAX];
    const xres_domain *a, *s;
    xres_pair_cfg cfg = PP(d)->par.defaults;
    char why[320] = "";
    size_t napps = 0;
    int rc;

    if (!name) { xres_ipc_reply_error(out, "missing \"name\""); return 0; }
    if (pair_find(d, name)) {
        xres_ipc_reply_error(out, "pair %s exists already", name);
        return 0;
    }
    if (!(a = req_domain(d, req, "active", out))) return 0;
    if (!(s = req_domain(d, req, "standby", out))) return 0;
    if (pair_of_domain(d, a->domid) || pair_of_domain(d, s->domid)) {
        xres_ipc_reply_error(out, "%s is already in a pair",
                             pair_of_domain(d, a->domid) ? a->name : s->name);
        return 0;
    }
    if (apps && !YAJL_IS_ARRAY(apps)) {
        xres_ipc_reply_error(out, "\"apps\" must be an array");
        return 0;
    }
    for (size_t i = 0; apps && i < apps->u.array.len; i++) {
        yajl_val o = apps->u.array.values[i];
        const char *an = xres_json_get_str(o, "name");
        uint64_t kb;

        if (napps == XRES_PAIR_APPS_MAX) {
            xres_ipc_reply_error(out, "at most %d apps per pair",
                                 XRES_PAIR_APPS_MAX);
            return 0;
        }
        if (!an || !xres_schema_check_name(an, strlen(an))) {
            xres_ipc_reply_error(out, "bad app name `%s': use [a-z][a-z0-9_]*"
                                 ", at most 31 characters", an ? an : "");
            return 0;
        }
        if (xres_json_get_u64(o, "size_kb", &kb) || !kb) {
            xres_ipc_reply_error(out, "app %s: missing or bad size", an);
            return 0;
        }
        snprintf(av[napps].name, sizeof(av[napps].name), "%s", an);
        av[napps].size_kb = kb;
        av[napps].hot = xres_json_get_bool(o, "hot", false);
        napps++;
    }
    cfg.preserve = xres_json_get_bool(req, "preserve", false);
    rc = pair_create(d, name, a, s, av, napps, &cfg, "xres pair-create", why,
                     sizeof(why));
    if (rc == -ENOMEM) return rc;
    if (rc) {
        xres_ipc_reply_error(out, "pair-create %s: %s", name, why);
        return 0;
    }
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_str(out, "name", name);
    yajl_gen_map_close(out);
    return 0;
}

static void json_pair(xres_daemon *d, const xres_pair *p, yajl_gen g,
                      bool full)
{
    const xres_pair_fo *fo = &p->fo;

    (void)d;
    yajl_gen_map_open(g);
    xres_json_kv_str(g, "name", p->name);
    xres_json_kv_u64(g, "active", p->active);
    xres_json_kv_str(g, "active_name", p->active_name);
    xres_json_kv_u64(g, "standby", p->standby);
    xres_json_kv_str(g, "standby_name", p->standby_name);
    xres_json_kv_str(g, "state", xres_pair_state_name(p->state));
    xres_json_kv_u64(g, "reserve_lent_kb", p->debt_kb);
    xres_json_kv_u64(g, "standby_floor_kb", xres_pair_mem_floor(p,
                                                                p->standby));
    if (!p->lat.valid) {
        xres_json_kv_null(g, "last_failover_timing");
    } else {
        xres_json_str(g, "last_failover_timing");
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "kind", xres_fo_kind_name(p->lat.kind));
        xres_json_kv_u64(g, "toolstack_us", p->lat.toolstack_us);
        xres_json_kv_u64(g, "guest_ms", p->lat.guest_ms);
        xres_json_kv_u64(g, "target_written_ms", p->lat.targets_ms);
        xres_json_kv_u64(g, "balloon_ms", p->lat.balloon_ms);
        xres_json_kv_u64(g, "start_ack_ms", p->lat.start_ms);
        xres_json_kv_u64(g, "total_ms", p->lat.total_ms);
        yajl_gen_map_close(g);
    }
    if (fo->kind == XRES_FO_NONE) {
        xres_json_kv_null(g, "failover");
    } else {
        xres_json_str(g, "failover");
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "kind", xres_fo_kind_name(fo->kind));
        xres_json_kv_str(g, "app", fo->app);
        xres_json_kv_str(g, "step", fo->pos < fo->nsteps
                         ? xres_fo_step_name(fo->steps[fo->pos]) : "end");
        xres_json_kv_u64(g, "step_index", fo->pos);
        xres_json_kv_u64(g, "steps", fo->nsteps);
        xres_json_kv_str(g, "why", fo->why);
        yajl_gen_map_close(g);
    }
    if (full) {
        xres_json_str(g, "areas");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->nareas; i++) {
            const xres_pair_area *a = &p->areas[i];
            yajl_gen_map_open(g);
            xres_json_kv_str(g, "name", a->name);
            xres_json_kv_u64(g, "size_kb", a->size_kb);
            xres_json_kv_str(g, "owner", xres_pair_owner_name(a->owner));
            xres_json_kv_str(g, "dest", xres_pair_dest_name(a->dest));
            xres_json_kv_str(g, "kind", xres_pair_area_kind_name(a->kind));
            xres_json_kv_bool(g, "running", a->running);
            xres_json_kv_u64(g, "restarts", a->restarts);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        xres_json_str(g, "apps");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->napps; i++) {
            yajl_gen_map_open(g);
            xres_json_kv_str(g, "name", p->apps[i].name);
            xres_json_kv_u64(g, "size_kb", p->apps[i].size_kb);
            xres_json_kv_bool(g, "hot", p->apps[i].hot);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
        xres_json_str(g, "log");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < p->nlog; i++) {
            const xres_pair_logent *e = &p->log[i];
            yajl_gen_map_open(g);
            xres_json_kv_u64(g, "started_ms", e->started_ms);
            xres_json_kv_u64(g, "duration_ms", e->ended_ms - e->started_ms);
            xres_json_kv_str(g, "kind", xres_fo_kind_name(e->kind));
            xres_json_kv_str(g, "app", e->app);
            xres_json_kv_str(g, "why", e->why);
            xres_json_kv_u64(g, "to_standby_kb", e->bound_kb);
            xres_json_kv_u64(g, "to_host_kb", e->return_kb);
            xres_json_kv_u64(g, "from_reserve_kb", e->reserve_kb);
            xres_json_kv_bool(g, "apps_failed", e->failed_mask != 0);
            yajl_gen_map_close(g);
        }
        yajl_gen_array_close(g);
    }
    yajl_gen_map_close(g);
}

static xres_pair *req_pair(xres_daemon *d, yajl_val req, yajl_gen out)
{
    const char *name = xres_json_get_str(req, "name");
    xres_pair *p;

    if (!name) { xres_ipc_reply_error(out, "missing \"name\""); return NULL; }
    p = pair_find(d, name);
    if (!p) xres_ipc_reply_error(out, "no pair `%s'", name);
    return p;
}

/* failover --dry-run: the actions the failover would run, as
 * xres_action_format prints them, nothing done. */
static int dry_run(xres_daemon *d, const xres_pair *p, const char *app,
                   yajl_gen out)
{
    xres_actions acts;
    char err[320] = "", line[256];
    int rc;

    xres_actions_init(&acts);
    rc = xres_pair_fo_preview(p, app ? XRES_FO_APP : XRES_FO_DOMAIN, app,
                              "asked by the operator", &d->host,
                              PP(d)->par.reserve_kb, &acts, err, sizeof(err));
    if (rc == -ENOMEM) goto out;
    if (rc) {
        xres_ipc_reply_error(out, "failover %s: %s", p->name,
                             err[0] ? err : strerror(-rc));
        rc = 0;
        goto out;
    }
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_bool(out, "dry_run", true);
    xres_json_str(out, "actions");
    yajl_gen_array_open(out);
    for (size_t i = 0; i < acts.n; i++) {
        xres_action_format(&acts.v[i], line, sizeof(line));
        xres_json_str(out, line);
    }
    yajl_gen_array_close(out);
    yajl_gen_map_close(out);
out:
    xres_actions_dispose(&acts);
    return rc;
}

int pair_command(xres_daemon *d, const char *cmd, yajl_val req,
                        yajl_gen out)
{
    pair_priv *pp = PP(d);
    xres_pair *p;
    char err[320] = "";
    int rc;

    if (!strcmp(cmd, "pair-create")) return cmd_create(d, req, out);

    if (!strcmp(cmd, "pair-list")) {
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_u64(out, "reserve_kb", pp->par.reserve_kb);
        xres_json_str(out, "pairs");
        yajl_gen_array_open(out);
        for (size_t i = 0; i < pp->n; i++) json_pair(d, pp->v[i], out, false);
        yajl_gen_array_close(out);
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "pair-show")) {
        if (!(p = req_pair(d, req, out))) return 0;
        xres_ipc_reply_ok_begin(out);
        xres_json_str(out, "pair");
        json_pair(d, p, out, true);
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "failover")) {
        const char *app = xres_json_get_str(req, "app");
        if (!(p = req_pair(d, req, out))) return 0;
        if (xres_json_get_bool(req, "dry_run", false))
            return dry_run(d, p, app, out);
        rc = pair_begin(d, p, app ? XRES_FO_APP : XRES_FO_DOMAIN, app,
                   "asked by the operator", err, sizeof(err));
        if (rc) {
            xres_ipc_reply_error(out, "failover %s: %s", p->name,
                                 err[0] ? err : strerror(-rc));
            return 0;
        }
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_str(out, "state", xres_pair_state_name(p->state));
        xres_json_kv_str(out, "step", p->fo.kind == XRES_FO_NONE ? "done"
                         : xres_fo_step_name(p->fo.steps[p->fo.pos]));
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "failback")) {
        const xres_domain *ns;
        uint32_t old_active, old_standby;
        if (!(p = req_pair(d, req, out))) return 0;
        if (!(ns = req_domain(d, req, "standby", out))) return 0;
        if (pair_of_domain(d, ns->domid) &&
            pair_of_domain(d, ns->domid) != p) {
            xres_ipc_reply_error(out, "%s is already in a pair", ns->name);
            return 0;
        }
        old_active = p->active;
        old_standby = p->standby;
        rc = xres_pair_failback(p, &d->host, ns->domid, pp->par.reserve_kb, err,
                                sizeof(err));
        if (rc) {
            xres_ipc_reply_error(out, "failback %s: %s", p->name, err);
            return 0;
        }
        pair_save(d, p);
        /* The old standby is the active now: no floor from the pair. */
        xres_daemon_set_mem_floor(d, old_standby, 0);
        pair_set_floors(d, p);
        pair_watch_acks(d, old_active, false);
        pair_watch_acks(d, ns->domid, true);
        pair_hold_standby_apps(d, p);
        XLOG_INFO("pair %s: failback: dom%" PRIu32 " is the active, dom%"
                  PRIu32 " the new standby", p->name, old_standby,
                  ns->domid);
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_u64(out, "active", p->active);
        xres_json_kv_u64(out, "standby", p->standby);
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "pair-delete")) {
        if (!(p = req_pair(d, req, out))) return 0;
        if (p->fo.kind != XRES_FO_NONE) {
            xres_ipc_reply_error(out, "pair %s: a failover is running "
                                 "(step %s); delete it afterwards", p->name,
                                 xres_fo_step_name(p->fo.steps[p->fo.pos]));
            return 0;
        }
        rc = xres_pair_store_delete(d->be, p->name);
        if (rc && rc != -ENOENT) {
            xres_ipc_reply_error(out, "pair %s: cannot remove its state: %s",
                                 p->name, strerror(-rc));
            return 0;
        }
        pair_watch_acks(d, p->active, false);
        pair_watch_acks(d, p->standby, false);
        xres_daemon_set_mem_floor(d, p->active, 0);
        xres_daemon_set_mem_floor(d, p->standby, 0);
        XLOG_INFO("pair %s deleted", p->name);
        for (size_t i = 0; i < pp->n; i++)
            if (pp->v[i] == p) {
                pp->v[i] = pp->v[--pp->n];
                break;
            }
        free(p);
        xres_ipc_reply_ok_begin(out);
        yajl_gen_map_close(out);
        return 0;
    }
    return -ENOSYS;
}

void pair_fill(xres_daemon *d, const xres_domain *dom, yajl_gen out)
{
    xres_pair *p = PP(d) ? pair_of_domain(d, dom->domid) : NULL;

    if (!p) return;
    xres_json_kv_str(out, "pair", p->name);
    xres_json_kv_str(out, "pair_role",
                     p->active == dom->domid ? "active" : "standby");
}
