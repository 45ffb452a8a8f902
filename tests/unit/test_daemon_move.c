/*
 * tests/unit/test_daemon_move.c: moves through Pacemaker inside the real
 * daemon: two xresd on simulated hosts in the in-process group, and a
 * stand-in for xres-crm (a shell script that logs its arguments and
 * answers as the real one does).  The resource table is read, the
 * utilization written once and again only on a change, a dry run and a
 * move followed to its end, one move at a time, a failed move with
 * Pacemaker's reason, and a move Pacemaker says is done while the domain
 * still runs here.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "backend_sim.h"
#include "daemon.h"
#include "group_model.h"
#include "subsys.h"

#define MiB 1024ULL

static const xres_subsys *const subs[] = {
    &xres_subsys_cluster, &xres_subsys_move, NULL,
};
static xres_group_bus *bus;
static xres_backend B[2];
static xres_daemon *D[2];
static xres_group_model_arg arg[2];
static char sock[2][108], conf[2][64], dir[64], helper[2][96], logpath[96];
static uint32_t g1;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* The stand-in: `resources' prints $dir/res; `move' waits for $dir/go,
 * then fails with $dir/fail's text if it exists, else says moved. */
static void make_helper(int i)
{
    char text[1024];

    snprintf(helper[i], sizeof(helper[i]), "%s/xres-crm%d", dir, i);
    snprintf(logpath, sizeof(logpath), "%s/log0", dir);
    snprintf(text, sizeof(text),
             "#!/bin/sh\n"
             "echo \"$*\" >>%s/log%d\n"
             "case $1 in\n"
             "resources) cat %s/res ;;\n"
             "move) while [ ! -e %s/go ]; do sleep 0.02; done; rm -f %s/go\n"
             "  if [ -e %s/fail ]; then echo \"error: $(cat %s/fail)\"; "
             "exit 1; fi\n"
             "  echo \"moved $2 $3\" ;;\n"
             "utilization) echo \"utilization host1\" ;;\n"
             "esac\n", dir, i, dir, dir, dir, dir, dir);
    write_file(helper[i], text);
    ck_assert_int_eq(chmod(helper[i], 0700), 0);
    snprintf(text, sizeof(text), "%s/res", dir);
    write_file(text, "g1 ocf:xres:domain g1 1\n");
}

static void start(int i)
{
    xres_daemon_opts o;
    char err[256];
    uint32_t id;

    snprintf(conf[i], sizeof(conf[i]), "/tmp/xres-test-mv%d-%d.conf", i,
             (int)getpid());
    snprintf(sock[i], sizeof(sock[i]), "/tmp/xres-test-mv%d-%d.sock", i,
             (int)getpid());
    write_file(conf[i], i ? "cluster_host = \"host2\"\n"
                          : "cluster_host = \"host1\"\n");
    ck_assert_int_eq(xres_backend_sim_open(&B[i], 4096 * MiB, 4), 0);
    xres_sim_set_cap_shadow(&B[i], true);
    ck_assert_int_eq(xres_sim_add_domain(&B[i], "Domain-0", 512 * MiB,
                                         512 * MiB, &id), 0);
    if (!i)
        ck_assert_int_eq(xres_sim_add_domain(&B[i], "g1", 1024 * MiB,
                                             2048 * MiB, &g1), 0);
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
    o.crm_path = helper[i];
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

/* Runs both daemons until host1's reply to req holds want (5 s at most,
 * of real time: the helper is a real process). */
static char *until(const char *req, const char *want)
{
    for (int k = 0; k < 500; k++) {
        char *r;
        for (int i = 0; i < 2; i++)
            if (D[i]) xres_daemon_run_once(D[i], 10);
        r = ask(0, req);
        if (strstr(r, want)) return r;
        free(r);
    }
    ck_abort_msg("no `%s' in the reply to %s", want, req);
    return NULL;
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

    if (f) fclose(f);
    buf[n] = '\0';
    return buf;
}

static void go(void)
{
    char p[96];

    snprintf(p, sizeof(p), "%s/go", dir);
    write_file(p, "");
}

static void setup(void)
{
    ck_assert_int_eq(xres_group_bus_new(&bus), 0);
    snprintf(dir, sizeof(dir), "/tmp/xres-test-mv-%d", (int)getpid());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    make_helper(0);
    make_helper(1);
    start(0);
    start(1);
    for (int t = 0; t < 2; t++) {
        xres_daemon_tick(D[0]);
        xres_daemon_tick(D[1]);
    }
    free(until("{\"cmd\":\"migrate-status\"}", "\"resources_known\":true"));
}

static void teardown(void)
{
    char cmd[128];

    stop(0);
    stop(1);
    xres_group_bus_free(bus);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(a_move_is_checked_asked_and_followed_to_its_end)
{
    char *r;

    /* The table read, then the utilization: 4 CPUs, 4096 - 512 MiB,
     * g1 at 1024 MiB and no CPU use (1, Pacemaker's least). */
    free(until("{\"cmd\":\"migrate-status\"}", "\"moves\":[]"));
    for (int k = 0; k < 100 && !strstr(slurp(logpath), "utilization"); k++)
        xres_daemon_run_once(D[0], 10);
    ck_assert_str_eq(slurp(logpath), "resources\nutilization 400 3584 g1 1 "
                     "1024\n");
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\","
            "\"dry_run\":true}");
    ck_assert_str_eq(r, "{\"ok\":true,\"dry_run\":true,\"domain\":\"g1\","
                     "\"host\":\"host2\",\"method\":\"live\",\"resource\":"
                     "\"g1\",\"agent\":\"ocf:xres:domain\",\"domid\":1,"
                     "\"need_kb\":1056768,\"dest_free_kb\":3670016,"
                     "\"need_cpu_pct\":0,\"dest_cpu_pct\":400}\n");
    free(r);
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\","
            "\"method\":\"save-restore\"}");
    ck_assert_ptr_nonnull(strstr(r, "{\"ok\":true,\"dry_run\":false,"
                                 "\"domain\":\"g1\",\"host\":\"host2\","
                                 "\"job\":1,\"method\":\"save-restore\""));
    free(r);
    /* One move at a time. */
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\"}");
    ck_assert_str_eq(r, "{\"ok\":false,\"error\":\"cannot move g1 to host2: "
                     "move 1 (g1 to host2) is under way\"}\n");
    free(r);
    free(until("{\"cmd\":\"migrate-status\",\"job\":1}",
               "\"state\":\"running\""));
    /* Pacemaker moves it: gone from here, and the helper says so. */
    ck_assert_int_eq(B[0].ops->destroy(&B[0], g1), 0);
    xres_daemon_tick(D[0]);
    go();
    r = until("{\"cmd\":\"migrate-status\",\"job\":1}", "\"state\":\"done\"");
    ck_assert_ptr_nonnull(strstr(r, "\"result\":\"moved g1 host2\""));
    free(r);
    ck_assert_ptr_nonnull(strstr(slurp(logpath), "\nmove g1 host2 save 600\n"));
}
END_TEST

START_TEST(a_failed_move_says_why_and_a_domain_still_here_fails)
{
    char p[96], *r;

    snprintf(p, sizeof(p), "%s/fail", dir);
    write_file(p, "crm_resource --move: Error performing operation: No "
               "such device or address\n");
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\"}");
    ck_assert_ptr_nonnull(strstr(r, "\"job\":1"));
    free(r);
    go();
    r = until("{\"cmd\":\"migrate-status\",\"job\":1}", "\"state\":\"failed\"");
    ck_assert_ptr_nonnull(strstr(r, "\"result\":\"crm_resource --move: Error "
                                 "performing operation: No such device or "
                                 "address\""));
    free(r);
    unlink(p);
    /* "moved", but g1 still runs here. */
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\"}");
    ck_assert_ptr_nonnull(strstr(r, "\"job\":2"));
    free(r);
    go();
    r = until("{\"cmd\":\"migrate-status\",\"job\":2}", "\"state\":\"failed\"");
    ck_assert_ptr_nonnull(strstr(r, "\"result\":\"Pacemaker runs it on the "
                                 "destination, but it still runs here\""));
    free(r);
    r = ask(0, "{\"cmd\":\"migrate-status\",\"job\":9}");
    ck_assert_str_eq(r, "{\"ok\":false,\"error\":\"no move 9 is known\"}\n");
    free(r);
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\","
            "\"method\":\"fast\"}");
    ck_assert_str_eq(r, "{\"ok\":false,\"error\":\"migrate: method `fast' is "
                     "not auto, live or save-restore\"}\n");
    free(r);
}
END_TEST

START_TEST(a_table_that_does_not_parse_keeps_the_last_and_says_why)
{
    char p[96], *r;

    snprintf(p, sizeof(p), "%s/res", dir);
    write_file(p, "g1 ocf:xres:domain g1 yes\n");
    for (int t = 0; t < 6; t++) {
        xres_daemon_tick(D[0]);
        xres_daemon_tick(D[1]);
    }
    r = until("{\"cmd\":\"migrate-status\"}", "\"resources_error\"");
    ck_assert_ptr_nonnull(strstr(r, "\"resources_error\":\"xres-crm "
                                 "resources: malformed line: `g1 "
                                 "ocf:xres:domain g1 yes'\""));
    free(r);
    /* The table it had still holds: the dry run passes. */
    r = ask(0, "{\"cmd\":\"migrate\",\"domain\":\"g1\",\"host\":\"host2\","
            "\"dry_run\":true}");
    ck_assert_msg(strstr(r, "{\"ok\":true") != NULL, "%s", r);
    free(r);
}
END_TEST

Suite *daemon_move_suite(void)
{
    Suite *s = suite_create("daemon_move");
    TCase *tc = tcase_create("move");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_move_is_checked_asked_and_followed_to_its_end);
    tcase_add_test(tc, a_failed_move_says_why_and_a_domain_still_here_fails);
    tcase_add_test(tc, a_table_that_does_not_parse_keeps_the_last_and_says_why);
    suite_add_tcase(s, tc);
    return s;
}
