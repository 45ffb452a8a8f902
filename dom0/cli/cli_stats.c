/*
 * dom0/cli/cli_stats.c: `xres stats [--json] [--reset]`: how long each
 * step of xresd's path from a guest's report to a balloon target takes
 * (path_stats.h in xresd): count, last, median, 99th percentile and
 * largest, and the snapshot's calls into Xen by kind.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char stats_help[] =
"Prints xresd's figures of its path from a guest's report to a balloon\n"
"target, since it started or since the last --reset:\n"
"  coalesce          a report's watch event until xresd reads the report\n"
"  report-read       reading and checking one report\n"
"  snapshot          one snapshot of the host; below it the calls into\n"
"                    Xen it made, by kind (libxl, libxenctrl, xenstore)\n"
"  policy            one balancing decision\n"
"  report-to-target  a report's watch event until the first target written\n"
"and each kind of action's call.  Times are in microseconds; the median\n"
"and 99th percentile are over the last WINDOW figures of each.\n"
"  -j, --json    print one JSON object (times in nanoseconds)\n"
"  -r, --reset   start the figures again after printing them\n";

static double us(yajl_val o, const char *key)
{
    uint64_t v = 0;

    xres_json_get_u64(o, key, &v);
    return v / 1000.0;
}

static void row(const char *name, yajl_val o)
{
    uint64_t n = 0;

    xres_json_get_u64(o, "count", &n);
    printf("%-18s %9llu %10.1f %10.1f %10.1f %10.1f\n", name,
           (unsigned long long)n, us(o, "last_ns"), us(o, "p50_ns"),
           us(o, "p99_ns"), us(o, "max_ns"));
}

static void print_table(yajl_val reply)
{
    yajl_val steps = xres_json_get(reply, "steps");
    yajl_val calls = xres_json_get(reply, "snapshot_calls");
    yajl_val acts = xres_json_get(reply, "actions");
    yajl_val ctr = xres_json_get(reply, "counters");
    uint64_t span = 0, win = 0, v;

    xres_json_get_u64(reply, "span_ms", &span);
    xres_json_get_u64(reply, "window", &win);
    printf("over %.1f s; median and p99 of the last %llu of each\n",
           span / 1000.0, (unsigned long long)win);
    printf("%-18s %9s %10s %10s %10s %10s\n", "step", "count", "last_us",
           "p50_us", "p99_us", "max_us");
    for (size_t i = 0; YAJL_IS_ARRAY(steps) && i < steps->u.array.len; i++) {
        yajl_val s = steps->u.array.values[i];
        const char *name = xres_json_get_str(s, "name");
        row(name ? name : "?", s);
        if (!name || strcmp(name, "snapshot")) continue;
        for (size_t k = 0; YAJL_IS_ARRAY(calls) && k < calls->u.array.len;
             k++) {
            yajl_val c = calls->u.array.values[k];
            const char *kind = xres_json_get_str(c, "kind");
            char label[40];
            uint64_t last = 0, all = 0;
            xres_json_get_u64(c, "last_calls", &last);
            xres_json_get_u64(c, "calls", &all);
            snprintf(label, sizeof(label), "  %s", kind ? kind : "?");
            row(label, c);
            printf("%-18s %9s calls: %llu in the last snapshot, %llu in all\n",
                   "", "", (unsigned long long)last,
                   (unsigned long long)all);
        }
    }
    for (size_t i = 0; YAJL_IS_ARRAY(acts) && i < acts->u.array.len; i++) {
        yajl_val a = acts->u.array.values[i];
        const char *kind = xres_json_get_str(a, "kind");
        char label[40];
        snprintf(label, sizeof(label), "action %s", kind ? kind : "?");
        row(label, a);
    }
    static const char *const names[] = { "report_events", "reports",
                                         "reports_deferred", "policy_runs" };
    printf("counters:");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        v = 0;
        xres_json_get_u64(ctr, names[i], &v);
        printf(" %s %llu", names[i], (unsigned long long)v);
    }
    printf("\n");
}

static int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "reset", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("stats");
    bool json = false, reset = false;
    yajl_val reply;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "jr", opts, NULL)) != -1) {
        if (opt == 'j') json = true;
        else if (opt == 'r') reset = true;
        else return xres_cli_usage_error(self, "stats: unknown option");
    }
    if (optind < argc)
        return xres_cli_usage_error(self, "stats: unexpected argument `%s'",
                                    argv[optind]);
    g = xres_cli_req_begin("stats");
    if (reset) xres_json_kv_bool(g, "reset", true);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    if (json) {
        rc = xres_cli_print_json(reply);
    } else {
        print_table(reply);
        rc = fflush(stdout) ? XRES_EXIT_FAIL : 0;
    }
    yajl_tree_free(reply);
    return rc;
}

const xres_cmd xres_cmds_stats[] = {
    { "stats", cmd_stats, "[--json] [--reset]",
      "Show how long each step from report to target takes", stats_help },
    { NULL, NULL, NULL, NULL, NULL },
};
