/*
 * dom0/daemon/daemon_mem.c: the xresd subsystem for memory by demand.
 *
 * Glue between the daemon core (subsys.h) and the memory code: it runs the
 * balancing policy (policy_mem.c) on every agent report and timer tick,
 * carries transfers out as moves (mem_move.c) that it advances on every
 * check without ever blocking, keeps the not-responding marks, stores the
 * run-time policies of `xres mem-policy` in XenStore, and answers the IPC
 * commands mem-move, mem-set, balance, mem-policy and mem-moves.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_mem.h"
#include "actuator.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "mem_move.h"
#include "mem_run.h"
#include "policy_mem.h"
#include "subsys.h"
#include "util.h"
#include "xs_schema.h"

enum { POL_MIN = 1, POL_MAX = 2, POL_PRIO = 4, POL_WEIGHT = 8 };

/* A run-time policy (xres mem-policy), by domain name. */
typedef struct {
    char name[XRES_NAME_MAX];
    unsigned set;               /* POL_* fields given */
    xres_mem_policy pol;
} rt_policy;

/* A domain marked not responding. */
typedef struct {
    uint32_t domid;
    uint64_t since_ms;
    uint64_t cur_kb;            /* its memory when marked */
} nr_mark;

/* For the log: when the report behind a balancing move was read, so that
 * the move's end can say how long after it the receiver was raised. */
#define LAT_NOTES 8
typedef struct {
    uint64_t move_id;           /* 0: slot free */
    uint64_t report_ms;         /* monotonic, when xresd read the report */
} lat_note;

typedef struct {
    xres_mem_params p;
    xres_movers mv;
    xres_move_runner run;       /* carries the moves' steps out */
    lat_note lat[LAT_NOTES];
    unsigned lat_next;
    rt_policy *rt;
    size_t rt_n;
    nr_mark *nr;
    size_t nr_n;
    bool busy;                  /* inside a cycle: no re-entry */
    bool balance_pending;       /* a report came while balancing was due */
    uint64_t last_refresh_ms;
    uint64_t last_balance_ms;
} mem_priv;

static mem_priv *P(xres_daemon *d)
{
    return d->priv.mem;
}

static uint64_t now_ms(xres_daemon *d)
{
    return d->be->ops->now_ms(d->be);
}

/* ---- run-time policies ---- */

static bool name_ok(const char *s)
{
    if (!*s || strlen(s) >= XRES_NAME_MAX) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return false;
    return true;
}

static rt_policy *rt_find(mem_priv *mp, const char *name, bool add)
{
    for (size_t i = 0; i < mp->rt_n; i++)
        if (!strcmp(mp->rt[i].name, name)) return &mp->rt[i];
    if (!add) return NULL;
    rt_policy *v = realloc(mp->rt, (mp->rt_n + 1) * sizeof(*v));
    if (!v) return NULL;
    mp->rt = v;
    rt_policy *r = &v[mp->rt_n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    return r;
}

static void pol_apply(xres_mem_policy *dst, const rt_policy *r)
{
    if (r->set & POL_MIN) dst->min_kb = r->pol.min_kb;
    if (r->set & POL_MAX) dst->max_kb = r->pol.max_kb;
    if (r->set & POL_PRIO) dst->priority = r->pol.priority;
    if (r->set & POL_WEIGHT) dst->weight = r->pol.weight;
}

/* The core merges d->cfg's `domains` into every snapshot, so run-time
 * policies are laid over that list (and over the current snapshot). */
static int overlay(xres_daemon *d)
{
    mem_priv *mp = P(d);

    for (size_t i = 0; i < mp->rt_n; i++) {
        const rt_policy *r = &mp->rt[i];
        xres_config_domain *cd = NULL;
        for (size_t j = 0; j < d->cfg.nr_domains; j++)
            if (!strcmp(d->cfg.domains[j].name, r->name))
                cd = &d->cfg.domains[j];
        if (!cd) {
            xres_config_domain *v = realloc(d->cfg.domains,
                                            (d->cfg.nr_domains + 1) *
                                            sizeof(*v));
            if (!v) return -ENOMEM;
            d->cfg.domains = v;
            cd = &v[d->cfg.nr_domains++];
            memset(cd, 0, sizeof(*cd));
            snprintf(cd->name, sizeof(cd->name), "%s", r->name);
        }
        pol_apply(&cd->mem, r);
        xres_domain *dom = xres_host_find_name(&d->host, r->name);
        if (dom) pol_apply(&dom->mem_policy, r);
    }
    return 0;
}

/* The policy keys, their XenStore rows and their names in requests. */
static const struct {
    const char *key;
    unsigned bit;
    xres_schema_id id;
} pol_keys[] = {
    { "min_kb", POL_MIN, XS_MEM_POLICY_MIN },
    { "max_kb", POL_MAX, XS_MEM_POLICY_MAX },
    { "priority", POL_PRIO, XS_MEM_POLICY_PRIO },
    { "weight", POL_WEIGHT, XS_MEM_POLICY_WEIGHT },
};

static void load_policies(xres_daemon *d)
{
    mem_priv *mp = P(d);
    char **names = NULL, path[XRES_SCHEMA_PATH_MAX];
    unsigned n = 0;

    if (xres_schema_path(path, sizeof(path), XS_MEM_POLICY_DIR, 0, NULL) ||
        d->be->ops->xs_directory(d->be, path, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        rt_policy *r;
        if (!name_ok(names[i]) || !(r = rt_find(mp, names[i], true)))
            continue;
        for (size_t k = 0; k < sizeof(pol_keys) / sizeof(pol_keys[0]); k++) {
            uint64_t v;
            if (xres_xs_get_u64(d, pol_keys[k].id, 0, names[i], &v))
                continue;
            if (pol_keys[k].bit == POL_MIN) r->pol.min_kb = v;
            else if (pol_keys[k].bit == POL_MAX) r->pol.max_kb = v;
            else if (v > 65535) continue;
            else if (pol_keys[k].bit == POL_PRIO)
                r->pol.priority = (unsigned)v;
            else if (v) r->pol.weight = (unsigned)v;
            else continue;
            r->set |= pol_keys[k].bit;
        }
        XLOG_INFO("mem: run-time policy of %s restored from XenStore",
                  r->name);
    }
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int store_policy(xres_daemon *d, const rt_policy *r)
{
    int rc = 0;

    for (size_t k = 0; k < sizeof(pol_keys) / sizeof(pol_keys[0]) && !rc;
         k++) {
        uint64_t v;
        if (!(r->set & pol_keys[k].bit)) continue;
        switch (pol_keys[k].bit) {
        case POL_MIN: v = r->pol.min_kb; break;
        case POL_MAX: v = r->pol.max_kb; break;
        case POL_PRIO: v = r->pol.priority; break;
        default: v = r->pol.weight; break;
        }
        rc = xres_xs_put_u64(d, pol_keys[k].id, 0, r->name, v);
    }
    return rc;
}

/* ---- balloon states ---- */

static void mark_busy(xres_daemon *d, uint32_t domid)
{
    if (domid != XRES_DOMID_INVALID)
        xres_daemon_set_balloon_state(d, domid, XRES_BALLOON_MOVING);
}

static nr_mark *nr_find(mem_priv *mp, uint32_t domid)
{
    for (size_t i = 0; i < mp->nr_n; i++)
        if (mp->nr[i].domid == domid) return &mp->nr[i];
    return NULL;
}

static void nr_remove(mem_priv *mp, size_t i)
{
    mp->nr[i] = mp->nr[--mp->nr_n];
}

static void move_done(void *opaque, const xres_move *m)
{
    xres_daemon *d = opaque;
    mem_priv *mp = P(d);

    for (unsigned i = 0; i < LAT_NOTES; i++) {
        lat_note *n = &mp->lat[i];
        if (n->move_id != m->id) continue;
        if (m->state == XRES_MOVE_DONE && m->t.dst != XRES_DOMID_INVALID) {
            uint64_t w = xres_monotonic_ms();
            XLOG_INFO("mem: latency: move %" PRIu64 ": receiver %s's target "
                      "written at %" PRIu64 " ms, %" PRIu64 " ms after its "
                      "report was read", m->id, m->dst_name, w,
                      w >= n->report_ms ? w - n->report_ms : 0);
        }
        n->move_id = 0;
    }

    if (m->t.src != XRES_DOMID_INVALID &&
        xres_daemon_domstate(d, m->t.src))
        xres_daemon_clear_balloon_state(d, m->t.src);
    if (m->t.dst != XRES_DOMID_INVALID &&
        xres_daemon_domstate(d, m->t.dst))
        xres_daemon_clear_balloon_state(d, m->t.dst);
    if (m->donor_not_responding) {
        const xres_domain *s = xres_host_find(&d->host, m->t.src);
        nr_mark *k = nr_find(mp, m->t.src);
        if (!k) {
            nr_mark *v = realloc(mp->nr, (mp->nr_n + 1) * sizeof(*v));
            if (v) {
                mp->nr = v;
                k = &v[mp->nr_n++];
            }
        }
        if (k) {
            k->domid = m->t.src;
            k->since_ms = now_ms(d);
            k->cur_kb = s ? s->cur_kb : 0;
        }
        xres_daemon_set_balloon_state(d, m->t.src,
                                      XRES_BALLOON_NOT_RESPONDING);
        XLOG_WARN("mem: %s (dom%" PRIu32 ") marked not responding; left out "
                  "of balancing until its balloon moves", m->src_name,
                  m->t.src);
    }
}

static int apply_cb(void *opaque, const xres_action *act)
{
    return xres_actuate(opaque, act);
}

/* Clear not-responding marks of domains whose balloon moved, that are
 * gone, or whose retry time came while their agent reports.  A domain
 * whose agent went silent (a hung or paused guest) keeps its mark, and
 * `xres list` keeps showing it, until the balloon moves or the agent
 * reports again and the retry time has passed.  `now` may be older than
 * a mark made later in the same cycle (Xen calls take time): such a mark
 * is not due. */
static void nr_update(xres_daemon *d, uint64_t now)
{
    mem_priv *mp = P(d);

    for (size_t i = 0; i < mp->nr_n;) {
        nr_mark *k = &mp->nr[i];
        const xres_domain *dom = xres_host_find(&d->host, k->domid);
        if (!dom) {
            nr_remove(mp, i);
            continue;
        }
        uint64_t diff = dom->cur_kb > k->cur_kb ? dom->cur_kb - k->cur_kb
                                                : k->cur_kb - dom->cur_kb;
        bool moved = diff > mp->p.tolerance_kb;
        bool retry = mp->p.retry_ms && now >= k->since_ms &&
            now - k->since_ms >= mp->p.retry_ms && dom->agent.valid &&
            dom->agent.heartbeat_ms > k->since_ms;
        if (moved || retry) {
            XLOG_INFO("mem: %s (dom%" PRIu32 ") %s; taking part in balancing "
                      "again", dom->name, dom->domid,
                      moved ? "balloon moved"
                            : "retry time reached and its agent reports");
            xres_daemon_clear_balloon_state(d, k->domid);
            nr_remove(mp, i);
            continue;
        }
        i++;
    }
}

/* The snapshot the policy sees: moves in flight count as done for the
 * receiver (its raise is promised) and as not yet done for the donor (its
 * memory is not free yet); their domains are MOVING. */
static int planning_view(xres_daemon *d, xres_host *view)
{
    mem_priv *mp = P(d);
    int rc = xres_host_copy(view, &d->host);

    if (rc) return rc;
    for (size_t i = 0; i < mp->mv.n; i++) {
        const xres_move *m = &mp->mv.v[i];
        xres_domain *s = xres_host_find(view, m->t.src);
        xres_domain *r = xres_host_find(view, m->t.dst);
        if (s) s->balloon = XRES_BALLOON_MOVING;
        if (r) {
            r->balloon = XRES_BALLOON_MOVING;
            if (m->state == XRES_MOVE_LOWERING && r->target_kb < m->t.dst_to)
                r->target_kb = m->t.dst_to;
        }
    }
    return 0;
}

/* The report-to-target time, in the log (info) with monotonic stamps:
 * when xresd read the receiver's latest report, and when the move just
 * started wrote its first target (the donor's lowered one, or the
 * receiver's raised one for a move from free memory).  move_done adds the
 * receiver's raise.  tests/system/40-mem.sh prints the figures. */
static void note_latency(xres_daemon *d, const xres_mem_transfer *t,
                         uint64_t id)
{
    mem_priv *mp = P(d);
    const xres_domstate *rs;
    const xres_move *m = xres_movers_find(&mp->mv, id);
    uint64_t w = xres_monotonic_ms();   /* the clock of report_last_ms */

    if (!m || t->dst == XRES_DOMID_INVALID ||
        !(rs = xres_daemon_domstate(d, t->dst)) || !rs->report_last_ms ||
        !rs->agent.valid)
        return;
    if (m->state == XRES_MOVE_FAILED ||
        (m->state == XRES_MOVE_DONE && t->src != XRES_DOMID_INVALID))
        return;                         /* no target of this move written */
    XLOG_INFO("mem: latency: move %" PRIu64 ": report seq %" PRIu64
              " of dom%" PRIu32 " read at %" PRIu64 " ms, %s target "
              "written at %" PRIu64 " ms, %" PRIu64 " ms after",
              id, rs->agent.seq, t->dst, rs->report_last_ms,
              t->src != XRES_DOMID_INVALID ? "donor's" : "receiver's", w,
              w >= rs->report_last_ms ? w - rs->report_last_ms : 0);
    if (m->state == XRES_MOVE_DONE) return;
    mp->lat[mp->lat_next] = (lat_note){ id, rs->report_last_ms };
    mp->lat_next = (mp->lat_next + 1) % LAT_NOTES;
}

/* Start the transfers of a plan that do not touch a busy domain. */
static void start_plan(xres_daemon *d, const xres_mem_plan *plan,
                       const char *origin, uint64_t *first_id)
{
    mem_priv *mp = P(d);

    for (size_t i = 0; i < plan->n; i++) {
        const xres_mem_transfer *t = &plan->v[i];
        uint64_t id;
        int rc = xres_moves_start(&mp->run, &mp->mv, &d->host, t, origin,
                                  now_ms(d), &id);
        if (rc == -EBUSY) continue;    /* next round, from fresh figures */
        if (rc) {
            XLOG_ERR("mem: cannot start a move: %s", strerror(-rc));
            continue;
        }
        if (first_id && !*first_id) *first_id = id;
        note_latency(d, t, id);
        /* still in flight? (a move from free memory ends at once) */
        for (size_t k = 0; k < mp->mv.n; k++)
            if (mp->mv.v[k].id == id) {
                mark_busy(d, t->src);
                mark_busy(d, t->dst);
            }
    }
}

/* Ask the core's loop to come back within check_ms while moves are in
 * flight, and as soon as balancing is due again when a report is waiting
 * for it (the core's timer is the only one; see docs/xres-mem.md). */
static void schedule_check(xres_daemon *d)
{
    mem_priv *mp = P(d);
    uint64_t wait = mp->p.check_ms;

    if (!mp->mv.n && !mp->balance_pending) return;
    if (mp->balance_pending) {
        uint64_t now = now_ms(d), due = mp->last_balance_ms + mp->p.check_ms;
        uint64_t w = due > now ? due - now : 0;
        if (w < wait) wait = w;
    }
    xres_daemon_wake_at(d, xres_monotonic_ms() + wait);
}

/* One check: advance the moves, refresh marks, balance.  d->host must be
 * fresh enough (the callers refresh it). */
static void cycle(xres_daemon *d, bool balance)
{
    mem_priv *mp = P(d);
    uint64_t now = now_ms(d);

    if (mp->busy) return;
    mp->busy = true;
    overlay(d);
    if (mp->mv.n) {
        xres_moves_check(&mp->run, &mp->mv, &d->host, now);
        if (d->host_stale) {
            xres_daemon_refresh(d);
            mp->last_refresh_ms = now;
            overlay(d);
        }
    }
    nr_update(d, now);
    if (balance) {
        mp->balance_pending = false;
        mp->last_balance_ms = now;
        xres_host view;
        xres_mem_plan plan;
        xres_host_init(&view);
        xres_mem_plan_init(&plan);
        if (!planning_view(d, &view) &&
            !xres_mem_balance(&view, &mp->p, &plan) && plan.n)
            start_plan(d, &plan, "balance", NULL);
        xres_mem_plan_dispose(&plan);
        xres_host_dispose(&view);
    }
    schedule_check(d);
    mp->busy = false;
}

/* ---- hooks ---- */

static int mem_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_mem_params p;
    char err[256];
    int rc;

    (void)d;
    rc = xres_mem_params_from_config(cfg, &p, err, sizeof(err));
    if (rc) XLOG_ERR("%s", err);
    return rc;
}

static int mem_init(xres_daemon *d)
{
    mem_priv *mp = calloc(1, sizeof(*mp));
    char err[256];
    int rc;

    if (!mp) return -ENOMEM;
    d->priv.mem = mp;
    if ((rc = xres_mem_params_from_config(&d->cfg, &mp->p, err,
                                          sizeof(err)))) {
        XLOG_ERR("%s", err);
        return rc;
    }
    xres_movers_init(&mp->mv, &mp->p);
    mp->run = (xres_move_runner){ d->be, apply_cb, move_done, d };
    {
        char path[XRES_SCHEMA_PATH_MAX];
        if (!xres_schema_path(path, sizeof(path), XS_MEM_ROOT, 0, NULL))
            d->be->ops->xs_mkdir(d->be, path);
    }
    load_policies(d);
    overlay(d);
    rc = xres_moves_recover(&mp->run, &mp->mv, &d->host, now_ms(d));
    if (rc < 0) {
        XLOG_ERR("mem: cannot read moves left in XenStore: %s",
                 strerror(-rc));
    } else if (rc > 0) {
        XLOG_INFO("mem: %d move(s) of a previous xresd taken over", rc);
        for (size_t i = 0; i < mp->mv.n; i++) {
            mark_busy(d, mp->mv.v[i].t.src);
            mark_busy(d, mp->mv.v[i].t.dst);
        }
    }
    XLOG_INFO("mem: high %.0f%%, low %.0f%%, block %" PRIu64 " KiB, reserve "
              "%" PRIu64 " KiB, threshold %" PRIu64 " KiB, timeout %" PRIu64
              " ms", mp->p.high * 100, mp->p.low * 100, mp->p.block_kb,
              mp->p.reserve_kb, mp->p.threshold_kb, mp->p.timeout_ms);
    schedule_check(d);
    return 0;
}

static void mem_dispose(xres_daemon *d)
{
    mem_priv *mp = P(d);

    if (!mp) return;
    /* Moves in flight stay recorded in XenStore for the next xresd. */
    xres_movers_dispose(&mp->mv);
    free(mp->rt);
    free(mp->nr);
    free(mp);
    d->priv.mem = NULL;
}

static void mem_reload(xres_daemon *d)
{
    mem_priv *mp = P(d);
    char err[256];
    xres_mem_params p;

    if (!xres_mem_params_from_config(&d->cfg, &p, err, sizeof(err))) {
        mp->p = p;
        mp->mv.p = p;
    }
    overlay(d);
}

static void mem_tick(xres_daemon *d)
{
    P(d)->last_refresh_ms = now_ms(d);
    cycle(d, true);
}

static void mem_on_report(xres_daemon *d, uint32_t domid)
{
    mem_priv *mp = P(d);
    uint64_t now = now_ms(d);

    (void)domid;
    /* Fresh memory figures, at most once per check interval. */
    if (d->host_stale || now - mp->last_refresh_ms >= mp->p.check_ms) {
        xres_daemon_refresh(d);
        mp->last_refresh_ms = now;
    }
    /* Balance on the report, but at most once per check interval: with
     * many guests reporting, the reports in between are taken together
     * by the check that follows. */
    bool due = !mp->last_balance_ms ||
        now - mp->last_balance_ms >= mp->p.check_ms;
    if (!due) mp->balance_pending = true;
    cycle(d, due);
}

static void mem_on_event(xres_daemon *d, const xres_event *ev)
{
    if (ev->kind == XRES_EV_DOMAIN_DEATH ||
        ev->kind == XRES_EV_DOMAIN_SHUTDOWN)
        cycle(d, true);
}

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
            mark_busy(d, plan->v[0].src);
            mark_busy(d, plan->v[0].dst);
        }
    schedule_check(d);
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

    xres_daemon_refresh(d);
    mp->last_refresh_ms = now_ms(d);
    overlay(d);
    if (!(s = dom_arg(d, req, is_move ? "src" : "dom", out))) return 0;
    if (is_move && !(r = dom_arg(d, req, "dst", out))) return 0;
    if (xres_json_get_u64(req, "kb", &kb)) {
        xres_ipc_reply_error(out, "missing or invalid `kb'");
        return 0;
    }
    uint32_t sid = s->domid, rid = r ? r->domid : XRES_DOMID_INVALID;
    xres_host_init(&view);
    xres_mem_plan_init(&plan);
    if ((rc = planning_view(d, &view))) goto out;
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

    xres_daemon_refresh(d);
    mp->last_refresh_ms = now_ms(d);
    overlay(d);
    if (!dry && mp->mv.n)
        xres_moves_check(&mp->run, &mp->mv, &d->host, now_ms(d));
    xres_host_init(&view);
    xres_mem_plan_init(&plan);
    xres_actions_init(&acts);
    if ((rc = planning_view(d, &view)) ||
        (rc = xres_mem_balance(&view, &mp->p, &plan)) ||
        (rc = xres_mem_plan_actions(&plan, &mp->p, &acts)))
        goto out;
    uint64_t first = mp->mv.next_id;
    if (!dry) start_plan(d, &plan, "balance", NULL);
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
    schedule_check(d);
out:
    xres_actions_dispose(&acts);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&view);
    return rc;
}

static void reply_policy(xres_daemon *d, yajl_gen out, const char *name)
{
    const xres_domain *dom = xres_host_find_name(&d->host, name);
    const xres_config_domain *cd = xres_config_domain_find(&d->cfg, name);
    xres_mem_policy pol;

    memset(&pol, 0, sizeof(pol));
    if (cd) pol = cd->mem;
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_str(out, "name", name);
    xres_json_kv_u64(out, "min_kb", pol.min_kb);
    xres_json_kv_u64(out, "max_kb", pol.max_kb);
    if (dom) xres_json_kv_u64(out, "effective_max_kb", xres_mem_max_of(dom));
    xres_json_kv_u64(out, "priority", pol.priority);
    xres_json_kv_u64(out, "weight", pol.weight ? pol.weight : 1);
    yajl_gen_map_close(out);
}

static int cmd_policy(xres_daemon *d, yajl_val req, yajl_gen out)
{
    mem_priv *mp = P(d);
    const char *name = xres_json_get_str(req, "dom");
    const xres_domain *dom;
    rt_policy nr, *r;
    uint64_t v;
    int rc;

    xres_daemon_refresh(d);
    mp->last_refresh_ms = now_ms(d);
    overlay(d);
    if (!name) {
        xres_ipc_reply_error(out, "missing `dom'");
        return 0;
    }
    dom = xres_daemon_find_domain(d, name);
    if (dom) name = dom->name;
    if (!name_ok(name)) {
        xres_ipc_reply_error(out, "%s: not a domain name xres can keep a "
                             "policy for (letters, digits, - _ . only)",
                             name);
        return 0;
    }
    /* Start from what is in force. */
    memset(&nr, 0, sizeof(nr));
    snprintf(nr.name, sizeof(nr.name), "%s", name);
    const xres_config_domain *cd = xres_config_domain_find(&d->cfg, name);
    if (cd) nr.pol = cd->mem;
    for (size_t k = 0; k < sizeof(pol_keys) / sizeof(pol_keys[0]); k++) {
        unsigned bit = pol_keys[k].bit;
        rc = xres_json_get_u64(req, pol_keys[k].key, &v);
        if (rc == -ENOENT) continue;
        if (rc || ((bit == POL_PRIO || bit == POL_WEIGHT) && v > 65535) ||
            (bit == POL_WEIGHT && v == 0) ||
            ((bit == POL_MIN || bit == POL_MAX) &&
             (v % 4 || v > 1099511627776ULL))) {
            xres_ipc_reply_error(out, "%s: invalid %s", name,
                                 pol_keys[k].key);
            return 0;
        }
        nr.set |= bit;
        switch (bit) {
        case POL_MIN: nr.pol.min_kb = v; break;
        case POL_MAX: nr.pol.max_kb = v; break;
        case POL_PRIO: nr.pol.priority = (unsigned)v; break;
        default: nr.pol.weight = (unsigned)v; break;
        }
    }
    if (!nr.set) {
        reply_policy(d, out, name);
        return 0;
    }
    if (nr.pol.max_kb && nr.pol.min_kb > nr.pol.max_kb) {
        xres_ipc_reply_error(out, "%s: min (%" PRIu64 " KiB) is above max (%"
                             PRIu64 " KiB)", name, nr.pol.min_kb,
                             nr.pol.max_kb);
        return 0;
    }
    if (dom && dom->static_max_kb && (nr.set & POL_MIN) &&
        nr.pol.min_kb > dom->static_max_kb) {
        xres_ipc_reply_error(out, "%s: min (%" PRIu64 " KiB) is above its "
                             "static-max (%" PRIu64 " KiB)", name,
                             nr.pol.min_kb, dom->static_max_kb);
        return 0;
    }
    r = rt_find(mp, name, true);
    if (!r) return -ENOMEM;
    r->set |= nr.set;
    pol_apply(&r->pol, &nr);
    if ((rc = store_policy(d, r))) {
        xres_ipc_reply_error(out, "%s: cannot store the policy in XenStore: "
                             "%s", name, strerror(-rc));
        return 0;
    }
    overlay(d);
    XLOG_INFO("mem: policy of %s: min %" PRIu64 " KiB, max %" PRIu64 " KiB, "
              "priority %u, weight %u", name, r->pol.min_kb, r->pol.max_kb,
              r->pol.priority, r->pol.weight);
    reply_policy(d, out, name);
    cycle(d, true);
    return 0;
}

static int mem_command(xres_daemon *d, const char *cmd, yajl_val req,
                       yajl_gen out)
{
    if (!strcmp(cmd, "mem-move")) return cmd_move_or_set(d, true, req, out);
    if (!strcmp(cmd, "mem-set")) return cmd_move_or_set(d, false, req, out);
    if (!strcmp(cmd, "balance")) return cmd_balance(d, req, out);
    if (!strcmp(cmd, "mem-policy")) return cmd_policy(d, req, out);
    if (!strcmp(cmd, "mem-moves")) {
        uint64_t id = 0;
        mem_priv *mp = P(d);
        xres_json_get_u64(req, "id", &id);
        if (mp->mv.n) {
            xres_daemon_refresh(d);
            cycle(d, false);
        }
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

static void mem_fill(xres_daemon *d, const xres_domain *dom, yajl_gen out)
{
    (void)d;
    xres_json_kv_u64(out, "mem_priority", dom->mem_policy.priority);
    xres_json_kv_u64(out, "mem_weight",
                     dom->mem_policy.weight ? dom->mem_policy.weight : 1);
}

const xres_subsys xres_subsys_mem = {
    .name = "mem",
    .init = mem_init,
    .dispose = mem_dispose,
    .check_config = mem_check_config,
    .reload = mem_reload,
    .tick = mem_tick,
    .on_report = mem_on_report,
    .on_event = mem_on_event,
    .command = mem_command,
    .fill_domain_json = mem_fill,
};
