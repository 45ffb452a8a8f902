/*
 * dom0/config/config_pool.h: memory pools declared in xres.conf, and the
 * request a pool is created from, whether it comes from xres.conf or from
 * `xres pool-create`.
 *
 *   pools = [ "web: size=2G in=30m step=32M every=10s priority=5
 *              config=/etc/xen/web.cfg start_when_full=1 on_short=wait",
 *             "db: size=512M by=18:00 domain=db" ]
 *
 * Keys: size, step (sizes as xl takes them, a bare number is MiB), every
 * (a duration), in or by (the deadline: a duration from when xresd creates
 * the pool, or a time), priority (0..1000), config (an absolute path) or
 * domain, start_when_full (0|1), on_short (start|wait|fail).  xresd
 * creates each declared pool that does not exist yet; a pool made at run
 * time under the same name wins.
 */
#ifndef XRES_CONFIG_POOL_H
#define XRES_CONFIG_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "policy_pool.h"

#define XRES_POOL_DECLS_MAX XRES_POOLS_MAX

typedef struct {
    char name[XRES_POOL_NAME_MAX];
    uint64_t size_kb;               /* 0: the config's memory */
    uint64_t step_kb;               /* 0: the default */
    uint64_t every_ms;              /* 0: the default */
    unsigned priority;
    uint64_t in_ms;                 /* the deadline, from now */
    char config[256];               /* "" or an xl.cfg */
    char domain[XRES_NAME_MAX];     /* "" or a running domain */
    bool start_when_full;
    xres_pool_short on_short;
} xres_pool_req;

void xres_pool_req_init(xres_pool_req *r);

/* The declarations of cfg's `pools` list into v (at most max); deadlines
 * are taken from now.  0, or -EINVAL with "FILE: pools[I] (NAME):
 * reason" in err. */
int xres_pool_decls_of_config(const xres_config *cfg, xres_pool_req *v,
                              size_t max, size_t *n, char *err,
                              size_t errlen);

#endif
