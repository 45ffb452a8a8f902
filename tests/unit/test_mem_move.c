/*
 * tests/unit/test_mem_move.c: the move state machine on the simulated
 * host, carried out by mem_run.c: donor confirmed before the receiver is
 * raised, the actions run equal to the dry run's list, uncooperative
 * donors, and recovery after the daemon dies in the middle of a move.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "backend_sim.h"
#include "mem_move.h"
#include "mem_run.h"
#include "mem_testlib.h"
#include "policy_mem.h"

static xres_mem_params P;
static xres_backend B;
static uint64_t used_mib[16];
static bool not_responding[16];

/* Records raises of the receiver together with the donor's memory at that
 * instant. */
typedef struct {
    int n_set_target, n_raise_early;
    uint32_t watch_src, watch_dst;
    uint64_t src_to;
    int order[32];          /* domids of SET_TARGET, in order */
} trace;

static trace T;

static int traced_apply(void *opaque, const xres_action *act)
{
    xres_host h;
    (void)opaque;

    if (act->kind == XRES_ACT_SET_TARGET) {
        if (T.n_set_target < 32) T.order[T.n_set_target] = (int)act->domid;
        T.n_set_target++;
        xres_host_init(&h);
        ck_assert_int_eq(B.ops->snapshot(&B, &h), 0);
        if (act->domid == T.watch_dst) {
            xres_domain *s = xres_host_find(&h, T.watch_src);
            if (s && s->cur_kb > T.src_to + P.tolerance_kb) T.n_raise_early++;
        }
        xres_host_dispose(&h);
        return B.ops->set_target(&B, act->domid, act->u.mem.kb);
    }
    if (act->kind == XRES_ACT_SET_MAXMEM)
        return B.ops->set_maxmem(&B, act->domid, act->u.mem.kb);
    if (act->kind == XRES_ACT_WAIT_TARGET) {
        bool there;
        xres_host_init(&h);
        ck_assert_int_eq(B.ops->snapshot(&B, &h), 0);
        xres_domain *d = xres_host_find(&h, act->domid);
        there = d && xres_mem_arrived(d->cur_kb, act->u.mem.kb,
                                      act->u.mem.tol_kb);
        xres_host_dispose(&h);
        return there ? 0 : -EINPROGRESS;
    }
    return -ENOTSUP;
}

/* The moves' steps carried out on the simulated host. */
static const xres_move_runner R = { &B, traced_apply, NULL, NULL };

/* A snapshot as the daemon merges it: agent figures and balloon states. */
static void snap(xres_host *h)
{
    ck_assert_int_eq(B.ops->snapshot(&B, h), 0);
    for (size_t i = 0; i < h->nr_domains; i++) {
        xres_domain *d = &h->domains[i];
        if (!d->domid) continue;
        d->agent.valid = true;
        d->agent.mem_used_kb = used_mib[d->domid] * MiB;
        d->mem_policy.weight = 1;
        d->balloon = not_responding[d->domid] ? XRES_BALLOON_NOT_RESPONDING
                                              : XRES_BALLOON_OK;
    }
}

static void check_accounts(const xres_host *h)
{
    xres_mem_account a;

    xres_mem_account_of(h, &P, &a);
    ck_assert(mt_conserved(h, &P));
    ck_assert_int_ge(a.spare_kb, 0);
}

static uint32_t add(const char *name, uint64_t mib, uint64_t used)
{
    uint32_t id;

    ck_assert_int_eq(xres_sim_add_domain(&B, name, mib * MiB, 2048 * MiB,
                                         &id), 0);
    if (id < 16) used_mib[id] = used;
    return id;
}

static void setup(void)
{
    uint32_t id;

    xres_mem_params_default(&P);
    P.block_kb = 256 * MiB;
    memset(&T, 0, sizeof(T));
    memset(used_mib, 0, sizeof(used_mib));
    memset(not_responding, 0, sizeof(not_responding));
    /* dom0 512 + 3 x 1024 + Xen's 16 + the 64 reserve: nothing spare */
    ck_assert_int_eq(xres_backend_sim_open(&B, (512 + 3072 + 16 + 64) * MiB,
                                           2), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "Domain-0", 512 * MiB,
                                         512 * MiB, &id), 0);
    ck_assert_int_eq(xres_sim_set_reserved_kb(&B, 16 * MiB), 0);
}

static void teardown(void)
{
    xres_backend_dispose(&B);
}

/* Run balance + moves until quiet; advance the sim 100 ms per check.
 * Returns the number of moves that ended. */
static int run(xres_movers *mv, int max_checks)
{
    int ended = 0;

    for (int k = 0; k < max_checks; k++) {
        xres_host h;
        xres_host_init(&h);
        snap(&h);
        check_accounts(&h);
        ended += xres_moves_check(&R, mv, &h, xres_clock_now_ms(xres_sim_clock(&B)));
        if (!mv->n) {
            xres_host_dispose(&h);
            xres_host_init(&h);
            snap(&h);
            for (size_t i = 0; i < h.nr_domains; i++)
                if (xres_movers_busy(mv, h.domains[i].domid))
                    h.domains[i].balloon = XRES_BALLOON_MOVING;
            xres_mem_plan plan;
            xres_mem_plan_init(&plan);
            ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
            for (size_t i = 0; i < plan.n; i++) {
                int rc = xres_moves_start(&R, mv, &h, &plan.v[i], "balance",
                                          xres_clock_now_ms(xres_sim_clock(&B)), NULL);
                ck_assert(rc == 0 || rc == -EBUSY);
            }
            size_t n = plan.n;
            xres_mem_plan_dispose(&plan);
            if (!n && !mv->n) {
                /* let balloons settle */
                xres_host_dispose(&h);
                bool moving = true;
                for (int s = 0; s < 200 && moving; s++) {
                    xres_sim_advance(&B, 100);
                    xres_host_init(&h);
                    snap(&h);
                    moving = false;
                    for (size_t i = 0; i < h.nr_domains; i++)
                        if (h.domains[i].cur_kb != h.domains[i].target_kb)
                            moving = true;
                    xres_host_dispose(&h);
                }
                return ended;
            }
        }
        xres_host_dispose(&h);
        xres_sim_advance(&B, 100);
    }
    return ended;
}

static uint64_t target_of(uint32_t domid)
{
    xres_host h;
    uint64_t t;

    xres_host_init(&h);
    snap(&h);
    t = xres_host_find(&h, domid)->target_kb;
    ck_assert_uint_eq(xres_host_find(&h, domid)->cur_kb, t);
    xres_host_dispose(&h);
    return t;
}

static void mv_init(xres_movers *mv)
{
    xres_movers_init(mv, &P);
}

START_TEST(test_encode_decode)
{
    xres_move a, b;
    char buf[600];

    memset(&a, 0, sizeof(a));
    a.state = XRES_MOVE_LOWERING;
    a.t.src = 2;
    a.t.dst = 1;
    a.t.kb = 262144;
    a.t.src_from = 1048576;
    a.t.src_to = 786432;
    a.t.dst_from = 1048576;
    a.t.dst_to = 1310720;
    a.t.dst_maxmem = 1311744;
    strcpy(a.src_name, "vm 2/x");
    strcpy(a.dst_name, "vm1");
    strcpy(a.origin, "balance");
    ck_assert_int_eq(xres_move_encode(&a, buf, sizeof(buf)), 0);
    ck_assert_int_eq(xres_move_decode(buf, &b), 0);
    ck_assert_str_eq(b.src_name, "vm 2/x");
    ck_assert_uint_eq(b.t.src_to, 786432);
    ck_assert_uint_eq(b.t.dst_maxmem, 1311744);
    ck_assert_int_eq(b.state, XRES_MOVE_LOWERING);

    ck_assert_int_eq(xres_move_decode("garbage", &b), -EINVAL);
    ck_assert_int_eq(xres_move_decode("v1 state=lowering src=2", &b),
                     -EINVAL);
    /* figures that do not add up are refused */
    a.t.src_to = 700000;
    ck_assert_int_eq(xres_move_encode(&a, buf, sizeof(buf)), 0);
    ck_assert_int_eq(xres_move_decode(buf, &b), -EINVAL);
}
END_TEST

START_TEST(test_sim_three_vms)
{
    xres_movers mv;
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);
    uint32_t v3 = add("vm3", 1024, 717);

    T.watch_src = v2;
    T.watch_dst = v1;
    T.src_to = 768 * MiB;
    mv_init(&mv);
    ck_assert_int_eq(run(&mv, 400), 1);
    ck_assert_uint_eq(target_of(v1), 1280 * MiB);
    ck_assert_uint_eq(target_of(v2), 768 * MiB);
    ck_assert_uint_eq(target_of(v3), 1024 * MiB);
    /* donor lowered first, receiver raised only once it had arrived */
    ck_assert_int_eq(T.n_set_target, 2);
    ck_assert_int_eq(T.order[0], (int)v2);
    ck_assert_int_eq(T.order[1], (int)v1);
    ck_assert_int_eq(T.n_raise_early, 0);
    ck_assert_uint_eq(mv.hist_n, 1);
    ck_assert_int_eq(mv.hist[0].result, 0);

    /* the load reverses: memory flows back */
    used_mib[v1] = 300;
    used_mib[v2] = 700;
    T.watch_src = v1;
    T.watch_dst = v2;
    T.src_to = 1024 * MiB;
    ck_assert_int_eq(run(&mv, 400), 1);
    ck_assert_uint_eq(target_of(v1), 1024 * MiB);
    ck_assert_uint_eq(target_of(v2), 1024 * MiB);
    ck_assert_uint_eq(target_of(v3), 1024 * MiB);
    ck_assert_int_eq(T.n_raise_early, 0);

    /* nothing persisted is left behind */
    char **names = NULL;
    unsigned n = 0;
    int rc = B.ops->xs_directory(&B, mt_moves_dir(), &names, &n);
    ck_assert(rc == -ENOENT || (rc == 0 && n == 0));
    free(names);
    xres_movers_dispose(&mv);
}
END_TEST

/* Xen's free memory already under the reserve (a reserve set larger
 * than the host has free): what the donor released is still this move's
 * own, the receiver gets it, and Xen's free memory ends where it was. */
START_TEST(test_donor_release_under_reserve)
{
    xres_movers mv;
    xres_mem_transfer t;
    xres_host h;
    uint64_t free0;
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);

    P.reserve_kb = 2048 * MiB;         /* 1088 MiB are free */
    mv_init(&mv);
    xres_host_init(&h);
    snap(&h);
    free0 = h.free_kb;
    memset(&t, 0, sizeof(t));
    t.src = v2;
    t.dst = v1;
    t.kb = 256 * MiB;
    t.src_from = 1024 * MiB;
    t.src_to = 768 * MiB;
    t.dst_from = 1024 * MiB;
    t.dst_to = 1280 * MiB;
    ck_assert_int_eq(xres_moves_start(&R, &mv, &h, &t, "test",
                                      xres_clock_now_ms(xres_sim_clock(&B)), NULL), 0);
    xres_host_dispose(&h);
    for (int k = 0; k < 400 && mv.n; k++) {
        xres_host_init(&h);
        snap(&h);
        xres_moves_check(&R, &mv, &h, xres_clock_now_ms(xres_sim_clock(&B)));
        xres_host_dispose(&h);
        xres_sim_advance(&B, 100);
    }
    ck_assert_uint_eq(mv.n, 0);
    ck_assert_uint_eq(mv.hist_n, 1);
    ck_assert_int_eq(mv.hist[0].result, 0);
    xres_sim_advance(&B, 20000);
    ck_assert_uint_eq(target_of(v1), 1280 * MiB);
    ck_assert_uint_eq(target_of(v2), 768 * MiB);
    xres_host_init(&h);
    snap(&h);
    ck_assert_uint_eq(h.free_kb, free0);
    xres_host_dispose(&h);
    xres_movers_dispose(&mv);
}
END_TEST

START_TEST(test_uncooperative_donor)
{
    xres_movers mv;
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 100);     /* most underused, but stuck */
    uint32_t v3 = add("vm3", 1024, 300);

    xres_sim_set_balloon_refuses(&B, v2, true);
    mv_init(&mv);
    /* first round: vm2 is asked, does not move, times out */
    for (int k = 0; k < 100 && mv.hist_n == 0; k++) {
        if (k == 0) {
            xres_host h;
            xres_mem_plan plan;
            xres_host_init(&h);
            snap(&h);
            xres_mem_plan_init(&plan);
            ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
            ck_assert_uint_eq(plan.n, 1);
            ck_assert_uint_eq(plan.v[0].src, v2);
            ck_assert_int_eq(xres_moves_start(&R, &mv, &h, &plan.v[0],
                                              "balance", xres_clock_now_ms(xres_sim_clock(&B)),
                                              NULL), 0);
            xres_mem_plan_dispose(&plan);
            xres_host_dispose(&h);
        }
        xres_sim_advance(&B, 500);
        xres_host h;
        xres_host_init(&h);
        snap(&h);
        check_accounts(&h);
        xres_moves_check(&R, &mv, &h, xres_clock_now_ms(xres_sim_clock(&B)));
        xres_host_dispose(&h);
    }
    ck_assert_uint_eq(mv.hist_n, 1);
    ck_assert_int_eq(mv.hist[0].result, -ETIMEDOUT);
    ck_assert(mv.hist[0].donor_not_responding);
    /* its target went back to where its memory is; vm1 was not raised */
    ck_assert_uint_eq(target_of(v2), 1024 * MiB);
    ck_assert_uint_eq(target_of(v1), 1024 * MiB);

    /* the daemon marks it; the receiver is served by vm3 */
    not_responding[v2] = true;
    ck_assert_int_eq(run(&mv, 400), 1);
    ck_assert_uint_eq(target_of(v1), 1280 * MiB);
    ck_assert_uint_eq(target_of(v3), 768 * MiB);
    ck_assert_uint_eq(target_of(v2), 1024 * MiB);
    xres_movers_dispose(&mv);
}
END_TEST

/* The daemon dies with the donor half-way: a new one takes over. */
START_TEST(test_recover_mid_lowering)
{
    xres_movers mv, mv2;
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);
    add("vm3", 1024, 717);
    xres_host h;
    xres_mem_plan plan;

    mv_init(&mv);
    xres_host_init(&h);
    snap(&h);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_balance(&h, &P, &plan), 0);
    ck_assert_int_eq(xres_moves_start(&R, &mv, &h, &plan.v[0], "balance",
                                      xres_clock_now_ms(xres_sim_clock(&B)), NULL), 0);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
    xres_sim_advance(&B, 2000);              /* half of 256 MiB at 64M/s */
    /* kill -9: the in-memory state is gone, XenStore stays */
    xres_movers_dispose(&mv);

    mv_init(&mv2);
    xres_host_init(&h);
    snap(&h);
    ck_assert_int_eq(xres_moves_recover(&R, &mv2, &h, xres_clock_now_ms(xres_sim_clock(&B))), 1);
    ck_assert_uint_eq(mv2.n, 1);
    ck_assert_int_eq(mv2.v[0].state, XRES_MOVE_LOWERING);
    ck_assert(mv2.v[0].recovered);
    xres_host_dispose(&h);
    T.watch_src = v2;
    T.watch_dst = v1;
    T.src_to = 768 * MiB;
    ck_assert_int_eq(run(&mv2, 400), 1);
    ck_assert_uint_eq(target_of(v1), 1280 * MiB);
    ck_assert_uint_eq(target_of(v2), 768 * MiB);
    ck_assert_int_eq(T.n_raise_early, 0);
    xres_movers_dispose(&mv2);
}
END_TEST

/* Crash windows around the raise: the record says RAISING, the receiver
 * may or may not have been raised; recovering twice must not add twice. */
START_TEST(test_recover_raising_idempotent)
{
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);
    xres_move rec;
    char buf[600];

    /* donor lowered and arrived before the crash */
    ck_assert_int_eq(B.ops->set_target(&B, v2, 768 * MiB), 0);
    xres_sim_advance(&B, 5000);
    memset(&rec, 0, sizeof(rec));
    rec.state = XRES_MOVE_RAISING;
    rec.t.src = v2;
    rec.t.dst = v1;
    rec.t.kb = 256 * MiB;
    rec.t.src_from = 1024 * MiB;
    rec.t.src_to = 768 * MiB;
    rec.t.dst_from = 1024 * MiB;
    rec.t.dst_to = 1280 * MiB;
    rec.t.dst_maxmem = 1280 * MiB + 1024;
    strcpy(rec.src_name, "vm2");
    strcpy(rec.dst_name, "vm1");
    strcpy(rec.origin, "balance");
    ck_assert_int_eq(xres_move_encode(&rec, buf, sizeof(buf)), 0);
    ck_assert_int_eq(B.ops->xs_write(&B, mt_move_path(7), buf,
                                     strlen(buf)), 0);

    for (int round = 0; round < 2; round++) {
        xres_movers mv;
        xres_host h;
        if (round == 1) {
            /* as if the second daemon died after raising but before
             * removing the record */
            ck_assert_int_eq(B.ops->xs_write(&B, mt_move_path(7),
                                             buf, strlen(buf)), 0);
        }
        mv_init(&mv);
        xres_host_init(&h);
        snap(&h);
        ck_assert_int_eq(xres_moves_recover(&R, &mv, &h,
                                            xres_clock_now_ms(xres_sim_clock(&B))), 1);
        ck_assert_uint_ge(mv.next_id, 8);
        ck_assert_int_eq(xres_moves_check(&R, &mv, &h, xres_clock_now_ms(xres_sim_clock(&B))), 1);
        ck_assert_int_eq(mv.hist[0].result, 0);
        xres_host_dispose(&h);
        xres_movers_dispose(&mv);
        xres_sim_advance(&B, 5000);
        ck_assert_uint_eq(target_of(v1), 1280 * MiB);
        ck_assert_uint_eq(target_of(v2), 768 * MiB);
    }
}
END_TEST

/* Crash between the record and the donor's target: recovery lowers it. */
START_TEST(test_recover_before_lowering)
{
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);
    xres_move rec;
    xres_movers mv;
    xres_host h;
    char buf[600];

    memset(&rec, 0, sizeof(rec));
    rec.state = XRES_MOVE_LOWERING;
    rec.t.src = v2;
    rec.t.dst = v1;
    rec.t.kb = 256 * MiB;
    rec.t.src_from = 1024 * MiB;
    rec.t.src_to = 768 * MiB;
    rec.t.dst_from = 1024 * MiB;
    rec.t.dst_to = 1280 * MiB;
    strcpy(rec.src_name, "vm2");
    strcpy(rec.dst_name, "vm1");
    strcpy(rec.origin, "mem-move");
    ck_assert_int_eq(xres_move_encode(&rec, buf, sizeof(buf)), 0);
    ck_assert_int_eq(B.ops->xs_write(&B, mt_move_path(3), buf,
                                     strlen(buf)), 0);
    /* and a record that is garbage: removed, not fatal */
    ck_assert_int_eq(B.ops->xs_write(&B, mt_move_path(4), "junk", 4),
                     0);
    mv_init(&mv);
    xres_host_init(&h);
    snap(&h);
    ck_assert_int_eq(xres_moves_recover(&R, &mv, &h, xres_clock_now_ms(xres_sim_clock(&B))), 1);
    xres_host_dispose(&h);
    ck_assert_int_eq(T.n_set_target, 1);
    ck_assert_int_eq(T.order[0], (int)v2);
    for (int k = 0; k < 100 && mv.n; k++) {
        xres_sim_advance(&B, 100);
        xres_host_init(&h);
        snap(&h);
        check_accounts(&h);
        xres_moves_check(&R, &mv, &h, xres_clock_now_ms(xres_sim_clock(&B)));
        xres_host_dispose(&h);
    }
    ck_assert_uint_eq(mv.n, 0);
    xres_sim_advance(&B, 5000);
    ck_assert_uint_eq(target_of(v1), 1280 * MiB);
    ck_assert_uint_eq(target_of(v2), 768 * MiB);
    char *val = NULL;
    ck_assert_int_eq(B.ops->xs_read(&B, mt_move_path(4), &val, NULL),
                     -ENOENT);
    xres_movers_dispose(&mv);
}
END_TEST

/* Every action carried out with 0, in order. */
static xres_actions Done;

static int recording_apply(void *opaque, const xres_action *act)
{
    int rc = traced_apply(opaque, act);

    if (!rc) ck_assert_int_eq(xres_actions_push(&Done, act), 0);
    return rc;
}

/* The line `--dry-run' prints, without the comment after " # ". */
static void op_line(const xres_action *a, char *buf, size_t len)
{
    char *hash;

    xres_action_format(a, buf, len);
    if ((hash = strstr(buf, " # "))) *hash = 0;
}

/* A plan run both ways: the dry run's list (xres_mem_plan_actions) and
 * what the actuator carried out for the move are the same list. */
START_TEST(test_dry_run_is_what_runs)
{
    const xres_move_runner rec = { &B, recording_apply, NULL, NULL };
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);
    xres_actions dry, labelled;
    xres_mem_plan plan;
    xres_movers mv;
    xres_host h;
    char err[200], a[160], b[160];

    xres_actions_init(&Done);
    xres_actions_init(&dry);
    xres_actions_init(&labelled);
    mv_init(&mv);
    xres_host_init(&h);
    snap(&h);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, v2, v1, 256 * MiB, &plan,
                                        err, sizeof(err)), 0);
    ck_assert_int_eq(xres_mem_plan_actions(&plan, &P, &dry), 0);
    ck_assert_uint_eq(dry.n, 4);
    ck_assert_int_eq(xres_moves_start(&rec, &mv, &h, &plan.v[0], "mem-move",
                                      xres_clock_now_ms(xres_sim_clock(&B)), NULL), 0);
    xres_host_dispose(&h);
    for (int k = 0; k < 100 && mv.n; k++) {
        xres_sim_advance(&B, 100);
        xres_host_init(&h);
        snap(&h);
        xres_moves_check(&rec, &mv, &h, xres_clock_now_ms(xres_sim_clock(&B)));
        xres_host_dispose(&h);
    }
    ck_assert_uint_eq(mv.n, 0);
    ck_assert_int_eq(mv.hist[0].result, 0);
    ck_assert_uint_eq(Done.n, dry.n);
    for (size_t i = 0; i < dry.n; i++) {
        ck_assert_int_eq(Done.v[i].kind, dry.v[i].kind);
        ck_assert_uint_eq(Done.v[i].domid, dry.v[i].domid);
        ck_assert_uint_eq(Done.v[i].u.mem.kb, dry.v[i].u.mem.kb);
        ck_assert_uint_eq(Done.v[i].u.mem.tol_kb, dry.v[i].u.mem.tol_kb);
        op_line(&Done.v[i], a, sizeof(a));
        op_line(&dry.v[i], b, sizeof(b));
        ck_assert_str_eq(a, b);
    }
    op_line(&Done.v[3], a, sizeof(a));
    ck_assert_str_eq(a, "set-target dom1 1310720KiB");
    xres_action_format(&Done.v[0], a, sizeof(a));
    ck_assert_str_eq(a, "set-target dom2 786432KiB # move 1 (mem-move): "
                     "lower donor");
    xres_action_format(&dry.v[0], b, sizeof(b));
    ck_assert_str_eq(b, "set-target dom2 786432KiB # mem-move: give "
                     "262144KiB");
    /* the move's own list is the same, labelled */
    ck_assert_int_eq(xres_move_actions(&mv.hist[0], &P, &labelled), 0);
    ck_assert_uint_eq(labelled.n, 4);
    xres_action_format(&labelled.v[1], a, sizeof(a));
    ck_assert_str_eq(a, "wait-target dom2 786432KiB # move 1 (mem-move): "
                     "donor released");
    xres_action_format(&labelled.v[2], a, sizeof(a));
    ck_assert_str_eq(a, "set-maxmem dom1 1311744KiB # move 1 (mem-move): "
                     "room for the raise");
    xres_actions_dispose(&labelled);
    xres_actions_dispose(&dry);
    xres_actions_dispose(&Done);
    xres_mem_plan_dispose(&plan);
    xres_movers_dispose(&mv);
}
END_TEST

START_TEST(test_busy_domain_refused)
{
    xres_movers mv;
    uint32_t v1 = add("vm1", 1024, 1024);
    uint32_t v2 = add("vm2", 1024, 410);
    uint32_t v3 = add("vm3", 1024, 100);
    xres_host h;
    xres_mem_plan plan;
    char err[200];

    mv_init(&mv);
    xres_host_init(&h);
    snap(&h);
    xres_mem_plan_init(&plan);
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, v2, v1, 64 * MiB, &plan,
                                        err, sizeof(err)), 0);
    ck_assert_int_eq(xres_mem_plan_move(&h, &P, v3, v1, 64 * MiB, &plan,
                                        err, sizeof(err)), 0);
    ck_assert_int_eq(xres_moves_start(&R, &mv, &h, &plan.v[0], "mem-move",
                                      0, NULL), 0);
    ck_assert(xres_movers_busy(&mv, v1));
    ck_assert(xres_movers_busy(&mv, v2));
    ck_assert(!xres_movers_busy(&mv, v3));
    ck_assert_int_eq(xres_moves_start(&R, &mv, &h, &plan.v[1], "mem-move",
                                      0, NULL), -EBUSY);
    xres_mem_plan_dispose(&plan);
    xres_host_dispose(&h);
    xres_movers_dispose(&mv);
}
END_TEST

Suite *mem_move_suite(void)
{
    Suite *s = suite_create("mem_move");
    TCase *tc = tcase_create("moves");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_encode_decode);
    tcase_add_test(tc, test_sim_three_vms);
    tcase_add_test(tc, test_uncooperative_donor);
    tcase_add_test(tc, test_donor_release_under_reserve);
    tcase_add_test(tc, test_recover_mid_lowering);
    tcase_add_test(tc, test_recover_raising_idempotent);
    tcase_add_test(tc, test_recover_before_lowering);
    tcase_add_test(tc, test_busy_domain_refused);
    tcase_add_test(tc, test_dry_run_is_what_runs);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
