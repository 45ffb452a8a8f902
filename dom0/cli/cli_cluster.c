/*
 * dom0/cli/cli_cluster.c: the xres commands of the cluster
 * (docs/xres-cluster.md): cluster-list, every host as this host's xresd
 * sees it, and cluster-show, one host's domains.  Outside a cluster both
 * say "not in a cluster: REASON" and exit 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "cli.h"

static void print_header(void)
{
    printf("%-16s %5s %-7s %9s %4s %5s %5s %9s %7s %-12s %s\n", "Host",
           "Node", "State", "Mem(MiB)", "CPUs", "CPU%", "Mem%", "Free(MiB)",
           "AllocCPU", "Method", "Age");
}

static void print_row(yajl_val h)
{
    char age[32];

    if (xres_json_get(h, "age_ms"))
        snprintf(age, sizeof(age), "%" PRIu64 "s%s", xres_cli_u64(h, "age_ms") /
                 1000, xres_json_get_bool(h, "stale", false) ? " stale" : "");
    else
        snprintf(age, sizeof(age), "no figures");
    printf("%-16s %5" PRIu64 " %-7s %9llu %4" PRIu64 " %5" PRIu64 " %5" PRIu64
           " %9llu %7" PRIu64 "%% %-12s %s%s\n", xres_cli_str(h, "host"),
           xres_cli_u64(h, "node"), xres_cli_str(h, "state"),
           xres_cli_mib(xres_cli_u64(h, "mem_total_kb")),
           xres_cli_u64(h, "cpus"),
           xres_cli_u64(h, "cpu_use_pct"), xres_cli_u64(h, "mem_use_pct"),
           xres_cli_mib(xres_cli_u64(h, "mem_free_kb")),
           xres_cli_u64(h, "cpu_allocable_pct"), xres_cli_str(h, "method"), age,
           xres_json_get_bool(h, "self", false) ? " (this host)" : "");
}

static int cmd_cluster_list(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("cluster-list");
    bool json = false;
    yajl_val r, a;
    int rc;

    if ((rc = xres_cli_json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc != optind) return xres_cli_usage_error(c, "no arguments");
    if ((rc = xres_cli_call(xres_cli_req_begin("cluster-list"), &r)))
        return rc;
    a = xres_json_get(r, "hosts");
    if (!xres_json_get_bool(r, "cluster", false) &&
        (!YAJL_IS_ARRAY(a) || !a->u.array.len)) {
        /* Never joined: said on stdout (or in the JSON), exit 1. */
        if (json) xres_cli_print_json(r);
        else printf("not in a cluster: %s\n", xres_cli_str(r, "reason"));
        if (!json) yajl_tree_free(r);
        return XRES_EXIT_FAIL;
    }
    if (json) return xres_cli_print_json(r);
    if (!xres_json_get_bool(r, "cluster", false))
        printf("not in the cluster now: %s; the last view:\n",
               xres_cli_str(r, "reason"));
    print_header();
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++)
        print_row(a->u.array.values[i]);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int cmd_cluster_show(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("cluster-show");
    bool json = false;
    yajl_val r, h, a;
    int rc;

    if ((rc = xres_cli_json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc - optind != 1) return xres_cli_usage_error(c, "need HOST");
    yajl_gen g = xres_cli_req_begin("cluster-show");
    xres_json_kv_str(g, "host", argv[optind]);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) return xres_cli_print_json(r);
    h = xres_json_get(r, "host");
    print_header();
    print_row(h);
    printf("\n%-24s %6s %9s %9s %5s %5s\n", "Domain", "Id", "Mem(MiB)",
           "Max(MiB)", "VCPUs", "CPU%");
    a = xres_json_get(h, "domains");
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++) {
        yajl_val d = a->u.array.values[i];
        printf("%-24s %6" PRIu64 " %9llu %9llu %5" PRIu64 " %5" PRIu64 "\n",
               xres_cli_str(d, "name"), xres_cli_u64(d, "domid"),
               xres_cli_mib(xres_cli_u64(d, "mem_kb")),
               xres_cli_mib(xres_cli_u64(d, "max_kb")),
               xres_cli_u64(d, "vcpus"),
               xres_cli_u64(d, "cpu_pct"));
    }
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Follows move `job' until it ends or timeout_s passes. */
static int follow(uint64_t job, unsigned timeout_s, bool json)
{
    time_t end = time(NULL) + timeout_s;
    const char *state;
    yajl_val r = NULL;
    yajl_gen g;
    int rc;

    for (;;) {
        g = xres_cli_req_begin("migrate-status");
        xres_json_kv_u64(g, "job", job);
        if ((rc = xres_cli_call(g, &r))) return rc;
        state = xres_cli_str(r, "state");
        if (strcmp(state, "waiting") && strcmp(state, "running")) break;
        yajl_tree_free(r);
        if (time(NULL) >= end) {
            fprintf(stderr, "xres: migrate: move %" PRIu64 " still runs after "
                    "%us; `xres migrate-status %" PRIu64 "' follows it\n",
                    job, timeout_s, job);
            return XRES_EXIT_FAIL;
        }
        sleep_ms(500);
    }
    rc = strcmp(state, "done") ? XRES_EXIT_FAIL : XRES_EXIT_OK;
    if (json) {
        xres_cli_print_json(r);
        return rc;
    }
    if (rc)
        fprintf(stderr, "xres: migrate: move %" PRIu64 " of %s to %s failed: "
                "%s\n", job, xres_cli_str(r, "domain"), xres_cli_str(r, "host"),
                xres_cli_str(r, "result"));
    else
        printf("%s runs on %s: moved %s in %.1f s\n", xres_cli_str(r, "domain"),
               xres_cli_str(r, "host"), xres_cli_str(r, "method"),
               xres_cli_u64(r, "elapsed_ms") / 1000.0);
    yajl_tree_free(r);
    return rc;
}

static int cmd_migrate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, 'n' },
        { "live", no_argument, NULL, 'l' },
        { "save-restore", no_argument, NULL, 's' },
        { "no-wait", no_argument, NULL, 'W' },
        { "timeout", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *c = xres_cli_find("migrate");
    const char *method = "auto";
    bool dry = false, wait = true, json = false;
    unsigned long timeout = 900;
    char *end;
    yajl_val r;
    yajl_gen g;
    int o, rc;

    while ((o = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
        switch (o) {
        case 'n': dry = true; break;
        case 'l': method = "live"; break;
        case 's': method = "save-restore"; break;
        case 'W': wait = false; break;
        case 'j': json = true; break;
        case 't':
            timeout = strtoul(optarg, &end, 10);
            if (*end || !timeout || timeout > 86400)
                return xres_cli_usage_error(c, "--timeout `%s': seconds, "
                                            "1 to 86400", optarg);
            break;
        case 'h': xres_cli_usage(c, stdout); return XRES_EXIT_OK;
        default: return xres_cli_usage_error(c, "unknown option");
        }
    }
    if (argc - optind != 2) return xres_cli_usage_error(c, "need DOMAIN HOST");
    g = xres_cli_req_begin("migrate");
    xres_json_kv_str(g, "domain", argv[optind]);
    xres_json_kv_str(g, "host", argv[optind + 1]);
    xres_json_kv_str(g, "method", method);
    xres_json_kv_bool(g, "dry_run", dry);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (dry || !wait) {
        if (json) return xres_cli_print_json(r);
        printf("%s %s to %s %s, through Pacemaker resource %s (%s): %s has "
               "%llu MiB free for %llu MiB, %" PRIu64 "%% CPU allocable for "
               "%" PRIu64 "%%", dry ? "would move" : "moving",
               xres_cli_str(r, "domain"), xres_cli_str(r, "host"),
               xres_cli_str(r, "method"),
               xres_cli_str(r, "resource"), xres_cli_str(r, "agent"),
               xres_cli_str(r, "host"),
               xres_cli_mib(xres_cli_u64(r, "dest_free_kb")),
               xres_cli_mib(xres_cli_u64(r, "need_kb")),
               xres_cli_u64(r, "dest_cpu_pct"),
               xres_cli_u64(r, "need_cpu_pct"));
        if (!dry) printf(" (move %" PRIu64 ")", xres_cli_u64(r, "job"));
        printf("\n");
        yajl_tree_free(r);
        return XRES_EXIT_OK;
    }
    uint64_t job = xres_cli_u64(r, "job");
    if (!json)
        printf("moving %s to %s %s through Pacemaker (move %" PRIu64 ")\n",
               xres_cli_str(r, "domain"), xres_cli_str(r, "host"),
               xres_cli_str(r, "method"),
               job);
    yajl_tree_free(r);
    fflush(stdout);
    return follow(job, (unsigned)timeout, json);
}

static int cmd_migrate_status(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("migrate-status");
    bool json = false;
    yajl_val r, a;
    yajl_gen g;
    char *end;
    int rc;

    if ((rc = xres_cli_json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc - optind > 1) return xres_cli_usage_error(c, "at most one MOVE");
    g = xres_cli_req_begin("migrate-status");
    if (argc - optind == 1) {
        unsigned long id = strtoul(argv[optind], &end, 10);
        if (*end || !id)
            return xres_cli_usage_error(c, "MOVE `%s': a move's number",
                                        argv[optind]);
        xres_json_kv_u64(g, "job", id);
    }
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) return xres_cli_print_json(r);
    a = xres_json_get(r, "moves");
    printf("%5s %-20s %-16s %-12s %-8s %8s %s\n", "Move", "Domain", "Host",
           "Method", "State", "Time(s)", "Result");
    for (size_t i = 0; !a || (YAJL_IS_ARRAY(a) && i < a->u.array.len); i++) {
        yajl_val j = a ? a->u.array.values[i] : r;
        printf("%5" PRIu64 " %-20s %-16s %-12s %-8s %8.1f %s\n",
               xres_cli_u64(j, "job"), xres_cli_str(j, "domain"),
               xres_cli_str(j, "host"),
               xres_cli_str(j, "method"), xres_cli_str(j, "state"),
               xres_cli_u64(j, "elapsed_ms") / 1000.0,
               xres_cli_str(j, "result"));
        if (!a) break;
    }
    if (a && xres_json_get_str(r, "resources_error"))
        printf("pacemaker: %s\n", xres_cli_str(r, "resources_error"));
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

const xres_cmd xres_cmds_cluster[] = {
    { "cluster-list", cmd_cluster_list, "[--json]",
      "List the hosts of the cluster and their figures",
      "One line per host xresd has heard of in the Corosync group `xres':\n"
      "its state (member, left, lost), memory and CPUs, CPU and memory use,\n"
      "free memory, allocable CPU (% of one CPU), how it moves domains\n"
      "(live or save-restore) and the age of its last figures (stale past\n"
      "cluster_stale_ticks ticks).  Outside a cluster: `not in a cluster:\n"
      "REASON' and exit status 1.  --json gives xresd's figures in KiB." },
    { "cluster-show", cmd_cluster_show, "[--json] HOST",
      "Show one host of the cluster and its domains",
      "The cluster-list line of HOST, then its domains as it last shared\n"
      "them: memory, maximum, vCPUs and CPU use (% of one CPU).  --json\n"
      "gives xresd's figures in KiB." },
    { "migrate", cmd_migrate,
      "[--dry-run] [--live|--save-restore] [--no-wait] [--timeout S] "
      "[--json] DOMAIN HOST",
      "Move a domain to another host, through Pacemaker",
      "xresd checks the move, then asks Pacemaker (crm_resource --move) to\n"
      "run DOMAIN's resource on HOST, live where both hosts' Xen can, else\n"
      "by save and restore, and waits until Pacemaker runs it there.  A move\n"
      "is refused, with the reason, when HOST's figures are stale, when it\n"
      "lacks the memory (the domain's and 8 MiB) or the CPU the domain uses,\n"
      "when the domain is not a Pacemaker resource with allow-migrate=true,\n"
      "or belongs to a hot-standby pair.  --dry-run: the checks only.\n"
      "--live / --save-restore force the method.  --no-wait: return once\n"
      "the move is asked; --timeout: how long to wait (900 s).  Pacemaker\n"
      "keeps the domain on HOST (its cli-prefer constraint) until\n"
      "`crm_resource --clear'." },
    { "migrate-status", cmd_migrate_status, "[--json] [MOVE]",
      "Show the moves xresd made or is making",
      "The last moves, or move MOVE: domain, destination, method, state\n"
      "(waiting, running, done, failed), time taken and result.  --json\n"
      "gives xresd's reply." },
    { NULL, NULL, NULL, NULL, NULL },
};
