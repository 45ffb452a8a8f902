/*
 * dom0/cli/cli_list.c: `xres list [--json] [DOM...]`: every domain with its
 * memory, scheduler and balloon figures, as xresd sees them.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char list_help[] =
"Columns: Name ID; Mem (current memory, MiB, as `xl list`); Target\n"
"(balloon target, memory/target); MaxMem (static-max); Weight and Cap\n"
"(credit scheduler, as `xl sched-credit`); Used (memory the guest agent\n"
"reports in use, or - without an agent); Min (configured guarantee, or -);\n"
"State (balloon: fixed, ok, moving, not-responding), followed by\n"
"pair=NAME/ROLE for a member of a hot-standby pair.\n"
"\n"
"  -j, --json   print one JSON object (see xres(1)) instead of a table\n"
"  DOM          limit the list to these domains (name or domid)\n";


static bool dom_matches(yajl_val dom, const char *want)
{
    const char *name = xres_json_get_str(dom, "name");
    uint64_t id;
    char *end;

    if (name && !strcmp(name, want)) return true;
    if (xres_json_get_u64(dom, "domid", &id)) return false;
    unsigned long long w = strtoull(want, &end, 10);
    return *want >= '0' && *want <= '9' && !*end && w == id;
}

static void size_col(char *buf, size_t len, yajl_val dom, const char *key,
                     bool zero_is_none)
{
    uint64_t kb;

    if (xres_json_get_u64(dom, key, &kb) || (zero_is_none && !kb))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%llu", xres_cli_mib(kb));
}

static void print_row(yajl_val dom)
{
    char mem[24], tgt[24], max[24], used[24], min[24], w[24], c[24];
    const char *name = xres_json_get_str(dom, "name");
    const char *state = xres_json_get_str(dom, "state");
    long long domid = -1, weight = -1, cap = -1;

    xres_json_get_int(dom, "domid", &domid);
    xres_json_get_int(dom, "weight", &weight);
    xres_json_get_int(dom, "cap", &cap);
    size_col(mem, sizeof(mem), dom, "cur_kb", false);
    size_col(tgt, sizeof(tgt), dom, "target_kb", false);
    size_col(max, sizeof(max), dom, "static_max_kb", false);
    size_col(used, sizeof(used), dom, "used_kb", false);
    size_col(min, sizeof(min), dom, "min_kb", true);
    if (weight < 0) snprintf(w, sizeof(w), "-");
    else snprintf(w, sizeof(w), "%lld", weight);
    if (cap < 0) snprintf(c, sizeof(c), "-");
    else snprintf(c, sizeof(c), "%lld", cap);
    const char *pair = xres_json_get_str(dom, "pair");
    const char *role = xres_json_get_str(dom, "pair_role");
    /* A domain being built may have no name yet: keep the columns. */
    if (!name || !*name) name = "-";
    printf("%-24s %5lld %7s %7s %7s %6s %4s %7s %7s %s", name,
           domid, mem, tgt, max, w, c, used, min, state ? state : "?");
    /* A member of a hot-standby pair: after the state, pair=NAME/ROLE. */
    if (pair && role) printf(" pair=%s/%s", pair, role);
    putchar('\n');
}

static int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("list");
    bool json = false;
    yajl_val reply, doms;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
        if (opt == 'j') json = true;
        else return xres_cli_usage_error(self, "list: unknown option `%s'",
                                         argv[optind - 1]);
    }
    rc = xres_cli_call(xres_cli_req_begin("list"), &reply);
    if (rc) return rc;
    doms = xres_json_get(reply, "domains");
    if (!YAJL_IS_ARRAY(doms)) {
        fprintf(stderr, "xres: xresd's list reply has no domains\n");
        rc = XRES_EXIT_FAIL;
        goto out;
    }
    /* Every DOM named must exist. */
    for (int i = optind; i < argc; i++) {
        bool found = false;
        for (size_t j = 0; j < doms->u.array.len && !found; j++)
            found = dom_matches(doms->u.array.values[j], argv[i]);
        if (!found) {
            fprintf(stderr, "xres: list: no domain `%s'\n", argv[i]);
            rc = XRES_EXIT_FAIL;
            goto out;
        }
    }
    /* Keep only the domains asked for. */
    if (optind < argc) {
        size_t k = 0;
        for (size_t j = 0; j < doms->u.array.len; j++) {
            bool keep = false;
            for (int i = optind; i < argc && !keep; i++)
                keep = dom_matches(doms->u.array.values[j], argv[i]);
            if (keep) doms->u.array.values[k++] = doms->u.array.values[j];
            else yajl_tree_free(doms->u.array.values[j]);
        }
        doms->u.array.len = k;
    }
    if (json) {
        rc = xres_cli_print_json(reply);
        if (rc) goto out;
    } else {
        printf("%-24s %5s %7s %7s %7s %6s %4s %7s %7s %s\n", "Name", "ID",
               "Mem", "Target", "MaxMem", "Weight", "Cap", "Used", "Min",
               "State");
        for (size_t j = 0; j < doms->u.array.len; j++)
            print_row(doms->u.array.values[j]);
    }
    rc = fflush(stdout) ? XRES_EXIT_FAIL : 0;
out:
    yajl_tree_free(reply);
    return rc;
}

const xres_cmd xres_cmds_list[] = {
    { "list", cmd_list, "[--json] [DOM...]",
      "List domains with their memory, CPU and balloon state",
      list_help },
    { NULL, NULL, NULL, NULL, NULL },
};
