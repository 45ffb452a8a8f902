/*
 * tests/unit/test_cli_help.c: `xres help`: every command is in one group,
 * every summary is written in the one style, the help text lists each
 * group with its commands, and every listing command has --json.
 */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A summary is imperative: it starts with one of these verbs. */
static const char *const verbs[] = {
    "List", "Show", "Set", "Move", "Run", "Make", "Fail", "Forget", "Watch",
    "Print", "Create", "Hand", "Delete", NULL,
};

static bool starts_with_verb(const char *s)
{
    for (const char *const *v = verbs; *v; v++) {
        size_t n = strlen(*v);
        if (!strncmp(s, *v, n) && s[n] == ' ') return true;
    }
    return false;
}

START_TEST(test_every_command_in_one_group)
{
    size_t groups = 0, cmds = 0;

    for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++) {
        groups++;
        ck_assert_msg(g->cmds && g->cmds[0].name, "group %s is empty",
                      g->title);
        for (const xres_cmd *c = g->cmds; c->name; c++) {
            cmds++;
            ck_assert_ptr_nonnull(c->fn);
            /* Found by name, and only in this group. */
            ck_assert_ptr_eq(xres_cli_find(c->name), c);
        }
    }
    ck_assert_uint_eq(groups, 11);
    ck_assert_uint_eq(cmds, 30);
    ck_assert_ptr_null(xres_cli_find("complete"));
}
END_TEST

START_TEST(test_summary_style)
{
    for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++)
        for (const xres_cmd *c = g->cmds; c->name; c++) {
            const char *s = c->summary;
            size_t n = strlen(s);

            ck_assert_msg(n > 0 && n < 60, "%s: %zu characters", c->name, n);
            ck_assert_msg(isupper((unsigned char)s[0]), "%s: `%s'", c->name,
                          s);
            ck_assert_msg(starts_with_verb(s), "%s: `%s' is not imperative",
                          c->name, s);
            ck_assert_msg(s[n - 1] != '.', "%s: `%s' ends in a period",
                          c->name, s);
            ck_assert_msg(!strchr(s, '\n'), "%s: more than a line", c->name);
        }
}
END_TEST

START_TEST(test_help_lists_groups)
{
    char *text = NULL, line[128];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const char *at;

    ck_assert_ptr_nonnull(f);
    xres_cli_help(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "usage: xres [-s SOCKET] COMMAND"));
    at = text;
    for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++) {
        snprintf(line, sizeof(line), "\n%s:\n", g->title);
        at = strstr(at, line);
        ck_assert_msg(at != NULL, "no heading %s, or out of order", g->title);
        /* The group's commands follow its heading, in table order. */
        for (const xres_cmd *c = g->cmds; c->name; c++) {
            snprintf(line, sizeof(line), "\n  %-14s %s\n", c->name,
                     c->summary);
            at = strstr(at, line);
            ck_assert_msg(at != NULL, "%s not under %s", c->name, g->title);
        }
    }
    ck_assert_ptr_null(strstr(text, "complete"));
    free(text);
}
END_TEST

/* A listing command (its summary starts "List" or "Show" but not "Show
 * or", which also changes things) prints JSON with --json. */
START_TEST(test_listings_have_json)
{
    size_t listings = 0;

    for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++)
        for (const xres_cmd *c = g->cmds; c->name; c++) {
            char opts[256];

            if (strncmp(c->summary, "List ", 5) &&
                (strncmp(c->summary, "Show ", 5) ||
                 !strncmp(c->summary, "Show or ", 8) ||
                 !strcmp(c->name, "help")))
                continue;
            listings++;
            xres_cli_options(c, opts, sizeof(opts));
            ck_assert_msg(strstr(opts, "--json") != NULL, "%s: no --json",
                          c->name);
            ck_assert_msg(c->help && strstr(c->help, "--json"),
                          "%s: --json not in its help", c->name);
        }
    /* list, mem-moves, sched-list, pair-list, pair-show, pool-list,
     * pool-show, stats, cluster-list, cluster-show, migrate-status,
     * conflicts, relocate */
    ck_assert_uint_eq(listings, 13);
}
END_TEST

START_TEST(test_options_from_usage)
{
    char buf[256];

    xres_cli_options(xres_cli_find("mem-move"), buf, sizeof(buf));
    ck_assert_str_eq(buf, "--no-wait --dry-run --help");
    xres_cli_options(xres_cli_find("sched-list"), buf, sizeof(buf));
    ck_assert_str_eq(buf, "-j --json -d --help");
    xres_cli_options(xres_cli_find("failback"), buf, sizeof(buf));
    ck_assert_str_eq(buf, "--standby --config --help");
    xres_cli_options(xres_cli_find("pair-delete"), buf, sizeof(buf));
    ck_assert_str_eq(buf, "--help");
    /* Truncated, never overrun. */
    ck_assert_uint_eq(xres_cli_options(xres_cli_find("mem-move"), buf, 8),
                      7);
    ck_assert_str_eq(buf, "--no-wa");
}
END_TEST

Suite *cli_help_suite(void)
{
    Suite *s = suite_create("cli_help");
    TCase *tc = tcase_create("help");

    tcase_add_test(tc, test_every_command_in_one_group);
    tcase_add_test(tc, test_summary_style);
    tcase_add_test(tc, test_help_lists_groups);
    tcase_add_test(tc, test_listings_have_json);
    tcase_add_test(tc, test_options_from_usage);
    suite_add_tcase(s, tc);
    return s;
}
