/*
 * bench/bench_converge.c: the balancing decision round after round on a
 * model host (tests/unit/mem_testlib: balloons reach their targets between
 * rounds, a refusing donor never moves): rounds until every guest whose
 * need the host can meet holds it (used below high of its target, or its
 * target at its max), memory moved, guests still short, and target
 * reversals over 50 rounds (a target that goes up after going down, or
 * down after up: oscillation).  Prints figures; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "mem_testlib.h"
#include "model.h"
#include "policy_mem.h"

#define ROUNDS 50

static bool short_of(const xres_domain *d, const xres_mem_params *p)
{
    if (d->domid == 0 || !d->agent.valid) return false;
    if (d->target_kb >= xres_mem_max_of(d)) return false;
    uint64_t dem = d->agent.mem_used_kb + d->agent.swap_used_kb;
    return (double)dem / (double)d->target_kb >= p->high;
}

/* One round: the decision, and its actions carried out on the model; a
 * transfer from a refusing donor stops at its wait, and the donor's
 * target goes back to its memory (as the move's timeout does). */
static uint64_t round_once(xres_host *h, const xres_mem_params *p,
                           uint32_t refuses)
{
    xres_mem_plan plan;
    xres_actions acts;
    uint64_t moved = 0;
    char err[256];

    xres_mem_plan_init(&plan);
    xres_actions_init(&acts);
    if (xres_mem_balance(h, p, &plan) ||
        xres_mem_plan_actions(&plan, p, &acts))
        goto out;
    bool skip = false;
    for (size_t i = 0; i < acts.n; i++) {
        const xres_action *a = &acts.v[i];
        xres_domain *d = xres_host_find(h, a->domid);
        if (a->kind == XRES_ACT_SET_TARGET && d && a->domid == refuses &&
            a->u.mem.kb < d->cur_kb) {
            skip = true;            /* the rest of this transfer */
            continue;
        }
        if (skip) {
            if (a->kind == XRES_ACT_SET_TARGET && a->domid != refuses)
                skip = false;       /* the receiver's raise: not run */
            continue;
        }
        if (a->kind == XRES_ACT_SET_TARGET && d && a->u.mem.kb > d->target_kb)
            moved += a->u.mem.kb - d->target_kb;
        if (!mt_apply(h, p, a, err, sizeof(err))) break;
    }
out:
    xres_actions_dispose(&acts);
    xres_mem_plan_dispose(&plan);
    return moved;
}

typedef struct {
    const char *name;
    unsigned n;                 /* guests */
    uint64_t free_mib;
    int kind;                   /* 0 spike, 1 swapping, 2 beyond, 3 refusing */
} scenario;

static void build(xres_host *h, const scenario *s, uint32_t *refuses)
{
    uint64_t sum = 0;

    xres_host_init(h);
    sum += mt_add(h, 0, "Domain-0", 1024, 512, 1024)->cur_kb;
    *refuses = XRES_DOMID_INVALID;
    for (unsigned i = 1; i <= s->n; i++) {
        char name[16];
        uint64_t used = s->kind == 2 ? 506 : 150;
        snprintf(name, sizeof(name), "g%u", i);
        if (s->kind == 1 && i % 3 == 0) used = 490;
        xres_domain *d = mt_add(h, i, name, 512, used, 2048);
        if (s->kind == 1 && i % 3 == 0) d->agent.swap_used_kb = 200 * MiB;
        sum += d->cur_kb;
    }
    if (s->kind == 0 || s->kind == 3)
        xres_host_find(h, 1)->agent.mem_used_kb = 900 * MiB;
    if (s->kind == 3) {
        /* the one donor, g2; the others hold what they use */
        for (unsigned i = 3; i <= s->n; i++)
            xres_host_find(h, i)->agent.mem_used_kb = 440 * MiB;
        *refuses = 2;
    }
    mt_set_free(h, s->free_mib * MiB);
    (void)sum;
}

static void run(const scenario *s, const xres_mem_params *p)
{
    xres_host h;
    uint32_t refuses;
    uint64_t moved = 0;
    unsigned first_ok = 0, reversals = 0, shorts = 0;
    int64_t *last = calloc(s->n + 1, sizeof(*last));
    uint64_t *prev = calloc(s->n + 1, sizeof(*prev));

    build(&h, s, &refuses);
    for (unsigned i = 0; i <= s->n; i++)
        prev[i] = xres_host_find(&h, i)->target_kb;
    for (unsigned r = 1; r <= ROUNDS; r++) {
        moved += round_once(&h, p, refuses);
        shorts = 0;
        for (unsigned i = 1; i <= s->n; i++) {
            xres_domain *d = xres_host_find(&h, i);
            if (short_of(d, p)) shorts++;
            int64_t dir = d->target_kb > prev[i] ? 1
                : d->target_kb < prev[i] ? -1 : 0;
            if (dir && last[i] && dir != last[i]) reversals++;
            if (dir) last[i] = dir;
            prev[i] = d->target_kb;
        }
        if (!shorts && !first_ok) first_ok = r;
    }
    printf("%-26s %6u %8llu ", s->name, s->n, (unsigned long long)s->free_mib);
    if (first_ok) printf("%8u", first_ok);
    else printf("%8s", "never");
    printf(" %10llu %7u %9u\n", (unsigned long long)(moved / 1024), shorts,
           reversals);
    free(last);
    free(prev);
    xres_host_dispose(&h);
}

int main(void)
{
    static const scenario sc[] = {
        { "spike, host with slack", 10, 2048, 0 },
        { "spike, tight host", 10, 64, 0 },
        { "swapping guests", 10, 64, 1 },
        { "swapping guests", 100, 64, 1 },
        { "swapping guests", 1000, 64, 1 },
        { "pressure beyond the host", 10, 64, 2 },
        { "uncooperative donor", 10, 64, 3 },
    };
    xres_mem_params p;

    xres_mem_params_default(&p);
    printf("balancing round after round (%d rounds); guests 512 MiB, at "
           "most 2 GiB\n", ROUNDS);
    printf("%-26s %6s %8s %8s %10s %7s %9s\n", "scenario", "guests",
           "free_MiB", "rounds", "moved_MiB", "short", "reversals");
    for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) run(&sc[i], &p);
    printf("goal (not asserted): every satisfiable need met in one round, "
           "no reversals over %d rounds; \"never\" where some guest stays "
           "short (beyond the host, or behind a donor that does not give)\n",
           ROUNDS);
    return 0;
}
