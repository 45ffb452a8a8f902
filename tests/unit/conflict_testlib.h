/*
 * tests/unit/conflict_testlib.h: hosts and domains for the conflict and
 * relocation tests (test_conflict.c, test_relocate.c).
 */
#ifndef XRES_CONFLICT_TESTLIB_H
#define XRES_CONFLICT_TESTLIB_H

#include "conflict.h"
#include "relocate.h"

#define CT_TOTAL_KB (16ULL << 20)       /* 16 GiB a host */

/* Host name on node (1..), cpus CPUs, use in % of its maximum; its free
 * memory follows mem_use. */
void ct_host(xres_cluster_figures *f, const char *name, uint32_t node,
             unsigned cpus, unsigned cpu_use, unsigned mem_use);
/* A guest of f: cpu_pct in % of one CPU, memory in KiB. */
xres_cluster_dom *ct_dom(xres_cluster_figures *f, const char *name,
                         unsigned cpu_pct, uint64_t mem_kb,
                         xres_cluster_movable mv);
/* obs of the n hosts, as self. */
void ct_obs(xres_conflict_obs *o, uint32_t self, xres_cluster_figures *h,
            size_t n);

#endif
