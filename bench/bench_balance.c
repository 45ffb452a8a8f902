/*
 * bench/bench_balance.c: how long one memory balancing decision
 * (xres_mem_balance) takes on the host model at 10 to 10,000 domains,
 * with the ratio between successive sizes.  Prints figures; asserts
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_scale.h"
#include "model.h"
#include "policy_mem.h"

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A host where a third of the domains are deficient, a third excess and a
 * third in between, with mixed policies. */
static void build(xres_host *h, unsigned n, unsigned seed)
{
    uint64_t sum = 0;

    srand(seed);
    xres_host_init(h);
    xres_domain *d0 = xres_host_add_domain(h, 0);
    strcpy(d0->name, "Domain-0");
    d0->cur_kb = d0->target_kb = 2048 * 1024;
    sum += d0->cur_kb;
    for (unsigned i = 1; i <= n; i++) {
        xres_domain *d = xres_host_add_domain(h, i);
        snprintf(d->name, sizeof(d->name), "g%u", i);
        uint64_t mem = (256 + (uint64_t)(rand() % 64) * 64) * 1024;
        d->cur_kb = d->target_kb = mem;
        d->static_max_kb = mem * 2;
        d->xen_max_kb = mem + 1024;
        d->feature_balloon = true;
        d->agent.valid = true;
        unsigned pct = (i % 3 == 0) ? 92 + rand() % 20
                     : (i % 3 == 1) ? 5 + rand() % 40 : 55 + rand() % 30;
        d->agent.mem_used_kb = mem * pct / 100;
        d->mem_policy.priority = rand() % 4;
        d->mem_policy.weight = 1 + rand() % 8;
        d->mem_policy.min_kb = (rand() % 4 == 0) ? 128 * 1024 : 0;
        d->balloon = XRES_BALLOON_OK;
        sum += mem;
    }
    h->free_kb = 64 * 1024 + (uint64_t)n * 16 * 1024;
    h->total_kb = sum + h->free_kb;
}

int main(void)
{
    xres_mem_params p;
    double pmean = 0, pbest = 0;

    xres_mem_params_default(&p);
    printf("%-8s %10s", "domains", "runs");
    bench_head("mean_us");
    bench_head("best_us");
    printf(" %10s\n", "transfers");
    for (size_t s = 0; s < BENCH_NSIZES; s++) {
        unsigned n = bench_sizes[s];
        unsigned runs = n >= 10000 ? 50 : n >= 1000 ? 300 : 3000;
        xres_host h;
        xres_mem_plan plan;
        double total = 0, best = 1e18;
        size_t transfers = 0;

        build(&h, n, 42);
        xres_mem_plan_init(&plan);
        for (unsigned r = 0; r < runs; r++) {
            plan.n = 0;
            double t0 = now_us();
            if (xres_mem_balance(&h, &p, &plan)) {
                fprintf(stderr, "bench_balance: out of memory\n");
                return 1;
            }
            double dt = now_us() - t0;
            total += dt;
            if (dt < best) best = dt;
            transfers = plan.n;
        }
        printf("%-8u %10u", n, runs);
        bench_cell(total / runs, pmean);
        bench_cell(best, pbest);
        printf(" %10zu\n", transfers);
        pmean = total / runs;
        pbest = best;
        xres_mem_plan_dispose(&plan);
        xres_host_dispose(&h);
    }
    return 0;
}
