/*
 * dom0/daemon/cpu_internal.h: private to the CPU subsystem of xresd
 * (daemon_cpu.c, cpu_store.c, cpu_cmd.c): its state and the functions
 * its files share.
 */
#ifndef XRES_CPU_INTERNAL_H
#define XRES_CPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "actuator.h"
#include "agent_report.h"
#include "config_cpu.h"
#include "cpu_manage.h"
#include "cpu_measure.h"
#include "daemon.h"
#include "policy_cpu.h"
#include "subsys.h"

/* Paths come from xenstore-schema/schema.tbl: SCHED_* (dom0's own
 * state), REQ_* (requests to the managing domain) and REPORT_ACK (its
 * acknowledgements). */
#define WATCH_ACK "cpu:ack"
#define RT_POLICIES_MAX 1024        /* run-time policies kept */

typedef struct {
    xres_cpu_params prm;        /* from xres.conf */
    unsigned history;           /* the meter's length */
    xres_cpu_meter meter;

    xres_cpu_named *rt;         /* set at run time, kept in XenStore */
    size_t nr_rt;
    /* rt and prm.pols sorted by name for lookups, rebuilt on the first
     * lookup after xres_cpud_policies_changed (NULL: scan). */
    const xres_cpu_named **rt_idx, **cfg_idx;
    bool idx_ok;

    xres_cpu_result res;        /* the latest pass */
    xres_cpu_policy *pols;      /* parallel to res.dec, built with it */
    size_t npols;

    xres_cpu_manage_state mg;   /* the managing domain's run */

    xres_ratelimit rl;
} cpu_state;

static inline cpu_state *ST(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_cpu);
}

/* daemon_cpu.c */
/* name's policy, run time first; *src 2 run time, 1 config, 0 none. */
const xres_cpu_policy *xres_cpud_policy_for(cpu_state *st, const char *name,
                                            uint8_t *src);
/* rt or prm.pols changed: the next lookup sorts them afresh. */
void xres_cpud_policies_changed(cpu_state *st);
/* Policies parallel to d->host.domains now, into *out (*n of them; the
 * caller frees *out).  0 or -ENOMEM. */
int xres_cpud_build_policies(xres_daemon *d, xres_cpu_policy **out,
                             size_t *n);
/* Index of domid in st->res.dec, or SIZE_MAX. */
size_t xres_cpud_dec_index(cpu_state *st, uint32_t domid);
/* One pass: sample (if asked), run the policies, carry out the actions. */
void xres_cpud_run_pass(xres_daemon *d, bool sample);

/* cpu_store.c */
xres_cpu_named *xres_cpud_find_rt(cpu_state *st, const char *name);
void xres_cpud_persist_policy(xres_daemon *d, const char *name);
void xres_cpud_forget_policy(xres_daemon *d, uint64_t slot);
void xres_cpud_load_runtime(xres_daemon *d);
void xres_cpud_manage_load(xres_daemon *d);
/* Writes what changed in st->mg since was. */
void xres_cpud_manage_persist(xres_daemon *d,
                              const xres_cpu_manage_state *was);

/* cpu_cmd.c */
void xres_cpud_fill_domain_json(xres_daemon *d, const xres_domain *dom,
                                yajl_gen g);
int xres_cpud_command(xres_daemon *d, const char *cmd, yajl_val req,
                      yajl_gen out);

#endif
