/*
 * dom0/daemon/pool_cmd.c: the IPC requests of memory pools: pool-create,
 * pool-list, pool-show, pool-start and pool-delete (docs/xres-pool.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"
#include "pool_priv.h"
#include "xlcfg.h"

#define DEFAULT_STEP_KB (64 * 1024)
#define DEFAULT_EVERY_MS 10000

static int get_u64_or(yajl_val req, const char *key, uint64_t def,
                      uint64_t *out, yajl_gen g)
{
    int rc = xres_json_get_u64(req, key, out);

    if (rc == -ENOENT) {
        *out = def;
        return 0;
    }
    if (rc) xres_ipc_reply_error(g, "`%s' must be a non-negative integer",
                                 key);
    return rc;
}

/* The spec of a pool-create request; 0, or an error already replied. */
static int spec_of(xres_daemon *d, pool_sys *ps, yajl_val req,
                   xres_pool_spec *s, yajl_gen g)
{
    const char *name = xres_json_get_str(req, "name");
    const char *cfg = xres_json_get_str(req, "config");
    const char *dom = xres_json_get_str(req, "domain");
    const char *sh = xres_json_get_str(req, "on_short");
    uint64_t in_ms, prio, stall;
    char err[320];

    memset(s, 0, sizeof(*s));
    if (!name || !xres_pool_name_ok(name)) {
        xres_ipc_reply_error(g, "pool-create: a pool name is 1 to 31 of "
                             "A-Z a-z 0-9 _ . - (not first)");
        return -EINVAL;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    if (xres_poold_find(ps, name)) {
        xres_ipc_reply_error(g, "pool-create: pool %s exists", name);
        return -EEXIST;
    }
    if (ps->n == XRES_POOLS_MAX) {
        xres_ipc_reply_error(g, "pool-create: at most %d pools",
                             XRES_POOLS_MAX);
        return -ENOSPC;
    }
    if (get_u64_or(req, "size_kb", 0, &s->size_kb, g) ||
        get_u64_or(req, "step_kb", DEFAULT_STEP_KB, &s->step_kb, g) ||
        get_u64_or(req, "every_ms", DEFAULT_EVERY_MS, &s->every_ms, g) ||
        get_u64_or(req, "priority", 0, &prio, g) ||
        get_u64_or(req, "stall_rounds", 3, &stall, g))
        return -EINVAL;
    if (xres_json_get_u64(req, "in_ms", &in_ms)) {
        xres_ipc_reply_error(g, "pool-create: give the deadline (--by or "
                             "--in)");
        return -EINVAL;
    }
    if (prio > 1000 || !stall || stall > 1000) {
        xres_ipc_reply_error(g, "pool-create: --priority is 0..1000");
        return -EINVAL;
    }
    s->priority = (unsigned)prio;
    s->stall_rounds = (unsigned)stall;
    s->deadline_ms = xres_daemon_now_ms(d) + in_ms;
    s->start_when_full = xres_json_get_bool(req, "start_when_full", false);
    s->on_short = XRES_POOL_SHORT_WAIT;
    if (sh && xres_pool_short_parse(sh, &s->on_short)) {
        xres_ipc_reply_error(g, "pool-create: --on-short is start, wait or "
                             "fail");
        return -EINVAL;
    }
    if (!cfg == !dom) {
        xres_ipc_reply_error(g, "pool-create: give --config or --domain");
        return -EINVAL;
    }
    if (cfg) {
        xres_xlcfg x;
        if (cfg[0] != '/' || strlen(cfg) >= sizeof(s->config)) {
            xres_ipc_reply_error(g, "pool-create: --config needs an absolute "
                                 "path of at most %zu bytes",
                                 sizeof(s->config) - 1);
            return -EINVAL;
        }
        if (xres_xlcfg_read(cfg, &x, err, sizeof(err))) {
            xres_ipc_reply_error(g, "pool-create: %s", err);
            return -EINVAL;
        }
        if (xres_host_find_name(&d->host, x.name)) {
            xres_ipc_reply_error(g, "pool-create: a domain called %s is "
                                 "running already", x.name);
            return -EEXIST;
        }
        s->from_config = true;
        snprintf(s->config, sizeof(s->config), "%s", cfg);
        snprintf(s->domain, sizeof(s->domain), "%s", x.name);
        s->config_mem_kb = x.memory_kb;
        if (!s->size_kb) s->size_kb = x.memory_kb;
    } else {
        xres_domain *dd = xres_daemon_find_domain(d, dom);
        if (!dd || !dd->domid || xres_pool_is_placeholder(dd)) {
            xres_ipc_reply_error(g, "pool-create: %s", dd
                                 ? "--domain must be a guest" : "no such domain");
            return -ENOENT;
        }
        snprintf(s->domain, sizeof(s->domain), "%s", dd->name);
    }
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->pools[i].spec.domain, s->domain)) {
            xres_ipc_reply_error(g, "pool-create: pool %s is for %s already",
                                 ps->pools[i].spec.name, s->domain);
            return -EEXIST;
        }
    if (xres_pool_spec_check(s, err, sizeof(err))) {
        xres_ipc_reply_error(g, "pool-create: %s", err);
        return -EINVAL;
    }
    if (s->size_kb + ps->mp.reserve_kb > d->host.total_kb) {
        xres_ipc_reply_error(g, "pool-create: %" PRIu64 " KiB is more than "
                             "the host has above the reserve", s->size_kb);
        return -ENOSPC;
    }
    return 0;
}

static void reply_pool(xres_daemon *d, const xres_pool *p, yajl_gen g)
{
    xres_ipc_reply_ok_begin(g);
    xres_json_str(g, "pool");
    xres_pool_json(g, p, xres_daemon_now_ms(d), false);
    yajl_gen_map_close(g);
}

static xres_pool *pool_arg(pool_sys *ps, yajl_val req, const char *cmd,
                           yajl_gen g)
{
    const char *name = xres_json_get_str(req, "name");
    xres_pool *p = name ? xres_poold_find(ps, name) : NULL;

    if (!name) xres_ipc_reply_error(g, "%s: give a pool name", cmd);
    else if (!p) xres_ipc_reply_error(g, "%s: no pool called %s", cmd, name);
    return p;
}

int xres_pool_command(xres_daemon *d, const char *cmd, yajl_val req,
                      yajl_gen out)
{
    pool_sys *ps = PS(d);
    xres_pool *p;
    xres_pool_spec s;

    if (strncmp(cmd, "pool-", 5)) return -ENOSYS;
    if (!ps) return -ENOSYS;
    if (!strcmp(cmd, "pool-create")) {
        if (spec_of(d, ps, req, &s, out)) return 0;
        p = &ps->pools[ps->n++];
        xres_pool_init(p, &s, xres_daemon_now_ms(d));
        xres_log(LOG_NOTICE, "pool %s: created: %" PRIu64 " KiB for %s, step %"
                 PRIu64 " KiB every %" PRIu64 " ms, deadline in %" PRIu64
                 " s", s.name, s.size_kb, s.domain, s.step_kb, s.every_ms,
                 (s.deadline_ms - xres_daemon_now_ms(d)) / 1000);
        xres_poold_run(d);
        p = xres_poold_find(ps, s.name);
        if (p) reply_pool(d, p, out);
        else xres_ipc_reply_error(out, "pool-create: %s is gone", s.name);
        return 0;
    }
    if (!strcmp(cmd, "pool-list")) {
        size_t order[XRES_POOLS_MAX];
        xres_pool_queue(ps->pools, ps->n, order);
        xres_ipc_reply_ok_begin(out);
        xres_json_str(out, "pools");
        yajl_gen_array_open(out);
        for (size_t i = 0; i < ps->n; i++)
            xres_pool_json(out, &ps->pools[order[i]], xres_daemon_now_ms(d),
                           false);
        yajl_gen_array_close(out);
        yajl_gen_map_close(out);
        return 0;
    }
    if (strcmp(cmd, "pool-show") && strcmp(cmd, "pool-start") &&
        strcmp(cmd, "pool-delete"))
        return -ENOSYS;
    if (!(p = pool_arg(ps, req, cmd, out))) return 0;
    if (!strcmp(cmd, "pool-show")) {
        size_t order[XRES_POOLS_MAX];
        xres_pool_queue(ps->pools, ps->n, order);
        reply_pool(d, p, out);
        return 0;
    }
    if (p->st.phase == XRES_POOL_HANDOVER || ps->pending.n) {
        xres_ipc_reply_error(out, "%s: a handover is under way", cmd);
        return 0;
    }
    if (!strcmp(cmd, "pool-start")) {
        if (p->st.phase == XRES_POOL_STARTED ||
            p->st.phase == XRES_POOL_FAILED) {
            xres_ipc_reply_error(out, "pool-start: pool %s has %s", p->spec.name,
                                 xres_pool_phase_name(p->st.phase));
            return 0;
        }
        p->st.start_asked = true;
        xres_log(LOG_NOTICE, "pool %s: start asked", p->spec.name);
    } else {
        p->st.delete_asked = true;
        xres_log(LOG_NOTICE, "pool %s: delete asked", p->spec.name);
    }
    snprintf(s.name, sizeof(s.name), "%s", p->spec.name);
    xres_poold_run(d);
    p = xres_poold_find(ps, s.name);
    if (p) {
        reply_pool(d, p, out);
    } else {
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_str(out, "message", "deleted");
        yajl_gen_map_close(out);
    }
    return 0;
}
