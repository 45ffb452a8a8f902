/*
 * dom0/daemon/daemon_pool.c: the memory-pool subsystem (subsys.h,
 * docs/xres-pool.md): runs the pure step (policy_pool.h) on every tick and
 * whenever a pool is due, saves each pool's record before its actions
 * run, hands the actions to the actuator, and keeps what the other areas
 * must respect: balancing paused during a handover, the memory a pool's
 * round freed kept out of balancing, and a started pool's memory as its
 * domain's floor.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actuator.h"
#include "config_mem.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "pool_priv.h"

xres_pool *xres_poold_find(pool_sys *ps, const char *name)
{
    for (size_t i = 0; i < ps->n; i++)
        if (!strcmp(ps->pools[i].spec.name, name)) return &ps->pools[i];
    return NULL;
}

/* What the other areas must respect, from the pools' states. */
static void publish(xres_daemon *d, pool_sys *ps)
{
    bool paused = false;
    uint64_t held_back = 0;

    for (size_t i = 0; i < ps->n; i++) {
        const xres_pool *p = &ps->pools[i];
        if (p->st.phase == XRES_POOL_HANDOVER) paused = true;
        if (p->st.round) held_back += p->st.round_kb;
        if (p->st.phase == XRES_POOL_STARTED &&
            p->st.domid != XRES_DOMID_INVALID && !p->st.delete_asked)
            xres_daemon_set_mem_floor(d, p->st.domid,
                                      p->spec.from_config ? p->st.give_kb
                                                          : p->st.dom_target_kb);
    }
    d->mem_paused = paused || ps->pending.n;
    d->mem_held_back_kb = held_back;
}

/* A handover whose domain could not be created: the memory stays free,
 * the maxima come back, the pool fails with xl's reason. */
static void create_failed(xres_daemon *d, pool_sys *ps)
{
    xres_pool *p = xres_poold_find(ps, ps->pending_pool);
    xres_actions thaw;

    if (!p) return;
    xres_actions_init(&thaw);
    for (unsigned i = 0; i < p->st.nr_frozen; i++)
        if (xres_host_find(&d->host, p->st.frozen[i].domid))
            xres_act_set_maxmem(&thaw, p->st.frozen[i].domid,
                                p->st.frozen[i].old_kb, "pool handover: thawed");
    p->st.nr_frozen = 0;
    p->st.phase = XRES_POOL_FAILED;
    snprintf(p->st.msg, sizeof(p->st.msg), "cannot create %.40s: %.100s",
             p->spec.domain, d->act_err[0] ? d->act_err : "see the log");
    XLOG_ERR("pool %s: %s", p->spec.name, p->st.msg);
    xres_pool_save(d, p);
    xres_actuate_list(d, &thaw, NULL);
    xres_actions_dispose(&thaw);
}

/* The list under way; true while it still waits. */
static bool run_pending(xres_daemon *d, pool_sys *ps)
{
    int rc;

    if (!ps->pending.n) return false;
    rc = xres_actuate_list(d, &ps->pending, &ps->pending_next);
    if (rc == -EINPROGRESS) {
        xres_daemon_wake_at(d, xres_daemon_now_ms(d) + 500);
        return true;
    }
    if (rc == -ECANCELED) return true;
    if (rc) create_failed(d, ps);
    xres_actions_clear(&ps->pending);
    ps->pending_next = 0;
    xres_daemon_refresh_if_stale(d);
    return false;
}

/* The pool a CREATE action belongs to. */
static const char *create_owner(pool_sys *ps, const xres_actions *a)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].kind != XRES_ACT_CREATE) continue;
        for (size_t k = 0; k < ps->n; k++)
            if (ps->pools[k].spec.from_config &&
                !strcmp(ps->pools[k].spec.domain, a->v[i].u.create.name))
                return ps->pools[k].spec.name;
    }
    return NULL;
}

static void remove_deleted(xres_daemon *d, pool_sys *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        xres_pool *p = &ps->pools[i];
        if (!p->st.delete_asked || p->pieces) continue;
        if (p->st.domid != XRES_DOMID_INVALID)
            xres_daemon_set_mem_floor(d, p->st.domid, 0);
        xres_log(LOG_NOTICE, "pool %s: deleted", p->spec.name);
        xres_pool_forget(d, p->spec.name);
        ps->pools[i] = ps->pools[--ps->n];
        i--;
    }
}

void xres_poold_run(xres_daemon *d)
{
    pool_sys *ps = PS(d);
    xres_actions acts;
    xres_pool_notes notes;
    uint64_t now, wake = UINT64_MAX;
    int rc;

    if (!ps || ps->busy) return;
    ps->busy = true;
    xres_actions_init(&acts);
    if (run_pending(d, ps)) goto out;
    xres_daemon_refresh_if_stale(d);
    if (!ps->n) goto out;
    now = xres_daemon_now_ms(d);
    notes.n = 0;
    rc = xres_pool_step(ps->pools, ps->n, &d->host, &ps->mp, now, &acts,
                        &notes, &wake);
    for (size_t i = 0; i < notes.n; i++)
        xres_log(notes.v[i].level, "%s", notes.v[i].text);
    if (rc) {
        XLOG_ERR("pools: step failed: %s", strerror(-rc));
        goto out;
    }
    /* Saved first: a crash from here on resumes from these states. */
    for (size_t i = 0; i < ps->n; i++) xres_pool_save(d, &ps->pools[i]);
    publish(d, ps);
    if (acts.n) {
        size_t next = 0;
        rc = xres_actuate_list(d, &acts, &next);
        if (rc) {
            /* The pool whose creation waits or failed, if it is one. */
            const char *owner = create_owner(ps, &acts);
            snprintf(ps->pending_pool, sizeof(ps->pending_pool), "%s",
                     owner ? owner : "");
        }
        if (rc == -EINPROGRESS) {
            ps->pending = acts;
            ps->pending_next = next;
            xres_actions_init(&acts);
            wake = now + 500;
        } else if (rc) {
            XLOG_ERR("pools: an action failed (%s); the step runs again",
                     strerror(-rc));
            if (rc != -ECANCELED && next < acts.n &&
                acts.v[next].kind == XRES_ACT_CREATE)
                create_failed(d, ps);
            wake = now + ps->mp.check_ms;
        }
        xres_daemon_refresh_if_stale(d);
        for (size_t i = 0; i < ps->n; i++) xres_pool_observe(&ps->pools[i],
                                                             &d->host);
    }
    remove_deleted(d, ps);
    publish(d, ps);
    if (wake != UINT64_MAX) xres_daemon_wake_at(d, wake);
out:
    xres_actions_dispose(&acts);
    ps->busy = false;
}

/* The pools' figures, for the metrics (metrics.h). */
void xres_poold_metrics(xres_daemon *d, xres_metrics_counters *c)
{
    pool_sys *ps = PS(d);

    if (!ps) return;
    for (size_t i = 0; i < ps->n && c->npools < XRES_METRICS_POOLS_MAX; i++) {
        const xres_pool *p = &ps->pools[i];
        xres_metrics_pool *m = &c->pools[c->npools++];
        snprintf(m->pool, sizeof(m->pool), "%s", p->spec.name);
        m->held_kb = p->held_kb;
        m->size_kb = p->spec.size_kb;
        m->at_risk = p->st.at_risk;
        m->phase = xres_pool_phase_name(p->st.phase);
    }
}

/* ---- hooks ---- */

/* Pools declared in xres.conf that do not exist yet. */
static void create_declared(xres_daemon *d, pool_sys *ps)
{
    xres_pool_req v[XRES_POOL_DECLS_MAX];
    xres_pool_spec s;
    size_t n = 0;
    char err[400];

    if (xres_pool_decls_of_config(&d->cfg, v, XRES_POOL_DECLS_MAX, &n, err,
                                  sizeof(err))) {
        XLOG_ERR("%s", err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (xres_poold_find(ps, v[i].name)) continue;
        if (xres_poold_spec_of(d, ps, &v[i], &s, err, sizeof(err)))
            XLOG_ERR("pool %s of %s: not created: %s", v[i].name,
                     d->cfg.path ? d->cfg.path : "xres.conf", err);
        else
            xres_poold_add(d, ps, &s, "xres.conf");
    }
}

static int pool_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_pool_req v[XRES_POOL_DECLS_MAX];
    size_t n = 0;
    char err[400];

    (void)d;
    if (xres_pool_decls_of_config(cfg, v, XRES_POOL_DECLS_MAX, &n, err,
                                  sizeof(err))) {
        XLOG_ERR("%s", err);
        return -EINVAL;
    }
    return 0;
}

static int pool_init(xres_daemon *d)
{
    pool_sys *ps = calloc(1, sizeof(*ps));
    char err[256];
    int rc;

    if (!ps) return -ENOMEM;
    xres_actions_init(&ps->pending);
    if ((rc = xres_mem_params_from_config(&d->cfg, &ps->mp, err,
                                          sizeof(err)))) {
        XLOG_ERR("pools: %s", err);
        free(ps);
        return rc;
    }
    if ((rc = xres_daemon_set_priv(d, &xres_subsys_pool, ps))) {
        free(ps);
        return rc;
    }
    xres_pool_load_all(d, ps);
    create_declared(d, ps);
    for (size_t i = 0; i < ps->n; i++)
        xres_pool_observe(&ps->pools[i], &d->host);
    publish(d, ps);
    if (ps->n) xres_daemon_wake_at(d, xres_daemon_now_ms(d));
    return 0;
}

static void pool_dispose(xres_daemon *d)
{
    pool_sys *ps = PS(d);

    if (!ps) return;
    xres_actions_dispose(&ps->pending);
    free(ps);
    xres_daemon_set_priv(d, &xres_subsys_pool, NULL);
}

static void pool_reload(xres_daemon *d)
{
    pool_sys *ps = PS(d);
    char err[256];

    if (!ps) return;
    if (xres_mem_params_from_config(&d->cfg, &ps->mp, err, sizeof(err)))
        XLOG_ERR("pools: %s", err);
    create_declared(d, ps);
    xres_daemon_wake_at(d, xres_daemon_now_ms(d));
}

static void pool_tick(xres_daemon *d)
{
    xres_poold_run(d);
}

static void pool_fill_domain_json(xres_daemon *d, const xres_domain *dom,
                                  yajl_gen out)
{
    pool_sys *ps = PS(d);

    if (!ps) return;
    for (size_t i = 0; i < ps->n; i++) {
        const xres_pool *p = &ps->pools[i];
        if (xres_pool_piece_of(dom, p->spec.name) >= 0 ||
            (p->st.phase == XRES_POOL_STARTED && p->st.domid == dom->domid)) {
            xres_json_kv_str(out, "pool", p->spec.name);
            return;
        }
    }
}

const xres_subsys xres_subsys_pool = {
    .name = "pool",
    .init = pool_init,
    .dispose = pool_dispose,
    .check_config = pool_check_config,
    .reload = pool_reload,
    .tick = pool_tick,
    .command = xres_pool_command,
    .fill_domain_json = pool_fill_domain_json,
};
