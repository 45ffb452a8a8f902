/*
 * dom0/daemon/subsystems.c: the feature areas xresd runs, in the order
 * their hooks are called (subsys.h).  A new area registers here; the core
 * itself names none of them.  The metrics come last, so that the file
 * written on a tick has what the other areas' ticks did.
 */
#include <stddef.h>

#include "subsys.h"

const xres_subsys *const xres_default_subsystems[] = {
    &xres_subsys_mem, &xres_subsys_cpu, &xres_subsys_pair, &xres_subsys_pool,
    &xres_subsys_cluster,       /* after the others: shares their figures */
    &xres_subsys_move,          /* after the cluster: uses its view */
    &xres_subsys_conflict,      /* after move: moves domains through it */
    &xres_subsys_metrics,       /* last: its tick sees the others' */
    NULL,
};
