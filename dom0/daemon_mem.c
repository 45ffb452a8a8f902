/*
 * dom0/daemon_mem.c: the xresd subsystem for memory by demand: balloon targets from agent reports.
 *
 * Empty registration: every hook is NULL until this area is built.  See
 * dom0/subsys.h for the hooks.
 */
#include "subsys.h"

const xres_subsys xres_subsys_mem = {
    .name = "mem",
};
