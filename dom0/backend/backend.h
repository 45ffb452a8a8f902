/*
 * dom0/backend/backend.h: the interface between xresd and a Xen host.
 *
 * Two implementations: backend_xen.c, on libxl and libxenstore, and
 * backend_sim.c, an in-process model of a Xen host for unit tests and for
 * `xresd --simulate`.  Everything the daemon does to a host goes through
 * these operations, so the daemon runs unchanged on either.
 *
 * Error convention: operations return 0 or a negative errno value.
 */
#ifndef XRES_BACKEND_H
#define XRES_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "stats.h"

typedef struct xres_backend xres_backend;

/* The calls a backend makes into the host, by kind, counted and timed by
 * the backend itself (XRES_BCALL) so that the daemon can say what a
 * snapshot or an action cost.  The simulator counts the calls its model
 * stands for. */
typedef enum {
    XRES_BCALL_LIBXL = 0,
    XRES_BCALL_XC,              /* libxenctrl (and libxencall) */
    XRES_BCALL_XS,              /* XenStore */
    XRES_BCALL_KINDS,
} xres_bcall_kind;

typedef struct {
    uint64_t n[XRES_BCALL_KINDS];
    uint64_t ns[XRES_BCALL_KINDS];
} xres_bcalls;

static inline const char *xres_bcall_kind_name(xres_bcall_kind k)
{
    static const char *const names[XRES_BCALL_KINDS] = {
        "libxl", "libxenctrl", "xenstore",
    };

    return (unsigned)k < XRES_BCALL_KINDS ? names[k] : "?";
}

/* Events a backend reports through xres_backend_ops.next_event. */
typedef enum {
    XRES_EV_NONE = 0,
    XRES_EV_WATCH,          /* a watched XenStore path changed: path, token */
    XRES_EV_DOMAIN_DEATH,   /* domain destroyed: domid */
    XRES_EV_DOMAIN_SHUTDOWN,/* shutdown or crash: domid, reason */
} xres_event_kind;

typedef struct {
    xres_event_kind kind;
    uint32_t domid;
    int reason;             /* libxl shutdown reason for DOMAIN_SHUTDOWN */
    char path[256];
    char token[64];
} xres_event;

/* XenStore permissions, as in xs_permissions. */
typedef enum {
    XRES_PERM_NONE = 0,
    XRES_PERM_READ = 1,
    XRES_PERM_WRITE = 2,
    XRES_PERM_BOTH = 3,
} xres_perm;

typedef struct {
    uint32_t domid;
    xres_perm perm;
} xres_perm_entry;

typedef struct {
    const char *name;   /* "xen" or "sim" */

    /* Fill h (already initialised, emptied first) with a snapshot of the
     * host: physinfo, scheduler, every domain's memory, scheduler and
     * state.  Agent reports and policies are left zeroed, and so is
     * now_ms: the time is the daemon's clock's, not the backend's. */
    int (*snapshot)(xres_backend *b, xres_host *h);

    int (*set_target)(xres_backend *b, uint32_t domid, uint64_t kb);
    int (*set_maxmem)(xres_backend *b, uint32_t domid, uint64_t kb);
    /* weight or cap < 0: leave that one as it is. */
    int (*set_sched)(xres_backend *b, uint32_t domid, int weight, int cap);
    int (*destroy)(xres_backend *b, uint32_t domid);
    int (*pause)(xres_backend *b, uint32_t domid);

    /* XenStore.  read returns a malloc'd, NUL-terminated value in *val and
     * its length in *len (may be NULL); -ENOENT if absent. */
    int (*xs_read)(xres_backend *b, const char *path, char **val,
                   size_t *len);
    int (*xs_write)(xres_backend *b, const char *path, const char *val,
                    size_t len);
    int (*xs_rm)(xres_backend *b, const char *path);
    int (*xs_mkdir)(xres_backend *b, const char *path);
    /* Returns a malloc'd array of malloc'd names in *names. */
    int (*xs_directory)(xres_backend *b, const char *path, char ***names,
                        unsigned *n);
    int (*xs_set_perms)(xres_backend *b, const char *path,
                        const xres_perm_entry *perms, unsigned n);
    int (*xs_watch)(xres_backend *b, const char *path, const char *token);
    int (*xs_unwatch)(xres_backend *b, const char *path, const char *token);

    /* Memory pools (docs/xres-pool.md).
     * placeholder_create: an empty PV domain, paused, never built, one
     * vCPU, Xen maximum max_kb, named name in XenStore.  It holds a claim
     * and nothing else.
     * claim: set Xen's claim of domid to kb in all (what the domain has
     * plus what is held for it); 0 cancels it.  Stock Xen refuses a new
     * claim while one is active (-EINVAL), a claim not above the domain's
     * memory or above its maximum (-EINVAL), and one larger than the
     * unclaimed free memory (-ENOMEM). */
    int (*placeholder_create)(xres_backend *b, const char *name,
                              uint64_t max_kb, uint32_t *domid);
    int (*claim)(xres_backend *b, uint32_t domid, uint64_t kb);
    /* The patched hypervisor's operations (-ENOSYS without it; the
     * snapshot's claim_ops says whether they are there).  claim_adjust:
     * the claim of domid becomes kb in all, in place, with no moment
     * unclaimed; claim_move: kb of claim move from one domain to another
     * in one step. */
    int (*claim_adjust)(xres_backend *b, uint32_t domid, uint64_t kb);
    int (*claim_move)(xres_backend *b, uint32_t from, uint32_t to,
                      uint64_t kb);
    /* Create the domain of an xl.cfg with mem_kb of memory, in the
     * background, as `xl create` would.  name is the domain's name in the
     * file and the key of the creation.  create_poll: -EINPROGRESS while
     * it runs, then once 0 or a negative errno with the reason in err;
     * -ENOENT when none of that name is under way. */
    int (*create_start)(xres_backend *b, const char *cfg, const char *name,
                        uint64_t mem_kb);
    int (*create_poll)(xres_backend *b, const char *name, char *err,
                       size_t errlen);

    /* Ask for death and shutdown events of every domain. */
    int (*watch_domains)(xres_backend *b);

    /* File descriptors for poll(); the simulator returns none. */
    int (*poll_fds)(xres_backend *b, int *fds, unsigned max, unsigned *n);
    /* Take the next pending event without blocking: 0 and ev->kind set,
     * or ev->kind == XRES_EV_NONE when there is none. */
    int (*next_event)(xres_backend *b, xres_event *ev);

    void (*dispose)(xres_backend *b);
} xres_backend_ops;

struct xres_backend {
    const xres_backend_ops *ops;
    void *priv;
    xres_bcalls calls;          /* since open; the backend counts */
};

static inline void xres_bcall_note(xres_backend *b, xres_bcall_kind k,
                                   uint64_t t0_ns)
{
    b->calls.n[k]++;
    b->calls.ns[k] += xres_stat_now_ns() - t0_ns;
}

/* Runs stmt, one call of kind k into the host, counted and timed. */
#define XRES_BCALL(b, k, stmt) do { \
        uint64_t xres_bc_t0_ = xres_stat_now_ns(); \
        stmt; \
        xres_bcall_note((b), (k), xres_bc_t0_); \
    } while (0)

/* Defines c_FN, the op FN (first parameter xres_backend *b, returning an
 * int) counted as one call of kind k: for a backend's ops table. */
#define XRES_BCALL_COUNTED(k, fn, params, args) \
    static int c_##fn params \
    { \
        int rc_; \
        XRES_BCALL(b, k, rc_ = fn args); \
        return rc_; \
    }

/* Real backend: returns 0 or a negative errno; logs why on failure. */
int xres_backend_xen_open(xres_backend *b);

/* Simulated host (backend_sim.c). */
int xres_backend_sim_open(xres_backend *b, uint64_t total_kb,
                          unsigned nr_cpus);
/* Simulator controls, for tests and --simulate. */
int xres_sim_add_domain(xres_backend *b, const char *name, uint64_t mem_kb,
                        uint64_t static_max_kb, uint32_t *domid_out);
/* KiB a balloon moves per simulated second toward its target. */
void xres_sim_set_balloon_rate(xres_backend *b, uint32_t domid,
                               uint64_t kb_per_s);
/* A domain that refuses to balloon never moves toward its target. */
void xres_sim_set_balloon_refuses(xres_backend *b, uint32_t domid,
                                  bool refuses);
/* Advance the simulated clock, moving balloons and firing watches. */
void xres_sim_advance(xres_backend *b, uint64_t ms);
void xres_sim_crash_domain(xres_backend *b, uint32_t domid);
void xres_sim_set_cpu_time(xres_backend *b, uint32_t domid, uint64_t ns);

static inline void xres_backend_dispose(xres_backend *b)
{
    if (b && b->ops) b->ops->dispose(b);
}

#endif
