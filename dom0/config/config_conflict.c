/*
 * dom0/config/config_conflict.c: reads the conflict and relocation keys
 * of xres.conf (config_conflict.h).
 */
#include <errno.h>
#include <libxlutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_conflict.h"
#include "util.h"

static const char *file_of(const xres_config *cfg)
{
    return cfg->path ? cfg->path : "defaults";
}

/* key's value among names (n of them): its index, or -EINVAL. */
static int choice(const xres_config *cfg, const char *key,
                  const char *const *names, int n, const char *def,
                  const char *what, int *out, char *err, size_t errlen)
{
    const char *v = xres_config_get_string(cfg, key, def);

    for (int i = 0; i < n; i++)
        if (names[i] && !strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
    snprintf(err, errlen, "%.96s: `%s' = \"%.32s\": not %s", file_of(cfg), key,
             v, what);
    return -EINVAL;
}

static int duration_ms(const xres_config *cfg, const char *key,
                       const char *def, uint64_t *out, char *err,
                       size_t errlen)
{
    const char *v = xres_config_get_string(cfg, key, def);
    uint64_t s;

    if (xres_parse_duration_s(v, &s) || s > 7 * 86400) {
        snprintf(err, errlen, "%.96s: `%s' = \"%.32s\": not a duration up to "
                 "7d", file_of(cfg), key, v);
        return -EINVAL;
    }
    *out = s * 1000;
    return 0;
}

/* "static:N", "up/n" or "up/n-k:K". */
static int read_tvm(const xres_config *cfg, xres_conflict_params *p,
                    char *err, size_t errlen)
{
    const char *v = xres_config_get_string(cfg, "conflict_t_vm", "up/n");
    const char *num = NULL;
    char *end;
    unsigned long n = 0;

    if (!strcmp(v, "up/n")) {
        p->tvm = XRES_TVM_UP_N;
        p->tvm_value = 0;
        return 0;
    }
    if (!strncmp(v, "static:", 7)) {
        p->tvm = XRES_TVM_STATIC;
        num = v + 7;
    } else if (!strncmp(v, "up/n-k:", 7)) {
        p->tvm = XRES_TVM_UP_N_K;
        num = v + 7;
    }
    if (num && *num >= '0' && *num <= '9') n = strtoul(num, &end, 10);
    if (!num || *num < '0' || *num > '9' || *end || n > 100 ||
        (p->tvm == XRES_TVM_STATIC && !n)) {
        snprintf(err, errlen, "%.96s: `conflict_t_vm' = \"%.32s\": not "
                 "static:N (1..100), up/n or up/n-k:K (0..100)", file_of(cfg),
                 v);
        return -EINVAL;
    }
    p->tvm_value = (unsigned)n;
    return 0;
}

static bool host_name_ok(const char *s, size_t len)
{
    if (!len || len >= XRES_CLUSTER_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' ||
              s[i] == '_'))
            return false;
    return true;
}

/* "N" or "N.FFF" as thousandths. */
static int milli(const char *s, unsigned *out)
{
    unsigned long w, f = 0;
    char *end;
    int digits = 0;

    if (*s < '0' || *s > '9') return -EINVAL;
    w = strtoul(s, &end, 10);
    if (*end == '.') {
        for (end++; *end >= '0' && *end <= '9' && digits < 3; end++, digits++)
            f = f * 10 + (unsigned long)(*end - '0');
        if (!digits) return -EINVAL;
        for (; digits < 3; digits++) f *= 10;
    }
    if (*end || w > 1000) return -EINVAL;
    *out = (unsigned)(w * 1000 + f);
    return 0;
}

/* A list of "HOST=VALUE" into fn's slots: thousandths (coefficient) or %. */
static int host_list(const xres_config *cfg, const char *key, bool coef,
                     unsigned min, unsigned max, xres_relocate_named *v,
                     size_t vmax, size_t *n, char *err, size_t errlen)
{
    XLU_ConfigList *list;
    int cnt, r;

    *n = 0;
    if (!cfg->xlu) return 0;
    r = xlu_cfg_get_list(cfg->xlu, key, &list, &cnt, 0);
    if (r == ESRCH) return 0;
    if (r) goto bad;
    for (int i = 0; i < cnt; i++) {
        const char *item = xlu_cfg_get_listitem(list, i);
        const char *eq = item ? strchr(item, '=') : NULL;
        unsigned val;
        char *end;
        if (!eq || !host_name_ok(item, (size_t)(eq - item)) ||
            (size_t)i >= vmax)
            goto bad;
        if (coef) {
            if (milli(eq + 1, &val)) goto bad;
        } else {
            unsigned long x = strtoul(eq + 1, &end, 10);
            if (eq[1] < '0' || eq[1] > '9' || *end || x > max) goto bad;
            val = (unsigned)x;
        }
        if (val < min || val > max) goto bad;
        memcpy(v[*n].name, item, (size_t)(eq - item));
        v[*n].name[eq - item] = '\0';
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(v[k].name, v[*n].name)) goto bad;
        v[(*n)++].value = val;
    }
    return 0;
bad:
    snprintf(err, errlen, "%.96s: `%s' must be a list of \"HOST=%s\" "
             "strings, each host once", file_of(cfg), key,
             coef ? "0.001..1000" : "1..100");
    return -EINVAL;
}

static int read_conflict(const xres_config *cfg, xres_conflict_params *p,
                         char *err, size_t errlen)
{
    static const char *const modes[] = { "off", "host", "central",
                                         "decentralised" };
    static const char *const res[] = { NULL, "cpu", "mem", "both" };
    static const char *const comb[] = { "any", "all" };
    xres_relocate_named v[XRES_CONFLICT_HOSTS_MAX];
    long t_cpu, t_mem, sustain;
    int i, rc;
    size_t n;

    xres_conflict_params_default(p);
    if ((rc = choice(cfg, "conflict_mode", modes, 4, "host",
                     "off, host, central or decentralised", &i, err, errlen)))
        return rc;
    p->mode = (xres_conflict_mode)i;
    if ((rc = xres_config_long(cfg, "conflict_t_server_cpu", 1, 100, 80,
                               &t_cpu, err, errlen)) ||
        (rc = xres_config_long(cfg, "conflict_t_server_mem", 1, 100, 90,
                               &t_mem, err, errlen)) ||
        (rc = xres_config_long(cfg, "conflict_sustain", 1, 100,
                               XRES_CONFLICT_SUSTAIN_DEFAULT, &sustain, err,
                               errlen)))
        return rc;
    p->t_server[XRES_RES_CPU] = (unsigned)t_cpu;
    p->t_server[XRES_RES_MEM] = (unsigned)t_mem;
    p->sustain = (unsigned)sustain;
    if ((rc = read_tvm(cfg, p, err, errlen))) return rc;
    if ((rc = choice(cfg, "conflict_resources", res, 4, "cpu",
                     "cpu, mem or both", &i, err, errlen)))
        return rc;
    p->resources = (unsigned)i;     /* the bits: cpu 1, mem 2, both 3 */
    if ((rc = choice(cfg, "conflict_combine", comb, 2, "any", "any or all",
                     &i, err, errlen)))
        return rc;
    p->combine = (xres_conflict_combine)i;
    for (int r = 0; r < XRES_RES_N; r++) {
        const char *key = r == XRES_RES_CPU ? "host_t_server_cpu"
                                            : "host_t_server_mem";
        if ((rc = host_list(cfg, key, false, 1, 100, v,
                            XRES_CONFLICT_HOSTS_MAX, &n, err, errlen)))
            return rc;
        for (size_t k = 0; k < n; k++) {
            size_t j;
            for (j = 0; j < p->nhosts; j++)
                if (!strcmp(p->hosts[j].host, v[k].name)) break;
            if (j == p->nhosts) {
                if (p->nhosts == XRES_CONFLICT_HOSTS_MAX) break;
                memcpy(p->hosts[p->nhosts++].host, v[k].name,
                       sizeof(v[k].name));
            }
            p->hosts[j].t_server[r] = v[k].value;
        }
    }
    return 0;
}

static int read_relocate(const xres_config *cfg, xres_relocate_params *p,
                         char *err, size_t errlen)
{
    static const char *const onoff[] = { "off", "on" };
    static const char *const chooses[] = { "busiest", "priority",
                                           "weighted" };
    long wc, wm, wp, ps;
    int i, rc;

    xres_relocate_params_default(p);
    if ((rc = choice(cfg, "relocate", onoff, 2, "off", "on or off", &i, err,
                     errlen)))
        return rc;
    p->on = i == 1;
    if ((rc = choice(cfg, "relocate_choose", chooses, 3, "busiest",
                     "busiest, priority or weighted", &i, err, errlen)))
        return rc;
    p->choose = (xres_relocate_choose)i;
    if ((rc = xres_config_long(cfg, "relocate_weight_cpu", 0, 1000, 1, &wc,
                               err, errlen)) ||
        (rc = xres_config_long(cfg, "relocate_weight_mem", 0, 1000, 1, &wm,
                               err, errlen)) ||
        (rc = xres_config_long(cfg, "relocate_weight_priority", 0, 1000, 0,
                               &wp, err, errlen)) ||
        (rc = xres_config_long(cfg, "relocate_power_saving", 0, 1, 0, &ps,
                               err, errlen)) ||
        (rc = duration_ms(cfg, "relocate_hold_down", "10m", &p->hold_down_ms,
                          err, errlen)) ||
        (rc = duration_ms(cfg, "relocate_lock_timeout", "30s",
                          &p->lock_timeout_ms, err, errlen)))
        return rc;
    p->w_cpu = (unsigned)wc;
    p->w_mem = (unsigned)wm;
    p->w_prio = (unsigned)wp;
    p->power_saving = ps == 1;
    if ((rc = host_list(cfg, "host_coefficient", true, 1, 1000000, p->coef,
                        XRES_CONFLICT_HOSTS_MAX, &p->ncoef, err, errlen)))
        return rc;
    for (size_t k = 0; k < cfg->nr_domains; k++) {
        const char *name = cfg->domains[k].name;
        const char *v = xres_config_domain_get(cfg, name, "relocate_priority");
        const char *never = xres_config_domain_get(cfg, name, "relocate");
        char *end;
        unsigned long pr;
        if (never && strcmp(never, "never") && strcmp(never, "allow")) {
            snprintf(err, errlen, "%.96s: domain %.64s: relocate is "
                     "\"never\" or \"allow\"", file_of(cfg), name);
            return -EINVAL;
        }
        if (!v) continue;
        pr = strtoul(v, &end, 10);
        if (*end || pr > 1000 || p->nprio == XRES_RELOCATE_PRIOS_MAX) {
            snprintf(err, errlen, "%.96s: domain %.64s: relocate_priority is "
                     "0..1000 (at most %d domains)", file_of(cfg), name,
                     XRES_RELOCATE_PRIOS_MAX);
            return -EINVAL;
        }
        snprintf(p->prio[p->nprio].name, sizeof(p->prio[0].name), "%s", name);
        p->prio[p->nprio++].value = (unsigned)pr;
    }
    return 0;
}

int xres_conflict_config_read(const xres_config *cfg,
                              xres_conflict_config *c, char *err,
                              size_t errlen)
{
    xres_conflict_config n;
    int rc;

    memset(&n, 0, sizeof(n));
    if ((rc = read_conflict(cfg, &n.conflict, err, errlen)) ||
        (rc = read_relocate(cfg, &n.relocate, err, errlen)))
        return rc;
    *c = n;
    return 0;
}
