/*
 * dom0/cli/cli_pool.c: the xres commands of memory pools: pool-create,
 * pool-list, pool-show, pool-start and pool-delete (docs/xres-pool.md).
 * Each sends one request to xresd; the deadline is turned into a time
 * from now here, on the operator's clock.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

static int size_arg(const xres_cmd *c, const char *what, const char *s,
                    uint64_t *kb)
{
    if (xres_parse_size_kb(s, 'm', kb) || !*kb || *kb % 4)
        return xres_cli_usage_error(c, "%s: `%s' is not a size (like 512M or "
                                    "2G; a bare number is MiB)", what, s);
    return 0;
}

static int cmd_pool_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "size", required_argument, NULL, 's' },
        { "by", required_argument, NULL, 'b' },
        { "in", required_argument, NULL, 'i' },
        { "step", required_argument, NULL, 'c' },
        { "every", required_argument, NULL, 'e' },
        { "priority", required_argument, NULL, 'p' },
        { "config", required_argument, NULL, 'f' },
        { "domain", required_argument, NULL, 'd' },
        { "start-when-full", no_argument, NULL, 'w' },
        { "on-short", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *c = xres_cli_find("pool-create");
    uint64_t size = 0, step = 0, every = 0, secs = 0, prio = 0;
    const char *cfg = NULL, *dom = NULL, *on_short = NULL;
    char path[PATH_MAX];
    bool when_full = false, json = false, have_step = false, have_prio = false;
    bool have_by = false;
    yajl_val r;
    int o, rc;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if ((rc = size_arg(c, "--size", optarg, &size))) return rc;
            break;
        case 'c':
            if ((rc = size_arg(c, "--step", optarg, &step))) return rc;
            have_step = true;
            break;
        case 'b':
        case 'i':
            if (have_by)
                return xres_cli_usage_error(c, "give one of --by and --in");
            have_by = true;
            rc = o == 'b' ? xres_parse_time_s(optarg, &secs)
                          : xres_parse_duration_s(optarg, &secs);
            if (rc)
                return xres_cli_usage_error(c, "%s: `%s' is %s", o == 'b'
                                            ? "--by" : "--in", optarg,
                                            rc == -ERANGE ? "not in the future"
                                            : "not a time (HH:MM, YYYY-MM-DD "
                                            "HH:MM, @EPOCH) or duration (90s, "
                                            "15m, 2h)");
            break;
        case 'e':
            if (xres_parse_duration_s(optarg, &every))
                return xres_cli_usage_error(c, "--every: `%s' is not a "
                                            "duration", optarg);
            break;
        case 'p': {
            char *e;
            prio = strtoull(optarg, &e, 10);
            if (*e || !*optarg || prio > 1000)
                return xres_cli_usage_error(c, "--priority is 0..1000");
            have_prio = true;
            break;
        }
        case 'f': cfg = optarg; break;
        case 'd': dom = optarg; break;
        case 'w': when_full = true; break;
        case 'o': on_short = optarg; break;
        case 'j': json = true; break;
        case 'h': xres_cli_usage(c, stdout); return 0;
        default: return xres_cli_usage_error(c, "unknown option");
        }
    }
    if (argc - optind != 1) return xres_cli_usage_error(c, "need NAME");
    if (!have_by) return xres_cli_usage_error(c, "need --by or --in");
    if (!cfg == !dom)
        return xres_cli_usage_error(c, "need one of --config and --domain");
    if (!size && dom) return xres_cli_usage_error(c, "need --size");
    if (cfg && !realpath(cfg, path)) {
        fprintf(stderr, "xres: %s: %s\n", cfg, strerror(errno));
        return XRES_EXIT_FAIL;
    }
    yajl_gen g = xres_cli_req_begin("pool-create");
    xres_json_kv_str(g, "name", argv[optind]);
    if (size) xres_json_kv_u64(g, "size_kb", size);
    if (have_step) xres_json_kv_u64(g, "step_kb", step);
    if (every) xres_json_kv_u64(g, "every_ms", every * 1000);
    if (have_prio) xres_json_kv_u64(g, "priority", prio);
    xres_json_kv_u64(g, "in_ms", secs * 1000);
    if (cfg) xres_json_kv_str(g, "config", path);
    if (dom) xres_json_kv_str(g, "domain", dom);
    if (when_full) xres_json_kv_bool(g, "start_when_full", true);
    if (on_short) xres_json_kv_str(g, "on_short", on_short);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) return xres_cli_print_json(r);
    printf("pool %s created\n", argv[optind]);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

/* "123s", "-5s" or "-" for a time from now in ms (null: "-"). */
static void fmt_in(yajl_val o, const char *k, char *buf, size_t len)
{
    long long v;

    if (xres_json_get_int(o, k, &v)) {
        snprintf(buf, len, "%s", xres_json_get_bool(o, "forecast_never", false)
                 && !strcmp(k, "forecast_in_ms") ? "never" : "-");
        return;
    }
    snprintf(buf, len, "%llds", v >= 0 ? (v + 999) / 1000 : -((-v) / 1000));
}

static void print_row(yajl_val p)
{
    const char *s;
    char dl[24], fc[24];

    fmt_in(p, "deadline_in_ms", dl, sizeof(dl));
    fmt_in(p, "forecast_in_ms", fc, sizeof(fc));
    s = xres_json_get_str(p, "name");
    printf("%-16s %-10s %5" PRIu64 " %4" PRIu64 " %9llu %9llu %6" PRIu64
           " %9s %9s %-4s %s\n", s ? s : "?",
           xres_json_get_str(p, "phase") ? xres_json_get_str(p, "phase") : "?",
           xres_cli_u64(p, "queue"), xres_cli_u64(p, "priority"),
           xres_cli_mib(xres_cli_u64(p, "held_kb")),
           xres_cli_mib(xres_cli_u64(p, "size_kb")), xres_cli_u64(p, "pieces"),
           dl, fc,
           xres_json_get_bool(p, "at_risk", false) ? "yes" : "no",
           xres_json_get_str(p, "domain") ? xres_json_get_str(p, "domain")
                                          : "");
}

static void print_header(void)
{
    printf("%-16s %-10s %5s %4s %9s %9s %6s %9s %9s %-4s %s\n", "Name",
           "Phase", "Queue", "Prio", "Held(MiB)", "Size(MiB)", "Pieces",
           "Deadline", "Forecast", "Risk", "Domain");
}

static int cmd_pool_list(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("pool-list");
    bool json = false;
    yajl_val r, a;
    int rc;

    if ((rc = xres_cli_json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc != optind) return xres_cli_usage_error(c, "no arguments");
    if ((rc = xres_cli_call(xres_cli_req_begin("pool-list"), &r))) return rc;
    if (json) return xres_cli_print_json(r);
    a = xres_json_get(r, "pools");
    print_header();
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++)
        print_row(a->u.array.values[i]);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int cmd_pool_show(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("pool-show");
    bool json = false;
    yajl_val r, p, h;
    char dl[24], fc[24];
    int rc;

    if ((rc = xres_cli_json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc - optind != 1) return xres_cli_usage_error(c, "need NAME");
    yajl_gen g = xres_cli_req_begin("pool-show");
    xres_json_kv_str(g, "name", argv[optind]);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) return xres_cli_print_json(r);
    p = xres_json_get(r, "pool");
    fmt_in(p, "deadline_in_ms", dl, sizeof(dl));
    fmt_in(p, "forecast_in_ms", fc, sizeof(fc));
    print_header();
    print_row(p);
    printf("\nstep %llu MiB every %" PRIu64 " s; on short: %s%s\n",
           xres_cli_mib(xres_cli_u64(p, "step_kb")),
           xres_cli_u64(p, "every_ms") / 1000,
           xres_json_get_str(p, "on_short") ? xres_json_get_str(p, "on_short")
                                            : "?",
           xres_json_get_bool(p, "start_when_full", false)
           ? "; starts when full" : "");
    printf("deadline in %s, forecast full in %s%s\n", dl, fc,
           xres_json_get_bool(p, "at_risk", false) ? " (at-risk)" : "");
    if (xres_json_get_str(p, "message") && *xres_json_get_str(p, "message"))
        printf("%s\n", xres_json_get_str(p, "message"));
    h = xres_json_get(p, "history");
    if (YAJL_IS_ARRAY(h) && h->u.array.len) printf("history (s ago, MiB):");
    for (size_t i = 0; YAJL_IS_ARRAY(h) && i < h->u.array.len; i++) {
        yajl_val e = h->u.array.values[i];
        if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2) continue;
        printf(" %lld:%llu", -YAJL_GET_INTEGER(e->u.array.values[0]) / 1000,
               xres_cli_mib((unsigned long long)
                            YAJL_GET_INTEGER(e->u.array.values[1])));
    }
    if (YAJL_IS_ARRAY(h) && h->u.array.len) printf("\n");
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int name_cmd(const char *cmd, int argc, char **argv, const char *done)
{
    const xres_cmd *c = xres_cli_find(cmd);
    bool json = false;
    yajl_val r;
    int rc;

    if ((rc = xres_cli_json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc - optind != 1) return xres_cli_usage_error(c, "need NAME");
    yajl_gen g = xres_cli_req_begin(cmd);
    xres_json_kv_str(g, "name", argv[optind]);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) return xres_cli_print_json(r);
    printf("pool %s: %s\n", argv[optind], done);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int cmd_pool_start(int argc, char **argv)
{
    return name_cmd("pool-start", argc, argv, "handover started");
}

static int cmd_pool_delete(int argc, char **argv)
{
    return name_cmd("pool-delete", argc, argv, "deleted; its memory is "
                    "back to balancing");
}

const xres_cmd xres_cmds_pool[] = {
    { "pool-create", cmd_pool_create,
      "NAME --size SIZE (--by TIME | --in DURATION) [--step SIZE] "
      "[--every DURATION] [--priority N] [--start-when-full] "
      "[--on-short start|wait|fail] [--json] (--config XL_CFG | --domain DOM)",
      "Create a pool that gathers memory for a domain",
      "Gathers SIZE of memory by the deadline and holds it with Xen claims,\n"
      "where nothing else can take it.  When the host can give SIZE in one\n"
      "round it is taken at once; otherwise at most --step (default 64M)\n"
      "every --every (default 10s), from free memory above the reserve and\n"
      "from donors with memory to spare, never below their guarantee.\n"
      "At the deadline, on pool-start, or when full with --start-when-full,\n"
      "the memory goes to the domain: --config creates it with `xl create`\n"
      "and the pool's memory (SIZE defaults to the file's memory);\n"
      "--domain raises a running domain's target and guarantee.\n"
      "--on-short says what happens at a deadline the pool missed: start\n"
      "with what there is (at least the config's memory), wait (the\n"
      "default) or fail and give the memory back.  --priority: higher\n"
      "pools are served first (0..1000).  TIME is HH:MM, YYYY-MM-DD HH:MM\n"
      "or @EPOCH; DURATION is 90s, 15m, 2h or 1d." },
    { "pool-list", cmd_pool_list, "[--json]",
      "List memory pools in queue order",
      "One line per pool: phase, place in the queue, priority, memory held\n"
      "and asked for, pieces (placeholder domains), time to the deadline,\n"
      "forecast time to full, and whether it is at-risk.  --json gives\n"
      "xresd's figures in KiB and ms, and each pool's history." },
    { "pool-show", cmd_pool_show, "[--json] NAME",
      "Show one memory pool and its forecast",
      "The pool-list line, the schedule, the deadline and the forecast,\n"
      "the last message and the history of held memory.  --json gives\n"
      "the same as pool-list --json for this pool." },
    { "pool-start", cmd_pool_start, "[--json] NAME",
      "Hand a pool's memory to its domain now", NULL },
    { "pool-delete", cmd_pool_delete, "[--json] NAME",
      "Delete a pool; its memory goes back to balancing", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};
