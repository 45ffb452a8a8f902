/*
 * dom0/core/model.h: the host model.
 *
 * Plain structs that describe one Xen host at one instant: its memory and
 * CPUs, and each domain's memory, scheduler and agent figures.  A snapshot
 * is filled by a backend (backend.h) and read by the policy functions, which
 * never call Xen themselves.
 */
#ifndef XRES_MODEL_H
#define XRES_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XRES_NAME_MAX 64        /* domain names, as libxl limits them */
#define XRES_DOMID_INVALID UINT32_MAX

typedef enum {
    XRES_SCHED_UNKNOWN = 0,
    XRES_SCHED_CREDIT,
    XRES_SCHED_CREDIT2,
    XRES_SCHED_OTHER,
} xres_sched_kind;

const char *xres_sched_kind_name(xres_sched_kind k);

/* What xres believes about a domain's balloon. */
typedef enum {
    XRES_BALLOON_FIXED = 0,        /* no agent or no balloon driver: never asked */
    XRES_BALLOON_OK,               /* at (or near) its target */
    XRES_BALLOON_MOVING,           /* target changed, not reached yet */
    XRES_BALLOON_NOT_RESPONDING,   /* did not move toward a lowered target */
} xres_balloon_state;

const char *xres_balloon_state_name(xres_balloon_state s);

/* Has a domain's memory arrived at a target?  cur_kb within tol_kb of
 * target_kb, either side.  The one test of arrival: the tolerance is the
 * configured mem_tolerance (xres_mem_params.tolerance_kb). */
bool xres_mem_arrived(uint64_t cur_kb, uint64_t target_kb, uint64_t tol_kb);
/* A balloon sent down to target_kb has given what it was asked: at or
 * below the target, or arrived.  A balloon sent up, likewise. */
bool xres_mem_came_down(uint64_t cur_kb, uint64_t target_kb, uint64_t tol_kb);
bool xres_mem_went_up(uint64_t cur_kb, uint64_t target_kb, uint64_t tol_kb);

/* Figures the guest agent reported, after validation (see xenstore-schema). */
typedef struct {
    bool valid;                 /* false: not reporting, or rejected input */
    uint64_t seq;               /* agent's report sequence number */
    uint64_t heartbeat_ms;      /* when dom0 last saw a valid heartbeat */
    uint64_t mem_total_kb;
    uint64_t mem_avail_kb;
    uint64_t mem_used_kb;       /* MemTotal - MemAvailable */
    uint64_t swap_used_kb;
    uint64_t balloon_cur_kb;
    uint64_t balloon_target_kb;
    unsigned cpu_pct;           /* % of the guest's vCPUs over the interval */
    unsigned hb_interval_s;     /* the agent reports at least this often */
} xres_agent_report;

/* Memory policy of one domain (issue: memory by demand). */
typedef struct {
    uint64_t min_kb;            /* guarantee: never ballooned below */
    uint64_t max_kb;            /* never above; 0 = the domain's static-max */
    unsigned priority;          /* higher receives first */
    unsigned weight;            /* share when memory is short */
} xres_mem_policy;

/* One domain at the instant of the snapshot. */
typedef struct {
    uint32_t domid;
    char name[XRES_NAME_MAX];

    /* From Xen / libxl. */
    uint64_t cur_kb;            /* memory the domain has now */
    uint64_t target_kb;         /* balloon target, memory/target */
    uint64_t xen_max_kb;        /* Xen's max_memkb (libxl: target + slack) */
    uint64_t static_max_kb;     /* memory/static-max, the config's maxmem */
    uint64_t cpu_time_ns;       /* cumulative CPU time */
    unsigned vcpus_online;
    unsigned vcpus_max;
    int weight;                 /* scheduler weight, -1 if unknown */
    int cap;                    /* scheduler cap in % of one CPU, 0 = none */
    bool running;
    bool paused;
    bool shutdown;              /* shut down or crashed, not yet destroyed */
    bool dying;
    bool feature_balloon;       /* control/feature-balloon is 1 */

    /* From the guest agent. */
    xres_agent_report agent;

    /* Policy and state that xresd keeps. */
    xres_mem_policy mem_policy;
    xres_balloon_state balloon;
    /* Memory balancing never takes the domain below this (0: none).  Set
     * by a subsystem, e.g. the pair subsystem for a standby that took
     * over: the memory engaged into it stays there.  Balancing honours
     * max(mem_policy.min_kb, mem_floor_kb). */
    uint64_t mem_floor_kb;

    /* Xen's outstanding claim of the domain (xc_domain_claim_pages): memory
     * held for it that no other allocation can take.  Pools hold what they
     * gathered this way, on placeholder domains (xres-pool.md). */
    uint64_t outstanding_kb;
} xres_domain;

/* The host. */
typedef struct {
    uint64_t total_kb;          /* physinfo total_pages, in KiB */
    /* What any allocation can still get: physinfo free_pages less the
     * outstanding claims, in KiB.  Claimed memory is in neither free_kb
     * nor any domain's cur_kb, only in outstanding_kb. */
    uint64_t free_kb;
    uint64_t outstanding_kb;    /* physinfo outstanding_pages, in KiB */
    /* The hypervisor has the patched claim operations (hv-patches/):
     * claim_adjust and claim_move work. */
    bool claim_ops;
    /* Xen can run a PV guest in shadow paging (libxl physinfo
     * cap_shadow): it can live-migrate one.  Otherwise moves are by save
     * and restore. */
    bool cap_shadow;
    unsigned nr_cpus;
    xres_sched_kind sched;
    char xen_version[64];       /* "4.17.7" or similar */
    uint64_t now_ms;            /* monotonic time of the snapshot */

    size_t nr_domains;
    xres_domain *domains;       /* owned; sorted by domid */
} xres_host;

void xres_host_init(xres_host *h);
void xres_host_dispose(xres_host *h);
/* Appends a zeroed domain with the given domid; returns NULL on ENOMEM. */
xres_domain *xres_host_add_domain(xres_host *h, uint32_t domid);
xres_domain *xres_host_find(const xres_host *h, uint32_t domid);
xres_domain *xres_host_find_name(const xres_host *h, const char *name);
/* Deep copy; returns 0 or -ENOMEM.  dst must be initialised. */
int xres_host_copy(xres_host *dst, const xres_host *src);

#endif
