/*
 * tests/unit/test_daemon_pair.c: the pair subsystem inside xresd on the
 * simulated host: pair-create through the command hook, the guest agents
 * played through the simulator's XenStore (app state, acks), a crash of
 * the active, and xresd stopped in the middle of the failover and started
 * again from what it stored.
 *
 * Default scenario: Domain-0 2 GiB, g1 (dom1) 1 GiB of 2 GiB, g2 (dom2)
 * 512 MiB of 1 GiB.  Pair: g1 active, g2 standby, app web (128 MiB, hot).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_sim.h"
#include "daemon.h"
#include "ipc.h"
#include "metrics.h"
#include "subsys.h"
#include "util.h"

#define MiB 1024ULL

static xres_backend be;
static xres_daemon d;
static char dir[64], sock[128], conf[128];
static const xres_subsys *const only_pair[] = { &xres_subsys_pair, NULL };
static unsigned stops[3], starts[3];     /* requests the agents carried out */
static unsigned refuses[3];
static uint64_t start_cur_kb[3];         /* the domain's memory at a start */

static void daemon_up(void)
{
    char err[256];
    xres_daemon_opts o = { 0 };

    memset(&d, 0, sizeof(d));
    if (xres_daemon_load_config(&d, conf, false, err, sizeof(err)))
        ck_abort_msg("config: %s", err);
    o.socket_path = sock;
    o.subsystems = only_pair;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
}

static const char *conf_extra = "";

static void write_conf(const char *extra)
{
    FILE *f = fopen(conf, "w");

    ck_assert_ptr_nonnull(f);
    fputs("report_interval_ms = 100\ntick_ms = 500\n", f);
    fputs(extra, f);
    fclose(f);
}

static void start(void)
{
    char err[256];

    xres_log_set_level(getenv("PAIR_DEBUG") ? LOG_DEBUG : LOG_ERR);
    snprintf(dir, sizeof(dir), "/tmp/xres-pair-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", dir);
    write_conf(conf_extra);
    ck_assert_int_eq(xres_sim_open_scenario(&be, NULL, err, sizeof(err)), 0);
    xres_sim_set_balloon_rate(&be, 2, 1024 * MiB);
    memset(stops, 0, sizeof(stops));
    memset(starts, 0, sizeof(starts));
    memset(refuses, 0, sizeof(refuses));
    memset(start_cur_kb, 0, sizeof(start_cur_kb));
    daemon_up();
}

static void stop(void)
{
    xres_daemon_dispose(&d);
    xres_backend_dispose(&be);
    unlink(conf);
    rmdir(dir);
    xres_log_set_level(LOG_INFO);
}

/* An app's whole status, as xres-agent writes it. */
static void app_status(uint32_t dom, const char *app, const char *state,
                       const char *level)
{
    static const char *const keys[] = { "restarts", "memory", "hot-standby",
                                        "level", "state" };
    const char *vals[] = { "0", "131072", "1", level, state };
    char path[128];

    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "/local/domain/%u/data/xres/app/%s/%s",
                 dom, app, keys[i]);
        ck_assert_int_eq(xres_sim_xs_write_as(&be, dom, path, vals[i]), 0);
    }
}

static uint64_t cur_kb(uint32_t domid);

/* The guests' agents: answer every request not answered yet; "start APP"
 * marks the app running, "stop APP" stopped. */
static unsigned agents(void)
{
    unsigned answered = 0;

    for (uint32_t dom = 1; dom <= 2; dom++) {
        char path[128], **names = NULL, *v = NULL;
        unsigned n = 0;

        snprintf(path, sizeof(path), "/local/domain/%u/xres/request", dom);
        if (be.ops->xs_directory(&be, path, &names, &n)) continue;
        for (unsigned i = 0; i < n; i++) {
            char ack[128], app[64], rq[160];
            snprintf(ack, sizeof(ack), "/local/domain/%u/data/xres/ack/%s",
                     dom, names[i]);
            if (!xres_sim_xs_read_as(&be, dom, ack, &v)) {
                free(v);
                continue;
            }
            snprintf(rq, sizeof(rq), "%s/%s", path, names[i]);
            if (xres_sim_xs_read_as(&be, dom, rq, &v)) continue;
            if (sscanf(v, "stop %63s", app) == 1) {
                stops[dom]++;
                app_status(dom, app, "stopped", "0");
            }
            if (sscanf(v, "start %63s", app) == 1) {
                starts[dom]++;
                start_cur_kb[dom] = cur_kb(dom);
                app_status(dom, app, "running", "0");
            }
            if (sscanf(v, "refuse %63s", app) == 1) refuses[dom]++;
            free(v);
            ck_assert_int_eq(xres_sim_xs_write_as(&be, dom, ack, "ok"), 0);
            answered++;
        }
        for (unsigned i = 0; i < n; i++) free(names[i]);
        free(names);
    }
    return answered;
}

static unsigned pending(uint32_t dom)
{
    char path[64], **names = NULL;
    unsigned n = 0;

    snprintf(path, sizeof(path), "/local/domain/%u/xres/request", dom);
    if (be.ops->xs_directory(&be, path, &names, &n)) return 0;
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
    return n;
}

static void run(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        xres_sim_advance(&be, 100);
        ck_assert_int_eq(xres_daemon_run_once(&d, 0), 0);
        agents();
    }
}

/* Calls the pair subsystem's command hook; returns the parsed reply. */
static yajl_val command(const char *json)
{
    yajl_val req = yajl_tree_parse(json, NULL, 0), reply;
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    char *s;

    ck_assert_ptr_nonnull(req);
    /* The core takes a snapshot before every command. */
    ck_assert_int_eq(xres_daemon_refresh(&d), 0);
    ck_assert_int_eq(xres_subsys_pair.command(&d, xres_json_get_str(req, "cmd"),
                                              req, g), 0);
    yajl_gen_get_buf(g, &buf, &len);
    s = strndup((const char *)buf, len);
    reply = yajl_tree_parse(s, NULL, 0);
    ck_assert_msg(reply != NULL, "bad reply %s", s);
    free(s);
    yajl_gen_free(g);
    yajl_tree_free(req);
    return reply;
}

static uint64_t cur_kb(uint32_t domid)
{
    xres_host h;
    uint64_t v = 0;

    xres_host_init(&h);
    ck_assert_int_eq(be.ops->snapshot(&be, &h), 0);
    if (xres_host_find(&h, domid)) v = xres_host_find(&h, domid)->cur_kb;
    xres_host_dispose(&h);
    return v;
}

static const char *area_owner(const char *area)
{
    static char owner[32];
    yajl_val r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");
    yajl_val areas = xres_json_get(xres_json_get(r, "pair"), "areas");

    owner[0] = 0;
    for (size_t i = 0; areas && i < areas->u.array.len; i++) {
        yajl_val a = areas->u.array.values[i];
        if (!strcmp(xres_json_get_str(a, "name"), area))
            snprintf(owner, sizeof(owner), "%s",
                     xres_json_get_str(a, "owner"));
    }
    yajl_tree_free(r);
    return owner;
}

static void setup_pair(void)
{
    yajl_val r;

    r = command("{\"cmd\":\"pair-create\",\"name\":\"p\",\"active\":\"g1\","
                "\"standby\":\"g2\",\"apps\":[{\"name\":\"web\","
                "\"size_kb\":131072,\"hot\":true}]}");
    ck_assert_msg(xres_json_get_bool(r, "ok", false), "%s",
                  xres_json_get_str(r, "error"));
    yajl_tree_free(r);
    /* The active's agent reports web running. */
    app_status(1, "web", "running", "0");
    run(5);
    ck_assert_str_eq(area_owner("web"), "active");
    /* The standby holds web stopped until a failover. */
    ck_assert_uint_eq(stops[2], 1);
    ck_assert_uint_eq(starts[2], 0);
    /* Once acked, xresd removed that request. */
    ck_assert_uint_eq(pending(2), 0);
}

/* The failovers of pair p that ended, as the metrics count them. */
static void failovers_counted(unsigned domain, unsigned app)
{
    char *mt = NULL, want[96];

    ck_assert_int_eq(xres_daemon_metrics_text(&d, &mt, NULL), 0);
    snprintf(want, sizeof(want), "xres_failovers_total{pair=\"p\",kind="
             "\"domain\"} %u\nxres_failovers_total{pair=\"p\",kind=\"app\"} "
             "%u\n", domain, app);
    ck_assert_msg(strstr(mt, want) != NULL, "no %s in:\n%s", want, mt);
    free(mt);
}

/* pair=, role= and pair_apps= in xres.conf declare a pair: xresd creates
 * it at start-up, and keeps it (not a second one) when it restarts. */
START_TEST(test_declared)
{
    yajl_val r, p, apps;
    uint64_t v = 0;

    conf_extra = "domains = [ \"name=g1, pair=web, role=active, "
                 "pair_apps=shop:128M:hot\",\n"
                 "            \"name=g2, pair=web, role=standby\" ]\n";
    start();
    conf_extra = "";
    for (int round = 0; round < 2; round++) {
        r = command("{\"cmd\":\"pair-show\",\"name\":\"web\"}");
        ck_assert_msg(xres_json_get_bool(r, "ok", false), "%s",
                      xres_json_get_str(r, "error"));
        p = xres_json_get(r, "pair");
        ck_assert_int_eq(xres_json_get_u64(p, "active", &v), 0);
        ck_assert_uint_eq(v, 1);
        ck_assert_int_eq(xres_json_get_u64(p, "standby", &v), 0);
        ck_assert_uint_eq(v, 2);
        apps = xres_json_get(p, "apps");
        ck_assert_uint_eq(apps->u.array.len, 1);
        ck_assert_str_eq(xres_json_get_str(apps->u.array.values[0], "name"),
                         "shop");
        ck_assert_int_eq(xres_json_get_u64(apps->u.array.values[0],
                                           "size_kb", &v), 0);
        ck_assert_uint_eq(v, 128 * MiB);
        ck_assert(xres_json_get_bool(apps->u.array.values[0], "hot", false));
        yajl_tree_free(r);
        r = command("{\"cmd\":\"pair-list\"}");
        ck_assert_uint_eq(xres_json_get(r, "pairs")->u.array.len, 1);
        yajl_tree_free(r);
        /* The standby holds shop stopped, as after pair-create. */
        run(5);
        ck_assert_uint_eq(stops[2], 1);
        /* xresd restarts: the stored pair is the declared one. */
        xres_daemon_dispose(&d);
        daemon_up();
    }
    stop();
}
END_TEST

/* A pair made at run time wins over xres.conf under the same name with
 * other members; a declared pair whose domains do not run waits. */
START_TEST(test_declared_conflict)
{
    yajl_val r;
    uint64_t v = 0;

    start();
    setup_pair();                       /* run-time pair p: g1 -> g2 */
    xres_daemon_dispose(&d);
    write_conf("domains = [ \"name=g2, pair=p, role=active\",\n"
               "            \"name=g1, pair=p, role=standby\",\n"
               "            \"name=g3, pair=q, role=active\",\n"
               "            \"name=g4, pair=q, role=standby\" ]\n");
    daemon_up();
    r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");
    ck_assert_int_eq(xres_json_get_u64(xres_json_get(r, "pair"), "active",
                                       &v), 0);
    ck_assert_uint_eq(v, 1);
    yajl_tree_free(r);
    r = command("{\"cmd\":\"pair-show\",\"name\":\"q\"}");
    ck_assert_str_eq(xres_json_get_str(r, "error"), "no pair `q'");
    yajl_tree_free(r);
    r = command("{\"cmd\":\"pair-list\"}");
    ck_assert_uint_eq(xres_json_get(r, "pairs")->u.array.len, 1);
    yajl_tree_free(r);
    stop();
}
END_TEST

START_TEST(test_refused)
{
    yajl_val r;

    start();
    r = command("{\"cmd\":\"pair-create\",\"name\":\"p\",\"active\":\"g1\","
                "\"standby\":\"g2\",\"apps\":[{\"name\":\"web\","
                "\"size_kb\":786432,\"hot\":true}]}");
    ck_assert(!xres_json_get_bool(r, "ok", true));
    ck_assert_ptr_nonnull(strstr(xres_json_get_str(r, "error"),
                                 "standby g2 (dom2) has maxmem 1024 MiB"));
    yajl_tree_free(r);
    r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");
    ck_assert_str_eq(xres_json_get_str(r, "error"), "no pair `p'");
    yajl_tree_free(r);
    stop();
}
END_TEST

START_TEST(test_crash)
{
    start();
    setup_pair();
    ck_assert_uint_eq(cur_kb(2), 512 * MiB);
    xres_sim_crash_domain(&be, 1);
    /* The failover waits for the standby's balloon: xresd asks for a tick
     * within 200 ms rather than the configured 500. */
    ck_assert_int_eq(xres_daemon_run_once(&d, 0), 0);
    yajl_val r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");
    yajl_val p = xres_json_get(r, "pair");
    ck_assert(YAJL_IS_OBJECT(xres_json_get(p, "failover")));
    ck_assert_uint_le(d.next_tick_ms, xres_daemon_now_ms(&d) + 200);
    yajl_tree_free(r);
    run(40);
    ck_assert_uint_eq(cur_kb(1), 0);
    ck_assert_uint_eq(cur_kb(2), (512 + 128) * MiB);
    ck_assert_str_eq(area_owner("web"), "standby");
    ck_assert_str_eq(area_owner("base"), "host");
    ck_assert_uint_eq(starts[2], 1);
    ck_assert_uint_eq(pending(2), 0);

    /* Memory balancing is told to keep the standby where it is now. */
    ck_assert_uint_eq(xres_host_find(&d.host, 2)->mem_floor_kb,
                      (512 + 128) * MiB);
    xres_daemon_refresh(&d);
    ck_assert_uint_eq(xres_host_find(&d.host, 2)->mem_floor_kb,
                      (512 + 128) * MiB);

    /* The failover's timing: xresd's share and the guests' share. */
    uint64_t ts = 0, guest = 0, bal = 0, ack = 0, tw = 0, tot = 0, fl = 0;
    r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");
    p = xres_json_get(r, "pair");
    yajl_val t = xres_json_get(p, "last_failover_timing");
    ck_assert(YAJL_IS_OBJECT(t));
    ck_assert_str_eq(xres_json_get_str(t, "kind"), "domain");
    ck_assert_int_eq(xres_json_get_u64(t, "toolstack_us", &ts), 0);
    ck_assert_int_eq(xres_json_get_u64(t, "guest_ms", &guest), 0);
    ck_assert_int_eq(xres_json_get_u64(t, "balloon_ms", &bal), 0);
    ck_assert_int_eq(xres_json_get_u64(t, "start_ack_ms", &ack), 0);
    ck_assert_int_eq(xres_json_get_u64(t, "target_written_ms", &tw), 0);
    ck_assert_int_eq(xres_json_get_u64(t, "total_ms", &tot), 0);
    ck_assert_int_eq(xres_json_get_u64(p, "standby_floor_kb", &fl), 0);
    ck_assert_uint_eq(fl, (512 + 128) * MiB);
    ck_assert_uint_gt(ts, 0);
    ck_assert_uint_gt(bal, 0);          /* the sim's balloon takes time */
    ck_assert_uint_eq(guest, bal + ack);
    ck_assert_uint_le(tw + guest, tot);
    yajl_tree_free(r);
    failovers_counted(1, 0);
    stop();
}
END_TEST

/* xresd stops right after the crash was handled partly, and a new one
 * takes over from XenStore. */
START_TEST(test_crash_restart_daemon)
{
    start();
    setup_pair();
    xres_sim_crash_domain(&be, 1);
    ck_assert_int_eq(xres_daemon_run_once(&d, 0), 0);  /* events, steps */
    xres_daemon_dispose(&d);
    xres_sim_advance(&be, 1000);
    agents();
    daemon_up();
    run(40);
    ck_assert_uint_eq(cur_kb(2), (512 + 128) * MiB);
    ck_assert_str_eq(area_owner("web"), "standby");
    stop();
}
END_TEST

START_TEST(test_app_level3)
{
    start();
    setup_pair();
    xres_sim_set_balloon_rate(&be, 1, 1024 * MiB);
    app_status(1, "web", "running", "3");
    run(60);
    ck_assert_uint_eq(cur_kb(1), (1024 - 128) * MiB);
    ck_assert_uint_eq(cur_kb(2), (512 + 128) * MiB);
    ck_assert_str_eq(area_owner("web"), "standby");
    ck_assert_str_eq(area_owner("base"), "active");
    failovers_counted(0, 1);
    stop();
}
END_TEST

/* The active dies while web's app failover runs: that failover ends, and
 * then the whole domain fails over. */
START_TEST(test_crash_during_app_failover)
{
    yajl_val r;

    start();
    setup_pair();
    app_status(1, "web", "running", "3");
    xres_sim_advance(&be, 100);
    ck_assert_int_eq(xres_daemon_run_once(&d, 0), 0);
    xres_daemon_tick(&d);
    r = command("{\"cmd\":\"pair-list\"}");
    ck_assert_str_eq(xres_json_get_str(xres_json_get(
        xres_json_get(r, "pairs")->u.array.values[0], "failover"), "kind"),
        "app");
    yajl_tree_free(r);
    xres_sim_crash_domain(&be, 1);
    run(60);
    ck_assert_uint_eq(cur_kb(1), 0);
    ck_assert_uint_eq(cur_kb(2), (512 + 128) * MiB);
    ck_assert_str_eq(area_owner("web"), "standby");
    ck_assert_str_eq(area_owner("base"), "host");
    r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");
    ck_assert_str_eq(xres_json_get_str(xres_json_get(r, "pair"), "state"),
                     "failed-over");
    ck_assert_uint_eq(xres_json_get(xres_json_get(r, "pair"), "log")
                      ->u.array.len, 2);
    yajl_tree_free(r);
    stop();
}
END_TEST

/* The active's agent writes report seq with this heartbeat-interval;
 * adds_up false: figures that do not add up, so the report is never
 * taken, and only its seq tells that the agent lives. */
static void active_report(unsigned seq, unsigned hb_interval_s, bool adds_up)
{
    char val[400];

    snprintf(val, sizeof(val), "seq=%u version=0.1.0 heartbeat=%u "
             "heartbeat-interval=%u mem-total=1048576 mem-avail=786432 "
             "mem-used=%u swap-used=0 balloon-cur=1048576 "
             "balloon-target=1048576 cpu-pct=5", seq, seq * 1000,
             hb_interval_s, adds_up ? 262144 : 1);
    ck_assert_int_eq(xres_sim_xs_write_as(&be, 1,
                     "/local/domain/1/data/xres/report", val), 0);
}

static const char *pair_state(void)
{
    static char st[32];
    yajl_val r = command("{\"cmd\":\"pair-show\",\"name\":\"p\"}");

    snprintf(st, sizeof(st), "%s",
             xres_json_get_str(xres_json_get(r, "pair"), "state"));
    yajl_tree_free(r);
    return st;
}

/* The active's heartbeat is the seq of its report record, and its
 * heartbeat-interval stretches the pair's 30 s timeout: 2 x 60 + 5 s. */
START_TEST(test_heartbeat_interval_from_report)
{
    start();
    d.cfg.report_interval_ms = 0;       /* every report, on the fast clock */
    setup_pair();
    for (unsigned s = 1; s <= 10; s++) {
        active_report(s, 60, true);
        run(10);
    }
    ck_assert(xres_host_find(&d.host, 1)->agent.valid);
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->agent.hb_interval_s, 60);
    /* Silent for about 40 s, then about 120 s: within 125 s. */
    run(400);
    ck_assert_str_eq(pair_state(), "normal");
    run(800);
    ck_assert_str_eq(pair_state(), "normal");
    ck_assert_str_eq(area_owner("web"), "active");
    /* Past 125 s: the standby takes over. */
    run(150);
    ck_assert_str_eq(area_owner("web"), "standby");
    ck_assert_uint_eq(starts[2], 1);
    stop();
}
END_TEST

/* Reports that are never taken (figures that do not add up) still carry
 * the heartbeat: a changing seq keeps the pair as it is, silence past the
 * 30 s timeout fails it over. */
START_TEST(test_heartbeat_seq_of_rejected_report)
{
    start();
    d.cfg.report_interval_ms = 0;
    setup_pair();
    for (unsigned s = 1; s <= 50; s++) {
        active_report(s, 10, false);
        run(10);
    }
    ck_assert(!xres_host_find(&d.host, 1)->agent.valid);
    ck_assert_uint_eq(xres_host_find(&d.host, 1)->agent.heartbeat_ms, 0);
    /* 50 s of reports: longer than the timeout, no failover. */
    ck_assert_str_eq(pair_state(), "normal");
    ck_assert_str_eq(area_owner("web"), "active");
    /* Silent for about 28 s: still fine; then past 30 s. */
    run(280);
    ck_assert_str_eq(pair_state(), "normal");
    run(80);
    ck_assert_str_eq(area_owner("web"), "standby");
    ck_assert_uint_eq(starts[2], 1);
    stop();
}
END_TEST

/* ---- failover --dry-run against what the actuator carries out ---- */

#define REC_MAX 32
static const xres_backend_ops *real_ops;
static xres_backend_ops rec_ops;
static char rec[REC_MAX][200];
static unsigned nrec;

static void rec_add(xres_action_kind kind, uint32_t domid, uint64_t kb,
                    const char *op, const char *arg)
{
    xres_action a;

    memset(&a, 0, sizeof(a));
    a.kind = kind;
    a.domid = domid;
    if (kind == XRES_ACT_SET_SCHED) {
        a.u.sched.weight = (int)kb;
        a.u.sched.cap = op ? atoi(op) : 0;
    } else if (kind == XRES_ACT_AGENT_REQUEST) {
        snprintf(a.u.req.op, sizeof(a.u.req.op), "%s", op);
        snprintf(a.u.req.arg, sizeof(a.u.req.arg), "%s", arg);
    } else {
        a.u.mem.kb = kb;
    }
    ck_assert_uint_lt(nrec, REC_MAX);
    xres_action_format(&a, rec[nrec++], sizeof(rec[0]));
}

static int rec_target(xres_backend *b, uint32_t domid, uint64_t kb)
{
    rec_add(XRES_ACT_SET_TARGET, domid, kb, NULL, NULL);
    return real_ops->set_target(b, domid, kb);
}

static int rec_maxmem(xres_backend *b, uint32_t domid, uint64_t kb)
{
    rec_add(XRES_ACT_SET_MAXMEM, domid, kb, NULL, NULL);
    return real_ops->set_maxmem(b, domid, kb);
}

static int rec_sched(xres_backend *b, uint32_t domid, int weight, int cap)
{
    char c[16];

    snprintf(c, sizeof(c), "%d", cap);
    rec_add(XRES_ACT_SET_SCHED, domid, (uint64_t)weight, c, NULL);
    return real_ops->set_sched(b, domid, weight, cap);
}

static int rec_destroy(xres_backend *b, uint32_t domid)
{
    rec_add(XRES_ACT_DESTROY, domid, 0, NULL, NULL);
    return real_ops->destroy(b, domid);
}

/* Requests as written: "op arg" under a domain's xres/request. */
static int rec_write(xres_backend *b, const char *path, const char *val,
                     size_t len)
{
    char text[160], op[16], arg[80];
    unsigned dom;
    unsigned long long seq;

    if (sscanf(path, "/local/domain/%u/xres/request/%llu", &dom, &seq) == 2) {
        snprintf(text, sizeof(text), "%.*s", (int)len, val);
        ck_assert_int_eq(sscanf(text, "%15s %79s", op, arg), 2);
        rec_add(XRES_ACT_AGENT_REQUEST, dom, 0, op, arg);
    }
    return real_ops->xs_write(b, path, val, len);
}

static void record_start(void)
{
    real_ops = be.ops;
    rec_ops = *be.ops;
    rec_ops.set_target = rec_target;
    rec_ops.set_maxmem = rec_maxmem;
    rec_ops.set_sched = rec_sched;
    rec_ops.destroy = rec_destroy;
    rec_ops.xs_write = rec_write;
    be.ops = &rec_ops;
    nrec = 0;
}

/* The dry run's lines without their "# why" part, as the backend saw
 * them. */
static unsigned dry_run(const char *req, char lines[][200])
{
    yajl_val r = command(req), a;
    unsigned n = 0;

    ck_assert_msg(xres_json_get_bool(r, "ok", false), "%s",
                  xres_json_get_str(r, "error"));
    ck_assert(xres_json_get_bool(r, "dry_run", false));
    a = xres_json_get(r, "actions");
    ck_assert(YAJL_IS_ARRAY(a));
    for (size_t i = 0; i < a->u.array.len; i++) {
        char *hash;
        ck_assert_uint_lt(n, REC_MAX);
        snprintf(lines[n], 200, "%s", YAJL_GET_STRING(a->u.array.values[i]));
        if ((hash = strstr(lines[n], " # "))) *hash = 0;
        n++;
    }
    yajl_tree_free(r);
    return n;
}

static void check_same(char want[][200], unsigned n)
{
    ck_assert_uint_eq(nrec, n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_str_eq(rec[i], want[i]);
}

START_TEST(test_dry_run_domain)
{
    char want[REC_MAX][200];
    yajl_val r;
    unsigned n;

    start();
    setup_pair();
    n = dry_run("{\"cmd\":\"failover\",\"name\":\"p\",\"dry_run\":true}",
                want);
    /* Nothing was done: the pair is as it was. */
    ck_assert_str_eq(pair_state(), "normal");
    ck_assert_uint_eq(cur_kb(1), 1024 * MiB);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(want[0], "destroy dom1");
    ck_assert_str_eq(want[1], "set-maxmem dom2 1048576KiB");
    ck_assert_str_eq(want[2], "set-target dom2 655360KiB");
    ck_assert_str_eq(want[3], "agent-request dom2 engage 131072");
    ck_assert_str_eq(want[4], "set-sched dom2 weight=256 cap=0");
    ck_assert_str_eq(want[5], "agent-request dom2 start web");

    record_start();
    r = command("{\"cmd\":\"failover\",\"name\":\"p\"}");
    ck_assert(xres_json_get_bool(r, "ok", false));
    yajl_tree_free(r);
    run(60);
    ck_assert_str_eq(pair_state(), "failed-over");
    be.ops = real_ops;
    check_same(want, n);
    stop();
}
END_TEST

START_TEST(test_dry_run_app)
{
    char want[REC_MAX][200];
    yajl_val r;
    unsigned n;

    start();
    setup_pair();
    n = dry_run("{\"cmd\":\"failover\",\"name\":\"p\",\"app\":\"web\","
                "\"dry_run\":true}", want);
    ck_assert_uint_eq(n, 8);
    ck_assert_str_eq(want[0], "agent-request dom1 stop web");
    ck_assert_str_eq(want[1], "set-target dom1 917504KiB");
    ck_assert_str_eq(want[2], "agent-request dom1 release 917504");
    ck_assert_str_eq(want[3], "set-maxmem dom1 1966080KiB");
    ck_assert_str_eq(want[7], "agent-request dom2 start web");

    record_start();
    r = command("{\"cmd\":\"failover\",\"name\":\"p\",\"app\":\"web\"}");
    ck_assert(xres_json_get_bool(r, "ok", false));
    yajl_tree_free(r);
    run(60);
    be.ops = real_ops;
    ck_assert_str_eq(area_owner("web"), "standby");
    check_same(want, n);
    /* A dry run of a failover that cannot start says why. */
    r = command("{\"cmd\":\"failover\",\"name\":\"p\",\"app\":\"web\","
                "\"dry_run\":true}");
    ck_assert(!xres_json_get_bool(r, "ok", true));
    yajl_tree_free(r);
    stop();
}
END_TEST

/* A non-hot app asks for its extension before it starts (003, routine
 * 110): granted while the host has its size free, the agent told to start
 * it once Xen shows the memory engaged; refused with one MiB less, the
 * agent told so and the active left as it was. */
static void ask_extension(uint64_t spare_mib)
{
    yajl_val r;
    char path[128];
    static const char *const keys[] = { "restarts", "memory", "hot-standby",
                                        "level", "state" };
    const char *vals[] = { "0", "1048576", "0", "0", "asking" };
    uint64_t free_kb = xres_sim_free_kb(&be);

    /* Leave exactly spare_mib free. */
    ck_assert_int_eq(xres_sim_set_reserved_kb(&be, free_kb - spare_mib * MiB),
                     0);
    ck_assert_uint_eq(xres_sim_free_kb(&be), spare_mib * MiB);
    r = command("{\"cmd\":\"pair-create\",\"name\":\"p\",\"active\":\"g1\","
                "\"standby\":\"g2\",\"apps\":[{\"name\":\"web\","
                "\"size_kb\":131072,\"hot\":true},{\"name\":\"batch\","
                "\"size_kb\":1048576,\"hot\":false}]}");
    ck_assert_msg(xres_json_get_bool(r, "ok", false), "%s",
                  xres_json_get_str(r, "error"));
    yajl_tree_free(r);
    /* web runs: 128 MiB carved, the base keeps 896 MiB, too few for
     * batch's 1024. */
    app_status(1, "web", "running", "0");
    run(5);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "/local/domain/1/data/xres/app/batch/%s",
                 keys[i]);
        ck_assert_int_eq(xres_sim_xs_write_as(&be, 1, path, vals[i]), 0);
    }
    /* g1's balloon moves 64 MiB/s: 16 s for 1024 MiB. */
    run(200);
}

START_TEST(test_extension_asked_granted)
{
    start();
    ask_extension(1024);
    ck_assert_uint_eq(refuses[1], 0);
    ck_assert_msg(starts[1] == 1, "starts %u cur %llu", starts[1],
                  (unsigned long long)cur_kb(1));
    /* Started only once the 1024 MiB were there: 1024 + 1024 MiB. */
    ck_assert_uint_eq(start_cur_kb[1], 2048 * MiB);
    ck_assert_uint_eq(cur_kb(1), 2048 * MiB);
    ck_assert_str_eq(area_owner("batch"), "active");
    stop();
}
END_TEST

START_TEST(test_extension_asked_refused)
{
    start();
    ask_extension(1023);
    ck_assert_uint_eq(refuses[1], 1);
    ck_assert_uint_eq(starts[1], 0);
    ck_assert_uint_eq(cur_kb(1), 1024 * MiB);
    ck_assert_str_eq(area_owner("batch"), "");
    stop();
}
END_TEST

Suite *daemon_pair_suite(void)
{
    Suite *s = suite_create("daemon_pair");
    TCase *tc = tcase_create("sim");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_extension_asked_granted);
    tcase_add_test(tc, test_extension_asked_refused);
    tcase_add_test(tc, test_declared);
    tcase_add_test(tc, test_declared_conflict);
    tcase_add_test(tc, test_crash);
    tcase_add_test(tc, test_crash_restart_daemon);
    tcase_add_test(tc, test_app_level3);
    tcase_add_test(tc, test_crash_during_app_failover);
    tcase_add_test(tc, test_heartbeat_interval_from_report);
    tcase_add_test(tc, test_heartbeat_seq_of_rejected_report);
    tcase_add_test(tc, test_dry_run_domain);
    tcase_add_test(tc, test_dry_run_app);
    suite_add_tcase(s, tc);
    return s;
}
