/*
 * tests/unit/test_cpu_manage.c: the managing domain's run as a pure step,
 * without a daemon: the first request, the cap held while a run is under
 * way, the ack recorded, a refusal, the run timeout and a managing domain
 * that goes away.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "cpu_manage.h"
#include "cpu_measure.h"
#include "model.h"
#include "policy_cpu.h"

#define NS_PER_PCT_S 10000000ULL    /* 1% of a CPU for 1 s, in ns */

static xres_host h;
static xres_cpu_meter m;
static xres_cpu_settings set;
static xres_cpu_policy pols[3];
static xres_cpu_result r;
static xres_actions a;
static xres_cpu_manage_state st;
static xres_manage_pass_note note;

static void add(uint32_t domid, const char *name, unsigned vcpus)
{
    xres_domain *d = xres_host_add_domain(&h, domid);
    ck_assert_ptr_nonnull(d);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->vcpus_online = d->vcpus_max = vcpus;
    d->weight = 256;
    d->running = true;
}

/* One 2 s sample: dom0 idle, g1 at 100 %, mgr (domid 2) at 10 %. */
static void sample(unsigned g1_pct)
{
    h.now_ms += 2000;
    h.domains[1].cpu_time_ns += 2ULL * g1_pct * NS_PER_PCT_S;
    h.domains[2].cpu_time_ns += 2ULL * 10 * NS_PER_PCT_S;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
}

static int pass(void)
{
    xres_actions_clear(&a);
    return xres_cpu_pass(&st, &h, &set, pols, &m, 3600, &r, &a, &note);
}

/* Max 400; mgr "manage method=1 reserve=50" on 2 vCPUs. */
static void setup(void)
{
    xres_host_init(&h);
    xres_cpu_meter_init(&m, 10);
    xres_cpu_settings_init(&set);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    xres_cpu_manage_init(&st);
    h.nr_cpus = 4;
    h.sched = XRES_SCHED_CREDIT;
    add(0, "Domain-0", 2);
    add(1, "g1", 1);
    add(2, "mgr", 2);
    h.now_ms = 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    xres_cpu_policy_init(&pols[0]);
    xres_cpu_policy_init(&pols[1]);
    ck_assert_int_eq(xres_cpu_policy_parse("manage method=1 reserve=50",
                                           &pols[2], NULL, 0), 0);
}

static void teardown(void)
{
    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_cpu_meter_dispose(&m);
    xres_host_dispose(&h);
}

static void expect_sched(size_t i, uint32_t domid, int weight, int cap)
{
    ck_assert_uint_gt(a.n, i);
    ck_assert_int_eq(a.v[i].kind, XRES_ACT_SET_SCHED);
    ck_assert_uint_eq(a.v[i].domid, domid);
    ck_assert_int_eq(a.v[i].u.sched.weight, weight);
    ck_assert_int_eq(a.v[i].u.sched.cap, cap);
}

static void expect_req(size_t i, uint32_t domid, const char *op,
                       const char *arg, uint64_t seq)
{
    ck_assert_uint_gt(a.n, i);
    ck_assert_int_eq(a.v[i].kind, XRES_ACT_AGENT_REQUEST);
    ck_assert_uint_eq(a.v[i].domid, domid);
    ck_assert_str_eq(a.v[i].u.req.op, op);
    ck_assert_str_eq(a.v[i].u.req.arg, arg);
    ck_assert_uint_eq(a.v[i].u.req.seq, seq);
}

/* No run yet: cap and "alloc A"; while it runs the cap is held at A and
 * nothing new is asked; the ack is recorded and the next A goes out. */
START_TEST(test_request_hold_ack)
{
    uint64_t t_ms = 0;

    /* No measurement yet: nothing. */
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 0);
    /* Load 100 + 10, own 10 available: allocable 300 - 200 = 100 = A. */
    sample(100);
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 2);
    expect_sched(0, 2, -1, 100);
    expect_req(1, 2, XRES_MANAGE_OP_ALLOC, "100", 0);
    xres_cpu_manage_sent(&st, &r, 2, "mgr", 100, 7, h.now_ms);
    ck_assert_uint_eq(st.seq, 7);
    ck_assert(st.basis.valid);
    ck_assert_double_eq_tol(st.basis.available, 290, 1e-9);
    ck_assert_double_eq_tol(st.basis.own, 10, 1e-9);
    ck_assert_double_eq_tol(st.basis.allocable, 100, 1e-9);
    h.domains[2].cap = 100;

    /* g1 falls to 50: A would be 150, but the run goes on under 100; a
     * cap changed outside is put back. */
    sample(50);
    h.domains[2].cap = 40;
    ck_assert_int_eq(pass(), 0);
    ck_assert_double_eq_tol(r.allocable, 150, 1e-9);
    ck_assert_uint_eq(a.n, 1);
    expect_sched(0, 2, -1, 100);
    ck_assert_str_eq(r.dec[2].note, "manage: run 7 under alloc 100; next "
                     "manage 1: all of 150.0");
    h.domains[2].cap = 100;
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 0);

    /* Not answered yet, then "ok time-ms=30000": recorded. */
    ck_assert_int_eq(xres_cpu_manage_on_ack(&st, XRES_MANAGE_ACK_NONE, NULL,
                                            h.now_ms, &t_ms),
                     XRES_MANAGE_WAITING);
    ck_assert_uint_eq(st.seq, 7);
    ck_assert_int_eq(xres_cpu_manage_on_ack(&st, XRES_MANAGE_ACK_OK,
                                            "time-ms=30000", h.now_ms,
                                            &t_ms), XRES_MANAGE_RECORDED);
    ck_assert_uint_eq(t_ms, 30000);
    ck_assert_uint_eq(st.seq, 0);
    ck_assert_uint_eq(st.hist_n, 1);
    ck_assert_uint_eq(st.hist_next, 1);
    ck_assert(st.last.valid);
    ck_assert_double_eq_tol(st.last.alloc, 100, 1e-9);
    ck_assert_double_eq_tol(st.last.time_s, 30, 1e-9);
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 2);
    expect_sched(0, 2, -1, 150);
    expect_req(1, 2, XRES_MANAGE_OP_ALLOC, "150", 0);
}
END_TEST

/* A refusal is not asked again every pass, only when A changes; an ok
 * that is not a run is not recorded; a vanished request is asked again. */
START_TEST(test_refused_and_bad)
{
    uint64_t t_ms = 0;

    sample(100);
    ck_assert_int_eq(pass(), 0);
    xres_cpu_manage_sent(&st, &r, 2, "mgr", 100, 1, h.now_ms);
    h.domains[2].cap = 100;
    ck_assert_int_eq(xres_cpu_manage_on_ack(&st, XRES_MANAGE_ACK_REFUSED,
                                            "unknown request", h.now_ms,
                                            &t_ms), XRES_MANAGE_REFUSED);
    ck_assert_uint_eq(st.refused_ms, 3000);
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 0);
    h.now_ms += XRES_MANAGE_REFUSED_RETRY_MS - 1;
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 0);
    /* Ten minutes after the refusal it is asked again. */
    h.now_ms += 1;
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 1);
    expect_req(0, 2, XRES_MANAGE_OP_ALLOC, "100", 0);
    ck_assert_uint_eq(st.refused_ms, 0);

    xres_cpu_manage_sent(&st, &r, 2, "mgr", 100, 2, h.now_ms);
    ck_assert_int_eq(xres_cpu_manage_on_ack(&st, XRES_MANAGE_ACK_OK,
                                            "time-ms=1e9", h.now_ms, &t_ms),
                     XRES_MANAGE_NOT_A_RUN);
    ck_assert_uint_eq(st.hist_n, 0);
    ck_assert(!st.last.valid);
    xres_cpu_manage_sent(&st, &r, 2, "mgr", 100, 3, h.now_ms);
    ck_assert_int_eq(xres_cpu_manage_on_ack(&st, XRES_MANAGE_ACK_GONE, NULL,
                                            h.now_ms, &t_ms),
                     XRES_MANAGE_ASK_AGAIN);
    ck_assert_uint_eq(st.seq, 0);
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 1);
    expect_req(0, 2, XRES_MANAGE_OP_ALLOC, "100", 0);
}
END_TEST

/* No answer within the run timeout: withdrawn and asked anew; a managing
 * domain that is no longer one loses its request. */
START_TEST(test_timeout_and_gone)
{
    sample(100);
    ck_assert_int_eq(pass(), 0);
    xres_cpu_manage_sent(&st, &r, 2, "mgr", 100, 4, h.now_ms);
    h.domains[2].cap = 100;
    h.now_ms += 3599 * 1000;
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 0);
    ck_assert(!note.timed_out);
    h.now_ms += 1000;
    ck_assert_int_eq(pass(), 0);
    ck_assert(note.timed_out);
    ck_assert_uint_eq(note.seq, 4);
    ck_assert_int_eq(note.alloc, 100);
    ck_assert_uint_eq(a.n, 2);
    expect_req(0, 2, XRES_MANAGE_OP_CANCEL, "", 4);
    expect_req(1, 2, XRES_MANAGE_OP_ALLOC, "100", 0);

    xres_cpu_manage_sent(&st, &r, 2, "mgr", 100, 5, h.now_ms);
    xres_cpu_policy_init(&pols[2]);
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 1);
    expect_req(0, 2, XRES_MANAGE_OP_CANCEL, "", 5);
    ck_assert_uint_eq(st.seq, 0);
    ck_assert_int_eq(pass(), 0);
    ck_assert_uint_eq(a.n, 0);
}
END_TEST

Suite *cpu_manage_suite(void)
{
    Suite *s = suite_create("cpu_manage");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_request_hold_ack);
    tcase_add_test(tc, test_refused_and_bad);
    tcase_add_test(tc, test_timeout_and_gone);
    suite_add_tcase(s, tc);
    return s;
}
