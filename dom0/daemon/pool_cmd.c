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

/* The request of a pool-create into r; 0, or an error already replied. */
static int req_of(yajl_val req, xres_pool_req *r, yajl_gen g)
{
    const char *name = xres_json_get_str(req, "name");
    const char *cfg = xres_json_get_str(req, "config");
    const char *dom = xres_json_get_str(req, "domain");
    const char *sh = xres_json_get_str(req, "on_short");
    static const char *const keys[] = {
        "size_kb", "step_kb", "every_ms", "priority", "in_ms", NULL,
    };
    uint64_t v[5] = { 0 };

    xres_pool_req_init(r);
    for (unsigned i = 0; keys[i]; i++) {
        int rc = xres_json_get_u64(req, keys[i], &v[i]);
        if (rc == -ENOENT && i == 4) {
            xres_ipc_reply_error(g, "pool-create: give the deadline (--by or "
                                 "--in)");
            return -EINVAL;
        }
        if (rc && rc != -ENOENT) {
            xres_ipc_reply_error(g, "pool-create: `%s' must be a "
                                 "non-negative integer", keys[i]);
            return rc;
        }
    }
    if (v[3] > 1000) {
        xres_ipc_reply_error(g, "pool-create: --priority is 0..1000");
        return -EINVAL;
    }
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
    if (name && strlen(name) >= sizeof(r->name)) r->name[0] = '\0';
    r->size_kb = v[0];
    r->step_kb = v[1];
    r->every_ms = v[2];
    r->priority = (unsigned)v[3];
    r->in_ms = v[4];
    r->start_when_full = xres_json_get_bool(req, "start_when_full", false);
    if (sh && xres_pool_short_parse(sh, &r->on_short)) {
        xres_ipc_reply_error(g, "pool-create: --on-short is start, wait or "
                             "fail");
        return -EINVAL;
    }
    if ((cfg && strlen(cfg) >= sizeof(r->config)) ||
        (dom && strlen(dom) >= sizeof(r->domain))) {
        xres_ipc_reply_error(g, "pool-create: --config or --domain is too "
                             "long");
        return -EINVAL;
    }
    if (cfg) snprintf(r->config, sizeof(r->config), "%s", cfg);
    if (dom) snprintf(r->domain, sizeof(r->domain), "%s", dom);
    return 0;
}

int xres_poold_spec_of(xres_daemon *d, pool_sys *ps, const xres_pool_req *r,
                       xres_pool_spec *s, char *err, size_t errlen)
{
    char why[320];

    memset(s, 0, sizeof(*s));
    if (!xres_pool_name_ok(r->name)) {
        snprintf(err, errlen, "a pool name is 1 to 31 of A-Z a-z 0-9 _ . - "
                 "(not first)");
        return -EINVAL;
    }
    snprintf(s->name, sizeof(s->name), "%s", r->name);
    if (xres_poold_find(ps, r->name)) {
        snprintf(err, errlen, "pool %s exists", r->name);
        return -EEXIST;
    }
    if (ps->n == XRES_POOLS_MAX) {
        snprintf(err, errlen, "at most %d pools", XRES_POOLS_MAX);
        return -ENOSPC;
    }
    if (!r->config[0] == !r->domain[0]) {
        snprintf(err, errlen, "give --config or --domain");
        return -EINVAL;
    }
    s->size_kb = r->size_kb;
    s->step_kb = r->step_kb ? r->step_kb : DEFAULT_STEP_KB;
    s->every_ms = r->every_ms ? r->every_ms : DEFAULT_EVERY_MS;
    s->priority = r->priority;
    s->stall_rounds = 3;
    s->deadline_ms = xres_daemon_now_ms(d) + r->in_ms;
    s->start_when_full = r->start_when_full;
    s->on_short = r->on_short;
    if (r->config[0]) {
        xres_xlcfg x;
        if (r->config[0] != '/') {
            snprintf(err, errlen, "--config needs an absolute path");
            return -EINVAL;
        }
        if (xres_xlcfg_read(r->config, &x, why, sizeof(why))) {
            snprintf(err, errlen, "%s", why);
            return -EINVAL;
        }
        if (xres_host_find_name(&d->host, x.name)) {
            snprintf(err, errlen, "a domain called %s is running already",
                     x.name);
            return -EEXIST;
        }
        s->from_config = true;
        snprintf(s->config, sizeof(s->config), "%s", r->config);
        snprintf(s->domain, sizeof(s->domain), "%s", x.name);
        s->config_mem_kb = x.memory_kb;
        if (!s->size_kb) s->size_kb = x.memory_kb;
    } else {
        xres_domain *dd = xres_daemon_find_domain(d, r->domain);
        if (!dd || !dd->domid || xres_pool_is_placeholder(dd)) {
            snprintf(err, errlen, "%s", dd ? "--domain must be a guest"
                                           : "no such domain");
            return -ENOENT;
        }
        snprintf(s->domain, sizeof(s->domain), "%s", dd->name);
    }
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->pools[i].spec.domain, s->domain)) {
            snprintf(err, errlen, "pool %s is for %s already",
                     ps->pools[i].spec.name, s->domain);
            return -EEXIST;
        }
    if (xres_pool_spec_check(s, why, sizeof(why))) {
        snprintf(err, errlen, "%s", why);
        return -EINVAL;
    }
    if (s->size_kb + ps->mp.reserve_kb > d->host.total_kb) {
        snprintf(err, errlen, "%" PRIu64 " KiB is more than the host has "
                 "above the reserve", s->size_kb);
        return -ENOSPC;
    }
    return 0;
}

xres_pool *xres_poold_add(xres_daemon *d, pool_sys *ps,
                          const xres_pool_spec *s, const char *origin)
{
    xres_pool *p = &ps->pools[ps->n++];

    xres_pool_init(p, s, xres_daemon_now_ms(d));
    xres_log(LOG_NOTICE, "pool %s: created (%s): %" PRIu64 " KiB for %s, "
             "step %" PRIu64 " KiB every %" PRIu64 " ms, deadline in %" PRIu64
             " s", s->name, origin, s->size_kb, s->domain, s->step_kb,
             s->every_ms, (s->deadline_ms - xres_daemon_now_ms(d)) / 1000);
    return p;
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
        xres_pool_req r;
        char err[400];
        if (req_of(req, &r, out)) return 0;
        if (xres_poold_spec_of(d, ps, &r, &s, err, sizeof(err))) {
            xres_ipc_reply_error(out, "pool-create: %s", err);
            return 0;
        }
        xres_poold_add(d, ps, &s, "pool-create");
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
