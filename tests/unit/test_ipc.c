/*
 * tests/unit/test_ipc.c: xresd's socket, end to end: a daemon on the
 * simulated host runs in a thread and serves a real UNIX socket in a
 * temporary directory.  `list` returns the simulated domains; malformed,
 * oversized, truncated and stuck requests get {"ok":false} (or are cut
 * off) and the daemon keeps serving.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend_sim.h"
#include "cli.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"

static xres_backend be;
static xres_daemon d;
static pthread_t th;
static char dir[64], sock[128];

/* A subsystem with two commands and one extra list field. */
static int t_command(xres_daemon *dd, const char *cmd, yajl_val req,
                     yajl_gen out)
{
    (void)dd;
    if (!strcmp(cmd, "echo")) {
        const char *t = xres_json_get_str(req, "text");
        xres_ipc_reply_ok_begin(out);
        xres_json_kv_str(out, "said", t ? t : "");
        yajl_gen_map_close(out);
        return 0;
    }
    if (!strcmp(cmd, "fail")) {
        xres_json_str(out, "half-written");
        return -EIO;
    }
    return -ENOSYS;
}

static void t_fill(xres_daemon *dd, const xres_domain *dom, yajl_gen out)
{
    (void)dd;
    xres_json_kv_u64(out, "test_mark", dom->domid * 10);
}

static const xres_subsys t_subsys = {
    .name = "test", .command = t_command, .fill_domain_json = t_fill,
};
static const xres_subsys *const t_list[] = { &t_subsys, NULL };

static void *run(void *arg)
{
    (void)arg;
    xres_daemon_run(&d);
    return NULL;
}

static void setup(void)
{
    char err[256];
    xres_daemon_opts o = { 0 };

    xres_log_set_level(LOG_WARNING);
    snprintf(dir, sizeof(dir), "/tmp/xres-ipc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    ck_assert_int_eq(xres_sim_open_scenario(&be, NULL, err, sizeof(err)), 0);
    memset(&d, 0, sizeof(d));
    o.socket_path = sock;
    o.subsystems = t_list;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, run, NULL), 0);
}

static void teardown(void)
{
    xres_daemon_stop(&d);
    pthread_join(th, NULL);
    xres_daemon_dispose(&d);
    xres_backend_dispose(&be);
    rmdir(dir);
}

static yajl_val call(const char *req)
{
    char *reply = NULL, errbuf[128];
    yajl_val v;

    ck_assert_int_eq(xres_ipc_call(sock, req, strlen(req), &reply, NULL,
                                   10000), 0);
    v = yajl_tree_parse(reply, errbuf, sizeof(errbuf));
    if (!v) ck_abort_msg("reply is not JSON: %s", reply);
    free(reply);
    return v;
}

static void expect_error(yajl_val v, const char *prefix)
{
    const char *e = xres_json_get_str(v, "error");

    ck_assert(!xres_json_get_bool(v, "ok", true));
    ck_assert_ptr_nonnull(e);
    if (strncmp(e, prefix, strlen(prefix)))
        ck_abort_msg("error `%s' does not start with `%s'", e, prefix);
    yajl_tree_free(v);
}

static uint64_t u64(yajl_val o, const char *k)
{
    uint64_t v = 0;

    ck_assert_int_eq(xres_json_get_u64(o, k, &v), 0);
    return v;
}

static void check_list(void)
{
    yajl_val v = call("{\"cmd\":\"list\"}");
    yajl_val doms, g1;

    ck_assert(xres_json_get_bool(v, "ok", false));
    ck_assert_str_eq(xres_json_get_str(v, "xen_version"), "4.17.0-sim");
    ck_assert_str_eq(xres_json_get_str(v, "scheduler"), "credit");
    ck_assert_uint_eq(u64(v, "nr_cpus"), 2);
    ck_assert_uint_eq(u64(v, "total_kb"), 8388608);
    ck_assert_uint_eq(u64(v, "free_kb"), 8388608 - 2097152 - 1048576
                      - 524288);
    doms = xres_json_get(v, "domains");
    ck_assert(YAJL_IS_ARRAY(doms));
    ck_assert_uint_eq(doms->u.array.len, 3);
    ck_assert_str_eq(xres_json_get_str(doms->u.array.values[0], "name"),
                     "Domain-0");
    g1 = doms->u.array.values[1];
    ck_assert_uint_eq(u64(g1, "domid"), 1);
    ck_assert_str_eq(xres_json_get_str(g1, "name"), "g1");
    ck_assert_uint_eq(u64(g1, "cur_kb"), 1048576);
    ck_assert_uint_eq(u64(g1, "target_kb"), 1048576);
    ck_assert_uint_eq(u64(g1, "xen_max_kb"), 1048576 + 1024);
    ck_assert_uint_eq(u64(g1, "static_max_kb"), 2097152);
    ck_assert_uint_eq(u64(g1, "vcpus"), 2);
    ck_assert_uint_eq(u64(g1, "weight"), 256);
    ck_assert_uint_eq(u64(g1, "cap"), 0);
    ck_assert(!xres_json_get_bool(g1, "agent", true));
    ck_assert(YAJL_IS_NULL(xres_json_get(g1, "used_kb")));
    ck_assert_uint_eq(u64(g1, "min_kb"), 0);
    ck_assert_uint_eq(u64(g1, "max_kb"), 0);
    ck_assert_str_eq(xres_json_get_str(g1, "state"), "fixed");
    ck_assert_uint_eq(u64(g1, "test_mark"), 10);
    ck_assert_uint_eq(u64(doms->u.array.values[2], "static_max_kb"),
                      1048576);
    yajl_tree_free(v);
}

START_TEST(test_list)
{
    struct stat st;

    check_list();
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(test_commands)
{
    yajl_val v = call("{\"cmd\":\"echo\",\"text\":\"hi\"}");

    ck_assert(xres_json_get_bool(v, "ok", false));
    ck_assert_str_eq(xres_json_get_str(v, "said"), "hi");
    yajl_tree_free(v);
    v = call("{\"cmd\":\"version\"}");
    ck_assert_str_eq(xres_json_get_str(v, "version"), XRES_VERSION);
    ck_assert_str_eq(xres_json_get_str(v, "backend"), "sim");
    yajl_tree_free(v);
    expect_error(call("{\"cmd\":\"fail\"}"), "fail: Input/output error");
    expect_error(call("{\"cmd\":\"nope\"}"), "unknown command `nope'");
}
END_TEST

/* Sends raw bytes (shut: then end the writing side) and returns the
 * reply, or NULL if the daemon closed without one. */
static char *raw(const char *data, size_t len, bool shut)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char *buf = calloc(1, 65536);
    size_t n = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += w;
    }
    if (shut) shutdown(fd, SHUT_WR);
    for (;;) {
        ssize_t r = recv(fd, buf + n, 65535 - n, 0);
        if (r <= 0) break;
        n += r;
    }
    close(fd);
    if (!n) { free(buf); return NULL; }
    return buf;
}

static void expect_raw_error(const char *data, size_t len, bool shut,
                             const char *prefix)
{
    char *r = raw(data, len, shut), eb[128];

    ck_assert_ptr_nonnull(r);
    yajl_val v = yajl_tree_parse(r, eb, sizeof(eb));
    ck_assert_ptr_nonnull(v);
    free(r);
    expect_error(v, prefix);
}

START_TEST(test_bad_requests)
{
    expect_error(call("{"), "malformed request");
    expect_error(call("[1,2]"), "malformed request");
    expect_error(call("{\"x\":1}"), "malformed request");
    expect_error(call("{\"cmd\":7}"), "malformed request");
    expect_error(call("\"list\""), "malformed request");
    /* Truncated: the client stops half way and closes its side. */
    expect_raw_error("{\"cmd\":\"li", 10, true, "malformed request");
    /* Binary rubbish. */
    expect_raw_error("\xff\xfe\x00\x01{{{\n", 8, false, "malformed request");
    /* A request spread over lines is fine; rubbish after it is not. */
    const char *multi = "{\n  \"cmd\":\n  \"version\"\n}\n";
    char *r = raw(multi, strlen(multi), false);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(strstr(r, "\"ok\":true"));
    free(r);
    expect_raw_error("{\"cmd\":\"list\"} x\n", 17, false,
                     "malformed request");
    /* Oversized. */
    size_t big = 100 * 1024;
    char *junk = malloc(big);
    memset(junk, ' ', big);
    expect_raw_error(junk, big, true, "request too large (limit 65536");
    free(junk);
    /* And still serving. */
    check_list();
}
END_TEST

START_TEST(test_stuck_client)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int stuck[3];

    strcpy(sa.sun_path, sock);
    /* Clients that connect and send half a request, then nothing. */
    for (int i = 0; i < 3; i++) {
        stuck[i] = socket(AF_UNIX, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(stuck[i], (struct sockaddr *)&sa,
                                 sizeof(sa)), 0);
        ck_assert_int_eq(send(stuck[i], "{\"cmd\":", 7, 0), 7);
    }
    /* Others are served meanwhile. */
    check_list();
    check_list();
    /* A client that sends a request and never reads the reply does not
     * block the daemon either. */
    int lazy = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(lazy, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(send(lazy, "{\"cmd\":\"list\"}\n", 15, 0), 15);
    check_list();
    close(lazy);
    for (int i = 0; i < 3; i++) close(stuck[i]);
    check_list();
}
END_TEST

START_TEST(test_second_daemon_refused)
{
    xres_daemon d2;
    xres_backend be2;
    xres_daemon_opts o = { .socket_path = sock };
    char err[128];

    ck_assert_int_eq(xres_sim_open_scenario(&be2, NULL, err, sizeof(err)),
                     0);
    memset(&d2, 0, sizeof(d2));
    o.clock = xres_sim_clock(&be2);
    ck_assert_int_eq(xres_daemon_init(&d2, &be2, &o), -EADDRINUSE);
    xres_backend_dispose(&be2);
    /* The first one still answers, and its socket is still there. */
    check_list();
}
END_TEST

/* Runs `xres ARGS...` in this process; returns its exit code and what it
 * printed on stdout. */
static int run_xres(char **out, int argc, char **argv)
{
    FILE *f = tmpfile();
    int saved, rc;
    long n;

    ck_assert_ptr_nonnull(f);
    fflush(stdout);
    saved = dup(1);
    dup2(fileno(f), 1);
    xres_cli_set_socket(sock);
    optind = 0;
    rc = xres_cli_find(argv[0])->fn(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    n = ftell(f);
    *out = calloc(1, n + 1);
    rewind(f);
    ck_assert_int_eq(fread(*out, 1, n, f), n);
    fclose(f);
    return rc;
}

START_TEST(test_cli_list)
{
    char *out;
    char *a1[] = { "list", NULL };
    char *a2[] = { "list", "g2", "0", NULL };
    char *a3[] = { "list", "g3", NULL };
    char *a4[] = { "list", "1", "--json", NULL };

    ck_assert_int_eq(run_xres(&out, 1, a1), 0);
    ck_assert_str_eq(out,
        "Name                        ID     Mem  Target  MaxMem Weight  Cap"
        "    Used     Min State\n"
        "Domain-0                     0    2048    2048    2048    256    0"
        "       -       - fixed\n"
        "g1                           1    1024    1024    2048    256    0"
        "       -       - fixed\n"
        "g2                           2     512     512    1024    256    0"
        "       -       - fixed\n");
    free(out);
    /* Only the domains asked for, still in domid order. */
    ck_assert_int_eq(run_xres(&out, 3, a2), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nDomain-0 "));
    ck_assert_ptr_nonnull(strstr(out, "\ng2 "));
    ck_assert_ptr_null(strstr(out, "\ng1 "));
    ck_assert(strstr(out, "Domain-0") < strstr(out, "g2"));
    free(out);
    ck_assert_int_eq(run_xres(&out, 2, a3), XRES_EXIT_FAIL);
    ck_assert_str_eq(out, "");
    free(out);
    /* --json: the reply without "ok", one domain. */
    ck_assert_int_eq(run_xres(&out, 3, a4), 0);
    char eb[128];
    yajl_val v = yajl_tree_parse(out, eb, sizeof(eb));
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_null(xres_json_get(v, "ok"));
    ck_assert_uint_eq(u64(v, "total_kb"), 8388608);
    yajl_val doms = xres_json_get(v, "domains");
    ck_assert_uint_eq(doms->u.array.len, 1);
    ck_assert_str_eq(xres_json_get_str(doms->u.array.values[0], "name"),
                     "g1");
    yajl_tree_free(v);
    free(out);
}
END_TEST

Suite *ipc_suite(void)
{
    Suite *s = suite_create("ipc");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_commands);
    tcase_add_test(tc, test_bad_requests);
    tcase_add_test(tc, test_stuck_client);
    tcase_add_test(tc, test_second_daemon_refused);
    tcase_add_test(tc, test_cli_list);
    suite_add_tcase(s, tc);
    return s;
}
