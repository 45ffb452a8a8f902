/*
 * dom0/cli/cli_sched.c: the xres commands for CPU: sched-list, sched-set and
 * sched-policy.  They follow `xl sched-credit`: the same Name ID Weight
 * Cap columns, -d/-w/-c options; xresd does the work.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "policy_cpu.h"

/* The help names the ranges xresd checks sched-set against. */
#define STR_(x) #x
#define STR(x) STR_(x)

static const char list_help[] =
"Per domain: Name ID Weight Cap, as `xl sched-credit` prints them, then\n"
"Use% (measured from Xen's cpu_time over the last interval, % of one\n"
"physical CPU), Agent% (the guest agent's own figure in the same unit,\n"
"or -), and the CPU policy.  The first line gives the scheduler, the\n"
"host's maximum (CPUs x 100), its load and the CPU available.\n"
"\n"
"  -d, --domain DOM  only this domain (name or domid)\n"
"  -j, --json        one JSON object, with each domain's recent history\n";

static const char set_help[] =
"Sets a domain's credit weight (" STR(XRES_WEIGHT_MIN) ".." STR(XRES_WEIGHT_MAX)
", share under contention) and/or\n"
"cap (% of one physical CPU, 0 = no cap, at most 100 x its vCPUs).\n"
"WEIGHT and CAP may be given as weight=W cap=C or as -w W -c C.\n"
"For a domain under the fixed policy, this changes the fixed values.\n"
"A value that a policy controls (weight under shares; cap under demand\n"
"or manage) is refused unless --force, and the policy goes on from it.\n"
"\n"
"  -w, --weight W  weight\n"
"  -c, --cap C     cap\n"
"  -f, --force     set it even though a policy controls it\n";

static const char policy_help[] =
"Without POLICY: shows the domain's CPU policy and where it comes from.\n"
"With POLICY: sets it now and keeps it (XenStore) across xresd restarts;\n"
"it overrides xres.conf until --reset.  POLICY is one of:\n"
"  none                         leave weight and cap alone\n"
"  fixed [weight=W] [cap=C]     keep these; put back if changed outside\n"
"  shares priority=P [guarantee=G]\n"
"                               weight follows priority; G = % of one\n"
"                               CPU the domain gets under contention\n"
"  demand [min=C] [max=C] [step=S]\n"
"                               cap follows use, in steps, within min..max\n"
"  manage [method=1..4] [coef=F] [target=SECONDS] [reserve=PCT] [min=C]\n"
"                               the host's managing domain\n"
"See xres-sched(7) (docs/xres-sched.md).\n"
"\n"
"  -r, --reset  drop the run-time policy; back to xres.conf\n";

static double num(yajl_val o, const char *key)
{
    yajl_val v = xres_json_get(o, key);

    if (v && YAJL_IS_NUMBER(v)) return YAJL_GET_DOUBLE(v);
    return -1;
}

static void pct_col(char *buf, size_t len, double v)
{
    if (v < 0) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.1f", v);
}

static int cmd_sched_list(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "domain", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("sched-list");
    const char *dom = NULL, *sched, *err;
    bool json = false;
    yajl_val reply, doms, mg;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "jd:", opts, NULL)) != -1) {
        if (opt == 'j') json = true;
        else if (opt == 'd') dom = optarg;
        else return xres_cli_usage_error(self, "sched-list: bad option");
    }
    if (optind < argc) {
        if (dom || optind + 1 < argc)
            return xres_cli_usage_error(self, "sched-list: one domain at "
                                        "most");
        dom = argv[optind];
    }
    g = xres_cli_req_begin("sched-list");
    if (dom) xres_json_kv_str(g, "domain", dom);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    if (json) {
        rc = xres_cli_print_json(reply);
        goto out;
    }
    sched = xres_json_get_str(reply, "scheduler");
    printf("Scheduler %s: %.0f CPUs, max %.1f%%, load %.1f%% (%s), "
           "available %.1f%%\n", sched ? sched : "?",
           num(reply, "nr_cpus"), num(reply, "max_pct"),
           num(reply, "load_pct"),
           xres_json_get_str(reply, "load_mode") ?
           xres_json_get_str(reply, "load_mode") : "?",
           num(reply, "available_pct"));
    if (sched && !strcmp(sched, "credit2"))
        printf("Note: credit2: weights are relative as in credit; a cap is "
               "enforced as a budget\nper period over all the domain's "
               "vCPUs (see xres-sched(7)).\n");
    printf("%-33s %4s %6s %4s %6s %6s  %s\n", "Name", "ID", "Weight", "Cap",
           "Use%", "Agent%", "Policy");
    doms = xres_json_get(reply, "domains");
    for (size_t i = 0; YAJL_IS_ARRAY(doms) && i < doms->u.array.len; i++) {
        yajl_val d = doms->u.array.values[i];
        const char *name = xres_json_get_str(d, "name");
        const char *pol = xres_json_get_str(d, "policy");
        long long id = -1, w = -1, c = -1;
        char use[16], ag[16];

        xres_json_get_int(d, "domid", &id);
        xres_json_get_int(d, "weight", &w);
        xres_json_get_int(d, "cap", &c);
        pct_col(use, sizeof(use), num(d, "use_pct"));
        pct_col(ag, sizeof(ag), num(d, "agent_pct"));
        printf("%-33s %4lld %6lld %4lld %6s %6s  %s\n", name ? name : "?",
               id, w, c, use, ag, pol ? pol : "-");
    }
    mg = xres_json_get(reply, "manage");
    if (mg && YAJL_IS_OBJECT(mg)) {
        yajl_val runs = xres_json_get(mg, "runs");
        printf("Managing domain %s: allocable %.1f%%, allocation %.1f%%, "
               "%zu run(s) recorded\n",
               xres_json_get_str(mg, "domain") ?
               xres_json_get_str(mg, "domain") : "?",
               num(mg, "allocable_pct"), num(mg, "alloc_pct"),
               YAJL_IS_ARRAY(runs) ? runs->u.array.len : 0);
        long long rseq = 0, ralloc = -1;
        xres_json_get_int(mg, "request_seq", &rseq);
        xres_json_get_int(mg, "request_alloc_pct", &ralloc);
        const char *caution = xres_json_get_str(mg, "caution");
        if (caution && *caution)
            printf("  Caution: %s: no allocation meets the target time\n",
                   caution);
        if (rseq > 0)
            printf("  run in progress under alloc %lld (request %lld); its "
                   "cap stays there until the run reports\n", ralloc, rseq);
        if (YAJL_IS_ARRAY(runs) && runs->u.array.len) {
            yajl_val last = runs->u.array.values[runs->u.array.len - 1];
            printf("  last run: alloc %.1f%%, %.1f s\n",
                   num(last, "alloc_pct"), num(last, "time_s"));
        }
    }
    for (size_t i = 0; YAJL_IS_ARRAY(doms) && i < doms->u.array.len; i++) {
        yajl_val d = doms->u.array.values[i];
        const char *note = xres_json_get_str(d, "note");
        const char *name = xres_json_get_str(d, "name");
        if (note && *note && strcmp(note, "fixed"))
            printf("  %s: %s\n", name ? name : "?", note);
    }
    err = xres_json_get_str(reply, "error");
    if (err && *err) printf("Warning: %s\n", err);
out:
    yajl_tree_free(reply);
    return rc;
}

static int parse_kv_int(const char *s, const char *key, long long *out)
{
    size_t n = strlen(key);
    char *end;

    if (strncmp(s, key, n) || s[n] != '=') return 1;   /* not this key */
    if (s[n + 1] < '0' || s[n + 1] > '9') return -1;
    *out = strtoll(s + n + 1, &end, 10);
    return *end ? -1 : 0;
}

static int int_arg(const char *s, long long *out)
{
    char *end;

    if (!s || *s < '0' || *s > '9') return -1;
    *out = strtoll(s, &end, 10);
    return *end ? -1 : 0;
}

static int cmd_sched_set(int argc, char **argv)
{
    static const struct option opts[] = {
        { "weight", required_argument, NULL, 'w' },
        { "cap", required_argument, NULL, 'c' },
        { "domain", required_argument, NULL, 'd' },
        { "force", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("sched-set");
    const char *dom = NULL;
    long long w = -1, c = -1;
    bool force = false;
    yajl_val reply;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "w:c:d:f", opts, NULL)) != -1) {
        switch (opt) {
        case 'w':
            if (int_arg(optarg, &w))
                return xres_cli_usage_error(self, "sched-set: bad weight "
                                            "`%s'", optarg);
            break;
        case 'c':
            if (int_arg(optarg, &c))
                return xres_cli_usage_error(self, "sched-set: bad cap `%s'",
                                            optarg);
            break;
        case 'd': dom = optarg; break;
        case 'f': force = true; break;
        default: return xres_cli_usage_error(self, "sched-set: bad option");
        }
    }
    for (int i = optind; i < argc; i++) {
        int r;
        if ((r = parse_kv_int(argv[i], "weight", &w)) <= 0) {
            if (r < 0) return xres_cli_usage_error(self, "sched-set: bad "
                                                   "`%s'", argv[i]);
        } else if ((r = parse_kv_int(argv[i], "cap", &c)) <= 0) {
            if (r < 0) return xres_cli_usage_error(self, "sched-set: bad "
                                                   "`%s'", argv[i]);
        } else if (!dom) {
            dom = argv[i];
        } else {
            return xres_cli_usage_error(self, "sched-set: unexpected `%s'",
                                        argv[i]);
        }
    }
    if (!dom) return xres_cli_usage_error(self, "sched-set: no domain");
    if (w < 0 && c < 0)
        return xres_cli_usage_error(self, "sched-set: give weight and/or "
                                    "cap");
    g = xres_cli_req_begin("sched-set");
    xres_json_kv_str(g, "domain", dom);
    if (w >= 0) xres_json_kv_int(g, "weight", w);
    if (c >= 0) xres_json_kv_int(g, "cap", c);
    if (force) xres_json_kv_bool(g, "force", true);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    {
        long long rw = -1, rcap = -1;
        const char *name = xres_json_get_str(reply, "name");
        xres_json_get_int(reply, "weight", &rw);
        xres_json_get_int(reply, "cap", &rcap);
        printf("%s: weight %lld, cap %lld\n", name ? name : dom, rw, rcap);
    }
    yajl_tree_free(reply);
    return XRES_EXIT_OK;
}

static int cmd_sched_policy(int argc, char **argv)
{
    static const struct option opts[] = {
        { "reset", no_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("sched-policy");
    bool reset = false;
    char text[512] = "";
    size_t o = 0;
    yajl_val reply;
    yajl_gen g;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "r", opts, NULL)) != -1) {
        if (opt == 'r') reset = true;
        else return xres_cli_usage_error(self, "sched-policy: bad option");
    }
    if (optind >= argc)
        return xres_cli_usage_error(self, "sched-policy: no domain");
    for (int i = optind + 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (o + n + 2 > sizeof(text))
            return xres_cli_usage_error(self, "sched-policy: policy too "
                                        "long");
        if (o) text[o++] = ' ';
        memcpy(text + o, argv[i], n);
        o += n;
        text[o] = '\0';
    }
    if (reset && o)
        return xres_cli_usage_error(self, "sched-policy: --reset takes no "
                                    "policy");
    g = xres_cli_req_begin("sched-policy");
    xres_json_kv_str(g, "domain", argv[optind]);
    if (o) xres_json_kv_str(g, "policy", text);
    if (reset) xres_json_kv_bool(g, "reset", true);
    rc = xres_cli_call(g, &reply);
    if (rc) return rc;
    {
        const char *name = xres_json_get_str(reply, "name");
        const char *pol = xres_json_get_str(reply, "policy");
        const char *src = xres_json_get_str(reply, "source");
        printf("%s: %s (%s)\n", name ? name : argv[optind],
               pol ? pol : "?",
               src && !strcmp(src, "-") ? "default" : src ? src : "?");
    }
    yajl_tree_free(reply);
    return XRES_EXIT_OK;
}

const xres_cmd xres_cmds_sched[] = {
    { "sched-list", cmd_sched_list, "[-j|--json] [-d] [DOM]",
      "List weights, caps, measured CPU use and policies", list_help },
    { "sched-set", cmd_sched_set,
      "[-f|--force] DOM [weight=W | -w W] [cap=C | -c C]",
      "Set a domain's credit weight and/or cap", set_help },
    { "sched-policy", cmd_sched_policy, "[-r|--reset] DOM [POLICY...]",
      "Show or set a domain's CPU policy", policy_help },
    { NULL, NULL, NULL, NULL, NULL },
};
