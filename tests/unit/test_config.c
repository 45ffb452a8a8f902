/*
 * tests/unit/test_config.c: /etc/xres/xres.conf parsing: values, the
 * per-domain list, and the error messages for bad files.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];
static xres_config cfg;
static char err[512];

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int load(const char *text)
{
    write_file(text);
    xres_config_dispose(&cfg);
    err[0] = 0;
    return xres_config_load(&cfg, path, false, err, sizeof(err));
}

static void setup(void)
{
    int fd;

    snprintf(path, sizeof(path), "/tmp/xres-conf-XXXXXX");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    xres_config_init(&cfg);
}

static void teardown(void)
{
    xres_config_dispose(&cfg);
    unlink(path);
}

START_TEST(test_defaults)
{
    ck_assert_int_eq(xres_config_load(&cfg, NULL, true, err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.tick_ms, 10000);
    ck_assert_int_eq(cfg.report_interval_ms, 1000);
    ck_assert_str_eq(cfg.socket, "/run/xres/xresd.sock");
    xres_config_dispose(&cfg);
    /* A missing default file is fine, a missing explicit one is not. */
    ck_assert_int_eq(xres_config_load(&cfg, "/nonexistent/xres.conf", true,
                                      err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.tick_ms, 10000);
    xres_config_dispose(&cfg);
    ck_assert_int_eq(xres_config_load(&cfg, "/nonexistent/xres.conf", false,
                                      err, sizeof(err)), -ENOENT);
    ck_assert_str_eq(err, "/nonexistent/xres.conf: No such file or "
                     "directory");
}
END_TEST

START_TEST(test_values)
{
    uint64_t kb;
    long v;

    ck_assert_int_eq(load("# xres\n"
                          "tick_ms = 2500\n"
                          "report_interval_ms = 0\n"
                          "socket = \"/tmp/x.sock\"\n"
                          "mem_block_mb = 32\n"
                          "mem_reserve = \"1G\"\n"
                          "mode = \"auto\"\n"
                          "domains = [ \"name=g1, min=256M, max=1G, "
                          "priority=10, weight=3\",\n"
                          "            \"name=web-2,min=512\" ]\n"), 0);
    ck_assert_int_eq(cfg.tick_ms, 2500);
    ck_assert_int_eq(cfg.report_interval_ms, 0);
    ck_assert_str_eq(cfg.socket, "/tmp/x.sock");
    ck_assert_str_eq(xres_config_get_string(&cfg, "mode", "manual"), "auto");
    ck_assert_str_eq(xres_config_get_string(&cfg, "nope", "dflt"), "dflt");
    ck_assert_int_eq(xres_config_size_kb(&cfg, "mem_reserve", 0, &kb, err,
                                         sizeof(err)), 0);
    ck_assert_uint_eq(kb, 1048576);
    ck_assert_int_eq(xres_config_size_kb(&cfg, "mem_block_mb", 0, &kb, err,
                                         sizeof(err)), 0);
    ck_assert_uint_eq(kb, 32768);
    ck_assert_int_eq(xres_config_long(&cfg, "mem_block_mb", 1, 16, 4, &v,
                                      err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "`mem_block_mb' = 32 is out of range "
                                 "1..16"));

    ck_assert_uint_eq(cfg.nr_domains, 2);
    const xres_config_domain *d = xres_config_domain_find(&cfg, "g1");
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->mem.min_kb, 262144);
    ck_assert_uint_eq(d->mem.max_kb, 1048576);
    ck_assert_uint_eq(d->mem.priority, 10);
    ck_assert_uint_eq(d->mem.weight, 3);
    d = xres_config_domain_find(&cfg, "web-2");
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(d->mem.min_kb, 524288);
    ck_assert_uint_eq(d->mem.max_kb, 0);
    ck_assert_str_eq(xres_config_domain_get(&cfg, "g1", "priority"), "10");
    ck_assert_ptr_null(xres_config_domain_get(&cfg, "g1", "pair"));
    ck_assert_ptr_null(xres_config_domain_find(&cfg, "g3"));
}
END_TEST

/* Loads text, expects failure with an error that contains want. */
static void bad(const char *text, const char *want)
{
    ck_assert_int_lt(load(text), 0);
    if (!strstr(err, want))
        ck_abort_msg("error `%s' does not contain `%s'", err, want);
    /* Every message names the file. */
    ck_assert_ptr_nonnull(strstr(err, path));
}

START_TEST(test_errors)
{
    bad("tick_ms = 5\n\nx = [ 1,\n", ":3: config parsing error");
    bad("tick_ms = \"soon\"\n", ":1: warning: parameter `tick_ms' is not a "
        "valid number");
    bad("a = 1\ntick_ms = [ 1 ]\n", ":2:");
    bad("tick_ms = 5\n", "`tick_ms' = 5 is out of range 100..3600000");
    bad("socket = \"relative.sock\"\n", "must be an absolute path");
    bad("domains = \"g1\"\n", "domains");
    bad("domains = [ \"min=1G\" ]\n", "domains[0]: no name=");
    bad("domains = [ \"name=g1\", \"name=g2, colour=red\" ]\n",
        "domains[1]: unknown key `colour'");
    bad("domains = [ \"name=g1, min=lots\" ]\n",
        "domains[0]: min=lots is not a size");
    bad("domains = [ \"name=g1, min=2G, max=1G\" ]\n",
        "domains[0] (g1): min is above max");
    bad("domains = [ \"name=g1\", \"name=g1\" ]\n",
        "domains[1]: domain `g1' is listed twice");
    bad("domains = [ \"name=g1, priority=-3\" ]\n",
        "priority=-3 is not a number");
    bad("domains = [ \"name=g1, min\" ]\n", "`min' is not key=value");
    bad("domains = [ \"name=g1, min=1G, min=2G\" ]\n", "`min' given twice");
    bad("socket = [ \"a\" ]\n", ":1:");
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
