/*
 * dom0/config/config_mem.c: reads the memory-by-demand keys of xres.conf
 * (config_mem.h).  Keys, all optional:
 *   mem_high = 90            deficient at used/target >= 90 %
 *   mem_low = 50             excess at used/target <= 50 %
 *   mem_block = "64M"        memory moves in blocks of this size
 *   mem_reserve = "64M"      Xen free memory balancing never uses
 *   mem_threshold = "16M"    smaller changes are not applied
 *   mem_tolerance = "4M"     a balloon this close to its target arrived
 *   mem_timeout_ms = 5000    a donor must make progress within this
 *   mem_check_ms = 500       how often a move in flight is checked
 *   mem_retry_ms = 60000     a not-responding domain is retried after
 */
#include <errno.h>
#include <stdio.h>

#include "config_mem.h"

int xres_mem_params_from_config(const xres_config *cfg, xres_mem_params *p,
                                char *err, size_t errlen)
{
    xres_mem_params d;
    long v;
    int rc;

    xres_mem_params_default(&d);
    *p = d;
    if ((rc = xres_config_long(cfg, "mem_high", 1, 100, 90, &v, err,
                               errlen)))
        return rc;
    p->high = (double)v / 100.0;
    if ((rc = xres_config_long(cfg, "mem_low", 1, 99, 50, &v, err, errlen)))
        return rc;
    p->low = (double)v / 100.0;
    if ((rc = xres_config_size_kb(cfg, "mem_block", d.block_kb, &p->block_kb,
                                  err, errlen)) ||
        (rc = xres_config_size_kb(cfg, "mem_reserve", d.reserve_kb,
                                  &p->reserve_kb, err, errlen)) ||
        (rc = xres_config_size_kb(cfg, "mem_threshold", d.threshold_kb,
                                  &p->threshold_kb, err, errlen)) ||
        (rc = xres_config_size_kb(cfg, "mem_tolerance", d.tolerance_kb,
                                  &p->tolerance_kb, err, errlen)))
        return rc;
    if ((rc = xres_config_long(cfg, "mem_timeout_ms", 100, 3600 * 1000,
                               (long)d.timeout_ms, &v, err, errlen)))
        return rc;
    p->timeout_ms = (uint64_t)v;
    if ((rc = xres_config_long(cfg, "mem_check_ms", 10, 60 * 1000,
                               (long)d.check_ms, &v, err, errlen)))
        return rc;
    p->check_ms = (uint64_t)v;
    if ((rc = xres_config_long(cfg, "mem_retry_ms", 0, 24 * 3600 * 1000,
                               (long)d.retry_ms, &v, err, errlen)))
        return rc;
    p->retry_ms = (uint64_t)v;
    p->tick_ms = cfg->tick_ms > 0 ? (uint64_t)cfg->tick_ms : d.tick_ms;
    if ((rc = xres_mem_params_check(p, err, errlen))) {
        char why[160];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "%s: %s", cfg->path ? cfg->path : "defaults",
                 why);
        return rc;
    }
    return 0;
}
