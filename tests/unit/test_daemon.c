/*
 * tests/unit/test_daemon.c: xresd's core on the simulated host, driven one
 * loop iteration at a time: subsystem hooks, coalescing of guest reports,
 * domain events, actions, configuration reload, XenStore areas, and
 * leaving domains alone on exit.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend_sim.h"
#include "actuator.h"
#include "daemon.h"
#include "ipc.h"
#include "xs_schema.h"

#define XRES_TEST_BURST 4        /* XRES_REPORT_BURST (core_int.h) */

static xres_backend be;
static xres_daemon d;
static char dir[64], sock[128], conf[128];

/* What the test subsystem saw. */
static struct {
    int init, dispose, tick, reload;
    int reports[8];
    int nr_events;
    xres_event events[16];
    bool reject_config;
} seen;

static int s_init(xres_daemon *dd) { (void)dd; seen.init++; return 0; }
static void s_dispose(xres_daemon *dd) { (void)dd; seen.dispose++; }
static void s_tick(xres_daemon *dd) { (void)dd; seen.tick++; }
static void s_reload(xres_daemon *dd) { (void)dd; seen.reload++; }
static void s_report(xres_daemon *dd, uint32_t domid)
{
    (void)dd;
    if (domid < 8) seen.reports[domid]++;
}
static void s_event(xres_daemon *dd, const xres_event *ev)
{
    (void)dd;
    if (seen.nr_events < 16) seen.events[seen.nr_events++] = *ev;
}
static int s_check(xres_daemon *dd, const xres_config *cfg)
{
    (void)dd; (void)cfg;
    return seen.reject_config ? -EINVAL : 0;
}

static const xres_subsys s_subsys = {
    .name = "test", .init = s_init, .dispose = s_dispose, .tick = s_tick,
    .reload = s_reload, .on_report = s_report, .on_event = s_event,
    .check_config = s_check,
};
static const xres_subsys *const s_list[] = { &s_subsys, NULL };

static void write_conf(const char *text)
{
    FILE *f = fopen(conf, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A daemon on the default scenario (Domain-0, g1, g2) with conf_text. */
static void start(const char *conf_text)
{
    char err[256];
    xres_daemon_opts o = { 0 };

    memset(&seen, 0, sizeof(seen));
    xres_log_set_level(LOG_WARNING);
    snprintf(dir, sizeof(dir), "/tmp/xres-daemon-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", dir);
    write_conf(conf_text);
    ck_assert_int_eq(xres_sim_open_scenario(&be, NULL, err, sizeof(err)), 0);
    memset(&d, 0, sizeof(d));
    if (xres_daemon_load_config(&d, conf, false, err, sizeof(err)))
        ck_abort_msg("config: %s", err);
    o.socket_path = sock;
    o.subsystems = s_list;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
    ck_assert_int_eq(seen.init, 1);
}

static void stop(void)
{
    xres_daemon_dispose(&d);
    ck_assert_int_eq(seen.dispose, 1);
    xres_backend_dispose(&be);
    unlink(conf);
    rmdir(dir);
}

static void loop(int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(xres_daemon_run_once(&d, 0), 0);
}

START_TEST(test_init_xenstore_areas)
{
    char *v;

    start("report_interval_ms = 60000\n");
    /* Request area: dom0's, the guest may read but not write. */
    ck_assert_int_eq(xres_sim_xs_read_as(&be, 1, "/local/domain/1/xres", &v),
                     0);
    free(v);
    ck_assert_int_eq(xres_sim_xs_write_as(&be, 1, "/local/domain/1/xres/x",
                                          "1"), -EACCES);
    ck_assert_int_eq(xres_sim_xs_read_as(&be, 2, "/local/domain/1/xres", &v),
                     -EACCES);
    /* State area: dom0 only. */
    ck_assert_int_eq(xres_sim_xs_read_as(&be, 1, "/local/domain/0/xres", &v),
                     -EACCES);
    ck_assert_uint_eq(d.host.nr_domains, 3);
    ck_assert_uint_eq(d.nr_dom, 3);
    stop();
}
END_TEST

START_TEST(test_report_coalescing)
{
    char path[96];

    start("report_interval_ms = 60000\n");
    /* The watches fire once on registration: one report each. */
    loop(1);
    ck_assert_int_eq(seen.reports[0], 0);      /* dom0 is not watched */
    ck_assert_int_eq(seen.reports[1], 1);
    ck_assert_int_eq(seen.reports[2], 1);
    /* A guest floods its report area. */
    for (int i = 0; i < 10000; i++) {
        snprintf(path, sizeof(path), "/local/domain/1/data/xres/n%d", i % 7);
        ck_assert_int_eq(xres_sim_xs_write_as(&be, 1, path, "x"), 0);
    }
    loop(20);
    /* Every event was seen.  The flood took 5 iterations to drain (2 x
     * 1024 events each); it got one on_report in each while its bucket
     * held one: the 3 left after the first report.  The domain stays
     * marked for the next one, and was held back once. */
    xres_domstate *ds = xres_daemon_domstate(&d, 1);
    ck_assert_ptr_nonnull(ds);
    ck_assert_uint_eq(ds->report_events, 10001);
    ck_assert(ds->report_dirty);
    ck_assert_int_eq(seen.reports[1], XRES_TEST_BURST);
    ck_assert_int_eq(seen.reports[2], 1);
    ck_assert_uint_eq(d.pstats.reports_deferred, 1);
    /* One interval later the bucket holds one more: the report waiting
     * is taken, once. */
    xres_sim_advance(&be, 60000);
    loop(3);
    ck_assert_int_eq(seen.reports[1], XRES_TEST_BURST + 1);
    ck_assert(!ds->report_dirty);
    /* Writes outside data/xres are not reports. */
    ck_assert_int_eq(xres_sim_xs_write_as(&be, 2, "/local/domain/2/data/foo",
                                          "x"), 0);
    loop(2);
    ck_assert_uint_eq(xres_daemon_domstate(&d, 2)->report_events, 1);
    stop();
}
END_TEST

/* A report that comes after a quiet spell is taken in the iteration it
 * came in, without a wait; a flood takes at most one on_report per
 * iteration. */
START_TEST(test_report_same_iteration)
{
    start("");
    loop(1);
    ck_assert_int_eq(seen.reports[1], 1);
    xres_sim_advance(&be, 5000);
    ck_assert_int_eq(xres_sim_xs_write_as(&be, 1,
                     "/local/domain/1/data/xres/report", "seq=1"), 0);
    loop(1);
    ck_assert_int_eq(seen.reports[1], 2);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(xres_sim_xs_write_as(&be, 1,
                         "/local/domain/1/data/xres/report", "seq=1"), 0);
        loop(1);
        ck_assert_int_eq(seen.reports[1], 3 + i);
    }
    /* The bucket, full again (4) after the 5 s, is empty now. */
    ck_assert_int_eq(xres_sim_xs_write_as(&be, 1,
                     "/local/domain/1/data/xres/report", "seq=1"), 0);
    loop(3);
    ck_assert_int_eq(seen.reports[1], 5);
    ck_assert_uint_eq(d.pstats.reports_deferred, 1);
    stop();
}
END_TEST

START_TEST(test_report_each_loop)
{
    start("report_interval_ms = 0\n");
    loop(1);
    ck_assert_int_eq(seen.reports[1], 1);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(xres_sim_xs_write_as(&be, 1,
                         "/local/domain/1/data/xres/report", "seq=1"), 0);
    loop(1);
    ck_assert_int_eq(seen.reports[1], 2);      /* five writes, one report */
    loop(3);
    ck_assert_int_eq(seen.reports[1], 2);
    ck_assert_int_eq(seen.reports[2], 1);
    /* "seq=1" alone is not a report. */
    ck_assert(!xres_host_find(&d.host, 1)->agent.valid);
    stop();
}
END_TEST

START_TEST(test_domain_events)
{
    uint32_t g3;

    start("");
    loop(1);
    xres_sim_crash_domain(&be, 1);
    loop(1);
    ck_assert_int_eq(seen.nr_events, 2);
    ck_assert_int_eq(seen.events[0].kind, XRES_EV_DOMAIN_SHUTDOWN);
    ck_assert_uint_eq(seen.events[0].domid, 1);
    ck_assert_int_eq(seen.events[0].reason, 3);
    ck_assert_int_eq(seen.events[1].kind, XRES_EV_DOMAIN_DEATH);
    ck_assert_uint_eq(seen.events[1].domid, 1);
    ck_assert_ptr_null(xres_daemon_domstate(&d, 1));
    ck_assert_ptr_null(xres_host_find(&d.host, 1));
    ck_assert_uint_eq(d.host.nr_domains, 2);

    /* A new domain is picked up and its reports watched. */
    ck_assert_int_eq(xres_sim_add_domain(&be, "g3", 262144, 524288, &g3), 0);
    ck_assert_uint_eq(g3, 3);
    loop(2);
    ck_assert_ptr_nonnull(xres_host_find(&d.host, 3));
    ck_assert_ptr_nonnull(xres_daemon_domstate(&d, 3));
    ck_assert_int_eq(seen.reports[3], 1);
    /* Watch events of other tokens go to the subsystem named by the
     * token. */
    ck_assert_int_eq(be.ops->xs_watch(&be, "/local/domain/0/xres/t",
                                      "test:mine"), 0);
    ck_assert_int_eq(be.ops->xs_watch(&be, "/local/domain/0/xres/u",
                                      "other:x"), 0);
    loop(1);
    ck_assert_int_eq(seen.nr_events, 3);
    ck_assert_int_eq(seen.events[2].kind, XRES_EV_WATCH);
    ck_assert_str_eq(seen.events[2].token, "test:mine");
    stop();
}
END_TEST

START_TEST(test_actions)
{
    xres_actions a;

    start("");
    xres_actions_init(&a);
    ck_assert_int_eq(xres_act_set_target(&a, 1, 786432, "test"), 0);
    ck_assert_int_eq(xres_act_set_sched(&a, 2, 512, 50, "test"), 0);
    ck_assert_int_eq(xres_act_set_sched(&a, 2, 0, -1, "bad weight"), 0);
    ck_assert_int_eq(xres_act_wait_target(&a, 1, 786432, 1024, "wait"), 0);
    ck_assert_int_eq(xres_act_set_target(&a, 1, 4194304, "above max"), 0);
    ck_assert_int_eq(xres_actuate(&d, &a.v[0]), 0);
    ck_assert_int_eq(xres_actuate(&d, &a.v[1]), 0);
    ck_assert_int_eq(xres_actuate(&d, &a.v[2]), -EINVAL);
    ck_assert_int_eq(xres_actuate(&d, &a.v[3]), -EINPROGRESS);
    ck_assert_int_eq(xres_actuate(&d, &a.v[4]), -EINVAL);
    ck_assert(d.host_stale);
    ck_assert_int_eq(xres_daemon_refresh_if_stale(&d), 0);
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->target_kb, 786432);
    ck_assert_int_eq(xres_host_find(&d.host, 2)->weight, 512);
    ck_assert_int_eq(xres_host_find(&d.host, 2)->cap, 50);

    /* A subsystem decides a balloon state; it sticks across refreshes. */
    xres_action m = { .kind = XRES_ACT_MARK, .domid = 1 };
    m.u.mark.state = XRES_BALLOON_NOT_RESPONDING;
    ck_assert_int_eq(xres_actuate(&d, &m), 0);
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_int_eq(xres_host_find(&d.host, 1)->balloon,
                     XRES_BALLOON_NOT_RESPONDING);
    xres_daemon_clear_balloon_state(&d, 1);
    ck_assert_int_eq(xres_host_find(&d.host, 1)->balloon,
                     XRES_BALLOON_FIXED);
    xres_actions_dispose(&a);
    stop();
}
END_TEST

/* The one actuator: a wait holds a list until the snapshot shows the
 * domain at its target, fencing a domain that is gone succeeds, and a
 * guest request is written at the number it carries. */
START_TEST(test_actuator)
{
    xres_actions a;
    xres_action req;
    xres_request r;
    char *val = NULL;
    size_t next = 0, len = 0;
    uint64_t cur;

    start("");
    xres_actions_init(&a);
    cur = xres_host_find(&d.host, 1)->cur_kb;
    ck_assert_uint_gt(cur, 786432 + 1024);
    ck_assert_int_eq(xres_act_set_target(&a, 1, 786432, "lower"), 0);
    ck_assert_int_eq(xres_act_wait_target(&a, 1, 786432, 1024, "wait"), 0);
    ck_assert_int_eq(xres_act_set_sched(&a, 2, 384, -1, "after"), 0);
    ck_assert_int_eq(xres_actuate_list(&d, &a, &next), -EINPROGRESS);
    ck_assert_uint_eq(next, 1);
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_int_ne(xres_host_find(&d.host, 2)->weight, 384);
    ck_assert_int_eq(xres_actuate_list(&d, &a, &next), -EINPROGRESS);
    ck_assert_uint_eq(next, 1);
    xres_sim_advance(&be, 600000);
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_uint_le(xres_host_find(&d.host, 1)->cur_kb, 786432 + 1024);
    ck_assert_int_eq(xres_actuate_list(&d, &a, &next), 0);
    ck_assert_uint_eq(next, 3);
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_int_eq(xres_host_find(&d.host, 2)->weight, 384);

    /* A donor already below the figure it waits for has given it. */
    xres_actions_clear(&a);
    ck_assert_int_eq(xres_act_wait_target(&a, 1, 786432 + 65536, 1024,
                                          "below"), 0);
    ck_assert_int_eq(xres_actuate(&d, &a.v[0]), 0);

    /* Fencing is idempotent: a domain already gone counts as fenced. */
    memset(&req, 0, sizeof(req));
    req.kind = XRES_ACT_DESTROY;
    req.domid = 77;
    ck_assert_int_eq(xres_actuate(&d, &req), 0);
    req.kind = XRES_ACT_PAUSE;
    ck_assert_int_eq(xres_actuate(&d, &req), 0);

    /* A guest request goes out at its own number, in the schema's form. */
    memset(&req, 0, sizeof(req));
    req.kind = XRES_ACT_AGENT_REQUEST;
    req.domid = 1;
    snprintf(req.u.req.op, sizeof(req.u.req.op), "release");
    snprintf(req.u.req.arg, sizeof(req.u.req.arg), "65536");
    req.u.req.seq = 7;
    ck_assert_int_eq(xres_actuate(&d, &req), 0);
    ck_assert_int_eq(be.ops->xs_read(&be, "/local/domain/1/xres/request/7",
                                     &val, &len), 0);
    ck_assert_int_eq(xres_schema_parse_request(val, len, &r, NULL, 0), 0);
    ck_assert_int_eq(r.op, XRES_REQ_RELEASE);
    ck_assert_uint_eq(r.kb, 65536);
    free(val);
    snprintf(req.u.req.op, sizeof(req.u.req.op), "reboot");
    ck_assert_int_eq(xres_actuate(&d, &req), -EINVAL);
    xres_actions_dispose(&a);
    stop();
}
END_TEST

START_TEST(test_tick_and_list)
{
    yajl_gen g;
    const unsigned char *buf;
    size_t len;
    char eb[128];

    start("domains = [ \"name=g1, min=256M, max=1536M, priority=4\" ]\n");
    ck_assert_int_eq(be.ops->set_target(&be, 2, 262144), 0);
    xres_daemon_tick(&d);
    ck_assert_int_eq(seen.tick, 1);
    ck_assert_uint_eq(xres_host_find(&d.host, 2)->target_kb, 262144);
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->mem_policy.min_kb, 262144);
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->mem_policy.max_kb,
                      1572864);
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->mem_policy.priority, 4);

    g = yajl_gen_alloc(NULL);
    xres_daemon_list_json(&d, g);
    yajl_gen_get_buf(g, &buf, &len);
    yajl_val v = yajl_tree_parse((const char *)buf, eb, sizeof(eb));
    ck_assert_ptr_nonnull(v);
    yajl_val doms = xres_json_get(v, "domains");
    uint64_t x;
    ck_assert_int_eq(xres_json_get_u64(doms->u.array.values[1], "min_kb",
                                       &x), 0);
    ck_assert_uint_eq(x, 262144);
    ck_assert_int_eq(xres_json_get_u64(doms->u.array.values[1], "max_kb",
                                       &x), 0);
    ck_assert_uint_eq(x, 1572864);
    ck_assert_int_eq(xres_json_get_u64(doms->u.array.values[2], "target_kb",
                                       &x), 0);
    ck_assert_uint_eq(x, 262144);
    yajl_tree_free(v);
    yajl_gen_free(g);
    ck_assert_ptr_nonnull(xres_daemon_find_domain(&d, "g2"));
    ck_assert_uint_eq(xres_daemon_find_domain(&d, "2")->domid, 2);
    ck_assert_ptr_null(xres_daemon_find_domain(&d, "9"));
    ck_assert_ptr_null(xres_daemon_find_domain(&d, "2x"));
    stop();
}
END_TEST

START_TEST(test_reload)
{
    start("tick_ms = 2500\n");
    ck_assert_int_eq(d.cfg.tick_ms, 2500);
    write_conf("tick_ms = [\n");
    ck_assert_int_lt(xres_daemon_reload(&d), 0);
    ck_assert_int_eq(d.cfg.tick_ms, 2500);
    ck_assert_int_eq(seen.reload, 0);
    write_conf("tick_ms = 3000\n");
    seen.reject_config = true;
    ck_assert_int_eq(xres_daemon_reload(&d), -EINVAL);
    ck_assert_int_eq(d.cfg.tick_ms, 2500);
    seen.reject_config = false;
    ck_assert_int_eq(xres_daemon_reload(&d), 0);
    ck_assert_int_eq(d.cfg.tick_ms, 3000);
    ck_assert_int_eq(seen.reload, 1);
    stop();
}
END_TEST

START_TEST(test_exit_leaves_domains)
{
    xres_host before, after;

    start("");
    ck_assert_int_eq(be.ops->set_target(&be, 1, 786432), 0);
    xres_sim_advance(&be, 1000);
    loop(2);
    xres_host_init(&before);
    xres_host_init(&after);
    ck_assert_int_eq(be.ops->snapshot(&be, &before), 0);
    xres_daemon_dispose(&d);
    ck_assert_int_eq(be.ops->snapshot(&be, &after), 0);
    ck_assert_uint_eq(before.nr_domains, after.nr_domains);
    for (size_t i = 0; i < before.nr_domains; i++) {
        ck_assert_uint_eq(before.domains[i].cur_kb, after.domains[i].cur_kb);
        ck_assert_uint_eq(before.domains[i].target_kb,
                          after.domains[i].target_kb);
        ck_assert_uint_eq(before.domains[i].xen_max_kb,
                          after.domains[i].xen_max_kb);
        ck_assert_int_eq(before.domains[i].weight, after.domains[i].weight);
    }
    ck_assert_uint_eq(after.domains[1].target_kb, 786432);
    ck_assert_int_eq(access(sock, F_OK), -1);   /* socket removed */
    xres_host_dispose(&before);
    xres_host_dispose(&after);
    ck_assert_int_eq(seen.dispose, 1);
    xres_backend_dispose(&be);
    unlink(conf);
    rmdir(dir);
}
END_TEST

START_TEST(test_stale_socket)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char err[128];
    xres_daemon_opts o = { 0 };
    int fd;

    snprintf(dir, sizeof(dir), "/tmp/xres-daemon-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    /* A socket left by a daemon that died. */
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(sa.sun_path, sock);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    ck_assert_int_eq(xres_sim_open_scenario(&be, NULL, err, sizeof(err)), 0);
    memset(&d, 0, sizeof(d));
    o.socket_path = sock;
    o.subsystems = s_list;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
    xres_daemon_dispose(&d);
    /* Something that is not a socket is never removed. */
    fd = open(sock, O_CREAT | O_WRONLY, 0600);
    close(fd);
    memset(&d, 0, sizeof(d));
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), -EEXIST);
    ck_assert_int_eq(access(sock, F_OK), 0);
    unlink(sock);
    xres_backend_dispose(&be);
    rmdir(dir);
}
END_TEST

/* A report as xres-agent writes it, written as the guest itself: one
 * value, data/xres/report. */
static void guest_report(uint32_t domid, const char *seq, const char *used)
{
    char path[XRES_SCHEMA_PATH_MAX], val[512];
    unsigned long long u = strtoull(used, NULL, 10);

    snprintf(val, sizeof(val), "seq=%s version=0.1.0 heartbeat=5000 "
             "heartbeat-interval=10 mem-total=1048576 mem-avail=%llu "
             "mem-used=%llu swap-used=0 balloon-cur=1048576 "
             "balloon-target=1048576 cpu-pct=12", seq, 1048576ULL - u, u);
    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/report", domid);
    ck_assert_int_eq(xres_sim_xs_write_as(&be, domid, path, val), 0);
}

static const char *list_state(uint32_t domid)
{
    return xres_balloon_state_name(xres_host_find(&d.host, domid)->balloon);
}

/* A guest's report, end to end: XenStore write -> watch -> on_report with
 * the figures in the snapshot; balloon states; a silent agent expires. */
START_TEST(test_agent_end_to_end)
{
    start("report_interval_ms = 0\n");
    loop(1);
    ck_assert_int_eq(seen.reports[1], 1);
    ck_assert(!xres_host_find(&d.host, 1)->agent.valid);
    ck_assert_str_eq(list_state(1), "fixed");

    guest_report(1, "1", "307200");
    loop(1);
    ck_assert_int_eq(seen.reports[1], 2);
    const xres_domain *g1 = xres_host_find(&d.host, 1);
    ck_assert(g1->agent.valid);
    ck_assert_uint_eq(g1->agent.mem_used_kb, 307200);
    ck_assert_uint_eq(g1->agent.mem_total_kb, 1048576);
    ck_assert_uint_eq(g1->agent.cpu_pct, 12);
    ck_assert_str_eq(list_state(1), "ok");
    /* g2 has no agent. */
    ck_assert_str_eq(list_state(2), "fixed");

    /* A lower target: moving until the balloon gets there. */
    ck_assert_int_eq(be.ops->set_target(&be, 1, 786432), 0);
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_str_eq(list_state(1), "moving");
    xres_sim_advance(&be, 10000);       /* 64 MiB/s: 256 MiB in 4 s */
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_str_eq(list_state(1), "ok");
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->cur_kb, 786432);

    /* Garbage from the guest: not reporting, nothing crashes. */
    ck_assert_int_eq(xres_sim_xs_write_as(&be, 1,
                     "/local/domain/1/data/xres/report",
                     "seq=2 version=0.1.0 heartbeat=5000 "
                     "heartbeat-interval=10 mem-total=1048576 "
                     "mem-avail=741376 mem-used=12a swap-used=0 "
                     "balloon-cur=1048576 balloon-target=1048576 "
                     "cpu-pct=12"), 0);
    loop(1);
    ck_assert_int_eq(seen.reports[1], 3);
    ck_assert(!xres_host_find(&d.host, 1)->agent.valid);
    ck_assert_str_eq(list_state(1), "fixed");

    /* A good report again, then silence past 2 x 10 s + 5 s: the tick
     * expires it and tells the subsystems. */
    guest_report(1, "3", "204800");
    loop(1);
    ck_assert_int_eq(seen.reports[1], 4);
    ck_assert(xres_host_find(&d.host, 1)->agent.valid);
    xres_sim_advance(&be, 24000);
    xres_daemon_tick(&d);
    ck_assert(xres_host_find(&d.host, 1)->agent.valid);
    ck_assert_int_eq(seen.reports[1], 4);
    xres_sim_advance(&be, 2000);
    xres_daemon_tick(&d);
    ck_assert(!xres_host_find(&d.host, 1)->agent.valid);
    ck_assert_int_eq(seen.reports[1], 5);
    stop();
}
END_TEST

/* g1's min_kb in a `list` over the socket, or -1. */
static long long list_min_g1(void)
{
    char *reply = NULL, eb[128];
    long long v = -1;

    if (xres_ipc_call(sock, "{\"cmd\":\"list\"}", 14, &reply, NULL,
                      10000))
        return -1;
    yajl_val r = yajl_tree_parse(reply, eb, sizeof(eb));
    free(reply);
    yajl_val doms = xres_json_get(r, "domains");
    if (YAJL_IS_ARRAY(doms) && doms->u.array.len > 1)
        xres_json_get_int(doms->u.array.values[1], "min_kb", &v);
    yajl_tree_free(r);
    return v;
}

/* The signals, in a forked daemon: SIGHUP reloads, SIGTERM ends it with
 * status 0, its socket removed. */
START_TEST(test_signals)
{
    char err[256];
    pid_t pid;
    int status;

    snprintf(dir, sizeof(dir), "/tmp/xres-daemon-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", dir);
    write_conf("tick_ms = 60000\n");
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        xres_daemon_opts o = { .socket_path = sock, .use_signals = true };
        xres_log_set_level(LOG_ERR);
        memset(&d, 0, sizeof(d));
        if (xres_sim_open_scenario(&be, NULL, err, sizeof(err)) ||
            xres_sim_follow(&be, xres_clock_monotonic()) ||
            xres_daemon_load_config(&d, conf, false, err, sizeof(err)))
            _exit(3);
        o.clock = xres_sim_clock(&be);
        if (xres_daemon_init(&d, &be, &o))
            _exit(3);
        int rc = xres_daemon_run(&d);
        xres_daemon_dispose(&d);
        xres_backend_dispose(&be);
        _exit(rc ? 1 : 0);
    }
    /* Wait (bounded) for it to answer. */
    for (int i = 0; i < 1000 && list_min_g1() < 0; i++) usleep(10000);
    ck_assert_int_eq(list_min_g1(), 0);
    write_conf("tick_ms = 60000\ndomains = [ \"name=g1, min=300M\" ]\n");
    ck_assert_int_eq(kill(pid, SIGHUP), 0);
    for (int i = 0; i < 1000 && list_min_g1() != 307200; i++) usleep(10000);
    ck_assert_int_eq(list_min_g1(), 307200);
    /* A bad file is refused and the daemon carries on with the old one. */
    write_conf("tick_ms = [\n");
    ck_assert_int_eq(kill(pid, SIGHUP), 0);
    ck_assert_int_eq(list_min_g1(), 307200);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(access(sock, F_OK), -1);
    unlink(conf);
    rmdir(dir);
}
END_TEST

Suite *daemon_suite(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_init_xenstore_areas);
    tcase_add_test(tc, test_report_coalescing);
    tcase_add_test(tc, test_report_each_loop);
    tcase_add_test(tc, test_report_same_iteration);
    tcase_add_test(tc, test_domain_events);
    tcase_add_test(tc, test_actions);
    tcase_add_test(tc, test_actuator);
    tcase_add_test(tc, test_tick_and_list);
    tcase_add_test(tc, test_reload);
    tcase_add_test(tc, test_exit_leaves_domains);
    tcase_add_test(tc, test_stale_socket);
    tcase_add_test(tc, test_signals);
    tcase_add_test(tc, test_agent_end_to_end);
    suite_add_tcase(s, tc);
    return s;
}
