/*
 * dom0/config/config.c: loading /etc/xres/xres.conf with libxlutil, the generic
 * key accessors, and the per-domain `domains` list (config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <libxlutil.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "util.h"

/* Keys a `domains` entry may carry.  A subsystem that adds a per-domain
 * key adds a line here (and reads it with xres_config_domain_get). */
typedef enum { KEY_STRING, KEY_SIZE, KEY_UINT } key_type;
static const struct {
    const char *key;
    key_type type;
} domain_keys[] = {
    { "name", KEY_STRING },
    { "min", KEY_SIZE },            /* memory guarantee */
    { "max", KEY_SIZE },            /* memory ceiling */
    { "priority", KEY_UINT },       /* who receives memory first */
    { "weight", KEY_UINT },         /* share when memory is short */
    { "cpu_weight", KEY_UINT },     /* credit weight to keep */
    { "cpu_cap", KEY_UINT },        /* credit cap to keep */
    { "cpu_source", KEY_STRING },   /* CPU figure: xen or agent */
    { "pair", KEY_STRING },         /* member of this hot-standby pair */
    { "role", KEY_STRING },         /* ... as its active or standby */
    { "pair_apps", KEY_STRING },    /* the pair's apps, NAME:SIZE:hot|cold */
    { "relocate_priority", KEY_UINT },  /* which domain leaves a conflict */
    { "relocate", KEY_STRING },     /* "never": pinned to its host */
};

struct xres_config_report {
    FILE *f;
    char *buf;
    size_t len;
    size_t seen;                /* bytes already turned into messages */
};

void xres_config_init(xres_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->tick_ms = 10000;
    cfg->report_interval_ms = 1000;
    cfg->socket_gid = (gid_t)-1;
}

static void domain_dispose(xres_config_domain *dom)
{
    for (size_t i = 0; i < dom->nr_kv; i++) {
        free(dom->kv[i].key);
        free(dom->kv[i].val);
    }
    free(dom->kv);
}

void xres_config_dispose(xres_config *cfg)
{
    if (cfg->xlu) xlu_cfg_destroy(cfg->xlu);
    if (cfg->report) {
        if (cfg->report->f) fclose(cfg->report->f);
        free(cfg->report->buf);
        free(cfg->report);
    }
    for (size_t i = 0; i < cfg->nr_domains; i++)
        domain_dispose(&cfg->domains[i]);
    free(cfg->domains);
    free(cfg->socket);
    free(cfg->socket_group);
    free(cfg->path);
    xres_config_init(cfg);
}

static const char *cfg_name(const xres_config *cfg)
{
    return cfg->path ? cfg->path : "(defaults)";
}

/* The last line libxlutil reported, without its trailing newline. */
static void report_tail(xres_config *cfg, char *err, size_t errlen,
                        const char *fallback, ...)
{
    va_list ap;

    struct xres_config_report *r = cfg->report;

    if (r && r->f) fflush(r->f);
    if (r && r->buf && r->len > r->seen) {
        size_t end = r->len;
        while (end > r->seen && r->buf[end - 1] == '\n') end--;
        size_t start = end;
        while (start > r->seen && r->buf[start - 1] != '\n') start--;
        snprintf(err, errlen, "%.*s", (int)(end - start), r->buf + start);
        /* Consumed, so a later error does not repeat it. */
        r->seen = r->len;
        return;
    }
    va_start(ap, fallback);
    vsnprintf(err, errlen, fallback, ap);
    va_end(ap);
}

int xres_config_long(const xres_config *cfg, const char *key, long min,
                     long max, long def, long *out, char *err,
                     size_t errlen)
{
    long v;
    int r;

    *out = def;
    if (!cfg->xlu) return 0;
    r = xlu_cfg_get_long(cfg->xlu, key, &v, 0);
    if (r == ESRCH) return 0;
    if (r) {
        report_tail((xres_config *)cfg, err, errlen,
                    "%s: `%s' is not a number", cfg_name(cfg), key);
        return -EINVAL;
    }
    if (v < min || v > max) {
        snprintf(err, errlen, "%s: `%s' = %ld is out of range %ld..%ld",
                 cfg_name(cfg), key, v, min, max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int xres_config_size_kb(const xres_config *cfg, const char *key,
                        uint64_t def, uint64_t *out, char *err,
                        size_t errlen)
{
    const char *s;
    long v;
    int r;

    *out = def;
    if (!cfg->xlu) return 0;
    /* A bare number is MiB, as for xl's memory=. */
    if (!xlu_cfg_get_long(cfg->xlu, key, &v, 1)) {
        if (v < 0) {
            snprintf(err, errlen, "%s: `%s' must not be negative",
                     cfg_name(cfg), key);
            return -EINVAL;
        }
        *out = (uint64_t)v * 1024;
        return 0;
    }
    r = xlu_cfg_get_string(cfg->xlu, key, &s, 0);
    if (r == ESRCH) return 0;
    if (r) {
        report_tail((xres_config *)cfg, err, errlen,
                    "%s: `%s' is not a size", cfg_name(cfg), key);
        return -EINVAL;
    }
    if (xres_parse_size_kb(s, 'm', out)) {
        snprintf(err, errlen, "%s: `%s' = \"%s\" is not a size "
                 "(like 512M or 2G)", cfg_name(cfg), key, s);
        *out = def;
        return -EINVAL;
    }
    return 0;
}

const char *xres_config_get_string(const xres_config *cfg, const char *key,
                                   const char *def)
{
    const char *s;

    if (!cfg->xlu || xlu_cfg_get_string(cfg->xlu, key, &s, 1)) return def;
    return s;
}

const xres_config_domain *xres_config_domain_find(const xres_config *cfg,
                                                  const char *name)
{
    for (size_t i = 0; i < cfg->nr_domains; i++)
        if (!strcmp(cfg->domains[i].name, name)) return &cfg->domains[i];
    return NULL;
}

const char *xres_config_domain_get(const xres_config *cfg, const char *name,
                                   const char *key)
{
    const xres_config_domain *dom = xres_config_domain_find(cfg, name);

    if (!dom) return NULL;
    for (size_t i = 0; i < dom->nr_kv; i++)
        if (!strcmp(dom->kv[i].key, key)) return dom->kv[i].val;
    return NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* Parses one "k=v, k=v" entry into dom.  Returns 0 or -EINVAL/-ENOMEM
 * with err set. */
static int parse_domain_entry(const xres_config *cfg, int idx,
                              const char *spec, xres_config_domain *dom,
                              char *err, size_t errlen)
{
    char *copy = strdup(spec), *save = NULL, *tok;
    int rc = 0;

    if (!copy) return -ENOMEM;
    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *k, *v;
        size_t i;

        if (!eq) {
            snprintf(err, errlen, "%s: domains[%d]: `%s' is not key=value",
                     cfg_name(cfg), idx, trim(tok));
            rc = -EINVAL;
            goto out;
        }
        *eq = 0;
        k = trim(tok);
        v = trim(eq + 1);
        for (i = 0; i < sizeof(domain_keys) / sizeof(domain_keys[0]); i++)
            if (!strcmp(domain_keys[i].key, k)) break;
        if (i == sizeof(domain_keys) / sizeof(domain_keys[0])) {
            snprintf(err, errlen, "%s: domains[%d]: unknown key `%s'",
                     cfg_name(cfg), idx, k);
            rc = -EINVAL;
            goto out;
        }
        for (size_t j = 0; j < dom->nr_kv; j++)
            if (!strcmp(dom->kv[j].key, k)) {
                snprintf(err, errlen, "%s: domains[%d]: `%s' given twice",
                         cfg_name(cfg), idx, k);
                rc = -EINVAL;
                goto out;
            }
        uint64_t kb = 0;
        unsigned long ul = 0;
        switch (domain_keys[i].type) {
        case KEY_STRING:
            if (!*v || strlen(v) >= XRES_NAME_MAX) {
                snprintf(err, errlen, "%s: domains[%d]: `%s' must be 1 to "
                         "%d characters", cfg_name(cfg), idx, k,
                         XRES_NAME_MAX - 1);
                rc = -EINVAL;
                goto out;
            }
            break;
        case KEY_SIZE:
            if (xres_parse_size_kb(v, 'm', &kb)) {
                snprintf(err, errlen, "%s: domains[%d]: %s=%s is not a size "
                         "(like 512M or 2G)", cfg_name(cfg), idx, k, v);
                rc = -EINVAL;
                goto out;
            }
            break;
        case KEY_UINT: {
            char *end;
            errno = 0;
            ul = strtoul(v, &end, 10);
            if (!isdigit((unsigned char)*v) || *end || errno ||
                ul > 1000000) {
                snprintf(err, errlen, "%s: domains[%d]: %s=%s is not a "
                         "number 0..1000000", cfg_name(cfg), idx, k, v);
                rc = -EINVAL;
                goto out;
            }
            break;
        }
        }
        xres_config_kv *nkv = realloc(dom->kv,
                                      (dom->nr_kv + 1) * sizeof(*nkv));
        if (!nkv) { rc = -ENOMEM; goto out; }
        dom->kv = nkv;
        nkv[dom->nr_kv].key = strdup(k);
        nkv[dom->nr_kv].val = strdup(v);
        dom->nr_kv++;
        if (!nkv[dom->nr_kv - 1].key || !nkv[dom->nr_kv - 1].val) {
            rc = -ENOMEM;
            goto out;
        }
        if (!strcmp(k, "name")) snprintf(dom->name, sizeof(dom->name), "%s", v);
        else if (!strcmp(k, "min")) dom->mem.min_kb = kb;
        else if (!strcmp(k, "max")) dom->mem.max_kb = kb;
        else if (!strcmp(k, "priority")) dom->mem.priority = ul;
        else if (!strcmp(k, "weight")) dom->mem.weight = ul;
    }
    if (!dom->name[0]) {
        snprintf(err, errlen, "%s: domains[%d]: no name=", cfg_name(cfg),
                 idx);
        rc = -EINVAL;
        goto out;
    }
    if (dom->mem.max_kb && dom->mem.min_kb > dom->mem.max_kb) {
        snprintf(err, errlen, "%s: domains[%d] (%s): min is above max",
                 cfg_name(cfg), idx, dom->name);
        rc = -EINVAL;
        goto out;
    }
out:
    free(copy);
    return rc;
}

static int load_domains(xres_config *cfg, char *err, size_t errlen)
{
    XLU_ConfigList *list;
    int n, r;

    r = xlu_cfg_get_list(cfg->xlu, "domains", &list, &n, 0);
    if (r == ESRCH) return 0;
    if (r) {
        report_tail(cfg, err, errlen, "%s: `domains' must be a list",
                    cfg_name(cfg));
        return -EINVAL;
    }
    if (n == 0) return 0;
    cfg->domains = calloc(n, sizeof(*cfg->domains));
    if (!cfg->domains) return -ENOMEM;
    for (int i = 0; i < n; i++) {
        const char *spec = xlu_cfg_get_listitem(list, i);
        xres_config_domain *dom = &cfg->domains[cfg->nr_domains];

        if (!spec) {
            snprintf(err, errlen, "%s: domains[%d] must be a string "
                     "\"name=..., key=value, ...\"", cfg_name(cfg), i);
            return -EINVAL;
        }
        cfg->nr_domains++;
        r = parse_domain_entry(cfg, i, spec, dom, err, errlen);
        if (r) return r;
        for (size_t j = 0; j + 1 < cfg->nr_domains; j++)
            if (!strcmp(cfg->domains[j].name, dom->name)) {
                snprintf(err, errlen, "%s: domains[%d]: domain `%s' is "
                         "listed twice", cfg_name(cfg), i, dom->name);
                return -EINVAL;
            }
    }
    return 0;
}

/* The whole file into *data (at most 1 MiB).  libxlutil's lexer aborts on
 * a NUL byte inside a string, so a file that holds one is refused here. */
static int read_conf(const char *path, char **data, size_t *len, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 20;
    int rc = 0;

    *data = NULL;
    if (!f) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    *data = malloc(cap + 1);
    if (!*data) { rc = -ENOMEM; goto out; }
    *len = fread(*data, 1, cap + 1, f);
    if (ferror(f)) {
        rc = -EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(EIO));
    } else if (*len > cap) {
        rc = -EFBIG;
        snprintf(err, errlen, "%s: larger than 1 MiB", path);
    } else if (memchr(*data, 0, *len)) {
        rc = -EINVAL;
        snprintf(err, errlen, "%s: holds a NUL byte", path);
    }
out:
    fclose(f);
    return rc;
}

/* socket_group = "NAME": a group that exists on this host. */
static int load_socket_group(xres_config *cfg, char *err, size_t errlen)
{
    const char *s;
    struct group gr, *grp = NULL;
    char buf[4096];
    int rc;

    rc = xlu_cfg_get_string(cfg->xlu, "socket_group", &s, 0);
    if (rc == ESRCH) { rc = 0; goto out; }
    if (rc) {
        report_tail(cfg, err, errlen, "%s: `socket_group' must be a string",
                    cfg->path);
        rc = -EINVAL;
        goto out;
    }
    if (getgrnam_r(s, &gr, buf, sizeof(buf), &grp) || !grp) {
        snprintf(err, errlen, "%s: socket_group = \"%.64s\": no such group "
                 "on this host", cfg->path, s);
        rc = -EINVAL;
        goto out;
    }
    cfg->socket_group = strdup(s);
    if (!cfg->socket_group) { rc = -ENOMEM; goto out; }
    cfg->socket_gid = grp->gr_gid;
out:
    return rc;
}

int xres_config_load(xres_config *cfg, const char *path, bool missing_ok,
                     char *err, size_t errlen)
{
    struct stat st;
    const char *s;
    char *data = NULL;
    size_t len = 0;
    long v;
    int rc;

    if (!path) {
        cfg->socket = strdup(XRES_SOCKET_DEFAULT);
        return cfg->socket ? 0 : -ENOMEM;
    }
    if (stat(path, &st) < 0) {
        rc = -errno;
        if (rc == -ENOENT && missing_ok) return xres_config_load(cfg, NULL,
                                                                 true, err,
                                                                 errlen);
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    cfg->path = strdup(path);
    cfg->report = calloc(1, sizeof(*cfg->report));
    if (!cfg->path || !cfg->report) { rc = -ENOMEM; goto out; }
    cfg->report->f = open_memstream(&cfg->report->buf, &cfg->report->len);
    if (!cfg->report->f) { rc = -ENOMEM; goto out; }
    cfg->xlu = xlu_cfg_init(cfg->report->f, path);
    if (!cfg->xlu) { rc = -ENOMEM; goto out; }
    rc = read_conf(path, &data, &len, err, errlen);
    if (rc) goto out;
    rc = xlu_cfg_readdata(cfg->xlu, data, (int)len);
    if (rc) {
        report_tail(cfg, err, errlen, "%s: %s", path, strerror(rc));
        xlu_cfg_destroy(cfg->xlu);
        cfg->xlu = NULL;
        rc = -rc;
        goto out;
    }

    rc = xres_config_long(cfg, "tick_ms", 100, 3600 * 1000, 10000, &v,
                          err, errlen);
    if (rc) goto out;
    cfg->tick_ms = v;
    rc = xres_config_long(cfg, "report_interval_ms", 0, 60000, 1000, &v,
                          err, errlen);
    if (rc) goto out;
    cfg->report_interval_ms = v;
    rc = xlu_cfg_get_string(cfg->xlu, "socket", &s, 0);
    if (rc == ESRCH) {
        s = XRES_SOCKET_DEFAULT;
    } else if (rc) {
        report_tail(cfg, err, errlen, "%s: `socket' must be a string", path);
        rc = -EINVAL;
        goto out;
    } else if (s[0] != '/' || strlen(s) >= 108) {
        snprintf(err, errlen, "%s: socket = \"%s\": must be an absolute "
                 "path shorter than 108 characters", path, s);
        rc = -EINVAL;
        goto out;
    }
    cfg->socket = strdup(s);
    if (!cfg->socket) { rc = -ENOMEM; goto out; }
    rc = load_socket_group(cfg, err, errlen);
    if (rc) goto out;
    rc = load_domains(cfg, err, errlen);
out:
    free(data);
    if (rc == -ENOMEM) snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}
