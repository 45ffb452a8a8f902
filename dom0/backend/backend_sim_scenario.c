/*
 * dom0/backend/backend_sim_scenario.c: simulated hosts from scenario
 * files in xl.cfg syntax, and the built-in ones (`xresd --simulate`,
 * backend_sim.h).
 */
#include <ctype.h>
#include <errno.h>
#include <libxlutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_sim_priv.h"
#include "util.h"

static int scen_size(XLU_Config *c, const char *key, uint64_t def,
                     uint64_t *out)
{
    const char *s;
    long v;

    *out = def;
    if (!xlu_cfg_get_long(c, key, &v, 1)) {
        if (v <= 0) return -EINVAL;
        *out = (uint64_t)v * 1024;
        return 0;
    }
    if (xlu_cfg_get_string(c, key, &s, 1)) return 0;
    return xres_parse_size_kb(s, 'm', out) ? -EINVAL : 0;
}

static int scen_domain(xres_backend *b, const char *spec, uint64_t def_rate,
                       char *err, size_t errlen, const char *file, int idx)
{
    char *copy = strdup(spec), *save = NULL, *tok;
    char name[XRES_NAME_MAX] = "";
    uint64_t mem = 0, maxmem = 0, rate = def_rate;
    unsigned long vcpus = 1, weight = 256, cap = 0, cpu = 0;
    bool refuses = false, balloon = true, agent = false;
    uint64_t used = 0;
    uint32_t domid;
    int rc = -EINVAL;

    if (!copy) return -ENOMEM;
    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *k, *v, *end;
        if (!eq) goto bad;
        *eq = 0;
        for (k = tok; isspace((unsigned char)*k); k++) {}
        for (end = eq; end > k && isspace((unsigned char)end[-1]); end--) {}
        *end = 0;
        for (v = eq + 1; isspace((unsigned char)*v); v++) {}
        for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]);
             end--) {}
        *end = 0;
        unsigned long ul = strtoul(v, &end, 10);
        bool num = isdigit((unsigned char)*v) && !*end;
        if (!strcmp(k, "name")) {
            if (!*v || strlen(v) >= sizeof(name)) goto bad;
            strcpy(name, v);
        } else if (!strcmp(k, "memory")) {
            if (xres_parse_size_kb(v, 'm', &mem)) goto bad;
        } else if (!strcmp(k, "maxmem")) {
            if (xres_parse_size_kb(v, 'm', &maxmem)) goto bad;
        } else if (!strcmp(k, "rate")) {
            if (xres_parse_size_kb(v, 'm', &rate)) goto bad;
        } else if (!strcmp(k, "used")) {
            if (xres_parse_size_kb(v, 'm', &used)) goto bad;
            agent = true;
        } else if (num && !strcmp(k, "vcpus")) vcpus = ul;
        else if (num && !strcmp(k, "weight")) weight = ul;
        else if (num && !strcmp(k, "cap")) cap = ul;
        else if (num && !strcmp(k, "cpu")) cpu = ul;
        else if (num && !strcmp(k, "refuses")) refuses = ul;
        else if (num && !strcmp(k, "balloon")) balloon = ul;
        else if (num && !strcmp(k, "agent")) agent = ul;
        else goto bad;
    }
    if (!name[0] || !mem) goto bad;
    rc = xres_sim_add_domain(b, name, mem, maxmem, &domid);
    if (rc) {
        snprintf(err, errlen, "%s: domains[%d] (%s): %s", file, idx, name,
                 rc == -ENOMEM ? "not enough free host memory"
                               : strerror(-rc));
        goto out;
    }
    xres_sim_set_balloon_rate(b, domid, rate);
    xres_sim_set_balloon_refuses(b, domid, refuses);
    if (!balloon) xres_sim_set_feature_balloon(b, domid, false);
    xres_sim_set_cpu_load(b, domid, cpu);
    if (agent && domid == 0) {
        snprintf(err, errlen, "%s: domains[%d] (%s): Domain-0 runs no "
                 "agent", file, idx, name);
        rc = -EINVAL;
        goto out;
    }
    if (agent) xres_sim_set_agent(b, domid, true, used ? used : mem / 2);
    rc = xres_sim_set_vcpus(b, domid, vcpus);
    if (!rc) rc = sim_set_sched(b, domid, weight, cap);
    if (rc) {
        snprintf(err, errlen, "%s: domains[%d] (%s): bad vcpus, weight or "
                 "cap", file, idx, name);
        goto out;
    }
    rc = 0;
    goto out;
bad:
    snprintf(err, errlen, "%s: domains[%d]: cannot parse \"%s\" (need "
             "name= and memory=; keys: maxmem vcpus weight cap rate "
             "refuses balloon cpu agent used)", file, idx, spec);
    rc = -EINVAL;
out:
    free(copy);
    return rc;
}

static const char *const default_scenario[] = {
    "name=Domain-0, memory=2G, vcpus=2, balloon=0",
    "name=g1, memory=1G, maxmem=2G, vcpus=2",
    "name=g2, memory=512M, maxmem=1G, vcpus=1",
};
/* The same host with an agent in each guest (xresd --simulate agents). */
static const char *const agents_scenario[] = {
    "name=Domain-0, memory=2G, vcpus=2, balloon=0",
    "name=g1, memory=1G, maxmem=2G, vcpus=2, used=900M, cpu=60",
    "name=g2, memory=512M, maxmem=1G, vcpus=1, used=128M, cpu=5",
};

int xres_sim_open_scenario(xres_backend *b, const char *path, char *err,
                           size_t errlen)
{
    XLU_Config *c = NULL;
    XLU_ConfigList *list = NULL;
    uint64_t total = 8ULL << 20, reserved = 0, rate = 0;
    long cpus = 2;
    int n = 0, rc;
    const char *const *builtin = NULL;
    const char *file = path ? path : "(built-in scenario)";

    b->ops = NULL;
    /* "agents", when no such file exists: the built-in host with an agent
     * in each guest. */
    if (!path) {
        builtin = default_scenario;
        n = sizeof(default_scenario) / sizeof(default_scenario[0]);
    } else if (!strcmp(path, "agents") && access(path, F_OK) < 0) {
        builtin = agents_scenario;
        n = sizeof(agents_scenario) / sizeof(agents_scenario[0]);
        file = "(built-in scenario with agents)";
    }
    if (!builtin) {
        c = xlu_cfg_init(stderr, path);
        if (!c) { rc = -ENOMEM; goto out; }
        if (access(path, R_OK) < 0) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        rc = xlu_cfg_readfile(c, path);
        if (rc) {
            snprintf(err, errlen, "%s: cannot parse (see above)", path);
            rc = -rc;
            goto out;
        }
        if (scen_size(c, "memory", total, &total) ||
            scen_size(c, "reserved", 0, &reserved) ||
            scen_size(c, "balloon_rate", 0, &rate)) {
            snprintf(err, errlen, "%s: memory, reserved and balloon_rate "
                     "are sizes like \"16G\"", path);
            rc = -EINVAL;
            goto out;
        }
        if (xlu_cfg_get_long(c, "cpus", &cpus, 1) == 0 &&
            (cpus < 1 || cpus > 4096)) {
            snprintf(err, errlen, "%s: cpus must be 1..4096", path);
            rc = -EINVAL;
            goto out;
        }
        if (xlu_cfg_get_list(c, "domains", &list, &n, 1) || n == 0) {
            snprintf(err, errlen, "%s: needs a domains = [ ... ] list",
                     path);
            rc = -EINVAL;
            goto out;
        }
    }
    rc = xres_backend_sim_open(b, total, (unsigned)cpus);
    if (rc) goto out;
    rc = xres_sim_set_reserved_kb(b, reserved);
    if (rc) {
        snprintf(err, errlen, "%s: reserved is above memory", file);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *spec = builtin ? builtin[i]
                                   : xlu_cfg_get_listitem(list, i);
        if (!spec) {
            snprintf(err, errlen, "%s: domains[%d] must be a string", file,
                     i);
            rc = -EINVAL;
            goto out;
        }
        rc = scen_domain(b, spec, rate ? rate : XRES_SIM_DEFAULT_RATE_KB,
                         err, errlen, file, i);
        if (rc) goto out;
    }
    /* Events from building the host are of no interest to anyone. */
    S(b)->ev_len = 0;
    rc = 0;
out:
    if (c) xlu_cfg_destroy(c);
    if (rc && b->ops) xres_backend_dispose(b);
    return rc;
}
