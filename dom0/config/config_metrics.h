/*
 * dom0/config/config_metrics.h: the metrics key of /etc/xres/xres.conf, read
 * into a plain struct for xresd's metrics file:
 *   metrics_file = "/var/lib/prometheus/node-exporter/xres.prom"
 * an absolute path, or "" for no file.
 */
#ifndef XRES_CONFIG_METRICS_H
#define XRES_CONFIG_METRICS_H

#include <stddef.h>

#include "config.h"

#define XRES_METRICS_FILE_DEFAULT "/var/lib/prometheus/node-exporter/xres.prom"
/* Room for the path and the temporary name written beside it. */
#define XRES_METRICS_PATH_MAX 1024

typedef struct {
    char file[XRES_METRICS_PATH_MAX];   /* "": no file */
} xres_metrics_params;

/* Fill p from cfg, the default when the key is absent.  0, or -EINVAL
 * with "FILE: key: reason" in err; p is unchanged on error. */
int xres_metrics_params_from_config(const xres_config *cfg,
                                    xres_metrics_params *p, char *err,
                                    size_t errlen);

#endif
