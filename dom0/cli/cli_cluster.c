/*
 * dom0/cli/cli_cluster.c: the xres commands of the cluster
 * (docs/xres-cluster.md): cluster-list, every host as this host's xresd
 * sees it, and cluster-show, one host's domains.  Outside a cluster both
 * say "not in a cluster: REASON" and exit 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static uint64_t u64_of(yajl_val o, const char *k)
{
    uint64_t v = 0;

    xres_json_get_u64(o, k, &v);
    return v;
}

static const char *str_of(yajl_val o, const char *k)
{
    const char *s = xres_json_get_str(o, k);

    return s && *s ? s : "-";
}

static int json_opt(const xres_cmd *c, int argc, char **argv, bool *json)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'j') *json = true;
        else if (o == 'h') { xres_cli_usage(c, stdout); return -1; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    return 0;
}

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
        snprintf(age, sizeof(age), "%" PRIu64 "s%s", u64_of(h, "age_ms") /
                 1000, xres_json_get_bool(h, "stale", false) ? " stale" : "");
    else
        snprintf(age, sizeof(age), "no figures");
    printf("%-16s %5" PRIu64 " %-7s %9llu %4" PRIu64 " %5" PRIu64 " %5" PRIu64
           " %9llu %7" PRIu64 "%% %-12s %s%s\n", str_of(h, "host"),
           u64_of(h, "node"), str_of(h, "state"),
           xres_cli_mib(u64_of(h, "mem_total_kb")), u64_of(h, "cpus"),
           u64_of(h, "cpu_use_pct"), u64_of(h, "mem_use_pct"),
           xres_cli_mib(u64_of(h, "mem_free_kb")),
           u64_of(h, "cpu_allocable_pct"), str_of(h, "method"), age,
           xres_json_get_bool(h, "self", false) ? " (this host)" : "");
}

static int cmd_cluster_list(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("cluster-list");
    bool json = false;
    yajl_val r, a;
    int rc;

    if ((rc = json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
    if (argc != optind) return xres_cli_usage_error(c, "no arguments");
    if ((rc = xres_cli_call(xres_cli_req_begin("cluster-list"), &r)))
        return rc;
    a = xres_json_get(r, "hosts");
    if (!xres_json_get_bool(r, "cluster", false) &&
        (!YAJL_IS_ARRAY(a) || !a->u.array.len)) {
        /* Never joined: said on stdout (or in the JSON), exit 1. */
        if (json) xres_cli_print_json(r);
        else printf("not in a cluster: %s\n", str_of(r, "reason"));
        if (!json) yajl_tree_free(r);
        return XRES_EXIT_FAIL;
    }
    if (json) return xres_cli_print_json(r);
    if (!xres_json_get_bool(r, "cluster", false))
        printf("not in the cluster now: %s; the last view:\n",
               str_of(r, "reason"));
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

    if ((rc = json_opt(c, argc, argv, &json))) return rc < 0 ? 0 : rc;
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
               str_of(d, "name"), u64_of(d, "domid"),
               xres_cli_mib(u64_of(d, "mem_kb")),
               xres_cli_mib(u64_of(d, "max_kb")), u64_of(d, "vcpus"),
               u64_of(d, "cpu_pct"));
    }
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
    { NULL, NULL, NULL, NULL, NULL },
};
