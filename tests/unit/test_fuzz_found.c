/*
 * tests/unit/test_fuzz_found.c: the inputs the fuzz targets (tests/fuzz,
 * guest-agent/fuzz, xenstore-schema/fuzz) found to crash xres, each kept
 * as a test once fixed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "agent.h"
#include "backend_sim.h"
#include "config.h"
#include "daemon.h"

/* A NUL byte inside a quoted string: libxlutil's lexer asserts
 * (xlu__cfgl_dequote) and aborts.  fuzz_agent_conf and fuzz_xres_conf
 * found it; both readers now refuse such a file with a message. */
static const char nul_conf[] = "socket = \"/run/x\0y\"\n";

START_TEST(test_agent_conf_nul_byte)
{
    xres_agent_cfg c;
    char err[256] = "";

    ck_assert_int_ne(xres_agent_cfg_parse(&c, nul_conf, sizeof(nul_conf) - 1,
                                          "agent.conf", err, sizeof(err)),
                     0);
    ck_assert_str_eq(err, "agent.conf: holds a NUL byte");
}
END_TEST

START_TEST(test_xres_conf_nul_byte)
{
    char path[] = "/tmp/xres-conf-XXXXXX", err[256] = "", want[300];
    xres_config cfg;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, nul_conf, sizeof(nul_conf) - 1),
                     (ssize_t)sizeof(nul_conf) - 1);
    close(fd);
    xres_config_init(&cfg);
    ck_assert_int_ne(xres_config_load(&cfg, path, false, err, sizeof(err)),
                     0);
    snprintf(want, sizeof(want), "%s: holds a NUL byte", path);
    ck_assert_str_eq(err, want);
    xres_config_dispose(&cfg);
    unlink(path);
}
END_TEST

/* `mem-policy` keeps a policy for any valid name, a domain that is not
 * there yet included: a client could make xresd keep policies without
 * bound, each command slower than the last (fuzz_ipc found it by its
 * falling rate).  Now at most 1024 are kept, as for the CPU's. */
static bool answer_ok(xres_daemon *d, const char *req, const char *want)
{
    char *reply, *text;
    size_t len;

    ck_assert_int_eq(xres_daemon_answer(d, req, strlen(req), &reply, &len),
                     0);
    /* The reply is len bytes, not a string. */
    text = strndup(reply, len);
    free(reply);
    ck_assert_ptr_nonnull(text);
    bool ok = strstr(text, "\"ok\":true") != NULL;
    if (want) ck_assert_msg(strstr(text, want), "%s", text);
    free(text);
    return ok;
}

/* xresd on the simulated host's default scenario, as fuzz_ipc runs it. */
typedef struct {
    char dir[32], sock[128], conf[128];
    xres_backend be;
    xres_daemon *d;
} fuzz_daemon;

static void fuzz_daemon_init(fuzz_daemon *fd)
{
    char err[256];
    xres_daemon_opts o = { 0 };
    FILE *f;

    memset(fd, 0, sizeof(*fd));
    xres_log_set_level(LOG_ERR);
    snprintf(fd->dir, sizeof(fd->dir), "/tmp/xres-fuzz-found-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fd->dir));
    snprintf(fd->sock, sizeof(fd->sock), "%s/xresd.sock", fd->dir);
    snprintf(fd->conf, sizeof(fd->conf), "%s/xres.conf", fd->dir);
    ck_assert_ptr_nonnull(f = fopen(fd->conf, "w"));
    fputs("metrics_file = \"\"\n", f);
    fclose(f);
    ck_assert_int_eq(xres_sim_open_scenario(&fd->be, NULL, err,
                                            sizeof(err)), 0);
    fd->d = calloc(1, sizeof(*fd->d));
    ck_assert_ptr_nonnull(fd->d);
    ck_assert_int_eq(xres_daemon_load_config(fd->d, fd->conf, false, err,
                                             sizeof(err)), 0);
    o.socket_path = fd->sock;
    o.clock = xres_sim_clock(&fd->be);
    ck_assert_int_eq(xres_daemon_init(fd->d, &fd->be, &o), 0);
}

static void fuzz_daemon_dispose(fuzz_daemon *fd)
{
    xres_daemon_dispose(fd->d);
    free(fd->d);
    xres_backend_dispose(&fd->be);
    unlink(fd->conf);
    rmdir(fd->dir);
}

START_TEST(test_mem_policies_bounded)
{
    fuzz_daemon fd;
    xres_daemon *d;
    char req[128];

    fuzz_daemon_init(&fd);
    d = fd.d;
    for (int i = 0; i < 1024; i++) {
        snprintf(req, sizeof(req), "{\"cmd\":\"mem-policy\",\"dom\":"
                 "\"later-%d\",\"priority\":%d}", i, i % 100);
        ck_assert_msg(answer_ok(d, req, NULL), "policy %d refused", i);
    }
    ck_assert(!answer_ok(d, "{\"cmd\":\"mem-policy\",\"dom\":\"one-more\","
                         "\"priority\":1}",
                         "one-more: too many run-time policies (1024)"));
    /* One already kept can still change. */
    ck_assert(answer_ok(d, "{\"cmd\":\"mem-policy\",\"dom\":\"later-7\","
                        "\"priority\":9}", NULL));

    fuzz_daemon_dispose(&fd);
}
END_TEST

/* An unknown command's name is echoed in the error, at most 64 bytes of
 * it; a cut in the middle of a UTF-8 character made a reply that is not
 * JSON (fuzz_ipc).  Every string now goes out as well-formed UTF-8, a
 * byte of none as U+FFFD. */
START_TEST(test_reply_is_utf8)
{
    static const char req[] =
        "{\"cmd\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "\xd3\x9cyz\",\"id\":1}\n";
    fuzz_daemon fd;
    char *reply, *text, err[128];
    size_t len;
    yajl_val v;

    fuzz_daemon_init(&fd);
    ck_assert_int_eq(xres_daemon_answer(fd.d, req, sizeof(req) - 1, &reply,
                                        &len), 0);
    text = strndup(reply, len);
    free(reply);
    ck_assert_str_eq(text, "{\"ok\":false,\"error\":\"unknown command `"
                     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                     "\xef\xbf\xbd'\"}\n");
    v = yajl_tree_parse(text, err, sizeof(err));
    ck_assert_msg(v != NULL, "%s", err);
    yajl_tree_free(v);
    free(text);
    fuzz_daemon_dispose(&fd);
}
END_TEST

Suite *fuzz_found_suite(void)
{
    Suite *s = suite_create("fuzz_found");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_agent_conf_nul_byte);
    tcase_add_test(tc, test_xres_conf_nul_byte);
    tcase_add_test(tc, test_mem_policies_bounded);
    tcase_add_test(tc, test_reply_is_utf8);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
