/*
 * tests/unit/test_path_stats.c: the report-to-target path on the
 * simulated host, counted: the running statistics, the calls into the
 * host by kind, one report that moves the decision giving exactly one
 * balancing decision and one set_target, the `stats` command and its
 * reset.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_sim.h"
#include "daemon.h"
#include "ipc.h"
#include "path_stats.h"
#include "policy_mem.h"
#include "stats.h"
#include "xs_schema.h"

#define MiB 1024ull

static const xres_subsys *const only_mem[] = { &xres_subsys_mem, NULL };
static xres_backend B;
static xres_daemon *D;
static char sock[108], conf[64];
static uint32_t G1, G2;
static uint64_t seq;

/* A host with room: dom0 1 GiB, g1 and g2 512 MiB each (at most 2 GiB),
 * 2 GiB free. */
static void start(const char *conf_text)
{
    xres_daemon_opts o;
    char err[256];
    FILE *f;

    xres_log_set_level(LOG_WARNING);
    snprintf(sock, sizeof(sock), "/tmp/xres-test-ps-%d.sock", (int)getpid());
    snprintf(conf, sizeof(conf), "/tmp/xres-test-ps-%d.conf", (int)getpid());
    f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs(conf_text, f);
    fclose(f);
    ck_assert_int_eq(xres_backend_sim_open(&B, 4096 * MiB, 2), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "Domain-0", 1024 * MiB,
                                         1024 * MiB, NULL), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "g1", 512 * MiB, 2048 * MiB,
                                         &G1), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B, "g2", 512 * MiB, 2048 * MiB,
                                         &G2), 0);
    D = calloc(1, sizeof(*D));
    ck_assert_ptr_nonnull(D);
    ck_assert_msg(!xres_daemon_load_config(D, conf, false, err, sizeof(err)),
                  "%s", err);
    memset(&o, 0, sizeof(o));
    o.socket_path = sock;
    o.subsystems = only_mem;
    o.clock = xres_sim_clock(&B);
    ck_assert_int_eq(xres_daemon_init(D, &B, &o), 0);
    seq = 0;
}

static void stop(void)
{
    xres_daemon_dispose(D);
    free(D);
    D = NULL;
    xres_backend_dispose(&B);
    unlink(conf);
}

static void loop(int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(xres_daemon_run_once(D, 0), 0);
}

/* The guest writes a report as xres-agent does: used_mib of its
 * memory in use. */
static void report(uint32_t domid, uint64_t used_mib)
{
    const xres_domain *dom = xres_host_find(&D->host, domid);
    uint64_t total = dom ? dom->cur_kb : 512 * MiB, used = used_mib * MiB;
    char path[XRES_SCHEMA_PATH_MAX], v[512];

    ck_assert_int_eq(xres_schema_path(path, sizeof(path), XS_REPORT, domid,
                                      NULL), 0);
    seq++;
    snprintf(v, sizeof(v), "seq=%llu version=0.1.0 heartbeat=%llu "
             "heartbeat-interval=10 mem-total=%llu mem-avail=%llu "
             "mem-used=%llu swap-used=0 balloon-cur=%llu "
             "balloon-target=%llu cpu-pct=5", (unsigned long long)seq,
             (unsigned long long)(seq * 1000), (unsigned long long)total,
             (unsigned long long)(total - used), (unsigned long long)used,
             (unsigned long long)total, (unsigned long long)total);
    ck_assert_int_eq(xres_sim_xs_write_as(&B, domid, path, v), 0);
}

static uint64_t targets(void)
{
    return D->pstats.act[XRES_ACT_SET_TARGET].count;
}

START_TEST(test_stat_percentiles)
{
    static xres_stat s;
    xres_stat_summary m;

    xres_stat_reset(&s);
    xres_stat_summarise(&s, &m);
    ck_assert_uint_eq(m.count, 0);
    ck_assert_uint_eq(m.p99_ns, 0);
    for (uint64_t i = 1; i <= 100; i++) xres_stat_add(&s, i * 10);
    xres_stat_summarise(&s, &m);
    ck_assert_uint_eq(m.count, 100);
    ck_assert_uint_eq(m.last_ns, 1000);
    ck_assert_uint_eq(m.max_ns, 1000);
    ck_assert_uint_eq(m.p50_ns, 500);
    ck_assert_uint_eq(m.p99_ns, 990);
    ck_assert_uint_eq(m.sum_ns, 50500);
    /* The window keeps the last XRES_STAT_WINDOW: 10,000 small ones push
     * the 100 out, the max stays. */
    for (int i = 0; i < 10000; i++) xres_stat_add(&s, 7);
    xres_stat_summarise(&s, &m);
    ck_assert_uint_eq(m.count, 10100);
    ck_assert_uint_eq(m.p50_ns, 7);
    ck_assert_uint_eq(m.p99_ns, 7);
    ck_assert_uint_eq(m.max_ns, 1000);
}
END_TEST

/* A snapshot on the simulated host: one call for the host, one for the
 * domain list, three XenStore reads for each of the three domains. */
START_TEST(test_snapshot_calls)
{
    start("");
    xres_path_stats_reset(&D->pstats, 0);
    ck_assert_int_eq(xres_daemon_refresh(D), 0);
    ck_assert_uint_eq(D->pstats.step[XRES_PATH_SNAPSHOT].count, 1);
    ck_assert_uint_eq(D->pstats.snap_calls_last[XRES_BCALL_LIBXL], 1);
    ck_assert_uint_eq(D->pstats.snap_calls_last[XRES_BCALL_XC], 1);
    ck_assert_uint_eq(D->pstats.snap_calls_last[XRES_BCALL_XS], 9);
    ck_assert_int_eq(xres_daemon_refresh(D), 0);
    ck_assert_uint_eq(D->pstats.snap_calls[XRES_BCALL_XS], 18);
    ck_assert_uint_eq(D->pstats.snap_kind[XRES_BCALL_XS].count, 2);
    stop();
}
END_TEST

/* g1 reports that it uses nearly all its memory: one report, one
 * decision, one target (from free memory), and the path from its watch
 * event to that target counted once. */
START_TEST(test_one_report_one_target)
{
    start("");
    loop(2);                            /* the watches' first events */
    xres_path_stats_reset(&D->pstats, 0);
    report(G1, 500);
    /* In the same loop iteration, no time passing. */
    loop(1);
    ck_assert_uint_eq(D->pstats.report_events, 1);
    ck_assert_uint_eq(D->pstats.reports, 1);
    ck_assert_uint_eq(D->pstats.step[XRES_PATH_COALESCE].count, 1);
    ck_assert_uint_eq(D->pstats.step[XRES_PATH_REPORT_READ].count, 1);
    ck_assert_uint_eq(D->pstats.policy_runs, 1);
    ck_assert_uint_eq(D->pstats.step[XRES_PATH_POLICY].count, 1);
    ck_assert_uint_eq(targets(), 1);
    ck_assert_uint_eq(D->pstats.step[XRES_PATH_REACT].count, 1);
    ck_assert_uint_gt(xres_host_find(&D->host, G1)->target_kb, 512 * MiB);
    stop();
}
END_TEST

/* A guest writes 10,000 reports, 100 between two loop iterations, each
 * hundred changing what balancing would do for it.  Its bucket held 4,
 * one of which its watch's first event took: 3 reports are read, each
 * gets a decision, and no time passing gives it more. */
START_TEST(test_flood_bounded)
{
    start("");
    loop(2);
    ck_assert_uint_eq(D->pstats.reports, 2);       /* g1's and g2's first */
    xres_path_stats_reset(&D->pstats, 0);
    for (int i = 0; i < 10000; i++) {
        report(G1, (i / 100) % 2 ? 100 : 500);
        if (i % 100 == 99) loop(1);
    }
    loop(20);
    ck_assert_uint_eq(D->pstats.report_events, 10000);
    ck_assert_uint_eq(D->pstats.reports, 3);
    ck_assert_uint_eq(D->pstats.policy_runs, 3);
    ck_assert_uint_eq(D->pstats.reports_deferred, 1);
    /* 5 s later (before the tick): g1's held report and g2's first are
     * taken in one pass, with one decision.  A report that does not
     * change the decision takes none: g2 idles at 100 MiB, then at 101. */
    xres_sim_advance(&B, 5000);
    report(G2, 100);
    loop(1);
    ck_assert_uint_eq(D->pstats.reports, 5);
    ck_assert_uint_eq(D->pstats.policy_runs, 4);
    report(G2, 101);
    loop(1);
    ck_assert_uint_eq(D->pstats.reports, 6);
    ck_assert_uint_eq(D->pstats.policy_runs, 4);
    stop();
}
END_TEST

/* Which reports move the decision, on a model domain of 512 MiB (at
 * most 2 GiB) with the default parameters (64 MiB blocks). */
START_TEST(test_report_moves)
{
    xres_mem_params p;
    xres_domain dom;
    xres_agent_report before;

    xres_mem_params_default(&p);
    memset(&dom, 0, sizeof(dom));
    dom.domid = 1;
    dom.cur_kb = dom.target_kb = 512 * MiB;
    dom.static_max_kb = dom.xen_max_kb = 2048 * MiB;
    dom.feature_balloon = true;
    dom.agent.valid = true;
    dom.agent.mem_used_kb = 100 * MiB;
    before = dom.agent;
    before.mem_used_kb = 101 * MiB;
    /* The same blocks to give. */
    ck_assert(!xres_mem_report_moves(&dom, &before, &p));
    /* From needing to giving. */
    before.mem_used_kb = 500 * MiB;
    ck_assert(xres_mem_report_moves(&dom, &before, &p));
    /* The agent's first report, and its last. */
    before.valid = false;
    ck_assert(xres_mem_report_moves(&dom, &before, &p));
    dom.agent.valid = false;
    ck_assert(!xres_mem_report_moves(&dom, &before, &p));
    /* Needing more: 500 MiB used wants 1 block, 600 MiB 3. */
    dom.agent.valid = before.valid = true;
    dom.agent.mem_used_kb = 600 * MiB;
    before.mem_used_kb = 500 * MiB;
    ck_assert(xres_mem_report_moves(&dom, &before, &p));
    before.mem_used_kb = 599 * MiB;
    ck_assert(!xres_mem_report_moves(&dom, &before, &p));
}
END_TEST

START_TEST(test_stats_command)
{
    char *reply;
    size_t len;
    static const char req[] = "{\"cmd\":\"stats\",\"reset\":true}";

    start("report_interval_ms = 0\n");
    loop(2);
    ck_assert_uint_gt(D->pstats.step[XRES_PATH_SNAPSHOT].count, 0);
    ck_assert_int_eq(xres_daemon_answer(D, req, sizeof(req) - 1, &reply,
                                        &len), 0);
    ck_assert_ptr_nonnull(strstr(reply, "\"ok\":true"));
    ck_assert_ptr_nonnull(strstr(reply, "{\"name\":\"report-to-target\","));
    ck_assert_ptr_nonnull(strstr(reply, "{\"kind\":\"xenstore\",\"calls\":"));
    ck_assert_ptr_nonnull(strstr(reply, "\"reset\":true"));
    free(reply);
    /* Reset after the reply: nothing counted since, not even a snapshot
     * (`stats` takes none). */
    ck_assert_uint_eq(D->pstats.step[XRES_PATH_SNAPSHOT].count, 0);
    ck_assert_uint_eq(D->pstats.reports, 0);
    stop();
}
END_TEST

Suite *path_stats_suite(void)
{
    Suite *s = suite_create("path_stats");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_stat_percentiles);
    tcase_add_test(tc, test_snapshot_calls);
    tcase_add_test(tc, test_one_report_one_target);
    tcase_add_test(tc, test_flood_bounded);
    tcase_add_test(tc, test_report_moves);
    tcase_add_test(tc, test_stats_command);
    suite_add_tcase(s, tc);
    return s;
}
