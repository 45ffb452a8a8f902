/*
 * tests/unit/test_top.c: `xres top` without a screen: rows from xresd's
 * replies, the sort orders, and the frame's exact lines; its options.
 */
#include <check.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "top_view.h"

static const char list_reply[] =
"{\"ok\":true,\"xen_version\":\"4.17.0-sim\",\"scheduler\":\"credit\","
"\"nr_cpus\":2,\"total_kb\":8388608,\"free_kb\":4718592,\"domains\":["
"{\"domid\":0,\"name\":\"Domain-0\",\"cur_kb\":2097152,"
"\"target_kb\":2097152,\"weight\":256,\"cap\":0,\"used_kb\":null,"
"\"state\":\"fixed\",\"cpu_use_pct\":0.0},"
"{\"domid\":1,\"name\":\"g1\",\"cur_kb\":1048576,\"target_kb\":917504,"
"\"weight\":512,\"cap\":50,\"used_kb\":921600,\"state\":\"moving\","
"\"cpu_use_pct\":120.0,\"pair\":\"p1\",\"pair_role\":\"active\"},"
"{\"domid\":2,\"name\":\"g2\",\"cur_kb\":524288,\"target_kb\":655360,"
"\"weight\":256,\"cap\":0,\"used_kb\":131072,\"state\":\"moving\","
"\"cpu_use_pct\":5,\"pair\":\"p1\",\"pair_role\":\"standby\"},"
"{\"domid\":3,\"name\":\"a-very-long-domain-name\",\"cur_kb\":524288,"
"\"target_kb\":524288,\"used_kb\":262144,\"state\":\"ok\"}]}";

static const char sched_reply[] =
"{\"ok\":true,\"scheduler\":\"credit\",\"max_pct\":200.0,"
"\"load_pct\":125.0,\"domains\":[]}";

static const char pairs_reply[] =
"{\"ok\":true,\"reserve_kb\":0,\"pairs\":[{\"name\":\"p1\",\"active\":1,"
"\"active_name\":\"g1\",\"standby\":2,\"standby_name\":\"g2\","
"\"state\":\"failing-over\",\"failover\":{\"kind\":\"domain\","
"\"app\":\"\",\"step\":\"raise-standby\",\"step_index\":2,\"steps\":5,"
"\"why\":\"crash\"}}]}";

/* One move in flight, one that ended (it has a result). */
static const char moves_reply[] =
"{\"ok\":true,\"moves\":[{\"id\":7,\"state\":\"lowering\","
"\"origin\":\"balance\",\"src\":\"g2\",\"dst\":\"g1\",\"kb\":131072},"
"{\"id\":6,\"state\":\"done\",\"origin\":\"mem-move\",\"src\":\"g1\","
"\"dst\":\"g2\",\"kb\":65536,\"result\":0,\"message\":\"\"}]}";

static yajl_val parse(const char *s)
{
    char err[128];
    yajl_val v = yajl_tree_parse(s, err, sizeof(err));

    ck_assert_msg(v != NULL, "%s", err);
    return v;
}

static void feed(xres_top_data *d, int (*take)(xres_top_data *, yajl_val),
                 const char *json)
{
    yajl_val v = parse(json);

    ck_assert_int_eq(take(d, v), 0);
    yajl_tree_free(v);
}

static void load_all(xres_top_data *d)
{
    xres_top_data_init(d);
    feed(d, xres_top_data_list, list_reply);
    feed(d, xres_top_data_sched, sched_reply);
    feed(d, xres_top_data_pairs, pairs_reply);
    feed(d, xres_top_data_moves, moves_reply);
}

/* The frame's lines against want, a NULL-terminated list. */
static void check_lines(const xres_top_frame *f, const char *const *want)
{
    int n = 0;

    for (; want[n]; n++) {
        ck_assert_int_lt(n, f->used);
        ck_assert_str_eq(xres_top_frame_line(f, n), want[n]);
    }
    ck_assert_int_eq(f->used, n);
}

static void format(xres_top_frame *f, const xres_top_data *d, int w, int h,
                   xres_top_sort s, const char *error)
{
    xres_top_view v = { .clock = "12:00:00", .sort = s, .error = error };

    ck_assert_int_eq(xres_top_frame_init(f, w, h), 0);
    xres_top_format(f, d, &v);
}

/* d's frame of w x h, sorted by id, is exactly want. */
static void check_frame(const xres_top_data *d, int w, int h,
                        const char *error, const char *const *want)
{
    xres_top_frame f;

    format(&f, d, w, h, XRES_TOP_SORT_ID, error);
    check_lines(&f, want);
    xres_top_frame_dispose(&f);
}

START_TEST(test_rows)
{
    xres_top_data d;

    load_all(&d);
    ck_assert_uint_eq(d.ndoms, 4);
    ck_assert_str_eq(d.doms[0].name, "Domain-0");
    ck_assert(!d.doms[0].has_used);
    ck_assert(d.doms[1].has_used);
    ck_assert_uint_eq(d.doms[1].used_kb, 921600);
    ck_assert_str_eq(d.doms[1].pair, "p1");
    ck_assert_str_eq(d.doms[2].role, "standby");
    /* An integer where a double is expected is still a figure. */
    ck_assert(d.doms[2].has_cpu);
    ck_assert(d.doms[2].cpu_pct == 5.0);
    /* No scheduler figures: -1; no CPU figure: none. */
    ck_assert_int_eq(d.doms[3].weight, -1);
    ck_assert(!d.doms[3].has_cpu);
    ck_assert_uint_eq(d.npairs, 1);
    ck_assert_str_eq(d.pairs[0].failover, "domain raise-standby 3/5");
    /* Only the move in flight. */
    ck_assert_uint_eq(d.nmoves, 1);
    ck_assert_uint_eq(d.moves[0].id, 7);
    ck_assert(d.has_load);
    xres_top_data_dispose(&d);
}
END_TEST

START_TEST(test_bad_reply)
{
    xres_top_data d;
    yajl_val v = parse("{\"ok\":true}");

    load_all(&d);
    ck_assert_int_eq(xres_top_data_list(&d, v), -EINVAL);
    ck_assert_int_eq(xres_top_data_pairs(&d, v), -EINVAL);
    ck_assert_int_eq(xres_top_data_moves(&d, v), -EINVAL);
    /* What was there stays. */
    ck_assert_uint_eq(d.ndoms, 4);
    ck_assert_uint_eq(d.npairs, 1);
    ck_assert_uint_eq(d.nmoves, 1);
    /* A sched-list reply without the load only drops the load. */
    ck_assert_int_eq(xres_top_data_sched(&d, v), 0);
    ck_assert(!d.has_load);
    yajl_tree_free(v);
    xres_top_data_dispose(&d);
}
END_TEST

START_TEST(test_frame)
{
    static const char *const want[] = {
        "xres top - 12:00:00  Xen 4.17.0-sim  credit  2 CPUs  load 125% of "
        "200%",
        "Memory: 8192 MiB total, 4608 MiB free  4 domains, 1 pairs, 1 moves "
        "in flight",
        "Sorted by id; keys: i n m t u c w sort, r reverse, q quit",
        "",
        "NAME                ID     MEM  TARGET    USED   CPU% WEIGHT  CAP "
        "STATE",
        "Domain-0             0    2048    2048       -    0.0    256    0 "
        "fixed",
        "g1                   1    1024     896     900  120.0    512   50 "
        "moving pair=p1/active",
        "g2                   2     512     640     128    5.0    256    0 "
        "moving pair=p1/standby",
        "a-very-long-doma     3     512     512     256      -      -    - "
        "ok",
        "",
        "PAIR             ACTIVE           STANDBY          STATE        "
        "FAILOVER",
        "p1               g1               g2               failing-over "
        "domain raise-standby 3/5",
        "",
        "MOVE   STATE     FROM             TO                   SIZE ORIGIN",
        "7      lowering  g2               g1                   128M balance",
        NULL,
    };
    xres_top_data d;

    load_all(&d);
    check_frame(&d, 120, 30, NULL, want);
    ck_assert_int_eq(xres_top_lines(&d), 15);
    xres_top_data_dispose(&d);
}
END_TEST

START_TEST(test_frame_empty)
{
    static const char *const want[] = {
        "xres top - 12:00:00  Xen ?  ?  -1 CPUs",
        "Memory: 0 MiB total, 0 MiB free  0 domains, 0 pairs, 0 moves in "
        "flight",
        "Error: xresd is not running",
        "",
        "NAME                ID     MEM  TARGET    USED   CPU% WEIGHT  CAP "
        "STATE",
        "  (no domains)",
        "",
        "PAIR             ACTIVE           STANDBY          STATE        "
        "FAILOVER",
        "  (no pairs)",
        "",
        "MOVE   STATE     FROM             TO                   SIZE ORIGIN",
        "  (no memory moves in flight)",
        NULL,
    };
    xres_top_data d;

    xres_top_data_init(&d);
    check_frame(&d, 80, 24, "xresd is not running", want);
    ck_assert_int_eq(xres_top_lines(&d), 12);
    xres_top_data_dispose(&d);
}
END_TEST

/* A short, narrow screen: lines are cut at the width, and the domains
 * give way to the pairs and moves, with a line counting the rest. */
START_TEST(test_frame_small)
{
    static const char *const want[] = {
        "xres top - 12:00:00  Xen 4.17.0-sim  cre",
        "Memory: 8192 MiB total, 4608 MiB free  4",
        "Sorted by id; keys: i n m t u c w sort,",
        "",
        "NAME                ID     MEM  TARGET",
        "Domain-0             0    2048    2048",
        "g1                   1    1024     896",
        "  ... 2 more domains",
        "",
        "PAIR             ACTIVE           STANDB",
        "p1               g1               g2",
        "",
        "MOVE   STATE     FROM             TO",
        "7      lowering  g2               g1",
        NULL,
    };
    xres_top_data d;
    xres_top_frame f;

    load_all(&d);
    check_frame(&d, 40, 14, NULL, want);
    /* Far too short: one domain row, then whatever still fits. */
    format(&f, &d, 40, 8, XRES_TOP_SORT_ID, NULL);
    ck_assert_int_eq(f.used, 8);
    ck_assert_str_eq(xres_top_frame_line(&f, 5), "Domain-0             0    "
                     "2048    2048");
    ck_assert_str_eq(xres_top_frame_line(&f, 6), "  ... 3 more domains");
    ck_assert_str_eq(xres_top_frame_line(&f, 7), "");
    xres_top_frame_dispose(&f);
    xres_top_data_dispose(&d);
}
END_TEST

/* The domids in the order the sort leaves them. */
static void check_order(xres_top_data *d, xres_top_sort s, bool reverse,
                        const char *want)
{
    char got[32] = "";

    xres_top_sort_doms(d, s, reverse);
    for (size_t i = 0; i < d->ndoms; i++)
        got[i] = (char)('0' + d->doms[i].domid);
    ck_assert_msg(!strcmp(got, want), "sort %c%s: %s, want %s", s,
                  reverse ? " reversed" : "", got, want);
}

START_TEST(test_sort)
{
    xres_top_data d;

    load_all(&d);
    check_order(&d, XRES_TOP_SORT_MEM, false, "0123");    /* 2 and 3 tie */
    check_order(&d, XRES_TOP_SORT_TARGET, false, "0123");
    check_order(&d, XRES_TOP_SORT_USED, false, "1320");   /* no figure last */
    check_order(&d, XRES_TOP_SORT_CPU, false, "1203");
    check_order(&d, XRES_TOP_SORT_WEIGHT, false, "1023");
    check_order(&d, XRES_TOP_SORT_NAME, false, "0312");
    check_order(&d, XRES_TOP_SORT_ID, false, "0123");
    check_order(&d, XRES_TOP_SORT_MEM, true, "3210");
    check_order(&d, XRES_TOP_SORT_USED, true, "0231");
    ck_assert(xres_top_sort_key('m'));
    ck_assert(xres_top_sort_key('w'));
    ck_assert(!xres_top_sort_key('q'));
    ck_assert(!xres_top_sort_key('r'));
    ck_assert_str_eq(xres_top_sort_name(XRES_TOP_SORT_USED), "used");
    xres_top_data_dispose(&d);
}
END_TEST

START_TEST(test_frame_sorted)
{
    xres_top_data d;
    xres_top_frame f;

    load_all(&d);
    xres_top_sort_doms(&d, XRES_TOP_SORT_USED, false);
    format(&f, &d, 120, 30, XRES_TOP_SORT_USED, NULL);
    ck_assert_str_eq(xres_top_frame_line(&f, 2), "Sorted by used; keys: i n m "
                     "t u c w sort, r reverse, q quit");
    ck_assert_str_eq(xres_top_frame_line(&f, 5), "g1                   1    "
                     "1024     896     900  120.0    512   50 moving "
                     "pair=p1/active");
    ck_assert_str_eq(xres_top_frame_line(&f, 8), "Domain-0             0    "
                     "2048    2048       -    0.0    256    0 fixed");
    xres_top_frame_dispose(&f);
    xres_top_data_dispose(&d);
}
END_TEST

static int run_top(char **argv)
{
    int argc = 0;

    while (argv[argc]) argc++;
    optind = 0;
    return xres_cli_find("top")->fn(argc, argv);
}

START_TEST(test_options)
{
    char *bad_delay[] = { "top", "-d", "0", NULL };
    char *junk_delay[] = { "top", "-d", "1s", NULL };
    char *nan_delay[] = { "top", "--delay", "nan", NULL };
    char *bad_n[] = { "top", "-b", "-n", "0", NULL };
    char *neg_n[] = { "top", "-b", "-n", "-3", NULL };
    char *extra[] = { "top", "g1", NULL };
    char *no_arg[] = { "top", "-d", NULL };
    char *batch[] = { "top", "-b", "-n", "1", "-d", "0.5", NULL };

    ck_assert_int_eq(run_top(bad_delay), XRES_EXIT_USAGE);
    ck_assert_int_eq(run_top(junk_delay), XRES_EXIT_USAGE);
    ck_assert_int_eq(run_top(nan_delay), XRES_EXIT_USAGE);
    ck_assert_int_eq(run_top(bad_n), XRES_EXIT_USAGE);
    ck_assert_int_eq(run_top(neg_n), XRES_EXIT_USAGE);
    ck_assert_int_eq(run_top(extra), XRES_EXIT_USAGE);
    ck_assert_int_eq(run_top(no_arg), XRES_EXIT_USAGE);
    /* Valid options, no xresd: a plain failure. */
    xres_cli_set_socket("/nonexistent/xres-top-test.sock");
    ck_assert_int_eq(run_top(batch), XRES_EXIT_FAIL);
    xres_cli_set_socket(NULL);
}
END_TEST

Suite *top_suite(void)
{
    Suite *s = suite_create("top");
    TCase *tc = tcase_create("view");

    tcase_add_test(tc, test_rows);
    tcase_add_test(tc, test_bad_reply);
    tcase_add_test(tc, test_frame);
    tcase_add_test(tc, test_frame_empty);
    tcase_add_test(tc, test_frame_small);
    tcase_add_test(tc, test_sort);
    tcase_add_test(tc, test_frame_sorted);
    tcase_add_test(tc, test_options);
    suite_add_tcase(s, tc);
    return s;
}
