/*
 * dom0/policy/mem_classify.h: private to the balancing decision
 * (policy_mem.c): one domain's figures as the decision works on them, and
 * how a domain is classified as receiver, donor or neither.
 */
#ifndef XRES_MEM_CLASSIFY_H
#define XRES_MEM_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "policy_mem.h"

typedef struct {
    size_t idx;             /* in h->domains */
    uint64_t a;             /* planned target */
    uint64_t used;          /* demand: in use, and swap in use (bounded) */
    uint64_t swap;          /* of which swap in use */
    uint64_t lo, hi;        /* min, max */
    uint64_t need;          /* still wanted */
    uint64_t give;          /* still offered */
    uint64_t room;          /* give, exactly: not in whole blocks */
    uint64_t want;          /* the target at which u < high */
    uint64_t keep;          /* never asked below: min, and with a report
                               of MemTotal what the guest holds outside
                               it plus what it uses */
    uint64_t share;         /* short mode: its share */
    double u;
    double wd;              /* weight x used */
    unsigned prio;
    bool guarantee;         /* below its min */
    bool forced;            /* above its max */
    bool receiver;
} mdom;

/* Can the decision move d's memory this round? */
bool mem_eligible(const xres_domain *d, const xres_mem_params *p);
/* Fills x from d: its figures, and whether it receives (need) or gives
 * (give).  x->idx is the caller's. */
void mem_classify(mdom *x, const xres_domain *d, const xres_mem_params *p);
/* The swap in use counted as demand on top of used, for a domain whose
 * max is hi: at most what lifts used + swap to hi (docs/xres-mem.md). */
uint64_t mem_swap_demand(uint64_t used, uint64_t swap, uint64_t hi);

#endif
