/*
 * dom0/daemon/daemon_cpu.c: the xresd subsystem for CPU: credit(2) scheduler
 * weights and caps from policy and measured use.
 *
 * Glue only.  On every tick it samples each domain's cpu_time
 * (cpu_measure.h), reads the managing domain's answer, runs the pure CPU
 * pass (cpu_manage.h, policy_cpu.h) and carries out exactly the actions
 * it returns.  Its commands are in cpu_cmd.c, what it keeps in XenStore
 * in cpu_store.c; the managing domain's request/ack pair is described in
 * docs/xres-sched.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"
#include "log.h"
#include "xs_schema.h"

/*----- the managing domain's request/ack pair -----*/

static void ack_watch(xres_daemon *d, uint32_t domid, uint64_t seq, bool on)
{
    (void)xres_agent_request_watch_acks(d->be, domid, seq, WATCH_ACK, on);
}

/* Read the managing domain's ack to the pending request, through the
 * shared request mechanism (agent_request.c), which parses it with the
 * schema and removes the request and the ack. */
static xres_manage_ack_kind read_ack(xres_daemon *d, uint32_t domid,
                                     uint64_t seq, xres_ack *ack)
{
    int rc = xres_agent_request_poll(d->be, domid, seq, ack, d->host.now_ms);

    if (rc == -EAGAIN)
        return xres_agent_request_pending(d->be, domid, seq)
            ? XRES_MANAGE_ACK_NONE : XRES_MANAGE_ACK_GONE;
    /* Malformed (logged by the poll) or unreadable: nothing recorded. */
    if (rc) return XRES_MANAGE_ACK_BAD;
    return ack->ok ? XRES_MANAGE_ACK_OK : XRES_MANAGE_ACK_REFUSED;
}

static void manage_poll_ack(xres_daemon *d)
{
    cpu_state *st = ST(d);
    xres_cpu_manage_state was = st->mg;
    const xres_domain *dom;
    xres_manage_ack_kind kind;
    xres_ack ack;
    uint64_t t_ms = 0;
    int alloc = st->mg.alloc;

    if (!st->mg.seq || !st->mg.name[0]) return;
    dom = xres_host_find_name(&d->host, st->mg.name);
    if (!dom) return;
    memset(&ack, 0, sizeof(ack));
    kind = read_ack(d, dom->domid, st->mg.seq, &ack);
    if (kind == XRES_MANAGE_ACK_NONE) return;
    ack_watch(d, dom->domid, was.seq, false);
    switch (xres_cpu_manage_on_ack(&st->mg, kind, ack.detail,
                                   d->host.now_ms, &t_ms)) {
    case XRES_MANAGE_ASK_AGAIN:
        XLOG_WARN("cpu: %s: request %" PRIu64 " (alloc %d) is gone "
                  "unanswered; asking again", dom->name, was.seq, alloc);
        break;
    case XRES_MANAGE_REFUSED:
        if (xres_ratelimit_ok(&st->rl, d->host.now_ms))
            XLOG_WARN("cpu: %s: request %" PRIu64 " (alloc %d) refused by "
                      "its agent: %s; asking again when the allocation "
                      "changes", dom->name, was.seq, alloc, ack.detail);
        break;
    case XRES_MANAGE_NOT_A_RUN:
        if (xres_ratelimit_ok(&st->rl, d->host.now_ms))
            XLOG_WARN("cpu: %s: ack %" PRIu64 " is not \"ok time-ms=N\" (N "
                      "1..%llu); run not recorded", dom->name, was.seq,
                      (unsigned long long)XRES_RUN_TIME_MS_MAX);
        break;
    case XRES_MANAGE_RECORDED:
        XLOG_INFO("cpu: %s: run under alloc %d took %.1f s", dom->name,
                  alloc, (double)t_ms / 1000.0);
        break;
    default:
        break;
    }
    xres_cpud_manage_persist(d, &was);
}

/* Carry out an agent request of the pass through the actuator: post
 * "alloc A" (the allocation for the managing domain's next analysis run,
 * whose time it acknowledges; its cap is A already) at a number taken from
 * the request channel, or withdraw a request and any ack to it. */
static void manage_carry_out(xres_daemon *d, const xres_action *act)
{
    cpu_state *st = ST(d);
    const xres_domain *dom = xres_host_find(&d->host, act->domid);
    xres_action a = *act;
    uint64_t seq = 0;
    int pct;

    if (!strcmp(act->u.req.op, XRES_MANAGE_OP_CANCEL)) {
        (void)xres_actuate(d, act);
        return;
    }
    if (!dom) return;
    if (xres_agent_request_next(d->be, dom->domid, &seq)) {
        XLOG_ERR("cpu: %s: no request number for alloc %s", dom->name,
                 act->u.req.arg);
        return;
    }
    a.u.req.seq = seq;
    if (xres_actuate(d, &a)) return;      /* logged, naming the domain */
    pct = atoi(act->u.req.arg);
    ack_watch(d, dom->domid, seq, true);
    xres_cpu_manage_sent(&st->mg, &st->res, dom->domid, dom->name, pct, seq,
                         d->host.now_ms);
    XLOG_INFO("cpu: %s: request %" PRIu64 ": alloc %d (allocable %.1f, A "
              "%.1f: %s)", dom->name, seq, pct, st->mg.basis.allocable,
              st->mg.basis.a, st->mg.basis.note);
}

/*----- a pass -----*/

void xres_cpud_policies_changed(cpu_state *st)
{
    free(st->rt_idx);
    free(st->cfg_idx);
    st->rt_idx = st->cfg_idx = NULL;
    st->idx_ok = false;
}

static int named_cmp(const void *a, const void *b)
{
    const xres_cpu_named *const *x = a, *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

/* v sorted by name, or NULL (none, or no memory). */
static const xres_cpu_named **named_index(const xres_cpu_named *v, size_t n)
{
    const xres_cpu_named **ix;

    if (!n || !(ix = malloc(n * sizeof(*ix)))) return NULL;
    for (size_t i = 0; i < n; i++) ix[i] = &v[i];
    qsort(ix, n, sizeof(*ix), named_cmp);
    return ix;
}

/* The first entry of v named name: by binary search in ix, else a scan. */
static const xres_cpu_named *named_lookup(xres_cpu_named *v, size_t n,
                                          const xres_cpu_named **ix,
                                          const char *name)
{
    size_t lo = 0, hi = n;

    if (!ix) return xres_cpu_named_find(v, n, name);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix[mid]->name, name);
        if (!c) return ix[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const xres_cpu_policy *xres_cpud_policy_for(cpu_state *st, const char *name,
                                         uint8_t *src)
{
    const xres_cpu_named *np;

    if (!st->idx_ok) {
        st->rt_idx = named_index(st->rt, st->nr_rt);
        st->cfg_idx = named_index(st->prm.pols, st->prm.nr_pols);
        st->idx_ok = true;
    }
    np = named_lookup(st->rt, st->nr_rt, st->rt_idx, name);
    if (np) {
        *src = 2;
        return &np->pol;
    }
    np = named_lookup(st->prm.pols, st->prm.nr_pols, st->cfg_idx, name);
    if (np) {
        *src = 1;
        return &np->pol;
    }
    *src = 0;
    return NULL;
}

/* Policies parallel to d->host.domains now.  Only a pass puts them into
 * st->pols, with the result they are parallel to. */
int xres_cpud_build_policies(xres_daemon *d, xres_cpu_policy **out,
                             size_t *nout)
{
    cpu_state *st = ST(d);
    size_t n = d->host.nr_domains;
    xres_cpu_policy *p = calloc(n ? n : 1, sizeof(*p));
    uint8_t src;

    *out = NULL;
    *nout = 0;
    if (!p) return -ENOMEM;
    /* Sorted afresh each pass, whatever changed the policies since. */
    xres_cpud_policies_changed(st);
    for (size_t i = 0; i < n; i++) {
        const xres_cpu_policy *q = xres_cpud_policy_for(st, d->host.domains[i].name,
                                              &src);
        if (q) p[i] = *q;
        else xres_cpu_policy_init(&p[i]);
        p[i].source = xres_cpu_params_source(&st->prm,
                                             d->host.domains[i].name);
    }
    *out = p;
    *nout = n;
    return 0;
}


/* Was the domain under this very policy at the previous pass? */
static bool same_as_before(const uint32_t *ids, const xres_cpu_policy *pols,
                           size_t n, uint32_t domid, const xres_cpu_policy *p)
{
    char a[XRES_CPU_SPEC_MAX], b[XRES_CPU_SPEC_MAX];
    size_t lo = 0, hi = n;

    /* ids are the previous pass's domains, sorted by domid. */
    while (lo < hi) {
        size_t i = lo + (hi - lo) / 2;
        if (ids[i] < domid) {
            lo = i + 1;
        } else if (ids[i] > domid) {
            hi = i;
        } else {
            xres_cpu_policy_format(&pols[i], a, sizeof(a));
            xres_cpu_policy_format(p, b, sizeof(b));
            return !strcmp(a, b);
        }
    }
    return false;
}

size_t xres_cpud_dec_index(cpu_state *st, uint32_t domid)
{
    size_t lo = 0, hi = st->res.n;

    /* The decisions are parallel to the snapshot: sorted by domid. */
    while (lo < hi) {
        size_t i = lo + (hi - lo) / 2;
        if (st->res.dec[i].domid == domid) return i;
        if (st->res.dec[i].domid < domid) lo = i + 1;
        else hi = i;
    }
    return SIZE_MAX;
}

/* A fixed domain whose weight/cap must be put back was under this very
 * policy at the previous pass: something outside xres changed it. */
static void warn_put_back(xres_daemon *d, const xres_action *a,
                          const uint32_t *prev_ids,
                          const xres_cpu_policy *prev_pols, size_t nprev)
{
    cpu_state *st = ST(d);
    const xres_domain *dom = xres_host_find(&d->host, a->domid);
    size_t k = xres_cpud_dec_index(st, a->domid);

    if (dom && k < st->npols &&
        st->pols[k].kind == XRES_CPU_POLICY_FIXED &&
        same_as_before(prev_ids, prev_pols, nprev, a->domid, &st->pols[k]) &&
        xres_ratelimit_ok(&st->rl, d->host.now_ms))
        XLOG_WARN("cpu: %s: weight/cap changed outside xres; put back: %s",
                  dom->name, a->why);
}

void xres_cpud_run_pass(xres_daemon *d, bool sample)
{
    cpu_state *st = ST(d);
    xres_cpu_manage_state was = st->mg;
    xres_manage_pass_note note;
    xres_actions acts;
    char prev_err[sizeof(st->res.error)];
    char prev_caution[sizeof(st->res.manage_caution)];
    size_t nprev = 0;
    uint32_t *prev_ids = NULL;
    xres_cpu_policy *prev_pols = NULL;
    int rc;

    if (sample && xres_cpu_meter_update(&st->meter, &d->host))
        XLOG_ERR("cpu: out of memory sampling CPU use");
    /* The policies of the previous pass, to tell an outside change of a
     * fixed domain from a new policy. */
    if (st->pols && st->res.n && st->npols == st->res.n) {
        prev_ids = calloc(st->res.n, sizeof(*prev_ids));
        prev_pols = calloc(st->res.n, sizeof(*prev_pols));
        if (prev_ids && prev_pols) {
            nprev = st->res.n;
            for (size_t i = 0; i < nprev; i++) {
                prev_ids[i] = st->res.dec[i].domid;
                prev_pols[i] = st->pols[i];
            }
        }
    }
    xres_actions_init(&acts);
    free(st->pols);
    st->pols = NULL;
    st->npols = 0;
    if (xres_cpud_build_policies(d, &st->pols, &st->npols)) {
        XLOG_ERR("cpu: out of memory");
        goto out;
    }
    snprintf(prev_err, sizeof(prev_err), "%s", st->res.error);
    snprintf(prev_caution, sizeof(prev_caution), "%s",
             st->res.manage_caution);
    rc = xres_cpu_pass(&st->mg, &d->host, &st->prm.set, st->pols,
                       &st->meter, st->prm.run_timeout_s, &st->res, &acts,
                       &note);
    if (rc) {
        XLOG_ERR("cpu: policy pass failed: %s", strerror(-rc));
        goto out;
    }
    if (st->res.error[0] && strcmp(prev_err, st->res.error))
        XLOG_ERR("cpu: %s", st->res.error);
    /* Logged when it starts; a change of figures at most at the rate
     * limit, not every pass. */
    if (st->res.manage_caution[0] &&
        strcmp(prev_caution, st->res.manage_caution) &&
        (!prev_caution[0] || xres_ratelimit_ok(&st->rl, d->host.now_ms)))
        XLOG_WARN("cpu: caution: managing domain dom%" PRIu32 ": %s: no "
                  "allocation meets the target time", st->res.manage_domid,
                  st->res.manage_caution);
    if (note.timed_out)
        XLOG_WARN("cpu: %s: no answer to request %" PRIu64 " (alloc %d) "
                  "after %u s (cpu_manage_run_timeout); withdrawn, asking "
                  "with a new allocation", was.name, note.seq, note.alloc,
                  st->prm.run_timeout_s);
    for (size_t i = 0; i < acts.n; i++) {
        const xres_action *a = &acts.v[i];
        if (a->kind == XRES_ACT_AGENT_REQUEST) {
            manage_carry_out(d, a);
            continue;
        }
        warn_put_back(d, a, prev_ids, prev_pols, nprev);
        xres_actuate(d, a);
    }
    xres_cpud_manage_persist(d, &was);
out:
    xres_actions_dispose(&acts);
    free(prev_ids);
    free(prev_pols);
}

/*----- hooks -----*/

static int cpu_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_cpu_params prm;
    char err[512];
    int rc;

    (void)d;
    xres_cpu_params_init(&prm);
    rc = xres_cpu_params_from_config(cfg, &prm, err, sizeof(err));
    if (rc) XLOG_ERR("%s", err);
    xres_cpu_params_dispose(&prm);
    return rc;
}

static void cpu_reload(xres_daemon *d)
{
    cpu_state *st = ST(d);
    char err[512];

    xres_cpud_policies_changed(st);
    if (xres_cpu_params_from_config(&d->cfg, &st->prm, err, sizeof(err))) {
        XLOG_ERR("cpu: %s", err);
        return;
    }
    if (st->prm.history != st->history) {
        /* A new length: start the history afresh. */
        xres_cpu_meter_dispose(&st->meter);
        xres_cpu_meter_init(&st->meter, st->prm.history);
        st->history = st->prm.history;
    }
}

static int cpu_init(xres_daemon *d)
{
    cpu_state *st = calloc(1, sizeof(*st));

    if (!st) return -ENOMEM;
    (void)xres_daemon_set_priv(d, &xres_subsys_cpu, st);
    xres_cpu_params_init(&st->prm);
    st->history = XRES_CPU_HIST_DEFAULT;
    xres_cpu_meter_init(&st->meter, st->history);
    xres_cpu_result_init(&st->res);
    xres_ratelimit_init(&st->rl, 10, 0.2);
    xres_cpu_manage_init(&st->mg);
    cpu_reload(d);
    {
        char root[XRES_SCHEMA_PATH_MAX];
        if (!xres_xs_path(root, XS_SCHED_ROOT, 0, NULL))
            d->be->ops->xs_mkdir(d->be, root);
    }
    xres_cpud_load_runtime(d);
    xres_cpud_manage_load(d);
    /* First reading; nothing is changed before a second one. */
    xres_cpu_meter_update(&st->meter, &d->host);
    XLOG_INFO("cpu: scheduler %s, %u CPUs; %zu policies from the "
              "configuration, %zu set at run time",
              xres_sched_kind_name(d->host.sched), d->host.nr_cpus,
              st->prm.nr_pols, st->nr_rt);
    if (d->host.sched != XRES_SCHED_CREDIT &&
        d->host.sched != XRES_SCHED_CREDIT2)
        XLOG_WARN("cpu: scheduler %s has no weight and cap; CPU policies "
                  "stay inactive", xres_sched_kind_name(d->host.sched));
    return 0;
}

static void cpu_dispose(xres_daemon *d)
{
    cpu_state *st = ST(d);

    if (!st) return;
    xres_cpu_meter_dispose(&st->meter);
    xres_cpu_result_dispose(&st->res);
    xres_cpud_policies_changed(st);
    xres_cpu_params_dispose(&st->prm);
    free(st->rt);
    free(st->pols);
    free(st);
    (void)xres_daemon_set_priv(d, &xres_subsys_cpu, NULL);
}

static void cpu_tick(xres_daemon *d)
{
    manage_poll_ack(d);
    xres_cpud_run_pass(d, true);
}

static void cpu_on_event(xres_daemon *d, const xres_event *ev)
{
    if (ev->kind == XRES_EV_WATCH && !strcmp(ev->token, WATCH_ACK))
        manage_poll_ack(d);
}

const xres_subsys xres_subsys_cpu = {
    .name = "cpu",
    .init = cpu_init,
    .dispose = cpu_dispose,
    .check_config = cpu_check_config,
    .reload = cpu_reload,
    .tick = cpu_tick,
    .on_event = cpu_on_event,
    .command = xres_cpud_command,
    .fill_domain_json = xres_cpud_fill_domain_json,
};
