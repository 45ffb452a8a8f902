/*
 * tests/unit/test_backend_sim.c: the simulated Xen host: balloons, memory
 * conservation, scheduler ranges, XenStore permissions and watches, crash
 * events and scenario files.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_report.h"
#include "backend_sim.h"
#include "xs_schema.h"

#define MiB 1024ULL
#define GiB (1024ULL * 1024)

static xres_backend b;
static uint32_t dom0, g1, g2;

/* 8 GiB host, 64 MiB for Xen, Domain-0 2 GiB, g1 1 GiB of 2 GiB,
 * g2 512 MiB of 1 GiB. */
static void setup(void)
{
    ck_assert_int_eq(xres_backend_sim_open(&b, 8 * GiB, 4), 0);
    ck_assert_int_eq(xres_sim_set_reserved_kb(&b, 64 * MiB), 0);
    ck_assert_int_eq(xres_sim_add_domain(&b, "Domain-0", 2 * GiB, 2 * GiB,
                                         &dom0), 0);
    ck_assert_int_eq(xres_sim_add_domain(&b, "g1", 1 * GiB, 2 * GiB, &g1),
                     0);
    ck_assert_int_eq(xres_sim_add_domain(&b, "g2", 512 * MiB, 1 * GiB, &g2),
                     0);
    ck_assert_uint_eq(dom0, 0);
    ck_assert_uint_eq(g1, 1);
    ck_assert_uint_eq(g2, 2);
}

static void teardown(void)
{
    xres_backend_dispose(&b);
}

static xres_domain snap_dom(uint32_t domid, xres_host *hout)
{
    xres_host h;
    xres_domain d;

    xres_host_init(&h);
    ck_assert_int_eq(b.ops->snapshot(&b, &h), 0);
    xres_domain *p = xres_host_find(&h, domid);
    ck_assert_ptr_nonnull(p);
    d = *p;
    if (hout) *hout = h;
    else xres_host_dispose(&h);
    return d;
}

static uint64_t sum_cur(void)
{
    xres_host h;
    uint64_t s = 0;

    xres_host_init(&h);
    ck_assert_int_eq(b.ops->snapshot(&b, &h), 0);
    for (size_t i = 0; i < h.nr_domains; i++) s += h.domains[i].cur_kb;
    ck_assert_uint_eq(h.free_kb, xres_sim_free_kb(&b));
    xres_host_dispose(&h);
    return s;
}

/* total = Xen's reservation + every domain + free, exactly. */
static void assert_conserved(void)
{
    ck_assert_uint_eq(64 * MiB + sum_cur() + xres_sim_free_kb(&b), 8 * GiB);
}

START_TEST(test_snapshot_figures)
{
    xres_host h;
    xres_domain d = snap_dom(g1, &h);

    ck_assert_uint_eq(h.total_kb, 8 * GiB);
    ck_assert_uint_eq(h.free_kb, 8 * GiB - 64 * MiB - 2 * GiB - 1 * GiB
                      - 512 * MiB);
    ck_assert_uint_eq(h.nr_cpus, 4);
    ck_assert_int_eq(h.sched, XRES_SCHED_CREDIT);
    ck_assert_uint_eq(h.nr_domains, 3);
    ck_assert_str_eq(d.name, "g1");
    ck_assert_uint_eq(d.cur_kb, 1 * GiB);
    ck_assert_uint_eq(d.target_kb, 1 * GiB);
    ck_assert_uint_eq(d.static_max_kb, 2 * GiB);
    ck_assert_uint_eq(d.xen_max_kb, 1 * GiB + XRES_SIM_MAXMEM_SLACK_KB);
    ck_assert_int_eq(d.weight, 256);
    ck_assert_int_eq(d.cap, 0);
    ck_assert(d.feature_balloon);
    ck_assert(d.running);
    xres_host_dispose(&h);
    assert_conserved();
}
END_TEST

START_TEST(test_balloon_rate_down)
{
    xres_sim_set_balloon_rate(&b, g1, 1024);    /* 1 MiB per second */
    ck_assert_int_eq(b.ops->set_target(&b, g1, 512 * MiB), 0);
    xres_domain d = snap_dom(g1, NULL);
    ck_assert_uint_eq(d.target_kb, 512 * MiB);
    ck_assert_uint_eq(d.xen_max_kb, 512 * MiB + XRES_SIM_MAXMEM_SLACK_KB);
    ck_assert_uint_eq(d.cur_kb, 1 * GiB);

    xres_sim_advance(&b, 1500);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 1 * GiB - 1536);
    /* Fractions carry over: 3 x 333 ms at 1024 KiB/s = 1022.976 KiB. */
    xres_sim_advance(&b, 333);
    xres_sim_advance(&b, 333);
    xres_sim_advance(&b, 333);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 1 * GiB - 1536 - 1022);
    assert_conserved();
    /* It stops at the target. */
    xres_sim_advance(&b, 3600 * 1000);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 512 * MiB);
    ck_assert_uint_eq(xres_sim_free_kb(&b), 8 * GiB - 64 * MiB - 2 * GiB
                      - 512 * MiB - 512 * MiB);
    assert_conserved();
}
END_TEST

START_TEST(test_balloon_up_limited_by_free)
{
    /* Take most of the host: leave 100 MiB free. */
    uint64_t fr = xres_sim_free_kb(&b);
    uint32_t big;
    ck_assert_int_eq(xres_sim_add_domain(&b, "big", fr - 100 * MiB,
                                         fr - 100 * MiB, &big), 0);
    ck_assert_uint_eq(xres_sim_free_kb(&b), 100 * MiB);
    ck_assert_int_eq(b.ops->set_target(&b, g1, 2 * GiB), 0);
    xres_sim_advance(&b, 3600 * 1000);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 1 * GiB + 100 * MiB);
    ck_assert_uint_eq(xres_sim_free_kb(&b), 0);
    assert_conserved();
    /* A domain shrinking makes room, which g1 then takes. */
    ck_assert_int_eq(b.ops->set_target(&b, g2, 256 * MiB), 0);
    xres_sim_advance(&b, 3600 * 1000);
    ck_assert_uint_eq(snap_dom(g2, NULL).cur_kb, 256 * MiB);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 1 * GiB + 356 * MiB);
    assert_conserved();
}
END_TEST

START_TEST(test_balloon_limited_by_xen_max)
{
    ck_assert_int_eq(b.ops->set_target(&b, g1, 1536 * MiB), 0);
    /* Xen's maximum lowered behind the target's back (no libxl check
     * in the simulator for set_maxmem above the target). */
    ck_assert_int_eq(b.ops->set_maxmem(&b, g1, 1536 * MiB), 0);
    ck_assert_uint_eq(snap_dom(g1, NULL).xen_max_kb,
                      1536 * MiB + XRES_SIM_MAXMEM_SLACK_KB);
    xres_sim_advance(&b, 3600 * 1000);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 1536 * MiB);
    /* libxl refuses a maximum below the target. */
    ck_assert_int_eq(b.ops->set_maxmem(&b, g1, 1024 * MiB), -EINVAL);
    assert_conserved();
}
END_TEST

START_TEST(test_refuser_does_not_move)
{
    xres_sim_set_balloon_refuses(&b, g2, true);
    ck_assert_int_eq(b.ops->set_target(&b, g2, 256 * MiB), 0);
    xres_sim_advance(&b, 3600 * 1000);
    xres_domain d = snap_dom(g2, NULL);
    ck_assert_uint_eq(d.cur_kb, 512 * MiB);
    ck_assert_uint_eq(d.target_kb, 256 * MiB);
    /* Paused domains do not balloon either. */
    ck_assert_int_eq(b.ops->set_target(&b, g1, 768 * MiB), 0);
    ck_assert_int_eq(b.ops->pause(&b, g1), 0);
    xres_sim_advance(&b, 3600 * 1000);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 1 * GiB);
    ck_assert(snap_dom(g1, NULL).paused);
    xres_sim_unpause(&b, g1);
    xres_sim_advance(&b, 3600 * 1000);
    ck_assert_uint_eq(snap_dom(g1, NULL).cur_kb, 768 * MiB);
    assert_conserved();
}
END_TEST

START_TEST(test_target_limits)
{
    ck_assert_int_eq(b.ops->set_target(&b, g1, 2 * GiB + 1), -EINVAL);
    ck_assert_uint_eq(snap_dom(g1, NULL).target_kb, 1 * GiB);
    ck_assert_int_eq(b.ops->set_target(&b, g1, 0), -EINVAL);
    ck_assert_int_eq(b.ops->set_target(&b, 77, 1 * GiB), -ESRCH);
    ck_assert_int_eq(b.ops->set_target(&b, g1, 2 * GiB), 0);
    ck_assert_uint_eq(snap_dom(g1, NULL).xen_max_kb,
                      2 * GiB + XRES_SIM_MAXMEM_SLACK_KB);
    /* A domain that does not fit is refused. */
    ck_assert_int_eq(xres_sim_add_domain(&b, "huge", 8 * GiB, 8 * GiB,
                                         NULL), -ENOMEM);
    ck_assert_int_eq(xres_sim_add_domain(&b, "g1", 1 * MiB, 1 * MiB, NULL),
                     -EEXIST);
}
END_TEST

START_TEST(test_sched_ranges)
{
    ck_assert_int_eq(xres_sim_set_vcpus(&b, g1, 2), 0);
    ck_assert_int_eq(b.ops->set_sched(&b, g1, 0, -1), -EINVAL);
    ck_assert_int_eq(b.ops->set_sched(&b, g1, 65536, -1), -EINVAL);
    ck_assert_int_eq(b.ops->set_sched(&b, g1, -1, 201), -EINVAL);
    ck_assert_int_eq(b.ops->set_sched(&b, g1, 512, -1), 0);
    xres_domain d = snap_dom(g1, NULL);
    ck_assert_int_eq(d.weight, 512);
    ck_assert_int_eq(d.cap, 0);
    ck_assert_int_eq(b.ops->set_sched(&b, g1, -1, 200), 0);
    d = snap_dom(g1, NULL);
    ck_assert_int_eq(d.weight, 512);
    ck_assert_int_eq(d.cap, 200);
    ck_assert_int_eq(b.ops->set_sched(&b, g1, 65535, 0), 0);
    d = snap_dom(g1, NULL);
    ck_assert_int_eq(d.weight, 65535);
    ck_assert_int_eq(d.cap, 0);
    ck_assert_int_eq(b.ops->set_sched(&b, 99, 1, 0), -ESRCH);
}
END_TEST

START_TEST(test_cpu_time)
{
    ck_assert_int_eq(xres_sim_set_vcpus(&b, g1, 2), 0);
    xres_sim_set_cpu_load(&b, g1, 50);
    xres_sim_advance(&b, 1000);
    /* 2 vCPUs at 50% for 1 s: 1 s of CPU time. */
    ck_assert_uint_eq(snap_dom(g1, NULL).cpu_time_ns, 1000000000ULL);
    xres_sim_set_cpu_time(&b, g1, 42);
    ck_assert_uint_eq(snap_dom(g1, NULL).cpu_time_ns, 42);
    ck_assert_uint_eq(xres_clock_now_ms(xres_sim_clock(&b)), 2000);
}
END_TEST

START_TEST(test_xs_perms)
{
    char *v = NULL;
    xres_perm_entry ro[2] = { { 0, XRES_PERM_NONE }, { g1, XRES_PERM_READ } };

    /* The guest writes its own data/ area. */
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data/xres/mem/used", "1234"), 0);
    ck_assert_int_eq(b.ops->xs_read(&b, "/local/domain/1/data/xres/mem/used",
                                    &v, NULL), 0);
    ck_assert_str_eq(v, "1234");
    free(v);
    /* Another guest can neither read nor write it. */
    ck_assert_int_eq(xres_sim_xs_read_as(&b, g2,
                     "/local/domain/1/data/xres/mem/used", &v), -EACCES);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g2,
                     "/local/domain/1/data/xres/mem/used", "1"), -EACCES);
    /* A dom0-owned request area: the guest may read, not write. */
    ck_assert_int_eq(b.ops->xs_mkdir(&b, "/local/domain/1/xres/request"), 0);
    ck_assert_int_eq(b.ops->xs_set_perms(&b, "/local/domain/1/xres", ro, 2),
                     0);
    ck_assert_int_eq(b.ops->xs_set_perms(&b, "/local/domain/1/xres/request",
                                         ro, 2), 0);
    ck_assert_int_eq(b.ops->xs_write(&b, "/local/domain/1/xres/request/seq",
                                     "7", 1), 0);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/xres/request/seq", "8"), -EACCES);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/xres/request/new", "8"), -EACCES);
    ck_assert_int_eq(xres_sim_xs_rm_as(&b, g1, "/local/domain/1/xres"),
                     -EACCES);
    ck_assert_int_eq(xres_sim_xs_read_as(&b, g1,
                     "/local/domain/1/xres/request/seq", &v), 0);
    ck_assert_str_eq(v, "7");
    free(v);
    ck_assert_int_eq(xres_sim_xs_read_as(&b, g2,
                     "/local/domain/1/xres/request/seq", &v), -EACCES);
    /* memory/target is dom0's; the guest reads it, cannot set it. */
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/memory/target", "9999999"), -EACCES);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/0/xres/x", "1"), -EACCES);
    /* Bounds: value size, bad paths, quota. */
    char *big = malloc(XRES_SIM_XS_VALUE_MAX + 2);
    memset(big, 'x', XRES_SIM_XS_VALUE_MAX + 1);
    big[XRES_SIM_XS_VALUE_MAX + 1] = 0;
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data/xres/big", big), -E2BIG);
    free(big);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data//x", "1"), -EINVAL);
    int rc = 0, n;
    char path[96];
    for (n = 0; n < 2000 && !rc; n++) {
        snprintf(path, sizeof(path), "/local/domain/1/data/q%d", n);
        rc = xres_sim_xs_write_as(&b, g1, path, "1");
    }
    ck_assert_int_eq(rc, -EDQUOT);
    /* data and control are the guest's (2 nodes), plus those above. */
    ck_assert_int_lt(n, XRES_SIM_XS_QUOTA);
}
END_TEST

static int next(xres_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ck_assert_int_eq(b.ops->next_event(&b, ev), 0);
    return ev->kind;
}

START_TEST(test_xs_watches)
{
    xres_event ev;
    char **names;
    unsigned n;

    ck_assert_int_eq(b.ops->xs_watch(&b, "/local/domain/1/data/xres", "t1"),
                     0);
    /* Fired once on registration, as XenStore does. */
    ck_assert_int_eq(next(&ev), XRES_EV_WATCH);
    ck_assert_str_eq(ev.path, "/local/domain/1/data/xres");
    ck_assert_str_eq(ev.token, "t1");
    ck_assert_int_eq(next(&ev), XRES_EV_NONE);

    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data/xres/mem/used", "5"), 0);
    ck_assert_int_eq(next(&ev), XRES_EV_WATCH);
    ck_assert_str_eq(ev.path, "/local/domain/1/data/xres/mem/used");
    ck_assert_int_eq(next(&ev), XRES_EV_NONE);
    /* Not below the watch: siblings and look-alike prefixes. */
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data/other", "5"), 0);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data/xresx", "5"), 0);
    ck_assert_int_eq(next(&ev), XRES_EV_NONE);
    /* Removing a parent fires watches below it. */
    ck_assert_int_eq(b.ops->xs_rm(&b, "/local/domain/1/data"), 0);
    ck_assert_int_eq(next(&ev), XRES_EV_WATCH);
    ck_assert_str_eq(ev.path, "/local/domain/1/data");
    ck_assert_int_eq(next(&ev), XRES_EV_NONE);

    ck_assert_int_eq(b.ops->xs_directory(&b, "/local/domain", &names, &n),
                     0);
    ck_assert_uint_eq(n, 3);
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);

    ck_assert_int_eq(b.ops->xs_unwatch(&b, "/local/domain/1/data/xres",
                                       "t1"), 0);
    ck_assert_int_eq(xres_sim_xs_write_as(&b, g1,
                     "/local/domain/1/data/xres/a", "5"), -EACCES);
    ck_assert_int_eq(b.ops->xs_write(&b, "/local/domain/1/data/xres/a",
                                     "5", 1), 0);
    ck_assert_int_eq(next(&ev), XRES_EV_NONE);

    /* The fd is readable exactly when events are queued. */
    int fds[4];
    unsigned nf;
    ck_assert_int_eq(b.ops->poll_fds(&b, fds, 4, &nf), 0);
    ck_assert_uint_eq(nf, 1);
}
END_TEST

START_TEST(test_crash_events)
{
    xres_event ev;
    uint64_t fr = xres_sim_free_kb(&b);
    char *v;

    ck_assert_int_eq(b.ops->watch_domains(&b), 0);
    ck_assert_int_eq(b.ops->xs_watch(&b, "@releaseDomain", "rel"), 0);
    ck_assert_int_eq(next(&ev), XRES_EV_WATCH);     /* registration */
    xres_sim_crash_domain(&b, g1);
    ck_assert_int_eq(next(&ev), XRES_EV_DOMAIN_SHUTDOWN);
    ck_assert_uint_eq(ev.domid, g1);
    ck_assert_int_eq(ev.reason, 3);
    ck_assert_int_eq(next(&ev), XRES_EV_DOMAIN_DEATH);
    ck_assert_uint_eq(ev.domid, g1);
    ck_assert_int_eq(next(&ev), XRES_EV_WATCH);
    ck_assert_str_eq(ev.token, "rel");
    ck_assert_int_eq(next(&ev), XRES_EV_NONE);
    ck_assert_uint_eq(xres_sim_free_kb(&b), fr + 1 * GiB);
    ck_assert_int_eq(b.ops->xs_read(&b, "/local/domain/1/name", &v, NULL),
                     -ENOENT);
    ck_assert_int_eq(b.ops->set_target(&b, g1, 1 * GiB), -ESRCH);
    ck_assert_int_eq(b.ops->destroy(&b, g2), 0);
    ck_assert_int_eq(next(&ev), XRES_EV_DOMAIN_DEATH);
    ck_assert_uint_eq(ev.domid, g2);
    assert_conserved();
}
END_TEST

START_TEST(test_scenario)
{
    char path[] = "/tmp/xres-scen-XXXXXX", err[256];
    xres_backend s;
    xres_host h;
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    fprintf(f, "memory = \"4G\"\ncpus = 8\nreserved = 32\n"
               "balloon_rate = \"2M\"\n"
               "domains = [ \"name=Domain-0, memory=1G\",\n"
               "  \"name=a, memory=256M, maxmem=512M, vcpus=2, weight=512, "
               "cap=150, refuses=1\",\n"
               "  \"name=b, memory=128M, balloon=0\" ]\n");
    fclose(f);
    ck_assert_int_eq(xres_sim_open_scenario(&s, path, err, sizeof(err)), 0);
    xres_host_init(&h);
    ck_assert_int_eq(s.ops->snapshot(&s, &h), 0);
    ck_assert_uint_eq(h.total_kb, 4 * GiB);
    ck_assert_uint_eq(h.nr_cpus, 8);
    ck_assert_uint_eq(h.free_kb, 4 * GiB - 32 * MiB - 1 * GiB - 256 * MiB
                      - 128 * MiB);
    ck_assert_uint_eq(h.nr_domains, 3);
    ck_assert_str_eq(h.domains[1].name, "a");
    ck_assert_uint_eq(h.domains[1].static_max_kb, 512 * MiB);
    ck_assert_int_eq(h.domains[1].weight, 512);
    ck_assert_int_eq(h.domains[1].cap, 150);
    ck_assert_uint_eq(h.domains[1].vcpus_online, 2);
    ck_assert(!h.domains[2].feature_balloon);
    xres_host_dispose(&h);
    /* a refuses; b moves at 2 MiB/s. */
    ck_assert_int_eq(s.ops->set_target(&s, 1, 128 * MiB), 0);
    ck_assert_int_eq(s.ops->set_target(&s, 2, 64 * MiB), 0);
    xres_sim_advance(&s, 1000);
    xres_host_init(&h);
    ck_assert_int_eq(s.ops->snapshot(&s, &h), 0);
    ck_assert_uint_eq(h.domains[1].cur_kb, 256 * MiB);
    ck_assert_uint_eq(h.domains[2].cur_kb, 126 * MiB);
    xres_host_dispose(&h);
    xres_backend_dispose(&s);

    f = fopen(path, "w");
    fprintf(f, "domains = [ \"name=x, memory=1G, colour=blue\" ]\n");
    fclose(f);
    ck_assert_int_eq(xres_sim_open_scenario(&s, path, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "domains[0]"));
    ck_assert_ptr_null(s.ops);
    unlink(path);

    ck_assert_int_eq(xres_sim_open_scenario(&s, NULL, err, sizeof(err)), 0);
    xres_host_init(&h);
    ck_assert_int_eq(s.ops->snapshot(&s, &h), 0);
    ck_assert_uint_eq(h.nr_domains, 3);
    ck_assert_str_eq(h.domains[0].name, "Domain-0");
    ck_assert_uint_eq(h.total_kb, 8 * GiB);
    xres_host_dispose(&h);
    xres_backend_dispose(&s);
}
END_TEST

static char *xs_get(const char *path)
{
    char *v = NULL;

    if (b.ops->xs_read(&b, path, &v, NULL)) return NULL;
    return v;
}

static void expect_xs(const char *path, const char *want)
{
    char *v = xs_get(path);

    if (!v) ck_abort_msg("%s: absent, want \"%s\"", path, want);
    if (strcmp(v, want))
        ck_abort_msg("%s: \"%s\", want \"%s\"", path, v, want);
    free(v);
}

/* Field pos of the simulated agent's current report record. */
static uint64_t report_field(int pos)
{
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char why[XRES_SCHEMA_WHY_MAX];
    char *v = xs_get("/local/domain/1/data/xres/report");

    if (!v) ck_abort_msg("no report");
    if (xres_schema_parse_record(XS_REPORT, v, strlen(v), f, why,
                                 sizeof(why)))
        ck_abort_msg("report \"%s\" rejected: %s", v, why);
    free(v);
    return f[pos].u64;
}

START_TEST(test_simulated_agent)
{
    xres_agent_report rep;
    xres_perm_entry ro[2] = { { 0, XRES_PERM_NONE }, { g1, XRES_PERM_READ } };
    char *v;

    ck_assert_int_eq(xres_sim_set_agent(&b, 0, true, 1), -EINVAL);
    ck_assert_int_eq(xres_sim_set_agent(&b, g1, true, 300 * MiB), 0);
    xres_sim_set_cpu_load(&b, g1, 40);
    xres_sim_advance(&b, 100);
    /* One value, as xres-agent writes it. */
    expect_xs("/local/domain/1/data/xres/report",
              "seq=1 version=0.1.0-sim heartbeat=1100 heartbeat-interval=10 "
              "mem-total=1048576 mem-avail=741376 mem-used=307200 "
              "swap-used=0 balloon-cur=1048576 balloon-target=1048576 "
              "cpu-pct=40");
    /* None of the keys a report used to be spread over. */
    ck_assert_ptr_null(xs_get("/local/domain/1/data/xres/seq"));
    ck_assert_ptr_null(xs_get("/local/domain/1/data/xres/mem-total"));
    /* Written as the guest: g1 owns it. */
    ck_assert_int_eq(xres_sim_xs_read_as(&b, g2,
                     "/local/domain/1/data/xres/report", &v), -EACCES);
    /* The agent area's parser takes it. */
    memset(&rep, 0, sizeof(rep));
    ck_assert_int_eq(xres_daemon_read_agent_report(&b, g1, &rep, 1100), 0);
    ck_assert(rep.valid);
    ck_assert_uint_eq(rep.mem_used_kb, 307200);
    ck_assert_uint_eq(rep.balloon_cur_kb, 1048576);
    /* Every XRES_SIM_AGENT_PERIOD_MS another one. */
    xres_sim_advance(&b, XRES_SIM_AGENT_PERIOD_MS - 100);
    ck_assert_uint_eq(report_field(XS_POS_REPORT_SEQ), 1);
    xres_sim_advance(&b, 100);
    ck_assert_uint_eq(report_field(XS_POS_REPORT_SEQ), 2);
    ck_assert_uint_eq(report_field(XS_POS_REPORT_HEARTBEAT),
                      1100 + XRES_SIM_AGENT_PERIOD_MS);

    /* Requests, in the request area dom0 owns. */
    ck_assert_int_eq(b.ops->xs_mkdir(&b, "/local/domain/1/xres/request"), 0);
    ck_assert_int_eq(b.ops->xs_set_perms(&b, "/local/domain/1/xres", ro, 2),
                     0);
    ck_assert_int_eq(b.ops->xs_set_perms(&b, "/local/domain/1/xres/request",
                                         ro, 2), 0);
    ck_assert_int_eq(b.ops->xs_write(&b, "/local/domain/1/xres/request/1",
                                     "release 524288", 14), 0);
    ck_assert_int_eq(b.ops->xs_write(&b, "/local/domain/1/xres/request/2",
                                     "engage", 6), 0);
    ck_assert_int_eq(b.ops->xs_write(&b, "/local/domain/1/xres/request/3",
                                     "gimme 1G", 8), 0);
    xres_sim_advance(&b, 100);
    ck_assert_ptr_null(xs_get("/local/domain/1/data/xres/ack/1"));
    expect_xs("/local/domain/1/data/xres/ack/2", "ok");
    v = xs_get("/local/domain/1/data/xres/ack/3");
    ck_assert_ptr_nonnull(v);
    ck_assert(!strncmp(v, "error ", 6));
    free(v);
    /* The release is answered once the balloon is there. */
    ck_assert_int_eq(b.ops->set_target(&b, g1, 524288), 0);
    xres_sim_advance(&b, 60000);
    expect_xs("/local/domain/1/data/xres/ack/1", "ok balloon at 524288 KiB");
    ck_assert_uint_eq(report_field(XS_POS_REPORT_MEM_TOTAL), 524288);
    ck_assert_uint_eq(report_field(XS_POS_REPORT_BALLOON_TGT), 524288);
    /* Switched off: no more reports. */
    v = xs_get("/local/domain/1/data/xres/report");
    ck_assert_int_eq(xres_sim_set_agent(&b, g1, false, 0), 0);
    xres_sim_advance(&b, 60000);
    expect_xs("/local/domain/1/data/xres/report", v);
    free(v);
}
END_TEST

Suite *backend_sim_suite(void)
{
    Suite *s = suite_create("backend_sim");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_snapshot_figures);
    tcase_add_test(tc, test_balloon_rate_down);
    tcase_add_test(tc, test_balloon_up_limited_by_free);
    tcase_add_test(tc, test_balloon_limited_by_xen_max);
    tcase_add_test(tc, test_refuser_does_not_move);
    tcase_add_test(tc, test_target_limits);
    tcase_add_test(tc, test_sched_ranges);
    tcase_add_test(tc, test_cpu_time);
    tcase_add_test(tc, test_xs_perms);
    tcase_add_test(tc, test_xs_watches);
    tcase_add_test(tc, test_crash_events);
    tcase_add_test(tc, test_scenario);
    tcase_add_test(tc, test_simulated_agent);
    suite_add_tcase(s, tc);
    return s;
}
