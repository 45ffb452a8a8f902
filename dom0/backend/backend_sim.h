/*
 * dom0/backend/backend_sim.h: controls of the simulated Xen host beyond
 * those in backend.h: acting as a guest in XenStore, Xen's own
 * reservation, CPU load, and scenario files for `xresd --simulate`.
 *
 * The simulator models: host memory (free = total - reserved - sum of
 * every domain's current memory, exactly), domains with current memory,
 * balloon target, Xen maximum and static-max, balloons that move toward
 * their target at a rate per simulated second, never above Xen's maximum
 * and never beyond the host's free memory; domains that refuse to balloon;
 * crashes (shutdown then death events); credit scheduler parameters with
 * credit's range checks; and a XenStore tree with permissions, quotas and
 * watches, and Xen's claims: a domain's claim is memory only it can
 * allocate, taken first when it grows; free memory is what is neither
 * used nor claimed.  set_target behaves like the real backend (libxl with
 * enforce=1): the target may not exceed static-max, and Xen's maximum
 * becomes target + XRES_SIM_MAXMEM_SLACK_KB.  set_maxmem behaves like
 * libxl_domain_setmaxmem: not below the target, Xen's maximum becomes
 * kb + XRES_SIM_MAXMEM_SLACK_KB, static-max is unchanged.
 *
 * The first domain added gets domid 0 (name it Domain-0).
 */
#ifndef XRES_BACKEND_SIM_H
#define XRES_BACKEND_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "clock.h"

#define XRES_SIM_MAXMEM_SLACK_KB 1024     /* LIBXL_MAXMEM_CONSTANT */
#define XRES_SIM_DEFAULT_RATE_KB (64 * 1024)
#define XRES_SIM_XS_VALUE_MAX 4096        /* XENSTORE_PAYLOAD_MAX */
#define XRES_SIM_XS_QUOTA 1000            /* nodes a guest may own */
#define XRES_SIM_EVENT_MAX 65536          /* queued events, then dropped */

/* Memory Xen keeps for itself (not in any domain, not free). */
/* The sim's clock: simulated time, moved by xres_sim_advance (and by the
 * wall clock under xres_sim_follow).  A daemon on the sim runs on it. */
const xres_clock *xres_sim_clock(xres_backend *b);
/* Keep up with wall: from now on simulated time follows it (xresd
 * --simulate), and the sim gives a poll fd that wakes every 200 ms.
 * 0 or a negative errno. */
int xres_sim_follow(xres_backend *b, const xres_clock *wall);
int xres_sim_set_reserved_kb(xres_backend *b, uint64_t kb);
uint64_t xres_sim_free_kb(xres_backend *b);
/* Outstanding claims of every domain. */
uint64_t xres_sim_claimed_kb(xres_backend *b);
/* Creations (create_start) fail, as `xl create` with a broken file. */
void xres_sim_set_create_fails(xres_backend *b, bool fails);
/* Whether the host can shadow-page a PV domain (live migration). */
void xres_sim_set_cap_shadow(xres_backend *b, bool on);
/* The host has the patched claim operations (claim_adjust, claim_move). */
void xres_sim_set_claim_ops(xres_backend *b, bool on);
/* Percent of one vCPU each vCPU of domid burns; cpu_time grows with the
 * simulated clock. */
void xres_sim_set_cpu_load(xres_backend *b, uint32_t domid, unsigned pct);
int xres_sim_set_vcpus(xres_backend *b, uint32_t domid, unsigned vcpus);
void xres_sim_unpause(xres_backend *b, uint32_t domid);
/* Whether control/feature-balloon is 1 (default true). */
void xres_sim_set_feature_balloon(xres_backend *b, uint32_t domid, bool on);

/* XenStore as domain `as` (0 is privileged).  Same errors as the backend
 * ops, plus -EACCES for a permission refusal, -E2BIG for a value over
 * XRES_SIM_XS_VALUE_MAX, -EDQUOT beyond XRES_SIM_XS_QUOTA nodes. */
int xres_sim_xs_write_as(xres_backend *b, uint32_t as, const char *path,
                         const char *val);
int xres_sim_xs_read_as(xres_backend *b, uint32_t as, const char *path,
                        char **val);
int xres_sim_xs_rm_as(xres_backend *b, uint32_t as, const char *path);
/* A simulated xres-agent in domain domid (not Domain-0): every
 * XRES_SIM_AGENT_PERIOD_MS of simulated time it writes a report as the
 * guest, through the schema (MemTotal = current memory, used = used_kb
 * capped by it, the rest in swap), and it answers requests under
 * xres/request: "release KB" once the balloon is within 1 MiB of KB, any
 * other at once, one it cannot parse with an error.  on = false: it
 * stops (its last report goes stale). */
#define XRES_SIM_AGENT_PERIOD_MS 2000
int xres_sim_set_agent(xres_backend *b, uint32_t domid, bool on,
                       uint64_t used_kb);

/* Events dropped because the queue was full. */
uint64_t xres_sim_events_dropped(xres_backend *b);

/* Open a simulated host from a scenario in xl.cfg syntax, or the built-in
 * default (path NULL): 8 GiB, 2 CPUs, Domain-0 (2 GiB), g1 (1 GiB of
 * 2 GiB), g2 (512 MiB of 1 GiB); path "agents" (when no such file
 * exists): the same with a simulated agent in g1 (900 MiB used, 60% CPU)
 * and g2 (128 MiB, 5%).  Scenario keys (sizes: "512M", "2G"; a bare
 * number is MiB):
 *   memory = "16G"  cpus = 4  reserved = "64M"  balloon_rate = "64M"
 *   domains = [ "name=Domain-0, memory=2G",
 *               "name=g1, memory=1G, maxmem=2G, vcpus=2, weight=256,
 *                cap=0, rate=32M, refuses=0, balloon=1, cpu=50,
 *                agent=1, used=700M" ]
 * (used= implies agent=1; an agent without used= uses half of memory=.)
 * err gets "FILE: reason" on failure. */
int xres_sim_open_scenario(xres_backend *b, const char *path, char *err,
                           size_t errlen);

#endif
