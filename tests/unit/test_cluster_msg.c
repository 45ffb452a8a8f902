/*
 * tests/unit/test_cluster_msg.c: the cluster's messages (cluster_msg.h):
 * a round trip, and another host's malformed, oversized, wrong-version
 * and lying messages rejected with their exact reasons.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_msg.h"

#define FIG(mem, cpu, doms) \
    "{\"v\":1,\"type\":\"figures\",\"host\":\"h1\",\"node\":1,\"seq\":3," \
    "\"time_ms\":1000,\"mem\":" mem ",\"cpu\":" cpu ",\"use\":{\"cpu_pct\":" \
    "20,\"mem_pct\":50},\"method\":\"live\",\"domains\":" doms \
    ",\"pools\":[],\"conflicts\":[]}"
#define MEM_OK "{\"total_kb\":4194304,\"free_kb\":1048576," \
    "\"outstanding_kb\":0,\"domains_kb\":3145728}"
#define CPU_OK "{\"count\":4,\"allocable_pct\":300}"
#define DOMS_OK "[{\"name\":\"g1\",\"domid\":3,\"mem_kb\":262144," \
    "\"max_kb\":524288,\"cpu_pct\":12,\"vcpus\":2}]"

static int parse(const char *s, char *err)
{
    xres_cluster_msg m;
    int rc = xres_cluster_msg_parse(s, strlen(s), &m, err, 160);

    if (!rc && m.type == XRES_CMSG_FIGURES) ck_assert_ptr_nonnull(m.fig);
    xres_cluster_msg_dispose(&m);
    return rc;
}

START_TEST(figures_round_trip)
{
    xres_cluster_figures *f = calloc(1, sizeof(*f));
    xres_cluster_msg m, back;
    char *buf, err[160];
    size_t len;

    strcpy(f->host, "h2");
    f->nodeid = 2;
    f->seq = 9;
    f->time_ms = 1234;
    f->mem_total_kb = 8 << 20;
    f->mem_free_kb = 1 << 20;
    f->mem_outstanding_kb = 65536;
    f->mem_domains_kb = 6 << 20;
    f->nr_cpus = 8;
    f->cpu_allocable_pct = 650;
    f->cpu_use_pct = 18;
    f->mem_use_pct = 87;
    f->ndoms = 1;
    strcpy(f->doms[0].name, "web");
    f->doms[0].domid = 5;
    f->doms[0].mem_kb = 524288;
    f->doms[0].max_kb = 1048576;
    f->doms[0].cpu_pct = 150;
    f->doms[0].vcpus = 2;
    f->doms[0].movable = XRES_CMOVE_PAIR;
    f->npools = 1;
    strcpy(f->pools[0].name, "p1");
    f->pools[0].size_kb = 262144;
    f->pools[0].held_kb = 131072;
    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_FIGURES;
    m.fig = f;
    ck_assert_int_eq(xres_cluster_msg_encode(&m, &buf, &len), 0);
    ck_assert_int_eq(xres_cluster_msg_parse(buf, len, &back, err,
                                            sizeof(err)), 0);
    ck_assert_int_eq(back.type, XRES_CMSG_FIGURES);
    ck_assert_int_eq(memcmp(back.fig, f, sizeof(*f)), 0);
    ck_assert(!back.fig->live);
    free(buf);
    xres_cluster_msg_dispose(&back);
    xres_cluster_msg_dispose(&m);
}
END_TEST

START_TEST(a_good_message_parses)
{
    char err[160];

    ck_assert_int_eq(parse(FIG(MEM_OK, CPU_OK, DOMS_OK), err), 0);
    ck_assert_int_eq(parse("{\"v\":1,\"type\":\"lock\",\"op\":\"grant\","
                           "\"lock\":\"dest-h1\",\"node\":4}", err), 0);
}
END_TEST

#define DOM1(extra) "[{\"name\":\"g1\",\"domid\":3,\"mem_kb\":262144," \
    "\"max_kb\":524288,\"cpu_pct\":12,\"vcpus\":2" extra "}]"

static int parse_movable(const char *doms, xres_cluster_movable *mv,
                         char *err)
{
    const char *s = NULL;
    char buf[1024];
    xres_cluster_msg m;
    int rc;

    snprintf(buf, sizeof(buf), FIG(MEM_OK, CPU_OK, "%s"), doms);
    s = buf;
    rc = xres_cluster_msg_parse(s, strlen(s), &m, err, 160);
    *mv = rc ? (xres_cluster_movable)99 : m.fig->doms[0].movable;
    xres_cluster_msg_dispose(&m);
    return rc;
}

START_TEST(a_domain_says_whether_it_may_move)
{
    static const struct {
        const char *extra;
        xres_cluster_movable want;
    } ok[] = {
        { "", XRES_CMOVE_UNKNOWN },     /* an older sender: not movable */
        { ",\"movable\":true", XRES_CMOVE_MOVABLE },
        { ",\"unmovable\":\"pinned\"", XRES_CMOVE_PINNED },
        { ",\"unmovable\":\"pair\"", XRES_CMOVE_PAIR },
        { ",\"unmovable\":\"not-migratable\"", XRES_CMOVE_NOT_MIGRATABLE },
        { ",\"unmovable\":\"unknown\"", XRES_CMOVE_UNKNOWN },
    };
    static const struct {
        const char *extra, *why;
    } bad[] = {
        { ",\"movable\":false", "domains[].movable: not true" },
        { ",\"movable\":1", "domains[].movable: not true" },
        { ",\"movable\":true,\"unmovable\":\"pair\"",
          "domains[]: both movable and unmovable" },
        { ",\"unmovable\":\"tired\"", "domains[].unmovable: not pinned, "
          "pair, not-migratable or unknown" },
        { ",\"unmovable\":7", "domains[].unmovable: not pinned, pair, "
          "not-migratable or unknown" },
    };
    xres_cluster_movable mv;
    char doms[512], err[160];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(doms, sizeof(doms), DOM1("%s"), ok[i].extra);
        ck_assert_int_eq(parse_movable(doms, &mv, err), 0);
        ck_assert_int_eq(mv, ok[i].want);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(doms, sizeof(doms), DOM1("%s"), bad[i].extra);
        ck_assert_int_eq(parse_movable(doms, &mv, err), -EINVAL);
        ck_assert_str_eq(err, bad[i].why);
    }
    ck_assert_str_eq(xres_cluster_movable_name(XRES_CMOVE_NOT_MIGRATABLE),
                     "not-migratable");
}
END_TEST

START_TEST(malformed_messages_are_rejected)
{
    char err[160];

    ck_assert_int_eq(parse("{\"v\":1,\"type\":", err), -EINVAL);
    ck_assert_str_eq(err, "not a JSON object");
    ck_assert_int_eq(parse("[1,2]", err), -EINVAL);
    ck_assert_str_eq(err, "not a JSON object");
    ck_assert_int_eq(parse("{\"type\":\"figures\"}", err), -EINVAL);
    ck_assert_str_eq(err, "v: missing");
    ck_assert_int_eq(parse("{\"v\":2,\"type\":\"figures\"}", err), -EINVAL);
    ck_assert_str_eq(err, "version: not 1");
    ck_assert_int_eq(parse("{\"v\":1,\"type\":\"gossip\"}", err), -EINVAL);
    ck_assert_str_eq(err, "type: not figures or lock");
    ck_assert_int_eq(parse(FIG(MEM_OK, "{\"count\":4}", DOMS_OK), err),
                     -EINVAL);
    ck_assert_str_eq(err, "cpu.allocable_pct: missing");
    ck_assert_int_eq(parse(FIG(MEM_OK, CPU_OK, "[{\"name\":\"a b\"}]"), err),
                     -EINVAL);
    ck_assert_str_eq(err, "domains[].name: not a name");
    ck_assert_int_eq(parse("{\"v\":1,\"type\":\"lock\",\"op\":\"steal\","
                           "\"lock\":\"x\",\"node\":1}", err), -EINVAL);
    ck_assert_str_eq(err, "op: not request, grant or release");
}
END_TEST

START_TEST(an_oversized_message_is_rejected)
{
    size_t n = XRES_CLUSTER_MSG_MAX + 1;
    char *big = malloc(n), err[160];
    xres_cluster_msg m;

    memset(big, ' ', n);
    ck_assert_int_eq(xres_cluster_msg_parse(big, n, &m, err, sizeof(err)),
                     -EMSGSIZE);
    ck_assert_str_eq(err, "65537 bytes: at most 65536");
    ck_assert_int_eq(xres_cluster_msg_parse("{\"v\":1}\0x", 9, &m, err,
                                            sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "a NUL byte in the message");
    free(big);
}
END_TEST

START_TEST(lying_figures_are_rejected)
{
    char err[160];

    ck_assert_int_eq(parse(FIG("{\"total_kb\":4194304,\"free_kb\":-1,"
                               "\"outstanding_kb\":0,\"domains_kb\":0}",
                               CPU_OK, DOMS_OK), err), -EINVAL);
    ck_assert_str_eq(err, "mem.free_kb: not a number in 0..4398046511104");
    ck_assert_int_eq(parse(FIG("{\"total_kb\":4194304,\"free_kb\":"
                               "99999999999999999999999,"
                               "\"outstanding_kb\":0,\"domains_kb\":0}",
                               CPU_OK, DOMS_OK), err), -EINVAL);
    ck_assert_str_eq(err, "mem.free_kb: not a number in 0..4398046511104");
    ck_assert_int_eq(parse(FIG("{\"total_kb\":4194304,\"free_kb\":8388608,"
                               "\"outstanding_kb\":0,\"domains_kb\":0}",
                               CPU_OK, DOMS_OK), err), -EINVAL);
    ck_assert_str_eq(err, "mem.free_kb: above the total");
    ck_assert_int_eq(parse(FIG("{\"total_kb\":4194304,\"free_kb\":3145728,"
                               "\"outstanding_kb\":2097152,\"domains_kb\":0}",
                               CPU_OK, DOMS_OK), err), -EINVAL);
    ck_assert_str_eq(err, "mem: free and outstanding above the total");
    ck_assert_int_eq(parse(FIG(MEM_OK, "{\"count\":4,\"allocable_pct\":401}",
                               DOMS_OK), err), -EINVAL);
    ck_assert_str_eq(err, "cpu.allocable_pct: above the host's CPUs");
    ck_assert_int_eq(parse(FIG(MEM_OK, CPU_OK, "[{\"name\":\"g1\",\"domid\":"
                               "3,\"mem_kb\":262144,\"max_kb\":524288,"
                               "\"cpu_pct\":201,\"vcpus\":2}]"), err),
                     -EINVAL);
    ck_assert_str_eq(err, "domains[0]: CPU out of bounds");
}
END_TEST

Suite *cluster_msg_suite(void)
{
    Suite *s = suite_create("cluster_msg");
    TCase *t = tcase_create("msg");

    tcase_add_test(t, figures_round_trip);
    tcase_add_test(t, a_good_message_parses);
    tcase_add_test(t, a_domain_says_whether_it_may_move);
    tcase_add_test(t, malformed_messages_are_rejected);
    tcase_add_test(t, an_oversized_message_is_rejected);
    tcase_add_test(t, lying_figures_are_rejected);
    suite_add_tcase(s, t);
    return s;
}
