/*
 * tests/unit/test_daemon_cluster.c: the cluster subsystem inside the
 * real daemon, on the simulated host and the in-process group: off with
 * exactly one log line when the group cannot be reached, figures
 * multicast each tick, a second xresd that joins and is caught up at
 * once, and the figures of both in cluster-list.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "backend_sim.h"
#include "daemon.h"
#include "group_model.h"
#include "subsys.h"

#define MiB 1024ULL

static const xres_subsys *const subs[] = { &xres_subsys_cluster, NULL };
static xres_group_bus *bus;
static xres_backend B[2];
static xres_daemon *D[2];
static xres_group_model_arg arg[2];
static char sock[2][108], conf[2][64];

static void start(int i)
{
    xres_daemon_opts o;
    char err[256];
    FILE *f;

    snprintf(conf[i], sizeof(conf[i]), "/tmp/xres-test-cl%d-%d.conf", i,
             (int)getpid());
    snprintf(sock[i], sizeof(sock[i]), "/tmp/xres-test-cl%d-%d.sock", i,
             (int)getpid());
    f = fopen(conf[i], "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "cluster_host = \"host%d\"\ncluster_stale_ticks = 2\n", i + 1);
    fclose(f);
    ck_assert_int_eq(xres_backend_sim_open(&B[i], 4096 * MiB, 4), 0);
    uint32_t id;
    ck_assert_int_eq(xres_sim_add_domain(&B[i], "Domain-0", 512 * MiB,
                                         512 * MiB, &id), 0);
    ck_assert_int_eq(xres_sim_add_domain(&B[i], "g1", 1024 * MiB,
                                         2048 * MiB, &id), 0);
    D[i] = calloc(1, sizeof(*D[i]));
    ck_assert_msg(xres_daemon_load_config(D[i], conf[i], false, err,
                                          sizeof(err)) == 0, "%s", err);
    memset(&o, 0, sizeof(o));
    o.socket_path = sock[i];
    o.subsystems = subs;
    o.clock = xres_sim_clock(&B[i]);
    arg[i].bus = bus;
    arg[i].nodeid = (uint32_t)i + 1;
    o.group_open = xres_group_model_open;
    o.group_arg = &arg[i];
    ck_assert_int_eq(xres_daemon_init(D[i], &B[i], &o), 0);
}

static void stop(int i)
{
    if (!D[i]) return;
    xres_daemon_dispose(D[i]);
    free(D[i]);
    D[i] = NULL;
    B[i].ops->dispose(&B[i]);
    unlink(conf[i]);
}

static void spin(int n)
{
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < n; i++)
            if (D[i]) xres_daemon_run_once(D[i], 0);
}

static char *ask(int i, const char *req)
{
    char *reply;
    size_t len;

    ck_assert_int_eq(xres_daemon_answer(D[i], req, strlen(req), &reply,
                                        &len), 0);
    reply = realloc(reply, len + 1);
    reply[len] = '\0';
    return reply;
}

static void setup(void)
{
    ck_assert_int_eq(xres_group_bus_new(&bus), 0);
    xres_log_set_level(LOG_INFO);
}

static void teardown(void)
{
    stop(0);
    stop(1);
    xres_group_bus_free(bus);
    xres_log_set_level(LOG_WARNING);
}

START_TEST(off_with_one_line_when_the_group_is_down)
{
    char path[64], buf[4096], *r;
    int fd, saved = dup(2);
    ssize_t n;

    snprintf(path, sizeof(path), "/tmp/xres-test-cllog-%d", (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    xres_log_open("xresd", false, true);
    dup2(fd, 2);
    xres_group_bus_set_down(bus, true);
    start(0);
    for (int t = 0; t < 20; t++) xres_daemon_tick(D[0]);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    unlink(path);
    buf[n > 0 ? n : 0] = '\0';
    {
        unsigned lines = 0;
        for (char *p = buf; (p = strstr(p, "cluster:")); p++) lines++;
        ck_assert_uint_eq(lines, 1);
        ck_assert_ptr_nonnull(strstr(buf, "cluster: corosync not running; "
                                     "cluster features off"));
    }
    ck_assert_uint_eq(xres_group_bus_sent(bus), 0);
    r = ask(0, "{\"cmd\":\"cluster-list\"}");
    ck_assert_str_eq(r, "{\"ok\":true,\"cluster\":false,\"reason\":"
                     "\"corosync not running\",\"self\":0,\"stale_ticks\":0,"
                     "\"hosts\":[]}\n");
    free(r);
    r = ask(0, "{\"cmd\":\"cluster-show\",\"host\":\"host1\"}");
    ck_assert_str_eq(r, "{\"ok\":false,\"error\":\"not in a cluster: "
                     "corosync not running\"}\n");
    free(r);
}
END_TEST

START_TEST(figures_each_tick_and_a_joiner_catches_up)
{
    unsigned long sent;
    char *r;

    start(0);
    spin(1);
    sent = xres_group_bus_sent(bus);
    ck_assert_uint_eq(sent, 1);          /* at its own join */
    xres_daemon_tick(D[0]);
    xres_daemon_tick(D[0]);
    ck_assert_uint_eq(xres_group_bus_sent(bus), 3);
    start(1);
    /* Both send at once when host2 joins. */
    spin(2);
    ck_assert_uint_eq(xres_group_bus_sent(bus), 5);
    r = ask(1, "{\"cmd\":\"cluster-show\",\"host\":\"host1\"}");
    ck_assert_ptr_nonnull(strstr(r, "\"host\":{\"host\":\"host1\",\"node\":1,"
                                 "\"state\":\"member\",\"self\":false,"
                                 "\"stale\":false"));
    ck_assert_ptr_nonnull(strstr(r, "\"name\":\"g1\""));
    ck_assert_ptr_nonnull(strstr(r, "\"method\":\"save-restore\""));
    free(r);
    r = ask(1, "{\"cmd\":\"cluster-show\",\"host\":\"nowhere\"}");
    ck_assert_str_eq(r, "{\"ok\":false,\"error\":\"nowhere: not a host of "
                     "the cluster\"}\n");
    free(r);
}
END_TEST

START_TEST(a_lost_connection_is_one_line_and_a_quiet_retry)
{
    char *r;

    start(0);
    start(1);
    spin(2);
    xres_group_bus_lose(bus, 1);
    spin(2);
    r = ask(0, "{\"cmd\":\"cluster-list\"}");
    ck_assert_ptr_nonnull(strstr(r, "\"cluster\":false,\"reason\":"
                                 "\"connection to corosync lost\""));
    free(r);
    r = ask(1, "{\"cmd\":\"cluster-list\"}");
    ck_assert_ptr_nonnull(strstr(r, "\"node\":1,\"state\":\"lost\""));
    free(r);
    /* cluster_retry_ticks (6) later, host1 is back. */
    for (int t = 0; t < 6; t++) xres_daemon_tick(D[0]);
    spin(2);
    r = ask(1, "{\"cmd\":\"cluster-list\"}");
    ck_assert_ptr_nonnull(strstr(r, "\"node\":1,\"state\":\"member\","
                                 "\"self\":false,\"stale\":false"));
    free(r);
}
END_TEST

Suite *daemon_cluster_suite(void)
{
    Suite *s = suite_create("daemon_cluster");
    TCase *t = tcase_create("cluster");

    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, off_with_one_line_when_the_group_is_down);
    tcase_add_test(t, figures_each_tick_and_a_joiner_catches_up);
    tcase_add_test(t, a_lost_connection_is_one_line_and_a_quiet_retry);
    suite_add_tcase(s, t);
    return s;
}
