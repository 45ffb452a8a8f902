/*
 * dom0/config/config_cpu.c: reads the CPU keys of xres.conf (config_cpu.h).
 * Keys, all optional:
 *   cpu_load_mode = "latest"       latest, average or maximum
 *   cpu_load_window = 6            samples for average/maximum
 *   cpu_history = 30               samples kept per domain
 *   cpu_busy_pct = 90              pegged: use >= 90 % of the cap
 *   cpu_idle_pct = 30              idle: use <= 30 % of the cap
 *   cpu_demand_window = 3          samples at a cap before a decision
 *   cpu_demand_majority_pct = 60   share of them that must agree
 *   cpu_cap_step = 10              default step of a demand cap
 *   cpu_manage_run_timeout = 3600  s to wait for the managing domain's run
 *   cpu_policies = [ "web: demand min=20 max=200", "mgr: manage method=4
 *                    target=30" ]
 * and, for a fixed weight/cap, cpu_weight= / cpu_cap= in a `domains`
 * entry.  One domain may not get both; one managing domain per host.
 * cpu_source=xen|agent in a `domains` entry: whose CPU figure its
 * decisions use (default xen).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxlutil.h>

#include "config_cpu.h"

void xres_cpu_params_init(xres_cpu_params *p)
{
    memset(p, 0, sizeof(*p));
    xres_cpu_settings_init(&p->set);
    p->history = XRES_CPU_HIST_DEFAULT;
    p->run_timeout_s = XRES_CPU_RUN_TIMEOUT_DEFAULT;
}

void xres_cpu_params_dispose(xres_cpu_params *p)
{
    free(p->pols);
    free(p->agent_src);
    memset(p, 0, sizeof(*p));
}

static const char *file_of(const xres_config *cfg)
{
    return cfg->path ? cfg->path : "(defaults)";
}

static int read_settings(const xres_config *cfg, xres_cpu_params *p,
                         char *err, size_t errlen)
{
    long v;
    int rc;
    const char *mode;
    xres_cpu_settings *s = &p->set;

    xres_cpu_settings_init(s);
    mode = xres_config_get_string(cfg, "cpu_load_mode", "latest");
    if (xres_load_mode_parse(mode, &s->load_mode)) {
        snprintf(err, errlen, "%s: cpu_load_mode=%s: use latest, average or "
                 "maximum", file_of(cfg), mode);
        return -EINVAL;
    }
#define LONG(key, lo, hi, def, dst) do { \
        rc = xres_config_long(cfg, key, lo, hi, def, &v, err, errlen); \
        if (rc) return rc; \
        dst; \
    } while (0)
    LONG("cpu_load_window", 1, XRES_CPU_HIST_MAX, 6, s->load_window = v);
    LONG("cpu_history", 2, XRES_CPU_HIST_MAX, XRES_CPU_HIST_DEFAULT,
         p->history = v);
    LONG("cpu_busy_pct", 1, 100, 90, s->u_hi = v / 100.0);
    LONG("cpu_idle_pct", 0, 99, 30, s->u_lo = v / 100.0);
    LONG("cpu_demand_window", 1, XRES_CPU_HIST_MAX, 3,
         s->demand_window = v);
    LONG("cpu_demand_majority_pct", 1, 100, 60,
         s->demand_majority = v / 100.0);
    LONG("cpu_cap_step", 1, 1000, 10, s->cap_step = v);
    LONG("cpu_manage_run_timeout", 10, 604800, XRES_CPU_RUN_TIMEOUT_DEFAULT,
         p->run_timeout_s = v);
#undef LONG
    if (s->u_lo >= s->u_hi) {
        snprintf(err, errlen, "%s: cpu_idle_pct must be below cpu_busy_pct",
                 file_of(cfg));
        return -EINVAL;
    }
    return 0;
}

/* One "NAME: POLICY" item of cpu_policies, added to *v. */
static int read_item(const xres_config *cfg, int i, const char *item,
                     xres_cpu_named **v, size_t *n, char *err,
                     size_t errlen)
{
    const char *file = file_of(cfg);
    const char *colon = item ? strchr(item, ':') : NULL;
    char name[XRES_NAME_MAX], perr[160];
    xres_cpu_policy p;
    size_t nl;

    if (!colon) {
        snprintf(err, errlen, "%s: cpu_policies[%d]: expected "
                 "\"NAME: POLICY\"", file, i);
        return -EINVAL;
    }
    nl = (size_t)(colon - item);
    while (nl && (item[nl - 1] == ' ' || item[nl - 1] == '\t')) nl--;
    if (!nl || nl >= sizeof(name)) {
        snprintf(err, errlen, "%s: cpu_policies[%d]: domain name "
                 "empty or too long", file, i);
        return -EINVAL;
    }
    memcpy(name, item, nl);
    name[nl] = '\0';
    if (xres_cpu_policy_parse(colon + 1, &p, perr, sizeof(perr))) {
        snprintf(err, errlen, "%.96s: cpu_policies[%d] (%s): %.100s", file,
                 i, name, perr);
        return -EINVAL;
    }
    if (xres_cpu_named_find(*v, *n, name)) {
        snprintf(err, errlen, "%s: cpu_policies: %s given twice", file,
                 name);
        return -EINVAL;
    }
    return xres_cpu_named_set(v, n, name, &p);
}

/* cpu_weight= / cpu_cap= of the domains entry of name, if any. */
static int read_fixed(const xres_config *cfg, const char *name,
                      xres_cpu_named **v, size_t *n, char *err,
                      size_t errlen)
{
    const char *file = file_of(cfg);
    const char *w = xres_config_domain_get(cfg, name, "cpu_weight");
    const char *c = xres_config_domain_get(cfg, name, "cpu_cap");
    xres_cpu_policy p;
    char spec[64], perr[160];

    if (!w && !c) return 0;
    if (xres_cpu_named_find(*v, *n, name)) {
        snprintf(err, errlen, "%s: %s has both cpu_weight/cpu_cap in "
                 "domains and an entry in cpu_policies", file, name);
        return -EINVAL;
    }
    snprintf(spec, sizeof(spec), "fixed%s%s%s%s", w ? " weight=" : "",
             w ? w : "", c ? " cap=" : "", c ? c : "");
    if (xres_cpu_policy_parse(spec, &p, perr, sizeof(perr))) {
        snprintf(err, errlen, "%.96s: domains (%s): %.100s", file, name,
                 perr);
        return -EINVAL;
    }
    return xres_cpu_named_set(v, n, name, &p);
}

xres_cpu_source xres_cpu_params_source(const xres_cpu_params *p,
                                       const char *name)
{
    for (size_t i = 0; name && i < p->nr_agent_src; i++)
        if (!strcmp(p->agent_src[i], name)) return XRES_CPU_SOURCE_AGENT;
    return XRES_CPU_SOURCE_XEN;
}

/* cpu_source= of every domains entry. */
static int read_sources(const xres_config *cfg, xres_cpu_params *p,
                        char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->nr_domains; i++) {
        const char *name = cfg->domains[i].name;
        const char *v = xres_config_domain_get(cfg, name, "cpu_source");
        xres_cpu_source src;
        void *nv;

        if (!v) continue;
        if (xres_cpu_source_parse(v, &src)) {
            snprintf(err, errlen, "%s: domains (%s): cpu_source=%s: use xen "
                     "or agent", file_of(cfg), name, v);
            return -EINVAL;
        }
        if (src != XRES_CPU_SOURCE_AGENT) continue;
        nv = realloc(p->agent_src, (p->nr_agent_src + 1) *
                     sizeof(*p->agent_src));
        if (!nv) return -ENOMEM;
        p->agent_src = nv;
        snprintf(p->agent_src[p->nr_agent_src++], XRES_NAME_MAX, "%s", name);
    }
    return 0;
}

static int read_policies(const xres_config *cfg, xres_cpu_named **v,
                         size_t *n, char *err, size_t errlen)
{
    size_t nman = 0;
    int rc = 0;

    if (cfg->xlu) {
        XLU_ConfigList *list;
        int cnt, r;

        r = xlu_cfg_get_list(cfg->xlu, "cpu_policies", &list, &cnt, 0);
        if (r && r != ESRCH) {
            snprintf(err, errlen, "%s: cpu_policies must be a list of "
                     "\"NAME: POLICY\" strings", file_of(cfg));
            return -EINVAL;
        }
        for (int i = 0; !r && !rc && i < cnt; i++)
            rc = read_item(cfg, i, xlu_cfg_get_listitem(list, i), v, n, err,
                           errlen);
    }
    for (size_t i = 0; !rc && i < cfg->nr_domains; i++)
        rc = read_fixed(cfg, cfg->domains[i].name, v, n, err, errlen);
    if (rc) return rc;
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].pol.kind == XRES_CPU_POLICY_MANAGE) nman++;
    if (nman > 1) {
        snprintf(err, errlen, "%s: cpu_policies: %zu managing domains; only "
                 "one per host", file_of(cfg), nman);
        return -EINVAL;
    }
    return 0;
}

int xres_cpu_params_from_config(const xres_config *cfg, xres_cpu_params *p,
                                char *err, size_t errlen)
{
    xres_cpu_params q;
    int rc;

    xres_cpu_params_init(&q);
    rc = read_settings(cfg, &q, err, errlen);
    if (!rc) rc = read_policies(cfg, &q.pols, &q.nr_pols, err, errlen);
    if (!rc) rc = read_sources(cfg, &q, err, errlen);
    if (rc) goto out;
    xres_cpu_params_dispose(p);
    *p = q;
    xres_cpu_params_init(&q);
out:
    xres_cpu_params_dispose(&q);
    return rc;
}
