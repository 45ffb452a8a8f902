/*
 * tests/unit/test_pair_step.c: the failover drive as a pure step
 * (pair_step.c): the actions it gives for a snapshot, where it stops, the
 * pair's balloon tolerance, and a failover's dry run, all without a
 * daemon or a backend call (the scenario of pair_scen.h).
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "pair_scen.h"
#include "pair_step.h"

/* The active has crashed and the failover has begun; the snapshot is
 * fresh. */
static void crashed(scen *s)
{
    scen_init(s, 64, 0);
    start_both(s);
    crash_active(s);
    world_snapshot(&s->w, &s->h);
}

START_TEST(test_step_until_wait)
{
    xres_actions acts;
    xres_pair before;
    scen s;

    crashed(&s);
    xres_actions_init(&acts);
    /* First the fence, then the fence's condition waits for a snapshot
     * that shows the old active gone. */
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 5000, 0, &acts, NULL),
                     XRES_FO_WAIT);
    ck_assert_uint_eq(acts.n, 1);
    ck_assert_int_eq(acts.v[0].kind, XRES_ACT_DESTROY);
    ck_assert_uint_eq(acts.v[0].domid, s.act);
    exec_all(&s, &acts);
    world_snapshot(&s.w, &s.h);

    /* One action at most: the standby's maxmem, the rest left. */
    before = s.p;
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 6000, 1, &acts, NULL),
                     XRES_FO_ACT);
    ck_assert_uint_eq(acts.n, 1);
    ck_assert_int_eq(acts.v[0].kind, XRES_ACT_SET_MAXMEM);
    ck_assert_uint_eq(acts.v[0].u.mem.kb, 512 * MiB);

    /* No limit: plan, then the whole engagement, then a wait for the
     * balloon; the target write is stamped with the time given. */
    s.p = before;
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 6000, 0, &acts, NULL),
                     XRES_FO_WAIT);
    ck_assert_uint_eq(acts.n, 3);
    ck_assert_int_eq(acts.v[1].kind, XRES_ACT_SET_TARGET);
    ck_assert_uint_eq(acts.v[1].u.mem.kb, (64 + 128) * MiB);
    ck_assert_int_eq(acts.v[2].kind, XRES_ACT_AGENT_REQUEST);
    ck_assert_str_eq(acts.v[2].u.req.op, "engage");
    ck_assert_str_eq(acts.v[2].u.req.arg, "131072");
    ck_assert_uint_eq(s.p.fo.target_ms, 6000);
    ck_assert_uint_eq(s.p.fo.bound_kb, 128 * MiB);
    xres_actions_dispose(&acts);
    scen_dispose(&s);
}
END_TEST

/* The engagement is there once the standby is within the pair's
 * tolerance, 1 MiB by default, of its new target (xres_mem_arrived). */
/* The progress to store before the first action: the steps finished on
 * the way there (the fence's check, the plan), not the pair as it came. */
START_TEST(test_step_stored_before_action)
{
    xres_actions acts;
    xres_pair entry, stepped;
    scen s;

    crashed(&s);
    xres_actions_init(&acts);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 5000, 0, &acts, NULL),
                     XRES_FO_WAIT);
    exec_all(&s, &acts);
    world_snapshot(&s.w, &s.h);
    entry = s.p;
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 6000, 1, &acts,
                                    &stepped), XRES_FO_ACT);
    ck_assert_uint_eq(acts.n, 1);
    ck_assert_int_eq(acts.v[0].kind, XRES_ACT_SET_MAXMEM);
    ck_assert_uint_gt(stepped.fo.pos, entry.fo.pos);
    ck_assert_uint_eq(stepped.fo.pos, s.p.fo.pos);
    /* Stepping the stored progress again gives the same action. */
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_step(&stepped, &s.h, NULL, 6000, 1, &acts,
                                    NULL), XRES_FO_ACT);
    ck_assert_uint_eq(acts.n, 1);
    ck_assert_int_eq(acts.v[0].kind, XRES_ACT_SET_MAXMEM);
    ck_assert_uint_eq(acts.v[0].u.mem.kb, 512 * MiB);
    xres_actions_dispose(&acts);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_step_tolerance)
{
    xres_pair_cfg def;
    xres_actions acts;
    scen s;

    xres_pair_cfg_default(&def);
    ck_assert_uint_eq(def.tol_kb, 1024);
    crashed(&s);
    s.p.cfg.tol_kb = def.tol_kb;
    xres_actions_init(&acts);
    xres_pair_step(&s.p, &s.h, NULL, 5000, 0, &acts, NULL);
    exec_all(&s, &acts);
    world_snapshot(&s.w, &s.h);
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 6000, 0, &acts, NULL),
                     XRES_FO_WAIT);
    ck_assert_uint_eq(acts.n, 3);
    exec_all(&s, &acts);

    world_dom(&s.w, s.sb)->cur = (64 + 128) * MiB - 1025;
    world_snapshot(&s.w, &s.h);
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, NULL, 7000, 0, &acts, NULL),
                     XRES_FO_WAIT);
    ck_assert_uint_eq(acts.n, 0);

    /* Xen's figure within the tolerance, and the agent's ack of the
     * engage request (the third of the failover's numbers). */
    xres_pair_obs obs;
    memset(&obs, 0, sizeof(obs));
    obs.standby.nacks = 1;
    obs.standby.acks[0].seq = s.p.fo.seq0 + 2;
    world_dom(&s.w, s.sb)->cur = (64 + 128) * MiB - 1024;
    world_snapshot(&s.w, &s.h);
    ck_assert_int_eq(xres_pair_step(&s.p, &s.h, &obs, 7000, 1, &acts, NULL),
                     XRES_FO_ACT);
    ck_assert_uint_eq(acts.n, 1);
    ck_assert_int_eq(acts.v[0].kind, XRES_ACT_SET_SCHED);
    ck_assert_int_eq(acts.v[0].u.sched.weight, 512);
    ck_assert_int_eq(acts.v[0].u.sched.cap, 50);
    ck_assert_uint_eq(s.p.fo.reached_ms, s.h.now_ms);    /* the snapshot's */
    xres_actions_dispose(&acts);
    scen_dispose(&s);
}
END_TEST

/* The dry run of a whole-domain failover leaves the pair alone and lists
 * every action of the failover in order. */
START_TEST(test_preview_domain)
{
    static const xres_action_kind kinds[] = {
        XRES_ACT_DESTROY, XRES_ACT_SET_MAXMEM, XRES_ACT_SET_TARGET,
        XRES_ACT_AGENT_REQUEST, XRES_ACT_SET_SCHED, XRES_ACT_AGENT_REQUEST,
    };
    xres_actions acts;
    char err[256] = "", line[256];
    scen s;

    scen_init(&s, 64, 0);
    start_both(&s);
    world_snapshot(&s.w, &s.h);
    xres_actions_init(&acts);
    ck_assert_int_eq(xres_pair_fo_preview(&s.p, XRES_FO_DOMAIN, NULL, "test",
                                          &s.h, s.reserve_kb, &acts, err,
                                          sizeof(err)), 0);
    ck_assert_int_eq(s.p.fo.kind, XRES_FO_NONE);
    ck_assert_int_eq(s.p.state, XRES_PAIR_NORMAL);
    ck_assert_uint_eq(acts.n, 6);
    for (size_t i = 0; i < acts.n; i++)
        ck_assert_int_eq(acts.v[i].kind, kinds[i]);
    xres_action_format(&acts.v[5], line, sizeof(line));
    ck_assert_str_eq(line, "agent-request dom2 start A # pair web: start A "
                     "on the standby");
    /* B is not hot standby: not started anywhere. */
    xres_actions_clear(&acts);
    ck_assert_int_eq(xres_pair_fo_preview(&s.p, XRES_FO_APP, "B", "test",
                                          &s.h, s.reserve_kb, &acts, err,
                                          sizeof(err)), -ENOENT);
    ck_assert_uint_eq(acts.n, 0);
    xres_actions_dispose(&acts);
    scen_dispose(&s);
}
END_TEST

Suite *pair_step_suite(void)
{
    Suite *s = suite_create("pair_step");
    TCase *tc = tcase_create("step");

    tcase_add_checked_fixture(tc, pair_quiet, pair_loud);
    tcase_add_test(tc, test_step_until_wait);
    tcase_add_test(tc, test_step_stored_before_action);
    tcase_add_test(tc, test_step_tolerance);
    tcase_add_test(tc, test_preview_domain);
    suite_add_tcase(s, tc);
    return s;
}
