/*
 * dom0/config/config_cluster.h: the cluster keys of /etc/xres/xres.conf
 * (docs/xres.conf.5.md, docs/xres-cluster.md):
 *   cluster = "auto"            join the group if corosync runs; "off"
 *   cluster_stale_ticks = 3     figures older than this many ticks: stale
 *   cluster_retry_ticks = 6     ticks between quiet reconnection attempts
 *   cluster_host = ""           this host's name in the cluster ("": the
 *                               system's host name, Pacemaker's node name)
 *   crm_refresh_ticks = 6       ticks between readings of Pacemaker's
 *                               resources (and utilization updates)
 *   crm_utilization = "on"      keep Pacemaker's node and resource
 *                               utilization at the measured figures; "off"
 *   move_timeout = 600          seconds a move through Pacemaker may take
 */
#ifndef XRES_CONFIG_CLUSTER_H
#define XRES_CONFIG_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define XRES_CLUSTER_HOST_MAX 64

typedef struct {
    bool on;                    /* cluster = auto */
    unsigned stale_ticks;
    unsigned retry_ticks;
    char host[XRES_CLUSTER_HOST_MAX];   /* "": gethostname */
    unsigned refresh_ticks;
    bool utilization;
    unsigned move_timeout_s;
} xres_cluster_params;

/* Fill p from cfg, defaults for absent keys.  0, or -EINVAL with
 * "FILE: key: reason" in err; p is unchanged on error. */
int xres_cluster_params_from_config(const xres_config *cfg,
                                    xres_cluster_params *p, char *err,
                                    size_t errlen);

#endif
