/*
 * dom0/config/config_cpu.h: the CPU keys of /etc/xres/xres.conf, read into
 * one plain struct for the CPU subsystem (the policies never see the
 * configuration itself).
 */
#ifndef XRES_CONFIG_CPU_H
#define XRES_CONFIG_CPU_H

#include <stddef.h>

#include "config.h"
#include "policy_cpu.h"

#define XRES_CPU_RUN_TIMEOUT_DEFAULT 3600   /* s: cpu_manage_run_timeout */

typedef struct {
    xres_cpu_settings set;      /* cpu_load_mode ... cpu_cap_step */
    unsigned history;           /* cpu_history: samples kept per domain */
    unsigned run_timeout_s;     /* cpu_manage_run_timeout */
    xres_cpu_named *pols;       /* cpu_policies, cpu_weight/cpu_cap */
    size_t nr_pols;
    char (*agent_src)[XRES_NAME_MAX];   /* domains with cpu_source=agent */
    size_t nr_agent_src;
} xres_cpu_params;

/* The cpu_source xres.conf gives the domain name (default xen). */
xres_cpu_source xres_cpu_params_source(const xres_cpu_params *p,
                                       const char *name);

/* Defaults, no policies. */
void xres_cpu_params_init(xres_cpu_params *p);
void xres_cpu_params_dispose(xres_cpu_params *p);

/* Fill p (initialised; its old policies are freed) from cfg, defaults for
 * absent keys.  0, -ENOMEM, or -EINVAL with "FILE: key: reason" in err;
 * p is unchanged on error. */
int xres_cpu_params_from_config(const xres_config *cfg, xres_cpu_params *p,
                                char *err, size_t errlen);

#endif
