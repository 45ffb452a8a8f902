/*
 * tests/unit/test_daemon_conflict.c: conflicts and relocation inside the
 * real daemon: two xresd on simulated hosts in the in-process group, a
 * stand-in for xres-crm (a shell script that logs its arguments), host1
 * with busy domains and host2 idle.  Two busy domains over T_server make
 * exactly one move, of the busiest, to host2, after conflict_sustain
 * figures; one busy domain moves nothing; `conflicts' and `relocate'
 * give the figures; a restarted xresd keeps a failed move's hold-down.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "backend_sim.h"
#include "daemon.h"
#include "group_model.h"
#include "subsys.h"

#define MiB 1024ULL

static const xres_subsys *const subs[] = {
    &xres_subsys_cluster, &xres_subsys_move, &xres_subsys_conflict, NULL,
};
static xres_group_bus *bus;
static xres_backend B[2];
static xres_daemon *D[2];
static xres_group_model_arg arg[2];
static char sock[2][108], conf[2][64], dir[64], helper[2][96], logpath[96];
static uint32_t g[3];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* The stand-in: `resources' lists g1..g3; `move' waits for $dir/go. */
static void make_helper(int i)
{
    char text[1024];

    snprintf(helper[i], sizeof(helper[i]), "%s/xres-crm%d", dir, i);
    snprintf(text, sizeof(text),
             "#!/bin/sh\n"
             "echo \"$*\" >>%s/log%d\n"
             "case $1 in\n"
             "resources) printf 'g1 ocf:xres:domain g1 1\\n"
             "g2 ocf:xres:domain g2 1\\ng3 ocf:xres:domain g3 1\\n' ;;\n"
             "move) while [ ! -e %s/go ]; do sleep 0.02; done; rm -f %s/go\n"
             "  [ -e %s/fail ] && { echo 'no such node' >&2; exit 1; }\n"
             "  echo \"moved $2 $3\" ;;\n"
             "esac\n", dir, i, dir, dir, dir);
    write_file(helper[i], text);
    ck_assert_int_eq(chmod(helper[i], 0700), 0);
}

static void start_daemon(int i);

static void start(int i)
{
    static const char *const names[] = { "g1", "g2", "g3" };
    char text[256];
    uint32_t id;

    snprintf(conf[i], sizeof(conf[i]), "/tmp/xres-test-cf%d-%d.conf", i,
             (int)getpid());
    snprintf(sock[i], sizeof(sock[i]), "/tmp/xres-test-cf%d-%d.sock", i,
             (int)getpid());
    snprintf(text, sizeof(text), "cluster_host = \"host%d\"\n"
             "conflict_t_server_cpu = 70\nconflict_sustain = 2\n"
             "relocate = \"on\"\ncrm_utilization = \"off\"\n"
             "relocate_hold_down = \"60s\"\n", i + 1);
    write_file(conf[i], text);
    ck_assert_int_eq(xres_backend_sim_open(&B[i], 4096 * MiB, 4), 0);
    xres_sim_set_cap_shadow(&B[i], true);
    ck_assert_int_eq(xres_sim_add_domain(&B[i], "Domain-0", 512 * MiB,
                                         512 * MiB, &id), 0);
    xres_sim_set_cpu_load(&B[i], id, 0);
    for (int k = 0; !i && k < 3; k++) {
        ck_assert_int_eq(xres_sim_add_domain(&B[i], names[k], 512 * MiB,
                                             512 * MiB, &g[k]), 0);
        ck_assert_int_eq(xres_sim_set_vcpus(&B[i], g[k], 4), 0);
        xres_sim_set_cpu_load(&B[i], g[k], 0);
    }
    start_daemon(i);
}

/* xresd on host i+1, on the backend B[i] there already. */
static void start_daemon(int i)
{
    xres_daemon_opts o;
    char err[256];

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

/* xresd on host i+1 stopped and started again; its host (XenStore
 * included) stays.  xresd writes nothing when it stops, so this is what a
 * kill -9 leaves for the next one. */
static void restart(int i)
{
    xres_daemon_dispose(D[i]);
    free(D[i]);
    start_daemon(i);
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

/* Lets both daemons read what came in (the helper is a real process). */
static void settle(void)
{
    for (int k = 0; k < 20; k++)
        for (int i = 0; i < 2; i++) xres_daemon_run_once(D[i], 10);
}

/* One collection interval on both hosts: 10 s, figures shared. */
static void interval(void)
{
    for (int i = 0; i < 2; i++) {
        xres_sim_advance(&B[i], 10000);
        xres_daemon_tick(D[i]);
    }
    settle();
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

static unsigned moves_asked(void)
{
    unsigned n = 0;

    for (const char *p = slurp(logpath); (p = strstr(p, "move ")); p++) n++;
    return n;
}

/* Waits until xresd on host i+1 has Pacemaker's list of resources. */
static void known(int i)
{
    char *r = NULL;

    for (int k = 0; k < 300; k++) {
        free(r);
        settle();
        r = ask(i, "{\"cmd\":\"migrate-status\"}");
        if (strstr(r, "\"resources_known\":true")) break;
    }
    ck_assert_ptr_nonnull(strstr(r, "\"resources_known\":true"));
    free(r);
}

static void setup(void)
{

    ck_assert_int_eq(xres_group_bus_new(&bus), 0);
    snprintf(dir, sizeof(dir), "/tmp/xres-test-cf-%d", (int)getpid());
    snprintf(logpath, sizeof(logpath), "%s/log0", dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    make_helper(0);
    make_helper(1);
    start(0);
    start(1);
    interval();
    known(0);
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

static void loads(unsigned a, unsigned b, unsigned c)
{
    xres_sim_set_cpu_load(&B[0], g[0], a);
    xres_sim_set_cpu_load(&B[0], g[1], b);
    xres_sim_set_cpu_load(&B[0], g[2], c);
}

START_TEST(the_busiest_of_two_busy_domains_moves_once_to_the_idle_host)
{
    char p[96], *r;

    loads(40, 35, 0);       /* 4 vCPUs each, of 4 CPUs: 40%, 35%, 0; Up 75% */
    interval();
    r = ask(0, "{\"cmd\":\"conflicts\"}");
    ck_assert_msg(strstr(r, "{\"host\":\"host1\",\"node\":1,\"self\":true,"
                         "\"guests\":3,\"cpu\":{\"up_cp\":7500,"
                         "\"t_server_cp\":7000,\"t_vm_cp\":2500,\"over\":true,"
                         "\"in_conflict\":true},\"conflict\":true,"
                         "\"since_ms_ago\":0,\"run\":1,\"sustained\":false,"
                         "\"busy\":[{\"domain\":\"g1\",\"cpu_cp\":4000,"
                         "\"mem_cp\":1250},{\"domain\":\"g2\",\"cpu_cp\":3500,"
                         "\"mem_cp\":1250}]}") != NULL, "%s", r);
    ck_assert_msg(strstr(r, "{\"host\":\"host2\",\"node\":2,\"self\":false,"
                         "\"guests\":0,\"cpu\":{\"up_cp\":0,") != NULL,
                  "%s", r);
    free(r);
    r = ask(0, "{\"cmd\":\"relocate\",\"dry_run\":true}");
    ck_assert_msg(strstr(r, "\"move\":true,\"source\":\"host1\","
                         "\"sustained\":false,\"domain\":\"g1\",\"host\":"
                         "\"host2\",\"decision\":\"host host1 Up cpu 75% >= "
                         "T_server 70%, T_vm 25% (Up/N), over: g1 40% g2 35%; "
                         "moving g1 (40%) to host2 (free 100% x1.0)\"")
                  != NULL, "%s", r);
    free(r);
    ck_assert_uint_eq(moves_asked(), 0);
    for (int k = 0; k < 4; k++) interval();
    ck_assert_uint_eq(moves_asked(), 1);
    ck_assert_ptr_nonnull(strstr(slurp(logpath), "\nmove g1 host2 live 600\n"));
    r = ask(0, "{\"cmd\":\"conflicts\"}");
    ck_assert_msg(strstr(r, "\"move\":1,") != NULL, "%s", r);
    ck_assert_msg(strstr(r, "\"last\":\"host host1 Up cpu 75% >= T_server "
                         "70%, T_vm 25% (Up/N), over: g1 40% g2 35%; moving "
                         "g1 (40%) to host2 (free 100% x1.0), live (move 1)\"")
                  != NULL, "%s", r);
    free(r);
    /* Pacemaker moves it; host1 is out of conflict after. */
    ck_assert_int_eq(B[0].ops->destroy(&B[0], g[0]), 0);
    snprintf(p, sizeof(p), "%s/go", dir);
    write_file(p, "");
    for (int k = 0; k < 200 && access(p, F_OK) == 0; k++) settle();
    for (int k = 0; k < 6; k++) interval();
    ck_assert_uint_eq(moves_asked(), 1);
    r = ask(0, "{\"cmd\":\"conflicts\"}");
    ck_assert_msg(strstr(r, "\"host\":\"host1\",\"node\":1,\"self\":true,"
                         "\"guests\":2,") != NULL, "%s", r);
    ck_assert_msg(strstr(r, "\"conflict\":true") == NULL, "%s", r);
    free(r);
}
END_TEST

START_TEST(one_busy_domain_moves_nothing)
{
    char *r;

    loads(80, 0, 0);        /* Up 80% over T_server, but one domain */
    for (int k = 0; k < 6; k++) interval();
    ck_assert_uint_eq(moves_asked(), 0);
    r = ask(0, "{\"cmd\":\"conflicts\"}");
    ck_assert_msg(strstr(r, "{\"host\":\"host1\",\"node\":1,\"self\":true,"
                         "\"guests\":3,\"cpu\":{\"up_cp\":8000,"
                         "\"t_server_cp\":7000,\"t_vm_cp\":2666,\"over\":true,"
                         "\"in_conflict\":false},\"conflict\":false,\"run\":0,"
                         "\"sustained\":false,\"busy\":[]}") != NULL,
                  "%s", r);
    free(r);
    r = ask(0, "{\"cmd\":\"relocate\",\"dry_run\":true}");
    ck_assert_msg(strstr(r, "\"move\":false,\"source\":\"host1\","
                         "\"sustained\":false,\"why\":\"host1 is not in "
                         "conflict\"") != NULL, "%s", r);
    free(r);
    r = ask(0, "{\"cmd\":\"relocate\"}");
    ck_assert_str_eq(r, "{\"ok\":false,\"error\":\"relocate: only with "
                     "--dry-run; xresd moves domains itself when relocate = "
                     "\\\"on\\\" in xres.conf\"}\n");
    free(r);
}
END_TEST

static char *xs(int i, const char *path)
{
    static char buf[64];
    char *v = NULL;

    if (B[i].ops->xs_read(&B[i], path, &v, NULL)) return NULL;
    snprintf(buf, sizeof(buf), "%s", v);
    free(v);
    return buf;
}

/* A move that failed holds its domain down (relocate_hold_down, 60 s
 * here); a restarted xresd reads the hold-down back from XenStore and
 * moves the next busiest domain instead.  When it ends, the entry goes. */
START_TEST(a_restarted_xresd_keeps_the_hold_down)
{
    char p[96], *r;

    loads(40, 35, 0);
    for (int k = 0; k < 5; k++) interval();
    ck_assert_uint_eq(moves_asked(), 1);
    snprintf(p, sizeof(p), "%s/fail", dir);
    write_file(p, "");
    snprintf(p, sizeof(p), "%s/go", dir);
    write_file(p, "");
    for (int k = 0; k < 200 && access(p, F_OK) == 0; k++) settle();
    interval();
    r = ask(0, "{\"cmd\":\"conflicts\"}");
    ck_assert_msg(strstr(r, "\"last\":\"warning: moving g1 to host2 failed "
                         "(Input/output error); it is held down\"") != NULL,
                  "%s", r);
    free(r);
    /* The sim's clock started at 1 s; seven intervals of 10 s. */
    ck_assert_uint_eq(xres_daemon_now_ms(D[0]), 71000);
    ck_assert_str_eq(xs(0, "/local/domain/0/xres/conflict/moved/g1/at_ms"),
                     "71000");
    ck_assert_str_eq(xs(0, "/local/domain/0/xres/conflict/moved/g1/node"),
                     "1");
    ck_assert_ptr_null(xs(0, "/local/domain/0/xres/conflict/moved/g2"));

    restart(0);
    interval();
    known(0);
    interval();
    r = ask(0, "{\"cmd\":\"relocate\",\"dry_run\":true}");
    ck_assert_msg(strstr(r, "\"move\":true,\"source\":\"host1\","
                         "\"sustained\":true,\"domain\":\"g2\",\"host\":"
                         "\"host2\",") != NULL, "%s", r);
    ck_assert_msg(strstr(r, "\"skipped\":[{\"domain\":\"g1\",\"why\":"
                         "\"moved 20s ago (hold-down 60s)\"}]") != NULL,
                  "%s", r);
    free(r);
    /* 60 s after the failure the hold-down ends, and so does its entry. */
    for (int k = 0; k < 4; k++) interval();
    ck_assert_uint_eq(xres_daemon_now_ms(D[0]), 131000);
    ck_assert_ptr_null(xs(0, "/local/domain/0/xres/conflict/moved/g1"));
    /* Meanwhile the restarted xresd moved g2, and only g2. */
    ck_assert_uint_eq(moves_asked(), 2);
    ck_assert_ptr_nonnull(strstr(slurp(logpath), "\nmove g2 host2 live 600\n"));
}
END_TEST

Suite *daemon_conflict_suite(void)
{
    Suite *s = suite_create("daemon_conflict");
    TCase *tc = tcase_create("conflict");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, the_busiest_of_two_busy_domains_moves_once_to_the_idle_host);
    tcase_add_test(tc, one_busy_domain_moves_nothing);
    tcase_add_test(tc, a_restarted_xresd_keeps_the_hold_down);
    suite_add_tcase(s, tc);
    return s;
}
