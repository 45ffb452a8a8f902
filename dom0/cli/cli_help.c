/*
 * dom0/cli/cli_help.c: the command groups of xres (one per area, each a
 * table of cli_<area>.c), `xres help` and the lookup of a command by name.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const xres_cmd_group xres_cmd_groups[] = {
    { "Domains", xres_cmds_list },
    { "Memory", xres_cmds_mem },
    { "CPU", xres_cmds_sched },
    { "Hot-standby pairs", xres_cmds_pair },
    { "Memory pools", xres_cmds_pool },
    { "Cluster", xres_cmds_cluster },
    { "Conflicts", xres_cmds_conflict },
    { "Live view", xres_cmds_top },
    { "Metrics", xres_cmds_metrics },
    { "Figures", xres_cmds_stats },
    { "Help", xres_cmds_help },
    { NULL, NULL },
};

void xres_cli_help(FILE *f)
{
    fprintf(f,
            "usage: xres [-s SOCKET] COMMAND [ARGS...]\n"
            "       xres help [COMMAND]\n"
            "       xres COMMAND --help\n"
            "\n"
            "xres manages the memory and CPU of Xen domains through xresd.\n"
            "\n"
            "Options:\n"
            "  -s, --socket PATH  xresd's socket (default: $XRES_SOCKET or "
            "/run/xres/xresd.sock)\n"
            "  -h, --help         this help\n"
            "  -V, --version      print the version\n");
    for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++) {
        fprintf(f, "\n%s:\n", g->title);
        for (const xres_cmd *c = g->cmds; c->name; c++)
            fprintf(f, "  %-14s %s\n", c->name, c->summary);
    }
}

const xres_cmd *xres_cli_find(const char *name)
{
    for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++)
        for (const xres_cmd *c = g->cmds; c->name; c++)
            if (!strcmp(c->name, name)) return c;
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    const xres_cmd *c;

    if (argc < 2) {
        xres_cli_help(stdout);
        return XRES_EXIT_OK;
    }
    c = xres_cli_find(argv[1]);
    if (!c) {
        fprintf(stderr, "xres: unknown command `%s'; see `xres help'\n",
                argv[1]);
        return XRES_EXIT_USAGE;
    }
    xres_cli_usage(c, stdout);
    return XRES_EXIT_OK;
}

const xres_cmd xres_cmds_help[] = {
    { "help", cmd_help, "[COMMAND]", "Show help for xres or a command",
      "Without COMMAND, lists the commands by area; with one, describes "
      "it.\n" },
    { NULL, NULL, NULL, NULL, NULL },
};
