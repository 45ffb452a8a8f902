/*
 * dom0/config/config_pool.c: reads the `pools` list of xres.conf into pool
 * requests (config_pool.h).
 */
#include <errno.h>
#include <libxlutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_pool.h"
#include "util.h"

void xres_pool_req_init(xres_pool_req *r)
{
    memset(r, 0, sizeof(*r));
    r->on_short = XRES_POOL_SHORT_WAIT;
}

static const char *file_of(const xres_config *cfg)
{
    return cfg->path ? cfg->path : "xres.conf";
}

/* One KEY=VALUE word of a declaration: 0 or -EINVAL with a reason. */
static int read_word(xres_pool_req *r, const char *key, const char *val,
                     bool *have_deadline, char *why, size_t len)
{
    uint64_t v;

    if (!strcmp(key, "size") || !strcmp(key, "step")) {
        if (xres_parse_size_kb(val, 'm', &v) || !v || v % 4) {
            snprintf(why, len, "%s: `%s' is not a size", key, val);
            return -EINVAL;
        }
        *(key[1] == 'i' ? &r->size_kb : &r->step_kb) = v;
    } else if (!strcmp(key, "every")) {
        if (xres_parse_duration_s(val, &v)) {
            snprintf(why, len, "every: `%s' is not a duration", val);
            return -EINVAL;
        }
        r->every_ms = v * 1000;
    } else if (!strcmp(key, "in") || !strcmp(key, "by")) {
        int rc = key[0] == 'i' ? xres_parse_duration_s(val, &v)
                               : xres_parse_time_s(val, &v);
        if (rc || *have_deadline) {
            snprintf(why, len, "%s: `%s' is %s", key, val, *have_deadline
                     ? "a second deadline" : "not a duration or a future time");
            return -EINVAL;
        }
        *have_deadline = true;
        r->in_ms = v * 1000;
    } else if (!strcmp(key, "priority")) {
        char *end;
        unsigned long p = strtoul(val, &end, 10);
        if (*end || !*val || p > 1000) {
            snprintf(why, len, "priority is 0..1000");
            return -EINVAL;
        }
        r->priority = (unsigned)p;
    } else if (!strcmp(key, "config") || !strcmp(key, "domain")) {
        char *dst = key[0] == 'c' ? r->config : r->domain;
        size_t max = key[0] == 'c' ? sizeof(r->config) : sizeof(r->domain);
        if (!*val || strlen(val) >= max || (key[0] == 'c' && val[0] != '/')) {
            snprintf(why, len, "%s: `%s' is not %s", key, val, key[0] == 'c'
                     ? "an absolute path" : "a domain name");
            return -EINVAL;
        }
        memcpy(dst, val, strlen(val) + 1);
    } else if (!strcmp(key, "start_when_full")) {
        if (strcmp(val, "0") && strcmp(val, "1")) {
            snprintf(why, len, "start_when_full is 0 or 1");
            return -EINVAL;
        }
        r->start_when_full = val[0] == '1';
    } else if (!strcmp(key, "on_short")) {
        if (xres_pool_short_parse(val, &r->on_short)) {
            snprintf(why, len, "on_short is start, wait or fail");
            return -EINVAL;
        }
    } else {
        snprintf(why, len, "unknown key `%s'", key);
        return -EINVAL;
    }
    return 0;
}

static int read_decl(const char *item, xres_pool_req *r, char *why,
                     size_t len)
{
    char buf[1024], *save = NULL, *w, *colon;
    bool have_deadline = false;
    int rc;

    xres_pool_req_init(r);
    if (strlen(item) >= sizeof(buf)) {
        snprintf(why, len, "longer than %zu bytes", sizeof(buf) - 1);
        return -EINVAL;
    }
    memcpy(buf, item, strlen(item) + 1);
    colon = strchr(buf, ':');
    if (!colon) {
        snprintf(why, len, "not \"NAME: KEY=VALUE ...\"");
        return -EINVAL;
    }
    *colon = '\0';
    while (*buf == ' ') memmove(buf, buf + 1, strlen(buf));
    for (size_t n = strlen(buf); n && buf[n - 1] == ' '; n--) buf[n - 1] = 0;
    if (!xres_pool_name_ok(buf)) {
        snprintf(why, len, "`%.64s' is not a pool name", buf);
        return -EINVAL;
    }
    memcpy(r->name, buf, strlen(buf) + 1);
    for (w = strtok_r(colon + 1, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(w, '=');
        if (!eq) {
            snprintf(why, len, "`%s' is not KEY=VALUE", w);
            return -EINVAL;
        }
        *eq = '\0';
        if ((rc = read_word(r, w, eq + 1, &have_deadline, why, len)))
            return rc;
    }
    if (!have_deadline) {
        snprintf(why, len, "no deadline (in= or by=)");
        return -EINVAL;
    }
    if (!r->config[0] == !r->domain[0]) {
        snprintf(why, len, "give one of config= and domain=");
        return -EINVAL;
    }
    if (r->domain[0] && !r->size_kb) {
        snprintf(why, len, "a pool for a domain needs size=");
        return -EINVAL;
    }
    return 0;
}

int xres_pool_decls_of_config(const xres_config *cfg, xres_pool_req *v,
                              size_t max, size_t *n, char *err,
                              size_t errlen)
{
    XLU_ConfigList *list;
    char why[256];
    int cnt, r;

    *n = 0;
    if (!cfg->xlu) return 0;
    r = xlu_cfg_get_list(cfg->xlu, "pools", &list, &cnt, 0);
    if (r == ESRCH) return 0;
    if (r) {
        snprintf(err, errlen, "%s: pools must be a list of \"NAME: KEY=VALUE "
                 "...\" strings", file_of(cfg));
        return -EINVAL;
    }
    for (int i = 0; i < cnt; i++) {
        const char *item = xlu_cfg_get_listitem(list, i);
        if (!item || (size_t)i >= max ||
            read_decl(item, &v[*n], why, sizeof(why))) {
            snprintf(err, errlen, "%.96s: pools[%d]: %.140s", file_of(cfg), i,
                     !item ? "not a string" : (size_t)i >= max
                     ? "too many pools" : why);
            return -EINVAL;
        }
        for (size_t k = 0; k < *n; k++)
            if (!strcmp(v[k].name, v[*n].name)) {
                snprintf(err, errlen, "%.96s: pools: %s given twice",
                         file_of(cfg), v[*n].name);
                return -EINVAL;
            }
        (*n)++;
    }
    return 0;
}
