/*
 * tests/unit/test_config_pair.c: the pair keys of xres.conf
 * (config_pair.c): pairs declared on the domains.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_pair.h"

#define MiB 1024ULL

/* ---- pairs declared in xres.conf ---- */

/* Loads text as xres.conf and reads its pair declarations.  Returns the
 * result; err gets the reason. */
static int decls(const char *text, xres_pair_decl *v, size_t *n, char *err,
                 size_t errlen)
{
    char path[] = "/tmp/xres-pair-conf-XXXXXX";
    int fd = mkstemp(path), rc;
    xres_config cfg;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    xres_config_init(&cfg);
    rc = xres_config_load(&cfg, path, false, err, errlen);
    ck_assert_msg(rc == 0, "%s", err);
    rc = xres_pair_decls_of_config(&cfg, v, 8, n, err, errlen);
    xres_config_dispose(&cfg);
    unlink(path);
    return rc;
}

START_TEST(test_config_decls)
{
    xres_pair_decl v[8];
    char err[512] = "";
    size_t n = 99;

    ck_assert_int_eq(decls("domains = [ \"name=g3, min=64M\",\n"
                           " \"name=w2, pair=web, role=standby\",\n"
                           " \"name=w1, pair=web, role=active, "
                           "pair_apps=app_a:128M:hot app_b:64M:cold\",\n"
                           " \"name=d1, pair=db, role=active\",\n"
                           " \"name=d2, pair=db, role=standby\" ]\n",
                           v, &n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0].name, "web");
    ck_assert_str_eq(v[0].active, "w1");
    ck_assert_str_eq(v[0].standby, "w2");
    ck_assert_uint_eq(v[0].napps, 2);
    ck_assert_str_eq(v[0].apps[0].name, "app_a");
    ck_assert_uint_eq(v[0].apps[0].size_kb, 128 * MiB);
    ck_assert(v[0].apps[0].hot);
    ck_assert_str_eq(v[0].apps[1].name, "app_b");
    ck_assert_uint_eq(v[0].apps[1].size_kb, 64 * MiB);
    ck_assert(!v[0].apps[1].hot);
    ck_assert_str_eq(v[1].name, "db");
    ck_assert_str_eq(v[1].active, "d1");
    ck_assert_str_eq(v[1].standby, "d2");
    ck_assert_uint_eq(v[1].napps, 0);

    static const struct { const char *text, *want; } bad[] = {
        { "domains = [ \"name=w1, pair=web, role=active\" ]",
          "pair=web has no standby domain" },
        { "domains = [ \"name=w1, pair=web, role=main\","
          " \"name=w2, pair=web, role=standby\" ]",
          "domains (w1): pair=web needs role=active or role=standby, not main" },
        { "domains = [ \"name=w1, pair=web\" ]",
          "domains (w1): pair=web needs role=active or role=standby" },
        { "domains = [ \"name=w1, role=active\" ]",
          "domains (w1): role= without pair=" },
        { "domains = [ \"name=w1, pair=web, role=active\","
          " \"name=w2, pair=web, role=active\" ]",
          "pair=web has two active domains (w1 and w2)" },
        { "domains = [ \"name=w1, pair=web, role=active, "
          "pair_apps=Web:64M:hot\", \"name=w2, pair=web, role=standby\" ]",
          "pair_apps: bad app name `Web'" },
        { "domains = [ \"name=w1, pair=base, role=active\" ]",
          "pair=base: a pair name is" },
        { "domains = [ \"name=w1, pair=web, role=active, "
          "pair_apps=web:big:hot\", \"name=w2, pair=web, role=standby\" ]",
          "domains (w1): pair=web: pair_apps: web: `big' is not a size" },
        { "domains = [ \"name=w1, pair=web, role=active, "
          "pair_apps=web:64M:warm\", \"name=w2, pair=web, role=standby\" ]",
          "pair_apps: web: `warm' must be hot or cold" },
        { "domains = [ \"name=w1, pair=web, role=active, "
          "pair_apps=web:64M\", \"name=w2, pair=web, role=standby\" ]",
          "pair_apps: `web:64M' is not NAME:SIZE:hot|cold" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        ck_assert_int_eq(decls(bad[i].text, v, &n, err, sizeof(err)),
                         -EINVAL);
        ck_assert_msg(strstr(err, bad[i].want), "%s: got `%s'", bad[i].want,
                      err);
    }
}
END_TEST

Suite *config_pair_suite(void)
{
    Suite *s = suite_create("config_pair");
    TCase *tc = tcase_create("decls");

    tcase_add_test(tc, test_config_decls);
    suite_add_tcase(s, tc);
    return s;
}
