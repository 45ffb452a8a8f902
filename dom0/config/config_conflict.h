/*
 * dom0/config/config_conflict.h: the keys of /etc/xres/xres.conf for
 * resource conflicts between the hosts of a cluster and the relocation
 * that resolves them (docs/xres.conf.5.md, docs/xres-cluster.md,
 * "Conflicts"):
 *   conflict_mode = "host"          off | host | central | decentralised
 *   conflict_t_server_cpu = 80      % of the host, 1..100
 *   conflict_t_server_mem = 90
 *   host_t_server_cpu = [ "b=90" ]  per host
 *   host_t_server_mem = [ "b=95" ]
 *   conflict_t_vm = "up/n"          static:N | up/n | up/n-k:K
 *   conflict_resources = "cpu"      cpu | mem | both
 *   conflict_combine = "any"        any | all
 *   conflict_sustain = 3            intervals, 1..100
 *   relocate = "off"                on | off
 *   relocate_choose = "busiest"     busiest | priority | weighted
 *   relocate_weight_cpu = 1, relocate_weight_mem = 1,
 *   relocate_weight_priority = 0    0..1000 each
 *   relocate_power_saving = 0       0 | 1
 *   relocate_hold_down = "10m"      a duration
 *   relocate_lock_timeout = "30s"
 *   host_coefficient = [ "b=2", "c=0.5" ]     0.001..1000
 * and relocate_priority=N (0..1000) in a `domains' entry.
 */
#ifndef XRES_CONFIG_CONFLICT_H
#define XRES_CONFIG_CONFLICT_H

#include <stddef.h>

#include "config.h"
#include "conflict.h"
#include "relocate.h"

typedef struct {
    xres_conflict_params conflict;
    xres_relocate_params relocate;
} xres_conflict_config;

/* Fill c from cfg, defaults for absent keys.  0, or -EINVAL with
 * "FILE: key: reason" in err; c is unchanged on error. */
int xres_conflict_config_read(const xres_config *cfg,
                              xres_conflict_config *c, char *err,
                              size_t errlen);

#endif
