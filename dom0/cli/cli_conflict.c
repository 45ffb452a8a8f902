/*
 * dom0/cli/cli_conflict.c: the xres commands of resource conflicts in the
 * cluster (docs/xres-cluster.md, "Conflicts"): conflicts, every host's
 * verdict as this host's xresd judges it, and relocate --dry-run, the
 * move the policy would make now.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* cp (hundredths of %) as "75%" or "26.66%". */
static const char *pct(char *b, size_t len, uint64_t cp)
{
    if (cp % 100) snprintf(b, len, "%" PRIu64 ".%02" PRIu64 "%%", cp / 100,
                           cp % 100);
    else snprintf(b, len, "%" PRIu64 "%%", cp / 100);
    return b;
}

static int parse(const xres_cmd *c, int argc, char **argv, bool *json,
                 bool *dry)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'j') *json = true;
        else if (o == 'n' && dry) *dry = true;
        else if (o == 'h') { xres_cli_usage(c, stdout); return -1; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    if (argc != optind) return xres_cli_usage_error(c, "no arguments");
    return 0;
}

static void print_skipped(yajl_val r)
{
    yajl_val a = xres_json_get(r, "skipped");

    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++)
        printf("  skipped %s: %s\n",
               xres_cli_str(a->u.array.values[i], "domain"),
               xres_cli_str(a->u.array.values[i], "why"));
}

static void print_host(yajl_val h)
{
    static const char *const res[] = { "cpu", "mem" };
    yajl_val b = xres_json_get(h, "busy");
    char x[32], y[32], z[32];

    printf("%s%s: %s", xres_cli_str(h, "host"),
           xres_json_get_bool(h, "self", false) ? " (this host)" : "",
           xres_json_get_bool(h, "conflict", false) ? "in conflict"
                                                    : "no conflict");
    if (xres_json_get_bool(h, "conflict", false))
        printf(" for %" PRIu64 " s, %" PRIu64 " figures%s",
               xres_cli_u64(h, "since_ms_ago") / 1000, xres_cli_u64(h, "run"),
               xres_json_get_bool(h, "sustained", false) ? ", sustained" : "");
    printf(", %" PRIu64 " domains\n", xres_cli_u64(h, "guests"));
    for (size_t i = 0; i < 2; i++) {
        yajl_val r = xres_json_get(h, res[i]);
        if (!r) continue;
        printf("  %s: Up %s, T_server %s, T_vm %s%s\n", res[i],
               pct(x, sizeof(x), xres_cli_u64(r, "up_cp")),
               pct(y, sizeof(y), xres_cli_u64(r, "t_server_cp")),
               pct(z, sizeof(z), xres_cli_u64(r, "t_vm_cp")),
               xres_json_get_bool(r, "over", false) ? " (over T_server)" : "");
    }
    for (size_t i = 0; YAJL_IS_ARRAY(b) && i < b->u.array.len; i++)
        printf("  over T_vm: %s cpu %s mem %s\n",
               xres_cli_str(b->u.array.values[i], "domain"),
               pct(x, sizeof(x), xres_cli_u64(b->u.array.values[i], "cpu_cp")),
               pct(y, sizeof(y), xres_cli_u64(b->u.array.values[i], "mem_cp")));
}

static int cmd_conflicts(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("conflicts");
    bool json = false;
    yajl_val r, a;
    int rc;

    if ((rc = parse(c, argc, argv, &json, NULL))) return rc < 0 ? 0 : rc;
    if ((rc = xres_cli_call(xres_cli_req_begin("conflicts"), &r))) return rc;
    if (json) return xres_cli_print_json(r);
    printf("mode %s, relocate %s, T_vm %s, sustain %" PRIu64 "\n",
           xres_cli_str(r, "mode"), xres_json_get_bool(r, "relocate", false)
           ? "on" : "off", xres_cli_str(r, "t_vm"), xres_cli_u64(r, "sustain"));
    a = xres_json_get(r, "hosts");
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++)
        print_host(a->u.array.values[i]);
    if (xres_json_get(r, "move"))
        printf("moving: move %" PRIu64 " (xres migrate-status)\n",
               xres_cli_u64(r, "move"));
    if (xres_json_get(r, "last"))
        printf("last, %" PRIu64 " s ago: %s\n",
               xres_cli_u64(r, "last_ms_ago") / 1000, xres_cli_str(r, "last"));
    print_skipped(r);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

static int cmd_relocate(int argc, char **argv)
{
    const xres_cmd *c = xres_cli_find("relocate");
    bool json = false, dry = false;
    yajl_gen g;
    yajl_val r;
    int rc;

    if ((rc = parse(c, argc, argv, &json, &dry))) return rc < 0 ? 0 : rc;
    if (!dry)
        return xres_cli_usage_error(c, "only --dry-run: xresd moves domains "
                                    "itself when relocate = \"on\" in "
                                    "xres.conf");
    g = xres_cli_req_begin("relocate");
    xres_json_kv_bool(g, "dry_run", true);
    if ((rc = xres_cli_call(g, &r))) return rc;
    if (json) return xres_cli_print_json(r);
    if (xres_json_get_bool(r, "move", false))
        printf("would move %s from %s to %s%s: %s\n", xres_cli_str(r, "domain"),
               xres_cli_str(r, "source"), xres_cli_str(r, "host"),
               xres_json_get_bool(r, "sustained", false) ? ""
               : " (once the conflict is sustained)",
               xres_cli_str(r, "decision"));
    else
        printf("no move: %s\n", xres_cli_str(r, "why"));
    print_skipped(r);
    yajl_tree_free(r);
    return XRES_EXIT_OK;
}

const xres_cmd xres_cmds_conflict[] = {
    { "conflicts", cmd_conflicts, "[--json]",
      "Show the resource conflicts of the cluster's hosts",
      "For each host with fresh figures: its use Up, T_server and the T_vm\n"
      "in force (in % of the host), whether it is in conflict (Up at or\n"
      "over T_server and two domains at or over T_vm), for how long and on\n"
      "how many figures (sustained after conflict_sustain), the domains\n"
      "over T_vm; then the last decision or warning and the domains that\n"
      "may not move, with the reason.  --json gives xresd's figures in\n"
      "hundredths of a percent (_cp)." },
    { "relocate", cmd_relocate, "--dry-run [--json]",
      "Show the move relocation would make now",
      "The domain, the destination and the figures of the decision the\n"
      "policy would take now for the host this xresd decides for, or why\n"
      "none.  Nothing moves: xresd moves domains itself, with\n"
      "relocate = \"on\" in xres.conf; without --dry-run the command is\n"
      "refused.  --json gives xresd's reply." },
    { NULL, NULL, NULL, NULL, NULL },
};
