/*
 * tests/unit/test_agent_alloc.c: the managing domain's "alloc PCT"
 * request: its grammar, analysis_command/analysis_timeout in agent.conf,
 * the runner's result line, and real analysis jobs (small shell commands)
 * started in the background, timed, failed, timed out and replaced.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_alloc.h"

#define S(x) x, sizeof(x) - 1

static uint64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(test_grammar)
{
    xres_request q;
    char why[XRES_SCHEMA_WHY_MAX], buf[64];

    ck_assert_int_eq(xres_schema_parse_request(S("alloc 40"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(q.op, XRES_REQ_ALLOC);
    ck_assert_uint_eq(q.pct, 40);
    ck_assert_str_eq(xres_request_op_name(q.op), "alloc");
    ck_assert_int_eq(xres_schema_format_request(&q, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "alloc 40");
    ck_assert_int_eq(xres_schema_parse_request(S("alloc 65535"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_uint_eq(q.pct, 65535);
    ck_assert_int_eq(xres_schema_check(XS_REQ_ITEM, S("alloc 1"), why,
                                       sizeof(why)), 0);

    static const char *bad[] = {
        "alloc", "alloc 0", "alloc 65536", "alloc 1 2", "alloc 040",
        "alloc -1", "alloc 1.5", "alloc  5", "alloc 5 ", "ALLOC 5",
        "alloc x", "alloc 99999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        ck_assert_msg(xres_schema_parse_request(bad[i], strlen(bad[i]), &q,
                                                why, sizeof(why)) < 0,
                      "accepted \"%s\"", bad[i]);
        ck_assert_msg(why[0], "no reason for \"%s\"", bad[i]);
    }
    ck_assert_int_eq(xres_schema_parse_request(S("alloc 0"), &q, why,
                                               sizeof(why)), -ERANGE);
    ck_assert_ptr_nonnull(strstr(why, "PCT must be 1..65535"));
    q.op = XRES_REQ_ALLOC;
    q.pct = 0;
    ck_assert_int_eq(xres_schema_format_request(&q, buf, sizeof(buf)),
                     -ERANGE);
    /* The agent's planning takes it as something to do. */
    xres_agent_cfg c;
    char ack[160];
    xres_agent_cfg_defaults(&c);
    ck_assert_int_eq(xres_agent_plan(&c, S("alloc 25"), &q, ack,
                                     sizeof(ack)), XRES_PLAN_DO);
    ck_assert_uint_eq(q.pct, 25);
}
END_TEST

START_TEST(test_config)
{
    xres_agent_cfg ac;
    const xres_alloc_cfg *c = &ac.alloc;
    char err[300];

    ck_assert_int_eq(xres_agent_cfg_parse(&ac, S("interval_ms = 1000\n"),
                                          "a.conf", err, sizeof(err)), 0);
    ck_assert_str_eq(c->command, "");
    ck_assert_uint_eq(c->timeout_s, XRES_ALLOC_TIMEOUT_DEFAULT);
    ck_assert_int_eq(xres_agent_cfg_parse(
                         &ac, S("analysis_command = \"/bin/analyse --all\"\n"
                               "analysis_timeout = 90\n"),
                         "a.conf", err, sizeof(err)), 0);
    ck_assert_str_eq(c->command, "/bin/analyse --all");
    ck_assert_uint_eq(c->timeout_s, 90);

    ck_assert_int_eq(xres_agent_cfg_parse(&ac, S("analysis_timeout = 0\n"),
                                          "a.conf", err, sizeof(err)),
                     -EINVAL);
    ck_assert_str_eq(err, "a.conf: analysis_timeout: \"0\" is not a number "
                     "of seconds 1..604800");
    ck_assert_int_eq(xres_agent_cfg_parse(&ac, S("analysis_timeout = 9x\n"),
                                          "a.conf", err, sizeof(err)),
                     -EINVAL);
    ck_assert_int_eq(xres_agent_cfg_parse(&ac, S("analysis_command = "
                                                "[ \"a\" ]\n"),
                                          "a.conf", err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "analysis_command: must be a "
                                      "string"));
    ck_assert_int_eq(xres_agent_cfg_parse(&ac, S("analysis_command = \"\"\n"),
                                          "a.conf", err, sizeof(err)),
                     -EINVAL);
    ck_assert_int_eq(xres_agent_cfg_load(&ac, "/nonexistent/agent.conf", err,
                                         sizeof(err)), 0);
    ck_assert_str_eq(c->command, "");
    ck_assert_str_eq(xres_alloc_conf_keys[0], "analysis_command");
    ck_assert_str_eq(xres_alloc_conf_keys[1], "analysis_timeout");
    ck_assert_ptr_null(xres_alloc_conf_keys[2]);
}
END_TEST

START_TEST(test_result_line)
{
    char ack[160];

    ck_assert_int_eq(xres_alloc_result_ack(S("0 4321\n"), ack, sizeof(ack)),
                     0);
    ck_assert_str_eq(ack, "ok time-ms=4321");
    ck_assert_int_eq(xres_alloc_result_ack(S("0 0\n"), ack, sizeof(ack)), 0);
    ck_assert_str_eq(ack, "ok time-ms=1");
    ck_assert_int_eq(xres_alloc_result_ack(S("3 10\n"), ack, sizeof(ack)), 0);
    ck_assert_str_eq(ack, "error analysis exited 3 after 10 ms");
    ck_assert_int_eq(xres_alloc_result_ack(S("137 10\n"), ack, sizeof(ack)),
                     0);
    ck_assert_str_eq(ack, "error analysis killed by signal 9 after 10 ms");
    ck_assert_int_eq(xres_alloc_result_ack(S("127 2\n"), ack, sizeof(ack)),
                     0);
    ck_assert_str_eq(ack, "error analysis_command not found (exit 127) "
                     "after 2 ms");
    ck_assert_int_eq(xres_alloc_result_ack(S("0 5"), ack, sizeof(ack)),
                     -EINVAL);
    ck_assert_int_eq(xres_alloc_result_ack(S(""), ack, sizeof(ack)), -EINVAL);
    ck_assert_int_eq(xres_alloc_result_ack(S("256 5\n"), ack, sizeof(ack)),
                     -EINVAL);
    ck_assert_int_eq(xres_alloc_result_ack(S("0 -5\n"), ack, sizeof(ack)),
                     -EINVAL);
}
END_TEST

/* Polls until the job reports (a 20 s safety net, not a timing check). */
static int wait_done(xres_alloc *al, uint64_t *seq, char *ack, size_t len)
{
    for (int i = 0; i < 2000; i++) {
        if (xres_alloc_poll(al, mono(), seq, ack, len)) return 1;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

START_TEST(test_jobs)
{
    xres_alloc al;
    char ack[160], dir[] = "/tmp/xres-alloc-XXXXXX", cmd[400], *end;
    uint64_t seq = 0;
    long ms;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    xres_alloc_init(&al);

    /* No analysis_command: refused at once. */
    ck_assert_int_eq(xres_alloc_start(&al, 1, 40, mono(), ack, sizeof(ack)),
                     0);
    ck_assert_str_eq(ack, "error no analysis_command in agent.conf");
    ck_assert(!xres_alloc_running(&al, 1));

    /* A job that takes 300 ms and sees its allocation.  start returns
     * while it runs, and poll has nothing to say yet. */
    snprintf(cmd, sizeof(cmd), "echo $XRES_ALLOC_PCT > %s/pct; sleep 0.3; "
             "touch %s/done", dir, dir);
    snprintf(al.cfg.command, sizeof(al.cfg.command), "%s", cmd);
    ck_assert_int_eq(xres_alloc_start(&al, 7, 40, mono(), ack, sizeof(ack)),
                     1);
    ck_assert(xres_alloc_running(&al, 7));
    ck_assert(!xres_alloc_running(&al, 6));
    ck_assert_int_eq(xres_alloc_poll(&al, mono(), &seq, ack, sizeof(ack)), 0);
    snprintf(cmd, sizeof(cmd), "%s/done", dir);
    ck_assert_int_ne(access(cmd, F_OK), 0);
    ck_assert(wait_done(&al, &seq, ack, sizeof(ack)));
    ck_assert_uint_eq(seq, 7);
    ck_assert_int_eq(access(cmd, F_OK), 0);
    ck_assert_msg(!strncmp(ack, "ok time-ms=", 11), "ack %s", ack);
    ms = strtol(ack + 11, &end, 10);
    ck_assert_int_eq(*end, 0);
    /* sleep 0.3 ran inside the measured span. */
    ck_assert_int_ge(ms, 300);
    ck_assert(!xres_alloc_running(&al, 7));
    {
        char pct[16] = "";
        FILE *f;
        snprintf(cmd, sizeof(cmd), "%s/pct", dir);
        f = fopen(cmd, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(pct, sizeof(pct), f));
        fclose(f);
        ck_assert_str_eq(pct, "40\n");
    }
    /* Nothing more to report. */
    ck_assert_int_eq(xres_alloc_poll(&al, mono(), &seq, ack, sizeof(ack)), 0);

    /* A failing job. */
    snprintf(al.cfg.command, sizeof(al.cfg.command), "exit 3");
    ck_assert_int_eq(xres_alloc_start(&al, 8, 10, mono(), ack, sizeof(ack)),
                     1);
    ck_assert(wait_done(&al, &seq, ack, sizeof(ack)));
    ck_assert_uint_eq(seq, 8);
    ck_assert_msg(!strncmp(ack, "error analysis exited 3 after ", 30),
                  "ack %s", ack);

    /* Past analysis_timeout: killed, with the job's processes. */
    snprintf(al.cfg.command, sizeof(al.cfg.command), "sleep 30; touch "
             "%s/late", dir);
    al.cfg.timeout_s = 1;
    uint64_t t0 = mono();
    ck_assert_int_eq(xres_alloc_start(&al, 9, 10, t0, ack, sizeof(ack)), 1);
    ck_assert_int_eq(xres_alloc_poll(&al, t0 + 999, &seq, ack, sizeof(ack)),
                     0);
    ck_assert_int_eq(xres_alloc_poll(&al, t0 + 1000, &seq, ack, sizeof(ack)),
                     1);
    ck_assert_uint_eq(seq, 9);
    ck_assert_str_eq(ack, "error analysis still running after 1 s "
                     "(analysis_timeout); killed");
    ck_assert(!xres_alloc_running(&al, 9));

    /* A newer request replaces a running job: only the new one reports. */
    al.cfg.timeout_s = 60;
    snprintf(al.cfg.command, sizeof(al.cfg.command), "sleep 30");
    ck_assert_int_eq(xres_alloc_start(&al, 10, 10, mono(), ack, sizeof(ack)),
                     1);
    snprintf(al.cfg.command, sizeof(al.cfg.command), "true");
    ck_assert_int_eq(xres_alloc_start(&al, 11, 20, mono(), ack, sizeof(ack)),
                     1);
    ck_assert(!xres_alloc_running(&al, 10));
    ck_assert(wait_done(&al, &seq, ack, sizeof(ack)));
    ck_assert_uint_eq(seq, 11);
    ck_assert_msg(!strncmp(ack, "ok time-ms=", 11), "ack %s", ack);

    /* dispose kills a job still running. */
    snprintf(al.cfg.command, sizeof(al.cfg.command), "sleep 30");
    ck_assert_int_eq(xres_alloc_start(&al, 12, 10, mono(), ack, sizeof(ack)),
                     1);
    xres_alloc_dispose(&al);
    ck_assert(!xres_alloc_running(&al, 12));

    snprintf(cmd, sizeof(cmd), "%s/late", dir);
    ck_assert_int_ne(access(cmd, F_OK), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *agent_alloc_suite(void)
{
    Suite *s = suite_create("agent_alloc");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_grammar);
    tcase_add_test(tc, test_config);
    tcase_add_test(tc, test_result_line);
    tcase_add_test(tc, test_jobs);
    suite_add_tcase(s, tc);
    return s;
}
