/*
 * tests/unit/test_relocate.c: the relocation off a host in conflict
 * (relocate.h), with the patent's rules and figures (docs/xres-cluster.md,
 * "Conflicts"): the busiest domain, priority and weights, domains that
 * may not move and why, the hold-down, the destination with the most free
 * capacity, one refused when free <= use, the coefficient, power saving,
 * no host with one warning; then two hosts in conflict that want the one
 * destination with room for one domain, on the in-process group model
 * with a cluster view each: exactly one move, in every mode.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conflict_testlib.h"
#include "group_model.h"

static xres_cluster_figures hosts[4];
static xres_conflict_state cst;
static xres_conflict_result res;
static xres_conflict_params cp;
static xres_relocate_params rp;
static xres_relocate_state rst;
static xres_relocate_out out;

static void setup(void)
{
    memset(hosts, 0, sizeof(hosts));
    xres_conflict_state_init(&cst);
    xres_relocate_state_init(&rst);
    xres_conflict_params_default(&cp);
    xres_relocate_params_default(&rp);
    cp.tvm = XRES_TVM_STATIC;
    cp.tvm_value = 20;
    cp.sustain = 1;
    rp.on = true;
}

/* Source a (node 1, one CPU at 90%): g1 50%, g2 30%, g3 5%. */
static void source_a(void)
{
    ct_host(&hosts[0], "a", 1, 1, 90, 50);
    ct_dom(&hosts[0], "g1", 50, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "g2", 30, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[0], "g3", 5, 1 << 20, XRES_CMOVE_MOVABLE);
}

/* source_a, and b (node 2) and c (node 3) with cpus and use each: a's
 * g1. */
static const xres_cluster_dom *source_and_two(unsigned b_cpus, unsigned b_use,
                                              unsigned c_cpus, unsigned c_use)
{
    source_a();
    ct_host(&hosts[1], "b", 2, b_cpus, b_use, 50);
    ct_host(&hosts[2], "c", 3, c_cpus, c_use, 50);
    return &hosts[0].doms[0];
}

static const xres_cluster_dom *pick(uint64_t now)
{
    memset(&out, 0, sizeof(out));
    return xres_relocate_pick_dom(&cst, &cp, &rp, &hosts[0], NULL, now, &out);
}

static const char *pick_host(size_t n, const xres_cluster_dom *d, char *why)
{
    xres_conflict_obs o;
    const xres_cluster_figures *f;

    ct_obs(&o, 1, hosts, n);
    xres_conflict_step(&cst, &cp, &o, 0, &res);
    f = xres_relocate_pick_host(&rst, &cp, &rp, &o, &res, &hosts[0], d, NULL,
                                why, 160);
    return f ? f->host : NULL;
}

START_TEST(the_busiest_domain_goes_unless_priority_or_weights_say)
{
    /* ¶78: the domain with the highest CPU use: g1 (50%). */
    source_a();
    ck_assert_str_eq(pick(0)->name, "g1");
    ck_assert_uint_eq(out.nskip, 0);
    /* ¶84: a priority: g2's 5 beats g1's 0. */
    rp.choose = XRES_CHOOSE_PRIORITY;
    rp.nprio = 1;
    snprintf(rp.prio[0].name, sizeof(rp.prio[0].name), "g2");
    rp.prio[0].value = 5;
    ck_assert_str_eq(pick(0)->name, "g2");
    /* ¶85: 1 x cpu + 0 x mem + 10 x priority x 100: g1 = 5000, g2 = 3000
     * + 10 x 5 x 100 = 8000. */
    rp.choose = XRES_CHOOSE_WEIGHTED;
    rp.w_cpu = 1;
    rp.w_mem = 0;
    rp.w_prio = 10;
    ck_assert_str_eq(pick(0)->name, "g2");
    rp.w_prio = 0;                  /* g1 5000 > g2 3000 */
    ck_assert_str_eq(pick(0)->name, "g1");
}
END_TEST

START_TEST(domains_that_may_not_move_are_skipped_with_reasons)
{
    source_a();
    hosts[0].doms[0].movable = XRES_CMOVE_PINNED;
    hosts[0].doms[1].movable = XRES_CMOVE_PAIR;
    ct_dom(&hosts[0], "g4", 60, 1 << 20, XRES_CMOVE_NOT_MIGRATABLE);
    ct_dom(&hosts[0], "g5", 70, 1 << 20, XRES_CMOVE_UNKNOWN);
    ck_assert_str_eq(pick(0)->name, "g3");
    ck_assert_uint_eq(out.nskip, 4);
    ck_assert_str_eq(out.skip[0].dom, "g1");
    ck_assert_str_eq(out.skip[0].why, "pinned to its host");
    ck_assert_str_eq(out.skip[1].why, "one of a hot-standby pair");
    ck_assert_str_eq(out.skip[2].dom, "g4");
    ck_assert_str_eq(out.skip[2].why,
                     "not a Pacemaker resource that may migrate");
    ck_assert_str_eq(out.skip[3].why, "not known to be movable");
    hosts[0].doms[2].movable = XRES_CMOVE_PINNED;
    ck_assert_ptr_null(pick(0));
}
END_TEST

START_TEST(a_domain_that_moved_is_held_down)
{
    source_a();
    xres_conflict_record_move(&cst, "g1", 2, 1, 1000000);
    ck_assert_str_eq(pick(1060000)->name, "g2");
    ck_assert_uint_eq(out.nskip, 1);
    ck_assert_str_eq(out.skip[0].why, "moved 60s ago (hold-down 600s)");
    ck_assert_str_eq(pick(1599999)->name, "g2");
    ck_assert_str_eq(pick(1600000)->name, "g1");
}
END_TEST

START_TEST(the_destination_has_the_most_free_capacity_and_room)
{
    char why[160];
    const xres_cluster_dom *g1;

    /* ¶79: free = 100 - total: b 70%, c 50%: b.  ¶80: it must exceed the
     * domain's use (g1 50%). */
    g1 = source_and_two(1, 30, 1, 50);
    ck_assert_str_eq(pick_host(3, g1, why), "b");
    /* b at 50%: free 50% is not over 50%; c at 60%: 40%.  None. */
    hosts[1].cpu_use_pct = 50;
    hosts[2].cpu_use_pct = 60;
    ck_assert_ptr_null(pick_host(3, g1, why));
    ck_assert_str_eq(why, "b: free cpu 50.00% <= 50.00%; "
                     "c: free cpu 40.00% <= 50.00%");
    /* b at 49%: 51% > 50%. */
    hosts[1].cpu_use_pct = 49;
    ck_assert_str_eq(pick_host(3, g1, why), "b");
    /* Memory: b has 512 MiB free, g1 needs 1 GiB. */
    hosts[1].mem_free_kb = 512 << 10;
    ck_assert_ptr_null(pick_host(2, g1, why));
    ck_assert_str_eq(why, "b: free memory 524288K < 1048576K");
    /* Memory checked as a resource: 16 GiB at 97% leaves 3.00%, and g1's
     * 1 GiB is 6.25% of it. */
    hosts[1].mem_free_kb = 8ULL << 20;
    hosts[1].mem_use_pct = 97;
    cp.resources = XRES_RES_BOTH;
    ck_assert_ptr_null(pick_host(2, g1, why));
    ck_assert_str_eq(why, "b: free mem 3.00% <= 6.25%");
    /* A host in conflict itself is no destination. */
    cp.resources = XRES_RES_BIT(XRES_RES_CPU);
    hosts[1].cpu_use_pct = 85;
    ct_dom(&hosts[1], "h1", 40, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&hosts[1], "h2", 30, 1 << 20, XRES_CMOVE_MOVABLE);
    ck_assert_ptr_null(pick_host(2, g1, why));
    ck_assert_str_eq(why, "b: in conflict itself");
}
END_TEST

START_TEST(a_coefficient_weighs_a_host)
{
    char why[160];
    const xres_cluster_dom *g1;

    /* ¶89: b has one CPU, c two; both 80% free.  A tie goes to the lower
     * node (b); with c's coefficient 2, c scores 80 x 2 = 160. */
    g1 = source_and_two(1, 20, 2, 20);
    ck_assert_str_eq(pick_host(3, g1, why), "b");
    rp.ncoef = 1;
    snprintf(rp.coef[0].name, sizeof(rp.coef[0].name), "c");
    rp.coef[0].value = 2000;
    ck_assert_str_eq(pick_host(3, g1, why), "c");
    ck_assert_uint_eq(xres_relocate_coef(&rp, "b"), 1000);
    /* g1's 50% of one CPU is 25% of c's two. */
    ck_assert_uint_eq(xres_conflict_dom_use(&hosts[2], g1, XRES_RES_CPU),
                      2500);
}
END_TEST

START_TEST(power_saving_prefers_hosts_that_run_guests)
{
    char why[160];
    const xres_cluster_dom *g1;

    /* ¶90: b runs nothing (100% free), c runs one guest (50% free). */
    g1 = source_and_two(1, 0, 1, 45);
    ct_dom(&hosts[2], "c1", 40, 1 << 20, XRES_CMOVE_MOVABLE);
    ck_assert_str_eq(pick_host(3, g1, why), "b");
    rp.power_saving = true;
    ck_assert_str_eq(pick_host(3, g1, why), "c");
    /* c full: the empty b after all. */
    hosts[2].cpu_use_pct = 60;
    ck_assert_str_eq(pick_host(3, g1, why), "b");
}
END_TEST

/* One interval of host 1's policies over the first n hosts. */
static void step(size_t n, uint32_t self, uint64_t now)
{
    xres_conflict_obs o;

    ct_obs(&o, self, hosts, n);
    xres_conflict_step(&cst, &cp, &o, now, &res);
    xres_relocate_step(&rst, &cst, &cp, &rp, &o, &res, now, &out);
}

START_TEST(no_host_no_move_and_one_warning)
{
    source_a();
    ct_host(&hosts[1], "b", 2, 1, 60, 50);
    step(2, 1, 0);
    ck_assert(!out.move && !out.request);
    ck_assert_str_eq(out.warn, "a: no host can take g1: b: free cpu 40.00% "
                     "<= 50.00%");
    hosts[0].seq = hosts[1].seq = 2;
    step(2, 1, 10000);
    ck_assert_str_eq(out.warn, "");             /* said once */
    hosts[0].seq = hosts[1].seq = 3;
    hosts[1].cpu_use_pct = 40;                  /* room now: ask for b */
    step(2, 1, 20000);
    ck_assert(out.request);
    ck_assert_str_eq(out.request_lock, "dest:b");
    ck_assert_int_eq(rst.phase, XRES_RELOC_LOCKING);
    /* relocate off: the request is withdrawn. */
    rp.on = false;
    step(2, 1, 30000);
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_str_eq(out.release[0], "dest:b");
    ck_assert_int_eq(rst.phase, XRES_RELOC_IDLE);
}
END_TEST

/* One interval of host self over the first n hosts, lock held by holder
 * (none: 0). */
static void step_held(size_t n, uint32_t self, uint64_t now, const char *lock,
                      uint32_t holder)
{
    xres_conflict_obs o;

    ct_obs(&o, self, hosts, n);
    if (holder) {
        o.nlocks = 1;
        snprintf(o.locks[0].name, sizeof(o.locks[0].name), "%s", lock);
        o.locks[0].holder = holder;
    }
    xres_conflict_step(&cst, &cp, &o, now, &res);
    xres_relocate_step(&rst, &cst, &cp, &rp, &o, &res, now, &out);
}

START_TEST(central_mode_one_decider_and_a_move_that_settles)
{
    source_a();
    ct_host(&hosts[1], "b", 2, 1, 20, 50);
    cp.mode = XRES_CMODE_CENTRAL;
    step(2, 2, 0);                  /* b is not the decider (1 is) */
    ck_assert(!out.move && !out.request && !out.warn[0]);
    step(2, 1, 0);                  /* the decider asks for b's lock */
    ck_assert(!out.move && out.request);
    ck_assert_str_eq(out.request_lock, "dest:b");
    hosts[0].seq = hosts[1].seq = 2;
    step_held(2, 1, 5000, "dest:b", 1);
    ck_assert(out.move && !out.request);
    ck_assert_str_eq(out.dom, "g1");
    ck_assert_str_eq(out.host, "b");
    ck_assert_str_eq(out.why, "a in conflict (cpu 90.00%, mem 50.00%, 1 "
                     "intervals): g1 to b");
    hosts[0].seq = hosts[1].seq = 3;
    step_held(2, 1, 10000, "dest:b", 1);    /* moving: nothing new */
    ck_assert(!out.move);
    {
        xres_conflict_obs o;
        ct_obs(&o, 1, hosts, 2);
        xres_relocate_done(&rst, &cst, &o, 0, 15000, &out);
    }
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_str_eq(out.release[0], "dest:b");
    ck_assert_int_eq(rst.phase, XRES_RELOC_IDLE);
    /* g1 is held down; a's count started again; a and b settle. */
    hosts[0].seq = hosts[1].seq = 4;
    step(2, 1, 20000);
    ck_assert(!out.move);
    ck_assert_uint_eq(res.h[0].run, 1);
    ck_assert_uint_eq(rst.nsettle, 2);
}
END_TEST

/* Node 3 decided while nodes 1 and 2 were away and is moving g1 from a
 * into b under the lock dest:b.  Node 1 joins and is the decider now: it
 * finds a still in conflict and b free, asks for b's lock, sees node 3
 * hold it and withdraws; no second move into b. */
START_TEST(central_mode_a_new_decider_does_not_move_into_a_locked_host)
{
    source_a();
    ct_host(&hosts[1], "b", 2, 1, 20, 50);
    cp.mode = XRES_CMODE_CENTRAL;
    step_held(2, 1, 0, "dest:b", 3);
    ck_assert(!out.move && out.request);
    ck_assert_str_eq(out.request_lock, "dest:b");
    hosts[0].seq = hosts[1].seq = 2;
    step_held(2, 1, 10000, "dest:b", 3);
    ck_assert(!out.move && !out.request);
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_str_eq(out.release[0], "dest:b");
    ck_assert_int_eq(rst.phase, XRES_RELOC_IDLE);
    /* b settles until it has sent two new figures: still no move. */
    hosts[0].seq = hosts[1].seq = 3;
    step_held(2, 1, 20000, "dest:b", 3);
    ck_assert(!out.move && !out.request);
}
END_TEST

/* One interval of host 1 over three hosts, a lock's holder set by hand. */
static void step_locks(uint64_t now, const char *lock, uint32_t holder)
{
    step_held(3, 1, now, lock, lock ? holder : 0);
}

START_TEST(decentralised_retries_without_the_host_it_failed_to_lock)
{
    /* ¶129, ¶132: b (70% free) is locked by node 9; the source withdraws
     * and asks at once for c (60% free); ¶133: it releases after the
     * move. */
    source_a();
    ct_host(&hosts[1], "b", 2, 1, 30, 50);
    ct_host(&hosts[2], "c", 3, 1, 40, 50);
    cp.mode = XRES_CMODE_DECENTRAL;
    step_locks(0, NULL, 0);
    ck_assert(out.request);
    ck_assert_str_eq(out.request_lock, "dest:b");
    step_locks(1000, NULL, 0);      /* not delivered yet: wait */
    ck_assert(!out.request && !out.nrelease && !out.move);
    step_locks(2000, "dest:b", 9);
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_str_eq(out.release[0], "dest:b");
    ck_assert(out.request);
    ck_assert_str_eq(out.request_lock, "dest:c");
    step_locks(3000, "dest:c", 1);
    ck_assert(out.move);
    ck_assert_str_eq(out.host, "c");
    ck_assert_str_eq(out.dom, "g1");
    {
        xres_conflict_obs o;
        ct_obs(&o, 1, hosts, 3);
        xres_relocate_done(&rst, &cst, &o, -EIO, 4000, &out);
    }
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_str_eq(out.release[0], "dest:c");
    ck_assert_str_eq(out.warn, "moving g1 to c failed (Input/output error); "
                     "it is held down");
    ck_assert(xres_conflict_held_down(&cst, "g1", rp.hold_down_ms, 5000,
                                      &(uint64_t){0}));
    /* Host mode gives up for the interval instead. */
    xres_relocate_state_init(&rst);
    xres_conflict_state_init(&cst);
    cp.mode = XRES_CMODE_HOST;
    step_locks(10000, NULL, 0);
    ck_assert_str_eq(out.request_lock, "dest:b");
    step_locks(11000, "dest:b", 9);
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert(!out.request);
    ck_assert_int_eq(rst.phase, XRES_RELOC_IDLE);
    /* Next interval b settles (another host moves into it): c.  The lock
     * comes, but the conflict has cleared: no move. */
    step_locks(20000, NULL, 0);
    ck_assert_str_eq(out.request_lock, "dest:c");
    hosts[0].cpu_use_pct = 70;
    hosts[0].seq = 2;
    step_locks(21000, "dest:c", 1);
    ck_assert(!out.move);
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_int_eq(rst.phase, XRES_RELOC_IDLE);
    hosts[0].cpu_use_pct = 90;
    /* A request never delivered times out (30 s). */
    xres_relocate_state_init(&rst);
    xres_conflict_state_init(&cst);
    step_locks(20000, NULL, 0);
    step_locks(49999, NULL, 0);
    ck_assert(!out.nrelease);
    step_locks(50000, NULL, 0);
    ck_assert_uint_eq(out.nrelease, 1);
    ck_assert_int_eq(rst.phase, XRES_RELOC_IDLE);
}
END_TEST

/*----- two sources, one destination, on the group model -----*/

typedef struct {
    xres_group *g;
    xres_cluster_view v;
    xres_cluster_figures fig;
    xres_conflict_state cst;
    xres_relocate_state rst;
    xres_relocate_out out;
    unsigned moves;
    char warn[256];
    unsigned nwarn;
} node;

static node nodes[3];
static xres_group_bus *bus;

static void mcast_msg(node *n, xres_cluster_msg *m)
{
    char *buf;
    size_t len;

    ck_assert_int_eq(xres_cluster_msg_encode(m, &buf, &len), 0);
    ck_assert_int_eq(n->g->ops->mcast(n->g, buf, len), 0);
    free(buf);
}

static void send_lock(node *n, xres_lock_op op, const char *lock)
{
    xres_cluster_msg m;

    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_LOCK;
    m.op = op;
    m.node = n->v.self;
    snprintf(m.lock, sizeof(m.lock), "%s", lock);
    mcast_msg(n, &m);
}

static void send_fig(node *n)
{
    xres_cluster_msg m;

    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_FIGURES;
    n->fig.seq++;
    m.fig = &n->fig;
    mcast_msg(n, &m);
}

static void act_view(node *n, const xres_cview_out *o)
{
    ck_assert_str_eq(o->reject, "");
    if (o->send_grant) send_lock(n, XRES_LOCK_GRANT, o->grant_lock);
}

static void on_deliver(void *ctx, uint32_t from, const void *msg, size_t len)
{
    node *n = ctx;
    xres_cview_out o;

    memset(&o, 0, sizeof(o));
    xres_cview_deliver(&n->v, from, msg, len, 0, &o);
    act_view(n, &o);
}

static void on_confchg(void *ctx, const xres_confchg *c)
{
    node *n = ctx;
    xres_cview_out o;

    memset(&o, 0, sizeof(o));
    xres_cview_confchg(&n->v, c, &o);
    act_view(n, &o);
}

static const xres_group_cbs cbs = { on_deliver, on_confchg };

static void settle_bus(void)
{
    for (int round = 0; round < 10; round++)
        for (unsigned i = 0; i < 3; i++)
            nodes[i].g->ops->dispatch(nodes[i].g);
}

/* What a host's glue does with the policy's answer. */
static void carry_out(node *n, const xres_relocate_out *o)
{
    for (size_t i = 0; i < o->nrelease; i++)
        send_lock(n, XRES_LOCK_RELEASE, o->release[i]);
    if (o->request) send_lock(n, XRES_LOCK_REQUEST, o->request_lock);
    if (o->move) n->moves++;
    if (o->warn[0]) {
        n->nwarn++;
        snprintf(n->warn, sizeof(n->warn), "%s", o->warn);
    }
}

/* Moves dom from a to c in the figures (the move path's part). */
static void move_dom(node *from, node *to, const char *dom)
{
    xres_cluster_figures *f = &from->fig;

    for (size_t i = 0; i < f->ndoms; i++) {
        if (strcmp(f->doms[i].name, dom)) continue;
        to->fig.doms[to->fig.ndoms++] = f->doms[i];
        to->fig.cpu_use_pct += f->doms[i].cpu_pct;
        f->cpu_use_pct -= f->doms[i].cpu_pct;
        f->doms[i] = f->doms[--f->ndoms];
        return;
    }
    ck_abort_msg("%s is not on %s", dom, f->host);
}

/* a (95%: g1 40, g2 30, g3 15) and b (85%: h1 45, h2 30) are in conflict;
 * c (50%: c1 15) has room for either's busiest, not both.  Returns the
 * moves made in all. */
static unsigned race(xres_conflict_mode mode)
{
    static const char *const names[] = { "a", "b", "c" };
    unsigned moves = 0;
    int moving = -1;

    ck_assert_int_eq(xres_group_bus_new(&bus), 0);
    for (unsigned i = 0; i < 3; i++) {
        node *n = &nodes[i];
        xres_group_model_arg arg = { bus, i + 1 };
        memset(n, 0, sizeof(*n));
        xres_cview_init(&n->v, i + 1, 3);
        xres_conflict_state_init(&n->cst);
        xres_relocate_state_init(&n->rst);
        ct_host(&n->fig, names[i], i + 1, 1, 0, 50);
        n->fig.seq = 0;
        ck_assert_int_eq(xres_group_model_open(&arg, &cbs, n, &n->g), 0);
        ck_assert_int_eq(n->g->ops->join(n->g), 0);
    }
    nodes[0].fig.cpu_use_pct = 95;
    ct_dom(&nodes[0].fig, "g1", 40, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&nodes[0].fig, "g2", 30, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&nodes[0].fig, "g3", 15, 1 << 20, XRES_CMOVE_MOVABLE);
    nodes[1].fig.cpu_use_pct = 85;
    ct_dom(&nodes[1].fig, "h1", 45, 1 << 20, XRES_CMOVE_MOVABLE);
    ct_dom(&nodes[1].fig, "h2", 30, 1 << 20, XRES_CMOVE_MOVABLE);
    nodes[2].fig.cpu_use_pct = 50;
    ct_dom(&nodes[2].fig, "c1", 15, 1 << 20, XRES_CMOVE_MOVABLE);
    cp.mode = mode;
    cp.sustain = 2;
    settle_bus();
    for (int round = 0; round < 12; round++) {
        uint64_t now = (uint64_t)round * 10000;
        if (moving >= 0) {          /* the move of the round before ended */
            node *n = &nodes[moving];
            xres_conflict_obs o;
            move_dom(&nodes[n->rst.src - 1], &nodes[n->rst.dst - 1],
                     n->rst.dom);
            xres_conflict_obs_of_view(&n->v, &o);
            xres_relocate_done(&n->rst, &n->cst, &o, 0, now, &n->out);
            carry_out(n, &n->out);
            moving = -1;
        }
        for (unsigned i = 0; i < 3; i++) send_fig(&nodes[i]);
        settle_bus();
        for (unsigned i = 0; i < 3; i++) {
            node *n = &nodes[i];
            xres_conflict_obs o;
            xres_cview_tick(&n->v);
            xres_conflict_obs_of_view(&n->v, &o);
            ck_assert_uint_eq(o.n, 3);
            xres_conflict_step(&n->cst, &cp, &o, now, &res);
            xres_relocate_step(&n->rst, &n->cst, &cp, &rp, &o, &res, now,
                               &n->out);
            carry_out(n, &n->out);
            if (n->out.move) {
                ck_assert_int_eq(moving, -1);
                moving = (int)i;
                moves++;
            }
        }
        settle_bus();
    }
    for (unsigned i = 0; i < 3; i++) {
        nodes[i].g->ops->dispose(nodes[i].g);
        xres_cview_dispose(&nodes[i].v);
    }
    xres_group_bus_free(bus);
    return moves;
}

START_TEST(two_sources_one_destination_host_mode)
{
    /* Both a and b ask for dest:c in the same interval; the group orders
     * a's request first, a holds the lock and moves g1; b withdraws and,
     * with c full after the move, warns once. */
    ck_assert_uint_eq(race(XRES_CMODE_HOST), 1);
    ck_assert_uint_eq(nodes[0].moves, 1);
    ck_assert_uint_eq(nodes[1].moves, 0);
    ck_assert_uint_eq(nodes[0].fig.ndoms, 2);
    ck_assert_uint_eq(nodes[2].fig.ndoms, 2);
    ck_assert_str_eq(nodes[2].fig.doms[1].name, "g1");
    ck_assert_uint_eq(nodes[1].nwarn, 1);
    ck_assert_str_eq(nodes[1].warn, "b: no host can take h1: a: free cpu "
                     "45.00% <= 45.00%; c: free cpu 10.00% <= 45.00%");
}
END_TEST

START_TEST(two_sources_one_destination_decentralised)
{
    /* b fails the lock on c and tries again at once without c: a is in
     * conflict itself, so nothing moves from b. */
    ck_assert_uint_eq(race(XRES_CMODE_DECENTRAL), 1);
    ck_assert_uint_eq(nodes[0].moves, 1);
    ck_assert_uint_eq(nodes[1].moves, 0);
    ck_assert_uint_eq(nodes[1].nwarn, 1);
    ck_assert_str_eq(nodes[1].warn, "b: no host can take h1: a: free cpu "
                     "45.00% <= 45.00%; c: free cpu 10.00% <= 45.00%");
}
END_TEST

START_TEST(two_sources_one_destination_central)
{
    /* a, the lowest node, decides for both, one move at a time. */
    ck_assert_uint_eq(race(XRES_CMODE_CENTRAL), 1);
    ck_assert_uint_eq(nodes[0].moves, 1);
    ck_assert_uint_eq(nodes[1].moves + nodes[2].moves, 0);
    ck_assert_str_eq(nodes[0].warn, "b: no host can take h1: a: free cpu "
                     "45.00% <= 45.00%; c: free cpu 10.00% <= 45.00%");
}
END_TEST

Suite *relocate_suite(void)
{
    Suite *s = suite_create("relocate");
    TCase *t = tcase_create("choose");
    TCase *r = tcase_create("race");

    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, the_busiest_domain_goes_unless_priority_or_weights_say);
    tcase_add_test(t, domains_that_may_not_move_are_skipped_with_reasons);
    tcase_add_test(t, a_domain_that_moved_is_held_down);
    tcase_add_test(t, the_destination_has_the_most_free_capacity_and_room);
    tcase_add_test(t, a_coefficient_weighs_a_host);
    tcase_add_test(t, power_saving_prefers_hosts_that_run_guests);
    tcase_add_test(t, no_host_no_move_and_one_warning);
    tcase_add_test(t, central_mode_one_decider_and_a_move_that_settles);
    tcase_add_test(t, central_mode_a_new_decider_does_not_move_into_a_locked_host);
    tcase_add_test(t, decentralised_retries_without_the_host_it_failed_to_lock);
    suite_add_tcase(s, t);
    tcase_add_checked_fixture(r, setup, NULL);
    tcase_add_test(r, two_sources_one_destination_host_mode);
    tcase_add_test(r, two_sources_one_destination_decentralised);
    tcase_add_test(r, two_sources_one_destination_central);
    suite_add_tcase(s, r);
    return s;
}
