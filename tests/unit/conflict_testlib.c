/*
 * tests/unit/conflict_testlib.c: hosts and domains for the conflict and
 * relocation tests (conflict_testlib.h).
 */
#include <stdio.h>
#include <string.h>

#include "conflict_testlib.h"

void ct_host(xres_cluster_figures *f, const char *name, uint32_t node,
             unsigned cpus, unsigned cpu_use, unsigned mem_use)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->host, sizeof(f->host), "%s", name);
    f->nodeid = node;
    f->seq = 1;
    f->mem_total_kb = CT_TOTAL_KB;
    f->mem_free_kb = CT_TOTAL_KB * (100 - mem_use) / 100;
    f->nr_cpus = cpus;
    f->cpu_allocable_pct = cpus * (100 - cpu_use);
    f->cpu_use_pct = cpu_use;
    f->mem_use_pct = mem_use;
    f->live = true;
}

xres_cluster_dom *ct_dom(xres_cluster_figures *f, const char *name,
                         unsigned cpu_pct, uint64_t mem_kb,
                         xres_cluster_movable mv)
{
    xres_cluster_dom *d = &f->doms[f->ndoms++];

    snprintf(d->name, sizeof(d->name), "%s", name);
    d->domid = (uint32_t)f->ndoms;
    d->mem_kb = d->max_kb = mem_kb;
    d->cpu_pct = cpu_pct;
    d->vcpus = (cpu_pct + 99) / 100 ? (cpu_pct + 99) / 100 : 1;
    d->movable = mv;
    f->mem_domains_kb += mem_kb;
    return d;
}

void ct_obs(xres_conflict_obs *o, uint32_t self, xres_cluster_figures *h,
            size_t n)
{
    memset(o, 0, sizeof(*o));
    o->self = self;
    for (size_t i = 0; i < n; i++) {
        o->fig[o->n++] = &h[i];
        if (!o->decider || h[i].nodeid < o->decider)
            o->decider = h[i].nodeid;
    }
}
