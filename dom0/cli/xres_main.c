/*
 * dom0/cli/xres_main.c: entry point of xres, the command.  Joins the command
 * tables of every area (cli_*.c), handles global options, `xres help`,
 * `xres CMD --help` and unknown commands (exit 2, as xl).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const xres_cmd *const *tables(void)
{
    static const xres_cmd *const t[] = {
        xres_cmds_list, xres_cmds_mem, xres_cmds_sched, xres_cmds_pair,
        xres_cmds_metrics, NULL,
    };
    return t;
}

static void usage(FILE *f)
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
            "  -V, --version      print the version\n"
            "\n"
            "Commands:\n");
    for (const xres_cmd *const *t = tables(); *t; t++)
        for (const xres_cmd *c = *t; c->name; c++)
            fprintf(f, "  %-14s %s\n", c->name, c->summary);
    fprintf(f, "  %-14s %s\n", "help", "Show help for xres or a command.");
}

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
            usage(stdout);
            return XRES_EXIT_OK;
        case 'V':
            printf("xres %s\n", XRES_VERSION);
            return XRES_EXIT_OK;
        default:
            usage(stderr);
            return XRES_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return XRES_EXIT_USAGE;
    }
    argc -= optind;
    argv += optind;

    if (!strcmp(argv[0], "help")) {
        if (argc < 2) {
            usage(stdout);
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
