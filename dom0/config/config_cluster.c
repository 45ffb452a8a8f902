/*
 * dom0/config/config_cluster.c: reads the cluster keys of xres.conf
 * (config_cluster.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_cluster.h"

int xres_cluster_params_from_config(const xres_config *cfg,
                                    xres_cluster_params *p, char *err,
                                    size_t errlen)
{
    const char *mode = xres_config_get_string(cfg, "cluster", "auto");
    const char *host = xres_config_get_string(cfg, "cluster_host", "");
    const char *file = cfg->path ? cfg->path : "defaults";
    xres_cluster_params n;
    const char *util = xres_config_get_string(cfg, "crm_utilization", "on");
    long stale, retry, refresh, mtime;
    int rc;

    memset(&n, 0, sizeof(n));
    if (strcmp(mode, "auto") && strcmp(mode, "off")) {
        snprintf(err, errlen, "%s: `cluster' = \"%.32s\": not auto or off",
                 file, mode);
        return -EINVAL;
    }
    n.on = !strcmp(mode, "auto");
    if ((rc = xres_config_long(cfg, "cluster_stale_ticks", 1, 1000, 3, &stale,
                               err, errlen)))
        return rc;
    if ((rc = xres_config_long(cfg, "cluster_retry_ticks", 1, 1000, 6, &retry,
                               err, errlen)))
        return rc;
    if ((rc = xres_config_long(cfg, "crm_refresh_ticks", 1, 1000, 6,
                               &refresh, err, errlen)))
        return rc;
    if ((rc = xres_config_long(cfg, "move_timeout", 30, 86400, 600, &mtime,
                               err, errlen)))
        return rc;
    if (strcmp(util, "on") && strcmp(util, "off")) {
        snprintf(err, errlen, "%s: `crm_utilization' = \"%.32s\": not on or "
                 "off", file, util);
        return -EINVAL;
    }
    n.utilization = !strcmp(util, "on");
    n.refresh_ticks = (unsigned)refresh;
    n.move_timeout_s = (unsigned)mtime;
    n.stale_ticks = (unsigned)stale;
    n.retry_ticks = (unsigned)retry;
    for (const char *c = host; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
              *c == '_')) {
            snprintf(err, errlen, "%s: `cluster_host' = \"%.64s\": not a "
                     "host name", file, host);
            return -EINVAL;
        }
    if (strlen(host) >= sizeof(n.host)) {
        snprintf(err, errlen, "%s: `cluster_host': too long", file);
        return -EINVAL;
    }
    snprintf(n.host, sizeof(n.host), "%s", host);
    *p = n;
    return 0;
}
