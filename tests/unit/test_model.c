/*
 * tests/unit/test_model.c: the host model, the action list and size
 * parsing.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "action.h"
#include "model.h"
#include "util.h"

START_TEST(test_host_add_find_copy)
{
    xres_host h, c;

    xres_host_init(&h);
    xres_host_init(&c);
    xres_domain *d = xres_host_add_domain(&h, 3);
    ck_assert_ptr_nonnull(d);
    strcpy(d->name, "g1");
    d->cur_kb = 131072;
    ck_assert_ptr_nonnull(xres_host_add_domain(&h, 7));
    ck_assert_ptr_eq(xres_host_find(&h, 3), &h.domains[0]);
    ck_assert_ptr_null(xres_host_find(&h, 4));
    ck_assert_ptr_eq(xres_host_find_name(&h, "g1"), &h.domains[0]);
    ck_assert_int_eq(xres_host_copy(&c, &h), 0);
    ck_assert_uint_eq(c.nr_domains, 2);
    ck_assert_ptr_ne(c.domains, h.domains);
    ck_assert_uint_eq(c.domains[0].cur_kb, 131072);
    xres_host_dispose(&h);
    xres_host_dispose(&c);
}
END_TEST

START_TEST(test_actions_format)
{
    xres_actions a;
    char buf[160];

    xres_actions_init(&a);
    for (int i = 0; i < 40; i++)
        ck_assert_int_eq(xres_act_set_target(&a, 5, 786432, "donor"), 0);
    ck_assert_uint_eq(a.n, 40);
    xres_action_format(&a.v[0], buf, sizeof(buf));
    ck_assert_str_eq(buf, "set-target dom5 786432KiB # donor");
    ck_assert_int_eq(xres_act_set_sched(&a, 7, 512, -1, NULL), 0);
    xres_action_format(&a.v[40], buf, sizeof(buf));
    ck_assert_str_eq(buf, "set-sched dom7 weight=512 cap=-1");
    xres_actions_dispose(&a);
}
END_TEST

/* Arrival: within the tolerance either side; a balloon sent down (up) has
 * also arrived once it is past its target. */
START_TEST(test_mem_arrived)
{
    ck_assert(xres_mem_arrived(4096, 4096, 0));
    ck_assert(xres_mem_arrived(4096 + 1024, 4096, 1024));
    ck_assert(xres_mem_arrived(4096 - 1024, 4096, 1024));
    ck_assert(!xres_mem_arrived(4096 + 1025, 4096, 1024));
    ck_assert(!xres_mem_arrived(4096 - 1025, 4096, 1024));
    ck_assert(xres_mem_came_down(1024, 8192, 1024));     /* far below */
    ck_assert(xres_mem_came_down(8192 + 1024, 8192, 1024));
    ck_assert(!xres_mem_came_down(8192 + 1025, 8192, 1024));
    ck_assert(xres_mem_went_up(65536, 8192, 1024));      /* far above */
    ck_assert(xres_mem_went_up(8192 - 1024, 8192, 1024));
    ck_assert(!xres_mem_went_up(8192 - 1025, 8192, 1024));
}
END_TEST

START_TEST(test_parse_size)
{
    uint64_t kb;

    ck_assert_int_eq(xres_parse_size_kb("64M", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 65536);
    ck_assert_int_eq(xres_parse_size_kb("2g", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 2097152);
    ck_assert_int_eq(xres_parse_size_kb("512", 'm', &kb), 0);
    ck_assert_uint_eq(kb, 524288);
    ck_assert_int_eq(xres_parse_size_kb("100k", 'm', &kb), 0);
    ck_assert_uint_eq(kb, 100);
    ck_assert_int_eq(xres_parse_size_kb("64MB", 'k', &kb), 0);
    ck_assert_uint_eq(kb, 65536);
    ck_assert_int_eq(xres_parse_size_kb("", 'k', &kb), -EINVAL);
    ck_assert_int_eq(xres_parse_size_kb("-1M", 'k', &kb), -EINVAL);
    ck_assert_int_eq(xres_parse_size_kb("12Q", 'k', &kb), -EINVAL);
    ck_assert_int_eq(xres_parse_size_kb("12Mx", 'k', &kb), -EINVAL);
    ck_assert_int_eq(xres_parse_size_kb("99999999999999999999", 'k', &kb),
                     -ERANGE);
    ck_assert_int_eq(xres_parse_size_kb("18014398509481984G", 'k', &kb),
                     -ERANGE);
}
END_TEST

START_TEST(test_format_size)
{
    char buf[32];

    xres_format_size_kb(65536, buf, sizeof(buf));
    ck_assert_str_eq(buf, "64M");
    xres_format_size_kb(2097152, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2G");
    xres_format_size_kb(1000, buf, sizeof(buf));
    ck_assert_str_eq(buf, "1000K");
}
END_TEST

Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_host_add_find_copy);
    tcase_add_test(tc, test_actions_format);
    tcase_add_test(tc, test_parse_size);
    tcase_add_test(tc, test_format_size);
    tcase_add_test(tc, test_mem_arrived);
    suite_add_tcase(s, tc);
    return s;
}
