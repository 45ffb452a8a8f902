/*
 * dom0/daemon/daemon_conflict.c: the conflict subsystem
 * (docs/xres-cluster.md, "Conflicts").  Each tick it hands the cluster's
 * view to the pure detection (conflict.h) and relocation (relocate.h),
 * multicasts the destination locks they ask for, logs their warnings
 * (each once, until it changes) and, for a decision, moves the domain
 * through Pacemaker (daemon_move.c) with one NOTICE line that gives the
 * figures; when that move ends it tells the relocation.  It answers
 * `conflicts' (every host's verdict) and `relocate' with dry_run (the
 * decision that would be taken now).  Outside a cluster it does nothing.
 *
 * What a new xresd needs is kept: the hold-down of each domain that
 * moved is in XenStore (conflict_store.c).  After a kill -9 the figures
 * are shared again, the counts start from 0, and a move under way is
 * Pacemaker's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_conflict.h"
#include "conflict_store.h"
#include "daemon.h"
#include "daemon_cluster.h"
#include "ipc.h"
#include "log.h"

typedef struct {
    uint32_t node;              /* 0: a free slot */
    uint64_t since_ms;          /* in conflict since */
} cf_since;

typedef struct {
    xres_conflict_config c;
    xres_conflict_state cst;
    xres_relocate_state rst;
    xres_conflict_result res;
    bool have_res;
    uint32_t self;
    unsigned job;               /* the move under way, 0: none */
    cf_since since[XRES_CONFLICT_HOSTS_MAX];
    char last[480];             /* the last decision or warning */
    uint64_t last_ms;
    xres_relocate_out out;      /* the last step's, for the skipped list */
    xres_relocate_out dry;      /* scratch of the dry run */
    xres_cf_store store;        /* the hold-downs in XenStore */
} cf_state;

static const char *const res_names[XRES_RES_N] = { "cpu", "mem" };
static const char *const tvm_names[] = { "static", "Up/N", "Up/N-k" };

static cf_state *CF(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_conflict);
}

/* cp (hundredths of %) as "84%" or "84.25%". */
static const char *pct(char *b, size_t len, unsigned cp)
{
    if (cp % 100) snprintf(b, len, "%u.%02u%%", cp / 100, cp % 100);
    else snprintf(b, len, "%u%%", cp / 100);
    return b;
}

static void note(cf_state *st, uint64_t now, const char *text)
{
    snprintf(st->last, sizeof(st->last), "%s", text);
    st->last_ms = now;
}

static cf_since *since_of(cf_state *st, uint32_t node, bool add)
{
    cf_since *free_slot = NULL;

    for (size_t i = 0; i < XRES_CONFLICT_HOSTS_MAX; i++) {
        if (st->since[i].node == node) return &st->since[i];
        if (!st->since[i].node && !free_slot) free_slot = &st->since[i];
    }
    if (add && free_slot) free_slot->node = node;
    return add ? free_slot : NULL;
}

static void follow_since(cf_state *st, uint64_t now)
{
    for (size_t i = 0; i < st->res.n; i++) {
        const xres_conflict_host *h = &st->res.h[i];
        cf_since *s = since_of(st, h->node, h->conflict);
        if (!s) continue;
        if (!h->conflict) s->node = 0;
        else if (!s->since_ms) s->since_ms = now;
    }
    for (size_t i = 0; i < XRES_CONFLICT_HOSTS_MAX; i++)
        if (st->since[i].node &&
            !xres_conflict_find(&st->res, st->since[i].node))
            memset(&st->since[i], 0, sizeof(st->since[i]));
}

/* The decision's figures: "host a Up cpu 84% >= T_server 80%, T_vm 21%
 * (Up/N), over: g1 40% g2 35%; moving g1 (40%) to b (free 90% x1.0)". */
static void decision_text(const cf_state *st, const xres_conflict_obs *obs,
                          const xres_relocate_out *o, char *buf, size_t len)
{
    const xres_conflict_host *v = xres_conflict_find(&st->res, o->src);
    const xres_cluster_figures *src = xres_conflict_obs_fig(obs, o->src);
    const xres_cluster_figures *dst = xres_conflict_obs_fig(obs, o->dst);
    unsigned coef = xres_relocate_coef(&st->c.relocate, o->host);
    xres_res r0 = XRES_RES_CPU;
    size_t n = 0;
    char a[16], b[16], c[16];

#define ADD(...) \
    (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
    buf[0] = '\0';
    if (!v || !src) {
        ADD("%s to %s", o->dom, o->host);
        return;
    }
    ADD("host %s", src->host);
    for (int r = XRES_RES_N - 1; r >= 0; r--)
        if (v->in_conflict & XRES_RES_BIT(r)) r0 = (xres_res)r;
    for (int r = 0; r < XRES_RES_N; r++) {
        if (!(v->in_conflict & XRES_RES_BIT(r))) continue;
        ADD(" Up %s %s >= T_server %s, T_vm %s (%s),", res_names[r],
            pct(a, sizeof(a), v->up[r]), pct(b, sizeof(b), v->t_server[r]),
            pct(c, sizeof(c), v->t_vm[r]), tvm_names[st->c.conflict.tvm]);
    }
    ADD(" over:");
    for (size_t i = 0; i < v->nbusy; i++)
        for (size_t k = 0; k < src->ndoms; k++)
            if (!strcmp(src->doms[k].name, v->busy[i]))
                ADD(" %s %s", v->busy[i], pct(a, sizeof(a),
                    xres_conflict_dom_use(src, &src->doms[k], r0)));
    for (size_t k = 0; k < src->ndoms; k++)
        if (!strcmp(src->doms[k].name, o->dom))
            ADD("; moving %s (%s)", o->dom, pct(a, sizeof(a),
                xres_conflict_dom_use(src, &src->doms[k], r0)));
    ADD(" to %s (free %s x%u.%u)", o->host,
        pct(b, sizeof(b), dst ? XRES_CP_MAX - xres_conflict_host_use(dst, r0)
                              : 0), coef / 1000, coef % 1000 / 100);
#undef ADD
}

static void act(xres_daemon *d, cf_state *st, const xres_conflict_obs *obs,
                const xres_relocate_out *o, uint64_t now)
{
    char line[300], err[256], text[480];
    xres_move_plan plan;
    unsigned job = 0;
    int rc;

    for (size_t i = 0; i < o->nrelease; i++)
        xres_daemon_cluster_lock(d, "release", o->release[i]);
    if (o->request) xres_daemon_cluster_lock(d, "request", o->request_lock);
    if (o->warn[0]) {
        XLOG_WARN("conflict: %s", o->warn);
        snprintf(text, sizeof(text), "warning: %.200s", o->warn);
        note(st, now, text);
    }
    if (!o->move) return;
    decision_text(st, obs, o, line, sizeof(line));
    rc = xres_daemon_cluster_move(d, o->dom, o->host, XRES_MOVE_AUTO, false,
                                  "conflict", &plan, &job, err, sizeof(err));
    if (rc) {
        xres_relocate_out again;
        XLOG_WARN("conflict: %s; cannot move %s to %s: %s", line, o->dom,
                  o->host, err);
        snprintf(text, sizeof(text), "%.300s; cannot move: %.160s", line,
                 err);
        note(st, now, text);
        memset(&again, 0, sizeof(again));
        xres_relocate_done(&st->rst, &st->cst, obs, rc, now, &again);
        act(d, st, obs, &again, now);
        return;
    }
    st->job = job;
    xres_log(LOG_NOTICE, "conflict: %s, %s", line,
             xres_move_method_name(plan.method));
    snprintf(text, sizeof(text), "%s, %s (move %u)", line,
             xres_move_method_name(plan.method), job);
    note(st, now, text);
}

/*----- hooks -----*/

static int conflict_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_conflict_config c;
    char err[256];

    (void)d;
    if (xres_conflict_config_read(cfg, &c, err, sizeof(err))) {
        XLOG_ERR("%s", err);
        return -EINVAL;
    }
    return 0;
}

static int conflict_init(xres_daemon *d)
{
    cf_state *st = calloc(1, sizeof(*st));
    char err[256];
    int rc;

    if (!st) return -ENOMEM;
    if ((rc = xres_conflict_config_read(&d->cfg, &st->c, err, sizeof(err)))) {
        XLOG_ERR("%s", err);
        free(st);
        return rc;
    }
    xres_conflict_state_init(&st->cst);
    xres_relocate_state_init(&st->rst);
    xres_cf_store_init(&st->store);
    xres_cf_store_load(d, &st->store, &st->cst, st->c.relocate.hold_down_ms,
                       xres_daemon_now_ms(d));
    if ((rc = xres_daemon_set_priv(d, &xres_subsys_conflict, st))) free(st);
    return rc;
}

static void conflict_dispose(xres_daemon *d)
{
    free(CF(d));
    xres_daemon_set_priv(d, &xres_subsys_conflict, NULL);
}

static void conflict_reload(xres_daemon *d)
{
    cf_state *st = CF(d);
    xres_conflict_config c;
    char err[256];

    if (st && !xres_conflict_config_read(&d->cfg, &c, err, sizeof(err)))
        st->c = c;
}

static void conflict_step(xres_daemon *d, cf_state *st,
                          const xres_cluster_view *v, uint64_t now)
{
    xres_conflict_obs obs;
    int rc;

    st->self = v->self;
    xres_conflict_obs_of_view(v, &obs);
    xres_conflict_step(&st->cst, &st->c.conflict, &obs, now, &st->res);
    st->have_res = true;
    follow_since(st, now);
    memset(&st->out, 0, sizeof(st->out));
    if (st->job) {
        if ((rc = xres_daemon_cluster_move_result(d, st->job)) ==
            -EINPROGRESS)
            return;
        st->job = 0;
        xres_relocate_done(&st->rst, &st->cst, &obs, rc == 0 ? 0 : -EIO, now,
                           &st->out);
    } else {
        xres_relocate_step(&st->rst, &st->cst, &st->c.conflict,
                           &st->c.relocate, &obs, &st->res, now, &st->out);
    }
    act(d, st, &obs, &st->out, now);
}

static void conflict_tick(xres_daemon *d)
{
    cf_state *st = CF(d);
    const xres_cluster_view *v = xres_daemon_cluster_view(d);
    uint64_t now = xres_daemon_now_ms(d);

    if (!st) return;
    if (!v || st->c.conflict.mode == XRES_CMODE_OFF) {
        st->have_res = false;
        return;
    }
    conflict_step(d, st, v, now);
    xres_cf_store_sync(d, &st->store, &st->cst, st->c.relocate.hold_down_ms,
                       now);
}

/*----- for the cluster's figures -----*/

size_t xres_daemon_conflict_busy(xres_daemon *d,
                                 char (*names)[XRES_CLUSTER_NAME_MAX],
                                 size_t max)
{
    cf_state *st = CF(d);
    const xres_conflict_host *h =
        st && st->have_res ? xres_conflict_find(&st->res, st->self) : NULL;
    size_t n = 0;

    for (; h && h->conflict && n < h->nbusy && n < max; n++)
        memcpy(names[n], h->busy[n], XRES_CLUSTER_NAME_MAX);
    return n;
}

/*----- commands -----*/

static void skips_json(yajl_gen g, const xres_relocate_out *o)
{
    yajl_gen_string(g, (const unsigned char *)"skipped", 7);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < o->nskip; i++) {
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "domain", o->skip[i].dom);
        xres_json_kv_str(g, "why", o->skip[i].why);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
}

static void verdict_json(yajl_gen g, cf_state *st,
                         const xres_conflict_obs *obs,
                         const xres_conflict_host *h, uint64_t now)
{
    const xres_cluster_figures *f = xres_conflict_obs_fig(obs, h->node);
    cf_since *s = since_of(st, h->node, false);

    yajl_gen_map_open(g);
    xres_json_kv_str(g, "host", h->host);
    xres_json_kv_u64(g, "node", h->node);
    xres_json_kv_bool(g, "self", h->node == st->self);
    xres_json_kv_u64(g, "guests", h->guests);
    for (int r = 0; r < XRES_RES_N; r++) {
        if (!(st->c.conflict.resources & XRES_RES_BIT(r))) continue;
        yajl_gen_string(g, (const unsigned char *)res_names[r], 3);
        yajl_gen_map_open(g);
        xres_json_kv_u64(g, "up_cp", h->up[r]);
        xres_json_kv_u64(g, "t_server_cp", h->t_server[r]);
        xres_json_kv_u64(g, "t_vm_cp", h->t_vm[r]);
        xres_json_kv_bool(g, "over", h->over & XRES_RES_BIT(r));
        xres_json_kv_bool(g, "in_conflict", h->in_conflict & XRES_RES_BIT(r));
        yajl_gen_map_close(g);
    }
    xres_json_kv_bool(g, "conflict", h->conflict);
    if (h->conflict && s)
        xres_json_kv_u64(g, "since_ms_ago", now - s->since_ms);
    xres_json_kv_u64(g, "run", h->run);
    xres_json_kv_bool(g, "sustained", h->sustained);
    yajl_gen_string(g, (const unsigned char *)"busy", 4);
    yajl_gen_array_open(g);
    for (size_t i = 0; f && i < h->nbusy; i++)
        for (size_t k = 0; k < f->ndoms; k++) {
            if (strcmp(f->doms[k].name, h->busy[i])) continue;
            yajl_gen_map_open(g);
            xres_json_kv_str(g, "domain", h->busy[i]);
            xres_json_kv_u64(g, "cpu_cp", xres_conflict_dom_use(
                f, &f->doms[k], XRES_RES_CPU));
            xres_json_kv_u64(g, "mem_cp", xres_conflict_dom_use(
                f, &f->doms[k], XRES_RES_MEM));
            yajl_gen_map_close(g);
        }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}

static void head_json(yajl_gen g, const cf_state *st)
{
    xres_json_kv_str(g, "mode", xres_conflict_mode_name(st->c.conflict.mode));
    xres_json_kv_bool(g, "relocate", st->c.relocate.on);
    xres_json_kv_str(g, "t_vm", tvm_names[st->c.conflict.tvm]);
    xres_json_kv_u64(g, "t_vm_value", st->c.conflict.tvm_value);
    xres_json_kv_u64(g, "sustain", st->c.conflict.sustain);
}

static int cmd_conflicts(xres_daemon *d, cf_state *st,
                         const xres_conflict_obs *obs, yajl_gen out)
{
    uint64_t now = xres_daemon_now_ms(d);

    xres_ipc_reply_ok_begin(out);
    head_json(out, st);
    if (st->job) xres_json_kv_u64(out, "move", st->job);
    yajl_gen_string(out, (const unsigned char *)"hosts", 5);
    yajl_gen_array_open(out);
    for (size_t i = 0; i < st->res.n; i++)
        verdict_json(out, st, obs, &st->res.h[i], now);
    yajl_gen_array_close(out);
    if (st->last[0]) {
        xres_json_kv_str(out, "last", st->last);
        xres_json_kv_u64(out, "last_ms_ago", now - st->last_ms);
    }
    skips_json(out, &st->out);
    yajl_gen_map_close(out);
    return 0;
}

/* The host this xresd decides for now: its own, or (central mode, as
 * the decider) the first host in a sustained conflict. */
static const xres_conflict_host *source_of(const cf_state *st,
                                           const xres_conflict_obs *obs)
{
    if (st->c.conflict.mode != XRES_CMODE_CENTRAL)
        return xres_conflict_find(&st->res, st->self);
    if (obs->decider != obs->self) return NULL;
    for (size_t i = 0; i < st->res.n; i++)
        if (st->res.h[i].sustained) return &st->res.h[i];
    return NULL;
}

static int cmd_relocate(xres_daemon *d, cf_state *st,
                        const xres_conflict_obs *obs, yajl_val req,
                        yajl_gen out)
{
    const xres_conflict_host *h = source_of(st, obs);
    const xres_cluster_figures *src =
        h ? xres_conflict_obs_fig(obs, h->node) : NULL;
    const xres_cluster_dom *dom = NULL;
    const xres_cluster_figures *dst = NULL;
    char why[200] = "";
    bool settling = false;

    if (!xres_json_get_bool(req, "dry_run", false)) {
        xres_ipc_reply_error(out, "relocate: only with --dry-run; xresd "
                             "moves domains itself when relocate = \"on\" "
                             "in xres.conf");
        return 0;
    }
    memset(&st->dry, 0, sizeof(st->dry));
    if (!h || !src) snprintf(why, sizeof(why), "this host decides for no "
                             "host now");
    else if (!h->conflict) snprintf(why, sizeof(why), "%s is not in "
                                    "conflict", h->host);
    else if (!(dom = xres_relocate_pick_dom(&st->cst, &st->c.conflict,
                                            &st->c.relocate, src, h,
                                            xres_daemon_now_ms(d), &st->dry)))
        snprintf(why, sizeof(why), "%s: no domain may move", h->host);
    else
        dst = xres_relocate_pick_host(&st->rst, &st->c.conflict,
                                      &st->c.relocate, obs, &st->res, src,
                                      dom, &settling, why, sizeof(why));
    xres_ipc_reply_ok_begin(out);
    head_json(out, st);
    xres_json_kv_bool(out, "dry_run", true);
    xres_json_kv_bool(out, "move", dst != NULL);
    if (h) xres_json_kv_str(out, "source", h->host);
    if (h) xres_json_kv_bool(out, "sustained", h->sustained);
    if (dom) xres_json_kv_str(out, "domain", dom->name);
    if (dst) {
        xres_relocate_out o;
        char line[300];
        memset(&o, 0, sizeof(o));
        snprintf(o.dom, sizeof(o.dom), "%s", dom->name);
        snprintf(o.host, sizeof(o.host), "%s", dst->host);
        o.src = h->node;
        o.dst = dst->nodeid;
        decision_text(st, obs, &o, line, sizeof(line));
        xres_json_kv_str(out, "host", dst->host);
        xres_json_kv_str(out, "decision", line);
    } else {
        xres_json_kv_str(out, "why", why);
    }
    skips_json(out, &st->dry);
    yajl_gen_map_close(out);
    return 0;
}

static int conflict_command(xres_daemon *d, const char *cmd, yajl_val req,
                            yajl_gen out)
{
    cf_state *st = CF(d);
    const xres_cluster_view *v = xres_daemon_cluster_view(d);
    xres_conflict_obs obs;

    if (strcmp(cmd, "conflicts") && strcmp(cmd, "relocate")) return -ENOSYS;
    if (!st) return -ENODEV;
    if (!v) {
        xres_ipc_reply_error(out, "%s: not in a cluster", cmd);
        return 0;
    }
    if (st->c.conflict.mode == XRES_CMODE_OFF || !st->have_res) {
        xres_ipc_reply_error(out, "%s: %s", cmd,
                             st->c.conflict.mode == XRES_CMODE_OFF
                             ? "conflict_mode = \"off\" in xres.conf"
                             : "no figures judged yet");
        return 0;
    }
    xres_conflict_obs_of_view(v, &obs);
    if (!strcmp(cmd, "conflicts")) return cmd_conflicts(d, st, &obs, out);
    return cmd_relocate(d, st, &obs, req, out);
}

const xres_subsys xres_subsys_conflict = {
    .name = "conflict",
    .init = conflict_init,
    .dispose = conflict_dispose,
    .check_config = conflict_check_config,
    .reload = conflict_reload,
    .tick = conflict_tick,
    .command = conflict_command,
};
