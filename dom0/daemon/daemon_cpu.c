/*
 * dom0/daemon/daemon_cpu.c: the xresd subsystem for CPU: credit(2) scheduler
 * weights and caps from policy and measured use.
 *
 * On every tick it samples each domain's cpu_time (cpu_measure.h), runs
 * the CPU policies (policy_cpu.h) and carries out the SET_SCHED actions
 * they return.  It owns the commands sched-list, sched-set and
 * sched-policy, keeps run-time policies under /local/domain/0/xres/sched
 * so that a restarted daemon finds them, and talks to the managing
 * domain's agent through a request/ack pair (see docs/xres-sched.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_report.h"
#include "config_cpu.h"
#include "cpu_measure.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "policy_cpu.h"
#include "subsys.h"
#include "xs_schema.h"

/* Paths come from xenstore-schema/schema.tbl: SCHED_* (dom0's own
 * state), REQ_* (requests to the managing domain) and REPORT_ACK (its
 * acknowledgements). */
#define WATCH_ACK "cpu:ack"

#define RT_POLICIES_MAX 1024        /* run-time policies kept */
#define MANAGE_HIST 16              /* (A, t) pairs kept */
#define REFUSED_RETRY_MS 600000     /* after an "error" ack, ask again */

typedef struct {
    double alloc;
    double time_s;
} manage_entry;

typedef struct {
    xres_cpu_params prm;        /* from xres.conf */
    unsigned history;           /* the meter's length */
    xres_cpu_meter meter;

    xres_cpu_named *rt;         /* set at run time, kept in XenStore */
    size_t nr_rt;

    xres_cpu_result res;        /* the latest pass */
    xres_cpu_policy *pols;      /* parallel to res.dec */

    /* The managing domain. */
    char mg_name[XRES_NAME_MAX];
    uint32_t mg_domid;
    uint64_t mg_seq;            /* pending "alloc" request, 0 = none */
    int mg_alloc;               /* the allocation that request carries */
    uint64_t mg_refused_ms;     /* when the agent last refused, 0 = never */
    uint64_t mg_sent_ms;        /* when the pending request went out */
    /* What the latest request was worked out from (not kept over a
     * restart of xresd). */
    struct {
        bool valid;
        uint64_t seq;
        double available, own, allocable, a;
        char note[128];
    } basis;
    manage_entry hist[MANAGE_HIST];
    size_t hist_n;              /* entries (<= MANAGE_HIST) */
    size_t hist_next;           /* ring position */
    xres_manage_run last;

    xres_ratelimit rl;
} cpu_state;

static cpu_state *ST(xres_daemon *d) { return d->priv.cpu; }

static xres_cpu_named *find_rt(cpu_state *st, const char *name)
{
    for (size_t i = 0; i < st->nr_rt; i++)
        if (!strcmp(st->rt[i].name, name)) return &st->rt[i];
    return NULL;
}

/* Keep st's run-time policy of name in XenStore, in its own numbered
 * entry (the lowest free one for a new domain). */
static void persist_policy(xres_daemon *d, const char *name)
{
    cpu_state *st = ST(d);
    xres_cpu_named *np = find_rt(st, name);
    char sq[24], spec[XRES_CPU_SPEC_MAX];

    if (!np) return;
    if (!np->slot) {
        for (uint64_t s = 1; !np->slot; s++) {
            bool used = false;
            for (size_t i = 0; i < st->nr_rt && !used; i++)
                used = st->rt[i].slot == s;
            if (!used) np->slot = s;
        }
    }
    snprintf(sq, sizeof(sq), "%" PRIu64, np->slot);
    xres_cpu_policy_format(&np->pol, spec, sizeof(spec));
    if (xres_xs_put(d, XS_SCHED_POLICY_NAME, 0, sq, name) ||
        xres_xs_put(d, XS_SCHED_POLICY_SPEC, 0, sq, spec))
        XLOG_WARN("cpu: %s's policy is in force but will not survive a "
                  "restart of xresd", name);
}

static void forget_policy(xres_daemon *d, uint64_t slot)
{
    char path[XRES_SCHEMA_PATH_MAX], sq[24], *slash;

    snprintf(sq, sizeof(sq), "%" PRIu64, slot);
    if (!slot || xres_xs_path(path, XS_SCHED_POLICY_NAME, 0, sq)) return;
    slash = strrchr(path, '/');
    if (slash) *slash = '\0';       /* the entry's directory */
    d->be->ops->xs_rm(d->be, path);
}

static void load_runtime_policies(xres_daemon *d)
{
    cpu_state *st = ST(d);
    char dir[XRES_SCHEMA_PATH_MAX];
    char **names = NULL;
    unsigned n = 0;

    if (xres_xs_path(dir, XS_SCHED_POLICY_DIR, 0, NULL) ||
        d->be->ops->xs_directory(d->be, dir, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        char *name = NULL, *spec = NULL, err[160];
        size_t nl = 0, sl = 0;
        uint64_t slot;
        xres_cpu_policy p;

        if (st->nr_rt >= RT_POLICIES_MAX) break;
        if (xres_schema_parse_seq(names[i], strlen(names[i]), &slot) ||
            xres_xs_get(d, XS_SCHED_POLICY_NAME, 0, names[i], &name, &nl) ||
            xres_xs_get(d, XS_SCHED_POLICY_SPEC, 0, names[i], &spec, &sl))
            goto next;
        if (nl == 0 || xres_schema_check(XS_SCHED_POLICY_NAME, name, nl,
                                         err, sizeof(err)) ||
            xres_cpu_policy_parse(spec, &p, err, sizeof(err))) {
            XLOG_WARN("cpu: ignoring stored policy %s: %s", names[i],
                      nl ? err : "no name");
            goto next;
        }
        if (find_rt(st, name)) {
            XLOG_WARN("cpu: ignoring stored policy %s: %s has another",
                      names[i], name);
            goto next;
        }
        if (!xres_cpu_named_set(&st->rt, &st->nr_rt, name, &p)) {
            st->rt[st->nr_rt - 1].slot = slot;
            XLOG_INFO("cpu: %s: run-time policy %s", name, spec);
        }
    next:
        free(name);
        free(spec);
    }
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

/*----- the managing domain's (A, t) history -----*/

static void manage_load(xres_daemon *d)
{
    cpu_state *st = ST(d);
    char *v = NULL, slot[8];
    size_t len = 0;
    uint64_t x;

    if (!xres_xs_get(d, XS_SCHED_MANAGE_DOMAIN, 0, NULL, &v, &len) &&
        len < sizeof(st->mg_name)) {
        const xres_domain *dom;
        snprintf(st->mg_name, sizeof(st->mg_name), "%s", v);
        dom = xres_host_find_name(&d->host, st->mg_name);
        if (dom) st->mg_domid = dom->domid;
    }
    free(v);
    if (!xres_xs_get_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, &x)) st->mg_seq = x;
    /* A request from a previous xresd: its run timeout starts now. */
    if (st->mg_seq) st->mg_sent_ms = d->host.now_ms ? d->host.now_ms : 1;
    if (!xres_xs_get_u64(d, XS_SCHED_MANAGE_ALLOC, 0, NULL, &x))
        st->mg_alloc = (int)x;
    if (!xres_xs_get_u64(d, XS_SCHED_MANAGE_HNEXT, 0, NULL, &x))
        st->hist_next = (x - 1) % MANAGE_HIST;
    for (size_t i = 0; i < MANAGE_HIST; i++) {
        double a, t;
        char extra;
        v = NULL;
        snprintf(slot, sizeof(slot), "%zu", i + 1);
        if (xres_xs_get(d, XS_SCHED_MANAGE_HIST, 0, slot, &v, &len)) continue;
        if (sscanf(v, "%lf %lf%c", &a, &t, &extra) == 2 && a >= 0 && t > 0) {
            st->hist[i].alloc = a;
            st->hist[i].time_s = t / 1000.0;
            st->hist_n++;
        }
        free(v);
    }
    if (st->hist_n) {
        size_t li = (st->hist_next + MANAGE_HIST - 1) % MANAGE_HIST;
        st->last.valid = st->hist[li].time_s > 0;
        st->last.alloc = st->hist[li].alloc;
        st->last.time_s = st->hist[li].time_s;
    }
}

static void manage_record(xres_daemon *d, double alloc, uint64_t t_ms)
{
    cpu_state *st = ST(d);
    char slot[8], val[64];

    st->hist[st->hist_next].alloc = alloc;
    st->hist[st->hist_next].time_s = (double)t_ms / 1000.0;
    snprintf(slot, sizeof(slot), "%zu", st->hist_next + 1);
    snprintf(val, sizeof(val), "%.0f %" PRIu64, alloc, t_ms);
    xres_xs_put(d, XS_SCHED_MANAGE_HIST, 0, slot, val);
    st->hist_next = (st->hist_next + 1) % MANAGE_HIST;
    if (st->hist_n < MANAGE_HIST) st->hist_n++;
    xres_xs_put_u64(d, XS_SCHED_MANAGE_HNEXT, 0, NULL, st->hist_next + 1);
    st->last.valid = true;
    st->last.alloc = alloc;
    st->last.time_s = (double)t_ms / 1000.0;
}

/* Withdraw request seq of domid (replaced by a newer one, or no longer
 * wanted), and any ack to it. */
static void manage_drop_request(xres_daemon *d, uint32_t domid, uint64_t seq)
{
    if (seq) (void)xres_agent_request_cancel(d->be, domid, seq);
}

/* Post "alloc A" to the managing domain: the allocation for its next
 * analysis run, whose time it acknowledges.  Its cap is A already. */
static void manage_request(xres_daemon *d, const xres_domain *dom, int alloc)
{
    cpu_state *st = ST(d);
    char path[XRES_SCHEMA_PATH_MAX], sq[24];
    xres_request req;
    uint64_t seq = 0;

    if (st->mg_seq) manage_drop_request(d, st->mg_domid, st->mg_seq);
    memset(&req, 0, sizeof(req));
    req.op = XRES_REQ_ALLOC;
    req.pct = (unsigned)alloc;
    /* Logs its own failure, naming the domain. */
    if (xres_agent_request_send(d->be, dom->domid, &req, &seq)) return;
    snprintf(sq, sizeof(sq), "%" PRIu64, seq);
    if (!xres_xs_path(path, XS_REPORT_ACK, dom->domid, sq))
        d->be->ops->xs_watch(d->be, path, WATCH_ACK);
    st->mg_seq = seq;
    st->mg_alloc = alloc;
    st->mg_sent_ms = d->host.now_ms ? d->host.now_ms : 1;
    st->mg_domid = dom->domid;
    snprintf(st->mg_name, sizeof(st->mg_name), "%s", dom->name);
    xres_xs_put(d, XS_SCHED_MANAGE_DOMAIN, 0, NULL, dom->name);
    xres_xs_put_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, seq);
    xres_xs_put_u64(d, XS_SCHED_MANAGE_ALLOC, 0, NULL, (uint64_t)alloc);
    st->basis.valid = true;
    st->basis.seq = seq;
    st->basis.available = st->res.available;
    st->basis.own = st->res.manage_own;
    st->basis.allocable = st->res.allocable;
    st->basis.a = st->res.manage_alloc;
    for (size_t i = 0; i < st->res.n; i++)
        if (st->res.dec[i].domid == dom->domid)
            snprintf(st->basis.note, sizeof(st->basis.note), "%s",
                     st->res.dec[i].note);
    XLOG_INFO("cpu: %s: request %" PRIu64 ": alloc %d (allocable %.1f, A "
              "%.1f: %s)", dom->name, seq, alloc, st->basis.allocable,
              st->basis.a, st->basis.note);
}

/* Look for the managing domain's ack to the pending request, through the
 * shared request mechanism (agent_request.c), which parses it with the
 * schema and removes the request and the ack.  An "ok" ack's detail must
 * then be exactly "time-ms=N". */
static void manage_poll_ack(xres_daemon *d)
{
    cpu_state *st = ST(d);
    const xres_domain *dom;
    char path[XRES_SCHEMA_PATH_MAX], sq[24];
    xres_ack ack;
    uint64_t t_ms;
    int rc;

    if (!st->mg_seq || !st->mg_name[0]) return;
    dom = xres_host_find_name(&d->host, st->mg_name);
    if (!dom) return;
    snprintf(sq, sizeof(sq), "%" PRIu64, st->mg_seq);
    rc = xres_agent_request_poll(d->be, dom->domid, st->mg_seq, &ack,
                                 d->host.now_ms);
    if (rc == -EAGAIN) {
        char *v = NULL;
        size_t len = 0;
        /* Only dom0 removes a request: one that is gone (a restarted
         * xresd set the directory up afresh) will never be answered. */
        if (xres_xs_get(d, XS_REQ_ITEM, dom->domid, sq, &v, &len) != -ENOENT) {
            free(v);
            return;
        }
        XLOG_WARN("cpu: %s: request %s (alloc %d) is gone unanswered; "
                  "asking again", dom->name, sq, st->mg_alloc);
        if (!xres_xs_path(path, XS_REPORT_ACK, dom->domid, sq))
            d->be->ops->xs_unwatch(d->be, path, WATCH_ACK);
        st->mg_seq = 0;
        xres_xs_put_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, 0);
        return;
    }
    if (!xres_xs_path(path, XS_REPORT_ACK, dom->domid, sq))
        d->be->ops->xs_unwatch(d->be, path, WATCH_ACK);
    if (rc) {
        /* Malformed (logged by the poll) or unreadable: nothing recorded. */
    } else if (!ack.ok) {
        st->mg_refused_ms = d->host.now_ms ? d->host.now_ms : 1;
        if (xres_ratelimit_ok(&st->rl, d->host.now_ms))
            XLOG_WARN("cpu: %s: request %s (alloc %d) refused by its agent: "
                      "%s; asking again when the allocation changes",
                      dom->name, sq, st->mg_alloc, ack.detail);
    } else if (xres_cpu_parse_run_time(ack.detail, strlen(ack.detail),
                                       &t_ms)) {
        if (xres_ratelimit_ok(&st->rl, d->host.now_ms))
            XLOG_WARN("cpu: %s: ack %s is not \"ok time-ms=N\" (N 1..%llu); "
                      "run not recorded", dom->name, sq,
                      (unsigned long long)XRES_RUN_TIME_MS_MAX);
    } else {
        manage_record(d, st->mg_alloc, t_ms);
        XLOG_INFO("cpu: %s: run under alloc %d took %.1f s", dom->name,
                  st->mg_alloc, (double)t_ms / 1000.0);
    }
    /* Answered (well or not): the next request carries the next run. */
    st->mg_seq = 0;
    xres_xs_put_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, 0);
}

/*----- a pass -----*/

static const xres_cpu_policy *policy_for(cpu_state *st, const char *name,
                                         uint8_t *src)
{
    const xres_cpu_named *np = xres_cpu_named_find(st->rt, st->nr_rt, name);

    if (np) {
        *src = 2;
        return &np->pol;
    }
    np = xres_cpu_named_find(st->prm.pols, st->prm.nr_pols, name);
    if (np) {
        *src = 1;
        return &np->pol;
    }
    *src = 0;
    return NULL;
}

/* Policies parallel to d->host.domains, into st->pols. */
static int build_policies(xres_daemon *d)
{
    cpu_state *st = ST(d);
    size_t n = d->host.nr_domains;
    xres_cpu_policy *p = calloc(n ? n : 1, sizeof(*p));
    uint8_t src;

    if (!p) return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const xres_cpu_policy *q = policy_for(st, d->host.domains[i].name,
                                              &src);
        if (q) p[i] = *q;
        else xres_cpu_policy_init(&p[i]);
    }
    free(st->pols);
    st->pols = p;
    return 0;
}

/* Was the domain under this very policy at the previous pass? */
static bool same_as_before(const uint32_t *ids, const xres_cpu_policy *pols,
                           size_t n, uint32_t domid, const xres_cpu_policy *p)
{
    char a[XRES_CPU_SPEC_MAX], b[XRES_CPU_SPEC_MAX];

    for (size_t i = 0; i < n; i++) {
        if (ids[i] != domid) continue;
        xres_cpu_policy_format(&pols[i], a, sizeof(a));
        xres_cpu_policy_format(p, b, sizeof(b));
        return !strcmp(a, b);
    }
    return false;
}

static size_t dec_index(cpu_state *st, uint32_t domid)
{
    for (size_t i = 0; i < st->res.n; i++)
        if (st->res.dec[i].domid == domid) return i;
    return SIZE_MAX;
}

static void run_pass(xres_daemon *d, bool sample)
{
    cpu_state *st = ST(d);
    xres_actions acts;
    char prev_err[sizeof(st->res.error)];
    size_t nprev = 0;
    uint32_t *prev_ids = NULL;
    xres_cpu_policy *prev_pols = NULL;
    const xres_domain *mdom;
    bool hold;
    int rc;

    if (sample && xres_cpu_meter_update(&st->meter, &d->host))
        XLOG_ERR("cpu: out of memory sampling CPU use");
    /* The policies of the previous pass, to tell an outside change of a
     * fixed domain from a new policy. */
    if (st->pols && st->res.n) {
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
    if (build_policies(d)) {
        XLOG_ERR("cpu: out of memory");
        goto out;
    }
    snprintf(prev_err, sizeof(prev_err), "%s", st->res.error);
    rc = xres_cpu_policy_run(&d->host, &st->prm.set, st->pols, &st->meter,
                             &st->last, &st->res, &acts);
    if (rc) {
        XLOG_ERR("cpu: policy pass failed: %s", strerror(-rc));
        goto out;
    }
    if (st->res.error[0] && strcmp(prev_err, st->res.error))
        XLOG_ERR("cpu: %s", st->res.error);
    /* The managing domain: while its run under the requested allocation
     * is under way, its cap stays at that allocation, so that the time it
     * reports belongs to one A; the policy's new A waits for the ack. */
    mdom = st->res.manage_domid != XRES_DOMID_INVALID ?
           xres_host_find(&d->host, st->res.manage_domid) : NULL;
    if (st->mg_seq && (!mdom || st->mg_domid != mdom->domid) &&
        !st->res.error[0]) {
        /* No managing domain any more, or another one: withdraw. */
        manage_drop_request(d, st->mg_domid, st->mg_seq);
        st->mg_seq = 0;
        xres_xs_put_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, 0);
    }
    hold = mdom && st->mg_seq && st->mg_domid == mdom->domid;
    if (hold && st->mg_sent_ms &&
        d->host.now_ms - st->mg_sent_ms >= st->prm.run_timeout_s * 1000ULL) {
        /* An agent that never answers does not keep the allocation. */
        XLOG_WARN("cpu: %s: no answer to request %" PRIu64 " (alloc %d) "
                  "after %u s (cpu_manage_run_timeout); withdrawn, asking "
                  "with a new allocation", mdom->name, st->mg_seq,
                  st->mg_alloc, st->prm.run_timeout_s);
        manage_drop_request(d, st->mg_domid, st->mg_seq);
        st->mg_seq = 0;
        xres_xs_put_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, 0);
        hold = false;
    }
    for (size_t i = 0; i < acts.n; i++) {
        xres_action *a = &acts.v[i];
        const xres_domain *dom = xres_host_find(&d->host, a->domid);
        size_t k = SIZE_MAX;
        if (hold && a->domid == mdom->domid) {
            a->u.sched.cap = -1;
            if (a->u.sched.weight < 0) continue;
        }
        for (size_t j = 0; j < st->res.n; j++)
            if (st->res.dec[j].domid == a->domid) k = j;
        if (dom && k != SIZE_MAX &&
            st->pols[k].kind == XRES_CPU_POLICY_FIXED &&
            same_as_before(prev_ids, prev_pols, nprev, a->domid,
                           &st->pols[k]) &&
            xres_ratelimit_ok(&st->rl, d->host.now_ms))
            XLOG_WARN("cpu: %s: weight/cap changed outside xres; put back: "
                      "%s", dom->name, a->why);
        xres_daemon_apply_action(d, a);
    }
    if (hold) {
        size_t k = dec_index(st, mdom->domid);
        if (k != SIZE_MAX) {
            char was[sizeof(st->res.dec[k].note)];
            snprintf(was, sizeof(was), "%s", st->res.dec[k].note);
            snprintf(st->res.dec[k].note, sizeof(st->res.dec[k].note),
                     "manage: run %" PRIu64 " under alloc %d; next %.90s",
                     st->mg_seq, st->mg_alloc, was);
        }
        if (mdom->cap != st->mg_alloc) {
            xres_action act;
            memset(&act, 0, sizeof(act));
            act.kind = XRES_ACT_SET_SCHED;
            act.domid = mdom->domid;
            act.u.sched.weight = -1;
            act.u.sched.cap = st->mg_alloc;
            snprintf(act.why, sizeof(act.why), "manage: cap held at alloc %d "
                     "until run %" PRIu64 " reports", st->mg_alloc,
                     st->mg_seq);
            xres_daemon_apply_action(d, &act);
        }
    } else if (mdom && st->res.manage_cap > 0) {
        /* No run under way: announce the allocation the policy gave (the
         * cap is set to it above), unless the agent refused this very
         * allocation not long ago. */
        int cap = st->res.manage_cap;
        bool changed = st->mg_domid != mdom->domid || cap != st->mg_alloc;
        bool refused = st->mg_refused_ms &&
                       d->host.now_ms - st->mg_refused_ms < REFUSED_RETRY_MS;
        if (changed || !refused) {
            st->mg_refused_ms = 0;
            manage_request(d, mdom, cap);
        }
    }
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
    d->priv.cpu = st;
    xres_cpu_params_init(&st->prm);
    st->history = XRES_CPU_HIST_DEFAULT;
    xres_cpu_meter_init(&st->meter, st->history);
    xres_cpu_result_init(&st->res);
    xres_ratelimit_init(&st->rl, 10, 0.2);
    st->mg_domid = XRES_DOMID_INVALID;
    cpu_reload(d);
    {
        char root[XRES_SCHEMA_PATH_MAX];
        if (!xres_xs_path(root, XS_SCHED_ROOT, 0, NULL))
            d->be->ops->xs_mkdir(d->be, root);
    }
    load_runtime_policies(d);
    manage_load(d);
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
    xres_cpu_params_dispose(&st->prm);
    free(st->rt);
    free(st->pols);
    free(st);
    d->priv.cpu = NULL;
}

static void cpu_tick(xres_daemon *d)
{
    manage_poll_ack(d);
    run_pass(d, true);
}

static void cpu_on_event(xres_daemon *d, const xres_event *ev)
{
    if (ev->kind == XRES_EV_WATCH && !strcmp(ev->token, WATCH_ACK))
        manage_poll_ack(d);
}

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

static void cpu_fill_domain_json(xres_daemon *d, const xres_domain *dom,
                                 yajl_gen g)
{
    cpu_state *st = ST(d);
    const xres_cpu_point *p =
        xres_cpu_hist_latest(xres_cpu_meter_find(&st->meter, dom->domid));
    uint8_t src;
    const xres_cpu_policy *pol = policy_for(st, dom->name, &src);
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
    if (st->res.manage_domid != XRES_DOMID_INVALID || st->mg_name[0]) {
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "domain", st->mg_name);
        json_num1(g, "allocable_pct", st->res.allocable);
        json_num1(g, "alloc_pct", st->res.manage_alloc);
        xres_json_kv_u64(g, "request_seq", st->mg_seq);
        xres_json_kv_int(g, "request_alloc_pct",
                         st->mg_seq ? st->mg_alloc : -1);
        /* What the latest request was worked out from, to 3 decimals so
         * that it can be checked against the figures above. */
        xres_json_str(g, "basis");
        if (st->basis.valid) {
            yajl_gen_map_open(g);
            xres_json_kv_u64(g, "seq", st->basis.seq);
            json_num3(g, "available_pct", st->basis.available);
            json_num3(g, "own_pct", st->basis.own);
            json_num3(g, "allocable_pct", st->basis.allocable);
            json_num3(g, "a_pct", st->basis.a);
            xres_json_kv_str(g, "note", st->basis.note);
            yajl_gen_map_close(g);
        } else {
            yajl_gen_null(g);
        }
        xres_json_str(g, "runs");
        yajl_gen_array_open(g);
        for (size_t i = 0; i < st->hist_n; i++) {
            size_t j = (st->hist_next + MANAGE_HIST - st->hist_n + i) %
                       MANAGE_HIST;
            yajl_gen_map_open(g);
            json_num1(g, "alloc_pct", st->hist[j].alloc);
            json_num1(g, "time_s", st->hist[j].time_s);
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
        size_t np, k = dec_index(st, dom->domid);
        uint8_t src;
        const xres_cpu_policy *pol = policy_for(st, dom->name, &src);
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
    p = policy_for(st, dom->name, &src);
    if (p && p->kind == XRES_CPU_POLICY_FIXED) {
        /* The fixed values are what sched-set changes. */
        xres_cpu_policy np = *p;
        if (w >= 0) np.weight = (int)w;
        if (c >= 0) np.cap = (int)c;
        if (xres_cpu_named_set(&st->rt, &st->nr_rt, dom->name, &np)) {
            xres_ipc_reply_error(g, "sched-set: out of memory");
            return;
        }
        persist_policy(d, dom->name);
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
    rc = xres_daemon_apply_action(d, &act);
    if (rc) {
        xres_ipc_reply_error(g, "sched-set: %s: Xen refused: %s", dom->name,
                             strerror(-rc));
        return;
    }
    xres_daemon_refresh(d);
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
    xres_cpu_policy p;
    xres_domain *dom;
    size_t idx = SIZE_MAX;
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
            forget_policy(d, st->rt[i].slot);
            st->rt[i] = st->rt[--st->nr_rt];
            break;
        }
    } else if (text) {
        if (!sched_active(d, g, "sched-policy")) return;
        if (xres_cpu_policy_parse(text, &p, err, sizeof(err))) {
            xres_ipc_reply_error(g, "sched-policy: %s: %s", dom->name, err);
            return;
        }
        if (build_policies(d)) {
            xres_ipc_reply_error(g, "sched-policy: out of memory");
            return;
        }
        for (size_t i = 0; i < d->host.nr_domains; i++)
            if (d->host.domains[i].domid == dom->domid) idx = i;
        if (idx != SIZE_MAX &&
            xres_cpu_policy_check(&d->host, st->pols, idx, &p, err,
                                  sizeof(err))) {
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
        if (xres_cpu_named_set(&st->rt, &st->nr_rt, dom->name, &p)) {
            xres_ipc_reply_error(g, "sched-policy: out of memory");
            return;
        }
        persist_policy(d, dom->name);
        xres_cpu_policy_format(&p, spec, sizeof(spec));
        XLOG_INFO("cpu: %s: policy set to %s", dom->name, spec);
    }
    if (reset || text) run_pass(d, false);
    cur = policy_for(st, dom->name, &src);
    if (cur) xres_cpu_policy_format(cur, spec, sizeof(spec));
    else snprintf(spec, sizeof(spec), "none");
    xres_ipc_reply_ok_begin(g);
    xres_json_kv_str(g, "name", dom->name);
    xres_json_kv_str(g, "policy", spec);
    xres_json_kv_str(g, "source", src_name(src));
    xres_json_kv_str(g, "scheduler", xres_sched_kind_name(d->host.sched));
    yajl_gen_map_close(g);
}

static int cpu_command(xres_daemon *d, const char *cmd, yajl_val req,
                       yajl_gen out)
{
    if (!strcmp(cmd, "sched-list")) sched_list(d, req, out);
    else if (!strcmp(cmd, "sched-set")) sched_set(d, req, out);
    else if (!strcmp(cmd, "sched-policy")) sched_policy(d, req, out);
    else return -ENOSYS;
    return 0;
}

const xres_subsys xres_subsys_cpu = {
    .name = "cpu",
    .init = cpu_init,
    .dispose = cpu_dispose,
    .check_config = cpu_check_config,
    .reload = cpu_reload,
    .tick = cpu_tick,
    .on_event = cpu_on_event,
    .command = cpu_command,
    .fill_domain_json = cpu_fill_domain_json,
};
