/*
 * dom0/daemon_pair.c: the xresd subsystem for pairs of domains (roles, fencing).
 *
 * Empty registration: every hook is NULL until this area is built.  See
 * dom0/subsys.h for the hooks.
 */
#include "subsys.h"

const xres_subsys xres_subsys_pair = {
    .name = "pair",
};
