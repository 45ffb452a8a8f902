/*
 * dom0/cli_pair.c: the xres commands of the pair area.  Empty table until the
 * area is built; see dom0/cli.h for how a command is written.
 */
#include "cli.h"

const xres_cmd xres_cmds_pair[] = {
    { NULL, NULL, NULL, NULL, NULL },
};
