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
#include "config.h"

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

Suite *fuzz_found_suite(void)
{
    Suite *s = suite_create("fuzz_found");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_agent_conf_nul_byte);
    tcase_add_test(tc, test_xres_conf_nul_byte);
    suite_add_tcase(s, tc);
    return s;
}
