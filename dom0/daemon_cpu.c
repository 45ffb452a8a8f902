/*
 * dom0/daemon_cpu.c: the xresd subsystem for CPU: credit scheduler weights and caps.
 *
 * Empty registration: every hook is NULL until this area is built.  See
 * dom0/subsys.h for the hooks.
 */
#include "subsys.h"

const xres_subsys xres_subsys_cpu = {
    .name = "cpu",
};
