/*
 * tests/unit/test_agent.c: xres-agent's logic: agent.conf parsing, meminfo
 * and /proc/stat, the write rate limit, the fault-level state machine,
 * request planning and the release rule, the notify line, unknown
 * agent.conf keys, and its own XenStore connection (against a socket
 * pair).  Its system helpers and commands are in test_agent_sys.c.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "agent_job.h"
#include "agent_release.h"
#include "agent_sys.h"
#include "agent_xswatch.h"

#include <sys/socket.h>
#include <time.h>

#define S(x) x, sizeof(x) - 1

static const char good_conf[] =
    "# test configuration\n"
    "interval_ms = 2000\n"
    "heartbeat = 15\n"
    "change_kb = 8192\n"
    "change_cpu = 25\n"
    "check_interval = 2\n"
    "socket = \"/tmp/x.sock\"\n"
    "apps = [ \"web\", \"db_2\" ]\n"
    "web.pidfile = \"/run/web.pid\"\n"
    "web.start = \"/usr/sbin/web --daemon, fast\"\n"
    "web.stop = \"kill $(cat /run/web.pid)\"\n"
    "web.memory = \"256M\"\n"
    "web.hot_standby = 1\n"
    "web.max_restarts = 5\n"
    "db_2.check = \"/usr/bin/db-ping\"\n"
    "db_2.check_status = 3\n"
    "db_2.start = \"/etc/init.d/db start\"\n"
    "db_2.memory = 64\n";

START_TEST(test_conf_good)
{
    xres_agent_cfg c;
    char err[300] = "";

    ck_assert_int_eq(xres_agent_cfg_parse(&c, S(good_conf), "agent.conf", err,
                                          sizeof(err)), 0);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(c.interval_ms, 2000);
    ck_assert_uint_eq(c.heartbeat_s, 15);
    ck_assert_uint_eq(c.change_kb, 8192);
    ck_assert_uint_eq(c.change_cpu, 25);
    ck_assert_uint_eq(c.check_interval_s, 2);
    ck_assert_uint_eq(c.release_timeout_s, 60);
    ck_assert_str_eq(c.socket, "/tmp/x.sock");
    ck_assert_uint_eq(c.napps, 2);
    const xres_agent_app_cfg *w = xres_agent_cfg_app(&c, "web");
    ck_assert_ptr_eq(w, &c.apps[0]);
    ck_assert_str_eq(w->pidfile, "/run/web.pid");
    ck_assert_str_eq(w->check, "");
    ck_assert_str_eq(w->start, "/usr/sbin/web --daemon, fast");
    ck_assert_str_eq(w->stop, "kill $(cat /run/web.pid)");
    ck_assert_uint_eq(w->memory_kb, 262144);
    ck_assert(w->hot_standby);
    ck_assert_uint_eq(w->max_restarts, 5);
    const xres_agent_app_cfg *d = xres_agent_cfg_app(&c, "db_2");
    ck_assert_str_eq(d->check, "/usr/bin/db-ping");
    ck_assert_int_eq(d->check_status, 3);
    ck_assert_uint_eq(d->memory_kb, 65536);
    ck_assert(!d->hot_standby);
    ck_assert_uint_eq(d->max_restarts, 3);
    ck_assert_str_eq(d->stop, "");
    ck_assert_ptr_null(xres_agent_cfg_app(&c, "nope"));
}
END_TEST

START_TEST(test_conf_defaults)
{
    xres_agent_cfg c;
    char err[300];

    ck_assert_int_eq(xres_agent_cfg_parse(&c, S(""), "agent.conf", err,
                                          sizeof(err)), 0);
    ck_assert_uint_eq(c.interval_ms, 1000);
    ck_assert_uint_eq(c.heartbeat_s, 10);
    ck_assert_uint_eq(c.change_kb, 16384);
    ck_assert_uint_eq(c.change_cpu, 20);
    ck_assert_uint_eq(c.napps, 0);
    ck_assert_str_eq(c.socket, XRES_AGENT_SOCKET);
    ck_assert_int_eq(c.nice, -10);
    ck_assert_int_eq(xres_agent_cfg_parse(&c, S("nice = 5\n"), "agent.conf",
                                          err, sizeof(err)), 0);
    ck_assert_int_eq(c.nice, 5);
    ck_assert_int_eq(xres_agent_cfg_parse(&c, S("nice = \"-20\"\n"), "agent.conf",
                                          err, sizeof(err)), 0);
    ck_assert_int_eq(c.nice, -20);
    /* A missing file is the defaults, not an error. */
    ck_assert_int_eq(xres_agent_cfg_load(&c, "/nonexistent/agent.conf", err,
                                         sizeof(err)), 0);
    ck_assert_uint_eq(c.heartbeat_s, 10);
}
END_TEST

START_TEST(test_conf_bad)
{
    static const struct { const char *text, *err; } cases[] = {
        { "heartbeat = 0\n",
          "a.conf: heartbeat: 0 is out of range 1..600" },
        { "nice = \"-21\"\n",
          "a.conf: nice: -21 is out of range -20..19" },
        { "heartbeat = \"ten\"\n",
          "a.conf: heartbeat: not a number: \"ten\"" },
        { "interval_ms = 20000\nheartbeat = 10\n",
          "a.conf: heartbeat (10 s) is shorter than interval_ms (20000 ms)" },
        { "apps = \"web\"\n",
          "a.conf: apps: must be a list, e.g. apps = [ \"web\" ]" },
        { "apps = [ \"Web\" ]\n",
          "a.conf: apps: \"Web\" is not a name ([a-z][a-z0-9_]*, at most 32 "
          "bytes)" },
        { "apps = [ \"web\", \"web\" ]\nweb.pidfile=\"/p\"\nweb.start=\"s\"\n",
          "a.conf: apps: \"web\" twice" },
        { "apps = [ \"web\" ]\nweb.start = \"s\"\n",
          "a.conf: application web: needs web.pidfile or web.check" },
        { "apps = [ \"web\" ]\nweb.pidfile = \"/p\"\nweb.check = \"c\"\n"
          "web.start = \"s\"\n",
          "a.conf: application web: give web.pidfile or web.check, not both" },
        { "apps = [ \"web\" ]\nweb.pidfile = \"/p\"\n",
          "a.conf: application web: needs web.start" },
        { "apps = [ \"web\" ]\nweb.pidfile = \"/p\"\nweb.start = \"s\"\n"
          "web.memory = \"lots\"\n",
          "a.conf: web.memory: not a size: \"lots\"" },
        { "apps = [ \"web\" ]\nweb.pidfile = \"/p\"\nweb.start = \"s\"\n"
          "web.max_restarts = 101\n",
          "a.conf: web.max_restarts: 101 is out of range 0..100" },
        { "socket = \"relative.sock\"\n",
          "a.conf: socket: must be an absolute path" },
        { "change_cpu = [ 1 ]\n", "a.conf: change_cpu: must be a number" },
    };
    xres_agent_cfg c;
    char err[300];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = 0;
        ck_assert_int_eq(xres_agent_cfg_parse(&c, cases[i].text,
                                              strlen(cases[i].text), "a.conf",
                                              err, sizeof(err)), -EINVAL);
        ck_assert_str_eq(err, cases[i].err);
    }
    /* A syntax error: xlu's message, naming file and line. */
    ck_assert_int_eq(xres_agent_cfg_parse(&c, S("heartbeat = 5\n= 3\n"),
                                          "a.conf", err, sizeof(err)),
                     -EINVAL);
    ck_assert_msg(!strncmp(err, "a.conf:2:", 9), "got \"%s\"", err);
}
END_TEST

START_TEST(test_parse_size)
{
    uint64_t kb;

    ck_assert_int_eq(xres_agent_parse_size("64", &kb), 0);
    ck_assert_uint_eq(kb, 65536);
    ck_assert_int_eq(xres_agent_parse_size("512k", &kb), 0);
    ck_assert_uint_eq(kb, 512);
    ck_assert_int_eq(xres_agent_parse_size("2G", &kb), 0);
    ck_assert_uint_eq(kb, 2097152);
    ck_assert_int_eq(xres_agent_parse_size("3MB", &kb), 0);
    ck_assert_uint_eq(kb, 3072);
    ck_assert_int_eq(xres_agent_parse_size("", &kb), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_size("M", &kb), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_size("5X", &kb), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_size("5Mx", &kb), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_size("2000000G", &kb), -EINVAL);
}
END_TEST

START_TEST(test_meminfo_stat)
{
    xres_agent_sample s;
    xres_cpu_times a, b;

    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(xres_agent_parse_meminfo(
        "MemTotal:         247948 kB\n"
        "MemFree:          100000 kB\n"
        "MemAvailable:     180000 kB\n"
        "Buffers:            1000 kB\n"
        "SwapTotal:        524284 kB\n"
        "SwapFree:         500000 kB\n", &s), 0);
    ck_assert_uint_eq(s.mem_total_kb, 247948);
    ck_assert_uint_eq(s.mem_avail_kb, 180000);
    ck_assert_uint_eq(s.mem_used_kb, 67948);
    ck_assert_uint_eq(s.swap_used_kb, 24284);
    ck_assert_int_eq(xres_agent_parse_meminfo("MemTotal: 5 kB\n", &s),
                     -EINVAL);
    /* MemAvailable above MemTotal is cut to it: used 0, never negative. */
    ck_assert_int_eq(xres_agent_parse_meminfo(
        "MemTotal: 100 kB\nMemAvailable: 150 kB\n", &s), 0);
    ck_assert_uint_eq(s.mem_used_kb, 0);
    ck_assert_uint_eq(s.swap_used_kb, 0);

    ck_assert_int_eq(xres_agent_parse_stat(
        "cpu  100 0 50 800 50 0 0 7 0 0\ncpu0 1 2 3 4\n", &a), 0);
    ck_assert_uint_eq(a.busy, 150);
    ck_assert_uint_eq(a.idle, 850);
    ck_assert_int_eq(xres_agent_parse_stat(
        "cpu  400 0 50 850 100 0 0 99 0 0\n", &b), 0);
    /* busy +300, idle +100: 75 % (steal is not counted). */
    ck_assert_uint_eq(xres_agent_cpu_pct(&a, &b), 75);
    ck_assert_uint_eq(xres_agent_cpu_pct(&b, &a), 0);
    ck_assert_uint_eq(xres_agent_cpu_pct(&a, &a), 0);
    ck_assert_int_eq(xres_agent_parse_stat("intr 1 2\n", &b), -EINVAL);
    ck_assert(!b.valid);
    ck_assert_uint_eq(xres_agent_cpu_pct(&a, &b), 0);
}
END_TEST

START_TEST(test_rate_limit)
{
    xres_agent_cfg c;
    xres_agent_sample last, now;

    xres_agent_cfg_defaults(&c);    /* 1000 ms, 10 s, 16384 KiB, 20 % */
    memset(&last, 0, sizeof(last));
    last.mem_total_kb = 1048576;
    last.mem_used_kb = 200000;
    last.cpu_pct = 10;
    now = last;

    ck_assert_int_eq(xres_agent_should_write(&c, false, &last, 0, &now, 5),
                     XRES_WRITE_FIRST);
    /* Nothing changed: only the heartbeat writes. */
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             10999), XRES_WRITE_NO);
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             11000), XRES_WRITE_HEARTBEAT);
    /* A small change waits for the interval. */
    now.mem_used_kb = 200004;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1999), XRES_WRITE_NO);
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             2000), XRES_WRITE_CHANGE);
    /* A big one goes sooner, but never within 100 ms. */
    now.mem_used_kb = 200000 + 16384;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1099), XRES_WRITE_NO);
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1100), XRES_WRITE_BIG_CHANGE);
    now.mem_used_kb = 200000 + 16383;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1500), XRES_WRITE_NO);
    now = last;
    now.cpu_pct = 30;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1500), XRES_WRITE_BIG_CHANGE);
    now.cpu_pct = 29;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1500), XRES_WRITE_NO);
    now = last;
    now.apps_gen = 1;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1200), XRES_WRITE_BIG_CHANGE);
    /* Used going down counts as much as going up. */
    now = last;
    now.mem_used_kb = 200000 - 20000;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 1000, &now,
                                             1200), XRES_WRITE_BIG_CHANGE);
    /* A clock that steps back writes nothing but a change never lost. */
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 5000, &now,
                                             4000), XRES_WRITE_NO);
    /* Configured: 5 s interval, 30 s heartbeat, 1 MiB threshold. */
    c.interval_ms = 5000;
    c.heartbeat_s = 30;
    c.change_kb = 1024;
    now = last;
    now.mem_used_kb += 1000;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 0, &now, 4999),
                     XRES_WRITE_NO);
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 0, &now, 5000),
                     XRES_WRITE_CHANGE);
    now.mem_used_kb += 24;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 0, &now, 200),
                     XRES_WRITE_BIG_CHANGE);
    now = last;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 0, &now,
                                             29999), XRES_WRITE_NO);
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 0, &now,
                                             30000), XRES_WRITE_HEARTBEAT);
    /* change_kb 0: memory never counts as a big change. */
    c.change_kb = 0;
    now.mem_used_kb += 1 << 20;
    ck_assert_int_eq(xres_agent_should_write(&c, true, &last, 0, &now, 200),
                     XRES_WRITE_NO);
}
END_TEST

START_TEST(test_fault_killed_then_restarted)
{
    xres_app_state st;

    xres_app_state_init(&st);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    /* Killed: level 1 and a restart. */
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_RESTART);
    ck_assert_uint_eq(st.level, 1);
    ck_assert_uint_eq(st.restarts, 1);
    ck_assert_uint_eq(st.tries, 1);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_RUNNING);
    /* Back: level 0; tries reset after 3 healthy checks in a row. */
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    ck_assert_uint_eq(st.tries, 1);
    xres_app_step(&st, true, 3);
    ck_assert_uint_eq(st.tries, 1);
    xres_app_step(&st, true, 3);
    ck_assert_uint_eq(st.tries, 0);
    ck_assert_uint_eq(st.restarts, 1);
}
END_TEST

START_TEST(test_fault_cannot_start)
{
    xres_app_state st;

    xres_app_state_init(&st);
    /* First check after the agent starts: not running is started, no
     * fault, nothing counted. */
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_START);
    ck_assert_uint_eq(st.level, 0);
    ck_assert_uint_eq(st.restarts, 0);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_RUNNING);
    for (unsigned i = 1; i <= 3; i++) {
        ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_RESTART);
        ck_assert_uint_eq(st.level, 1);
        ck_assert_uint_eq(st.restarts, i);
    }
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 2);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_FAILED);
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 2);
    ck_assert_uint_eq(st.restarts, 3);
    /* Healthy again on its own (someone fixed it): level 0. */
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    /* max_restarts 0: straight to level 2. */
    xres_app_state_init(&st);
    ck_assert_int_eq(xres_app_step(&st, false, 0), XRES_APP_ACT_START);
    ck_assert_int_eq(xres_app_step(&st, false, 0), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 2);
}
END_TEST

START_TEST(test_fault_notify_and_stop)
{
    xres_app_state st;

    xres_app_state_init(&st);
    ck_assert_int_eq(xres_app_notify(&st, 5), -ERANGE);
    ck_assert_int_eq(xres_app_notify(&st, -1), -ERANGE);
    /* 3: serious, sticks while healthy, no restart. */
    ck_assert_int_eq(xres_app_notify(&st, 3), 0);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 3);
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 3);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_RUNNING);
    ck_assert_int_eq(xres_app_notify(&st, 4), 0);
    xres_app_step(&st, true, 3);
    ck_assert_uint_eq(st.level, 4);
    /* 0 clears it. */
    ck_assert_int_eq(xres_app_notify(&st, 0), 0);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    /* 1: the application asks for a restart, once. */
    ck_assert_int_eq(xres_app_notify(&st, 1), 0);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_RESTART);
    ck_assert_uint_eq(st.level, 1);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    /* 2: restarting did not help, by its own account; not failed. */
    xres_app_notify(&st, 2);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 2);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_RUNNING);
    /* Stopped on request: level 0, never restarted. */
    xres_app_state_init(&st);
    st.stopped = true;
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    ck_assert_uint_eq(st.restarts, 0);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_STOPPED);
}
END_TEST

START_TEST(test_requests_plan)
{
    xres_agent_cfg c;
    xres_request q;
    char ack[200], err[300];
    char *names[] = { "12", "3", "x", "03", "0", "9007199254740992", "7" };
    uint64_t seqs[8];

    ck_assert_int_eq(xres_agent_pending_seqs(names, 7, seqs, 8), 3);
    ck_assert_uint_eq(seqs[0], 3);
    ck_assert_uint_eq(seqs[1], 7);
    ck_assert_uint_eq(seqs[2], 12);
    ck_assert_int_eq(xres_agent_pending_seqs(names, 7, seqs, 1), 1);
    ck_assert_uint_eq(seqs[0], 12);

    ck_assert_int_eq(xres_agent_cfg_parse(&c, S(good_conf), "a.conf", err,
                                          sizeof(err)), 0);
    ck_assert_int_eq(xres_agent_plan(&c, S("start web"), &q, ack,
                                     sizeof(ack)), XRES_PLAN_DO);
    ck_assert_int_eq(q.op, XRES_REQ_START);
    ck_assert_str_eq(ack, "");
    ck_assert_int_eq(xres_agent_plan(&c, S("release 131072 drop-caches"), &q,
                                     ack, sizeof(ack)), XRES_PLAN_DO);
    ck_assert_uint_eq(q.kb, 131072);
    ck_assert_int_eq(xres_agent_plan(&c, S("stop mail"), &q, ack,
                                     sizeof(ack)), XRES_PLAN_ACK);
    ck_assert_str_eq(ack, "error no application mail in agent.conf");
    ck_assert_int_eq(xres_agent_plan(&c, S("format /dev/xvda"), &q, ack,
                                     sizeof(ack)), XRES_PLAN_ACK);
    ck_assert_str_eq(ack, "error unknown request: \"format /dev/xvda\"");
    ck_assert_int_eq(xres_agent_plan(&c, S("release x"), &q, ack,
                                     sizeof(ack)), XRES_PLAN_ACK);
    ck_assert_str_eq(ack, "error release: bad size in KiB: \"release x\"");
    /* Every ack the agent writes is one dom0 accepts. */
    xres_ack parsed;
    ck_assert_int_eq(xres_schema_parse_ack(ack, strlen(ack), &parsed, NULL,
                                           0), 0);
    ck_assert(!parsed.ok);

    ck_assert(xres_agent_release_done(131072, 131072));
    ck_assert(xres_agent_release_done(132096, 131072));
    ck_assert(!xres_agent_release_done(132097, 131072));
    ck_assert(xres_agent_release_done(0, 131072));
}
END_TEST

/* A release is acked once the balloon is there, or with an error at its
 * deadline; the simulator's agent uses the same rule with none. */
START_TEST(test_release_check)
{
    char d[128];

    ck_assert_int_eq(xres_agent_release_check(132096, 131072, 5, 10, 60, d,
                                              sizeof(d)), XRES_RELEASE_DONE);
    ck_assert_str_eq(d, "balloon at 132096 KiB");
    ck_assert_int_eq(xres_agent_release_check(200000, 131072, 9, 10, 60, d,
                                              sizeof(d)), XRES_RELEASE_WAIT);
    ck_assert_int_eq(xres_agent_release_check(200000, 131072, 10, 10, 60, d,
                                              sizeof(d)),
                     XRES_RELEASE_TIMED_OUT);
    ck_assert_str_eq(d, "balloon at 200000 KiB, not at 131072 KiB after 60 s");
    ck_assert_int_eq(xres_agent_release_check(200000, 131072, UINT64_MAX - 1,
                                              UINT64_MAX, 0, d, sizeof(d)),
                     XRES_RELEASE_WAIT);
}
END_TEST

/* Unknown agent.conf keys: named with their line, not fatal; keys inside
 * strings, comments and lists are not keys. */
START_TEST(test_conf_unknown)
{
    static const char text[] =
        "interval_ms = 1000\n"                      /* 1 */
        "heartbaet = 10   # a typo\n"               /* 2 */
        "# comment = 1\n"                           /* 3 */
        "apps = [ \"web\",\n"                       /* 4 */
        "         \"db\" ]\n"                       /* 5 */
        "web.pidfile = \"/run/web.pid\"\n"          /* 6 */
        "web.start = \"a = b; c = d\"; web.strat = \"x\"\n"   /* 7 */
        "db.check = 'true'\n"                       /* 8 */
        "db.start = \"db\"\n"                       /* 9 */
        "mail.start = \"m\"\n";                     /* 10 */
    xres_agent_cfg c;
    char err[256];

    ck_assert_int_eq(xres_agent_cfg_parse(&c, S(text), "agent.conf", err,
                                          sizeof(err)), 0);
    ck_assert_uint_eq(c.napps, 2);
    ck_assert_uint_eq(c.nunknown, 3);
    ck_assert_str_eq(c.unknown,
                     "agent.conf:2: unknown key \"heartbaet\", ignored\n"
                     "agent.conf:7: unknown key \"web.strat\", ignored\n"
                     "agent.conf:10: unknown key \"mail.start\", ignored\n");
    /* The known keys still took effect. */
    ck_assert_str_eq(c.apps[0].start, "a = b; c = d");
    ck_assert_uint_eq(c.interval_ms, 1000);

    ck_assert_int_eq(xres_agent_cfg_parse(&c, S(good_conf), "agent.conf",
                                          err, sizeof(err)), 0);
    ck_assert_uint_eq(c.nunknown, 0);
    ck_assert_str_eq(c.unknown, "");
    /* The managing domain's keys (agent_alloc.c) are known too. */
    xres_agent_cfg_find_unknown(&c, S("analysis_command = \"x\"\n"
                                      "analysis_timeout = 5\n"), "k");
    ck_assert_uint_eq(c.nunknown, 0);
    /* Every documented key is known. */
    for (size_t i = 0; xres_agent_cfg_keys[i]; i++) {
        char t[64];
        snprintf(t, sizeof(t), "%s = 1\n", xres_agent_cfg_keys[i]);
        xres_agent_cfg_find_unknown(&c, t, strlen(t), "k");
        ck_assert_msg(c.nunknown == 0, "%s", xres_agent_cfg_keys[i]);
    }
}
END_TEST

/* Reads one message the agent sent: type, tx, req_id, payload. */
static void sent(int fd, uint32_t type, uint32_t tx, uint32_t id,
                 const char *payload, size_t plen)
{
    struct xsd_sockmsg h;
    char body[256];

    ck_assert_int_eq(read(fd, &h, sizeof(h)), (int)sizeof(h));
    ck_assert_uint_eq(h.type, type);
    ck_assert_uint_eq(h.tx_id, tx);
    ck_assert_uint_eq(h.req_id, id);
    ck_assert_uint_eq(h.len, plen);
    ck_assert_int_eq(read(fd, body, h.len), (int)h.len);
    ck_assert(!memcmp(body, payload, plen));
}

/* The agent sent one committed transaction: its start with req_id id,
 * the writes of kv in order, then the commit. */
static void sent_txn(int fd, uint32_t tx, uint32_t id, const xres_xsw_kv *kv,
                     size_t n)
{
    char p[256];

    sent(fd, XS_TRANSACTION_START, 0, id, S("\0"));
    for (size_t i = 0; i < n; i++) {
        size_t pl = strlen(kv[i].path) + 1, vl = strlen(kv[i].val);
        ck_assert_uint_le(pl + vl, sizeof(p));
        memcpy(p, kv[i].path, pl);
        memcpy(p + pl, kv[i].val, vl);
        sent(fd, XS_WRITE, tx, id + 1 + (uint32_t)i, p, pl + vl);
    }
    sent(fd, XS_TRANSACTION_END, tx, id + 1 + (uint32_t)n, S("T\0"));
}

static void queue_reply(int fd, uint32_t type, uint32_t id, const char *body,
                        size_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = id, .len = len };
    ck_assert_int_eq(write(fd, &h, sizeof(h)), (int)sizeof(h));
    ck_assert_int_eq(write(fd, body, len), (int)len);
}

/* A report on the agent's own connection: the transaction opened, the
 * writes and the commit, the replies matched by id; a watch event on the
 * way is counted. */
START_TEST(test_xsw_write_all)
{
    const xres_xsw_kv kv[] = { { "/l/d/3/data/xres/mem-used", "600" },
                               { "/l/d/3/data/xres/seq", "8" } };
    static xres_xsw w;
    char why[160] = "";
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&w, 0, sizeof(w));
    w.fd = sv[0];
    w.next_id = 2;
    queue_reply(sv[1], XS_TRANSACTION_START, 2, S("17\0"));
    queue_reply(sv[1], XS_WRITE, 3, S("OK\0"));
    queue_reply(sv[1], XS_WATCH_EVENT, 0, S("/l/d/3/xres/request\0req\0"));
    queue_reply(sv[1], XS_WRITE, 4, S("OK\0"));
    queue_reply(sv[1], XS_TRANSACTION_END, 5, S("OK\0"));
    ck_assert_int_eq(xres_xsw_write_all(&w, kv, 2, true, why, sizeof(why)),
                     0);
    ck_assert_uint_eq(w.events, 1);
    ck_assert_uint_eq(w.rlen, 0);
    sent_txn(sv[1], 17, 2, kv, 2);

    /* The commit lost a race: -EAGAIN, to be written again. */
    queue_reply(sv[1], XS_TRANSACTION_START, 6, S("18\0"));
    queue_reply(sv[1], XS_WRITE, 7, S("OK\0"));
    queue_reply(sv[1], XS_WRITE, 8, S("OK\0"));
    queue_reply(sv[1], XS_ERROR, 9, S("EAGAIN\0"));
    ck_assert_int_eq(xres_xsw_write_all(&w, kv, 2, true, why, sizeof(why)),
                     -EAGAIN);
    char junk[512];
    while (recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT) > 0) {}

    /* Without a transaction: the writes alone; a refusal names the key
     * and stops there, so seq (last) is not written. */
    queue_reply(sv[1], XS_WRITE, 10, S("OK\0"));
    queue_reply(sv[1], XS_WRITE, 11, S("OK\0"));
    ck_assert_int_eq(xres_xsw_write_all(&w, kv, 2, false, why, sizeof(why)),
                     0);
    sent(sv[1], XS_WRITE, 0, 10, S("/l/d/3/data/xres/mem-used\0" "600"));
    sent(sv[1], XS_WRITE, 0, 11, S("/l/d/3/data/xres/seq\0" "8"));
    queue_reply(sv[1], XS_ERROR, 12, S("EACCES\0"));
    ck_assert_int_eq(xres_xsw_write_all(&w, kv, 2, false, why, sizeof(why)),
                     -EIO);
    ck_assert_str_eq(why, "write /l/d/3/data/xres/mem-used: EACCES");
    sent(sv[1], XS_WRITE, 0, 12, S("/l/d/3/data/xres/mem-used\0" "600"));
    ck_assert_int_lt(recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT), 0);
    /* In a transaction: a refused write drops it. */
    queue_reply(sv[1], XS_TRANSACTION_START, 13, S("19\0"));
    queue_reply(sv[1], XS_ERROR, 14, S("E2BIG\0"));
    queue_reply(sv[1], XS_TRANSACTION_END, 15, S("OK\0"));
    ck_assert_int_eq(xres_xsw_write_all(&w, kv, 2, true, why, sizeof(why)),
                     -EIO);
    sent(sv[1], XS_TRANSACTION_START, 0, 13, S("\0"));
    sent(sv[1], XS_WRITE, 19, 14, S("/l/d/3/data/xres/mem-used\0" "600"));
    sent(sv[1], XS_TRANSACTION_END, 19, 15, S("F\0"));

    /* A late reply seen by the watch reader is stale, not an error. */
    queue_reply(sv[1], XS_WRITE, 4, S("OK\0"));
    char tok[8];
    ck_assert(xres_xsw_pending(&w));
    ck_assert_int_eq(xres_xsw_next(&w, tok, sizeof(tok)), XRES_XSW_STALE);

    /* Too big for XenStore: nothing is sent at all. */
    static char big[XENSTORE_PAYLOAD_MAX + 8];
    memset(big, '9', sizeof(big) - 1);
    const xres_xsw_kv huge[] = { { "/a", "1" }, { "/b", big } };
    ck_assert_int_eq(xres_xsw_write_all(&w, huge, 2, true, why, sizeof(why)),
                     -E2BIG);
    ck_assert_int_lt(recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT), 0);
    close(sv[1]);
    xres_xsw_close(&w);
}
END_TEST

/* A report is one write whose reply is read before the next request:
 * nothing is read at send time, the reply is taken (and a refusal told)
 * by xres_xsw_finish or by the next write. */
START_TEST(test_xsw_write_async)
{
    static xres_xsw w;
    const xres_xsw_kv kv[] = { { "/l/d/3/data/xres/app/web/level", "1" },
                               { "/l/d/3/data/xres/report", "seq=2" } };
    char why[160] = "", junk[512];
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&w, 0, sizeof(w));
    w.fd = sv[0];
    w.next_id = 2;
    /* No reply queued: a blocking read would hang here. */
    ck_assert_int_eq(xres_xsw_write_async(&w, "/l/d/3/data/xres/report",
                                          "seq=1"), 0);
    ck_assert_uint_eq(w.pending_id, 2);
    sent(sv[1], XS_WRITE, 0, 2, S("/l/d/3/data/xres/report\0" "seq=1"));
    queue_reply(sv[1], XS_WRITE, 2, S("OK\0"));
    ck_assert_int_eq(xres_xsw_finish(&w, why, sizeof(why)), 0);
    ck_assert_uint_eq(w.pending_id, 0);
    ck_assert_uint_eq(w.rlen, 0);
    ck_assert_int_eq(xres_xsw_finish(&w, why, sizeof(why)), 0);

    /* A refused write is told by finish. */
    ck_assert_int_eq(xres_xsw_write_async(&w, "/l/d/3/data/xres/report",
                                          "seq=2"), 0);
    queue_reply(sv[1], XS_ERROR, 3, S("EACCES\0"));
    ck_assert_int_eq(xres_xsw_finish(&w, why, sizeof(why)), -EIO);
    ck_assert_str_eq(why, "write: EACCES");
    while (recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT) > 0) {}

    /* The next write takes the pending reply first; the reply to the
     * second is left for later.  Requests never overlap: the second is
     * sent only after the first reply was read. */
    ck_assert_int_eq(xres_xsw_write_async(&w, "/r", "seq=3"), 0);
    queue_reply(sv[1], XS_WRITE, 4, S("OK\0"));
    ck_assert_int_eq(xres_xsw_write_async(&w, "/r", "seq=4"), 0);
    sent(sv[1], XS_WRITE, 0, 4, S("/r\0" "seq=3"));
    sent(sv[1], XS_WRITE, 0, 5, S("/r\0" "seq=4"));
    ck_assert_uint_eq(w.pending_id, 5);

    /* A transaction after an async write: the pending reply first. */
    queue_reply(sv[1], XS_WRITE, 5, S("OK\0"));
    queue_reply(sv[1], XS_TRANSACTION_START, 6, S("21\0"));
    queue_reply(sv[1], XS_WRITE, 7, S("OK\0"));
    queue_reply(sv[1], XS_WRITE, 8, S("OK\0"));
    queue_reply(sv[1], XS_TRANSACTION_END, 9, S("OK\0"));
    ck_assert_int_eq(xres_xsw_write_all(&w, kv, 2, true, why, sizeof(why)),
                     0);
    ck_assert_uint_eq(w.pending_id, 0);
    sent_txn(sv[1], 21, 6, kv, 2);
    ck_assert_int_lt(recv(sv[1], junk, sizeof(junk), MSG_DONTWAIT), 0);
    close(sv[1]);
    xres_xsw_close(&w);
}
END_TEST

START_TEST(test_notify_line)
{
    char app[33];
    int level = -1;

    ck_assert_int_eq(xres_agent_parse_notify(S("notify web 3\n"), app,
                                             sizeof(app), &level), 0);
    ck_assert_str_eq(app, "web");
    ck_assert_int_eq(level, 3);
    ck_assert_int_eq(xres_agent_parse_notify(S("notify db_2 0"), app,
                                             sizeof(app), &level), 0);
    ck_assert_int_eq(level, 0);
    ck_assert_int_eq(xres_agent_parse_notify(S("notify web 5\n"), app,
                                             sizeof(app), &level), -ERANGE);
    ck_assert_int_eq(xres_agent_parse_notify(S("notify web 12\n"), app,
                                             sizeof(app), &level), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_notify(S("notify Web 1\n"), app,
                                             sizeof(app), &level), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_notify(S("notify web\n"), app,
                                             sizeof(app), &level), -EINVAL);
    ck_assert_int_eq(xres_agent_parse_notify(S("hello web 1\n"), app,
                                             sizeof(app), &level), -EINVAL);
    ck_assert_int_eq(level, 0);
}
END_TEST

/* The watch connection: XenStore's wire format, and an event that comes
 * before the reply to XS_WATCH (as the guest kernel sends it). */
START_TEST(test_xswatch)
{
    char buf[256], tok[16];
    const char *path, *token;
    struct xsd_sockmsg hdr;
    xres_xsw w;
    int sv[2];

    int n = xres_xsw_encode_watch(buf, sizeof(buf), "/local/domain/3/xres/"
                                  "request", "req", 9);
    ck_assert_int_eq(n, (int)sizeof(hdr) + 29 + 4);
    memcpy(&hdr, buf, sizeof(hdr));
    ck_assert_uint_eq(hdr.type, XS_WATCH);
    ck_assert_uint_eq(hdr.req_id, 9);
    ck_assert_uint_eq(hdr.len, 33);
    ck_assert_str_eq(buf + sizeof(hdr), "/local/domain/3/xres/request");
    ck_assert_str_eq(buf + sizeof(hdr) + 29, "req");
    ck_assert_int_eq(xres_xsw_encode_watch(buf, 20, "/x", "t", 1), -E2BIG);

    hdr = (struct xsd_sockmsg){ .type = XS_WATCH_EVENT, .len = 9 };
    ck_assert_int_eq(xres_xsw_parse(&hdr, "/a/b\0req", &path, &token),
                     XRES_XSW_EVENT);
    ck_assert_str_eq(path, "/a/b");
    ck_assert_str_eq(token, "req");
    hdr.len = 5;                    /* no token */
    ck_assert_int_eq(xres_xsw_parse(&hdr, "/a/b\0req", &path, &token),
                     -EPROTO);
    hdr = (struct xsd_sockmsg){ .type = XS_ERROR, .len = 7 };
    ck_assert_int_eq(xres_xsw_parse(&hdr, "EINVAL", &path, &token), -EINVAL);
    hdr = (struct xsd_sockmsg){ .type = XS_WATCH, .len = 3 };
    ck_assert_int_eq(xres_xsw_parse(&hdr, "OK", &path, &token),
                     XRES_XSW_ACK);
    hdr = (struct xsd_sockmsg){ .type = XS_READ, .len = 3 };
    ck_assert_int_eq(xres_xsw_parse(&hdr, "OK", &path, &token), -EPROTO);

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    memset(&w, 0, sizeof(w));
    w.fd = sv[0];
    ck_assert(!xres_xsw_pending(&w));
    /* The first event, then the reply. */
    static const char ev[] = "/local/domain/3/xres/request\0req";
    hdr = (struct xsd_sockmsg){ .type = XS_WATCH_EVENT, .len = sizeof(ev) };
    ck_assert_int_eq(write(sv[1], &hdr, sizeof(hdr)), (int)sizeof(hdr));
    ck_assert_int_eq(write(sv[1], ev, sizeof(ev)), (int)sizeof(ev));
    hdr = (struct xsd_sockmsg){ .type = XS_WATCH, .len = 3 };
    ck_assert_int_eq(write(sv[1], &hdr, sizeof(hdr)), (int)sizeof(hdr));
    ck_assert_int_eq(write(sv[1], "OK", 3), 3);
    ck_assert(xres_xsw_pending(&w));
    ck_assert_int_eq(xres_xsw_next(&w, tok, sizeof(tok)), XRES_XSW_EVENT);
    ck_assert_str_eq(tok, "req");
    ck_assert(xres_xsw_pending(&w));
    ck_assert_int_eq(xres_xsw_next(&w, tok, sizeof(tok)), XRES_XSW_ACK);
    ck_assert(!xres_xsw_pending(&w));
    /* A lying length is refused before anything is read into body. */
    hdr = (struct xsd_sockmsg){ .type = XS_WATCH_EVENT, .len = 99999 };
    ck_assert_int_eq(write(sv[1], &hdr, sizeof(hdr)), (int)sizeof(hdr));
    ck_assert_int_eq(xres_xsw_next(&w, tok, sizeof(tok)), -EPROTO);
    /* The other end gone. */
    close(sv[1]);
    ck_assert_int_eq(xres_xsw_next(&w, tok, sizeof(tok)), -EPIPE);
    xres_xsw_close(&w);
    ck_assert_int_eq(w.fd, -1);
}
END_TEST

/* A non-hot application with a memory size asks for its extension before
 * it starts (003, routine 110); a refusal starts it only when agent.conf
 * says start_without_extension = 1. */
START_TEST(test_extension_asked_first)
{
    xres_agent_cfg c;
    xres_agent_app_cfg hot = { .hot_standby = true, .memory_kb = 131072,
                               .ask_extension = true };
    xres_agent_app_cfg cold = { .hot_standby = false, .memory_kb = 65536,
                                .ask_extension = true };
    xres_agent_app_cfg bare = { .hot_standby = false, .memory_kb = 0,
                                .ask_extension = true };
    xres_agent_app_cfg quiet = { .hot_standby = false, .memory_kb = 65536 };
    xres_app_state st;
    char err[300];

    ck_assert(!xres_app_asks_first(&hot));
    ck_assert(xres_app_asks_first(&cold));
    ck_assert(!xres_app_asks_first(&bare));
    ck_assert(!xres_app_asks_first(&quiet));    /* not asked to: starts */

    ck_assert_int_eq(xres_agent_cfg_parse(&c, S(""), "agent.conf", err,
                                          sizeof(err)), 0);
    ck_assert(!c.start_without_extension);
    ck_assert_uint_eq(c.extension_timeout_s, 30);
    ck_assert_int_eq(xres_agent_cfg_parse(&c, S("start_without_extension = 1\n"
                                                "extension_timeout = 5\n"),
                                          "agent.conf", err, sizeof(err)), 0);
    ck_assert(c.start_without_extension);
    ck_assert_uint_eq(c.extension_timeout_s, 5);
    ck_assert_uint_eq(c.nunknown, 0);
    ck_assert_int_eq(xres_agent_cfg_parse(&c, S("start_without_extension = 2\n"),
                                          "agent.conf", err, sizeof(err)),
                     -EINVAL);

    /* Asking: reported so, not checked into a fault, not restarted. */
    xres_app_state_init(&st);
    st.launched = true;
    st.asking = true;
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_ASKING);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, 0);
    ck_assert_uint_eq(st.restarts, 0);
    /* Refused, default: stays stopped. */
    ck_assert_int_eq(xres_app_refused(&st, false), XRES_APP_ACT_NONE);
    ck_assert(!st.asking);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_STOPPED);
    /* A second refusal is nothing. */
    ck_assert_int_eq(xres_app_refused(&st, true), XRES_APP_ACT_NONE);
    /* Refused with start_without_extension: started. */
    xres_app_state_init(&st);
    st.asking = true;
    ck_assert_int_eq(xres_app_refused(&st, true), XRES_APP_ACT_START);
    ck_assert(!st.asking);
    ck_assert(!st.stopped);
}
END_TEST

/* A start that dom0 asked for and that fails keeps the restarts counted,
 * so that the fault that persists is at level 2 at the next check and dom0
 * escalates; a start that works begins the count of tries again. */
START_TEST(test_request_start_failed_keeps_count)
{
    xres_app_state st;

    xres_app_state_init(&st);
    st.launched = true;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_RESTART);
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, XRES_LEVEL_RESTART_FAILED);
    ck_assert_uint_eq(st.restarts, 3);

    /* dom0 restarts it (level 1 there), and the start command fails. */
    xres_app_request_done(&st, true, 1);
    ck_assert_uint_eq(st.restarts, 3);
    ck_assert_uint_eq(st.tries, 3);
    ck_assert(st.launched);
    ck_assert(!st.stopped);
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_uint_eq(st.level, XRES_LEVEL_RESTART_FAILED);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_FAILED);

    /* This time it starts: tries begin again, restarts are kept. */
    xres_app_request_done(&st, true, 0);
    ck_assert_uint_eq(st.restarts, 3);
    ck_assert_uint_eq(st.tries, 0);
    ck_assert_uint_eq(st.level, XRES_LEVEL_HEALTHY);
    ck_assert_int_eq(xres_app_step(&st, true, 3), XRES_APP_ACT_NONE);
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_RESTART);
    ck_assert_uint_eq(st.restarts, 4);
}
END_TEST

/* A stop from dom0 ends an application's asking for its extension: it is
 * not started when the asking times out, and stays stopped. */
START_TEST(test_request_stop_ends_asking)
{
    xres_app_state st;

    xres_app_state_init(&st);
    st.asking = true;
    ck_assert(xres_app_answered(&st));
    ck_assert(!st.asking);
    ck_assert(!xres_app_answered(&st));       /* nothing left to end */
    xres_app_request_done(&st, false, 0);
    ck_assert(st.stopped);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_STOPPED);
    /* The asking's time running out now refuses nothing and starts
     * nothing, with or without start_without_extension. */
    ck_assert_int_eq(xres_app_refused(&st, true), XRES_APP_ACT_NONE);
    ck_assert_int_eq(xres_app_step(&st, false, 3), XRES_APP_ACT_NONE);
    ck_assert_int_eq(xres_app_run_state_of(&st), XRES_APP_STOPPED);
}
END_TEST

Suite *agent_suite(void)
{
    Suite *s = suite_create("agent");
    TCase *tc = tcase_create("logic");

    tcase_add_test(tc, test_conf_good);
    tcase_add_test(tc, test_conf_defaults);
    tcase_add_test(tc, test_extension_asked_first);
    tcase_add_test(tc, test_request_start_failed_keeps_count);
    tcase_add_test(tc, test_request_stop_ends_asking);
    tcase_add_test(tc, test_conf_bad);
    tcase_add_test(tc, test_parse_size);
    tcase_add_test(tc, test_meminfo_stat);
    tcase_add_test(tc, test_rate_limit);
    tcase_add_test(tc, test_fault_killed_then_restarted);
    tcase_add_test(tc, test_fault_cannot_start);
    tcase_add_test(tc, test_fault_notify_and_stop);
    tcase_add_test(tc, test_requests_plan);
    tcase_add_test(tc, test_release_check);
    tcase_add_test(tc, test_notify_line);
    tcase_add_test(tc, test_xswatch);
    tcase_add_test(tc, test_conf_unknown);
    tcase_add_test(tc, test_xsw_write_all);
    tcase_add_test(tc, test_xsw_write_async);
    suite_add_tcase(s, tc);
    return s;
}
