/*
 * tests/unit/pair_scen.h: the scenario the pure pair tests share: a fake
 * host (pair_world.h) with an active holding 160 MiB and a standby with
 * 64 MiB, the pair "web" over them with app A (hot standby, 128 MiB) and
 * app B (not hot standby, 64 MiB), and the steps the tests take on it.
 */
#ifndef XRES_TEST_PAIR_SCEN_H
#define XRES_TEST_PAIR_SCEN_H

#include <stdint.h>

#include "pair_world.h"
#include "policy_pair.h"

#define MiB 1024ULL

typedef struct {
    world w;
    xres_host h;
    xres_pair p;
    uint32_t act, sb;
    uint64_t reserve_kb;
} scen;

void scen_init(scen *s, uint64_t spare_mib, uint64_t reserve_mib);
void scen_dispose(scen *s);
void exec_all(scen *s, xres_actions *acts);
int start_app(scen *s, const char *app);
void start_both(scen *s);
xres_pair_area *area(scen *s, const char *n);
void run_to_end(scen *s);
void crash_active(scen *s);
void fault(scen *s, const char *app, unsigned lvl,
           xres_pair_decision *d);
void begin_app(scen *s, xres_fo_kind kind, const xres_pair_decision *d);
/* Quiet fixtures: the failovers log every step at info level. */
void pair_quiet(void);
void pair_loud(void);

#endif
