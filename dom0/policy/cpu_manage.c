/*
 * dom0/policy/cpu_manage.c: the managing domain: its allocation A from the
 * allocable CPU and its last run, the run report its agent sends back
 * (policy_cpu.h), and its run as a state machine inside the CPU pass
 * (cpu_manage.h).  Pure functions only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu_manage.h"

double xres_cpu_manage_alloc(const xres_cpu_policy *p, double allocable,
                             const xres_manage_run *last, char *why,
                             size_t whylen, bool *caution)
{
    double a = 0, r;
    bool hist = last && last->valid && last->alloc > 0 && last->time_s > 0;

    if (allocable < 0) allocable = 0;
    if (why && whylen) why[0] = '\0';
    if (caution) *caution = false;
    switch (p->method) {
    case XRES_MANAGE_COEF:
        a = allocable * p->coef;
        snprintf(why, whylen, "manage 2: %.1f x %g", allocable, p->coef);
        break;
    case XRES_MANAGE_IF_TARGET:
        if (!hist) {
            a = allocable;
            snprintf(why, whylen, "manage 3: no run yet, all of %.1f",
                     allocable);
            break;
        }
        r = last->alloc * last->time_s;
        if (allocable > 0 && r / allocable <= p->target_s) {
            a = allocable;
            snprintf(why, whylen, "manage 3: estimate %.1f s meets target "
                     "%g s", r / allocable, p->target_s);
        } else {
            /* No allocation meets T: the most there is makes the run as
             * short as it can be (001, method 3), with a caution. */
            a = allocable;
            if (caution) *caution = true;
            if (allocable > 0)
                snprintf(why, whylen, "manage 3: estimate %.1f s misses "
                         "target %g s: all of %.1f, caution", r / allocable,
                         p->target_s, allocable);
            else
                snprintf(why, whylen, "manage 3: nothing allocable, "
                         "caution");
        }
        break;
    case XRES_MANAGE_BY_TARGET:
        if (!hist) {
            a = allocable;
            snprintf(why, whylen, "manage 4: no run yet, all of %.1f",
                     allocable);
            break;
        }
        r = last->alloc * last->time_s;
        a = r / p->target_s;
        if (a > allocable) {
            snprintf(why, whylen, "manage 4: R/T = %.1f capped at %.1f", a,
                     allocable);
            a = allocable;
        } else {
            snprintf(why, whylen, "manage 4: R/T = %.0f/%g", r, p->target_s);
        }
        break;
    case XRES_MANAGE_ALLOCABLE:
    default:
        a = allocable;
        snprintf(why, whylen, "manage 1: all of %.1f", allocable);
        break;
    }
    if (a < 0) a = 0;
    if (a > allocable) a = allocable;
    return a;
}

int xres_cpu_parse_run_time(const char *s, size_t len, uint64_t *t_ms)
{
    static const char pre[] = "time-ms=";
    const size_t np = sizeof(pre) - 1;
    uint64_t v = 0;

    if (!s || len <= np || len > np + 9 || memcmp(s, pre, np)) return -EINVAL;
    if (s[np] == '0') return -EINVAL;
    for (size_t i = np; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v < 1 || v > XRES_RUN_TIME_MS_MAX) return -EINVAL;
    *t_ms = v;
    return 0;
}

/* ---- the managing domain's run ---- */

void xres_cpu_manage_init(xres_cpu_manage_state *s)
{
    memset(s, 0, sizeof(*s));
    s->domid = XRES_DOMID_INVALID;
}

void xres_cpu_manage_loaded(xres_cpu_manage_state *s)
{
    size_t li = (s->hist_next + XRES_MANAGE_HIST - 1) % XRES_MANAGE_HIST;

    if (!s->hist_n) return;
    s->last.valid = s->hist[li].time_s > 0;
    s->last.alloc = s->hist[li].alloc;
    s->last.time_s = s->hist[li].time_s;
}

void xres_cpu_manage_record(xres_cpu_manage_state *s, double alloc,
                            uint64_t t_ms)
{
    s->hist[s->hist_next].alloc = alloc;
    s->hist[s->hist_next].time_s = (double)t_ms / 1000.0;
    s->hist_next = (s->hist_next + 1) % XRES_MANAGE_HIST;
    if (s->hist_n < XRES_MANAGE_HIST) s->hist_n++;
    s->last.valid = true;
    s->last.alloc = alloc;
    s->last.time_s = (double)t_ms / 1000.0;
}

xres_manage_outcome xres_cpu_manage_on_ack(xres_cpu_manage_state *s,
                                           xres_manage_ack_kind kind,
                                           const char *detail,
                                           uint64_t now_ms, uint64_t *t_ms)
{
    uint64_t t;

    if (kind == XRES_MANAGE_ACK_NONE || !s->seq) return XRES_MANAGE_WAITING;
    /* Answered (well or not), or gone: the next request carries the next
     * run. */
    s->seq = 0;
    switch (kind) {
    case XRES_MANAGE_ACK_GONE:
        return XRES_MANAGE_ASK_AGAIN;
    case XRES_MANAGE_ACK_REFUSED:
        s->refused_ms = now_ms ? now_ms : 1;
        return XRES_MANAGE_REFUSED;
    case XRES_MANAGE_ACK_OK:
        if (!detail || xres_cpu_parse_run_time(detail, strlen(detail), &t))
            return XRES_MANAGE_NOT_A_RUN;
        xres_cpu_manage_record(s, s->alloc, t);
        if (t_ms) *t_ms = t;
        return XRES_MANAGE_RECORDED;
    default:
        return XRES_MANAGE_DROPPED;
    }
}

static int push_request(xres_actions *out, uint32_t domid, const char *op,
                        uint64_t seq, int alloc, const char *why)
{
    xres_action a;

    memset(&a, 0, sizeof(a));
    a.kind = XRES_ACT_AGENT_REQUEST;
    a.domid = domid;
    snprintf(a.u.req.op, sizeof(a.u.req.op), "%s", op);
    if (alloc >= 0) snprintf(a.u.req.arg, sizeof(a.u.req.arg), "%d", alloc);
    a.u.req.seq = seq;
    snprintf(a.why, sizeof(a.why), "%s", why);
    return xres_actions_push(out, &a);
}

/* Withdraw the pending request, if any. */
static int withdraw(xres_cpu_manage_state *s, xres_actions *out,
                    const char *why)
{
    uint64_t seq = s->seq;

    if (!seq) return 0;
    s->seq = 0;
    return push_request(out, s->domid, XRES_MANAGE_OP_CANCEL, seq, -1, why);
}

static xres_cpu_decision *decision_of(xres_cpu_result *r, uint32_t domid)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->dec[i].domid == domid) return &r->dec[i];
    return NULL;
}

/* The policies' actions, the managing domain's cap held at the pending
 * request's allocation while its run is under way. */
static int copy_held(const xres_actions *raw, uint32_t held,
                     xres_actions *out)
{
    int rc = 0;

    for (size_t i = 0; !rc && i < raw->n; i++) {
        xres_action a = raw->v[i];
        if (a.domid == held) {
            a.u.sched.cap = -1;
            if (a.u.sched.weight < 0) continue;
        }
        rc = xres_actions_push(out, &a);
    }
    return rc;
}

/* A run under way: the cap stays at its allocation; the note says so. */
static int hold(xres_cpu_manage_state *s, const xres_domain *mdom,
                xres_cpu_result *r, xres_actions *out)
{
    xres_cpu_decision *dec = decision_of(r, mdom->domid);
    char why[96];

    if (dec) {
        char was[sizeof(dec->note)];
        snprintf(was, sizeof(was), "%s", dec->note);
        snprintf(dec->note, sizeof(dec->note), "manage: run %" PRIu64
                 " under alloc %d; next %.90s", s->seq, s->alloc, was);
    }
    if (mdom->cap == s->alloc) return 0;
    snprintf(why, sizeof(why), "manage: cap held at alloc %d until run %"
             PRIu64 " reports", s->alloc, s->seq);
    return xres_act_set_sched(out, mdom->domid, -1, s->alloc, why);
}

int xres_cpu_pass(xres_cpu_manage_state *s, const xres_host *h,
                  const xres_cpu_settings *set, const xres_cpu_policy *pols,
                  const xres_cpu_meter *m, unsigned run_timeout_s,
                  xres_cpu_result *r, xres_actions *out,
                  xres_manage_pass_note *note)
{
    const uint64_t now = h->now_ms;
    const xres_domain *mdom;
    xres_actions raw;
    bool held;
    int rc;

    memset(note, 0, sizeof(*note));
    xres_actions_init(&raw);
    rc = xres_cpu_policy_run(h, set, pols, m, &s->last, r, &raw);
    if (rc) goto out;
    mdom = r->manage_domid != XRES_DOMID_INVALID ?
           xres_host_find(h, r->manage_domid) : NULL;
    if (s->seq && (!mdom || s->domid != mdom->domid) && !r->error[0]) {
        /* No managing domain any more, or another one. */
        rc = withdraw(s, out, "manage: no longer the managing domain");
        if (rc) goto out;
    }
    held = mdom && s->seq && s->domid == mdom->domid;
    if (held && s->sent_ms &&
        now - s->sent_ms >= run_timeout_s * 1000ULL) {
        /* An agent that never answers does not keep the allocation. */
        note->timed_out = true;
        note->seq = s->seq;
        note->alloc = s->alloc;
        rc = withdraw(s, out, "manage: no answer within the run timeout");
        if (rc) goto out;
        held = false;
    }
    rc = copy_held(&raw, held ? mdom->domid : XRES_DOMID_INVALID, out);
    if (rc) goto out;
    if (held) {
        rc = hold(s, mdom, r, out);
    } else if (mdom && r->manage_cap > 0) {
        /* No run under way: announce the allocation the policy gave (its
         * cap is set to it above), unless the agent refused this very
         * allocation not long ago. */
        int cap = r->manage_cap;
        bool changed = s->domid != mdom->domid || cap != s->alloc;
        bool refused = s->refused_ms &&
                       now - s->refused_ms < XRES_MANAGE_REFUSED_RETRY_MS;
        if (changed || !refused) {
            s->refused_ms = 0;
            rc = withdraw(s, out, "manage: replaced by a new request");
            if (!rc)
                rc = push_request(out, mdom->domid, XRES_MANAGE_OP_ALLOC, 0,
                                  cap, "manage: allocation for the next run");
        }
    }
out:
    xres_actions_dispose(&raw);
    return rc;
}

void xres_cpu_manage_sent(xres_cpu_manage_state *s, const xres_cpu_result *r,
                          uint32_t domid, const char *name, int alloc,
                          uint64_t seq, uint64_t now_ms)
{
    s->seq = seq;
    s->alloc = alloc;
    s->sent_ms = now_ms ? now_ms : 1;
    s->domid = domid;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->basis.valid = true;
    s->basis.seq = seq;
    s->basis.available = r->available;
    s->basis.own = r->manage_own;
    s->basis.allocable = r->allocable;
    s->basis.a = r->manage_alloc;
    for (size_t i = 0; i < r->n; i++)
        if (r->dec[i].domid == domid)
            snprintf(s->basis.note, sizeof(s->basis.note), "%s",
                     r->dec[i].note);
}
