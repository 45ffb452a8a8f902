/*
 * dom0/cli/cli_pair.c: the xres commands for hot-standby domain pairs:
 * pair-create, pair-list, pair-show, failover, failback, pair-delete.
 * Each sends one request to xresd (daemon_pair.c) and prints its reply.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libxlutil.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static unsigned long long num(yajl_val o, const char *key)
{
    uint64_t v = 0;

    xres_json_get_u64(o, key, &v);
    return (unsigned long long)v;
}

static const char *str(yajl_val o, const char *key)
{
    const char *s = xres_json_get_str(o, key);
    return s ? s : "-";
}

/*----- pair-create -----*/

static const char create_help[] =
"Makes ACTIVE and STANDBY a hot-standby pair.  The standby runs small; when\n"
"the active fails (crash, shutdown, watchdog, lost heartbeat) or one of its\n"
"hot-standby apps fails, xresd moves that work and the memory and CPU share\n"
"that served it to the standby.  Each --app declares an application the\n"
"guest agents know: NAME ([a-z][a-z0-9_]*), SIZE (memory it needs, e.g.\n"
"128M; a bare number is MiB) and hot (continues on the standby) or cold\n"
"(stops on failover, its memory goes back to the host).  xresd refuses a\n"
"pair whose standby could not be given the hot-standby areas, and says why.\n"
"\n"
"  --active DOM     the active domain (name or domid)\n"
"  --standby DOM    the standby domain\n"
"  --app NAME:SIZE:hot|cold   an application (repeat up to 15 times)\n"
"  --preserve       fence a failed active by pausing it (kept for a dump)\n"
"                   instead of destroying it\n";

static int cmd_create(int argc, char **argv)
{
    static const struct option opts[] = {
        { "active", required_argument, NULL, 'a' },
        { "standby", required_argument, NULL, 's' },
        { "app", required_argument, NULL, 'p' },
        { "preserve", no_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("pair-create");
    const char *active = NULL, *standby = NULL;
    char *apps[16];
    int napps = 0, opt, rc;
    bool preserve = false;
    yajl_val reply;
    yajl_gen g;

    while ((opt = getopt_long(argc, argv, "a:s:p:P", opts, NULL)) != -1) {
        switch (opt) {
        case 'a': active = optarg; break;
        case 's': standby = optarg; break;
        case 'p':
            if (napps == 15)
                return xres_cli_usage_error(self, "at most 15 --app");
            apps[napps++] = optarg;
            break;
        case 'P': preserve = true; break;
        default: return xres_cli_usage_error(self, "bad option");
        }
    }
    if (optind != argc - 1)
        return xres_cli_usage_error(self, "give one NAME");
    if (!active || !standby)
        return xres_cli_usage_error(self, "--active and --standby are "
                                    "needed");

    g = xres_cli_req_begin("pair-create");
    xres_json_kv_str(g, "name", argv[optind]);
    xres_json_kv_str(g, "active", active);
    xres_json_kv_str(g, "standby", standby);
    xres_json_kv_bool(g, "preserve", preserve);
    xres_json_str(g, "apps");
    yajl_gen_array_open(g);
    for (int i = 0; i < napps; i++) {
        char buf[128], *name, *size, *kind;
        uint64_t kb;

        snprintf(buf, sizeof(buf), "%s", apps[i]);
        name = buf;
        size = strchr(name, ':');
        kind = size ? strchr(size + 1, ':') : NULL;
        if (!size || !kind) {
            yajl_gen_free(g);
            return xres_cli_usage_error(self, "--app %s: want "
                                        "NAME:SIZE:hot|cold", apps[i]);
        }
        *size++ = 0;
        *kind++ = 0;
        if (xres_parse_size_kb(size, 'm', &kb) || !kb) {
            yajl_gen_free(g);
            return xres_cli_usage_error(self, "--app %s: bad size `%s'",
                                        apps[i], size);
        }
        if (strcmp(kind, "hot") && strcmp(kind, "cold")) {
            yajl_gen_free(g);
            return xres_cli_usage_error(self, "--app %s: say hot or cold",
                                        apps[i]);
        }
        yajl_gen_map_open(g);
        xres_json_kv_str(g, "name", name);
        xres_json_kv_u64(g, "size_kb", kb);
        xres_json_kv_bool(g, "hot", !strcmp(kind, "hot"));
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    printf("pair %s created\n", argv[optind]);
    yajl_tree_free(reply);
    return 0;
}

/*----- pair-list -----*/

static const char list_help[] =
"Columns: Name; Active and Standby (domain name and id); State (normal,\n"
"failing-over, failed-over, degraded); Failover (the running failover's\n"
"kind and step, or -).\n"
"\n"
"  -j, --json   print xresd's JSON reply\n";

static int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("pair-list");
    bool json = false;
    yajl_val reply, pairs;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
        if (opt == 'j') json = true;
        else return xres_cli_usage_error(self, "bad option");
    }
    if (optind != argc) return xres_cli_usage_error(self, "no arguments");
    rc = xres_cli_call(xres_cli_req_begin("pair-list"), &reply);
    if (rc) return rc;
    if (json) {
        rc = xres_cli_print_json(reply);
        goto out;
    }
    pairs = xres_json_get(reply, "pairs");
    printf("%-16s %-24s %-24s %-13s %s\n", "Name", "Active", "Standby",
           "State", "Failover");
    for (size_t i = 0; pairs && YAJL_IS_ARRAY(pairs) &&
         i < pairs->u.array.len; i++) {
        yajl_val p = pairs->u.array.values[i];
        yajl_val fo = xres_json_get(p, "failover");
        char a[64], s[64], f[64] = "-";

        snprintf(a, sizeof(a), "%s(%llu)", str(p, "active_name"),
                 num(p, "active"));
        snprintf(s, sizeof(s), "%s(%llu)", str(p, "standby_name"),
                 num(p, "standby"));
        if (fo && YAJL_IS_OBJECT(fo))
            snprintf(f, sizeof(f), "%s:%s", str(fo, "kind"), str(fo, "step"));
        printf("%-16s %-24s %-24s %-13s %s\n", str(p, "name"), a, s,
               str(p, "state"), f);
    }
out:
    yajl_tree_free(reply);
    return rc ? rc : (fflush(stdout) ? XRES_EXIT_FAIL : 0);
}

/*----- pair-show -----*/

static const char show_help[] =
"Prints the pair's resource table: one line per area (the active OS's base\n"
"and each app's area) with its size, owner (active, standby, host),\n"
"switch-over destination (standby, or none: back to the host), kind (base,\n"
"hot, cold, ext = extension from the host pool) and whether the app runs;\n"
"then the failover in progress, if any, a log of the last failovers, and\n"
"the last failover's timing: xresd's own time (toolstack) and the wait for\n"
"the guests (the standby's balloon, then its agent's ack of the app start).\n"
"\n"
"  -j, --json   print xresd's JSON reply\n";

static int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("pair-show");
    bool json = false;
    yajl_val reply, p, v, fo;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
        if (opt == 'j') json = true;
        else return xres_cli_usage_error(self, "bad option");
    }
    if (optind != argc - 1) return xres_cli_usage_error(self, "give NAME");
    g = xres_cli_req_begin("pair-show");
    xres_json_kv_str(g, "name", argv[optind]);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    if (json) {
        rc = xres_cli_print_json(reply);
        goto out;
    }
    p = xres_json_get(reply, "pair");
    printf("pair %s: %s\n", str(p, "name"), str(p, "state"));
    printf("  active   %s (dom%llu)\n", str(p, "active_name"),
           num(p, "active"));
    printf("  standby  %s (dom%llu)\n", str(p, "standby_name"),
           num(p, "standby"));
    if (num(p, "reserve_lent_kb"))
        printf("  reserve lent, not yet given back: %llu MiB\n",
               num(p, "reserve_lent_kb") / 1024);
    if (num(p, "standby_floor_kb"))
        printf("  standby kept at %llu MiB or more by memory balancing\n",
               num(p, "standby_floor_kb") / 1024);
    printf("\n%-16s %8s %-8s %-8s %-5s %s\n", "Area", "MiB", "Owner",
           "Dest", "Kind", "Running");
    v = xres_json_get(p, "areas");
    for (size_t i = 0; v && YAJL_IS_ARRAY(v) && i < v->u.array.len; i++) {
        yajl_val a = v->u.array.values[i];
        printf("%-16s %8llu %-8s %-8s %-5s %s\n", str(a, "name"),
               num(a, "size_kb") / 1024, str(a, "owner"), str(a, "dest"),
               str(a, "kind"),
               xres_json_get_bool(a, "running", false) ? "yes" : "no");
    }
    fo = xres_json_get(p, "failover");
    if (fo && YAJL_IS_OBJECT(fo))
        printf("\nfailover in progress: %s%s%s, step %s (%llu of %llu): %s\n",
               str(fo, "kind"), *str(fo, "app") != '-' ? " of " : "",
               *str(fo, "app") != '-' ? str(fo, "app") : "",
               str(fo, "step"), num(fo, "step_index") + 1, num(fo, "steps"),
               str(fo, "why"));
    v = xres_json_get(p, "log");
    if (v && YAJL_IS_ARRAY(v) && v->u.array.len) {
        printf("\nlast failovers:\n");
        for (size_t i = 0; i < v->u.array.len; i++) {
            yajl_val e = v->u.array.values[i];
            const char *app = xres_json_get_str(e, "app");
            printf("  %-11s %-8s %6llu ms  %4llu MiB to standby, %4llu MiB "
                   "to host, %4llu MiB from reserve%s  (%s)\n",
                   str(e, "kind"), app && *app ? app : "-",
                   num(e, "duration_ms"), num(e, "to_standby_kb") / 1024,
                   num(e, "to_host_kb") / 1024,
                   num(e, "from_reserve_kb") / 1024,
                   xres_json_get_bool(e, "apps_failed", false)
                   ? ", apps failed to start" : "", str(e, "why"));
        }
    }
    v = xres_json_get(p, "last_failover_timing");
    if (v && YAJL_IS_OBJECT(v))
        printf("\nlast failover timing (%s): toolstack %llu.%03llu ms, guest "
               "%llu ms (balloon %llu ms, app start ack %llu ms), target "
               "written %llu ms after the fault, total %llu ms\n",
               str(v, "kind"), num(v, "toolstack_us") / 1000,
               num(v, "toolstack_us") % 1000, num(v, "guest_ms"),
               num(v, "balloon_ms"), num(v, "start_ack_ms"),
               num(v, "target_written_ms"), num(v, "total_ms"));
out:
    yajl_tree_free(reply);
    return rc ? rc : (fflush(stdout) ? XRES_EXIT_FAIL : 0);
}

/*----- failover, failback, pair-delete -----*/

static const char failover_help[] =
"Fails the pair over now.  Without --app: the whole domain (the active is\n"
"fenced, the hot-standby apps and their memory, weight and cap go to the\n"
"standby, the rest of its memory back to the host).  With --app: only that\n"
"hot-standby app (the active releases its area first, then the standby\n"
"gets it and starts the app; other apps keep running on the active).\n"
"The command returns once the failover has started; `xres pair-show NAME`\n"
"shows its progress.\n"
"\n"
"  --app APP        move only this app\n"
"  -n, --dry-run    print the actions the failover would run, one per\n"
"                   line, change nothing\n";

static int cmd_failover(int argc, char **argv)
{
    static const struct option opts[] = {
        { "app", required_argument, NULL, 'a' },
        { "dry-run", no_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("failover");
    const char *app = NULL;
    bool dry = false;
    yajl_val reply, a;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "a:n", opts, NULL)) != -1) {
        if (opt == 'a') app = optarg;
        else if (opt == 'n') dry = true;
        else return xres_cli_usage_error(self, "bad option");
    }
    if (optind != argc - 1) return xres_cli_usage_error(self, "give NAME");
    g = xres_cli_req_begin("failover");
    xres_json_kv_str(g, "name", argv[optind]);
    if (app) xres_json_kv_str(g, "app", app);
    if (dry) xres_json_kv_bool(g, "dry_run", true);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    if (dry) {
        /* The same lines as `xres balance --dry-run`. */
        a = xres_json_get(reply, "actions");
        for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++)
            if (YAJL_IS_STRING(a->u.array.values[i]))
                printf("%s\n", YAJL_GET_STRING(a->u.array.values[i]));
        yajl_tree_free(reply);
        return 0;
    }
    printf("pair %s: failover %s (%s)\n", argv[optind],
           !strcmp(str(reply, "step"), "done") ? "done" : "started",
           str(reply, "state"));
    yajl_tree_free(reply);
    return 0;
}

static const char failback_help[] =
"After a whole-domain failover: the old standby, which now runs the\n"
"hot-standby apps, becomes the active, and DOM becomes the new standby.\n"
"With --config, the new standby is first created with `xl create FILE` and\n"
"DOM is the name in that file.\n"
"\n"
"  --standby DOM    the new standby (name or domid)\n"
"  --config FILE    create the new standby from this xl config\n";

/* The name in an xl config file. */
static int config_name(const char *file, char *name, size_t len)
{
    XLU_Config *cfg = xlu_cfg_init(stderr, file);
    const char *n = NULL;
    int rc = -EINVAL;

    if (!cfg) return -ENOMEM;
    if (!xlu_cfg_readfile(cfg, file) &&
        !xlu_cfg_get_string(cfg, "name", &n, 0) && n && *n) {
        snprintf(name, len, "%s", n);
        rc = 0;
    }
    xlu_cfg_destroy(cfg);
    return rc;
}

static int xl_create(const char *file)
{
    pid_t pid = fork();
    int st;

    if (pid < 0) return -errno;
    if (pid == 0) {
        execlp("xl", "xl", "create", "-q", file, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0) return -errno;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int cmd_failback(int argc, char **argv)
{
    static const struct option opts[] = {
        { "standby", required_argument, NULL, 's' },
        { "config", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("failback");
    const char *standby = NULL, *config = NULL;
    char name[128];
    yajl_val reply;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "s:c:", opts, NULL)) != -1) {
        if (opt == 's') standby = optarg;
        else if (opt == 'c') config = optarg;
        else return xres_cli_usage_error(self, "bad option");
    }
    if (optind != argc - 1) return xres_cli_usage_error(self, "give NAME");
    if (!standby == !config)
        return xres_cli_usage_error(self, "give --standby or --config");
    if (config) {
        if (config_name(config, name, sizeof(name))) {
            fprintf(stderr, "xres: failback: %s: no `name' in this xl "
                    "config\n", config);
            return XRES_EXIT_FAIL;
        }
        if (xl_create(config)) {
            fprintf(stderr, "xres: failback: `xl create %s' failed; the "
                    "pair is unchanged\n", config);
            return XRES_EXIT_FAIL;
        }
        standby = name;
    }
    g = xres_cli_req_begin("failback");
    xres_json_kv_str(g, "name", argv[optind]);
    xres_json_kv_str(g, "standby", standby);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    printf("pair %s: active dom%llu, standby dom%llu\n", argv[optind],
           num(reply, "active"), num(reply, "standby"));
    yajl_tree_free(reply);
    return 0;
}

static const char delete_help[] =
"Forgets the pair: its table and log are removed from XenStore.  The\n"
"domains keep running with the memory they have.  Refused while a\n"
"failover is running.\n";

static int cmd_delete(int argc, char **argv)
{
    const xres_cmd *self = xres_cli_find("pair-delete");
    yajl_val reply;
    yajl_gen g;
    int rc;

    if (argc != 2 || argv[1][0] == '-')
        return xres_cli_usage_error(self, "give NAME");
    g = xres_cli_req_begin("pair-delete");
    xres_json_kv_str(g, "name", argv[1]);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    printf("pair %s deleted\n", argv[1]);
    yajl_tree_free(reply);
    return 0;
}

const xres_cmd xres_cmds_pair[] = {
    { "pair-create", cmd_create,
      "NAME --active DOM --standby DOM [--app NAME:SIZE:hot|cold]... "
      "[--preserve]",
      "Make two domains a hot-standby pair", create_help },
    { "pair-list", cmd_list, "[--json]", "List the hot-standby pairs",
      list_help },
    { "pair-show", cmd_show, "[--json] NAME",
      "Show a pair's resource table and last failovers", show_help },
    { "failover", cmd_failover, "NAME [--app APP] [--dry-run]",
      "Fail a pair, or one of its apps, over to the standby",
      failover_help },
    { "failback", cmd_failback, "NAME --standby DOM | --config FILE",
      "Make the standby the active and name a new standby",
      failback_help },
    { "pair-delete", cmd_delete, "NAME", "Forget a pair", delete_help },
    { NULL, NULL, NULL, NULL, NULL },
};
