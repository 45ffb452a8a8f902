/*
 * dom0/cli/cli_mem.c: the xres commands of memory by demand: mem-move,
 * mem-set, balance, mem-policy and mem-moves (with --json).  Each sends one request to
 * xresd; mem-move and mem-set then follow the move until the donor has
 * been confirmed and the receiver raised (or the move failed).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

#define WAIT_POLL_MS 200
#define WAIT_MAX_MS (10 * 60 * 1000)

static const struct option wait_opts[] = {
    { "no-wait", no_argument, NULL, 'n' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int parse_size(const xres_cmd *c, const char *what, const char *s,
                      uint64_t *kb)
{
    if (xres_parse_size_kb(s, 'm', kb) || !*kb)
        return xres_cli_usage_error(c, "%s: `%s' is not a size (like 64M, "
                                    "512K or 1G; a bare number is MiB)",
                                    what, s);
    return 0;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static void print_move(yajl_val m)
{
    uint64_t id = 0, kb = 0;
    const char *st = xres_json_get_str(m, "state");
    const char *msg = xres_json_get_str(m, "message");
    char size[32];

    xres_json_get_u64(m, "id", &id);
    xres_json_get_u64(m, "kb", &kb);
    xres_format_size_kb(kb, size, sizeof(size));
    printf("move %" PRIu64 ": %s %s -> %s %s (%s)%s%s\n", id,
           st ? st : "?", xres_json_get_str(m, "src") ?: "?",
           xres_json_get_str(m, "dst") ?: "?", size,
           xres_json_get_str(m, "origin") ?: "?", msg && *msg ? ": " : "",
           msg ? msg : "");
}

/* Follow move id until it ends.  Returns the exit code. */
static int follow(uint64_t id)
{
    for (unsigned waited = 0; waited < WAIT_MAX_MS; waited += WAIT_POLL_MS) {
        yajl_gen g = xres_cli_req_begin("mem-moves");
        yajl_val r, mv;
        int rc;

        xres_json_kv_u64(g, "id", id);
        if ((rc = xres_cli_call(g, &r))) return rc;
        mv = xres_json_get(r, "moves");
        if (!YAJL_IS_ARRAY(mv) || mv->u.array.len != 1) {
            fprintf(stderr, "xres: move %" PRIu64 " vanished\n", id);
            yajl_tree_free(r);
            return XRES_EXIT_FAIL;
        }
        const char *st = xres_json_get_str(mv->u.array.values[0], "state");
        if (st && (!strcmp(st, "done") || !strcmp(st, "failed"))) {
            bool done = !strcmp(st, "done");
            const char *msg = xres_json_get_str(mv->u.array.values[0],
                                                "message");
            if (done) printf("%s\n", msg ? msg : "done");
            else fprintf(stderr, "xres: move %" PRIu64 " failed: %s\n", id,
                         msg ? msg : "?");
            yajl_tree_free(r);
            return done ? XRES_EXIT_OK : XRES_EXIT_FAIL;
        }
        yajl_tree_free(r);
        sleep_ms(WAIT_POLL_MS);
    }
    fprintf(stderr, "xres: move %" PRIu64 " still in flight after %d s; "
            "see `xres mem-moves %" PRIu64 "'\n", id, WAIT_MAX_MS / 1000, id);
    return XRES_EXIT_FAIL;
}

/* The actions of a dry run, one a line. */
static void print_actions(yajl_val r)
{
    yajl_val a = xres_json_get(r, "actions");

    if (YAJL_IS_ARRAY(a))
        for (size_t i = 0; i < a->u.array.len; i++)
            if (YAJL_IS_STRING(a->u.array.values[i]))
                printf("%s\n", YAJL_GET_STRING(a->u.array.values[i]));
}

static int start_and_follow(yajl_gen g, bool wait, bool dry)
{
    yajl_val r;
    uint64_t id = 0;
    int rc;

    if ((rc = xres_cli_call(g, &r))) return rc;
    if (dry) {
        print_actions(r);
        yajl_tree_free(r);
        return XRES_EXIT_OK;
    }
    if (xres_json_get_u64(r, "move", &id)) {
        const char *msg = xres_json_get_str(r, "message");
        printf("%s\n", msg ? msg : "nothing to do");
        yajl_tree_free(r);
        return XRES_EXIT_OK;
    }
    yajl_tree_free(r);
    if (!wait) {
        printf("move %" PRIu64 " started; see `xres mem-moves %" PRIu64
               "'\n", id, id);
        return XRES_EXIT_OK;
    }
    return follow(id);
}

static int cmd_mem_move(int argc, char **argv)
{
    static const struct option opts[] = {
        { "no-wait", no_argument, NULL, 'n' },
        { "dry-run", no_argument, NULL, 'd' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *c = xres_cli_find("mem-move");
    bool wait = true, dry = false;
    uint64_t kb;
    int o, rc;

    while ((o = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
        if (o == 'n') wait = false;
        else if (o == 'd') dry = true;
        else if (o == 'h') { xres_cli_usage(c, stdout); return 0; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    if (argc - optind != 3)
        return xres_cli_usage_error(c, "need SRC, DST and SIZE");
    if ((rc = parse_size(c, "SIZE", argv[optind + 2], &kb))) return rc;
    yajl_gen g = xres_cli_req_begin("mem-move");
    xres_json_kv_str(g, "src", argv[optind]);
    xres_json_kv_str(g, "dst", argv[optind + 1]);
    xres_json_kv_u64(g, "kb", kb);
    if (dry) xres_json_kv_bool(g, "dry_run", true);
    return start_and_follow(g, wait, dry);
}

static int cmd_mem_set(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("mem-set");
    bool wait = true;
    uint64_t kb;
    int o, rc;

    while ((o = getopt_long(argc, argv, "nh", wait_opts, NULL)) != -1) {
        if (o == 'n') wait = false;
        else if (o == 'h') { xres_cli_usage(c, stdout); return 0; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    if (argc - optind != 2)
        return xres_cli_usage_error(c, "need DOM and SIZE");
    if ((rc = parse_size(c, "SIZE", argv[optind + 1], &kb))) return rc;
    yajl_gen g = xres_cli_req_begin("mem-set");
    xres_json_kv_str(g, "dom", argv[optind]);
    xres_json_kv_u64(g, "kb", kb);
    return start_and_follow(g, wait, false);
}

static int cmd_balance(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *c = xres_cli_find("balance");
    bool dry = false;
    yajl_val r, a;
    int o, rc;

    while ((o = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
        if (o == 'n') dry = true;
        else if (o == 'h') { xres_cli_usage(c, stdout); return 0; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    if (optind != argc) return xres_cli_usage_error(c, "no arguments taken");
    yajl_gen g = xres_cli_req_begin("balance");
    xres_json_kv_bool(g, "dry_run", dry);
    if ((rc = xres_cli_call(g, &r))) return rc;
    print_actions(r);
    a = xres_json_get(r, "started");
    if (!dry && YAJL_IS_ARRAY(a) && a->u.array.len) {
        printf("started move(s):");
        for (size_t i = 0; i < a->u.array.len; i++)
            if (YAJL_IS_INTEGER(a->u.array.values[i]))
                printf(" %lld", YAJL_GET_INTEGER(a->u.array.values[i]));
        printf("; see `xres mem-moves'\n");
    }
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int cmd_mem_policy(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("mem-policy");
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    yajl_val r;
    int o, rc;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') { xres_cli_usage(c, stdout); return 0; }
        return xres_cli_usage_error(c, "unknown option");
    }
    if (argc - optind < 1) return xres_cli_usage_error(c, "need DOM");
    yajl_gen g = xres_cli_req_begin("mem-policy");
    xres_json_kv_str(g, "dom", argv[optind]);
    for (int i = optind + 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        uint64_t v;
        char *end;
        if (!eq) {
            yajl_gen_free(g);
            return xres_cli_usage_error(c, "`%s' is not KEY=VALUE", argv[i]);
        }
        size_t kl = (size_t)(eq - argv[i]);
        const char *val = eq + 1;
        if ((kl == 3 && !strncmp(argv[i], "min", 3)) ||
            (kl == 3 && !strncmp(argv[i], "max", 3))) {
            if (xres_parse_size_kb(val, 'm', &v)) {
                yajl_gen_free(g);
                return xres_cli_usage_error(c, "%.*s: `%s' is not a size "
                                            "(like 512M or 2G)", (int)kl,
                                            argv[i], val);
            }
            xres_json_kv_u64(g, argv[i][1] == 'i' ? "min_kb" : "max_kb", v);
        } else if ((kl == 8 && !strncmp(argv[i], "priority", 8)) ||
                   (kl == 6 && !strncmp(argv[i], "weight", 6))) {
            v = strtoull(val, &end, 10);
            if (*val < '0' || *val > '9' || *end || v > 65535 ||
                (kl == 6 && v == 0)) {
                yajl_gen_free(g);
                return xres_cli_usage_error(c, "%.*s: `%s' must be a whole "
                                            "number (%s..65535)", (int)kl,
                                            argv[i], val,
                                            kl == 6 ? "1" : "0");
            }
            xres_json_kv_u64(g, kl == 6 ? "weight" : "priority", v);
        } else {
            yajl_gen_free(g);
            return xres_cli_usage_error(c, "unknown key `%.*s' (min, max, "
                                        "priority, weight)", (int)kl,
                                        argv[i]);
        }
    }
    if ((rc = xres_cli_call(g, &r))) return rc;
    uint64_t mn = 0, mx = 0, emx = 0, pr = 0, w = 0;
    char a[32], b[64];
    xres_json_get_u64(r, "min_kb", &mn);
    xres_json_get_u64(r, "max_kb", &mx);
    xres_json_get_u64(r, "priority", &pr);
    xres_json_get_u64(r, "weight", &w);
    xres_format_size_kb(mn, a, sizeof(a));
    if (mx) xres_format_size_kb(mx, b, sizeof(b));
    else if (!xres_json_get_u64(r, "effective_max_kb", &emx)) {
        char e[32];
        xres_format_size_kb(emx, e, sizeof(e));
        snprintf(b, sizeof(b), "static-max (%s)", e);
    } else snprintf(b, sizeof(b), "static-max");
    printf("%s: min=%s max=%s priority=%" PRIu64 " weight=%" PRIu64 "\n",
           xres_json_get_str(r, "name") ?: argv[optind], a, b, pr, w);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int cmd_mem_moves(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("mem-moves");
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    yajl_val r, mv;
    uint64_t id = 0;
    bool json = false;
    int o, rc;
    char *end;

    while ((o = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if (o == 'j') json = true;
        else if (o == 'h') { xres_cli_usage(c, stdout); return 0; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    if (argc - optind > 1) return xres_cli_usage_error(c, "one ID at most");
    if (argc - optind == 1) {
        id = strtoull(argv[optind], &end, 10);
        if (*end || !id)
            return xres_cli_usage_error(c, "`%s' is not a move id",
                                        argv[optind]);
    }
    yajl_gen g = xres_cli_req_begin("mem-moves");
    if (id) xres_json_kv_u64(g, "id", id);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) {
        rc = xres_cli_print_json(r);
        yajl_tree_free(r);
        return rc;
    }
    mv = xres_json_get(r, "moves");
    if (YAJL_IS_ARRAY(mv))
        for (size_t i = 0; i < mv->u.array.len; i++)
            print_move(mv->u.array.values[i]);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

const xres_cmd xres_cmds_mem[] = {
    { "mem-move", cmd_mem_move, "[--no-wait] [--dry-run] SRC DST SIZE",
      "Move memory from one domain to another",
      "Lowers SRC's balloon target by SIZE, waits until Xen shows SRC's\n"
      "memory at the lower figure, then raises DST's target by SIZE.\n"
      "Fails, changing nothing, if SRC would go below its guarantee (min),\n"
      "DST above its max, or either domain is fixed (dom0, no agent, no\n"
      "balloon driver), not responding, or already in a move.\n"
      "SIZE takes K, M, G suffixes like xl; a bare number is MiB.\n"
      "\n"
      "  -n, --no-wait   return once the move has started\n"
      "      --dry-run   print the actions the move would run, one per\n"
      "                  line as `balance --dry-run' does; change nothing\n" },
    { "mem-set", cmd_mem_set, "[--no-wait] DOM SIZE",
      "Set a domain's memory target, to or from free memory",
      "Lowering gives the memory back to Xen once the balloon got there;\n"
      "raising takes it from Xen's free memory above the reserve and fails\n"
      "if there is not enough.  min and max are respected.\n"
      "\n"
      "  -n, --no-wait   return once the change has started\n" },
    { "balance", cmd_balance, "[--dry-run]",
      "Run one memory balancing round now",
      "Prints the actions of the round, one per line.\n"
      "\n"
      "  -n, --dry-run   print the actions, change nothing\n" },
    { "mem-policy", cmd_mem_policy,
      "DOM [min=SIZE] [max=SIZE] [priority=N] [weight=N]",
      "Show or change a domain's memory policy",
      "min: guarantee, xres never balloons DOM below it.  max: ceiling\n"
      "(0 = static-max).  priority: higher receives memory first.\n"
      "weight: share when memory is short.  Changes are kept in XenStore\n"
      "and survive a restart of xresd; without KEY=VALUE, prints the\n"
      "policy in force.\n" },
    { "mem-moves", cmd_mem_moves, "[--json] [ID]",
      "List memory moves in flight and recently ended",
      "One line per move: its id, state, donor -> receiver, size and\n"
      "origin, and its last message.  With ID, only that move.\n"
      "\n"
      "  -j, --json   print xresd's JSON reply\n" },
    { NULL, NULL, NULL, NULL, NULL },
};
