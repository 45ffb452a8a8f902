/*
 * bench/bench_pool.c: how long one step of every memory pool
 * (xres_pool_step) takes on the host model, with 1 and 16 pools, at 10 to
 * 10,000 domains, each pool holding 32 placeholders.  Prints figures;
 * asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_scale.h"
#include "model.h"
#include "policy_pool.h"

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* n idle guests that can give, and npools pools with 32 pieces each. */
static void build(xres_host *h, unsigned n, unsigned npools)
{
    uint64_t sum = 0;
    uint32_t id = 0;

    xres_host_init(h);
    xres_domain *d0 = xres_host_add_domain(h, id++);
    strcpy(d0->name, "Domain-0");
    d0->cur_kb = d0->target_kb = 2048 * 1024;
    sum += d0->cur_kb;
    for (unsigned i = 1; i <= n; i++) {
        xres_domain *d = xres_host_add_domain(h, id++);
        snprintf(d->name, sizeof(d->name), "g%u", i);
        d->cur_kb = d->target_kb = 1024 * 1024;
        d->static_max_kb = 2048 * 1024;
        d->xen_max_kb = d->cur_kb + 1024;
        d->feature_balloon = true;
        d->agent.valid = true;
        d->agent.mem_used_kb = 200 * 1024;
        d->balloon = XRES_BALLOON_OK;
        sum += d->cur_kb;
    }
    for (unsigned p = 0; p < npools; p++)
        for (unsigned k = 0; k < 32; k++) {
            xres_domain *d = xres_host_add_domain(h, id++);
            snprintf(d->name, sizeof(d->name), "xres-pool-p%u-%u", p, k);
            d->outstanding_kb = d->xen_max_kb = 32 * 1024;
            d->paused = true;
            h->outstanding_kb += d->outstanding_kb;
        }
    h->free_kb = 64 * 1024;
    h->total_kb = sum + h->free_kb + h->outstanding_kb;
}

int main(void)
{
    static const unsigned pools[] = { 1, 16 };
    double pmean[2] = { 0, 0 };
    xres_mem_params mp;

    xres_mem_params_default(&mp);
    printf("%-8s %6s %8s", "domains", "pools", "runs");
    bench_head("mean_us");
    printf(" %12s %8s\n", "best_us", "actions");
    for (size_t s = 0; s < BENCH_NSIZES; s++)
        for (size_t q = 0; q < 2; q++) {
            unsigned n = bench_sizes[s], np = pools[q];
            unsigned runs = n >= 10000 ? 30 : n >= 1000 ? 300 : 3000;
            xres_pool v[XRES_POOLS_MAX];
            xres_actions a;
            xres_pool_notes notes;
            xres_host h;
            double total = 0, best = 1e18;
            size_t acts = 0;
            uint64_t wake;

            build(&h, n, np);
            xres_actions_init(&a);
            for (unsigned r = 0; r < runs; r++) {
                for (unsigned k = 0; k < np; k++) {
                    xres_pool_spec sp;
                    memset(&sp, 0, sizeof(sp));
                    snprintf(sp.name, sizeof(sp.name), "p%u", k);
                    sp.size_kb = 4096 * 1024;
                    sp.step_kb = 32 * 1024;
                    sp.every_ms = 10000;
                    sp.deadline_ms = 3600000;
                    sp.priority = k;
                    sp.from_config = true;
                    snprintf(sp.config, sizeof(sp.config), "/etc/xen/p%u", k);
                    snprintf(sp.domain, sizeof(sp.domain), "d%u", k);
                    xres_pool_init(&v[k], &sp, 0);
                }
                xres_actions_clear(&a);
                notes.n = 0;
                double t0 = now_us();
                if (xres_pool_step(v, np, &h, &mp, 0, &a, &notes, &wake)) {
                    fprintf(stderr, "bench_pool: step failed\n");
                    return 1;
                }
                double dt = now_us() - t0;
                total += dt;
                if (dt < best) best = dt;
                acts = a.n;
            }
            printf("%-8u %6u %8u", n, np, runs);
            bench_cell(total / runs, pmean[q]);
            printf(" %12.1f %8zu\n", best, acts);
            pmean[q] = total / runs;
            xres_actions_dispose(&a);
            xres_host_dispose(&h);
        }
    return 0;
}
