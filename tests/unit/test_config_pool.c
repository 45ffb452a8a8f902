/*
 * tests/unit/test_config_pool.c: pools declared in xres.conf: a good
 * declaration read exactly, and each kind of bad one refused with its
 * reason.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_pool.h"

static char path[64];

static int load(const char *text, xres_config *cfg, char *err, size_t len)
{
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/xres-test-cpool-%d.conf", (int)getpid());
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    xres_config_init(cfg);
    return xres_config_load(cfg, path, false, err, len);
}

START_TEST(test_pool_decl_good)
{
    xres_config cfg;
    xres_pool_req v[XRES_POOL_DECLS_MAX];
    size_t n = 0;
    char err[400] = "";

    ck_assert_int_eq(load("pools = [ \"web: size=2G in=30m step=32M every=10s"
                          " priority=5 config=/etc/xen/web.cfg "
                          "start_when_full=1 on_short=fail\", "
                          "\"db: size=512 in=90 domain=db\" ]\n",
                          &cfg, err, sizeof(err)), 0);
    ck_assert_int_eq(xres_pool_decls_of_config(&cfg, v, XRES_POOL_DECLS_MAX,
                                               &n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].name, "web");
    ck_assert_uint_eq(v[0].size_kb, 2 * 1024 * 1024);
    ck_assert_uint_eq(v[0].step_kb, 32 * 1024);
    ck_assert_uint_eq(v[0].every_ms, 10000);
    ck_assert_uint_eq(v[0].in_ms, 1800000);
    ck_assert_uint_eq(v[0].priority, 5);
    ck_assert_str_eq(v[0].config, "/etc/xen/web.cfg");
    ck_assert(v[0].start_when_full);
    ck_assert_int_eq(v[0].on_short, XRES_POOL_SHORT_FAIL);
    ck_assert_str_eq(v[1].domain, "db");
    ck_assert_uint_eq(v[1].size_kb, 512 * 1024);
    ck_assert_uint_eq(v[1].in_ms, 90000);
    ck_assert_int_eq(v[1].on_short, XRES_POOL_SHORT_WAIT);
    xres_config_dispose(&cfg);
    unlink(path);
}
END_TEST

START_TEST(test_pool_decl_bad)
{
    static const char *const bad[][2] = {
        { "pools = [ \"web size=1G\" ]", "not \"NAME: KEY=VALUE ...\"" },
        { "pools = [ \"web: size=1G domain=g1\" ]", "no deadline" },
        { "pools = [ \"web: size=1G in=1m\" ]", "give one of config= and domain=" },
        { "pools = [ \"web: in=1m domain=g1\" ]", "needs size=" },
        { "pools = [ \"web: size=x in=1m domain=g1\" ]", "size: `x' is not a size" },
        { "pools = [ \"web: size=1G in=1m by=12:00 domain=g1\" ]", "a second deadline" },
        { "pools = [ \"web: size=1G in=1m config=web.cfg\" ]", "not an absolute path" },
        { "pools = [ \"web: size=1G in=1m domain=g1 colour=red\" ]", "unknown key `colour'" },
        { "pools = [ \"-x: size=1G in=1m domain=g1\" ]", "not a pool name" },
        { "pools = [ \"a: size=1G in=1m domain=g1\", \"a: size=1G in=1m domain=g2\" ]", "a given twice" },
        { "pools = \"web\"", "pools must be a list" },
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        xres_config cfg;
        xres_pool_req v[XRES_POOL_DECLS_MAX];
        size_t n = 0;
        char err[400] = "";
        ck_assert_int_eq(load(bad[i][0], &cfg, err, sizeof(err)), 0);
        ck_assert_int_ne(xres_pool_decls_of_config(&cfg, v,
                                                   XRES_POOL_DECLS_MAX, &n,
                                                   err, sizeof(err)), 0);
        ck_assert_msg(strstr(err, bad[i][1]) != NULL, "%s: %s", bad[i][0],
                      err);
        xres_config_dispose(&cfg);
    }
    unlink(path);
}
END_TEST

Suite *config_pool_suite(void)
{
    Suite *s = suite_create("config_pool");
    TCase *tc = tcase_create("decls");

    tcase_add_test(tc, test_pool_decl_good);
    tcase_add_test(tc, test_pool_decl_bad);
    suite_add_tcase(s, tc);
    return s;
}
