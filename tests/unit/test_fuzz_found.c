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

START_TEST(test_mem_policies_bounded)
{
    char dir[] = "/tmp/xres-fuzz-found-XXXXXX", sock[128], conf[128];
    char err[256], req[128];
    xres_daemon_opts o = { 0 };
    xres_backend be;
    xres_daemon *d = calloc(1, sizeof(*d));
    FILE *f;

    xres_log_set_level(LOG_ERR);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", dir);
    ck_assert_ptr_nonnull(f = fopen(conf, "w"));
    fputs("metrics_file = \"\"\n", f);
    fclose(f);
    ck_assert_int_eq(xres_sim_open_scenario(&be, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(xres_daemon_load_config(d, conf, false, err,
                                             sizeof(err)), 0);
    o.socket_path = sock;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(d, &be, &o), 0);

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

    xres_daemon_dispose(d);
    free(d);
    xres_backend_dispose(&be);
    unlink(conf);
    rmdir(dir);
}
END_TEST

Suite *fuzz_found_suite(void)
{
    Suite *s = suite_create("fuzz_found");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_agent_conf_nul_byte);
    tcase_add_test(tc, test_xres_conf_nul_byte);
    tcase_add_test(tc, test_mem_policies_bounded);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
