/*
 * tests/unit/test_pool.c: the pure pool policy (policy_pool.h) with exact
 * figures: the threshold both ways, the step schedule and donors' floors,
 * the queue of three pools, the forecast on a given history, handover
 * with and without a shortfall, and pre-emption of an at-risk pool.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "mem_testlib.h"
#include "policy_pool.h"

static xres_host H;
static xres_mem_params P;
static xres_actions A;
static xres_pool_notes N;

static void setup(void)
{
    xres_host_init(&H);
    xres_mem_params_default(&P);
    xres_actions_init(&A);
    N.n = 0;
}

static void teardown(void)
{
    xres_host_dispose(&H);
    xres_actions_dispose(&A);
}

static void spec(xres_pool *p, const char *name, uint64_t size_mib,
                 uint64_t step_mib, uint64_t every_ms, uint64_t deadline)
{
    xres_pool_spec s;

    memset(&s, 0, sizeof(s));
    snprintf(s.name, sizeof(s.name), "%s", name);
    s.size_kb = size_mib * MiB;
    s.step_kb = step_mib * MiB;
    s.every_ms = every_ms;
    s.deadline_ms = deadline;
    s.from_config = true;
    snprintf(s.config, sizeof(s.config), "/etc/xen/%s.cfg", name);
    snprintf(s.domain, sizeof(s.domain), "%s-dom", name);
    s.config_mem_kb = 128 * MiB;
    s.on_short = XRES_POOL_SHORT_WAIT;
    xres_pool_init(p, &s, 0);
}

/* A placeholder holding kb. */
static void ph(uint32_t domid, const char *pool, unsigned k, uint64_t kb)
{
    xres_domain *d = xres_host_add_domain(&H, domid);

    snprintf(d->name, sizeof(d->name), "xres-pool-%s-%u", pool, k);
    d->outstanding_kb = kb;
    d->paused = true;
    d->xen_max_kb = kb;
    H.outstanding_kb += kb;
    H.total_kb += kb;
}

static int step(xres_pool *p, size_t n, uint64_t now)
{
    uint64_t wake;

    xres_actions_clear(&A);
    N.n = 0;
    return xres_pool_step(p, n, &H, &P, now, &A, &N, &wake);
}

static void fmt(size_t i, char *buf, size_t len)
{
    ck_assert_uint_lt(i, A.n);
    xres_action_format(&A.v[i], buf, len);
    char *hash = strstr(buf, " # ");
    if (hash) *hash = '\0';
}

#define ACT(i, s) do { char b_[256]; fmt(i, b_, sizeof(b_)); \
    ck_assert_str_eq(b_, s); } while (0)

/* 64 MiB above the reserve, and vm1 could give 576 MiB: a 256 MiB pool
 * is had in one round.  vm1 is lowered first; the claim waits for it. */
START_TEST(test_threshold_at_once)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 1, "vm1", 1024, 300, 2048);
    mt_set_free(&H, 128 * MiB);
    spec(&p, "p1", 256, 32, 5000, 600000);
    ck_assert_int_eq(step(&p, 1, 0), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "set-target dom1 851968KiB");        /* 1024 - 192 MiB */
    ck_assert(p.st.round);
    ck_assert_uint_eq(p.st.round_kb, 256 * MiB);
    /* Not yet down: nothing. */
    ck_assert_int_eq(step(&p, 1, 500), 0);
    ck_assert_uint_eq(A.n, 0);
    /* Xen shows it down: the claim of the whole size. */
    H.domains[1].cur_kb = H.domains[1].target_kb = 832 * MiB;
    H.free_kb += 192 * MiB;
    ck_assert_int_eq(step(&p, 1, 1000), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "pool-claim xres-pool-p1-0 262144KiB");
    ck_assert(!p.st.round);
}
END_TEST

/* 1024 MiB cannot be had in one round (64 + 576): 32 MiB a round, free
 * memory first, and nothing more before dt has passed. */
START_TEST(test_threshold_gradual)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 1, "vm1", 1024, 300, 2048);
    mt_set_free(&H, 128 * MiB);
    spec(&p, "p1", 1024, 32, 5000, 600000);
    ck_assert_int_eq(step(&p, 1, 0), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "pool-claim xres-pool-p1-0 32768KiB");
    /* Xen holds it now. */
    ph(7, "p1", 0, 32 * MiB);
    H.free_kb -= 32 * MiB;
    ck_assert_int_eq(step(&p, 1, 4999), 0);
    ck_assert_uint_eq(A.n, 0);
    ck_assert_uint_eq(p.held_kb, 32 * MiB);
    ck_assert_int_eq(step(&p, 1, 5000), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "pool-claim xres-pool-p1-1 32768KiB");
}
END_TEST

/* With no free memory above the reserve, a step comes from the donor in
 * balancing's order; a donor at its guarantee gives nothing, and after
 * stall_rounds empty rounds one warning is logged. */
START_TEST(test_step_donor_floors)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 1, "vm1", 1024, 300, 2048);
    xres_domain *v2 = mt_add(&H, 2, "vm2", 1024, 200, 2048);
    v2->mem_policy.min_kb = 1024 * MiB;          /* guaranteed: no donor */
    mt_set_free(&H, 64 * MiB);
    spec(&p, "p1", 2048, 32, 5000, 600000);
    ck_assert_int_eq(step(&p, 1, 0), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "set-target dom1 1015808KiB");        /* 1024 - 32 MiB */
    ck_assert_uint_eq(p.st.nr_donors, 1);
    ck_assert_uint_eq(p.st.donors[0].domid, 1);

    /* vm1 at its floor too: nothing left anywhere. */
    xres_host_dispose(&H);
    xres_host_init(&H);
    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    xres_domain *v1 = mt_add(&H, 1, "vm1", 1024, 300, 2048);
    v1->mem_floor_kb = 1024 * MiB;               /* a pair's floor */
    v2 = mt_add(&H, 2, "vm2", 1024, 200, 2048);
    v2->mem_policy.min_kb = 1024 * MiB;
    mt_set_free(&H, 64 * MiB);
    spec(&p, "p1", 2048, 32, 5000, 600000);
    for (int r = 0; r < 3; r++) {
        ck_assert_int_eq(step(&p, 1, (uint64_t)r * 5000), 0);
        ck_assert_uint_eq(A.n, 0);
    }
    ck_assert_uint_eq(p.st.stalled, 3);
    bool warned = false;
    for (size_t i = 0; i < N.n; i++)
        if (strstr(N.v[i].text, "no memory gathered in 3 rounds"))
            warned = true;
    ck_assert(warned);
}
END_TEST

/* Three pools: priority first, then the nearer deadline.  64 MiB above
 * the reserve goes to the first two; the third gets nothing. */
START_TEST(test_queue_three_pools)
{
    xres_pool p[3];

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_set_free(&H, 128 * MiB);
    spec(&p[0], "a", 512, 32, 5000, 100000);
    p[0].spec.priority = 1;
    spec(&p[1], "b", 512, 32, 5000, 200000);
    p[1].spec.priority = 5;
    spec(&p[2], "c", 512, 32, 5000, 50000);
    p[2].spec.priority = 1;
    ck_assert_int_eq(step(p, 3, 0), 0);
    ck_assert_uint_eq(p[1].queue_pos, 1);
    ck_assert_uint_eq(p[2].queue_pos, 2);
    ck_assert_uint_eq(p[0].queue_pos, 3);
    ck_assert_uint_eq(A.n, 2);
    ACT(0, "pool-claim xres-pool-b-0 32768KiB");
    ACT(1, "pool-claim xres-pool-c-0 32768KiB");
    ck_assert_uint_eq(p[0].st.stalled, 1);
}
END_TEST

/* The forecast: the least-squares line through (0, 0), (10 s, 32 MiB),
 * (20 s, 64 MiB) reaches 128 MiB at 40 s; with a deadline at 30 s the
 * pool turns at-risk, with one warning. */
START_TEST(test_forecast_history)
{
    xres_pool p;

    spec(&p, "p1", 128, 32, 10000, 30000);
    p.st.hist[0] = (xres_pool_sample){ 0, 0 };
    p.st.hist[1] = (xres_pool_sample){ 10000, 32 * MiB };
    p.st.nr_hist = 2;
    p.held_kb = 64 * MiB;
    ck_assert_uint_eq(xres_pool_sample_add(&p, 20000, &N), 22500);
    ck_assert_uint_eq(p.st.nr_hist, 3);
    ck_assert_uint_eq(p.st.forecast_ms, 40000);
    ck_assert(p.st.at_risk);
    ck_assert_uint_eq(N.n, 1);
    ck_assert_str_eq(N.v[0].text, "pool p1: at-risk: forecast full 10 s "
                     "after its deadline");
    /* Uneven: (0,0) (10 s, 10 MiB) (20 s, 40 MiB): slope 2 MiB/s through
     * (10 s, 50/3 MiB), so 128 MiB at 10 + (128 - 50/3) / 2 = 65.67 s. */
    spec(&p, "p2", 128, 32, 10000, 100000);
    p.st.hist[0] = (xres_pool_sample){ 0, 0 };
    p.st.hist[1] = (xres_pool_sample){ 10000, 10 * MiB };
    p.st.hist[2] = (xres_pool_sample){ 20000, 40 * MiB };
    p.st.nr_hist = 3;
    p.held_kb = 40 * MiB;
    ck_assert_uint_eq(xres_pool_forecast(&p, 20000), 65667);
    /* Fewer than two samples: the schedule, 88 MiB in 3 steps of 32. */
    p.st.nr_hist = 1;
    ck_assert_uint_eq(xres_pool_forecast(&p, 20000), 50000);
}
END_TEST

/* Full at its deadline: the claims are cancelled, the placeholders
 * destroyed and xl creates the domain with the pool's size; next step,
 * with the domain there, the pool has started. */
START_TEST(test_handover_full_config)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_set_free(&H, 64 * MiB);
    ph(5, "p1", 0, 128 * MiB);
    ph(6, "p1", 1, 128 * MiB);
    spec(&p, "p1", 256, 128, 5000, 10000);
    p.st.phase = XRES_POOL_FULL;
    ck_assert_int_eq(step(&p, 1, 9000), 0);
    ck_assert_uint_eq(A.n, 0);
    ck_assert_int_eq(step(&p, 1, 10000), 0);
    ck_assert_int_eq(p.st.phase, XRES_POOL_HANDOVER);
    ck_assert_uint_eq(A.n, 5);
    ACT(0, "claim dom5 0KiB");
    ACT(1, "claim dom6 0KiB");
    ACT(2, "destroy dom5");
    ACT(3, "destroy dom6");
    ACT(4, "create p1-dom /etc/xen/p1.cfg 262144KiB");
    /* Xen: the placeholders are gone, the domain is there. */
    xres_host_dispose(&H);
    xres_host_init(&H);
    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 8, "p1-dom", 256, 100, 256);
    mt_set_free(&H, 64 * MiB);
    ck_assert_int_eq(step(&p, 1, 10500), 0);
    ck_assert_uint_eq(A.n, 0);
    ck_assert_int_eq(p.st.phase, XRES_POOL_STARTED);
    ck_assert_uint_eq(p.st.domid, 8);
    ck_assert_uint_eq(p.st.give_kb, 256 * MiB);
}
END_TEST

/* A domain of the config's name started by someone else: the pool keeps
 * its memory and says why. */
START_TEST(test_handover_name_taken)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 4, "p1-dom", 256, 100, 256);
    mt_set_free(&H, 64 * MiB);
    ph(5, "p1", 0, 256 * MiB);
    spec(&p, "p1", 256, 128, 5000, 10000);
    ck_assert_int_eq(step(&p, 1, 10000), 0);
    ck_assert_uint_eq(A.n, 0);
    ck_assert_int_eq(p.st.phase, XRES_POOL_FULL);
    ck_assert_str_eq(p.st.msg, "a domain called p1-dom is running already; "
                     "the pool keeps its memory");
}
END_TEST

/* Short at the deadline (192 of 256 MiB): start gives what there is (the
 * config needs 128); fail gives it back; wait does nothing. */
START_TEST(test_handover_short)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_set_free(&H, 64 * MiB);
    ph(5, "p1", 0, 192 * MiB);
    spec(&p, "p1", 256, 32, 5000, 10000);
    p.st.next_round_ms = 20000;
    p.spec.on_short = XRES_POOL_SHORT_START;
    ck_assert_int_eq(step(&p, 1, 10000), 0);
    ck_assert_int_eq(p.st.phase, XRES_POOL_HANDOVER);
    ck_assert_uint_eq(p.st.give_kb, 192 * MiB);
    ck_assert_uint_eq(A.n, 3);
    ACT(2, "create p1-dom /etc/xen/p1.cfg 196608KiB");

    spec(&p, "p1", 256, 32, 5000, 10000);
    p.st.next_round_ms = 20000;
    p.spec.on_short = XRES_POOL_SHORT_FAIL;
    ck_assert_int_eq(step(&p, 1, 10000), 0);
    ck_assert_int_eq(p.st.phase, XRES_POOL_FAILED);
    ck_assert_uint_eq(A.n, 2);
    ACT(0, "claim dom5 0KiB");
    ACT(1, "destroy dom5");

    spec(&p, "p1", 256, 32, 5000, 10000);
    p.st.next_round_ms = 20000;
    ck_assert_int_eq(step(&p, 1, 10000), 0);
    ck_assert_int_eq(p.st.phase, XRES_POOL_GATHERING);
    ck_assert_uint_eq(A.n, 0);
    ck_assert_str_eq(p.st.msg, "short at its deadline: 196608 of 262144 KiB;"
                     " waiting until full");
}
END_TEST

/* --domain: the domain's maximum rises, the claims are cancelled and the
 * domain claims the memory at once, then the placeholders go and its
 * target rises.  Once it is there, its claim is cancelled. */
START_TEST(test_handover_domain)
{
    xres_pool p;

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 3, "db", 512, 400, 4096);
    mt_set_free(&H, 64 * MiB);
    ph(5, "p1", 0, 128 * MiB);
    spec(&p, "p1", 128, 128, 5000, 10000);
    p.spec.from_config = false;
    snprintf(p.spec.domain, sizeof(p.spec.domain), "db");
    p.st.start_asked = true;
    ck_assert_int_eq(step(&p, 1, 0), 0);
    ck_assert_uint_eq(A.n, 5);
    ACT(0, "set-maxmem dom3 656384KiB");         /* 512 + 128 MiB + 1 MiB */
    ACT(1, "claim dom5 0KiB");
    ACT(2, "claim dom3 655360KiB");
    ACT(3, "destroy dom5");
    ACT(4, "set-target dom3 655360KiB");
    xres_host_dispose(&H);
    xres_host_init(&H);
    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    xres_domain *db = mt_add(&H, 3, "db", 640, 400, 4096);
    db->outstanding_kb = 4 * MiB;
    mt_set_free(&H, 64 * MiB);
    ck_assert_int_eq(step(&p, 1, 1000), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "claim dom3 0KiB");
    ck_assert_int_eq(p.st.phase, XRES_POOL_STARTED);
    ck_assert_uint_eq(p.st.dom_target_kb, 640 * MiB);
}
END_TEST

/* A higher pool with nothing to take may take a piece of a lower pool
 * only when that one is at-risk. */
START_TEST(test_preempt_at_risk_only)
{
    xres_pool p[2];

    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_set_free(&H, 64 * MiB);                   /* nothing above reserve */
    ph(5, "low", 0, 32 * MiB);
    spec(&p[0], "high", 256, 32, 5000, 100000);
    p[0].spec.priority = 9;
    spec(&p[1], "low", 1024, 32, 5000, 100000);
    p[1].st.next_round_ms = 50000;
    ck_assert_int_eq(step(p, 2, 0), 0);
    ck_assert_uint_eq(A.n, 0);                   /* low is on time */
    p[1].st.at_risk = true;
    p[1].st.next_sample_ms = 50000;
    p[0].st.next_round_ms = 5000;
    ck_assert_int_eq(step(p, 2, 5000), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "destroy dom5");
}
END_TEST

/* A patched hypervisor: the first round creates one placeholder with
 * room for the whole pool; later rounds grow its claim in place. */
START_TEST(test_patched_grows_in_place)
{
    xres_pool p;

    H.claim_ops = true;
    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 1, "vm1", 1024, 300, 2048);
    mt_set_free(&H, 128 * MiB);
    spec(&p, "p1", 1024, 32, 5000, 600000);
    ck_assert_int_eq(step(&p, 1, 0), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "pool-claim xres-pool-p1-0 32768KiB");
    ck_assert_uint_eq(A.v[0].u.pool.max_kb, 1024 * MiB);
    ph(7, "p1", 0, 32 * MiB);
    H.free_kb -= 32 * MiB;
    ck_assert_int_eq(step(&p, 1, 5000), 0);
    ck_assert_uint_eq(A.n, 1);
    ACT(0, "claim-adjust dom7 65536KiB");
}
END_TEST

/* Patched, --domain: each placeholder's claim moves to the domain in one
 * step; nothing is cancelled. */
START_TEST(test_patched_domain_handover)
{
    xres_pool p;

    H.claim_ops = true;
    mt_add(&H, 0, "Domain-0", 512, 0, 512);
    mt_add(&H, 3, "db", 512, 400, 4096);
    mt_set_free(&H, 64 * MiB);
    ph(5, "p1", 0, 128 * MiB);
    spec(&p, "p1", 128, 128, 5000, 10000);
    p.spec.from_config = false;
    snprintf(p.spec.domain, sizeof(p.spec.domain), "db");
    p.st.start_asked = true;
    ck_assert_int_eq(step(&p, 1, 0), 0);
    ck_assert_uint_eq(A.n, 4);
    ACT(0, "set-maxmem dom3 656384KiB");
    ACT(1, "claim-move dom5 dom3 131072KiB");
    ACT(2, "destroy dom5");
    ACT(3, "set-target dom3 655360KiB");
}
END_TEST

Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("policy");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_threshold_at_once);
    tcase_add_test(tc, test_threshold_gradual);
    tcase_add_test(tc, test_step_donor_floors);
    tcase_add_test(tc, test_queue_three_pools);
    tcase_add_test(tc, test_forecast_history);
    tcase_add_test(tc, test_handover_full_config);
    tcase_add_test(tc, test_handover_short);
    tcase_add_test(tc, test_handover_name_taken);
    tcase_add_test(tc, test_handover_domain);
    tcase_add_test(tc, test_preempt_at_risk_only);
    tcase_add_test(tc, test_patched_grows_in_place);
    tcase_add_test(tc, test_patched_domain_handover);
    suite_add_tcase(s, tc);
    return s;
}
