/*
 * dom0/config/config_mem.h: the memory-by-demand keys of /etc/xres/xres.conf
 * (global tunables; the per-domain min/max/priority/weight live in the
 * `domains` list that config.c reads).
 */
#ifndef XRES_CONFIG_MEM_H
#define XRES_CONFIG_MEM_H

#include <stddef.h>

#include "config.h"
#include "policy_mem.h"

/* Fill p from cfg, defaults for absent keys.  0, or -EINVAL with
 * "FILE: key: reason" in err. */
int xres_mem_params_from_config(const xres_config *cfg, xres_mem_params *p,
                                char *err, size_t errlen);

#endif
