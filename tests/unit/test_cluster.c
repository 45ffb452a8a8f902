/*
 * tests/unit/test_cluster.c: the cluster view on the in-process group
 * model: one total order for every member, membership and staleness,
 * the lock two hosts race for, a holder lost in the middle, and a host
 * that joins late and catches up.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_view.h"
#include "group_model.h"

typedef struct {
    xres_group *g;
    xres_cluster_view v;
    uint64_t seq;
    char host[16];
    uint32_t order[64];         /* senders of figures, in delivery order */
    size_t norder;
    unsigned rejects;
} node;

static void send_lock(node *n, xres_lock_op op, const char *lock)
{
    xres_cluster_msg m;
    char *buf;
    size_t len;

    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_LOCK;
    m.op = op;
    m.node = n->v.self;
    snprintf(m.lock, sizeof(m.lock), "%s", lock);
    ck_assert_int_eq(xres_cluster_msg_encode(&m, &buf, &len), 0);
    ck_assert_int_eq(n->g->ops->mcast(n->g, buf, len), 0);
    free(buf);
}

static void send_fig(node *n)
{
    xres_cluster_figures *f = calloc(1, sizeof(*f));
    xres_cluster_msg m;
    char *buf;
    size_t len;

    snprintf(f->host, sizeof(f->host), "%s", n->host);
    f->nodeid = n->v.self;
    f->seq = ++n->seq;
    f->mem_total_kb = 4 << 20;
    f->mem_free_kb = (1 << 20) * n->v.self;
    f->nr_cpus = 4;
    f->cpu_allocable_pct = 300;
    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_FIGURES;
    m.fig = f;
    ck_assert_int_eq(xres_cluster_msg_encode(&m, &buf, &len), 0);
    ck_assert_int_eq(n->g->ops->mcast(n->g, buf, len), 0);
    free(buf);
    xres_cluster_msg_dispose(&m);
}

static void act(node *n, const xres_cview_out *o)
{
    if (o->reject[0]) n->rejects++;
    if (o->send_figures) send_fig(n);
    if (o->send_grant) send_lock(n, XRES_LOCK_GRANT, o->grant_lock);
}

static void on_deliver(void *ctx, uint32_t from, const void *msg, size_t len)
{
    node *n = ctx;
    xres_cview_out o;

    if (memmem(msg, len, "\"figures\"", 9) && n->norder < 64)
        n->order[n->norder++] = from;
    xres_cview_deliver(&n->v, from, msg, len, 0, &o);
    act(n, &o);
}

static void on_confchg(void *ctx, const xres_confchg *c)
{
    node *n = ctx;
    xres_cview_out o;

    xres_cview_confchg(&n->v, c, &o);
    act(n, &o);
}

static const xres_group_cbs cbs = { on_deliver, on_confchg };
static xres_group_bus *bus;
static node nodes[4];

static void node_open(unsigned i)
{
    xres_group_model_arg a = { bus, i + 1 };
    node *n = &nodes[i];

    memset(n, 0, sizeof(*n));
    snprintf(n->host, sizeof(n->host), "h%u", i + 1);
    xres_cview_init(&n->v, i + 1, 2);
    ck_assert_int_eq(xres_group_model_open(&a, &cbs, n, &n->g), 0);
    ck_assert_int_eq(n->g->ops->join(n->g), 0);
}

static void node_close(unsigned i)
{
    if (nodes[i].g) nodes[i].g->ops->dispose(nodes[i].g);
    xres_cview_dispose(&nodes[i].v);
    nodes[i].g = NULL;
}

/* Dispatch every member until nothing is left. */
static void settle(unsigned nn)
{
    for (int round = 0; round < 20; round++)
        for (unsigned i = 0; i < nn; i++)
            if (nodes[i].g) nodes[i].g->ops->dispatch(nodes[i].g);
}

static void setup(void)
{
    ck_assert_int_eq(xres_group_bus_new(&bus), 0);
}

static void teardown(void)
{
    for (unsigned i = 0; i < 4; i++) node_close(i);
    xres_group_bus_free(bus);
}

START_TEST(every_member_sees_one_order)
{
    for (unsigned i = 0; i < 3; i++) node_open(i);
    settle(3);
    nodes[0].norder = nodes[1].norder = nodes[2].norder = 0;
    send_fig(&nodes[2]);
    send_fig(&nodes[0]);
    send_fig(&nodes[1]);
    send_fig(&nodes[0]);
    settle(3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(nodes[i].norder, 4);
        ck_assert_uint_eq(nodes[i].order[0], 3);
        ck_assert_uint_eq(nodes[i].order[1], 1);
        ck_assert_uint_eq(nodes[i].order[2], 2);
        ck_assert_uint_eq(nodes[i].order[3], 1);
        ck_assert_uint_eq(nodes[i].v.n, 3);
        ck_assert_uint_eq(nodes[i].rejects, 0);
    }
}
END_TEST

START_TEST(a_late_joiner_catches_up)
{
    const xres_cluster_member *m;

    node_open(0);
    node_open(1);
    settle(2);
    ck_assert_ptr_nonnull(xres_cview_find_host(&nodes[0].v, "h2"));
    node_open(2);
    settle(3);
    /* At its join, every member sent its figures at once. */
    for (uint32_t id = 1; id <= 3; id++) {
        m = xres_cview_find(&nodes[2].v, id);
        ck_assert_ptr_nonnull(m);
        ck_assert(m->have_fig);
        ck_assert_uint_eq(m->fig->mem_free_kb, (uint64_t)id << 20);
        ck_assert_int_eq(m->state, XRES_MEMBER_MEMBER);
    }
    ck_assert(nodes[2].v.joined);
}
END_TEST

START_TEST(figures_go_stale_and_members_leave_or_are_lost)
{
    const xres_cluster_member *m;

    for (unsigned i = 0; i < 3; i++) node_open(i);
    settle(3);
    m = xres_cview_find(&nodes[0].v, 2);
    ck_assert(!xres_cview_stale(&nodes[0].v, m));
    for (int t = 0; t < 2; t++) xres_cview_tick(&nodes[0].v);
    ck_assert(!xres_cview_stale(&nodes[0].v, m));
    xres_cview_tick(&nodes[0].v);
    ck_assert(xres_cview_stale(&nodes[0].v, m));
    send_fig(&nodes[1]);
    settle(3);
    ck_assert(!xres_cview_stale(&nodes[0].v, m));

    nodes[1].g->ops->leave(nodes[1].g);
    xres_group_bus_lose(bus, 3);
    settle(3);
    ck_assert_int_eq(xres_cview_find(&nodes[0].v, 2)->state, XRES_MEMBER_LEFT);
    ck_assert_int_eq(xres_cview_find(&nodes[0].v, 3)->state, XRES_MEMBER_LOST);
    ck_assert_int_eq(nodes[2].g->ops->dispatch(nodes[2].g), -ENOTCONN);
    xres_cview_lost(&nodes[2].v);
    ck_assert(nodes[2].v.lost);
    ck_assert_int_eq(xres_cview_find(&nodes[2].v, 1)->state, XRES_MEMBER_LOST);
}
END_TEST

START_TEST(two_hosts_race_for_a_lock_and_one_wins)
{
    for (unsigned i = 0; i < 3; i++) node_open(i);
    settle(3);
    /* Both ask before either has seen the other's request. */
    send_lock(&nodes[1], XRES_LOCK_REQUEST, "dest-h1");
    send_lock(&nodes[2], XRES_LOCK_REQUEST, "dest-h1");
    settle(3);
    for (unsigned i = 0; i < 3; i++) {
        const xres_cluster_lock *l = xres_cview_lock(&nodes[i].v, "dest-h1");
        ck_assert_ptr_nonnull(l);
        ck_assert_uint_eq(l->holder, 2);
        ck_assert(l->granted);
        ck_assert_uint_eq(l->nwait, 1);
        ck_assert_uint_eq(l->wait[0], 3);
    }
    send_lock(&nodes[1], XRES_LOCK_RELEASE, "dest-h1");
    settle(3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(xres_cview_lock_holder(&nodes[i].v, "dest-h1"), 3);
        ck_assert(xres_cview_lock(&nodes[i].v, "dest-h1")->granted);
    }
    send_lock(&nodes[2], XRES_LOCK_RELEASE, "dest-h1");
    settle(3);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_ptr_null(xres_cview_lock(&nodes[i].v, "dest-h1"));
}
END_TEST

START_TEST(a_holder_lost_in_the_middle_releases_the_lock)
{
    for (unsigned i = 0; i < 3; i++) node_open(i);
    settle(3);
    send_lock(&nodes[0], XRES_LOCK_REQUEST, "dest-h3");
    send_lock(&nodes[1], XRES_LOCK_REQUEST, "dest-h3");
    settle(3);
    ck_assert_uint_eq(xres_cview_lock_holder(&nodes[2].v, "dest-h3"), 1);
    xres_group_bus_lose(bus, 1);
    settle(3);
    for (unsigned i = 1; i < 3; i++) {
        ck_assert_uint_eq(xres_cview_lock_holder(&nodes[i].v, "dest-h3"), 2);
        ck_assert(xres_cview_lock(&nodes[i].v, "dest-h3")->granted);
        ck_assert_uint_eq(xres_cview_lock(&nodes[i].v, "dest-h3")->nwait, 0);
    }
}
END_TEST

START_TEST(a_request_for_another_node_is_rejected)
{
    node_open(0);
    node_open(1);
    settle(2);
    {
        xres_cview_out o;
        const char *m = "{\"v\":1,\"type\":\"lock\",\"op\":\"request\","
                        "\"lock\":\"x\",\"node\":1}";
        xres_cview_deliver(&nodes[0].v, 2, m, strlen(m), 0, &o);
        ck_assert_str_eq(o.reject, "node 2: lock request x for node 1: "
                         "rejected");
        ck_assert_ptr_null(xres_cview_lock(&nodes[0].v, "x"));
    }
}
END_TEST

START_TEST(a_down_bus_refuses_joins_and_a_busy_one_mcasts)
{
    xres_group_model_arg a = { bus, 1 };
    xres_group *g;

    xres_group_bus_set_down(bus, true);
    ck_assert_int_eq(xres_group_model_open(&a, &cbs, &nodes[0], &g), 0);
    ck_assert_int_eq(g->ops->join(g), -ECONNREFUSED);
    ck_assert_int_eq(g->ops->fd(g), -1);
    xres_group_bus_set_down(bus, false);
    ck_assert_int_eq(g->ops->join(g), 0);
    xres_group_bus_busy(bus, 1);
    ck_assert_int_eq(g->ops->mcast(g, "x", 1), -EAGAIN);
    ck_assert_int_eq(g->ops->mcast(g, "x", 1), 0);
    ck_assert_uint_eq(xres_group_bus_sent(bus), 1);
    g->ops->dispose(g);
}
END_TEST

Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *t = tcase_create("view");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, every_member_sees_one_order);
    tcase_add_test(t, a_late_joiner_catches_up);
    tcase_add_test(t, figures_go_stale_and_members_leave_or_are_lost);
    tcase_add_test(t, two_hosts_race_for_a_lock_and_one_wins);
    tcase_add_test(t, a_holder_lost_in_the_middle_releases_the_lock);
    tcase_add_test(t, a_request_for_another_node_is_rejected);
    tcase_add_test(t, a_down_bus_refuses_joins_and_a_busy_one_mcasts);
    suite_add_tcase(s, t);
    return s;
}
