/*
 * dom0/daemon/pool_priv.h: the pool subsystem's private state and the
 * calls between its files: daemon_pool.c (hooks, the step), pool_store.c
 * (a pool's record in XenStore) and pool_cmd.c (IPC commands).
 */
#ifndef XRES_POOL_PRIV_H
#define XRES_POOL_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "config_pool.h"
#include "daemon.h"
#include "policy_pool.h"

/* xres_daemon_priv(d, &xres_subsys_pool) */
typedef struct {
    xres_pool pools[XRES_POOLS_MAX];
    size_t n;
    xres_mem_params mp;
    /* A list under way: a handover waiting for its domain's creation. */
    xres_actions pending;
    size_t pending_next;
    char pending_pool[XRES_POOL_NAME_MAX];
    bool busy;
} pool_sys;

static inline pool_sys *PS(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_pool);
}

/* daemon_pool.c */
/* Run the step now (after a command changed a pool). */
void xres_poold_run(xres_daemon *d);
xres_pool *xres_poold_find(pool_sys *ps, const char *name);

/* pool_store.c: one JSON object per pool at XS_POOL_RECORD. */
int xres_pool_save(xres_daemon *d, const xres_pool *p);
void xres_pool_forget(xres_daemon *d, const char *name);
/* Reads every record into ps; a record that does not parse is logged
 * and left in XenStore for the operator. */
void xres_pool_load_all(xres_daemon *d, pool_sys *ps);
/* The pool as JSON (for pool-list, pool-show and the record). */
void xres_pool_json(yajl_gen g, const xres_pool *p, uint64_t now,
                    bool record);

/* pool_cmd.c */
/* The spec of a request (from pool-create or xres.conf), checked against
 * the host and the other pools: 0, or a negative errno with the reason in
 * err. */
int xres_poold_spec_of(xres_daemon *d, pool_sys *ps, const xres_pool_req *r,
                       xres_pool_spec *s, char *err, size_t errlen);
/* Adds a checked spec as a new pool and logs it. */
xres_pool *xres_poold_add(xres_daemon *d, pool_sys *ps,
                          const xres_pool_spec *s, const char *origin);
int xres_pool_command(xres_daemon *d, const char *cmd, yajl_val req,
                      yajl_gen out);

#endif
