/*
 * dom0/daemon/mem_policy_rt.c: the run-time memory policies of `xres
 * mem-policy`: kept by domain name, stored in XenStore, restored at
 * start-up and laid over the configured ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "mem_priv.h"
#include "xs_schema.h"

/* ---- run-time policies ---- */

static bool name_ok(const char *s)
{
    if (!*s || strlen(s) >= XRES_NAME_MAX) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return false;
    return true;
}

static rt_policy *rt_find(mem_priv *mp, const char *name, bool add)
{
    for (size_t i = 0; i < mp->rt_n; i++)
        if (!strcmp(mp->rt[i].name, name)) return &mp->rt[i];
    if (!add || mp->rt_n >= MEM_RT_POLICIES_MAX) return NULL;
    rt_policy *v = realloc(mp->rt, (mp->rt_n + 1) * sizeof(*v));
    if (!v) return NULL;
    mp->rt = v;
    rt_policy *r = &v[mp->rt_n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    return r;
}

static void pol_apply(xres_mem_policy *dst, const rt_policy *r)
{
    if (r->set & POL_MIN) dst->min_kb = r->pol.min_kb;
    if (r->set & POL_MAX) dst->max_kb = r->pol.max_kb;
    if (r->set & POL_PRIO) dst->priority = r->pol.priority;
    if (r->set & POL_WEIGHT) dst->weight = r->pol.weight;
}

/* The core merges d->cfg's `domains` into every snapshot, so run-time
 * policies are laid over that list (and over the current snapshot). */
int xres_memd_overlay(xres_daemon *d)
{
    mem_priv *mp = P(d);

    for (size_t i = 0; i < mp->rt_n; i++) {
        const rt_policy *r = &mp->rt[i];
        xres_config_domain *cd = NULL;
        for (size_t j = 0; j < d->cfg.nr_domains; j++)
            if (!strcmp(d->cfg.domains[j].name, r->name))
                cd = &d->cfg.domains[j];
        if (!cd) {
            xres_config_domain *v = realloc(d->cfg.domains,
                                            (d->cfg.nr_domains + 1) *
                                            sizeof(*v));
            if (!v) return -ENOMEM;
            d->cfg.domains = v;
            cd = &v[d->cfg.nr_domains++];
            memset(cd, 0, sizeof(*cd));
            snprintf(cd->name, sizeof(cd->name), "%s", r->name);
        }
        pol_apply(&cd->mem, r);
        xres_domain *dom = xres_host_find_name(&d->host, r->name);
        if (dom) pol_apply(&dom->mem_policy, r);
    }
    return 0;
}

/* The policy keys, their XenStore rows and their names in requests. */
static const struct {
    const char *key;
    unsigned bit;
    xres_schema_id id;
} pol_keys[] = {
    { "min_kb", POL_MIN, XS_MEM_POLICY_MIN },
    { "max_kb", POL_MAX, XS_MEM_POLICY_MAX },
    { "priority", POL_PRIO, XS_MEM_POLICY_PRIO },
    { "weight", POL_WEIGHT, XS_MEM_POLICY_WEIGHT },
};

void xres_memd_load_policies(xres_daemon *d)
{
    mem_priv *mp = P(d);
    char **names = NULL, path[XRES_SCHEMA_PATH_MAX];
    unsigned n = 0;

    if (xres_schema_path(path, sizeof(path), XS_MEM_POLICY_DIR, 0, NULL) ||
        d->be->ops->xs_directory(d->be, path, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        rt_policy *r;
        if (!name_ok(names[i]) || !(r = rt_find(mp, names[i], true)))
            continue;
        for (size_t k = 0; k < sizeof(pol_keys) / sizeof(pol_keys[0]); k++) {
            uint64_t v;
            if (xres_xs_get_u64(d, pol_keys[k].id, 0, names[i], &v))
                continue;
            if (pol_keys[k].bit == POL_MIN) r->pol.min_kb = v;
            else if (pol_keys[k].bit == POL_MAX) r->pol.max_kb = v;
            else if (v > 65535) continue;
            else if (pol_keys[k].bit == POL_PRIO)
                r->pol.priority = (unsigned)v;
            else if (v) r->pol.weight = (unsigned)v;
            else continue;
            r->set |= pol_keys[k].bit;
        }
        XLOG_INFO("mem: run-time policy of %s restored from XenStore",
                  r->name);
    }
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int store_policy(xres_daemon *d, const rt_policy *r)
{
    int rc = 0;

    for (size_t k = 0; k < sizeof(pol_keys) / sizeof(pol_keys[0]) && !rc;
         k++) {
        uint64_t v;
        if (!(r->set & pol_keys[k].bit)) continue;
        switch (pol_keys[k].bit) {
        case POL_MIN: v = r->pol.min_kb; break;
        case POL_MAX: v = r->pol.max_kb; break;
        case POL_PRIO: v = r->pol.priority; break;
        default: v = r->pol.weight; break;
        }
        rc = xres_xs_put_u64(d, pol_keys[k].id, 0, r->name, v);
    }
    return rc;
}

static void reply_policy(xres_daemon *d, yajl_gen out, const char *name)
{
    const xres_domain *dom = xres_host_find_name(&d->host, name);
    const xres_config_domain *cd = xres_config_domain_find(&d->cfg, name);
    xres_mem_policy pol;

    memset(&pol, 0, sizeof(pol));
    if (cd) pol = cd->mem;
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_str(out, "name", name);
    xres_json_kv_u64(out, "min_kb", pol.min_kb);
    xres_json_kv_u64(out, "max_kb", pol.max_kb);
    if (dom) xres_json_kv_u64(out, "effective_max_kb", xres_mem_max_of(dom));
    xres_json_kv_u64(out, "priority", pol.priority);
    xres_json_kv_u64(out, "weight", pol.weight ? pol.weight : 1);
    yajl_gen_map_close(out);
}

int xres_memd_cmd_policy(xres_daemon *d, yajl_val req, yajl_gen out)
{
    mem_priv *mp = P(d);
    const char *name = xres_json_get_str(req, "dom");
    const xres_domain *dom;
    rt_policy nr, *r;
    uint64_t v;
    int rc;

    xres_memd_overlay(d);
    if (!name) {
        xres_ipc_reply_error(out, "missing `dom'");
        return 0;
    }
    dom = xres_daemon_find_domain(d, name);
    if (dom) name = dom->name;
    if (!name_ok(name)) {
        xres_ipc_reply_error(out, "%s: not a domain name xres can keep a "
                             "policy for (letters, digits, - _ . only)",
                             name);
        return 0;
    }
    /* Start from what is in force. */
    memset(&nr, 0, sizeof(nr));
    snprintf(nr.name, sizeof(nr.name), "%s", name);
    name = nr.name;             /* not into d->host, whatever refreshes it */
    const xres_config_domain *cd = xres_config_domain_find(&d->cfg, name);
    if (cd) nr.pol = cd->mem;
    for (size_t k = 0; k < sizeof(pol_keys) / sizeof(pol_keys[0]); k++) {
        unsigned bit = pol_keys[k].bit;
        rc = xres_json_get_u64(req, pol_keys[k].key, &v);
        if (rc == -ENOENT) continue;
        if (rc || ((bit == POL_PRIO || bit == POL_WEIGHT) && v > 65535) ||
            (bit == POL_WEIGHT && v == 0) ||
            ((bit == POL_MIN || bit == POL_MAX) &&
             (v % 4 || v > 1099511627776ULL))) {
            xres_ipc_reply_error(out, "%s: invalid %s", name,
                                 pol_keys[k].key);
            return 0;
        }
        nr.set |= bit;
        switch (bit) {
        case POL_MIN: nr.pol.min_kb = v; break;
        case POL_MAX: nr.pol.max_kb = v; break;
        case POL_PRIO: nr.pol.priority = (unsigned)v; break;
        default: nr.pol.weight = (unsigned)v; break;
        }
    }
    if (!nr.set) {
        reply_policy(d, out, name);
        return 0;
    }
    if (nr.pol.max_kb && nr.pol.min_kb > nr.pol.max_kb) {
        xres_ipc_reply_error(out, "%s: min (%" PRIu64 " KiB) is above max (%"
                             PRIu64 " KiB)", name, nr.pol.min_kb,
                             nr.pol.max_kb);
        return 0;
    }
    if (dom && dom->static_max_kb && (nr.set & POL_MIN) &&
        nr.pol.min_kb > dom->static_max_kb) {
        xres_ipc_reply_error(out, "%s: min (%" PRIu64 " KiB) is above its "
                             "static-max (%" PRIu64 " KiB)", name,
                             nr.pol.min_kb, dom->static_max_kb);
        return 0;
    }
    if (!rt_find(mp, name, false) && mp->rt_n >= MEM_RT_POLICIES_MAX) {
        xres_ipc_reply_error(out, "%s: too many run-time policies (%d)",
                             name, MEM_RT_POLICIES_MAX);
        return 0;
    }
    r = rt_find(mp, name, true);
    if (!r) return -ENOMEM;
    r->set |= nr.set;
    pol_apply(&r->pol, &nr);
    if ((rc = store_policy(d, r))) {
        xres_ipc_reply_error(out, "%s: cannot store the policy in XenStore: "
                             "%s", name, strerror(-rc));
        return 0;
    }
    xres_memd_overlay(d);
    XLOG_INFO("mem: policy of %s: min %" PRIu64 " KiB, max %" PRIu64 " KiB, "
              "priority %u, weight %u", name, r->pol.min_kb, r->pol.max_kb,
              r->pol.priority, r->pol.weight);
    reply_policy(d, out, name);
    xres_memd_cycle(d, true);
    return 0;
}

