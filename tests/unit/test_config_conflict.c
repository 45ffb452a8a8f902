/*
 * tests/unit/test_config_conflict.c: the conflict and relocation keys of
 * xres.conf (config_conflict.h): the defaults, every key read exactly,
 * and each kind of bad value refused with its reason.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_conflict.h"

static char path[64];
static char err[400];
static xres_conflict_config cc;

/* Loads text and reads the keys: the reader's rc. */
static int read_text(const char *text)
{
    xres_config cfg;
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "/tmp/xres-test-cconf-%d.conf", (int)getpid());
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    xres_config_init(&cfg);
    err[0] = '\0';
    rc = xres_config_load(&cfg, path, false, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    rc = xres_conflict_config_read(&cfg, &cc, err, sizeof(err));
    xres_config_dispose(&cfg);
    unlink(path);
    return rc;
}

START_TEST(the_defaults)
{
    xres_config cfg;

    xres_config_init(&cfg);
    ck_assert_int_eq(xres_config_load(&cfg, NULL, true, err, sizeof(err)), 0);
    ck_assert_int_eq(xres_conflict_config_read(&cfg, &cc, err, sizeof(err)),
                     0);
    xres_config_dispose(&cfg);
    ck_assert_int_eq(cc.conflict.mode, XRES_CMODE_HOST);
    ck_assert_uint_eq(cc.conflict.t_server[XRES_RES_CPU], 80);
    ck_assert_uint_eq(cc.conflict.t_server[XRES_RES_MEM], 90);
    ck_assert_int_eq(cc.conflict.tvm, XRES_TVM_UP_N);
    ck_assert_uint_eq(cc.conflict.resources, XRES_RES_BIT(XRES_RES_CPU));
    ck_assert_int_eq(cc.conflict.combine, XRES_COMBINE_ANY);
    ck_assert_uint_eq(cc.conflict.sustain, 3);
    ck_assert_uint_eq(cc.conflict.nhosts, 0);
    ck_assert(!cc.relocate.on);
    ck_assert_int_eq(cc.relocate.choose, XRES_CHOOSE_BUSIEST);
    ck_assert_uint_eq(cc.relocate.hold_down_ms, 600000);
    ck_assert_uint_eq(cc.relocate.lock_timeout_ms, 30000);
    ck_assert(!cc.relocate.power_saving);
    ck_assert_uint_eq(cc.relocate.ncoef, 0);
}
END_TEST

START_TEST(every_key_is_read)
{
    ck_assert_int_eq(read_text(
        "conflict_mode = \"decentralised\"\n"
        "conflict_t_server_cpu = 75\n"
        "conflict_t_server_mem = 95\n"
        "host_t_server_cpu = [ \"b=90\", \"c=70\" ]\n"
        "host_t_server_mem = [ \"b=99\" ]\n"
        "conflict_t_vm = \"up/n-k:5\"\n"
        "conflict_resources = \"both\"\n"
        "conflict_combine = \"all\"\n"
        "conflict_sustain = 4\n"
        "relocate = \"on\"\n"
        "relocate_choose = \"weighted\"\n"
        "relocate_weight_cpu = 2\n"
        "relocate_weight_mem = 0\n"
        "relocate_weight_priority = 10\n"
        "relocate_power_saving = 1\n"
        "relocate_hold_down = \"15m\"\n"
        "relocate_lock_timeout = \"10s\"\n"
        "host_coefficient = [ \"b=2\", \"c=0.5\", \"d=1.25\" ]\n"
        "domains = [ \"name=web, relocate_priority=7\", \"name=db\" ]\n"), 0);
    ck_assert_int_eq(cc.conflict.mode, XRES_CMODE_DECENTRAL);
    ck_assert_uint_eq(cc.conflict.t_server[XRES_RES_CPU], 75);
    ck_assert_uint_eq(cc.conflict.t_server[XRES_RES_MEM], 95);
    ck_assert_uint_eq(xres_conflict_t_server(&cc.conflict, "b", XRES_RES_CPU),
                      90);
    ck_assert_uint_eq(xres_conflict_t_server(&cc.conflict, "b", XRES_RES_MEM),
                      99);
    ck_assert_uint_eq(xres_conflict_t_server(&cc.conflict, "c", XRES_RES_MEM),
                      95);
    ck_assert_uint_eq(xres_conflict_t_server(&cc.conflict, "a", XRES_RES_CPU),
                      75);
    ck_assert_int_eq(cc.conflict.tvm, XRES_TVM_UP_N_K);
    ck_assert_uint_eq(cc.conflict.tvm_value, 5);
    ck_assert_uint_eq(cc.conflict.resources, XRES_RES_BOTH);
    ck_assert_int_eq(cc.conflict.combine, XRES_COMBINE_ALL);
    ck_assert_uint_eq(cc.conflict.sustain, 4);
    ck_assert(cc.relocate.on);
    ck_assert_int_eq(cc.relocate.choose, XRES_CHOOSE_WEIGHTED);
    ck_assert_uint_eq(cc.relocate.w_cpu, 2);
    ck_assert_uint_eq(cc.relocate.w_mem, 0);
    ck_assert_uint_eq(cc.relocate.w_prio, 10);
    ck_assert(cc.relocate.power_saving);
    ck_assert_uint_eq(cc.relocate.hold_down_ms, 900000);
    ck_assert_uint_eq(cc.relocate.lock_timeout_ms, 10000);
    ck_assert_uint_eq(xres_relocate_coef(&cc.relocate, "b"), 2000);
    ck_assert_uint_eq(xres_relocate_coef(&cc.relocate, "c"), 500);
    ck_assert_uint_eq(xres_relocate_coef(&cc.relocate, "d"), 1250);
    ck_assert_uint_eq(xres_relocate_coef(&cc.relocate, "e"), 1000);
    ck_assert_uint_eq(xres_relocate_priority(&cc.relocate, "web"), 7);
    ck_assert_uint_eq(xres_relocate_priority(&cc.relocate, "db"), 0);
    ck_assert_int_eq(read_text("conflict_t_vm = \"static:20\"\n"), 0);
    ck_assert_int_eq(cc.conflict.tvm, XRES_TVM_STATIC);
    ck_assert_uint_eq(cc.conflict.tvm_value, 20);
    ck_assert_int_eq(read_text("conflict_mode = \"central\"\n"
                               "conflict_resources = \"mem\"\n"), 0);
    ck_assert_int_eq(cc.conflict.mode, XRES_CMODE_CENTRAL);
    ck_assert_uint_eq(cc.conflict.resources, XRES_RES_BIT(XRES_RES_MEM));
}
END_TEST

static void bad(const char *text, const char *want)
{
    char full[512];

    ck_assert_int_ne(read_text(text), 0);
    snprintf(full, sizeof(full), "%s: %s", path, want);
    ck_assert_str_eq(err, full);
}

START_TEST(bad_values_are_refused)
{
    bad("conflict_mode = \"on\"\n", "`conflict_mode' = \"on\": not off, "
        "host, central or decentralised");
    bad("conflict_t_vm = \"static:0\"\n", "`conflict_t_vm' = \"static:0\": "
        "not static:N (1..100), up/n or up/n-k:K (0..100)");
    bad("conflict_t_vm = \"up/n-k:\"\n", "`conflict_t_vm' = \"up/n-k:\": "
        "not static:N (1..100), up/n or up/n-k:K (0..100)");
    bad("conflict_t_vm = \"half\"\n", "`conflict_t_vm' = \"half\": "
        "not static:N (1..100), up/n or up/n-k:K (0..100)");
    bad("conflict_resources = \"disk\"\n", "`conflict_resources' = "
        "\"disk\": not cpu, mem or both");
    bad("conflict_combine = \"most\"\n", "`conflict_combine' = \"most\": "
        "not any or all");
    bad("relocate = \"yes\"\n", "`relocate' = \"yes\": not on or off");
    bad("relocate_choose = \"random\"\n", "`relocate_choose' = \"random\": "
        "not busiest, priority or weighted");
    bad("relocate_hold_down = \"soon\"\n", "`relocate_hold_down' = "
        "\"soon\": not a duration up to 7d");
    bad("relocate_lock_timeout = \"0s\"\n", "`relocate_lock_timeout' = "
        "\"0s\": not a duration up to 7d");
    bad("host_coefficient = [ \"b=0\" ]\n", "`host_coefficient' must be a "
        "list of \"HOST=0.001..1000\" strings, each host once");
    bad("host_coefficient = [ \"b=1.5x\" ]\n", "`host_coefficient' must be "
        "a list of \"HOST=0.001..1000\" strings, each host once");
    bad("host_coefficient = [ \"b=1\", \"b=2\" ]\n", "`host_coefficient' "
        "must be a list of \"HOST=0.001..1000\" strings, each host once");
    bad("host_coefficient = \"b=1\"\n", "`host_coefficient' must be a list "
        "of \"HOST=0.001..1000\" strings, each host once");
    bad("host_t_server_cpu = [ \"b b=90\" ]\n", "`host_t_server_cpu' must "
        "be a list of \"HOST=1..100\" strings, each host once");
    bad("host_t_server_mem = [ \"b=101\" ]\n", "`host_t_server_mem' must "
        "be a list of \"HOST=1..100\" strings, each host once");
    bad("domains = [ \"name=web, relocate_priority=1001\" ]\n", "domain web: "
        "relocate_priority is 0..1000 (at most 128 domains)");
    ck_assert_int_ne(read_text("conflict_sustain = 0\n"), 0);
    ck_assert_ptr_nonnull(strstr(err, "conflict_sustain"));
    ck_assert_int_ne(read_text("conflict_t_server_cpu = 101\n"), 0);
    ck_assert_ptr_nonnull(strstr(err, "conflict_t_server_cpu"));
}
END_TEST

Suite *config_conflict_suite(void)
{
    Suite *s = suite_create("config_conflict");
    TCase *t = tcase_create("keys");

    tcase_add_test(t, the_defaults);
    tcase_add_test(t, every_key_is_read);
    tcase_add_test(t, bad_values_are_refused);
    suite_add_tcase(s, t);
    return s;
}
