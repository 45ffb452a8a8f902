/*
 * dom0/config/config_metrics.c: reads the metrics key of xres.conf
 * (config_metrics.h): where xresd writes its Prometheus text file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_metrics.h"

int xres_metrics_params_from_config(const xres_config *cfg,
                                    xres_metrics_params *p, char *err,
                                    size_t errlen)
{
    const char *f = xres_config_get_string(cfg, "metrics_file",
                                           XRES_METRICS_FILE_DEFAULT);
    const char *why = NULL;
    size_t n = strlen(f);

    if (n && f[0] != '/')
        why = "is not an absolute path";
    else if (n && f[n - 1] == '/')
        why = "names a directory, not a file";
    else if (n + 16 > sizeof(p->file))     /* room for the temporary name */
        why = "is too long";
    if (why) {
        snprintf(err, errlen, "%s: `metrics_file' = \"%.64s\" %s",
                 cfg->path ? cfg->path : "defaults", f, why);
        return -EINVAL;
    }
    snprintf(p->file, sizeof(p->file), "%s", f);
    return 0;
}
