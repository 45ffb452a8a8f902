/*
 * dom0/daemon/subsystems.c: the feature areas xresd runs, in the order
 * their hooks are called (subsys.h).  A new area registers here; the core
 * itself names none of them.
 */
#include <stddef.h>

#include "subsys.h"

const xres_subsys *const xres_default_subsystems[] = {
    &xres_subsys_mem, &xres_subsys_cpu, &xres_subsys_pair, NULL,
};
