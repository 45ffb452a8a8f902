/*
 * tests/unit/test_pair_store.c: a pair's stored text forms, and resuming
 * a failover from the store after xresd is killed at every action and
 * every store (the scenario of pair_scen.h).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pair_scen.h"
#include "pair_store.h"

/* ---- storage ---- */

START_TEST(test_store_roundtrip)
{
    scen s;
    xres_pair q;
    char a[4096], b[4096];
    xres_pair_decision d;

    scen_init(&s, 64, 0);
    start_both(&s);
    fault(&s, "A", 3, &d);
    begin_app(&s, XRES_FO_APP, &d);
    xres_pair_obs obs;
    world_snapshot(&s.w, &s.h);
    world_obs(&s.w, &s.p, &obs);
    world_drive(&s.w, &s.p, &s.h, &obs, NULL, NULL, NULL);
    ck_assert_int_ne(s.p.fo.kind, XRES_FO_NONE);
    ck_assert_int_eq(xres_pair_store_load(&s.w.b, "web", &q), 0);
    ck_assert_int_eq(xres_pair_format_state(&s.p, a, sizeof(a)), 0);
    ck_assert_int_eq(xres_pair_format_state(&q, b, sizeof(b)), 0);
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(xres_pair_format_config(&s.p, a, sizeof(a)), 0);
    ck_assert_int_eq(xres_pair_format_config(&q, b, sizeof(b)), 0);
    ck_assert_str_eq(a, b);
    ck_assert_int_eq(memcmp(&q.fo, &s.p.fo, sizeof(q.fo)), 0);

    char **names;
    unsigned n;
    ck_assert_int_eq(xres_pair_store_list(&s.w.b, &names, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(names[0], "web");
    xres_pair_store_free_names(names, n);
    ck_assert_int_eq(xres_pair_store_delete(&s.w.b, "web"), 0);
    ck_assert_int_eq(xres_pair_store_load(&s.w.b, "web", &q), -ENOENT);
    scen_dispose(&s);
}
END_TEST

START_TEST(test_store_rejects_garbage)
{
    xres_pair p;
    static const char *bad[] = {
        "",
        "xres-pair-state 2\nroles 1 2 normal\n",
        "xres-pair-state 1\n",
        "xres-pair-state 1\nroles 1 2 sideways\n",
        "xres-pair-state 1\nroles 1 2 normal\narea A 1 active standby hot 1"
        " 0 0\n",
        "xres-pair-state 1\nroles 1 2 normal\narea A 99999999999999999999 "
        "active standby hot 1 0 0 0\n",
        "xres-pair-state 1\nroles 1 2 normal\narea ../x 1 active standby "
        "hot 1 0 0 0\n",
        "xres-pair-state 1\nroles 1 2 normal\nfo domain - 9 0 0 0 0 1 2 -1 "
        "-1 0 0 0 0 0 0 0 0 0 0 1 0 0 0 fence\n",
        "xres-pair-state 1\nroles 1 2 normal\nbogus 1\n",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(xres_pair_parse_state(&p, bad[i]) == -EINVAL,
                      "accepted case %zu", i);
    ck_assert_int_eq(xres_pair_parse_config(&p, "xres-pair-config 1\n"
                                            "name web\napp A 1 warm\n"
                                            "cfg 3 1 1 1 0 0 0\n"), -EINVAL);
    ck_assert_int_eq(xres_pair_parse_config(&p, "xres-pair-config 1\n"
                                            "name web\napp A 1 hot\n"
                                            "cfg 3 1 1 1 0 0 0\n"), 0);
}
END_TEST

/* ---- killed at every step ---- */

typedef struct {
    unsigned count, kill_at;
    bool at_store;          /* kill after a store, else after an action */
    bool killed;
} killer;

static bool kill_hook(void *opaque, bool stored)
{
    killer *k = opaque;

    if (stored != k->at_store || k->killed) return true;
    if (++k->count == k->kill_at) {
        k->killed = true;
        return false;
    }
    return true;
}

typedef enum { K_DOMAIN, K_APP, K_RESERVE } kcase;

static void kill_setup(scen *s, kcase c)
{
    xres_pair_decision d;

    if (c == K_RESERVE) scen_init(s, 64 + 128, 128);
    else scen_init(s, 64, 0);
    start_both(s);
    if (c == K_DOMAIN) {
        crash_active(s);
    } else {
        fault(s, "A", c == K_APP ? 3 : 4, &d);
        begin_app(s, c == K_APP ? XRES_FO_APP : XRES_FO_APP_RESERVE, &d);
    }
    ck_assert_int_eq(xres_pair_store_save_state(&s->w.b, &s->p), 0);
}

/* Runs to the end; with k, kills xresd once at the k-th action or store:
 * the in-memory pair is dropped and reloaded from the store.  Returns the
 * number of kill points passed. */
static unsigned kill_run(scen *s, killer *k)
{
    xres_pair_obs obs;

    for (int round = 0; round < 300; round++) {
        int rc;
        world_snapshot(&s->w, &s->h);
        world_obs(&s->w, &s->p, &obs);
        bool was = k->killed;
        rc = world_drive(&s->w, &s->p, &s->h, &obs, NULL, kill_hook, k);
        if (k->killed && !was) {
            memset(&s->p, 0x5a, sizeof(s->p));
            ck_assert_int_eq(xres_pair_store_load(&s->w.b, "web", &s->p), 0);
            continue;
        }
        ck_assert_int_ge(rc, 0);
        if (rc == XRES_FO_FINISHED || rc == XRES_FO_IDLE) return k->count;
        world_settle(&s->w, 100);
    }
    ck_abort_msg("failover did not finish");
    return 0;
}

/* Final state, without times. */
static void final_state(scen *s, char *buf, size_t len)
{
    char st[4096], *line, *save = NULL;
    size_t off = 0;

    ck_assert_int_eq(xres_pair_format_state(&s->p, st, sizeof(st)), 0);
    for (line = strtok_r(st, ";", &save); line;
         line = strtok_r(NULL, ";", &save)) {
        if (!strncmp(line, "lat ", 4)) continue;    /* timing only */
        if (!strncmp(line, "log ", 4)) {
            /* keep what moved, not when */
            char *p = strchr(line + 4, ' ');
            p = p ? strchr(p + 1, ' ') : NULL;
            line = p ? p : line;
        }
        off += snprintf(buf + off, len - off, "%s\n", line);
    }
    for (int i = 0; i < W_DOMS; i++) {
        wdom *d = &s->w.doms[i];
        if (!d->exists) continue;
        off += snprintf(buf + off, len - off, "dom%u cur=%llu tgt=%llu "
                        "max=%llu w=%d c=%d\n", d->domid,
                        (unsigned long long)d->cur,
                        (unsigned long long)d->target,
                        (unsigned long long)d->smax, d->weight, d->cap);
    }
    off += snprintf(buf + off, len - off, "free=%llu startA=%u stopA=%u\n",
                    (unsigned long long)world_free(&s->w),
                    world_count_req(&s->w, s->sb, "start", "A"),
                    world_count_req(&s->w, s->act, "stop", "A"));
}

static void kill_everywhere(kcase c)
{
    char ref[8192], got[8192];
    unsigned nact, nstore;
    scen s;
    killer k;

    for (int at_store = 0; at_store < 2; at_store++) {
        kill_setup(&s, c);
        memset(&k, 0, sizeof(k));
        k.at_store = at_store;
        unsigned n = kill_run(&s, &k);
        final_state(&s, ref, sizeof(ref));
        scen_dispose(&s);
        if (at_store) nstore = n; else nact = n;
        ck_assert_uint_ge(n, 4);

        for (unsigned i = 1; i <= n; i++) {
            kill_setup(&s, c);
            memset(&k, 0, sizeof(k));
            k.at_store = at_store;
            k.kill_at = i;
            kill_run(&s, &k);
            ck_assert(k.killed);
            final_state(&s, got, sizeof(got));
            ck_assert_msg(!strcmp(ref, got), "killed at %s %u:\n%s\nvs\n%s",
                          at_store ? "store" : "action", i, got, ref);
            ck_assert_uint_eq(s.p.nlog, 1);
            scen_dispose(&s);
        }
    }
    (void)nact;
    (void)nstore;
}

START_TEST(test_kill_every_step_domain) { kill_everywhere(K_DOMAIN); }
END_TEST
START_TEST(test_kill_every_step_app) { kill_everywhere(K_APP); }
END_TEST
START_TEST(test_kill_every_step_reserve) { kill_everywhere(K_RESERVE); }
END_TEST

/* ---- owners before the start request (003, 506->507, 611->612) ---- */

typedef struct {
    scen *s;
    unsigned checked;       /* start requests seen with the owner stored */
} owner_probe;

/* Has a "start A" request been written to the standby (read or not)? */
static bool start_written(scen *s)
{
    char pre[64];

    snprintf(pre, sizeof(pre), "/local/domain/%u/xres/request/", s->sb);
    for (unsigned i = 0; i < s->w.nkv; i++)
        if (s->w.kv[i].val && !strncmp(s->w.kv[i].path, pre, strlen(pre)) &&
            !strcmp(s->w.kv[i].val, "start A"))
            return true;
    return false;
}

/* After each action: once the standby has been asked to start A, the
 * stored table must already give A to the standby, so that a crash right
 * after the request never leaves the app running on a side the table does
 * not name. */
static bool owner_hook(void *opaque, bool stored)
{
    owner_probe *o = opaque;
    xres_pair q;

    if (stored || !start_written(o->s)) return true;
    ck_assert_int_eq(xres_pair_store_load(&o->s->w.b, "web", &q), 0);
    ck_assert_int_eq(xres_pair_area_find(&q, "A")->owner,
                     XRES_OWNER_STANDBY);
    o->checked++;
    return true;
}

static void owners_first(kcase c)
{
    scen s;
    owner_probe o = { &s, 0 };
    xres_pair_obs obs;
    int rc = 0;

    kill_setup(&s, c);
    for (int round = 0; round < 300; round++) {
        world_snapshot(&s.w, &s.h);
        world_obs(&s.w, &s.p, &obs);
        rc = world_drive(&s.w, &s.p, &s.h, &obs, NULL, owner_hook, &o);
        ck_assert_int_ge(rc, 0);
        if (rc == XRES_FO_FINISHED || rc == XRES_FO_IDLE) break;
        world_settle(&s.w, 100);
    }
    ck_assert_int_eq(rc, XRES_FO_FINISHED);
    ck_assert_uint_ge(o.checked, 1);
    ck_assert_uint_eq(world_count_req(&s.w, s.sb, "start", "A"), 1);
    ck_assert_int_eq(area(&s, "A")->owner, XRES_OWNER_STANDBY);
    ck_assert(area(&s, "A")->running);
    scen_dispose(&s);
}

START_TEST(test_owners_before_start_domain) { owners_first(K_DOMAIN); }
END_TEST
START_TEST(test_owners_before_start_app) { owners_first(K_APP); }
END_TEST
START_TEST(test_owners_before_start_reserve) { owners_first(K_RESERVE); }
END_TEST

/* The standby is lost once the owners were committed, before the app
 * could start: the pair is degraded, A is not running anywhere, and the
 * failover is logged as ended (the memory went back to the host with the
 * standby's death). */
START_TEST(test_standby_lost_after_commit)
{
    scen s;
    xres_pair_obs obs;
    int rc = 0;

    kill_setup(&s, K_APP);
    for (int round = 0; round < 300; round++) {
        if (s.p.fo.done & (1u << XRES_STEP_COMMIT))
            world_dom(&s.w, s.sb)->exists = false;
        world_snapshot(&s.w, &s.h);
        world_obs(&s.w, &s.p, &obs);
        rc = world_drive(&s.w, &s.p, &s.h, &obs, NULL, NULL, NULL);
        ck_assert_int_ge(rc, 0);
        if (rc == XRES_FO_FINISHED || rc == XRES_FO_IDLE) break;
        world_settle(&s.w, 100);
    }
    ck_assert_int_eq(rc, XRES_FO_FINISHED);
    ck_assert_int_eq(s.p.state, XRES_PAIR_DEGRADED);
    ck_assert(!area(&s, "A")->running);
    ck_assert_uint_eq(s.p.nlog, 1);
    ck_assert_uint_eq(s.p.log[0].failed_mask, 1u << 1);
    scen_dispose(&s);
}
END_TEST

Suite *pair_store_suite(void)
{
    Suite *s = suite_create("pair_store");
    TCase *tc = tcase_create("store");

    tcase_add_checked_fixture(tc, pair_quiet, pair_loud);
    tcase_add_test(tc, test_store_roundtrip);
    tcase_add_test(tc, test_store_rejects_garbage);
    tcase_add_test(tc, test_kill_every_step_domain);
    tcase_add_test(tc, test_kill_every_step_app);
    tcase_add_test(tc, test_kill_every_step_reserve);
    tcase_add_test(tc, test_owners_before_start_domain);
    tcase_add_test(tc, test_owners_before_start_app);
    tcase_add_test(tc, test_owners_before_start_reserve);
    tcase_add_test(tc, test_standby_lost_after_commit);
    suite_add_tcase(s, tc);
    return s;
}
