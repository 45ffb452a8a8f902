/*
 * tests/unit/test_daemon_cpu.c: the CPU subsystem of xresd on a simulated
 * host: sched-set and sched-policy through the command hook, demand
 * caps moving tick by tick, run-time policies kept in XenStore across a
 * restart, the managing domain's request/ack pair, and sched-list.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "backend_sim.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "subsys.h"

static const xres_subsys *const only_cpu[] = { &xres_subsys_cpu, NULL };

static xres_backend be;
static xres_daemon d;
static uint32_t g1, g2;
static char sock[128];

static void start_daemon(void)
{
    xres_daemon_opts o;

    memset(&d, 0, sizeof(d));
    memset(&o, 0, sizeof(o));
    o.socket_path = sock;
    o.subsystems = only_cpu;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
}

/* 4 CPUs; dom0 idle; g1 1 vCPU burning 100%; g2 2 vCPUs at 10% each. */
static void setup(void)
{
    uint32_t id0;

    xres_log_open("test", false, false);
    snprintf(sock, sizeof(sock), "/tmp/xres-test-cpu-%d.sock", (int)getpid());
    ck_assert_int_eq(xres_backend_sim_open(&be, 8ULL << 20, 4), 0);
    ck_assert_int_eq(xres_sim_add_domain(&be, "Domain-0", 2 << 20, 2 << 20,
                                         &id0), 0);
    ck_assert_int_eq(xres_sim_add_domain(&be, "g1", 1 << 20, 1 << 20, &g1),
                     0);
    ck_assert_int_eq(xres_sim_add_domain(&be, "g2", 1 << 20, 1 << 20, &g2),
                     0);
    ck_assert_int_eq(xres_sim_set_vcpus(&be, id0, 2), 0);
    ck_assert_int_eq(xres_sim_set_vcpus(&be, g1, 1), 0);
    ck_assert_int_eq(xres_sim_set_vcpus(&be, g2, 2), 0);
    xres_sim_set_cpu_load(&be, id0, 0);
    xres_sim_set_cpu_load(&be, g1, 100);
    xres_sim_set_cpu_load(&be, g2, 10);
    start_daemon();
}

static void teardown(void)
{
    xres_daemon_dispose(&d);
    xres_backend_dispose(&be);
    unlink(sock);
}

/* Runs one command through the subsystem's hook; returns the reply. */
static yajl_val call(const char *json)
{
    char err[256];
    yajl_val req = yajl_tree_parse(json, err, sizeof(err));
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    yajl_val reply;
    char *copy;

    ck_assert_ptr_nonnull(req);
    ck_assert_ptr_nonnull(g);
    xres_daemon_refresh(&d);
    /* The core takes a snapshot before every command. */
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_int_eq(xres_subsys_cpu.command(&d, xres_json_get_str(req,
                                                                   "cmd"),
                                             req, g), 0);
    yajl_gen_get_buf(g, &buf, &len);
    copy = strndup((const char *)buf, len);
    reply = yajl_tree_parse(copy, err, sizeof(err));
    ck_assert_msg(reply != NULL, "bad reply %s", copy);
    free(copy);
    yajl_gen_free(g);
    yajl_tree_free(req);
    return reply;
}

static bool ok(yajl_val r)
{
    return xres_json_get_bool(r, "ok", false);
}

static int cap_of(uint32_t domid)
{
    xres_daemon_refresh(&d);
    return xres_host_find(&d.host, domid)->cap;
}

static int weight_of(uint32_t domid)
{
    xres_daemon_refresh(&d);
    return xres_host_find(&d.host, domid)->weight;
}

static void ticks(int n)
{
    for (int i = 0; i < n; i++) {
        xres_sim_advance(&be, 2000);
        xres_daemon_tick(&d);
    }
}

START_TEST(test_set_and_refusals)
{
    yajl_val r;
    const char *e;

    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"weight\":512,"
             "\"cap\":50}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ck_assert_int_eq(weight_of(g1), 512);
    ck_assert_int_eq(cap_of(g1), 50);

    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"weight\":70000}");
    ck_assert(!ok(r));
    e = xres_json_get_str(r, "error");
    ck_assert_ptr_nonnull(strstr(e, "g1: weight must be 1..65535"));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"cap\":101}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "cap must be 0..100"));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"nosuch\",\"cap\":1}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "no domain nosuch"));
    yajl_tree_free(r);

    /* A demand policy owns the cap: sched-set refuses it without force. */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"demand min=10 max=80\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"cap\":30}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "policy 'demand'"));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"cap\":30,"
             "\"force\":true}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ck_assert_int_eq(cap_of(g1), 30);

    /* Guarantees above Max (400%) are refused, naming the sum. */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"Domain-0\","
             "\"policy\":\"shares priority=256 guarantee=200\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"shares priority=256 guarantee=200\"}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "take the whole host"));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"shares priority=256 guarantee=190\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"shares priority=256 guarantee=20\"}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "add up to 410%"));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"turbo\"}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "unknown policy"));
    yajl_tree_free(r);
}
END_TEST

static int sim_cap(uint32_t domid)
{
    xres_host h;
    int cap;

    xres_host_init(&h);
    ck_assert_int_eq(be.ops->snapshot(&be, &h), 0);
    cap = xres_host_find(&h, domid)->cap;
    xres_host_dispose(&h);
    return cap;
}

START_TEST(test_demand_and_restart)
{
    yajl_val r;
    char *v = NULL;

    xres_sim_set_cpu_load(&be, g2, 5);      /* 2 vCPUs: 10% of a CPU */
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"cap\":20}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g2\",\"cap\":60}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"demand min=10 max=80 step=10\"}");
    ck_assert(ok(r));
    ck_assert_str_eq(xres_json_get_str(r, "source"), "run-time");
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"demand min=10 max=80 step=10\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ck_assert_int_eq(be.ops->xs_read(&be, "/local/domain/0/xres/sched/"
                                     "policy/1/spec", &v, NULL), 0);
    ck_assert_str_eq(v, "demand min=10 max=80 step=10");
    free(v);

    /* The simulator does not enforce caps: g1 uses 100% whatever its cap
     * (pegged); g2 uses 10% (idle below 30% of its cap).  Three samples
     * at a cap before each step. */
    ticks(2);
    ck_assert_int_eq(cap_of(g1), 20);
    ck_assert_int_eq(cap_of(g2), 60);
    ticks(1);
    ck_assert_int_eq(cap_of(g1), 30);
    ck_assert_int_eq(cap_of(g2), 50);
    ticks(3);
    ck_assert_int_eq(cap_of(g1), 40);
    ck_assert_int_eq(cap_of(g2), 40);

    /* Stopping changes nothing; a new daemon finds the policies and goes
     * on from the caps in Xen. */
    xres_daemon_dispose(&d);
    ck_assert_int_eq(sim_cap(g1), 40);
    ck_assert_int_eq(sim_cap(g2), 40);
    start_daemon();
    ck_assert_int_eq(cap_of(g1), 40);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\"}");
    ck_assert(ok(r));
    ck_assert_str_eq(xres_json_get_str(r, "policy"),
                     "demand min=10 max=80 step=10");
    ck_assert_str_eq(xres_json_get_str(r, "source"), "run-time");
    yajl_tree_free(r);
    ticks(3);
    ck_assert_int_eq(cap_of(g1), 50);
    ck_assert_int_eq(cap_of(g2), 30);
    /* 10 <= 0.3 x 30 fails: g2 stays at 30 from now on; g1 climbs to its
     * maximum and stays. */
    ticks(30);
    ck_assert_int_eq(cap_of(g1), 80);
    ck_assert_int_eq(cap_of(g2), 30);

    /* --reset: back to the configuration (none); caps stay where they are. */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\",\"reset\":true}");
    ck_assert(ok(r));
    ck_assert_str_eq(xres_json_get_str(r, "policy"), "none");
    yajl_tree_free(r);
    ck_assert_int_eq(be.ops->xs_read(&be, "/local/domain/0/xres/sched/"
                                     "policy/1/spec", &v, NULL), -ENOENT);
    ticks(6);
    ck_assert_int_eq(cap_of(g1), 80);
}
END_TEST

static void xs_expect(const char *path, const char *want)
{
    char *v = NULL;

    ck_assert_msg(be.ops->xs_read(&be, path, &v, NULL) == 0, "no %s", path);
    ck_assert_str_eq(v, want);
    free(v);
}

START_TEST(test_manage)
{
    yajl_val r, doms, mg;
    char path[128], *v = NULL;

    xres_sim_set_cpu_load(&be, g2, 5);      /* 2 vCPUs: 10% of a CPU */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"manage method=4 target=120\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    /* No measurement yet: nothing is sized. */
    ck_assert_int_eq(cap_of(g2), 0);
    /* Max 400, load 100 + 10 = 110, its own 10 counts as available:
     * allocable = 300 - 20% x 400 = 220; no run yet: A = 220, capped to
     * 100 x 2 vCPUs. */
    ticks(1);
    ck_assert_int_eq(cap_of(g2), 200);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/1", g2);
    xs_expect(path, "alloc 200");
    xs_expect("/local/domain/0/xres/sched/manage/domain", "g2");
    xs_expect("/local/domain/0/xres/sched/manage/seq", "1");

    /* The run took 60 s under 200: R = 12000, A = R / 120 = 100. */
    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/ack/1", g2);
    ck_assert_int_eq(be.ops->xs_write(&be, path, "ok time-ms=60000", 16), 0);
    ticks(1);
    xs_expect("/local/domain/0/xres/sched/manage/history/1", "200 60000");
    ck_assert_int_eq(cap_of(g2), 100);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/2", g2);
    xs_expect(path, "alloc 100");

    /* A malformed ack is ignored: no run recorded, a new request. */
    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/ack/2", g2);
    ck_assert_int_eq(be.ops->xs_write(&be, path, "ok time-ms=1e9", 14), 0);
    ticks(2);
    xs_expect("/local/domain/0/xres/sched/manage/history-next", "2");
    ck_assert_int_eq(cap_of(g2), 100);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/3", g2);
    xs_expect(path, "alloc 100");
    /* Answered requests are removed (the agent then drops its ack). */
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/1", g2);
    ck_assert_int_eq(be.ops->xs_read(&be, path, &v, NULL), -ENOENT);

    /* An agent that refuses is not asked again every tick. */
    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/ack/3", g2);
    ck_assert_int_eq(be.ops->xs_write(&be, path, "error unknown request",
                                      21), 0);
    ticks(5);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/4", g2);
    ck_assert_int_eq(be.ops->xs_read(&be, path, &v, NULL), -ENOENT);
    xs_expect("/local/domain/0/xres/sched/manage/seq", "0");
    /* ...until its allocation changes: target 60 s gives R/T = 200. */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"manage method=4 target=60\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ticks(1);
    ck_assert_int_eq(cap_of(g2), 200);
    xs_expect(path, "alloc 200");

    /* A second managing domain is refused. */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"manage\"}");
    ck_assert(!ok(r));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "g2 is already the managing domain"));
    yajl_tree_free(r);

    r = call("{\"cmd\":\"sched-list\"}");
    ck_assert(ok(r));
    ck_assert_str_eq(xres_json_get_str(r, "scheduler"), "credit");
    ck_assert_str_eq(xres_json_get(r, "max_pct")->u.number.r, "400.0");
    ck_assert_str_eq(xres_json_get(r, "available_pct")->u.number.r,
                     "290.0");
    mg = xres_json_get(r, "manage");
    ck_assert_str_eq(xres_json_get_str(mg, "domain"), "g2");
    ck_assert_str_eq(xres_json_get(mg, "allocable_pct")->u.number.r,
                     "220.0");
    ck_assert_str_eq(xres_json_get(mg, "alloc_pct")->u.number.r, "200.0");
    ck_assert_uint_eq(xres_json_get(mg, "runs")->u.array.len, 1);
    doms = xres_json_get(r, "domains");
    ck_assert_uint_eq(doms->u.array.len, 3);
    yajl_val dg1 = doms->u.array.values[1];
    ck_assert_str_eq(xres_json_get_str(dg1, "name"), "g1");
    ck_assert_str_eq(xres_json_get(dg1, "use_pct")->u.number.r, "100.0");
    ck_assert_uint_eq(xres_json_get(dg1, "history")->u.array.len, 10);
    ck_assert_str_eq(xres_json_get_str(doms->u.array.values[2], "policy"),
                     "manage method=4 target=60 reserve=20");
    yajl_tree_free(r);
}
END_TEST

/* Reads a number from the manage block's "basis" of sched-list. */
static const char *basis_of(yajl_val r, const char *key)
{
    yajl_val b = xres_json_get(xres_json_get(r, "manage"), "basis");
    ck_assert_ptr_nonnull(b);
    return xres_json_get(b, key)->u.number.r;
}

/* While a run under "alloc A" is under way the cap stays at A, whatever
 * the available amount does, and nothing new is asked; the ack lets the
 * next A through.  A request that vanished unanswered is asked again. */
START_TEST(test_manage_hold)
{
    yajl_val r;
    char path[128];

    xres_sim_set_cpu_load(&be, g2, 5);      /* 2 vCPUs: 10% of a CPU */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"manage method=1 reserve=50\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    /* Max 400, load 100 + 10 = 110, own 10 available: allocable = 300 -
     * 50% x 400 = 100 = A. */
    ticks(1);
    ck_assert_int_eq(cap_of(g2), 100);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/1", g2);
    xs_expect(path, "alloc 100");
    r = call("{\"cmd\":\"sched-list\"}");
    ck_assert_str_eq(basis_of(r, "available_pct"), "290.000");
    ck_assert_str_eq(basis_of(r, "own_pct"), "10.000");
    ck_assert_str_eq(basis_of(r, "allocable_pct"), "100.000");
    ck_assert_str_eq(basis_of(r, "a_pct"), "100.000");
    ck_assert_int_eq(xres_json_get(xres_json_get(r, "manage"),
                                   "request_alloc_pct")->u.number.i, 100);
    yajl_tree_free(r);

    /* g1 falls to 50: allocable would be 350 - 200 = 150, but the run
     * goes on under 100; a cap changed outside is put back. */
    xres_sim_set_cpu_load(&be, g1, 50);
    ticks(3);
    ck_assert_int_eq(cap_of(g2), 100);
    ck_assert_int_eq(be.ops->set_sched(&be, g2, -1, 40), 0);
    ticks(1);
    ck_assert_int_eq(cap_of(g2), 100);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/2", g2);
    char *v = NULL;
    ck_assert_int_eq(be.ops->xs_read(&be, path, &v, NULL), -ENOENT);
    r = call("{\"cmd\":\"sched-list\"}");
    ck_assert_str_eq(basis_of(r, "allocable_pct"), "100.000");
    ck_assert_str_eq(xres_json_get(xres_json_get(r, "manage"),
                                   "allocable_pct")->u.number.r, "150.0");
    yajl_tree_free(r);

    /* The run reports: recorded, and the new A goes out. */
    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/ack/1", g2);
    ck_assert_int_eq(be.ops->xs_write(&be, path, "ok time-ms=30000", 16), 0);
    ticks(1);
    xs_expect("/local/domain/0/xres/sched/manage/history/1", "100 30000");
    ck_assert_int_eq(cap_of(g2), 150);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/2", g2);
    xs_expect(path, "alloc 150");
    r = call("{\"cmd\":\"sched-list\"}");
    ck_assert_uint_eq(xres_json_get(xres_json_get(r, "manage"),
                                    "basis")->u.object.len, 6);
    ck_assert_str_eq(basis_of(r, "seq"), "2");
    ck_assert_str_eq(basis_of(r, "available_pct"), "340.000");
    ck_assert_str_eq(basis_of(r, "allocable_pct"), "150.000");
    yajl_tree_free(r);

    /* The request disappears unanswered (a new xresd reset the guest's
     * request directory): asked again. */
    ck_assert_int_eq(be.ops->xs_rm(&be, path), 0);
    ticks(1);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/3", g2);
    xs_expect(path, "alloc 150");
    ck_assert_int_eq(cap_of(g2), 150);

    /* An agent that never answers: after cpu_manage_run_timeout (3600 s,
     * 1800 ticks of 2 s) the request is withdrawn and a new one sent. */
    ticks(1799);
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/4", g2);
    ck_assert_int_eq(be.ops->xs_read(&be, path, &v, NULL), -ENOENT);
    ticks(1);
    xs_expect(path, "alloc 150");
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/3", g2);
    ck_assert_int_eq(be.ops->xs_read(&be, path, &v, NULL), -ENOENT);
}
END_TEST

START_TEST(test_fixed_put_back)
{
    yajl_val r;

    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"fixed weight=512 cap=50\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ck_assert_int_eq(weight_of(g1), 512);
    ck_assert_int_eq(cap_of(g1), 50);
    /* Something else (xl sched-credit) changes it: put back next tick. */
    ck_assert_int_eq(be.ops->set_sched(&be, g1, 300, 0), 0);
    ticks(1);
    ck_assert_int_eq(weight_of(g1), 512);
    ck_assert_int_eq(cap_of(g1), 50);
    /* sched-set changes the fixed values themselves. */
    r = call("{\"cmd\":\"sched-set\",\"domain\":\"g1\",\"cap\":70}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ticks(1);
    ck_assert_int_eq(cap_of(g1), 70);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\"}");
    ck_assert_str_eq(xres_json_get_str(r, "policy"),
                     "fixed weight=512 cap=70");
    yajl_tree_free(r);
}
END_TEST

/* A domain goes between two passes, and a policy is set before the next
 * pass: the previous pass's policies are read for its three domains, not
 * for the two there now (fuzz_ipc found the read past the end). */
START_TEST(test_policy_after_domain_gone)
{
    yajl_val r;

    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"fixed weight=512 cap=50\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ticks(1);
    xres_sim_crash_domain(&be, g1);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"fixed weight=300 cap=40\"}");
    ck_assert(ok(r));
    ck_assert_str_eq(xres_json_get_str(r, "policy"),
                     "fixed weight=300 cap=40");
    yajl_tree_free(r);
    ck_assert_int_eq(weight_of(g2), 300);
    ck_assert_int_eq(cap_of(g2), 40);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"none\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ticks(1);
    ck_assert_ptr_null(xres_host_find(&d.host, g1));
    ck_assert_int_eq(weight_of(g2), 300);
}
END_TEST

/* Writes text to a temporary configuration file; returns its path. */
static const char *conf(const char *text)
{
    static char path[64];
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/xres-test-cpu-%d.conf", (int)getpid());
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int load(const char *text, char *err, size_t errlen)
{
    xres_daemon t;
    int rc;

    memset(&t, 0, sizeof(t));
    t.opts.subsystems = only_cpu;
    rc = xres_daemon_load_config(&t, conf(text), false, err, errlen);
    xres_config_dispose(&t.cfg);
    free(t.config_path);
    return rc;
}

START_TEST(test_config_policies)
{
    char err[512];
    xres_daemon_opts o;
    yajl_val r;

    ck_assert_int_eq(load("cpu_policies = [ \"a: manage\", \"b: manage\" ]\n",
                          err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(load("cpu_policies = [ \"a: turbo\" ]\n", err,
                          sizeof(err)), -EINVAL);
    ck_assert_int_eq(load("cpu_policies = [ \"a demand\" ]\n", err,
                          sizeof(err)), -EINVAL);
    ck_assert_int_eq(load("cpu_load_mode = \"median\"\n", err, sizeof(err)),
                     -EINVAL);
    ck_assert_int_eq(load("cpu_busy_pct = 20\ncpu_idle_pct = 30\n", err,
                          sizeof(err)), -EINVAL);
    ck_assert_int_eq(load("cpu_policies = [ \"g1: demand\" ]\n"
                          "domains = [ \"name=g1, cpu_cap=20\" ]\n", err,
                          sizeof(err)), -EINVAL);
    ck_assert_int_eq(load("domains = [ \"name=g1, cpu_weight=70000\" ]\n",
                          err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(load("domains = [ \"name=g1, cpu_source=guest\" ]\n",
                          err, sizeof(err)), -EINVAL);

    /* A good one, on the running host (from setup). */
    xres_daemon_dispose(&d);
    memset(&d, 0, sizeof(d));
    d.opts.subsystems = only_cpu;
    ck_assert_int_eq(xres_daemon_load_config(&d, conf(
        "cpu_policies = [ \"g1: demand min=20 max=60\" ]\n"
        "domains = [ \"name=Domain-0, cpu_weight=512\", "
        "\"name=g1, cpu_source=agent\" ]\n"
        "cpu_load_mode = \"maximum\"\n"), false, err, sizeof(err)), 0);
    memset(&o, 0, sizeof(o));
    o.socket_path = sock;
    o.subsystems = only_cpu;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
    ticks(1);
    ck_assert_int_eq(weight_of(0), 512);
    ck_assert_int_eq(cap_of(g1), 20);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"Domain-0\"}");
    ck_assert_str_eq(xres_json_get_str(r, "policy"), "fixed weight=512");
    ck_assert_str_eq(xres_json_get_str(r, "source"), "config");
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-list\"}");
    ck_assert_str_eq(xres_json_get_str(r, "load_mode"), "maximum");
    yajl_val dl = xres_json_get(r, "domains");
    ck_assert_str_eq(xres_json_get_str(dl->u.array.values[0], "cpu_source"),
                     "xen");
    ck_assert_str_eq(xres_json_get_str(dl->u.array.values[1], "cpu_source"),
                     "agent");
    yajl_tree_free(r);
    unlink(conf(""));
}
END_TEST

/* The core's `list`, as a client gets it. */
static yajl_val list_call(void)
{
    static const char req[] = "{\"cmd\":\"list\"}";
    char *reply, *text, err[256];
    size_t len;
    yajl_val r;

    ck_assert_int_eq(xres_daemon_answer(&d, req, sizeof(req) - 1, &reply,
                                        &len), 0);
    text = strndup(reply, len);     /* the reply is not NUL-terminated */
    free(reply);
    ck_assert_ptr_nonnull(text);
    r = yajl_tree_parse(text, err, sizeof(err));
    ck_assert_msg(r != NULL, "bad reply %s", text);
    free(text);
    return r;
}

/* cpu_policy of the domain with this name in a `list` reply. */
static const char *list_policy(yajl_val r, const char *name)
{
    const char *dp[] = { "domains", NULL };
    yajl_val doms = yajl_tree_get(r, dp, yajl_t_array);

    ck_assert_ptr_nonnull(doms);
    for (size_t i = 0; i < doms->u.array.len; i++) {
        yajl_val x = doms->u.array.values[i];
        const char *n = xres_json_get_str(x, "name");
        if (n && !strcmp(n, name)) return xres_json_get_str(x, "cpu_policy");
    }
    ck_abort_msg("no %s in the list", name);
    return NULL;
}

/* `list` finds policies by name in a sorted index: every change of the
 * run-time policies shows in the next reply, with no pass in between. */
START_TEST(test_list_follows_policy_changes)
{
    yajl_val r;

    r = list_call();
    ck_assert_str_eq(list_policy(r, "g1"), "none");
    ck_assert_str_eq(list_policy(r, "g2"), "none");
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"fixed weight=384\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = list_call();
    ck_assert_str_eq(list_policy(r, "g1"), "none");
    ck_assert_str_eq(list_policy(r, "g2"), "fixed weight=384");
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"policy\":\"fixed weight=128\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = list_call();
    ck_assert_str_eq(list_policy(r, "g1"), "fixed weight=128");
    ck_assert_str_eq(list_policy(r, "g2"), "fixed weight=384");
    yajl_tree_free(r);
    /* The last one set goes first: the index must not keep it. */
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g1\","
             "\"reset\":true}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = list_call();
    ck_assert_str_eq(list_policy(r, "g1"), "none");
    ck_assert_str_eq(list_policy(r, "g2"), "fixed weight=384");
    yajl_tree_free(r);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"reset\":true}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    r = list_call();
    ck_assert_str_eq(list_policy(r, "g1"), "none");
    ck_assert_str_eq(list_policy(r, "g2"), "none");
    yajl_tree_free(r);
}
END_TEST

/* Method 3 when no allocation meets T (001): the most there is, and a
 * caution in sched-list (and its --json). */
START_TEST(test_manage_method3_caution)
{
    yajl_val r, mg;
    char path[128];

    xres_sim_set_cpu_load(&be, g2, 5);
    r = call("{\"cmd\":\"sched-policy\",\"domain\":\"g2\","
             "\"policy\":\"manage method=3 target=10\"}");
    ck_assert(ok(r));
    yajl_tree_free(r);
    ticks(1);
    ck_assert_int_eq(cap_of(g2), 200);     /* no run yet: allocable 220 */
    r = call("{\"cmd\":\"sched-list\"}");
    ck_assert_str_eq(xres_json_get_str(xres_json_get(r, "manage"),
                                       "caution"), "");
    yajl_tree_free(r);
    /* 60 s under 200: R = 12000, 12000 / 220 = 54.5 s > 10 s. */
    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/ack/1", g2);
    ck_assert_int_eq(be.ops->xs_write(&be, path, "ok time-ms=60000", 16), 0);
    ticks(1);
    ck_assert_int_eq(cap_of(g2), 200);     /* not the floor of 1 */
    snprintf(path, sizeof(path), "/local/domain/%u/xres/request/2", g2);
    xs_expect(path, "alloc 200");
    r = call("{\"cmd\":\"sched-list\"}");
    mg = xres_json_get(r, "manage");
    ck_assert_str_eq(xres_json_get(mg, "alloc_pct")->u.number.r, "220.0");
    ck_assert_str_eq(xres_json_get_str(mg, "caution"),
                     "manage 3: estimate 54.5 s misses target 10 s: all of "
                     "220.0, caution");
    yajl_tree_free(r);
}
END_TEST

Suite *daemon_cpu_suite(void)
{
    Suite *s = suite_create("daemon_cpu");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_set_and_refusals);
    tcase_add_test(tc, test_list_follows_policy_changes);
    tcase_add_test(tc, test_demand_and_restart);
    tcase_add_test(tc, test_manage);
    tcase_add_test(tc, test_manage_hold);
    tcase_add_test(tc, test_manage_method3_caution);
    tcase_add_test(tc, test_fixed_put_back);
    tcase_add_test(tc, test_policy_after_domain_gone);
    tcase_add_test(tc, test_config_policies);
    suite_add_tcase(s, tc);
    return s;
}
