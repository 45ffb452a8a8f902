/*
 * dom0/config/config_pair.c: reads the hot-standby pair keys of xres.conf
 * (config_pair.h): the settings, the reserve, and the pairs declared on
 * the domains (pair=, role=, pair_apps=).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_pair.h"
#include "util.h"
#include "xs_schema.h"

static void cfg_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cfg_why(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!why || !len) return;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

int xres_pair_apps_parse(const char *s, xres_pair_app *apps, size_t max,
                         size_t *n, char *err, size_t errlen)
{
    char buf[256], *tok, *save = NULL;

    *n = 0;
    if (strlen(s) >= sizeof(buf)) {
        cfg_why(err, errlen, "pair_apps is too long");
        return -EINVAL;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    for (tok = strtok_r(buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        char *c1 = strchr(tok, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        xres_pair_app *a;
        uint64_t kb;

        if (!c1 || !c2 || strchr(c2 + 1, ':')) {
            cfg_why(err, errlen, "pair_apps: `%s' is not NAME:SIZE:hot|cold",
                    tok);
            return -EINVAL;
        }
        *c1 = *c2 = 0;
        if (*n == max) {
            cfg_why(err, errlen, "pair_apps: at most %zu apps", max);
            return -EINVAL;
        }
        if (!xres_schema_check_name(tok, strlen(tok)) ||
            strlen(tok) >= XRES_PAIR_NAME_MAX) {
            cfg_why(err, errlen, "pair_apps: bad app name `%s': use "
                    "[a-z][a-z0-9_]*, at most 31 characters", tok);
            return -EINVAL;
        }
        if (xres_parse_size_kb(c1 + 1, 'm', &kb) || !kb) {
            cfg_why(err, errlen, "pair_apps: %s: `%s' is not a size (like "
                    "64M)", tok, c1 + 1);
            return -EINVAL;
        }
        if (strcmp(c2 + 1, "hot") && strcmp(c2 + 1, "cold")) {
            cfg_why(err, errlen, "pair_apps: %s: `%s' must be hot or cold",
                    tok, c2 + 1);
            return -EINVAL;
        }
        for (size_t i = 0; i < *n; i++)
            if (!strcmp(apps[i].name, tok)) {
                cfg_why(err, errlen, "pair_apps: %s given twice", tok);
                return -EINVAL;
            }
        a = &apps[(*n)++];
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "%s", tok);
        a->size_kb = kb;
        a->hot = !strcmp(c2 + 1, "hot");
    }
    return 0;
}

int xres_pair_decls_of_config(const xres_config *cfg,
                              xres_pair_decl *v, size_t max, size_t *n,
                              char *err, size_t errlen)
{
    const char *file = cfg->path ? cfg->path : "xres.conf";

    *n = 0;
    for (size_t i = 0; i < cfg->nr_domains; i++) {
        const char *dn = cfg->domains[i].name;
        const char *pn = xres_config_domain_get(cfg, dn, "pair");
        const char *role = xres_config_domain_get(cfg, dn, "role");
        const char *apps = xres_config_domain_get(cfg, dn, "pair_apps");
        xres_pair_decl *x = NULL;
        char why[200] = "";
        bool active;

        if (!pn) {
            if (role || apps) {
                cfg_why(err, errlen, "%s: domains (%s): %s= without pair=",
                        file, dn, role ? "role" : "pair_apps");
                return -EINVAL;
            }
            continue;
        }
        if (!xres_pair_name_ok(pn)) {
            cfg_why(err, errlen, "%s: domains (%s): pair=%s: a pair name is "
                    "1 to 31 of [A-Za-z0-9_.-], not `base'", file, dn, pn);
            return -EINVAL;
        }
        if (!role || (strcmp(role, "active") && strcmp(role, "standby"))) {
            cfg_why(err, errlen, "%s: domains (%s): pair=%s needs role=active"
                    " or role=standby%s%s", file, dn, pn,
                    role ? ", not " : "", role ? role : "");
            return -EINVAL;
        }
        active = !strcmp(role, "active");
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(v[k].name, pn)) x = &v[k];
        if (!x) {
            if (*n == max) {
                cfg_why(err, errlen, "%s: domains (%s): pair=%s: at most %zu "
                        "pairs", file, dn, pn, max);
                return -EINVAL;
            }
            x = &v[(*n)++];
            memset(x, 0, sizeof(*x));
            snprintf(x->name, sizeof(x->name), "%s", pn);
        }
        if ((active ? x->active : x->standby)[0]) {
            cfg_why(err, errlen, "%s: domains (%s): pair=%s has two %s "
                    "domains (%s and %s)", file, dn, pn, role,
                    active ? x->active : x->standby, dn);
            return -EINVAL;
        }
        snprintf(active ? x->active : x->standby, XRES_NAME_MAX, "%s", dn);
        if (apps) {
            if (x->napps) {
                cfg_why(err, errlen, "%s: domains (%s): pair=%s: pair_apps "
                        "given on both members", file, dn, pn);
                return -EINVAL;
            }
            if (xres_pair_apps_parse(apps, x->apps, XRES_PAIR_APPS_MAX,
                                     &x->napps, why, sizeof(why))) {
                cfg_why(err, errlen, "%s: domains (%s): pair=%s: %s", file,
                        dn, pn, why);
                return -EINVAL;
            }
        }
    }
    for (size_t k = 0; k < *n; k++)
        if (!v[k].active[0] || !v[k].standby[0]) {
            cfg_why(err, errlen, "%s: pair=%s has no %s domain (role=%s)",
                    file, v[k].name, v[k].active[0] ? "standby" : "active",
                    v[k].active[0] ? "standby" : "active");
            return -EINVAL;
        }
    return 0;
}

/* One ranged millisecond or count key into *out. */
static int ranged(const xres_config *cfg, const char *key, long max,
                  uint64_t *out, char *err, size_t errlen)
{
    long v;
    int rc = xres_config_long(cfg, key, 0, max, (long)*out, &v, err, errlen);

    if (!rc) *out = (uint64_t)v;
    return rc;
}

int xres_pair_params_from_config(const xres_config *cfg, xres_pair_params *p,
                                 char *err, size_t errlen)
{
    xres_pair_cfg *def = &p->defaults;
    uint64_t restarts;
    int rc;

    memset(p, 0, sizeof(*p));
    xres_pair_cfg_default(def);
    restarts = def->max_restarts;
    if ((rc = xres_config_size_kb(cfg, "pair_reserve", 0, &p->reserve_kb, err,
                                  errlen)) ||
        (rc = ranged(cfg, "pair_restarts", 100, &restarts, err, errlen)) ||
        (rc = ranged(cfg, "pair_heartbeat_timeout_ms", 3600000,
                     &def->heartbeat_timeout_ms, err, errlen)) ||
        (rc = ranged(cfg, "pair_release_timeout_ms", 3600000,
                     &def->release_timeout_ms, err, errlen)) ||
        (rc = ranged(cfg, "pair_ack_timeout_ms", 3600000,
                     &def->ack_timeout_ms, err, errlen)))
        return rc;
    def->max_restarts = (unsigned)restarts;
    return xres_pair_decls_of_config(cfg, p->decl, XRES_PAIR_DECLS_MAX,
                                     &p->ndecl, err, errlen);
}
