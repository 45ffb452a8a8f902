/*
 * dom0/cli/xres_main.c: entry point of xres, the command.  Handles global
 * options, `xres CMD --help`, the hidden `xres complete` and unknown
 * commands (exit 2, as xl); the commands are cli_help.c's groups.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) return false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *c;
    int opt;

    /* '+': stop at the command name; its options are its own. */
    while ((opt = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            xres_cli_set_socket(optarg);
            break;
        case 'h':
            xres_cli_help(stdout);
            return XRES_EXIT_OK;
        case 'V':
            printf("xres %s\n", XRES_VERSION);
            return XRES_EXIT_OK;
        default:
            xres_cli_help(stderr);
            return XRES_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        xres_cli_help(stderr);
        return XRES_EXIT_USAGE;
    }
    argc -= optind;
    argv += optind;

    /* Not a command of the tables: for the shell's completion only. */
    if (!strcmp(argv[0], "complete"))
        return xres_cli_complete(argc, argv);
    c = xres_cli_find(argv[0]);
    if (!c) {
        fprintf(stderr, "xres: unknown command `%s'; see `xres help'\n",
                argv[0]);
        return XRES_EXIT_USAGE;
    }
    if (wants_help(argc, argv)) {
        xres_cli_usage(c, stdout);
        return XRES_EXIT_OK;
    }
    optind = 0;     /* full reset of getopt for the command */
    return c->fn(argc, argv);
}
