/*
 * tests/unit/test_policy_mem.c: memory by demand, the pure policy: the
 * three-VM example, load reversal, quiet hosts, guarantees and maxima,
 * shares when short, swap in use counted as demand, and a randomized
 * conservation property.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem_classify.h"
#include "mem_testlib.h"
#include "policy_mem.h"

static xres_mem_params P;

static void setup(void)
{
    xres_mem_params_default(&P);
}

/* Three guests of 1024 MiB using 1024, 410 and 717 MiB; 256 MiB blocks;
 * no free memory above the reserve. */
static void three_vms(xres_host *h)
{
    xres_host_init(h);
    mt_add(h, 0, "Domain-0", 512, 0, 512);
    mt_add(h, 1, "vm1", 1024, 1024, 2048);
    mt_add(h, 2, "vm2", 1024, 410, 2048);
    mt_add(h, 3, "vm3", 1024, 717, 2048);
    mt_set_free(h, P.reserve_kb);
}

/* Balance once and carry the actions out on the model, checking the
 * accounting after every action.  Returns the number of transfers. */
static size_t run_round(xres_host *h, xres_actions *acts)
{
    xres_mem_plan plan;
    uint64_t total = h->total_kb, claims0 = mt_guest_claims(h);
    char err[160];

    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(h, &P, &plan), 0);
    xres_actions_clear(acts);
    ck_assert_int_eq(xres_mem_plan_actions(&plan, &P, acts), 0);
    for (size_t i = 0; i < acts->n; i++) {
        xres_mem_account a;
        ck_assert_msg(mt_apply(h, &P, &acts->v[i], err, sizeof(err)),
                      "action %zu: %s", i, err);
        xres_mem_account_of(h, &P, &a);
        ck_assert(mt_conserved(h, &P));
        ck_assert_int_ge(a.spare_kb, 0);
        ck_assert_uint_eq(h->total_kb, total);
        /* guests never claim more than they had: nothing promised twice */
        ck_assert_uint_le(mt_guest_claims(h), claims0);
    }
    ck_assert_uint_eq(mt_guest_claims(h), claims0);
    size_t n = plan.n;
    xres_mem_plan_dispose(&plan);
    return n;
}

START_TEST(test_three_vm_example)
{
    xres_host h;
    xres_mem_plan plan;
    xres_actions acts;
    char line[160];

    P.block_kb = 256 * MiB;
    three_vms(&h);
    xres_mem_plan_init(&plan);
    xres_actions_init(&acts);

    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src, 2);
    ck_assert_uint_eq(plan.v[0].dst, 1);
    ck_assert_uint_eq(plan.v[0].kb, 256 * MiB);
    ck_assert(!plan.short_mode);

    /* Order: donor lowered, donor confirmed, then the receiver raised. */
    ck_assert_int_eq(xres_mem_plan_actions(&plan, &P, &acts), 0);
    ck_assert_uint_eq(acts.n, 4);
    ck_assert_int_eq(acts.v[0].kind, XRES_ACT_SET_TARGET);
    ck_assert_uint_eq(acts.v[0].domid, 2);
    ck_assert_uint_eq(acts.v[0].u.mem.kb, 768 * MiB);
    ck_assert_int_eq(acts.v[1].kind, XRES_ACT_WAIT_TARGET);
    ck_assert_uint_eq(acts.v[1].domid, 2);
    ck_assert_uint_eq(acts.v[1].u.mem.kb, 768 * MiB);
    ck_assert_int_eq(acts.v[2].kind, XRES_ACT_SET_MAXMEM);
    ck_assert_uint_eq(acts.v[2].domid, 1);
    ck_assert_uint_eq(acts.v[2].u.mem.kb, 1280 * MiB + 1024);
    ck_assert_int_eq(acts.v[3].kind, XRES_ACT_SET_TARGET);
    ck_assert_uint_eq(acts.v[3].domid, 1);
    ck_assert_uint_eq(acts.v[3].u.mem.kb, 1280 * MiB);
    xres_action_format(&acts.v[0], line, sizeof(line));
    ck_assert_str_eq(line, "set-target dom2 786432KiB # demand: give "
                     "262144KiB");

    /* Carried out on the model: 1280 / 768 / 1024, total 3072. */
    ck_assert_uint_eq(run_round(&h, &acts), 1);
    ck_assert_uint_eq(h.domains[1].target_kb, 1280 * MiB);
    ck_assert_uint_eq(h.domains[2].target_kb, 768 * MiB);
    ck_assert_uint_eq(h.domains[3].target_kb, 1024 * MiB);
    ck_assert_uint_eq(mt_guest_claims(&h), 3072 * MiB);

    /* Stable: the next round writes nothing. */
    ck_assert_uint_eq(run_round(&h, &acts), 0);
    ck_assert_uint_eq(acts.n, 0);

    xres_mem_plan_dispose(&plan);
    xres_actions_dispose(&acts);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_receiver_raise_needs_donor_release)
{
    /* Raising the receiver before the donor released must be refused by
     * the model: this is what makes the order check above meaningful. */
    xres_host h;
    xres_actions acts;
    char err[160];

    P.block_kb = 256 * MiB;
    three_vms(&h);
    xres_actions_init(&acts);
    xres_act_set_target(&acts, 2, 768 * MiB, NULL);
    xres_act_set_maxmem(&acts, 1, 2048 * MiB, NULL);
    xres_act_set_target(&acts, 1, 1280 * MiB, NULL);
    ck_assert(mt_apply(&h, &P, &acts.v[0], err, sizeof(err)));
    ck_assert(mt_apply(&h, &P, &acts.v[1], err, sizeof(err)));
    ck_assert(!mt_apply(&h, &P, &acts.v[2], err, sizeof(err)));
    xres_actions_dispose(&acts);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_load_reverses)
{
    xres_host h;
    xres_actions acts;

    P.block_kb = 256 * MiB;
    three_vms(&h);
    xres_actions_init(&acts);
    ck_assert_uint_eq(run_round(&h, &acts), 1);
    ck_assert_uint_eq(h.domains[1].target_kb, 1280 * MiB);

    /* vm1 goes idle, vm2 gets busy: memory flows back. */
    h.domains[1].agent.mem_used_kb = 300 * MiB;
    h.domains[2].agent.mem_used_kb = 700 * MiB;
    ck_assert_uint_eq(run_round(&h, &acts), 1);
    ck_assert_uint_eq(acts.v[0].domid, 1);          /* vm1 gives first */
    ck_assert_uint_eq(h.domains[1].target_kb, 1024 * MiB);
    ck_assert_uint_eq(h.domains[2].target_kb, 1024 * MiB);
    ck_assert_uint_eq(h.domains[3].target_kb, 1024 * MiB);
    ck_assert_uint_eq(mt_guest_claims(&h), 3072 * MiB);
    /* and no oscillation afterwards */
    for (int i = 0; i < 5; i++) ck_assert_uint_eq(run_round(&h, &acts), 0);
    xres_actions_dispose(&acts);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_quiet_between_thresholds)
{
    xres_host h;
    xres_mem_plan plan;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    mt_add(&h, 1, "a", 1024, 520, 2048);     /* 0.51 */
    mt_add(&h, 2, "b", 1024, 921, 2048);     /* 0.899 */
    mt_add(&h, 3, "c", 2048, 1400, 4096);
    mt_set_free(&h, 8192 * MiB);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 0);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_fixed_domains_never_asked)
{
    xres_host h;
    xres_mem_plan plan;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 4096, 100, 4096);       /* dom0: fixed */
    mt_add(&h, 1, "noagent", 1024, 10, 2048)->agent.valid = false;
    mt_add(&h, 2, "noballoon", 1024, 10, 2048)->feature_balloon = false;
    mt_add(&h, 3, "nr", 1024, 10, 2048)->balloon =
        XRES_BALLOON_NOT_RESPONDING;
    mt_add(&h, 4, "busy", 1024, 10, 2048)->balloon = XRES_BALLOON_MOVING;
    mt_add(&h, 5, "hungry", 1024, 1000, 2048);
    mt_set_free(&h, P.reserve_kb);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    /* hungry is short, but no domain may give: nothing happens */
    ck_assert_uint_eq(plan.n, 0);

    /* a Linux guest: no control/feature-balloon, but its agent reports
     * the balloon driver: it may give */
    xres_domain *lx = mt_add(&h, 7, "linux", 1024, 100, 2048);
    lx->feature_balloon = false;
    lx->agent.balloon_cur_kb = 1024 * MiB;
    ck_assert(xres_mem_balloonable(lx));
    xres_mem_plan_dispose(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src, 7);
    lx->agent.balloon_cur_kb = 0;
    ck_assert(!xres_mem_balloonable(lx));

    /* a cooperative idle domain appears: it is the donor */
    mt_add(&h, 6, "idle", 1024, 100, 2048);
    xres_mem_plan_dispose(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src, 6);
    ck_assert_uint_eq(plan.v[0].dst, 5);
    /* 1000 / 0.9 = 1111.1: two 64 MiB blocks */
    ck_assert_uint_eq(plan.v[0].kb, 128 * MiB);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_priority_and_donor_order)
{
    xres_host h;
    xres_mem_plan plan;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    mt_add(&h, 1, "r-low", 1024, 1020, 4096);          /* 0.996 */
    mt_add(&h, 2, "r-high", 1024, 930, 4096)->mem_policy.priority = 5;
    mt_add(&h, 3, "d-half", 1024, 500, 4096);          /* 0.49 */
    mt_add(&h, 4, "d-tenth", 1024, 100, 4096);         /* 0.10 */
    mt_set_free(&h, P.reserve_kb);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_ge(plan.n, 2);
    /* the high-priority receiver first, from the most underused donor */
    ck_assert_uint_eq(plan.v[0].dst, 2);
    ck_assert_uint_eq(plan.v[0].src, 4);
    ck_assert_uint_eq(plan.v[0].kb, 64 * MiB);         /* 930/0.9 = 1033 */
    ck_assert_uint_eq(plan.v[1].dst, 1);
    ck_assert_uint_eq(plan.v[1].src, 4);
    ck_assert_uint_eq(plan.v[1].kb, 128 * MiB);        /* 1020/0.9 = 1133 */
    ck_assert_uint_eq(plan.n, 2);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_free_memory_above_reserve)
{
    xres_host h;
    xres_mem_plan plan;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    mt_add(&h, 1, "hungry", 1024, 1020, 4096);
    /* 64 MiB above the reserve: one block, not two */
    mt_set_free(&h, P.reserve_kb + 64 * MiB);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src, XRES_DOMID_INVALID);
    ck_assert_uint_eq(plan.v[0].dst, 1);
    ck_assert_uint_eq(plan.v[0].kb, 64 * MiB);
    xres_mem_plan_dispose(&plan);

    /* exactly the reserve free: nothing */
    mt_set_free(&h, P.reserve_kb);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 0);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

/* KiB the plan moves from src to dst, checking it moves nothing else. */
static uint64_t from_to(const xres_mem_plan *plan, uint32_t src, uint32_t dst)
{
    uint64_t kb = 0;

    for (size_t i = 0; i < plan->n; i++) {
        ck_assert_uint_eq(plan->v[i].src, src);
        ck_assert_uint_eq(plan->v[i].dst, dst);
        kb += plan->v[i].kb;
    }
    return kb;
}

/* A guest holds memory outside MemTotal (kernel, page tables): its
 * balloon cannot give that back.  d1 holds 160 MiB of which 118 are
 * MemTotal and 29 used, so it can go no lower than 42 + 30 = 72 MiB: two
 * 32 MiB blocks (to 96), not the four that its use alone would allow. */
START_TEST(test_donor_keeps_what_is_outside_memtotal)
{
    xres_host h;
    xres_mem_plan plan;
    xres_domain *d;

    P.high = 1.0;
    P.low = 0.99;
    P.block_kb = 32 * MiB;
    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    d = mt_add(&h, 1, "d1", 160, 29, 320);
    d->agent.mem_total_kb = 118 * MiB;
    d->agent.balloon_cur_kb = 160 * MiB;
    d = mt_add(&h, 2, "m1", 128, 28, 512);
    d->mem_policy.min_kb = 256 * MiB;                   /* 128 short */
    mt_set_free(&h, P.reserve_kb);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(from_to(&plan, 1, 2), 64 * MiB);
    ck_assert_uint_eq(plan.v[plan.n - 1].src_to, 96 * MiB);
    xres_mem_plan_dispose(&plan);

    /* Xen already shows less than the report was made at (the report is
     * older than the last release, 160 -> 112): the report's own figures
     * still give 42 outside MemTotal, floor 72, one block (to 80) */
    d = xres_host_find(&h, 1);
    d->cur_kb = d->target_kb = 112 * MiB;
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(from_to(&plan, 1, 2), 32 * MiB);
    ck_assert_uint_eq(plan.v[plan.n - 1].src_to, 80 * MiB);
    xres_mem_plan_dispose(&plan);
    d->cur_kb = d->target_kb = 160 * MiB;

    /* MemTotal unknown or above the balloon's size: no allowance */
    d = xres_host_find(&h, 1);
    d->agent.mem_total_kb = 0;
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(from_to(&plan, 1, 2), 128 * MiB);
    xres_mem_plan_dispose(&plan);
    d->agent.mem_total_kb = 400 * MiB;
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(from_to(&plan, 1, 2), 128 * MiB);
    xres_mem_plan_dispose(&plan);

    /* a guest claiming nearly everything is outside MemTotal is held to
     * 64 MiB of it (an eighth of 160 is less): floor 64 + 30 = 94, so
     * two blocks still go */
    d->agent.mem_total_kb = 1 * MiB;
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(from_to(&plan, 1, 2), 64 * MiB);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_guarantee_and_max)
{
    xres_host h;
    xres_mem_plan plan;
    xres_domain *d;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    d = mt_add(&h, 1, "guaranteed", 512, 100, 4096);   /* idle but min 1G */
    d->mem_policy.min_kb = 1024 * MiB;
    d = mt_add(&h, 2, "hungry", 1024, 1020, 4096);
    d->mem_policy.priority = 9;
    d = mt_add(&h, 3, "idle-min", 2048, 100, 4096);
    d->mem_policy.min_kb = 1900 * MiB;                 /* may give 128 */
    d = mt_add(&h, 4, "over", 3072, 2000, 4096);
    d->mem_policy.max_kb = 2560 * MiB;                 /* must give 512 */
    mt_set_free(&h, P.reserve_kb);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    /* guarantee first (512 from "over"), then hungry (128: rest of over's
     * 512 is gone, idle-min gives 128 = 2048 - 1900 rounded to blocks) */
    ck_assert_uint_eq(plan.v[0].src, 4);
    ck_assert_uint_eq(plan.v[0].dst, 1);
    ck_assert_uint_eq(plan.v[0].kb, 512 * MiB);
    ck_assert_uint_eq(plan.v[1].src, 3);
    ck_assert_uint_eq(plan.v[1].dst, 2);
    ck_assert_uint_eq(plan.v[1].kb, 128 * MiB);
    ck_assert_uint_eq(plan.n, 2);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_short_shares_by_weight)
{
    xres_host h;
    xres_actions acts;
    xres_domain *d;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    d = mt_add(&h, 1, "heavy", 1024, 1000, 4096);
    d->mem_policy.weight = 3;
    d = mt_add(&h, 2, "light", 1024, 1000, 4096);
    d->mem_policy.weight = 1;
    mt_set_free(&h, P.reserve_kb);
    xres_actions_init(&acts);
    /* M = 2048, want 1112 each: heavy gets its want, light the rest 936;
     * light gives one whole block */
    ck_assert_uint_eq(run_round(&h, &acts), 1);
    ck_assert_uint_eq(h.domains[1].target_kb, 1088 * MiB);
    ck_assert_uint_eq(h.domains[2].target_kb, 960 * MiB);
    for (int i = 0; i < 5; i++) ck_assert_uint_eq(run_round(&h, &acts), 0);

    /* equal weights and equal demand: nobody moves */
    h.domains[1].target_kb = h.domains[1].cur_kb = 1024 * MiB;
    h.domains[2].target_kb = h.domains[2].cur_kb = 1024 * MiB;
    h.domains[1].mem_policy.weight = 1;
    ck_assert_uint_eq(run_round(&h, &acts), 0);
    xres_actions_dispose(&acts);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_plan_move_and_set)
{
    xres_host h;
    xres_mem_plan plan;
    char err[200];

    three_vms(&h);
    h.domains[2].mem_policy.min_kb = 1000 * MiB;
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, 3, 1, 64 * MiB, &plan, err,
                                        sizeof(err)), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src_to, 960 * MiB);
    ck_assert_uint_eq(plan.v[0].dst_to, 1088 * MiB);

    ck_assert_int_eq(xres_mem_plan_move(&h, &P, 2, 1, 64 * MiB, &plan, err,
                                        sizeof(err)), -ENOSPC);
    ck_assert_str_eq(err, "vm2 cannot give 64M: its target is 1024M and its "
                     "guarantee (min) is 1000M");
    h.domains[1].mem_policy.max_kb = 1080 * MiB;
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, 3, 1, 64 * MiB, &plan, err,
                                        sizeof(err)), -ENOSPC);
    ck_assert_str_eq(err, "vm1 cannot take 64M: its target is 1024M and "
                     "its max is 1080M");
    h.domains[1].mem_policy.max_kb = 0;
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, 0, 1, 64 * MiB, &plan, err,
                                        sizeof(err)), -EPERM);
    ck_assert_ptr_nonnull(strstr(err, "dom0"));
    h.domains[3].balloon = XRES_BALLOON_NOT_RESPONDING;
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, 3, 1, 64 * MiB, &plan, err,
                                        sizeof(err)), -EBUSY);
    ck_assert_str_eq(err, "source vm3 (domain 3) is not responding to "
                     "balloon requests");
    ck_assert_uint_eq(plan.n, 1);                      /* nothing added */

    /* mem-set: down to free memory; up only from free above reserve */
    ck_assert_int_eq(xres_mem_plan_set(&h, &P, 1, 960 * MiB, &plan, err,
                                       sizeof(err)), 0);
    ck_assert_uint_eq(plan.v[1].src, 1);
    ck_assert_uint_eq(plan.v[1].dst, XRES_DOMID_INVALID);
    ck_assert_int_eq(xres_mem_plan_set(&h, &P, 1, 1088 * MiB, &plan, err,
                                       sizeof(err)), -ENOSPC);
    ck_assert_str_eq(err, "not enough free memory for vm1 to grow by 64M: "
                     "0M free above the reserve");
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

/* Randomized: over many seeds and rounds, with loads changing between
 * rounds, no action crosses a guarantee or a maximum, nothing is promised
 * that is not free, and memory is conserved after every action. */
START_TEST(test_random_property)
{
    for (unsigned seed = 1; seed <= 300; seed++) {
        xres_host h;
        xres_actions acts;
        unsigned n = 2 + seed % 12;

        srand(seed);
        xres_host_init(&h);
        xres_actions_init(&acts);
        mt_add(&h, 0, "Domain-0", 512, 0, 512);
        for (unsigned i = 1; i <= n; i++) {
            char name[16];
            snprintf(name, sizeof(name), "g%u", i);
            uint64_t mem = 256 + (uint64_t)(rand() % 32) * 64;
            xres_domain *d = mt_add(&h, i, name, mem, 0, mem + 1024);
            d->mem_policy.min_kb = (uint64_t)(rand() % 3) * 128 * MiB;
            if (rand() % 4 == 0) d->mem_policy.max_kb = (mem + 256) * MiB;
            d->mem_policy.priority = rand() % 3;
            d->mem_policy.weight = 1 + rand() % 4;
            if (rand() % 7 == 0) d->feature_balloon = false;
        }
        mt_set_free(&h, P.reserve_kb + (uint64_t)(rand() % 4) * 64 * MiB);
        P.block_kb = (rand() % 2 ? 64 : 32) * MiB;

        for (int round = 0; round < 12; round++) {
            uint64_t lo[16], tg[16];
            for (unsigned i = 1; i <= n; i++) {
                xres_domain *d = &h.domains[i];
                d->agent.mem_used_kb = d->target_kb * (rand() % 120) / 100;
                lo[i] = d->mem_policy.min_kb;
                tg[i] = d->target_kb;
            }
            xres_mem_plan plan;
            char err[160];
            xres_mem_plan_init(&plan);
            ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
            xres_actions_clear(&acts);
            ck_assert_int_eq(xres_mem_plan_actions(&plan, &P, &acts), 0);
            uint64_t claims0 = mt_guest_claims(&h);
            for (size_t k = 0; k < acts.n; k++) {
                xres_action *a = &acts.v[k];
                xres_domain *d = xres_host_find(&h, a->domid);
                ck_assert_msg(mt_apply(&h, &P, a, err, sizeof(err)),
                              "seed %u: %s", seed, err);
                ck_assert_uint_ne(a->domid, 0);
                ck_assert(d->feature_balloon);
                if (a->kind == XRES_ACT_SET_TARGET) {
                    /* below min only if it started there and went up */
                    ck_assert(d->target_kb >= lo[d->domid] ||
                              d->target_kb > tg[d->domid]);
                    ck_assert_uint_le(d->target_kb, xres_mem_max_of(d));
                }
                xres_mem_account ac;
                xres_mem_account_of(&h, &P, &ac);
                ck_assert(mt_conserved(&h, &P));
                ck_assert_int_ge(ac.spare_kb, 0);
                ck_assert_uint_le(mt_guest_claims(&h),
                                  claims0 + 4 * 64 * MiB);
            }
            uint64_t cur = 0;
            for (size_t i = 0; i < h.nr_domains; i++)
                cur += h.domains[i].cur_kb;
            ck_assert_uint_eq(cur + h.free_kb, h.total_kb);
            xres_mem_plan_dispose(&plan);
        }
        xres_actions_dispose(&acts);
        xres_host_dispose(&h);
    }
}
END_TEST

/* A guest that swaps: MemTotal - MemAvailable stops near the top (993 of
 * 1024 MiB), and 600 MiB are in swap.  Its demand is 1593 MiB, so it takes
 * the fewest 64 MiB blocks that bring 1593 below 90 %: 12 (to 1792 MiB),
 * from free memory, in one round.  Once the guest has swapped back in
 * (1593 used, no swap) it is not deficient: nothing more moves.  Seen
 * without its swap it would have taken 2 blocks (to 1152 MiB), and more
 * round after round as it swapped in. */
START_TEST(test_swapping_guest_served_in_one_round)
{
    xres_host h;
    xres_mem_plan plan;
    xres_actions acts;
    xres_domain *d;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    d = mt_add(&h, 1, "swapper", 1024, 993, 4096);
    d->agent.swap_used_kb = 600 * MiB;
    mt_set_free(&h, P.reserve_kb + 2048 * MiB);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src, XRES_DOMID_INVALID);
    ck_assert_uint_eq(plan.v[0].dst, 1);
    ck_assert_uint_eq(plan.v[0].kb, 768 * MiB);
    ck_assert_uint_eq(plan.v[0].dst_to, 1792 * MiB);
    xres_mem_plan_dispose(&plan);

    /* Carried out on the model: the guest holds 1792 MiB. */
    xres_actions_init(&acts);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_int_eq(xres_mem_plan_actions(&plan, &P, &acts), 0);
    for (size_t i = 0; i < acts.n; i++) {
        char err[160];
        ck_assert_msg(mt_apply(&h, &P, &acts.v[i], err, sizeof(err)),
                      "action %zu: %s", i, err);
        ck_assert(mt_conserved(&h, &P));
    }
    xres_mem_plan_dispose(&plan);
    d = xres_host_find(&h, 1);
    ck_assert_uint_eq(d->target_kb, 1792 * MiB);
    ck_assert_uint_eq(d->cur_kb, 1792 * MiB);
    /* Swapped back in: served, nothing moves. */
    d->agent.mem_used_kb = 1593 * MiB;
    d->agent.swap_used_kb = 0;
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 0);
    xres_mem_plan_dispose(&plan);
    xres_actions_dispose(&acts);
    xres_host_dispose(&h);
}
END_TEST

/* The same guest with no swap in use is served as before: 993 of 1024 MiB
 * used, 2 blocks (to 1152 MiB). */
START_TEST(test_guest_not_swapping_unchanged)
{
    xres_host h;
    xres_mem_plan plan;

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    mt_add(&h, 1, "steady", 1024, 993, 4096);
    mt_set_free(&h, P.reserve_kb + 2048 * MiB);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].src, XRES_DOMID_INVALID);
    ck_assert_uint_eq(plan.v[0].dst, 1);
    ck_assert_uint_eq(plan.v[0].kb, 128 * MiB);
    ck_assert_uint_eq(plan.v[0].dst_to, 1152 * MiB);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

/* A guest's swap figure is bounded: 100 GiB of claimed swap lifts the
 * guest to its max and no further, 4096 MiB (its static max), then 2048
 * MiB under a policy max. */
START_TEST(test_swap_demand_bounded_by_max)
{
    xres_host h;
    xres_mem_plan plan;
    xres_domain *d;

    ck_assert_uint_eq(mem_swap_demand(993 * MiB, 600 * MiB, 4096 * MiB),
                      600 * MiB);
    ck_assert_uint_eq(mem_swap_demand(993 * MiB, 102400 * MiB, 4096 * MiB),
                      3103 * MiB);
    ck_assert_uint_eq(mem_swap_demand(4096 * MiB, 600 * MiB, 4096 * MiB), 0);

    xres_host_init(&h);
    mt_add(&h, 0, "Domain-0", 512, 0, 512);
    d = mt_add(&h, 1, "liar", 1024, 993, 4096);
    d->agent.swap_used_kb = 102400 * MiB;
    mt_set_free(&h, P.reserve_kb + 8192 * MiB);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].kb, 3072 * MiB);
    ck_assert_uint_eq(plan.v[0].dst_to, 4096 * MiB);
    xres_mem_plan_dispose(&plan);

    d->mem_policy.max_kb = 2048 * MiB;
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_uint_eq(plan.n, 1);
    ck_assert_uint_eq(plan.v[0].kb, 1024 * MiB);
    ck_assert_uint_eq(plan.v[0].dst_to, 2048 * MiB);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
}
END_TEST

START_TEST(test_params_check)
{
    char err[120];

    ck_assert_int_eq(xres_mem_params_check(&P, err, sizeof(err)), 0);
    P.low = 0.95;
    ck_assert_int_eq(xres_mem_params_check(&P, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "mem_high must be above mem_low and at most 1");
}
END_TEST

Suite *policy_mem_suite(void)
{
    Suite *s = suite_create("policy_mem");
    TCase *tc = tcase_create("policy");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_three_vm_example);
    tcase_add_test(tc, test_receiver_raise_needs_donor_release);
    tcase_add_test(tc, test_load_reverses);
    tcase_add_test(tc, test_quiet_between_thresholds);
    tcase_add_test(tc, test_fixed_domains_never_asked);
    tcase_add_test(tc, test_priority_and_donor_order);
    tcase_add_test(tc, test_free_memory_above_reserve);
    tcase_add_test(tc, test_guarantee_and_max);
    tcase_add_test(tc, test_donor_keeps_what_is_outside_memtotal);
    tcase_add_test(tc, test_short_shares_by_weight);
    tcase_add_test(tc, test_plan_move_and_set);
    tcase_add_test(tc, test_random_property);
    tcase_add_test(tc, test_swapping_guest_served_in_one_round);
    tcase_add_test(tc, test_guest_not_swapping_unchanged);
    tcase_add_test(tc, test_swap_demand_bounded_by_max);
    tcase_add_test(tc, test_params_check);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
