/*
 * dom0/policy/policy_pool.h: memory pools, the pure policy.
 *
 * A pool gathers memory for a domain that is due to start: at once when
 * the host can give it in one round, otherwise at most step_kb every
 * every_ms, from Xen's free memory above the reserve and from donors in
 * balancing's own order.  What it gathered is held by Xen claims on
 * placeholder domains named xres-pool-<pool>-<n>, so nothing else can take
 * it.  At the deadline, on pool-start, or when full with start_when_full,
 * the memory goes to the pool's domain (a new one from an xl.cfg, or a
 * running one whose target rises).  docs/xres-pool.md relates each rule
 * to the patent figure it comes from.
 *
 * The step is pure: pools (spec and state), the host snapshot, the memory
 * parameters and the time in; new states, actions and notes for the log
 * out.  What a pool holds is never kept in its state: it is read from the
 * snapshot (the placeholders' claims), so a restarted daemon sees exactly
 * what Xen holds.
 */
#ifndef XRES_POLICY_POOL_H
#define XRES_POLICY_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "model.h"
#include "policy_mem.h"

#define XRES_POOL_NAME_MAX 32       /* pool names: [A-Za-z0-9_.-], 1..31 */
#define XRES_POOL_PREFIX "xres-pool-"
#define XRES_POOL_HIST 16           /* samples the forecast uses */
#define XRES_POOL_DONORS 8          /* donors lowered in one round */
#define XRES_POOL_FROZEN_MAX 64     /* domains frozen during a handover */
#define XRES_POOLS_MAX 16

typedef enum {
    XRES_POOL_SHORT_START = 0,      /* start with what is there, if enough */
    XRES_POOL_SHORT_WAIT,           /* go on gathering, start when full */
    XRES_POOL_SHORT_FAIL,           /* give the memory back, fail */
} xres_pool_short;

typedef enum {
    XRES_POOL_GATHERING = 0,
    XRES_POOL_FULL,
    XRES_POOL_HANDOVER,
    XRES_POOL_STARTED,
    XRES_POOL_FAILED,
} xres_pool_phase;

const char *xres_pool_phase_name(xres_pool_phase p);
const char *xres_pool_short_name(xres_pool_short s);
/* 0, or -EINVAL for an unknown word. */
int xres_pool_short_parse(const char *s, xres_pool_short *out);

typedef struct {
    char name[XRES_POOL_NAME_MAX];
    uint64_t size_kb;
    uint64_t step_kb;               /* c: most taken in one round */
    uint64_t every_ms;              /* dt: one round every */
    unsigned priority;              /* higher first */
    uint64_t deadline_ms;           /* on the daemon's clock */
    bool start_when_full;
    xres_pool_short on_short;
    unsigned stall_rounds;          /* warn after this many empty rounds */
    bool from_config;               /* a new domain from config */
    char config[256];               /* its xl.cfg */
    char domain[XRES_NAME_MAX];     /* the domain: --domain, or config's */
    uint64_t config_mem_kb;         /* the config's memory: least to start */
} xres_pool_spec;

/* Validates a spec: 0, or -EINVAL with the reason in err. */
int xres_pool_spec_check(const xres_pool_spec *s, char *err, size_t len);
bool xres_pool_name_ok(const char *name);

typedef struct { uint64_t t_ms, held_kb; } xres_pool_sample;
typedef struct { uint32_t domid; uint64_t to_kb; } xres_pool_donor;
typedef struct { uint32_t domid; uint64_t old_kb; } xres_pool_frozen;

typedef struct {
    xres_pool_phase phase;
    uint64_t next_round_ms, next_sample_ms;
    unsigned next_piece;            /* number of the next placeholder */
    bool start_asked;               /* pool-start */
    bool delete_asked;              /* pool-delete */

    /* The round under way: donors lowered, the claim waits for them. */
    bool round;
    uint64_t round_kb, round_free_kb, round_ms;
    unsigned nr_donors;
    xres_pool_donor donors[XRES_POOL_DONORS];

    /* History and forecast. */
    unsigned nr_hist;               /* oldest first */
    xres_pool_sample hist[XRES_POOL_HIST];
    unsigned stalled;               /* rounds in a row without progress */
    bool warned_stall, at_risk;
    uint64_t forecast_ms;           /* UINT64_MAX: never; 0: not yet */

    /* Handover: what the domains' maxima were, and what the pool's
     * domain is given. */
    unsigned nr_frozen;
    xres_pool_frozen frozen[XRES_POOL_FROZEN_MAX];
    uint64_t give_kb;               /* the memory handed over */
    uint64_t dom_target_kb;         /* --domain: its new target */
    uint64_t handover_ms;
    uint32_t domid;                 /* the domain, once started */
    char msg[160];                  /* the last thing worth telling */
} xres_pool_state;

typedef struct {
    xres_pool_spec spec;
    xres_pool_state st;
    /* Observed in the snapshot by xres_pool_observe. */
    uint64_t held_kb;
    unsigned pieces;
    uint32_t ph_domid;              /* the first placeholder, or invalid */
    uint64_t ph_kb;                 /* its claim (grown in place on a
                                       patched hypervisor) */
    unsigned queue_pos;             /* 1-based place in the queue */
} xres_pool;

void xres_pool_init(xres_pool *p, const xres_pool_spec *spec, uint64_t now);

/* Held memory and pieces of p, from its placeholders in h. */
void xres_pool_observe(xres_pool *p, const xres_host *h);
/* d's piece number if it is one of pool's placeholders, else -1. */
long xres_pool_piece_of(const xres_domain *d, const char *pool);
/* Is d one of a pool's placeholders?  (any pool) */
bool xres_pool_is_placeholder(const xres_domain *d);

/* Notes for the log, from a step. */
typedef struct {
    int level;                      /* LOG_WARNING, LOG_INFO, ... */
    char text[200];
} xres_pool_note;

typedef struct {
    size_t n;
    xres_pool_note v[32];
} xres_pool_notes;

/* The queue: priority descending, then deadline ascending, then name.
 * Fills order[] with indexes into pools and each pool's queue_pos. */
void xres_pool_queue(xres_pool *pools, size_t n, size_t *order);

/* One step of every pool.  Appends actions to out (carried out in order
 * by the caller, after it saved the new states); *wake_ms gets the time
 * of the next step that is due (UINT64_MAX: none).  0 or -ENOMEM. */
int xres_pool_step(xres_pool *pools, size_t n, const xres_host *h,
                   const xres_mem_params *mp, uint64_t now,
                   xres_actions *out, xres_pool_notes *notes,
                   uint64_t *wake_ms);

/* The forecast (pool_forecast.c): when the pool will be full, from its
 * history.  Least squares over the samples; before two samples, or
 * before the history shows progress, the schedule (a step every dt).
 * UINT64_MAX when it never will. */
uint64_t xres_pool_forecast(const xres_pool *p, uint64_t now);
/* Adds a sample (dropping the oldest when full) and updates forecast and
 * at-risk; notes the first warning.  Returns the next sample time: dt,
 * or dt/4 within 4 dt of the deadline. */
uint64_t xres_pool_sample_add(xres_pool *p, uint64_t now,
                              xres_pool_notes *notes);
void xres_pool_note_add(xres_pool_notes *n, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
