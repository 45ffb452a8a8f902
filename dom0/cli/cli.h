/*
 * dom0/cli/cli.h: the xres command's building blocks.
 *
 * Each feature area declares a NULL-terminated table of commands in
 * dom0/cli/cli_<area>.c; dom0/cli/cli_help.c joins the tables into the
 * groups `xres help` shows, and dom0/cli/xres_main.c handles `xres CMD
 * --help` and unknown commands.  A command talks to xresd with the
 * helpers below, so most commands are a few lines:
 *
 *   yajl_gen g = xres_cli_req_begin("mem-move");
 *   xres_json_kv_str(g, "src", argv[1]);
 *   ...
 *   yajl_val reply;
 *   int rc = xres_cli_call(g, &reply);    (prints any error itself)
 *   if (rc) return rc;
 *   ... use reply ...
 *   yajl_tree_free(reply);
 *
 * Exit codes, as xl: 0 success, 1 failure (including "xresd is not
 * running"), 2 usage error.
 */
#ifndef XRES_CLI_H
#define XRES_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ipc.h"

#define XRES_EXIT_OK 0
#define XRES_EXIT_FAIL 1
#define XRES_EXIT_USAGE 2

typedef struct {
    const char *name;           /* "list" */
    /* argv[0] is the command name; getopt may be used (optind is reset
     * before the call). */
    int (*fn)(int argc, char **argv);
    const char *args;           /* "[--json] [DOM...]" */
    /* One line for `xres help`: imperative, capital first letter, no
     * final period, under 60 characters ("Move memory from ..."). */
    const char *summary;
    const char *help;           /* the rest of `xres CMD --help`, may be NULL */
} xres_cmd;

/* The tables; each ends with an entry whose name is NULL. */
extern const xres_cmd xres_cmds_list[];
extern const xres_cmd xres_cmds_mem[];
extern const xres_cmd xres_cmds_sched[];
extern const xres_cmd xres_cmds_pair[];
extern const xres_cmd xres_cmds_pool[];
extern const xres_cmd xres_cmds_cluster[];
extern const xres_cmd xres_cmds_conflict[];
extern const xres_cmd xres_cmds_help[];

/* The areas `xres help` lists, each a heading and its table; ends with
 * an entry whose title is NULL.  Every command is in one group. */
typedef struct {
    const char *title;          /* "Memory" */
    const xres_cmd *cmds;
} xres_cmd_group;

extern const xres_cmd_group xres_cmd_groups[];

/* `xres help`: the usage lines, global options and the grouped
 * commands. */
void xres_cli_help(FILE *f);

/* `xres complete WHAT`, for the shell's completion (hidden from `xres
 * help`): prints one word a line.  See cli_complete.c. */
int xres_cli_complete(int argc, char **argv);
/* The options a command's usage line names, then --help, space
 * separated, into buf.  Returns the length written (truncated to
 * len - 1). */
size_t xres_cli_options(const xres_cmd *c, char *buf, size_t len);
extern const xres_cmd xres_cmds_top[];
extern const xres_cmd xres_cmds_metrics[];
extern const xres_cmd xres_cmds_stats[];

/* The socket to use: --socket, else $XRES_SOCKET, else the default. */
void xres_cli_set_socket(const char *path);
const char *xres_cli_socket(void);

/* A request map with "cmd" already in it.  Never NULL (exits on ENOMEM). */
yajl_gen xres_cli_req_begin(const char *cmd);
/* Closes the map, sends it, frees g and parses the reply.  On
 * {"ok":true} returns 0 with *reply set (yajl_tree_free it).  Otherwise
 * prints "xres: ..." to stderr and returns XRES_EXIT_FAIL. */
int xres_cli_call(yajl_gen g, yajl_val *reply);
/* The same, printing nothing: on failure the reason, without the "xres: "
 * prefix, is in err (for `xres top`, which cannot print while it owns
 * the screen). */
int xres_cli_call_msg(yajl_gen g, yajl_val *reply, char *err,
                      size_t errlen);

/* Prints "usage: xres NAME ARGS" and the help text. */
/* The options of a command that takes only --json and --help: 0 (with
 * *json set), -1 after printing the usage for --help, or
 * XRES_EXIT_USAGE after an unknown option. */
int xres_cli_json_opt(const xres_cmd *c, int argc, char **argv, bool *json);
void xres_cli_usage(const xres_cmd *c, FILE *f);
/* For a command's own argument errors: prints the message and the usage
 * line to stderr, returns XRES_EXIT_USAGE. */
int xres_cli_usage_error(const xres_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The entry of a table by name (for usage_error inside a command). */
const xres_cmd *xres_cli_find(const char *name);

/* Prints xresd's reply as indented JSON, without its "ok"; for the
 * --json of listing commands.  Returns the exit code. */
int xres_cli_print_json(yajl_val reply);

/* A reply's field for the text columns: the number, or 0 when it is
 * missing; the string, or "-" when it is missing or empty. */
uint64_t xres_cli_u64(yajl_val o, const char *k);
const char *xres_cli_str(yajl_val o, const char *k);

/* Size in MiB for the text columns: floor(kb / 1024). */
unsigned long long xres_cli_mib(unsigned long long kb);

#endif
