/*
 * tests/unit/test_policy_cpu.c: CPU measurement and policies: available
 * and allocable CPU, the managing domain's four sizing methods, priority
 * shares with guarantees, demand-following caps, the fixed policy and the
 * policy text form.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "cpu_measure.h"
#include "model.h"
#include "policy_cpu.h"

#define NS_PER_PCT_S 10000000ULL    /* 1% of a CPU for 1 s, in ns */

/* ---- measuring ---- */

START_TEST(test_available_modes)
{
    const double load[] = { 600, 300, 400 };

    ck_assert_double_eq_tol(xres_cpu_available(800, load, 3,
                                               XRES_LOAD_LATEST), 400, 1e-9);
    ck_assert_double_eq_tol(xres_cpu_available(800, load, 3,
                                               XRES_LOAD_AVERAGE),
                            366.7, 0.1);
    ck_assert_double_eq_tol(xres_cpu_available(800, load, 3,
                                               XRES_LOAD_MAXIMUM), 200, 1e-9);
    /* Overload never gives a negative amount. */
    const double over[] = { 820 };
    ck_assert_double_eq_tol(xres_cpu_available(800, over, 1,
                                               XRES_LOAD_LATEST), 0, 1e-9);
}
END_TEST

START_TEST(test_allocable)
{
    /* p = 20% of Max 800 = 160 */
    ck_assert_double_eq_tol(xres_cpu_allocable(400, 800, 0.20), 240, 1e-9);
    ck_assert_double_eq_tol(xres_cpu_allocable(366.7, 800, 0.20), 206.7,
                            1e-9);
    ck_assert_double_eq_tol(xres_cpu_allocable(200, 800, 0.20), 40, 1e-9);
    ck_assert_double_eq_tol(xres_cpu_allocable(100, 800, 0.20), 0, 1e-9);
    ck_assert_double_eq_tol(xres_cpu_allocable(160, 800, 0.20), 0, 1e-9);
}
END_TEST

START_TEST(test_use_pct)
{
    /* 1.5 s of CPU in 2 s = 75% of one CPU */
    ck_assert_double_eq_tol(xres_cpu_use_pct(1000000000ULL, 10000,
                                             2500000000ULL, 12000), 75, 1e-9);
    ck_assert_double_eq(xres_cpu_use_pct(5, 100, 4, 200), -1);
    ck_assert_double_eq(xres_cpu_use_pct(5, 100, 9, 100), -1);
}
END_TEST

static xres_domain *add(xres_host *h, uint32_t domid, const char *name,
                        unsigned vcpus, int weight, int cap)
{
    xres_domain *d = xres_host_add_domain(h, domid);
    ck_assert_ptr_nonnull(d);
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->vcpus_online = d->vcpus_max = vcpus;
    d->weight = weight;
    d->cap = cap;
    d->running = true;
    return d;
}

START_TEST(test_meter_history)
{
    xres_host h;
    xres_cpu_meter m;
    xres_cpu_point pts[8];
    double loads[8];

    xres_host_init(&h);
    xres_cpu_meter_init(&m, 4);
    h.nr_cpus = 8;
    add(&h, 0, "Domain-0", 2, 256, 0);
    add(&h, 3, "g1", 4, 256, 0);
    h.now_ms = 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    ck_assert_uint_eq(xres_cpu_meter_loads(&m, loads, 8), 0);
    /* 6 samples 1 s apart: dom0 at 20%, g1 at 100%, 200%, ... */
    for (int i = 1; i <= 6; i++) {
        h.now_ms += 1000;
        h.domains[0].cpu_time_ns += 20 * NS_PER_PCT_S;
        h.domains[1].cpu_time_ns += (uint64_t)(100 * (i % 4 + 1)) *
                                    NS_PER_PCT_S;
        h.domains[1].cap = i;
        ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    }
    /* Four kept: i = 3..6: g1 = 400, 100, 200, 300 */
    const xres_cpu_dom_hist *g1 = xres_cpu_meter_find(&m, 3);
    ck_assert_uint_eq(xres_cpu_hist_recent(g1, pts, 8), 4);
    ck_assert_double_eq_tol(pts[0].use_pct, 400, 1e-6);
    ck_assert_double_eq_tol(pts[1].use_pct, 100, 1e-6);
    ck_assert_double_eq_tol(pts[3].use_pct, 300, 1e-6);
    ck_assert_int_eq(pts[3].cap, 6);
    ck_assert_uint_eq(pts[3].t_ms, 7000);
    ck_assert_double_eq_tol(xres_cpu_hist_latest(g1)->use_pct, 300, 1e-6);
    ck_assert_double_eq(pts[3].agent_pct, -1);
    ck_assert_uint_eq(xres_cpu_hist_recent(g1, pts, 2), 2);
    ck_assert_double_eq_tol(pts[0].use_pct, 200, 1e-6);
    ck_assert_uint_eq(xres_cpu_meter_loads(&m, loads, 8), 4);
    ck_assert_double_eq_tol(loads[0], 420, 1e-6);
    ck_assert_double_eq_tol(loads[3], 320, 1e-6);

    /* The agent's figure: 50% of g1's 4 vCPUs = 200% of one CPU; out of
     * range (above 100) it is not taken. */
    h.domains[1].agent.valid = true;
    h.domains[1].agent.cpu_pct = 50;
    h.now_ms += 1000;
    h.domains[1].cpu_time_ns += 150 * NS_PER_PCT_S;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    g1 = xres_cpu_meter_find(&m, 3);
    ck_assert_double_eq_tol(xres_cpu_hist_latest(g1)->agent_pct, 200, 1e-9);
    ck_assert_double_eq_tol(xres_cpu_hist_latest(g1)->use_pct, 150, 1e-6);
    h.domains[1].agent.cpu_pct = 101;
    h.now_ms += 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    g1 = xres_cpu_meter_find(&m, 3);
    ck_assert_double_eq(xres_cpu_hist_latest(g1)->agent_pct, -1);
    h.domains[1].agent.valid = false;

    /* g1 goes; a new domain 3 appears with a smaller counter. */
    h.domains[1].cpu_time_ns = 5;
    snprintf(h.domains[1].name, sizeof(h.domains[1].name), "g1-new");
    h.now_ms += 1000;
    h.domains[0].cpu_time_ns += 50 * NS_PER_PCT_S;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    ck_assert_uint_eq(xres_cpu_hist_recent(xres_cpu_meter_find(&m, 3), pts,
                                           8), 0);
    ck_assert_uint_eq(xres_cpu_meter_loads(&m, loads, 8), 4);
    ck_assert_double_eq_tol(loads[3], 50, 1e-6);

    /* An early snapshot (200 ms on) adds nothing and keeps the earlier
     * reading: dom0 burst to 100% over those 200 ms, but the next figure
     * spans the whole 1.2 s, (20 + 4) / 1.2 = 20%. */
    uint64_t t_before = h.now_ms;
    h.now_ms += 200;
    h.domains[0].cpu_time_ns += 20 * NS_PER_PCT_S;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    ck_assert_uint_eq(xres_cpu_meter_loads(&m, loads, 8), 4);
    ck_assert_double_eq_tol(loads[3], 50, 1e-6);
    ck_assert_uint_eq(xres_cpu_hist_latest(xres_cpu_meter_find(&m, 0))->t_ms,
                      t_before);
    h.now_ms += 1000;
    h.domains[0].cpu_time_ns += 4 * NS_PER_PCT_S;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    ck_assert_uint_eq(xres_cpu_hist_latest(xres_cpu_meter_find(&m, 0))->t_ms,
                      t_before + 1200);
    ck_assert_double_eq_tol(
        xres_cpu_hist_latest(xres_cpu_meter_find(&m, 0))->use_pct, 20, 1e-6);

    /* A domain that is gone is forgotten. */
    h.nr_domains = 1;
    h.now_ms += 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    ck_assert_ptr_null(xres_cpu_meter_find(&m, 3));
    xres_cpu_meter_dispose(&m);
    xres_host_dispose(&h);
}
END_TEST

/* ---- managing domain ---- */

START_TEST(test_manage_methods)
{
    xres_cpu_policy p;
    xres_manage_run last = { .valid = true, .alloc = 100, .time_s = 60 };
    char why[128];

    xres_cpu_policy_init(&p);
    p.kind = XRES_CPU_POLICY_MANAGE;
    p.method = XRES_MANAGE_ALLOCABLE;
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), NULL), 240, 1e-9);
    p.method = XRES_MANAGE_COEF;
    p.coef = 0.5;
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), NULL), 120, 1e-9);
    p.method = XRES_MANAGE_IF_TARGET;
    p.target_s = 30;    /* 6000 / 240 = 25 s <= 30 s */
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), NULL), 240, 1e-9);
    p.target_s = 20;    /* 25 s > 20 s: no A meets T, all of it, caution */
    bool caution = false;
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), &caution),
                            240, 1e-9);
    ck_assert(caution);
    ck_assert_ptr_nonnull(strstr(why, "misses"));
    ck_assert_ptr_nonnull(strstr(why, "caution"));
    p.target_s = 30;
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), &caution),
                            240, 1e-9);
    ck_assert(!caution);
    p.method = XRES_MANAGE_BY_TARGET;
    p.target_s = 30;    /* 6000 / 30 = 200 */
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), NULL), 200, 1e-9);
    p.target_s = 20;    /* 6000 / 20 = 300, capped at 240 */
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, &last, why,
                                                  sizeof(why), NULL), 240, 1e-9);
    /* No run yet: methods 3 and 4 give what there is. */
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 240, NULL, why,
                                                  sizeof(why), NULL), 240, 1e-9);
    p.method = XRES_MANAGE_IF_TARGET;
    ck_assert_double_eq_tol(xres_cpu_manage_alloc(&p, 0, &last, why,
                                                  sizeof(why), NULL), 0, 1e-9);
}
END_TEST

/* The managing domain on a whole host: Max 800, load 600/300/400, p 20%. */
START_TEST(test_manage_host)
{
    xres_host h;
    xres_cpu_meter m;
    xres_cpu_settings s;
    xres_cpu_policy pols[2];
    xres_cpu_result r;
    xres_actions a;
    xres_manage_run last = { .valid = true, .alloc = 100, .time_s = 60 };
    const uint64_t loads[] = { 600, 300, 400 };

    xres_host_init(&h);
    xres_cpu_meter_init(&m, 10);
    xres_cpu_settings_init(&s);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    h.nr_cpus = 8;
    h.sched = XRES_SCHED_CREDIT;
    add(&h, 0, "Domain-0", 8, 256, 0);
    add(&h, 1, "mgr", 4, 256, 0);
    h.now_ms = 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    for (int i = 0; i < 3; i++) {
        h.now_ms += 1000;
        h.domains[0].cpu_time_ns += loads[i] * NS_PER_PCT_S;
        ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    }
    xres_cpu_policy_init(&pols[0]);
    ck_assert_int_eq(xres_cpu_policy_parse("manage method=4 target=30",
                                           &pols[1], NULL, 0), 0);
    s.load_mode = XRES_LOAD_LATEST;
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, &m, &last, &r, &a), 0);
    ck_assert_str_eq(r.error, "");
    ck_assert_double_eq_tol(r.available, 400, 1e-6);
    ck_assert_double_eq_tol(r.allocable, 240, 1e-6);
    ck_assert_double_eq_tol(r.manage_alloc, 200, 1e-6);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(a.v[0].domid, 1);
    ck_assert_int_eq(a.v[0].u.sched.cap, 200);
    ck_assert_int_eq(a.v[0].u.sched.weight, -1);

    /* Maximum over the window: available 200, allocable 40. */
    xres_actions_clear(&a);
    s.load_mode = XRES_LOAD_MAXIMUM;
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, &m, &last, &r, &a), 0);
    ck_assert_double_eq_tol(r.allocable, 40, 1e-6);
    ck_assert_int_eq(a.v[0].u.sched.cap, 40);

    /* Two managing domains: refused, none sized. */
    xres_actions_clear(&a);
    pols[0] = pols[1];
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, &m, &last, &r, &a), 0);
    ck_assert_ptr_nonnull(strstr(r.error, "managing domain"));
    ck_assert_uint_eq(a.n, 0);
    char err[192];
    ck_assert_int_eq(xres_cpu_policy_check(&h, pols, 0, &pols[1], err,
                                           sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "mgr is already the managing"));

    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_cpu_meter_dispose(&m);
    xres_host_dispose(&h);
}
END_TEST

/* ---- shares ---- */

START_TEST(test_shares_ratio)
{
    const unsigned prio[] = { 4000, 2000, 1000 };
    const unsigned big[] = { 400000, 200000, 100000 };
    int w[3];
    char err[192];

    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, NULL, NULL, NULL, 256,
                                             800, w, err, sizeof(err)), 0);
    ck_assert_int_eq(w[0], 4000);
    ck_assert_int_eq(w[1], 2000);
    ck_assert_int_eq(w[2], 1000);
    ck_assert_int_eq(w[0], 2 * w[1]);
    ck_assert_int_eq(w[1], 2 * w[2]);

    /* Priorities beyond 65535 are scaled into range, ratio kept. */
    ck_assert_int_eq(xres_cpu_shares_weights(3, big, NULL, NULL, NULL, 256,
                                             800, w, err, sizeof(err)), 0);
    ck_assert_int_eq(w[0], 65535);
    ck_assert_int_eq(w[1], 32768);
    ck_assert_int_eq(w[2], 16384);
    ck_assert_double_eq_tol((double)w[0] / w[2], 4.0, 0.001);
}
END_TEST

START_TEST(test_shares_guarantee)
{
    const unsigned prio[] = { 1000, 1000, 1000 };
    const unsigned vc[] = { 2, 2, 2 };
    const char *names[] = { "a", "b", "c" };
    unsigned g[] = { 120, 0, 0 };
    int w[3];
    char err[192];

    /* 2 CPUs, dom0 weight 256.  a needs w/(w + 2256) * 200 >= 120. */
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, vc, names, 256, 200,
                                             w, err, sizeof(err)), 0);
    ck_assert_int_eq(w[0], 3384);
    ck_assert_int_eq(w[1], 1000);
    ck_assert_int_eq(w[2], 1000);
    ck_assert((double)w[0] / (w[0] + w[1] + w[2] + 256) * 200 >= 120);

    /* A guarantee already met by priority changes nothing. */
    g[0] = 50;
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, vc, names, 256, 200,
                                             w, err, sizeof(err)), 0);
    ck_assert_int_eq(w[0], 1000);

    /* Two guarantees that together fit. */
    g[0] = 80;
    g[1] = 80;
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, vc, names, 256, 200,
                                             w, err, sizeof(err)), 0);
    double tot = w[0] + w[1] + w[2] + 256;
    ck_assert(w[0] / tot * 200 >= 80);
    ck_assert(w[1] / tot * 200 >= 80);
    ck_assert_int_eq(w[2], 1000);

    /* Guarantees summing above Max are refused. */
    g[0] = 120;
    g[1] = 90;
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, vc, names, 256, 200,
                                             w, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "210%"));
    ck_assert_ptr_nonnull(strstr(err, "only 200%"));

    /* More than the domain's vCPUs can use. */
    g[0] = 150;
    g[1] = 0;
    const unsigned one[] = { 1, 2, 2 };
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, one, names, 256, 200,
                                             w, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "a: guarantee 150%"));

    /* Exactly the whole host while others still hold weight. */
    g[0] = 200;
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, vc, names, 256, 200,
                                             w, err, sizeof(err)), -ERANGE);
    /* Needs a weight beyond 65535. */
    g[0] = 199;
    ck_assert_int_eq(xres_cpu_shares_weights(3, prio, g, vc, names, 256, 200,
                                             w, err, sizeof(err)), -ERANGE);
    ck_assert_ptr_nonnull(strstr(err, "above 65535"));
}
END_TEST

START_TEST(test_shares_host)
{
    xres_host h;
    xres_cpu_settings s;
    xres_cpu_policy pols[4];
    xres_cpu_result r;
    xres_actions a;
    char err[192];

    xres_host_init(&h);
    xres_cpu_settings_init(&s);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    h.nr_cpus = 8;
    h.sched = XRES_SCHED_CREDIT2;
    add(&h, 0, "Domain-0", 8, 256, 0);
    add(&h, 1, "hi", 2, 256, 0);
    add(&h, 2, "mid", 2, 2000, 0);
    add(&h, 3, "lo", 2, 256, 0);
    xres_cpu_policy_init(&pols[0]);
    ck_assert_int_eq(xres_cpu_policy_parse("shares priority=4000", &pols[1],
                                           err, sizeof(err)), 0);
    ck_assert_int_eq(xres_cpu_policy_parse("shares priority=2000", &pols[2],
                                           err, sizeof(err)), 0);
    ck_assert_int_eq(xres_cpu_policy_parse("shares priority=1000", &pols[3],
                                           err, sizeof(err)), 0);
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_str_eq(r.error, "");
    /* mid already has 2000: only hi and lo change. */
    ck_assert_uint_eq(a.n, 2);
    ck_assert_uint_eq(a.v[0].domid, 1);
    ck_assert_int_eq(a.v[0].u.sched.weight, 4000);
    ck_assert_int_eq(a.v[0].u.sched.cap, -1);
    ck_assert_uint_eq(a.v[1].domid, 3);
    ck_assert_int_eq(a.v[1].u.sched.weight, 1000);

    /* On 4 CPUs (Max 400), guarantees past Max are refused by the check. */
    xres_cpu_policy np;
    h.nr_cpus = 4;
    ck_assert_int_eq(xres_cpu_policy_parse("shares priority=1 guarantee=150",
                                           &np, err, sizeof(err)), 0);
    ck_assert_int_eq(xres_cpu_policy_check(&h, pols, 2, &np, err,
                                           sizeof(err)), 0);
    pols[2] = np;
    ck_assert_int_eq(xres_cpu_policy_parse("shares priority=1 guarantee=150",
                                           &np, err, sizeof(err)), 0);
    ck_assert_int_eq(xres_cpu_policy_check(&h, pols, 1, &np, err,
                                           sizeof(err)), 0);
    pols[1] = np;
    ck_assert_int_eq(xres_cpu_policy_parse("shares priority=1 guarantee=200",
                                           &np, err, sizeof(err)), 0);
    ck_assert_int_eq(xres_cpu_policy_check(&h, pols, 3, &np, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "add up to 500%"));
    /* The two that fit: each gets a quarter of the total weight... */
    xres_actions_clear(&a);
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_str_eq(r.error, "");
    /* dom0 256 + lo 1000 = 1256 = a quarter: T = 5024, each 1884. */
    ck_assert_uint_eq(a.n, 3);
    ck_assert_int_eq(a.v[0].u.sched.weight, 1884);
    ck_assert_int_eq(a.v[1].u.sched.weight, 1884);
    ck_assert_int_eq(a.v[2].u.sched.weight, 1000);
    np.guarantee = 500;
    ck_assert_int_eq(xres_cpu_policy_check(&h, pols, 3, &np, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "2 vCPU(s)"));

    /* Other schedulers: nothing is done, and the reason is given. */
    xres_actions_clear(&a);
    h.sched = XRES_SCHED_OTHER;
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_uint_eq(a.n, 0);
    ck_assert_ptr_nonnull(strstr(r.error, "inactive"));

    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_host_dispose(&h);
}
END_TEST

/* ---- demand-following ---- */

/*
 * A 4-vCPU domain with bounds 20..150, step 10, on an 8-CPU host.  It
 * burns all it may for 40 samples, then idles for 40.  Its cap must rise
 * while pegged, fall while idle, and never leave 20..150.
 */
START_TEST(test_demand_walk)
{
    xres_host h;
    xres_cpu_meter m;
    xres_cpu_settings s;
    xres_cpu_policy pols[2];
    xres_cpu_result r;
    xres_actions a;
    int caps[81];
    int rises = 0, falls = 0;

    xres_host_init(&h);
    xres_cpu_meter_init(&m, 30);
    xres_cpu_settings_init(&s);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    h.nr_cpus = 8;
    h.sched = XRES_SCHED_CREDIT;
    add(&h, 0, "Domain-0", 8, 256, 0);
    xres_domain *g = add(&h, 5, "web", 4, 256, 0);
    (void)g;
    xres_cpu_policy_init(&pols[0]);
    ck_assert_int_eq(xres_cpu_policy_parse("demand min=20 max=150 step=10",
                                           &pols[1], NULL, 0), 0);
    h.now_ms = 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    for (int i = 0; i < 80; i++) {
        xres_domain *d = &h.domains[1];
        /* Pegged: uses its whole cap (all 4 vCPUs when uncapped). */
        double use = i < 40 ? (d->cap ? d->cap : 400) : 2;
        h.now_ms += 1000;
        h.domains[0].cpu_time_ns += 10 * NS_PER_PCT_S;
        d->cpu_time_ns += (uint64_t)(use * NS_PER_PCT_S);
        ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
        xres_actions_clear(&a);
        ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, &m, NULL, &r, &a),
                         0);
        for (size_t k = 0; k < a.n; k++) {
            ck_assert_uint_eq(a.v[k].domid, 5);
            ck_assert_int_eq(a.v[k].u.sched.weight, -1);
            if (a.v[k].u.sched.cap > d->cap && d->cap) rises++;
            if (a.v[k].u.sched.cap < d->cap) falls++;
            d->cap = a.v[k].u.sched.cap;     /* the backend applies it */
        }
        ck_assert_int_ge(d->cap, 20);
        ck_assert_int_le(d->cap, 150);
        caps[i] = d->cap;
    }
    /* First pass brings the uncapped domain to its minimum. */
    ck_assert_int_eq(caps[0], 20);
    /* Pegged 40 samples with a decision every 3 at most: 13 rises of 10
     * from 20 reach the maximum 150, and it stays there. */
    ck_assert_int_eq(caps[39], 150);
    ck_assert_int_eq(caps[3], 30);
    ck_assert_int_eq(caps[6], 40);
    ck_assert_int_eq(rises, 13);
    /* Idle: falls by a step every 3 samples back to 20. */
    ck_assert_int_eq(caps[42], 140);
    ck_assert_int_eq(caps[79], 20);
    ck_assert_int_eq(falls, 13);
    for (int i = 1; i < 40; i++) ck_assert_int_ge(caps[i], caps[i - 1]);
    for (int i = 41; i < 80; i++) ck_assert_int_le(caps[i], caps[i - 1]);

    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_cpu_meter_dispose(&m);
    xres_host_dispose(&h);
}
END_TEST

static xres_cpu_point pt(double use, int cap)
{
    xres_cpu_point p;
    memset(&p, 0, sizeof(p));
    p.use_pct = use;
    p.cap = cap;
    p.agent_pct = -1;
    return p;
}

START_TEST(test_demand_limits)
{
    xres_cpu_policy p;
    xres_cpu_settings s;
    xres_cpu_point pts[4];
    int cap;
    char why[128];

    xres_cpu_settings_init(&s);
    ck_assert_int_eq(xres_cpu_policy_parse("demand step=25", &p, NULL, 0), 0);
    for (int i = 0; i < 4; i++) pts[i] = pt(100, 100);
    /* 1 vCPU at cap 100, pegged: the policy wants more than it can get. */
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 100, 1, pts, 4, 300, &cap,
                                          why, sizeof(why)),
                     XRES_DEMAND_WANTS_MORE);
    ck_assert_int_eq(cap, 100);
    ck_assert_ptr_nonnull(strstr(why, "vcpu-set"));
    /* 2 vCPUs: rises by the step... */
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 100, 2, pts, 4, 300, &cap,
                                          why, sizeof(why)), XRES_DEMAND_UP);
    ck_assert_int_eq(cap, 125);
    /* ...but only by what the host has available. */
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 100, 2, pts, 4, 7.9, &cap,
                                          why, sizeof(why)), XRES_DEMAND_UP);
    ck_assert_int_eq(cap, 107);
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 100, 2, pts, 4, 0.5, &cap,
                                          why, sizeof(why)),
                     XRES_DEMAND_WANTS_MORE);
    ck_assert_int_eq(cap, 100);
    /* Not enough samples at the current cap: no decision. */
    pts[0] = pt(100, 75);
    pts[1] = pt(100, 75);
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 100, 2, pts, 4, 300, &cap,
                                          why, sizeof(why)), XRES_DEMAND_KEEP);
    ck_assert_int_eq(cap, 100);
    /* Idle at 12 (<= 0.3 x 40): falls, never below one step. */
    for (int i = 0; i < 4; i++) pts[i] = pt(12, 40);
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 40, 2, pts, 4, 300, &cap,
                                          why, sizeof(why)), XRES_DEMAND_DOWN);
    ck_assert_int_eq(cap, 25);
    for (int i = 0; i < 4; i++) pts[i] = pt(0, 25);
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 25, 2, pts, 4, 300, &cap,
                                          why, sizeof(why)), XRES_DEMAND_KEEP);
    ck_assert_int_eq(cap, 25);
    /* In between: kept. */
    for (int i = 0; i < 4; i++) pts[i] = pt(60, 100);
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 100, 2, pts, 4, 300, &cap,
                                          why, sizeof(why)), XRES_DEMAND_KEEP);
    /* vCPUs went offline: cap above 100 x online is brought down. */
    ck_assert_int_eq(xres_cpu_demand_step(&p, &s, 180, 1, pts, 4, 300, &cap,
                                          why, sizeof(why)),
                     XRES_DEMAND_BOUNDS);
    ck_assert_int_eq(cap, 100);
}
END_TEST

/* ---- fixed ---- */

START_TEST(test_fixed)
{
    xres_host h;
    xres_cpu_settings s;
    xres_cpu_policy pols[2];
    xres_cpu_result r;
    xres_actions a;
    char buf[160];

    xres_host_init(&h);
    xres_cpu_settings_init(&s);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    h.nr_cpus = 2;
    h.sched = XRES_SCHED_CREDIT;
    add(&h, 0, "Domain-0", 2, 256, 0);
    add(&h, 4, "db", 2, 256, 0);
    xres_cpu_policy_init(&pols[0]);
    ck_assert_int_eq(xres_cpu_policy_parse("fixed weight=512 cap=50",
                                           &pols[1], NULL, 0), 0);
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_uint_eq(a.n, 1);
    xres_action_format(&a.v[0], buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "set-sched dom4 weight=512 cap=50"));
    /* In place: nothing to do. */
    h.domains[1].weight = 512;
    h.domains[1].cap = 50;
    xres_actions_clear(&a);
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_uint_eq(a.n, 0);
    /* Changed outside xres (xl sched-credit -c 0): put back, cap only. */
    h.domains[1].cap = 0;
    xres_actions_clear(&a);
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_int_eq(a.v[0].u.sched.weight, -1);
    ck_assert_int_eq(a.v[0].u.sched.cap, 50);
    ck_assert_str_eq(r.dec[1].note, "fixed: cap 50 (was 0)");
    /* A cap the vCPUs cannot carry is left alone, and said. */
    pols[1].cap = 300;
    xres_actions_clear(&a);
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, NULL, NULL, &r, &a),
                     0);
    ck_assert_uint_eq(a.n, 0);
    ck_assert_ptr_nonnull(strstr(r.dec[1].note, "above 100 x 2"));

    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_host_dispose(&h);
}
END_TEST

/* ---- text form ---- */

START_TEST(test_policy_text)
{
    xres_cpu_policy p;
    char err[192], buf[XRES_CPU_SPEC_MAX];

    ck_assert_int_eq(xres_cpu_policy_parse("fixed weight=512 cap=50", &p, err,
                                           sizeof(err)), 0);
    ck_assert_int_eq(p.kind, XRES_CPU_POLICY_FIXED);
    ck_assert_int_eq(p.weight, 512);
    ck_assert_int_eq(p.cap, 50);
    xres_cpu_policy_format(&p, buf, sizeof(buf));
    ck_assert_str_eq(buf, "fixed weight=512 cap=50");

    ck_assert_int_eq(xres_cpu_policy_parse("manage method=2 coef=0.25 "
                                           "reserve=10", &p, err,
                                           sizeof(err)), 0);
    ck_assert_double_eq_tol(p.reserve, 0.10, 1e-12);
    xres_cpu_policy_format(&p, buf, sizeof(buf));
    ck_assert_str_eq(buf, "manage method=2 coef=0.25 reserve=10");
    ck_assert_int_eq(xres_cpu_policy_parse("manage", &p, err, sizeof(err)), 0);
    ck_assert_double_eq_tol(p.reserve, 0.20, 1e-12);
    ck_assert_int_eq(p.method, XRES_MANAGE_ALLOCABLE);

    ck_assert_int_eq(xres_cpu_policy_parse("demand min=10 max=200 step=5",
                                           &p, err, sizeof(err)), 0);
    xres_cpu_policy_format(&p, buf, sizeof(buf));
    ck_assert_str_eq(buf, "demand min=10 max=200 step=5");
    ck_assert_int_eq(xres_cpu_policy_parse("none", &p, err, sizeof(err)), 0);
    ck_assert_int_eq(p.kind, XRES_CPU_POLICY_NONE);

    /* Refusals, each with its reason. */
    ck_assert_int_eq(xres_cpu_policy_parse("fixed", &p, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "weight"));
    ck_assert_int_eq(xres_cpu_policy_parse("fixed weight=0", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("fixed weight=65536", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("fixed weight=-5", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("shares guarantee=10", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "priority"));
    ck_assert_int_eq(xres_cpu_policy_parse("demand min=50 max=20", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("manage method=4", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "target"));
    ck_assert_int_eq(xres_cpu_policy_parse("manage method=5", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("manage coef=1.5", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("demand weight=5", &p, err,
                                           sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "not a setting of policy demand"));
    ck_assert_int_eq(xres_cpu_policy_parse("turbo", &p, err, sizeof(err)),
                     -EINVAL);
    ck_assert_int_eq(xres_cpu_policy_parse("", &p, err, sizeof(err)),
                     -EINVAL);
    char longs[400];
    memset(longs, 'x', sizeof(longs) - 1);
    longs[sizeof(longs) - 1] = '\0';
    ck_assert_int_eq(xres_cpu_policy_parse(longs, &p, err, sizeof(err)),
                     -EINVAL);

    uint64_t t = 0;
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=60000", 13, &t), 0);
    ck_assert_uint_eq(t, 60000);
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=604800001", 17, &t),
                     -EINVAL);
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=0", 9, &t), -EINVAL);
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=012", 11, &t),
                     -EINVAL);
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=12x", 11, &t),
                     -EINVAL);
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=", 8, &t), -EINVAL);
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=99999999999999999999",
                                             28, &t), -EINVAL);
    /* Only len bytes count: no NUL needed. */
    ck_assert_int_eq(xres_cpu_parse_run_time("time-ms=42garbage", 10, &t), 0);
    ck_assert_uint_eq(t, 42);

}
END_TEST

/* cpu_source=agent (004): the demand step follows the agent's figure,
 * never above Xen's.  web: 1 vCPU, cap 100, demand step 10. */
static int agent_source_cap(xres_cpu_source src, double xen_pct,
                            unsigned agent_pct)
{
    xres_host h;
    xres_cpu_meter m;
    xres_cpu_settings s;
    xres_cpu_policy pols[2];
    xres_cpu_result r;
    xres_actions a;
    int cap;

    xres_host_init(&h);
    xres_cpu_meter_init(&m, 10);
    xres_cpu_settings_init(&s);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    h.nr_cpus = 4;
    h.sched = XRES_SCHED_CREDIT;
    add(&h, 0, "Domain-0", 4, 256, 0);
    xres_domain *g = add(&h, 5, "web", 1, 256, 100);
    g->agent.valid = true;
    g->agent.cpu_pct = agent_pct;
    xres_cpu_policy_init(&pols[0]);
    ck_assert_int_eq(xres_cpu_policy_parse("demand min=10 max=100 step=10",
                                           &pols[1], NULL, 0), 0);
    pols[1].source = src;
    h.now_ms = 1000;
    ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    for (int i = 0; i < 3; i++) {
        h.now_ms += 1000;
        h.domains[1].cpu_time_ns += (uint64_t)(xen_pct * NS_PER_PCT_S);
        ck_assert_int_eq(xres_cpu_meter_update(&m, &h), 0);
    }
    ck_assert_int_eq(xres_cpu_policy_run(&h, &s, pols, &m, NULL, &r, &a), 0);
    cap = a.n ? a.v[0].u.sched.cap : h.domains[1].cap;
    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_cpu_meter_dispose(&m);
    xres_host_dispose(&h);
    return cap;
}

START_TEST(test_cpu_source_agent)
{
    xres_cpu_point p = { .use_pct = 80, .agent_pct = 20 };

    ck_assert_double_eq_tol(xres_cpu_point_use(&p, XRES_CPU_SOURCE_XEN), 80,
                            1e-9);
    ck_assert_double_eq_tol(xres_cpu_point_use(&p, XRES_CPU_SOURCE_AGENT),
                            20, 1e-9);
    p.agent_pct = 95;       /* more than Xen measured: Xen's */
    ck_assert_double_eq_tol(xres_cpu_point_use(&p, XRES_CPU_SOURCE_AGENT),
                            80, 1e-9);
    p.agent_pct = -1;       /* no report: Xen's */
    ck_assert_double_eq_tol(xres_cpu_point_use(&p, XRES_CPU_SOURCE_AGENT),
                            80, 1e-9);

    /* Xen: pegged at its cap of 100 (it cannot rise past 1 vCPU). */
    ck_assert_int_eq(agent_source_cap(XRES_CPU_SOURCE_XEN, 100, 20), 100);
    /* Xen says 25, idle: one step down, whatever the agent says. */
    ck_assert_int_eq(agent_source_cap(XRES_CPU_SOURCE_XEN, 25, 100), 90);
    /* Agent: it says 20 of Xen's 100, idle: one step down. */
    ck_assert_int_eq(agent_source_cap(XRES_CPU_SOURCE_AGENT, 100, 20), 90);
    /* Agent says 100 but Xen measured 25: bounded by Xen, still idle. */
    ck_assert_int_eq(agent_source_cap(XRES_CPU_SOURCE_AGENT, 25, 100), 90);
    /* Agent says 50 of Xen's 100: neither pegged nor idle, kept. */
    ck_assert_int_eq(agent_source_cap(XRES_CPU_SOURCE_AGENT, 100, 50), 100);
    ck_assert_int_eq(xres_cpu_source_parse("agent", &(xres_cpu_source){0}),
                     0);
    ck_assert_int_eq(xres_cpu_source_parse("guest", &(xres_cpu_source){0}),
                     -EINVAL);
}
END_TEST

Suite *policy_cpu_suite(void)
{
    Suite *s = suite_create("policy_cpu");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_available_modes);
    tcase_add_test(tc, test_cpu_source_agent);
    tcase_add_test(tc, test_allocable);
    tcase_add_test(tc, test_use_pct);
    tcase_add_test(tc, test_meter_history);
    tcase_add_test(tc, test_manage_methods);
    tcase_add_test(tc, test_manage_host);
    tcase_add_test(tc, test_shares_ratio);
    tcase_add_test(tc, test_shares_guarantee);
    tcase_add_test(tc, test_shares_host);
    tcase_add_test(tc, test_demand_walk);
    tcase_add_test(tc, test_demand_limits);
    tcase_add_test(tc, test_fixed);
    tcase_add_test(tc, test_policy_text);
    suite_add_tcase(s, tc);
    return s;
}
