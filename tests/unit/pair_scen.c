/*
 * tests/unit/pair_scen.c: the shared scenario of the pure pair tests
 * (pair_scen.h).
 */
#include <check.h>
#include <string.h>

#include "log.h"
#include "pair_scen.h"
#include "pair_store.h"


/* Host sized so that, once the active and standby run, `spare` MiB are
 * free. */
void scen_init(scen *s, uint64_t spare_mib, uint64_t reserve_mib)
{
    xres_pair_app apps[2] = {
        { "A", 128 * MiB, true },
        { "B", 64 * MiB, false },
    };
    xres_pair_cfg cfg;
    char why[256] = "";
    wdom *a, *b;

    memset(s, 0, sizeof(*s));
    world_init(&s->w, (1024 + 160 + 64 + spare_mib) * MiB);
    a = world_add(&s->w, "act", 160 * MiB, 512 * MiB);
    b = world_add(&s->w, "sb", 64 * MiB, 512 * MiB);
    a->weight = 512;
    a->cap = 50;
    b->weight = 32;
    b->cap = 10;
    s->act = a->domid;
    s->sb = b->domid;
    s->w.watch_active = s->act;
    s->w.watch_standby = s->sb;
    s->reserve_kb = reserve_mib * MiB;
    xres_host_init(&s->h);
    world_snapshot(&s->w, &s->h);
    xres_pair_cfg_default(&cfg);
    cfg.tol_kb = 0;
    ck_assert_int_eq(xres_pair_create(&s->p, "web", &s->h, s->act, s->sb,
                                      apps, 2, &cfg, s->reserve_kb, why,
                                      sizeof(why)), 0);
    ck_assert_int_eq(xres_pair_store_save_config(&s->w.b, &s->p), 0);
    ck_assert_int_eq(xres_pair_store_save_state(&s->w.b, &s->p), 0);
}

void scen_dispose(scen *s)
{
    xres_host_dispose(&s->h);
    world_dispose(&s->w);
}

void exec_all(scen *s, xres_actions *acts)
{
    for (size_t i = 0; i < acts->n; i++)
        ck_assert_int_eq(world_exec(&s->w, &acts->v[i]), 0);
}

/* The agent reports app started on the active; the table follows. */
int start_app(scen *s, const char *app)
{
    xres_actions acts;
    char why[256] = "";
    int rc;

    xres_actions_init(&acts);
    world_app_start(&s->w, s->act, app);
    world_snapshot(&s->w, &s->h);
    rc = xres_pair_app_started(&s->p, &s->h, app, s->reserve_kb, &acts, why,
                               sizeof(why));
    if (!rc) exec_all(s, &acts);
    xres_actions_dispose(&acts);
    world_settle(&s->w, 10);
    return rc;
}

void start_both(scen *s)
{
    ck_assert_int_eq(start_app(s, "A"), 0);
    ck_assert_int_eq(start_app(s, "B"), 0);
    ck_assert_uint_eq(world_dom(&s->w, s->act)->cur, 224 * MiB);
}

xres_pair_area *area(scen *s, const char *n)
{
    xres_pair_area *a = xres_pair_area_find(&s->p, n);
    ck_assert_ptr_nonnull(a);
    return a;
}

/* Run the machine to its end like the daemon does: snapshot, drive,
 * let the world move on. */
void run_to_end(scen *s)
{
    xres_pair_obs obs;
    int rc = XRES_FO_WAIT;

    for (int round = 0; round < 200; round++) {
        world_snapshot(&s->w, &s->h);
        world_obs(&s->w, &s->p, &obs);
        rc = world_drive(&s->w, &s->p, &s->h, &obs, NULL, NULL, NULL);
        ck_assert_int_ge(rc, 0);
        if (rc == XRES_FO_FINISHED || rc == XRES_FO_IDLE) return;
        world_settle(&s->w, 100);
    }
    ck_abort_msg("failover did not finish");
}

void crash_active(scen *s)
{
    xres_pair_decision d;
    char err[256] = "";

    world_dom(&s->w, s->act)->shutdown = true;   /* crashed */
    xres_pair_on_domain_event(&s->p, s->act, false, XRES_SHUTDOWN_CRASH, &d);
    ck_assert_int_eq(d.what, XRES_PAIR_DO_DOMAIN_FAILOVER);
    world_snapshot(&s->w, &s->h);
    ck_assert_int_eq(xres_pair_fo_begin(&s->p, XRES_FO_DOMAIN, NULL, d.why,
                                        &s->h, s->reserve_kb, err,
                                        sizeof(err)), 0);
}

void fault(scen *s, const char *app, unsigned lvl,
                  xres_pair_decision *d)
{
    xres_pair_obs obs;

    world_settle(&s->w, 10);
    world_fault(&s->w, s->act, app, lvl);
    world_snapshot(&s->w, &s->h);
    world_obs(&s->w, &s->p, &obs);
    xres_pair_check(&s->p, &s->h, &obs, d);
}

void begin_app(scen *s, xres_fo_kind kind, const xres_pair_decision *d)
{
    char err[256] = "";
    xres_pair_area *a = area(s, d->app);

    a->fault_seq = d->fault_seq;
    world_snapshot(&s->w, &s->h);
    ck_assert_int_eq(xres_pair_fo_begin(&s->p, kind, d->app, d->why, &s->h,
                                        s->reserve_kb, err, sizeof(err)), 0);
}
void pair_quiet(void) { xres_log_set_level(LOG_WARNING); }
void pair_loud(void) { xres_log_set_level(LOG_INFO); }
