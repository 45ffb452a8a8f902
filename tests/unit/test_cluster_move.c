/*
 * tests/unit/test_cluster_move.c: the checks before a domain moves to
 * another host (cluster_move.c) with exact figures, and the reading of
 * Pacemaker's resource table that xres-crm prints (crm_exec.c).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_move.h"

#define MiB 1024ULL

static xres_cluster_view V;
static xres_crm_resources R;
static uint64_t Seq;

/* Host `host' (node id) says: total 4 GiB, free_mib free, 4 CPUs with
 * alloc_pct allocable, shadow paging or not; g1 (128 MiB, 30 % CPU) and
 * dom0 run on node 1. */
static void figures(uint32_t node, const char *host, uint64_t free_mib,
                    unsigned alloc_pct, bool live)
{
    xres_cluster_figures *f = calloc(1, sizeof(*f));
    xres_cluster_msg m;
    xres_cview_out o;
    char *buf;
    size_t len;

    snprintf(f->host, sizeof(f->host), "%s", host);
    f->nodeid = node;
    f->seq = ++Seq;
    f->mem_total_kb = 4096 * MiB;
    f->mem_free_kb = free_mib * MiB;
    f->nr_cpus = 4;
    f->cpu_allocable_pct = alloc_pct;
    f->live = live;
    f->doms[f->ndoms++] = (xres_cluster_dom){ "Domain-0", 0, 512 * MiB,
                                              512 * MiB, 5, 1,
                                              XRES_CMOVE_UNKNOWN };
    if (node == 1)
        f->doms[f->ndoms++] = (xres_cluster_dom){ "g1", 3, 128 * MiB,
                                                  256 * MiB, 30, 1,
                                                  XRES_CMOVE_MOVABLE };
    for (size_t i = 0; i < f->ndoms; i++) f->mem_domains_kb += f->doms[i].mem_kb;
    xres_cluster_msg_init(&m);
    m.type = XRES_CMSG_FIGURES;
    m.fig = f;
    ck_assert_int_eq(xres_cluster_msg_encode(&m, &buf, &len), 0);
    xres_cview_deliver(&V, node, buf, len, 1000, &o);
    ck_assert_str_eq(o.reject, "");
    free(buf);
    xres_cluster_msg_dispose(&m);
}

static void setup(void)
{
    xres_confchg c = { .nmembers = 2, .njoined = 2,
                       .members = { 1, 2 }, .joined = { 1, 2 } };
    xres_cview_out o;

    xres_cview_init(&V, 1, 3);
    xres_cview_confchg(&V, &c, &o);
    figures(1, "a", 2000, 300, true);
    figures(2, "b", 1000, 350, true);
    ck_assert_int_eq(xres_crm_parse_resources(
        "g1 ocf:xres:domain g1 1\nweb ocf:heartbeat:Xen webdom 0\n", &R,
        NULL, 0), 0);
}

static void teardown(void)
{
    xres_cview_dispose(&V);
}

/* The check's answer: "" when allowed, else the reason. */
static const char *check(const char *dom, const char *host,
                         xres_move_method m, const char *pair,
                         xres_move_plan *p)
{
    static xres_move_plan scratch;
    xres_move_req req = { dom, host, m, pair };

    if (!p) p = &scratch;
    return xres_move_check(&V, &R, &req, p) ? p->reason : "";
}

START_TEST(a_move_with_room_is_planned_live)
{
    xres_move_plan p;

    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, &p), "");
    ck_assert_int_eq(p.method, XRES_MOVE_LIVE);
    ck_assert_str_eq(p.res.id, "g1");
    ck_assert_str_eq(p.res.agent, "ocf:xres:domain");
    ck_assert_uint_eq(p.domid, 3);
    ck_assert_uint_eq(p.need_kb, (128 + 8) * MiB);     /* its 128 and 8 */
    ck_assert_uint_eq(p.dest_free_kb, 1000 * MiB);
    ck_assert_uint_eq(p.need_cpu_pct, 30);
    ck_assert_uint_eq(p.dest_cpu_pct, 350);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_SAVE, NULL, &p), "");
    ck_assert_int_eq(p.method, XRES_MOVE_SAVE);
}
END_TEST

START_TEST(without_shadow_paging_auto_is_save_and_live_is_refused)
{
    xres_move_plan p;

    figures(2, "b", 1000, 350, false);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, &p), "");
    ck_assert_int_eq(p.method, XRES_MOVE_SAVE);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_LIVE, NULL, NULL),
                     "live migration needs shadow paging on both hosts, "
                     "and b's Xen has none; use --save-restore");
    /* ocf:heartbeat:Xen cannot save and restore. */
    ck_assert_int_eq(xres_crm_parse_resources("g1 ocf:heartbeat:Xen g1 1\n",
                                              &R, NULL, 0), 0);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_SAVE, NULL, NULL),
                     "resource g1 is ocf:heartbeat:Xen, which cannot move a "
                     "domain by save and restore (ocf:xres:domain can)");
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "live migration needs shadow paging on both hosts, "
                     "and b's Xen has none");
}
END_TEST

START_TEST(a_destination_without_room_is_refused_with_its_figures)
{
    /* 136 MiB needed: 135 free is one short, 136 is enough. */
    figures(2, "b", 135, 350, true);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "b has 135 MiB free, and g1 needs 136 MiB (its 128 MiB "
                     "and 8 MiB for Xen)");
    figures(2, "b", 136, 350, true);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL), "");
    figures(2, "b", 1000, 29, true);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "b can allocate 29% of a CPU, and g1 uses 30%");
    figures(2, "b", 1000, 30, true);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL), "");
}
END_TEST

START_TEST(only_migratable_pacemaker_resources_move)
{
    xres_move_req req = { "g1", "b", XRES_MOVE_AUTO, NULL };
    xres_move_plan p;

    ck_assert_int_eq(xres_move_check(&V, NULL, &req, &p), -EPERM);
    ck_assert_str_eq(p.reason, "Pacemaker's resources are not known yet; "
                     "try again in a moment");
    ck_assert_int_eq(xres_crm_parse_resources("web ocf:heartbeat:Xen "
                                              "webdom 1\n", &R, NULL, 0), 0);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "g1 is not a Pacemaker resource: xres moves domains "
                     "only through Pacemaker");
    ck_assert_int_eq(xres_crm_parse_resources("vm ocf:xres:domain g1 0\n",
                                              &R, NULL, 0), 0);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "resource vm may not migrate (its meta attribute "
                     "allow-migrate is not true)");
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, "web", NULL),
                     "g1 belongs to the hot-standby pair web, whose domains "
                     "stay on one host");
}
END_TEST

START_TEST(hosts_and_domains_that_cannot_take_part)
{
    ck_assert_str_eq(check("g1", "c", XRES_MOVE_AUTO, NULL, NULL),
                     "c: not a host of the cluster");
    ck_assert_str_eq(check("g1", "a", XRES_MOVE_AUTO, NULL, NULL),
                     "a is this host");
    ck_assert_str_eq(check("g9", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "g9: no such domain on this host");
    ck_assert_str_eq(check("Domain-0", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "dom0 cannot move");
    /* Three ticks without news from b: stale (a keeps sending). */
    for (int t = 0; t < 4; t++) {
        xres_cview_tick(&V);
        figures(1, "a", 2000, 300, true);
    }
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "b's figures are stale (4 ticks old)");
    figures(2, "b", 1000, 350, true);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL), "");
    {
        xres_confchg c = { .nmembers = 1, .nleft = 1, .members = { 1 },
                           .left = { 2 } };
        xres_cview_out o;
        xres_cview_confchg(&V, &c, &o);
    }
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "b has left the cluster");
    xres_cview_lost(&V);
    ck_assert_str_eq(check("g1", "b", XRES_MOVE_AUTO, NULL, NULL),
                     "this host is not in a cluster");
}
END_TEST

START_TEST(the_resource_table_is_read_strictly)
{
    char err[128];

    ck_assert_int_eq(xres_crm_parse_resources("", &R, err, sizeof(err)), 0);
    ck_assert_uint_eq(R.n, 0);
    ck_assert_int_eq(xres_crm_parse_resources(
        "a ocf:xres:domain da 1\n\nb ocf:heartbeat:Xen db 0", &R, err,
        sizeof(err)), 0);
    ck_assert_uint_eq(R.n, 2);
    ck_assert_str_eq(xres_crm_find_domain(&R, "db")->id, "b");
    ck_assert(!xres_crm_find_domain(&R, "db")->migrate);
    ck_assert_ptr_null(xres_crm_find_domain(&R, "a"));
    ck_assert_int_eq(xres_crm_parse_resources("a ocf:xres:domain da 2\n",
                                              &R, err, sizeof(err)), -EINVAL);
    ck_assert_str_eq(err, "xres-crm resources: malformed line: "
                     "`a ocf:xres:domain da 2'");
    ck_assert_uint_eq(R.n, 0);
    ck_assert_int_eq(xres_crm_parse_resources("a ocf:xres:domain d/a 1\n",
                                              &R, err, sizeof(err)), -EINVAL);
    ck_assert_int_eq(xres_crm_parse_resources("a b c 1 extra\n", &R, err,
                                              sizeof(err)), -EINVAL);
    {
        char line[80];
        xres_crm_last_line("checking\nerror: no such node x\n\n", line,
                           sizeof(line));
        ck_assert_str_eq(line, "no such node x");
    }
}
END_TEST

Suite *cluster_move_suite(void)
{
    Suite *s = suite_create("cluster_move");
    TCase *tc = tcase_create("check");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_move_with_room_is_planned_live);
    tcase_add_test(tc, without_shadow_paging_auto_is_save_and_live_is_refused);
    tcase_add_test(tc, a_destination_without_room_is_refused_with_its_figures);
    tcase_add_test(tc, only_migratable_pacemaker_resources_move);
    tcase_add_test(tc, hosts_and_domains_that_cannot_take_part);
    tcase_add_test(tc, the_resource_table_is_read_strictly);
    suite_add_tcase(s, tc);
    return s;
}
