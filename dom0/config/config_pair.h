/*
 * dom0/config/config_pair.h: the hot-standby pair keys of xres.conf, read
 * into a plain params struct (the pair policy never sees xres_config).
 * Global keys, all optional:
 *   pair_reserve = "0"                 host memory kept for reserve failovers
 *   pair_restarts = 3                  level-1 restarts before failover (0..100)
 *   pair_heartbeat_timeout_ms = 30000  (0..3600000; 0: not watched)
 *   pair_release_timeout_ms = 5000     (0..3600000)
 *   pair_ack_timeout_ms = 30000        (0..3600000)
 * and the per-domain declarations below.
 */
#ifndef XRES_CONFIG_PAIR_H
#define XRES_CONFIG_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "policy_pair.h"

#define XRES_PAIR_DECLS_MAX 32

/*
 * Pairs declared in xres.conf: per-domain keys pair=NAME and
 * role=active|standby, and on either entry pair_apps="APP:SIZE:hot|cold
 * ..." (space-separated).  xresd creates each declared pair that does not
 * exist yet; a pair made at run time under the same name wins.
 */
typedef struct {
    char name[XRES_PAIR_NAME_MAX];
    char active[XRES_NAME_MAX];
    char standby[XRES_NAME_MAX];
    size_t napps;
    xres_pair_app apps[XRES_PAIR_APPS_MAX];
} xres_pair_decl;

/* All declarations of cfg into v (at most max).  0, or -EINVAL with
 * "FILE: domains (DOM): pair=NAME: reason" in err. */
int xres_pair_decls_of_config(const xres_config *cfg,
                              xres_pair_decl *v, size_t max, size_t *n,
                              char *err, size_t errlen);
/* "web:64M:hot db:32M:cold" -> apps.  0 or -EINVAL with a reason. */
int xres_pair_apps_parse(const char *s, xres_pair_app *apps, size_t max,
                         size_t *n, char *err, size_t errlen);

/* What xresd takes from xres.conf for the pairs. */
typedef struct {
    uint64_t reserve_kb;            /* pair_reserve */
    xres_pair_cfg defaults;         /* settings of a new pair */
    size_t ndecl;
    xres_pair_decl decl[XRES_PAIR_DECLS_MAX];
} xres_pair_params;

/* Fills p from cfg (defaults for absent keys), declarations included.
 * 0, or -EINVAL with "FILE: key: reason" in err. */
int xres_pair_params_from_config(const xres_config *cfg, xres_pair_params *p,
                                 char *err, size_t errlen);

#endif
