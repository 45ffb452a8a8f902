/*
 * tests/unit/test_conflict.c: resource-conflict detection (conflict.h)
 * with the patent's own cases and figures (docs/xres-cluster.md,
 * "Conflicts"): T_server and two busy domains, each kind of T_vm, CPU
 * shares of a host with several CPUs, memory, any and all, the sustain
 * count, and a domain seen to move.  Figures are in cp (1/100 of a %).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "conflict_testlib.h"

static xres_cluster_figures hosts[3];
static xres_conflict_state st;
static xres_conflict_result res;
static xres_conflict_params p;

static void setup(void)
{
    memset(hosts, 0, sizeof(hosts));
    xres_conflict_state_init(&st);
    xres_conflict_params_default(&p);
    p.sustain = 1;
}

/* One interval over the first n hosts; the verdict of the first. */
static const xres_conflict_host *judge(size_t n, uint64_t now)
{
    xres_conflict_obs o;

    ct_obs(&o, hosts[0].nodeid, hosts, n);
    xres_conflict_step(&st, &p, &o, now, &res);
    return &res.h[0];
}

/* Host a (node 1, one CPU at cpu%, memory at 50%) with g1 and g2 at c1%
 * and c2% of its CPU and 1 GiB each; a static T_vm of 20%. */
static void host_a(unsigned cpu, unsigned c1, unsigned c2)
{
    p.tvm = XRES_TVM_STATIC;
    p.tvm_value = 20;
    ct_host(&hosts[0], "a", 1, 1, cpu, 50);
    ct_dom(&hosts[0], "g1", c1, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "g2", c2, 1 << 20, XRES_CMOVE_MOVABLE);
}

START_TEST(total_high_one_busy_domain_is_no_conflict)
{
    const xres_conflict_host *h;

    /* ¶25: the host at 80% or more and two domains at 10% or more; ¶59: a
     * static T_vm of 20%.  One CPU at 90%: over 80%, but only g1 (70%)
     * is at or over 20%; g2 uses 5%. */
    host_a(90, 70, 5);
    h = judge(1, 0);
    ck_assert_uint_eq(h->up[XRES_RES_CPU], 9000);
    ck_assert_uint_eq(h->t_server[XRES_RES_CPU], 8000);
    ck_assert_uint_eq(h->t_vm[XRES_RES_CPU], 2000);
    ck_assert_uint_eq(h->over, XRES_RES_BIT(XRES_RES_CPU));
    ck_assert(!h->conflict);
    ck_assert_uint_eq(h->nbusy, 0);
}
END_TEST

START_TEST(two_busy_domains_on_a_quiet_host_is_no_conflict)
{
    const xres_conflict_host *h;

    /* g1 25% and g2 22% are both at or over 20%, but the host is at 50%,
     * under its T_server of 80% (¶55: the total is checked first). */
    host_a(50, 25, 22);
    h = judge(1, 0);
    ck_assert_uint_eq(h->over, 0);
    ck_assert(!h->conflict);
}
END_TEST

START_TEST(total_high_and_two_busy_domains_is_a_conflict)
{
    const xres_conflict_host *h;

    /* 85% >= 80%, and g1 40% and g2 30% are both >= 20%: a conflict. */
    host_a(85, 40, 30);
    ct_dom(&hosts[0], "g3", 10, 1 << 20, XRES_CMOVE_MOVABLE);
    h = judge(1, 0);
    ck_assert(h->conflict);
    ck_assert_uint_eq(h->in_conflict, XRES_RES_BIT(XRES_RES_CPU));
    ck_assert_uint_eq(h->nbusy, 2);
    ck_assert_str_eq(h->busy[0], "g1");
    ck_assert_str_eq(h->busy[1], "g2");
    /* Per host: at 90% for host a, 85% is not over. */
    p.nhosts = 1;
    snprintf(p.hosts[0].host, sizeof(p.hosts[0].host), "a");
    p.hosts[0].t_server[XRES_RES_CPU] = 90;
    h = judge(1, 0);
    ck_assert_uint_eq(h->t_server[XRES_RES_CPU], 9000);
    ck_assert(!h->conflict);
}
END_TEST

START_TEST(t_vm_up_over_n)
{
    const xres_conflict_host *h;

    /* ¶61-64: host1 at Up = 24% with N = 2 domains: T_vm = 24 / 2 = 12%;
     * one of them (4%) is under it: no conflict.  (T_server is 20% for
     * host1 here, so that the domains decide, as in the patent's case.) */
    p.tvm = XRES_TVM_UP_N;
    p.nhosts = 1;
    snprintf(p.hosts[0].host, sizeof(p.hosts[0].host), "host1");
    p.hosts[0].t_server[XRES_RES_CPU] = 20;
    ct_host(&hosts[0], "host1", 1, 1, 24, 50);
    ct_dom(&hosts[0], "vm1", 20, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm2", 4, 1 << 20, XRES_CMOVE_MOVABLE);
    h = judge(1, 0);
    ck_assert_uint_eq(h->guests, 2);
    ck_assert_uint_eq(h->t_vm[XRES_RES_CPU], 1200);
    ck_assert(h->over);
    ck_assert(!h->conflict);

    /* ¶65-66: host3 at 84% with N = 4: T_vm = 84 / 4 = 21%; three
     * domains (30%, 25% and exactly 21%) are at or over it: a conflict on
     * those three. */
    ct_host(&hosts[0], "host3", 3, 1, 84, 50);
    ct_dom(&hosts[0], "vm1", 30, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm2", 25, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm3", 21, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm4", 8, 1 << 20, XRES_CMOVE_MOVABLE);
    h = judge(1, 0);
    ck_assert_uint_eq(h->t_vm[XRES_RES_CPU], 2100);
    ck_assert(h->conflict);
    ck_assert_uint_eq(h->nbusy, 3);
    ck_assert_str_eq(h->busy[2], "vm3");
}
END_TEST

START_TEST(t_vm_up_over_n_minus_k)
{
    const xres_conflict_host *h;

    /* ¶67: Up / N - k with k = 5 on host3: 84 / 4 - 5 = 16%.  Domains at
     * 30%, 16%, 15%, 8%: with Up / N (21%) only the first is busy, no
     * conflict; with k = 5 the first two are (16 >= 16), a conflict. */
    ct_host(&hosts[0], "host3", 3, 1, 84, 50);
    ct_dom(&hosts[0], "vm1", 30, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm2", 16, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm3", 15, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "vm4", 8, 1 << 20, XRES_CMOVE_MOVABLE);
    p.tvm = XRES_TVM_UP_N;
    h = judge(1, 0);
    ck_assert(!h->conflict);
    p.tvm = XRES_TVM_UP_N_K;
    p.tvm_value = 5;
    h = judge(1, 0);
    ck_assert_uint_eq(h->t_vm[XRES_RES_CPU], 1600);
    ck_assert(h->conflict);
    ck_assert_uint_eq(h->nbusy, 2);
    ck_assert_str_eq(h->busy[1], "vm2");
    /* k above Up / N: T_vm is 0, every domain is busy. */
    p.tvm_value = 30;
    h = judge(1, 0);
    ck_assert_uint_eq(h->t_vm[XRES_RES_CPU], 0);
    ck_assert_uint_eq(h->nbusy, 4);
}
END_TEST

START_TEST(a_domain_cpu_share_is_over_the_host_cpus)
{
    const xres_conflict_host *h;
    xres_cluster_dom *d1, *d2;

    /* ¶33: the total is normalised to 100% over the CPUs.  Four CPUs at
     * 85%: g1 uses 120% of one CPU = 120 / 4 = 30% of the host, g2 90% =
     * 22.50%.  Static T_vm 25%: only g1; static 20%: both. */
    p.tvm = XRES_TVM_STATIC;
    p.tvm_value = 25;
    ct_host(&hosts[0], "a", 1, 4, 85, 50);
    d1 = ct_dom(&hosts[0], "g1", 120, 1 << 20, XRES_CMOVE_MOVABLE);
    d2 = ct_dom(&hosts[0], "g2", 90, 1 << 20, XRES_CMOVE_MOVABLE);
    ck_assert_uint_eq(xres_conflict_dom_use(&hosts[0], d1, XRES_RES_CPU),
                      3000);
    ck_assert_uint_eq(xres_conflict_dom_use(&hosts[0], d2, XRES_RES_CPU),
                      2250);
    h = judge(1, 0);
    ck_assert(!h->conflict);
    p.tvm_value = 20;
    h = judge(1, 0);
    ck_assert(h->conflict);
}
END_TEST

START_TEST(memory_and_the_two_combinations)
{
    const xres_conflict_host *h;

    /* ¶68-71.  16 GiB at 92% memory (T_server 90%), 85% CPU (80%); g1
     * 4 GiB = 25.00%, g2 3 GiB = 18.75%, both over a static 15%; their
     * CPU 40% and 10% of one CPU: only g1 is at or over 15% CPU. */
    p.tvm = XRES_TVM_STATIC;
    p.tvm_value = 15;
    ct_host(&hosts[0], "a", 1, 1, 85, 92);
    ct_dom(&hosts[0], "g1", 40, 4ULL << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "g2", 10, 3ULL << 20, XRES_CMOVE_MOVABLE);
    ck_assert_uint_eq(xres_conflict_dom_use(&hosts[0], &hosts[0].doms[1],
                                            XRES_RES_MEM), 1875);
    p.resources = XRES_RES_BIT(XRES_RES_CPU);
    ck_assert(!judge(1, 0)->conflict);
    p.resources = XRES_RES_BIT(XRES_RES_MEM);
    h = judge(1, 0);
    ck_assert(h->conflict);
    ck_assert_uint_eq(h->up[XRES_RES_MEM], 9200);
    /* ¶70, any: a conflict on memory is enough. */
    p.resources = XRES_RES_BOTH;
    p.combine = XRES_COMBINE_ANY;
    h = judge(1, 0);
    ck_assert(h->conflict);
    ck_assert_uint_eq(h->over, XRES_RES_BOTH);
    ck_assert_uint_eq(h->in_conflict, XRES_RES_BIT(XRES_RES_MEM));
    /* ¶71, all: both resources over, but only g1 is busy on both. */
    p.combine = XRES_COMBINE_ALL;
    ck_assert(!judge(1, 0)->conflict);
    hosts[0].doms[1].cpu_pct = 15;          /* g2 now 15% CPU too */
    h = judge(1, 0);
    ck_assert(h->conflict);
    ck_assert_uint_eq(h->in_conflict, XRES_RES_BOTH);
    ck_assert_uint_eq(h->nbusy, 2);
}
END_TEST

START_TEST(a_conflict_must_last_sustain_intervals)
{
    const xres_conflict_host *h;

    p.sustain = 3;
    host_a(85, 40, 30);
    h = judge(1, 0);
    ck_assert(h->conflict && h->counted && h->run == 1 && !h->sustained);
    h = judge(1, 10000);            /* the same figures (seq 1): not counted */
    ck_assert(!h->counted && h->run == 1 && !h->sustained);
    hosts[0].seq = 2;
    ck_assert_uint_eq(judge(1, 20000)->run, 2);
    hosts[0].seq = 3;
    h = judge(1, 30000);
    ck_assert(h->run == 3 && h->sustained);
    hosts[0].seq = 4;
    hosts[0].cpu_use_pct = 70;      /* one quiet interval starts again */
    h = judge(1, 40000);
    ck_assert(!h->conflict && h->run == 0 && !h->sustained);
    hosts[0].seq = 5;
    hosts[0].cpu_use_pct = 85;
    ck_assert_uint_eq(judge(1, 50000)->run, 1);
    /* A host missing from one interval (stale) starts from 0. */
    ct_host(&hosts[1], "b", 2, 1, 10, 10);
    ck_assert_uint_eq(st.nh, 1);
    {
        xres_conflict_obs o;
        ct_obs(&o, 1, &hosts[1], 1);
        xres_conflict_step(&st, &p, &o, 60000, &res);
    }
    hosts[0].seq = 6;
    ck_assert_uint_eq(judge(1, 70000)->run, 1);
    /* Off: nothing is judged. */
    p.mode = XRES_CMODE_OFF;
    hosts[0].seq = 7;
    h = judge(1, 80000);
    ck_assert(!h->conflict && !h->run);
}
END_TEST

START_TEST(a_domain_seen_on_another_host_moved)
{
    uint64_t ago = 0;

    host_a(85, 40, 30);
    ct_host(&hosts[1], "b", 2, 1, 10, 10);
    ck_assert_uint_eq(judge(2, 1000)->run, 1);
    ck_assert_uint_eq(res.nmoved, 0);
    /* g2 shows on both during the move: not moved yet. */
    ct_dom(&hosts[1], "g2", 0, 1 << 20, XRES_CMOVE_MOVABLE);
    hosts[0].seq = hosts[1].seq = 2;
    ck_assert_uint_eq(judge(2, 11000)->run, 2);
    ck_assert_uint_eq(res.nmoved, 0);
    /* Now only on b: it moved; a's count starts again. */
    hosts[0].ndoms = 1;
    hosts[0].seq = hosts[1].seq = 3;
    ck_assert_uint_eq(judge(2, 21000)->run, 0);
    ck_assert_uint_eq(res.nmoved, 1);
    ck_assert_str_eq(res.moved[0].dom, "g2");
    ck_assert_uint_eq(res.moved[0].from, 1);
    ck_assert_uint_eq(res.moved[0].to, 2);
    ck_assert(xres_conflict_held_down(&st, "g2", 600000, 81000, &ago));
    ck_assert_uint_eq(ago, 60000);
    ck_assert(!xres_conflict_held_down(&st, "g2", 600000, 621000, &ago));
    ck_assert(!xres_conflict_held_down(&st, "g1", 600000, 81000, &ago));
}
END_TEST

Suite *conflict_suite(void)
{
    Suite *s = suite_create("conflict");
    TCase *t = tcase_create("detect");

    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, total_high_one_busy_domain_is_no_conflict);
    tcase_add_test(t, two_busy_domains_on_a_quiet_host_is_no_conflict);
    tcase_add_test(t, total_high_and_two_busy_domains_is_a_conflict);
    tcase_add_test(t, t_vm_up_over_n);
    tcase_add_test(t, t_vm_up_over_n_minus_k);
    tcase_add_test(t, a_domain_cpu_share_is_over_the_host_cpus);
    tcase_add_test(t, memory_and_the_two_combinations);
    tcase_add_test(t, a_conflict_must_last_sustain_intervals);
    tcase_add_test(t, a_domain_seen_on_another_host_moved);
    suite_add_tcase(s, t);
    return s;
}
