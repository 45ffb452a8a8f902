/*
 * tests/unit/test_policy_pair.c: hot-standby pairs: the resource table,
 * fault decisions, and whole-domain, app and reserve failover on a fake
 * host (the scenario of pair_scen.h).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pair_scen.h"
#include "pair_store.h"
#include "policy_mem.h"

/* ---- the table ---- */

START_TEST(test_table_hot_then_cold_granted)
{
    scen s;
    uint64_t free0;

    scen_init(&s, 64, 0);
    ck_assert_uint_eq(s.p.nareas, 1);
    ck_assert_uint_eq(area(&s, "base")->size_kb, 160 * MiB);

    free0 = world_free(&s.w);
    unsigned ex0 = s.w.nexec;
    ck_assert_int_eq(start_app(&s, "A"), 0);
    ck_assert_uint_eq(s.p.nareas, 2);
    ck_assert_uint_eq(area(&s, "base")->size_kb, 32 * MiB);
    ck_assert_uint_eq(area(&s, "A")->size_kb, 128 * MiB);
    ck_assert_int_eq(area(&s, "A")->dest, XRES_DEST_STANDBY);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_ACTIVE);
    ck_assert_int_eq(area(&s, "A")->kind, XRES_AREA_HOT);
    /* No memory moved. */
    ck_assert_uint_eq(s.w.nexec, ex0);
    ck_assert_uint_eq(world_free(&s.w), free0);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 160 * MiB);

    ck_assert_int_eq(start_app(&s, "B"), 0);
    ck_assert_uint_eq(area(&s, "B")->size_kb, 64 * MiB);
    ck_assert_int_eq(area(&s, "B")->dest, XRES_DEST_NONE);
    ck_assert_int_eq(area(&s, "B")->kind, XRES_AREA_EXT);
    ck_assert_uint_eq(area(&s, "base")->size_kb, 32 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 224 * MiB);
    ck_assert_uint_eq(world_free(&s.w), free0 - 64 * MiB);
    ck_assert_uint_eq(xres_pair_sum(&s.p, XRES_OWNER_ACTIVE, -1),
                      224 * MiB);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_table_cold_refused)
{
    scen s;
    char before[4096], after[4096];
    xres_actions acts;
    char why[256] = "";

    scen_init(&s, 63, 0);
    ck_assert_int_eq(start_app(&s, "A"), 0);
    ck_assert_int_eq(xres_pair_format_state(&s.p, before, sizeof(before)),
                     0);
    world_app_start(&s.w, s.act, "B");
    world_snapshot(&s.w, &s.h);
    xres_actions_init(&acts);
    ck_assert_int_eq(xres_pair_app_started(&s.p, &s.h, "B", 0, &acts, why,
                                           sizeof(why)), -ENOSPC);
    ck_assert_uint_eq(acts.n, 0);
    ck_assert_ptr_nonnull(strstr(why, "63 MiB"));
    ck_assert_int_eq(xres_pair_format_state(&s.p, after, sizeof(after)), 0);
    ck_assert_str_eq(before, after);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 160 * MiB);
    xres_actions_dispose(&acts);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_table_reserve_not_lent_to_extensions)
{
    scen s;

    /* 64 MiB free, but it is the reserve: no extension. */
    scen_init(&s, 64, 64);
    ck_assert_int_eq(start_app(&s, "A"), 0);
    ck_assert_int_eq(start_app(&s, "B"), -ENOSPC);
    ck_assert_ptr_null(xres_pair_area_find(&s.p, "B"));
    scen_dispose(&s);
}
END_TEST

START_TEST(test_create_refused)
{
    world w;
    xres_host h;
    xres_pair p;
    xres_pair_cfg cfg;
    xres_pair_app apps[1] = { { "A", 128 * MiB, true } };
    char why[256] = "";
    wdom *a, *b;

    world_init(&w, 4096 * MiB);
    a = world_add(&w, "act", 160 * MiB, 512 * MiB);
    b = world_add(&w, "sb", 64 * MiB, 128 * MiB);   /* can grow 64 only */
    xres_host_init(&h);
    world_snapshot(&w, &h);
    xres_pair_cfg_default(&cfg);
    ck_assert_int_eq(xres_pair_create(&p, "web", &h, a->domid, b->domid,
                                      apps, 1, &cfg, 0, why, sizeof(why)),
                     -ENOSPC);
    ck_assert_ptr_nonnull(strstr(why, "standby sb"));
    ck_assert_ptr_nonnull(strstr(why, "maxmem >= 192 MiB"));
    ck_assert_int_eq(xres_pair_create(&p, "web", &h, a->domid, a->domid,
                                      apps, 1, &cfg, 0, why, sizeof(why)),
                     -EINVAL);
    ck_assert_int_eq(xres_pair_create(&p, "we b", &h, a->domid, b->domid,
                                      apps, 1, &cfg, 0, why, sizeof(why)),
                     -EINVAL);
    /* Kept paused for a dump: the host must hold the hot areas. */
    b->smax = 512 * MiB;
    cfg.preserve = true;
    world_snapshot(&w, &h);
    w.total_kb = (1024 + 160 + 64 + 100) * MiB;
    world_snapshot(&w, &h);
    ck_assert_int_eq(xres_pair_create(&p, "web", &h, a->domid, b->domid,
                                      apps, 1, &cfg, 0, why, sizeof(why)),
                     -ENOSPC);
    ck_assert_ptr_nonnull(strstr(why, "100 MiB free"));
    xres_host_dispose(&h);
    world_dispose(&w);
}
END_TEST

/* ---- failovers ---- */

START_TEST(test_domain_crash)
{
    scen s;
    uint64_t free0;

    scen_init(&s, 64, 0);
    start_both(&s);
    free0 = world_free(&s.w);
    crash_active(&s);
    run_to_end(&s);

    ck_assert_ptr_null(world_dom(&s.w, s.act));            /* fenced */
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, (64 + 128) * MiB);
    ck_assert_uint_eq(world_free(&s.w), free0 + (32 + 64) * MiB);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_STANDBY);
    ck_assert_int_eq(area(&s, "base")->owner, XRES_OWNER_HOST);
    ck_assert_int_eq(area(&s, "B")->owner, XRES_OWNER_HOST);
    ck_assert(world_app_running(&s.w, s.sb, "A"));
    ck_assert(!world_app_running(&s.w, s.sb, "B"));
    ck_assert_int_eq(world_dom(&s.w, s.sb)->weight, 512);
    ck_assert_int_eq(world_dom(&s.w, s.sb)->cap, 50);
    ck_assert_int_eq(s.p.state, XRES_PAIR_FAILED_OVER);
    ck_assert_uint_eq(s.p.nlog, 1);
    ck_assert_uint_eq(s.p.log[0].bound_kb, 128 * MiB);
    ck_assert_uint_eq(s.p.log[0].return_kb, 96 * MiB);
    ck_assert_int_eq(s.p.fo.kind, XRES_FO_NONE);
    scen_dispose(&s);
}
END_TEST

/* ---- memory balancing after a failover ---- */

/* The world as memory balancing sees it: both guests report through
 * their agents (the standby uses 40 MiB, g3 90 MiB), and the floor the
 * pair sets when `floor` is true.  Xen's free memory is all reserve. */
static void balance_view(scen *s, uint32_t g3, bool floor, xres_host *h,
                         xres_mem_params *mp)
{
    world_snapshot(&s->w, h);
    for (size_t i = 0; i < h->nr_domains; i++) {
        xres_domain *x = &h->domains[i];
        if (x->domid != s->sb && x->domid != g3) continue;
        x->agent.valid = true;
        x->agent.balloon_cur_kb = x->cur_kb;
        x->agent.mem_used_kb = (x->domid == s->sb ? 40 : 90) * MiB;
        x->balloon = XRES_BALLOON_OK;
        x->mem_floor_kb = floor ? xres_pair_mem_floor(&s->p, x->domid) : 0;
    }
    xres_mem_params_default(mp);
    mp->reserve_kb = h->free_kb;
}

/* Balancing rounds as xresd runs them: decide, set the targets, let the
 * balloons move.  Returns how many transfers took memory from the
 * standby. */
static unsigned balance_rounds(scen *s, uint32_t g3, bool floor,
                               unsigned rounds, uint64_t *sb_after)
{
    unsigned from_sb = 0;
    xres_host h;
    xres_mem_params mp;

    xres_host_init(&h);
    for (unsigned r = 0; r < rounds; r++) {
        xres_mem_plan plan;
        xres_mem_plan_init(&plan);
        balance_view(s, g3, floor, &h, &mp);
        ck_assert_int_eq(xres_mem_balance(&h, &mp, &plan), 0);
        for (size_t i = 0; i < plan.n; i++) {
            const xres_mem_transfer *t = &plan.v[i];
            if (t->src == s->sb) {
                from_sb++;
                /* the one move balancing finds without a floor */
                ck_assert_uint_eq(t->dst, g3);
                ck_assert_uint_eq(t->kb, 64 * MiB);
                ck_assert_uint_eq(t->src_from, 192 * MiB);
                ck_assert_uint_eq(t->src_to, 128 * MiB);
            }
            if (t->src != XRES_DOMID_INVALID)
                world_dom(&s->w, t->src)->target = t->src_to;
            if (t->dst != XRES_DOMID_INVALID)
                world_dom(&s->w, t->dst)->target = t->dst_to;
        }
        xres_mem_plan_dispose(&plan);
        world_settle(&s->w, 1000);
        if (floor)
            ck_assert_uint_eq(world_dom(&s->w, s->sb)->cur, 192 * MiB);
    }
    *sb_after = world_dom(&s->w, s->sb)->cur;
    xres_host_dispose(&h);
    return from_sb;
}

/* The standby took over A (64 + 128 MiB) and hardly uses it yet; g3 is
 * short of memory.  With the pair's floor, balancing gives g3 nothing
 * from the standby, round after round; without it, it takes 64 MiB. */
START_TEST(test_floor_keeps_standby_after_failover)
{
    for (int floor = 1; floor >= 0; floor--) {
        scen s;
        uint64_t sb_after = 0;
        wdom *g3;

        scen_init(&s, 64, 0);
        start_both(&s);
        crash_active(&s);
        run_to_end(&s);
        ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 192 * MiB);
        ck_assert_uint_eq(s.p.sb_floor_kb, 192 * MiB);
        ck_assert_uint_eq(xres_pair_mem_floor(&s.p, s.sb), 192 * MiB);
        ck_assert_uint_eq(xres_pair_mem_floor(&s.p, s.act), 0);

        /* g3 takes the 96 MiB the failover gave back: nothing is free. */
        g3 = world_add(&s.w, "g3", 96 * MiB, 512 * MiB);
        ck_assert_ptr_nonnull(g3);
        ck_assert_uint_eq(world_free(&s.w), 0);
        unsigned from_sb = balance_rounds(&s, g3->domid, floor, 5,
                                          &sb_after);
        if (floor) {
            ck_assert_uint_eq(from_sb, 0);
            ck_assert_uint_eq(sb_after, 192 * MiB);
            ck_assert_uint_eq(world_dom(&s.w, g3->domid)->cur, 96 * MiB);
        } else {
            ck_assert_uint_eq(from_sb, 1);
            ck_assert_uint_eq(sb_after, 128 * MiB);
            ck_assert_uint_eq(world_dom(&s.w, g3->domid)->cur, 160 * MiB);
        }
        scen_dispose(&s);
    }
}
END_TEST

/* The floor survives a daemon restart (it is stored with the pair) and
 * is gone once the standby becomes the active at failback. */
START_TEST(test_floor_stored_and_cleared_at_failback)
{
    scen s;
    xres_pair q;
    char why[256] = "";
    wdom *n;

    scen_init(&s, 64, 0);
    start_both(&s);
    crash_active(&s);
    run_to_end(&s);
    ck_assert_int_eq(xres_pair_store_save_state(&s.w.b, &s.p), 0);
    memset(&q, 0x5a, sizeof(q));
    ck_assert_int_eq(xres_pair_store_load(&s.w.b, "web", &q), 0);
    ck_assert_uint_eq(q.sb_floor_kb, 192 * MiB);
    ck_assert_uint_eq(xres_pair_mem_floor(&q, s.sb), 192 * MiB);
    ck_assert(q.lat.valid);
    ck_assert_int_eq(q.lat.kind, XRES_FO_DOMAIN);
    ck_assert_uint_eq(q.lat.total_ms, s.p.lat.total_ms);

    n = world_add(&s.w, "sb2", 64 * MiB, 512 * MiB);
    world_snapshot(&s.w, &s.h);
    ck_assert_int_eq(xres_pair_failback(&s.p, &s.h, n->domid, 0, why,
                                        sizeof(why)), 0);
    ck_assert_uint_eq(xres_pair_mem_floor(&s.p, s.sb), 0);
    ck_assert_uint_eq(xres_pair_mem_floor(&s.p, n->domid), 0);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_domain_events)
{
    scen s;
    xres_pair_decision d;

    scen_init(&s, 64, 0);
    xres_pair_on_domain_event(&s.p, s.act, false, XRES_SHUTDOWN_WATCHDOG,
                              &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_DOMAIN_FAILOVER);
    ck_assert_ptr_nonnull(strstr(d.why, "watchdog"));
    xres_pair_on_domain_event(&s.p, s.act, true, 0, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_DOMAIN_FAILOVER);
    xres_pair_on_domain_event(&s.p, s.act, false, XRES_SHUTDOWN_REBOOT, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
    xres_pair_on_domain_event(&s.p, 77, true, 0, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
    xres_pair_on_domain_event(&s.p, s.sb, true, 0, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_DEGRADE);

    /* Heartbeat: the active's agent stops. */
    world_snapshot(&s.w, &s.h);
    xres_pair_check(&s.p, &s.h, NULL, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
    s.h.now_ms = world_dom(&s.w, s.act)->heartbeat_ms + 30000;
    xres_pair_check(&s.p, &s.h, NULL, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
    s.h.now_ms++;
    xres_pair_check(&s.p, &s.h, NULL, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_DOMAIN_FAILOVER);
    ck_assert_ptr_nonnull(strstr(d.why, "heartbeat"));
    /* An agent that promised a heartbeat only every 20 s gets 45 s. */
    {
        xres_pair_obs o;
        memset(&o, 0, sizeof(o));
        o.active.heartbeat_min_timeout_ms = 45000;
        xres_pair_check(&s.p, &s.h, &o, &d);
        ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
        s.h.now_ms += 100000;
        o.active.heartbeat_ms = s.h.now_ms - 45000;
        xres_pair_check(&s.p, &s.h, &o, &d);
        ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
        o.active.heartbeat_ms--;
        xres_pair_check(&s.p, &s.h, &o, &d);
        ck_assert_int_eq(d.what, XRES_PAIR_DO_DOMAIN_FAILOVER);
    }
    scen_dispose(&s);
}
END_TEST

START_TEST(test_app_failover_level3)
{
    scen s;
    xres_pair_decision d;

    scen_init(&s, 64, 0);
    start_both(&s);
    fault(&s, "A", 3, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_APP_FAILOVER);
    ck_assert_str_eq(d.app, "A");
    begin_app(&s, XRES_FO_APP, &d);
    run_to_end(&s);

    /* The active had shrunk by 128 MiB when the standby was raised. */
    ck_assert_uint_eq(s.w.active_cur_at_engage, (224 - 128) * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 96 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, (64 + 128) * MiB);
    ck_assert(world_app_running(&s.w, s.act, "B"));
    ck_assert(!world_app_running(&s.w, s.act, "A"));
    ck_assert(world_app_running(&s.w, s.sb, "A"));
    ck_assert_uint_eq(world_count_req(&s.w, s.act, "stop", "A"), 1);
    ck_assert_uint_eq(world_count_req(&s.w, s.sb, "start", "A"), 1);
    ck_assert_uint_eq(world_count_req(&s.w, s.act, "release", "98304"), 1);
    ck_assert_uint_eq(world_count_req(&s.w, s.sb, "engage", "131072"), 1);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_STANDBY);
    ck_assert_int_eq(area(&s, "B")->owner, XRES_OWNER_ACTIVE);
    ck_assert_int_eq(area(&s, "base")->owner, XRES_OWNER_ACTIVE);
    ck_assert_int_eq(s.p.state, XRES_PAIR_NORMAL);
    /* The active keeps its own weight. */
    ck_assert_int_eq(world_dom(&s.w, s.act)->weight, 512);
    ck_assert_uint_eq(s.p.debt_kb, 0);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_app_level1_restart_then_escalate)
{
    scen s;
    xres_pair_decision d;
    xres_actions acts;
    unsigned ex0;

    scen_init(&s, 64, 0);
    start_both(&s);
    ex0 = s.w.nexec;
    xres_actions_init(&acts);
    for (unsigned i = 1; i <= 3; i++) {
        fault(&s, "A", 1, &d);
        ck_assert_int_eq(d.what, XRES_PAIR_DO_RESTART);
        xres_actions_clear(&acts);
        ck_assert_int_eq(xres_pair_restart(&s.p, "A", d.fault_seq, &acts),
                         0);
        ck_assert_uint_eq(acts.n, 1);
        ck_assert_int_eq(acts.v[0].kind, XRES_ACT_AGENT_REQUEST);
        ck_assert_uint_eq(acts.v[0].domid, s.act);
        ck_assert_str_eq(acts.v[0].u.req.op, "start");
        exec_all(&s, &acts);
        ck_assert_uint_eq(area(&s, "A")->restarts, i);
        /* The same report is not handled twice. */
        world_snapshot(&s.w, &s.h);
        xres_pair_obs obs;
        world_obs(&s.w, &s.p, &obs);
        xres_pair_check(&s.p, &s.h, &obs, &d);
        ck_assert_int_eq(d.what, XRES_PAIR_DO_NOTHING);
    }
    world_settle(&s.w, 10);
    ck_assert_uint_eq(world_count_req(&s.w, s.act, "start", "A"), 3);
    /* No memory moved. */
    ck_assert_uint_eq(s.w.nexec, ex0);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 224 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 64 * MiB);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_ACTIVE);

    fault(&s, "A", 1, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_APP_FAILOVER);
    xres_actions_dispose(&acts);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_app_level4_reserve)
{
    scen s;
    xres_pair_decision d;

    /* 64 MiB for B's extension plus a 128 MiB reserve. */
    scen_init(&s, 64 + 128, 128);
    start_both(&s);
    ck_assert_uint_eq(world_free(&s.w), 128 * MiB);
    fault(&s, "A", 4, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_RESERVE_FAILOVER);
    /* The app's memory cannot be taken back: the active's balloon is
     * stuck. */
    world_dom(&s.w, s.act)->refuses = true;
    begin_app(&s, XRES_FO_APP_RESERVE, &d);
    ck_assert_int_eq(s.p.fo.kind, XRES_FO_APP_RESERVE);
    run_to_end(&s);

    /* Standby engaged from the reserve before the active shrank. */
    ck_assert_uint_eq(s.w.active_cur_at_engage, 224 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 192 * MiB);
    ck_assert(world_app_running(&s.w, s.sb, "A"));
    ck_assert_uint_eq(world_dom(&s.w, s.act)->target, 96 * MiB);
    ck_assert_uint_eq(s.p.debt_kb, 128 * MiB);
    ck_assert_uint_eq(s.p.debt_domid, s.act);
    ck_assert_uint_eq(world_free(&s.w), 0);
    world_snapshot(&s.w, &s.h);
    ck_assert(!xres_pair_refill(&s.p, &s.h));

    /* The old active finally lets go: the reserve is whole again. */
    world_dom(&s.w, s.act)->refuses = false;
    world_settle(&s.w, 100);
    world_snapshot(&s.w, &s.h);
    ck_assert(xres_pair_refill(&s.p, &s.h));
    ck_assert_uint_eq(s.p.debt_kb, 0);
    ck_assert_uint_eq(world_free(&s.w), 128 * MiB);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_app_level4_small_reserve_releases_first)
{
    scen s;
    xres_pair_decision d;

    scen_init(&s, 64 + 100, 100);
    start_both(&s);
    fault(&s, "A", 4, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_RESERVE_FAILOVER);
    begin_app(&s, XRES_FO_APP_RESERVE, &d);
    ck_assert_int_eq(s.p.fo.kind, XRES_FO_APP);
    run_to_end(&s);
    ck_assert_uint_eq(s.w.active_cur_at_engage, 96 * MiB);
    ck_assert_uint_eq(s.p.debt_kb, 0);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_app_release_timeout_uses_reserve)
{
    scen s;
    xres_pair_decision d;

    scen_init(&s, 64 + 128, 128);
    start_both(&s);
    fault(&s, "A", 3, &d);
    world_dom(&s.w, s.act)->refuses = true;     /* hung balloon */
    begin_app(&s, XRES_FO_APP, &d);
    run_to_end(&s);
    ck_assert_int_eq(s.p.log[0].kind, XRES_FO_APP_RESERVE);
    ck_assert_uint_eq(s.p.log[0].reserve_kb, 128 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 192 * MiB);
    ck_assert_uint_eq(s.p.debt_kb, 128 * MiB);
    scen_dispose(&s);
}
END_TEST

/* --preserve: the hung active is paused for a dump, not destroyed; the
 * standby's 128 MiB come from free memory (admission made sure of it). */
START_TEST(test_domain_crash_preserve)
{
    scen s;
    uint64_t free0;

    scen_init(&s, 64 + 128, 0);
    s.p.cfg.preserve = true;
    start_both(&s);
    free0 = world_free(&s.w);
    ck_assert_uint_eq(free0, 128 * MiB);
    /* Hung (its heartbeat stopped): still running, so it is paused. */
    {
        char err[256] = "";
        world_snapshot(&s.w, &s.h);
        ck_assert_int_eq(xres_pair_fo_begin(&s.p, XRES_FO_DOMAIN, NULL,
                                            "heartbeat", &s.h, 0, err,
                                            sizeof(err)), 0);
    }
    run_to_end(&s);
    ck_assert_ptr_nonnull(world_dom(&s.w, s.act));       /* kept */
    ck_assert(world_dom(&s.w, s.act)->paused);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 224 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, (64 + 128) * MiB);
    ck_assert_uint_eq(world_free(&s.w), 0);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_STANDBY);
    ck_assert(world_app_running(&s.w, s.sb, "A"));
    ck_assert_int_eq(s.p.state, XRES_PAIR_FAILED_OVER);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_failback_refused)
{
    scen s;
    char why[256] = "";
    wdom *n;

    scen_init(&s, 64 + 256, 0);
    start_both(&s);
    /* Not failed over yet. */
    world_snapshot(&s.w, &s.h);
    ck_assert_int_eq(xres_pair_failback(&s.p, &s.h, s.act, 0, why,
                                        sizeof(why)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "normal"));
    crash_active(&s);
    run_to_end(&s);
    /* A new standby too small for A's 128 MiB. */
    n = world_add(&s.w, "tiny", 64 * MiB, 128 * MiB);
    world_snapshot(&s.w, &s.h);
    ck_assert_int_eq(xres_pair_failback(&s.p, &s.h, n->domid, 0, why,
                                        sizeof(why)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(why, "tiny"));
    ck_assert_int_eq(s.p.state, XRES_PAIR_FAILED_OVER);
    ck_assert_uint_eq(s.p.standby, s.sb);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_failback)
{
    scen s;
    char why[256] = "";
    wdom *n;

    scen_init(&s, 64 + 256, 0);
    start_both(&s);
    crash_active(&s);
    run_to_end(&s);
    n = world_add(&s.w, "sb2", 64 * MiB, 512 * MiB);
    world_snapshot(&s.w, &s.h);
    ck_assert_int_eq(xres_pair_failback(&s.p, &s.h, n->domid, 0, why,
                                        sizeof(why)), 0);
    ck_assert_uint_eq(s.p.active, s.sb);
    ck_assert_uint_eq(s.p.standby, n->domid);
    ck_assert_int_eq(s.p.state, XRES_PAIR_NORMAL);
    ck_assert_uint_eq(s.p.nareas, 2);
    ck_assert_uint_eq(area(&s, "base")->size_kb, 64 * MiB);
    ck_assert_uint_eq(area(&s, "A")->size_kb, 128 * MiB);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_ACTIVE);
    ck_assert_int_eq(area(&s, "A")->dest, XRES_DEST_STANDBY);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_standby_lost_midway)
{
    scen s;
    xres_pair_obs obs;

    scen_init(&s, 64, 0);
    start_both(&s);
    crash_active(&s);
    world_snapshot(&s.w, &s.h);
    world_obs(&s.w, &s.p, &obs);
    world_drive(&s.w, &s.p, &s.h, &obs, NULL, NULL, NULL);
    world_dom(&s.w, s.sb)->exists = false;
    run_to_end(&s);
    ck_assert_int_eq(s.p.state, XRES_PAIR_DEGRADED);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_ACTIVE);
    ck_assert_ptr_nonnull(strstr(s.p.log[0].why, "standby"));
    scen_dispose(&s);
}
END_TEST

/* ---- disconnect and engage complete on the guest's report (003, 505,
 * 607, 610) ---- */

/* Drives the failover for ms of world time (100 ms a round); returns
 * the notes it made on the way. */
static uint32_t drive_for(scen *s, uint64_t ms)
{
    xres_pair_obs obs;
    uint32_t notes = 0;

    for (uint64_t t = 0; t < ms && s->p.fo.kind != XRES_FO_NONE; t += 100) {
        world_snapshot(&s->w, &s->h);
        world_obs(&s->w, &s->p, &obs);
        ck_assert_int_ge(world_drive(&s->w, &s->p, &s->h, &obs, NULL, NULL,
                                     NULL), 0);
        notes |= s->p.fo.notes;
        world_settle(&s->w, 100);
    }
    return notes;
}

static xres_fo_step cur_step(const scen *s)
{
    return s->p.fo.steps[s->p.fo.pos];
}

/* The active's balloon went down, but its agent never acks the release:
 * nothing is engaged until pair_ack_timeout_ms, then Xen's figure is
 * taken. */
START_TEST(test_release_without_ack)
{
    scen s;
    xres_pair_decision d;

    scen_init(&s, 64, 0);
    start_both(&s);
    s.p.cfg.ack_timeout_ms = 3000;
    snprintf(world_dom(&s.w, s.act)->silent_op, 16, "release");
    fault(&s, "A", 3, &d);
    begin_app(&s, XRES_FO_APP, &d);
    ck_assert_uint_eq(drive_for(&s, 2000), 0);
    ck_assert_int_eq(cur_step(&s), XRES_STEP_RELEASE);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 96 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 64 * MiB);
    ck_assert_uint_eq(drive_for(&s, 1500), XRES_FO_NOTE_RELEASE_NO_ACK);
    run_to_end(&s);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 192 * MiB);
    ck_assert(world_app_running(&s.w, s.sb, "A"));
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_STANDBY);
    scen_dispose(&s);
}
END_TEST

/* The agent acks the release, but Xen's figure shows the memory still
 * there: the failover keeps waiting (no reserve to lend), never engages
 * the standby, and notes it. */
START_TEST(test_ack_without_release)
{
    scen s;
    xres_pair_decision d;

    scen_init(&s, 64, 0);
    start_both(&s);
    world_dom(&s.w, s.act)->refuses = true;     /* acks, does not move */
    fault(&s, "A", 3, &d);
    begin_app(&s, XRES_FO_APP, &d);
    ck_assert_uint_eq(drive_for(&s, 8000), XRES_FO_NOTE_ACK_NO_RELEASE);
    ck_assert_int_eq(cur_step(&s), XRES_STEP_RELEASE);
    ck_assert_uint_eq(world_dom(&s.w, s.act)->cur, 224 * MiB);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 64 * MiB);
    /* It lets go at last: the failover goes on. */
    world_dom(&s.w, s.act)->refuses = false;
    run_to_end(&s);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 192 * MiB);
    scen_dispose(&s);
}
END_TEST

/* The standby's balloon is up, but its agent never acks the engage: the
 * app is not started until pair_ack_timeout_ms, then on Xen's figure. */
START_TEST(test_engage_without_ack)
{
    scen s;

    scen_init(&s, 64, 0);
    start_both(&s);
    s.p.cfg.ack_timeout_ms = 3000;
    snprintf(world_dom(&s.w, s.sb)->silent_op, 16, "engage");
    crash_active(&s);
    ck_assert_uint_eq(drive_for(&s, 2000), 0);
    ck_assert_int_eq(cur_step(&s), XRES_STEP_ENGAGE);
    ck_assert_uint_eq(world_dom(&s.w, s.sb)->cur, 192 * MiB);
    ck_assert_uint_eq(world_count_req(&s.w, s.sb, "start", "A"), 0);
    ck_assert_uint_eq(drive_for(&s, 1500), XRES_FO_NOTE_ENGAGE_NO_ACK);
    run_to_end(&s);
    ck_assert(world_app_running(&s.w, s.sb, "A"));
    ck_assert_int_eq(s.p.state, XRES_PAIR_FAILED_OVER);
    scen_dispose(&s);
}
END_TEST

Suite *policy_pair_suite(void)
{
    Suite *s = suite_create("policy_pair");
    TCase *tc = tcase_create("table");

    tcase_add_checked_fixture(tc, pair_quiet, pair_loud);

    tcase_add_test(tc, test_table_hot_then_cold_granted);
    tcase_add_test(tc, test_table_cold_refused);
    tcase_add_test(tc, test_table_reserve_not_lent_to_extensions);
    tcase_add_test(tc, test_create_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("failover");
    tcase_add_checked_fixture(tc, pair_quiet, pair_loud);
    tcase_add_test(tc, test_domain_crash);
    tcase_add_test(tc, test_domain_events);
    tcase_add_test(tc, test_app_failover_level3);
    tcase_add_test(tc, test_app_level1_restart_then_escalate);
    tcase_add_test(tc, test_app_level4_reserve);
    tcase_add_test(tc, test_app_level4_small_reserve_releases_first);
    tcase_add_test(tc, test_app_release_timeout_uses_reserve);
    tcase_add_test(tc, test_release_without_ack);
    tcase_add_test(tc, test_ack_without_release);
    tcase_add_test(tc, test_engage_without_ack);
    tcase_add_test(tc, test_failback);
    tcase_add_test(tc, test_failback_refused);
    tcase_add_test(tc, test_domain_crash_preserve);
    tcase_add_test(tc, test_standby_lost_midway);
    tcase_add_test(tc, test_floor_keeps_standby_after_failover);
    tcase_add_test(tc, test_floor_stored_and_cleared_at_failback);
    suite_add_tcase(s, tc);

    return s;
}
