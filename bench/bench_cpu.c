/*
 * bench/bench_cpu.c: cost of one CPU policy pass (sampling plus the
 * policies) on hosts of 10 to 10,000 domains with a mix of policies,
 * with the ratio between successive sizes.  Prints figures; asserts
 * nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "bench_scale.h"
#include "cpu_measure.h"
#include "model.h"
#include "policy_cpu.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(size_t ndom, int passes, double *us, double *acts)
{
    xres_host h;
    xres_cpu_meter m;
    xres_cpu_settings s;
    xres_cpu_result r;
    xres_actions a;
    xres_cpu_policy *pols = calloc(ndom, sizeof(*pols));
    size_t nact = 0;
    double t0 = 0, t1;
    int rc = 1;

    if (!pols) return 1;
    xres_host_init(&h);
    xres_cpu_meter_init(&m, XRES_CPU_HIST_DEFAULT);
    xres_cpu_settings_init(&s);
    xres_cpu_result_init(&r);
    xres_actions_init(&a);
    h.nr_cpus = 64;
    h.sched = XRES_SCHED_CREDIT;
    s.load_mode = XRES_LOAD_AVERAGE;
    for (size_t i = 0; i < ndom; i++) {
        xres_domain *d = xres_host_add_domain(&h, (uint32_t)i);
        if (!d) goto out;
        snprintf(d->name, sizeof(d->name), "dom%zu", i);
        d->vcpus_online = d->vcpus_max = 1 + i % 4;
        d->weight = 256;
        xres_cpu_policy_init(&pols[i]);
        switch (i % 4) {
        case 1:
            xres_cpu_policy_parse("demand min=10 max=300 step=10", &pols[i],
                                  NULL, 0);
            break;
        case 2:
            pols[i].kind = XRES_CPU_POLICY_SHARES;
            pols[i].priority = 100 + (unsigned)i;
            break;
        case 3:
            xres_cpu_policy_parse("fixed weight=512 cap=100", &pols[i],
                                  NULL, 0);
            break;
        }
    }
    /* Pass -1 fills the meter and is not timed: the figure is a pass in
     * the steady state, with every domain already known. */
    for (int p = -1; p < passes; p++) {
        if (p == 0) t0 = now_s();
        h.now_ms += 10000;
        for (size_t i = 0; i < ndom; i++)
            h.domains[i].cpu_time_ns += (uint64_t)((i * 7919 + (size_t)(p + 1) *
                                                    104729) % 100) *
                                        100000000ULL;
        if (xres_cpu_meter_update(&m, &h)) goto out;
        xres_actions_clear(&a);
        if (xres_cpu_policy_run(&h, &s, pols, &m, NULL, &r, &a)) goto out;
        nact += a.n;
        /* Apply, as the backend would. */
        for (size_t k = 0; k < a.n; k++) {
            xres_domain *d = xres_host_find(&h, a.v[k].domid);
            if (a.v[k].u.sched.weight >= 0) d->weight = a.v[k].u.sched.weight;
            if (a.v[k].u.sched.cap >= 0) d->cap = a.v[k].u.sched.cap;
        }
    }
    t1 = now_s();
    *us = (t1 - t0) / passes * 1e6;
    *acts = (double)nact / passes;
    rc = 0;
out:
    xres_actions_dispose(&a);
    xres_cpu_result_dispose(&r);
    xres_cpu_meter_dispose(&m);
    xres_host_dispose(&h);
    free(pols);
    return rc;
}

int main(void)
{
    double us[BENCH_NSIZES], acts[BENCH_NSIZES];

    printf("CPU pass (sample + policies), per pass\n%8s", "domains");
    bench_head("pass_us");
    printf(" %10s\n", "actions");
    for (size_t i = 0; i < BENCH_NSIZES; i++) {
        unsigned n = bench_sizes[i];
        if (run(n, n >= 10000 ? 10 : n >= 1000 ? 40 : 400, &us[i],
                &acts[i])) {
            fprintf(stderr, "bench_cpu: failed\n");
            return 1;
        }
        printf("%8u", n);
        bench_cell(us[i], i ? us[i - 1] : 0);
        printf(" %10.1f\n", acts[i]);
    }
    /* The size the goal is set at: under 500 us a pass. */
    if (run(2000, 40, &us[0], &acts[0])) return 1;
    printf("%8u %10.3f %6s %10.1f  (goal: under 500 us)\n", 2000u, us[0],
           "", acts[0]);
    return 0;
}
