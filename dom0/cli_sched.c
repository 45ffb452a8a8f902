/*
 * dom0/cli_sched.c: the xres commands of the sched area.  Empty table until the
 * area is built; see dom0/cli.h for how a command is written.
 */
#include "cli.h"

const xres_cmd xres_cmds_sched[] = {
    { NULL, NULL, NULL, NULL, NULL },
};
