/*
 * tests/unit/test_daemon_pool.c: memory pools inside the real daemon, on
 * the simulated host: a pool gathered in steps from free memory and a
 * donor, held by claims, handed to a new domain at its deadline; and the
 * same run with xresd killed after every single action, each time
 * resumed by a new xresd to the same end.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "backend_sim.h"
#include "daemon.h"
#include "metrics.h"
#include "mem_testlib.h"
#include "subsys.h"

static const xres_subsys *const subs[] = { &xres_subsys_mem,
                                           &xres_subsys_pool, NULL };
static xres_backend B;
static xres_daemon *D;
static char sock[108], conf[64], xlcfg[64];
static uint32_t V1, V2, V3;
static uint64_t total0;
static bool patched;            /* the host has the patched claim ops */

static void start_daemon(void)
{
    xres_daemon_opts o;
    char err[256];

    D = calloc(1, sizeof(*D));
    ck_assert_msg(xres_daemon_load_config(D, conf, false, err,
                                          sizeof(err)) == 0, "%s", err);
    memset(&o, 0, sizeof(o));
    o.socket_path = sock;
    o.subsystems = subs;
    o.clock = xres_sim_clock(&B);
    ck_assert_int_eq(xres_daemon_init(D, &B, &o), 0);
}

/* kill -9: nothing is undone, the next daemon starts from XenStore. */
static void kill_daemon(void)
{
    xres_daemon_dispose(D);
    free(D);
    D = NULL;
}

static void setup(void)
{
    FILE *f;
    uint32_t id;

    snprintf(sock, sizeof(sock), "/tmp/xres-test-pool-%d.sock", (int)getpid());
    snprintf(conf, sizeof(conf), "/tmp/xres-test-pool-%d.conf", (int)getpid());
    snprintf(xlcfg, sizeof(xlcfg), "/tmp/xres-test-pool-%d.cfg", (int)getpid());
    f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    f = fopen(xlcfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs("name = \"web\"\nmemory = 512\nkernel = \"/boot/vmlinuz\"\n", f);
    fclose(f);
    /* dom0 512, three guests of 1024, the 64 MiB reserve and 64 free */
    ck_assert_int_eq(xres_backend_sim_open(&B, (512 + 3072 + 128) * MiB, 2),
                     0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "Domain-0", 512 * MiB,
                                         512 * MiB, &id), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "vm1", 1024 * MiB, 2048 * MiB,
                                         &V1), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "vm2", 1024 * MiB, 2048 * MiB,
                                         &V2), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "vm3", 1024 * MiB, 2048 * MiB,
                                         &V3), 0);
    /* vm1 uses little and can give; vm2 and vm3 cannot. */
    xres_sim_set_agent(&B, V1, true, 300 * MiB);
    xres_sim_set_agent(&B, V2, true, 700 * MiB);
    xres_sim_set_agent(&B, V3, true, 700 * MiB);
    xres_sim_set_balloon_rate(&B, V1, 1024 * MiB);
    xres_sim_set_claim_ops(&B, patched);
    total0 = (512 + 3072 + 128) * MiB;
    start_daemon();
}

static void teardown(void)
{
    if (D) kill_daemon();
    xres_backend_dispose(&B);
    unlink(conf);
    unlink(xlcfg);
}

static void run_ms(uint64_t ms)
{
    for (uint64_t t = 0; t < ms; t += 100) {
        xres_sim_advance(&B, 100);
        xres_daemon_run_once(D, 0);
        xres_daemon_tick(D);
    }
}

/* Until n actions have been carried out, then xresd dies at once: the
 * action after the n-th is never carried out. */
static void run_until_actions(uint64_t n, uint64_t ms)
{
    D->die_after_actions = n;
    for (uint64_t t = 0; t < ms && D->nr_actuated < n; t += 100) {
        xres_sim_advance(&B, 100);
        xres_daemon_run_once(D, 0);
        xres_daemon_tick(D);
    }
}

static void answer(const char *req, const char *expect)
{
    char *reply = NULL;
    size_t len = 0;

    ck_assert_int_eq(xres_daemon_answer(D, req, strlen(req), &reply, &len),
                     0);
    ck_assert_msg(strstr(reply, expect) != NULL, "reply: %s", reply);
    free(reply);
}

static void create_pool(void)
{
    char req[512];

    snprintf(req, sizeof(req), "{\"cmd\":\"pool-create\",\"name\":\"web\","
             "\"size_kb\":%llu,\"step_kb\":%llu,\"every_ms\":1000,"
             "\"in_ms\":20000,\"on_short\":\"start\",\"config\":\"%s\"}",
             1024 * MiB, 128 * MiB, xlcfg);
    answer(req, "\"ok\":true");
}

/* Memory is neither lost nor counted twice: free + every domain + what
 * is claimed is the host. */
static void conserved(void)
{
    xres_host h;

    xres_host_init(&h);
    ck_assert_int_eq(B.ops->snapshot(&B, &h), 0);
    uint64_t sum = h.free_kb + h.outstanding_kb;
    for (size_t i = 0; i < h.nr_domains; i++) sum += h.domains[i].cur_kb;
    ck_assert_uint_eq(sum, total0);
    xres_host_dispose(&h);
}

static uint64_t cur_of(const char *name)
{
    xres_host h;
    uint64_t v = 0;

    xres_host_init(&h);
    ck_assert_int_eq(B.ops->snapshot(&B, &h), 0);
    xres_domain *d = xres_host_find_name(&h, name);
    if (d) v = d->cur_kb;
    xres_host_dispose(&h);
    return v;
}

/* The end of every run: web has the 512 MiB the host could give (64
 * free above the reserve, 448 from vm1, which stays a donor only while
 * it uses at most half of its target: down to 576), the others are
 * untouched, and nothing is claimed or left as a placeholder. */
static void check_end(void)
{
    xres_host h;

    conserved();
    ck_assert_uint_eq(cur_of("web"), 512 * MiB);
    ck_assert_uint_eq(cur_of("vm1"), 576 * MiB);
    ck_assert_uint_eq(cur_of("vm2"), 1024 * MiB);
    ck_assert_uint_eq(cur_of("vm3"), 1024 * MiB);
    xres_host_init(&h);
    ck_assert_int_eq(B.ops->snapshot(&B, &h), 0);
    ck_assert_uint_eq(h.outstanding_kb, 0);
    for (size_t i = 0; i < h.nr_domains; i++)
        ck_assert_msg(strncmp(h.domains[i].name, "xres-pool-", 10),
                      "%s left", h.domains[i].name);
    xres_host_dispose(&h);
    answer("{\"cmd\":\"pool-show\",\"name\":\"web\"}", "\"phase\":\"started\"");
}

START_TEST(test_pool_gathers_and_starts)
{
    run_ms(3000);                   /* the agents' first reports */
    create_pool();
    /* The first round: 64 free above the reserve, 64 from vm1, claimed
     * once vm1 is down. */
    run_ms(500);
    ck_assert_uint_eq(xres_sim_claimed_kb(&B), 128 * MiB);
    ck_assert_uint_eq(cur_of("vm1"), 960 * MiB);
    conserved();
    /* One step of 128 a second, all from vm1 now. */
    run_ms(1000);
    ck_assert_uint_eq(xres_sim_claimed_kb(&B), 256 * MiB);
    ck_assert_uint_eq(cur_of("vm1"), 832 * MiB);
    run_ms(1000);
    ck_assert_uint_eq(xres_sim_claimed_kb(&B), 384 * MiB);
    ck_assert_uint_eq(cur_of("vm1"), 704 * MiB);
    /* Until vm1 is no donor any more: 512 held, and no more. */
    run_ms(5000);
    ck_assert_uint_eq(xres_sim_claimed_kb(&B), 512 * MiB);
    ck_assert_uint_eq(cur_of("vm1"), 576 * MiB);
    answer("{\"cmd\":\"pool-show\",\"name\":\"web\"}", "\"at_risk\":true");
    answer("{\"cmd\":\"pool-list\"}", "\"held_kb\":524288");
    char *mt = NULL;
    ck_assert_int_eq(xres_daemon_metrics_text(D, &mt, NULL), 0);
    ck_assert_ptr_nonnull(strstr(mt, "xres_pool_held_bytes{pool=\"web\","
                                 "phase=\"gathering\"} 536870912\n"));
    ck_assert_ptr_nonnull(strstr(mt, "xres_pool_at_risk{pool=\"web\"} 1\n"));
    free(mt);
    /* Short at the deadline; start gives what there is (>= 512). */
    run_ms(15000);
    check_end();
}
END_TEST

static void kill_after_every_action(uint64_t expect)
{
    uint64_t total_actions;

    /* A clean run counts the actions. */
    run_ms(3000);
    create_pool();
    run_ms(30000);
    check_end();
    total_actions = D->nr_actuated;
    ck_assert_uint_eq(total_actions, expect);
    teardown();

    for (uint64_t k = 1; k <= total_actions; k++) {
        setup();
        run_ms(3000);
        create_pool();
        run_until_actions(k, 30000);
        conserved();
        kill_daemon();
        start_daemon();
        run_ms(30000);
        check_end();
        teardown();
    }
    setup();
}

START_TEST(test_pool_kill_after_every_action)
{
    /* 4 lowerings, 4 claims, 4 cancels, 4 destroys, 1 create */
    kill_after_every_action(17);
}
END_TEST

/* Patched: one placeholder grown in place, then cancelled and destroyed:
 * 4 lowerings, 1 claim, 3 adjusts, 1 cancel, 1 destroy, 1 create. */
START_TEST(test_pool_kill_patched)
{
    teardown();
    patched = true;
    setup();
    kill_after_every_action(11);
    patched = false;
}
END_TEST

/* A pool declared in xres.conf is created at start, and only once: the
 * next xresd resumes it from its record. */
START_TEST(test_pool_declared)
{
    FILE *f;

    kill_daemon();
    f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("pools = [ \"cfgp: size=64M step=32M in=10m domain=vm2\" ]\n", f);
    fclose(f);
    start_daemon();
    answer("{\"cmd\":\"pool-show\",\"name\":\"cfgp\"}",
           "\"size_kb\":65536");
    run_ms(1000);
    ck_assert_uint_eq(xres_sim_claimed_kb(&B), 64 * MiB);
    kill_daemon();
    start_daemon();
    answer("{\"cmd\":\"pool-list\"}", "\"held_kb\":65536");
    answer("{\"cmd\":\"pool-show\",\"name\":\"cfgp\"}",
           "\"phase\":\"full\"");
}
END_TEST

Suite *daemon_pool_suite(void)
{
    Suite *s = suite_create("daemon_pool");
    TCase *tc = tcase_create("pool");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_pool_gathers_and_starts);
    tcase_add_test(tc, test_pool_kill_after_every_action);
    tcase_add_test(tc, test_pool_kill_patched);
    tcase_add_test(tc, test_pool_declared);
    suite_add_tcase(s, tc);
    return s;
}
