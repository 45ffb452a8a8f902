/*
 * dom0/policy/policy_cpu.h: CPU policies: scheduler weights and caps from policy
 * and measured use.
 *
 * Four policies, one per domain (or none, which leaves the domain alone):
 *
 *   fixed   weight and cap as configured; put back when changed outside
 *   shares  weight follows a priority; optional CPU guarantee
 *   demand  the cap follows use in steps, within bounds
 *   manage  the host's managing domain: its cap is the allocation A
 *           computed from the available CPU and its last run
 *
 * Every figure is in % of one physical CPU, as Xen's cap is; the host's
 * maximum is nr_cpus * 100.  All functions here are pure: snapshot and
 * history in, decisions and actions out; no Xen calls, clocks or logging.
 */
#ifndef XRES_POLICY_CPU_H
#define XRES_POLICY_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "cpu_measure.h"
#include "model.h"

#define XRES_WEIGHT_MIN 1
#define XRES_WEIGHT_MAX 65535
#define XRES_WEIGHT_DEFAULT 256     /* credit and credit2 alike */
#define XRES_CPU_SPEC_MAX 160       /* a policy's text form */

typedef enum {
    XRES_CPU_POLICY_NONE = 0,
    XRES_CPU_POLICY_FIXED,
    XRES_CPU_POLICY_SHARES,
    XRES_CPU_POLICY_DEMAND,
    XRES_CPU_POLICY_MANAGE,
} xres_cpu_policy_kind;

const char *xres_cpu_policy_kind_name(xres_cpu_policy_kind k);

typedef enum {
    XRES_MANAGE_ALLOCABLE = 1,  /* A = allocable */
    XRES_MANAGE_COEF = 2,       /* A = allocable * coef */
    XRES_MANAGE_IF_TARGET = 3,  /* A = allocable if R / allocable <= T */
    XRES_MANAGE_BY_TARGET = 4,  /* A = R / T, at most allocable */
} xres_manage_method;

/* Whose CPU figure a domain's decisions use (xres.conf's per-domain
 * cpu_source): Xen's cpu_time, or the figure the domain's agent measures
 * inside it (004's measurement element), never above Xen's. */
typedef enum {
    XRES_CPU_SOURCE_XEN = 0,
    XRES_CPU_SOURCE_AGENT,
} xres_cpu_source;

const char *xres_cpu_source_name(xres_cpu_source s);
/* "xen" or "agent"; 0 or -EINVAL. */
int xres_cpu_source_parse(const char *s, xres_cpu_source *out);

typedef struct {
    xres_cpu_policy_kind kind;
    /* Not part of the text form: from xres.conf's cpu_source. */
    xres_cpu_source source;
    /* fixed */
    int weight;                 /* 1..65535, -1 = leave as it is */
    int cap;                    /* 0 = none, -1 = leave as it is */
    /* shares */
    unsigned priority;          /* >= 1 */
    unsigned guarantee;         /* % of one CPU, 0 = none */
    /* demand (cap bounds); manage uses cap_min as its floor */
    unsigned cap_min;           /* 0 = one step */
    unsigned cap_max;           /* 0 = 100 * vCPUs online */
    unsigned cap_step;          /* 0 = the settings' step */
    /* manage */
    xres_manage_method method;
    double coef;                /* method 2, in (0, 1] */
    double target_s;            /* methods 3 and 4: T in seconds */
    double reserve;             /* p: fraction of Max kept back, [0, 1) */
} xres_cpu_policy;

void xres_cpu_policy_init(xres_cpu_policy *p);   /* kind none, defaults */

/*
 * Text form, the same on the command line, in xres.conf and in XenStore:
 *   none
 *   fixed [weight=W] [cap=C]
 *   shares priority=P [guarantee=G]
 *   demand [min=C] [max=C] [step=S]
 *   manage [method=1..4] [coef=F] [target=SECONDS] [reserve=PCT] [min=C]
 * Words are separated by blanks.  On error returns -EINVAL and puts the
 * reason in err.
 */
int xres_cpu_policy_parse(const char *s, xres_cpu_policy *p, char *err,
                          size_t errlen);
void xres_cpu_policy_format(const xres_cpu_policy *p, char *buf, size_t len);

/* A domain's policy by name, as xres.conf or a run-time setting gives it. */
typedef struct {
    char name[XRES_NAME_MAX];
    xres_cpu_policy pol;
    uint64_t slot;              /* run time: its entry in XenStore, 0 = none */
} xres_cpu_named;

/* Gives name policy p in the list *v of *n entries, replacing its entry or
 * adding one (slot 0).  0 or -ENOMEM. */
int xres_cpu_named_set(xres_cpu_named **v, size_t *n, const char *name,
                       const xres_cpu_policy *p);
/* name's entry in v, or NULL. */
xres_cpu_named *xres_cpu_named_find(xres_cpu_named *v, size_t n,
                                    const char *name);

/* Host-wide settings (xres.conf), with their defaults. */
typedef struct {
    xres_load_mode load_mode;   /* latest */
    unsigned load_window;       /* samples for average/maximum: 6 */
    double u_hi;                /* pegged: use >= u_hi * cap: 0.9 */
    double u_lo;                /* idle: use <= u_lo * cap: 0.3 */
    unsigned demand_window;     /* samples at a cap before a decision: 3 */
    double demand_majority;     /* share of them that must agree: 0.6 */
    unsigned cap_step;          /* default step: 10 */
} xres_cpu_settings;

void xres_cpu_settings_init(xres_cpu_settings *s);

/* ---- building blocks, exposed for tests and for `xres sched-policy` ---- */

/*
 * Weights for domains under the shares policy.  prio[i] >= 1 gives the
 * weight ratio; prio is used as it is when the largest fits in 65535, else
 * scaled down into 1..65535.  A guarantee guar[i] (% of one CPU, 0 = none)
 * raises w[i] until w[i] / (sum of w + other_weight) * max >= guar[i];
 * other_weight is the sum of the weights of every other domain sharing the
 * CPUs.  Refused with -EINVAL when the guarantees add up to more than max
 * or one exceeds 100 * vcpus[i] (vcpus may be NULL), -ERANGE when they
 * would need a weight above 65535; err says why.
 */
int xres_cpu_shares_weights(size_t n, const unsigned *prio,
                            const unsigned *guar, const unsigned *vcpus,
                            const char *const *names, double other_weight,
                            double max, int *w, char *err, size_t errlen);

/* What the demand-following step decided. */
typedef enum {
    XRES_DEMAND_KEEP = 0,
    XRES_DEMAND_BOUNDS,         /* brought into its bounds */
    XRES_DEMAND_UP,
    XRES_DEMAND_DOWN,
    XRES_DEMAND_WANTS_MORE,     /* pegged, but cannot rise: see why */
} xres_demand_verdict;

/*
 * One demand-following decision for a domain with the given cap (0 = none)
 * and vCPUs online.  pts are its latest samples, oldest first; only the
 * run of latest samples taken at the current cap counts, and at least
 * demand_window of them are needed.  available is the host's spare CPU;
 * a rise never exceeds it.  Bounds: at least max(cap_min, step), at most
 * min(cap_max, 100 * vcpus_online).  Sets *cap_out and why.
 */
xres_demand_verdict xres_cpu_demand_step(const xres_cpu_policy *p,
                                         const xres_cpu_settings *s,
                                         int cap, unsigned vcpus_online,
                                         const xres_cpu_point *pts, size_t n,
                                         double available, int *cap_out,
                                         char *why, size_t whylen);

/*
 * The use a decision takes from one sample: Xen's figure, or with
 * XRES_CPU_SOURCE_AGENT the agent's when it has one, bounded by Xen's (a
 * guest never gets more than Xen measured by saying so).
 */
double xres_cpu_point_use(const xres_cpu_point *p, xres_cpu_source src);

/* The managing domain's last run: allocation A and its time t. */
typedef struct {
    bool valid;
    double alloc;               /* A_prev, % of one CPU */
    double time_s;              /* t_prev */
} xres_manage_run;

/*
 * The managing domain's allocation A from allocable, per method.  last may
 * be NULL or invalid (no run yet): methods 3 and 4 then give allocable.
 * Method 3 gives allocable also when the estimate R / allocable misses
 * the target (no allocation can meet it), and sets *caution (may be
 * NULL; false otherwise).  Returns A (>= 0, <= allocable) and says why.
 */
double xres_cpu_manage_alloc(const xres_cpu_policy *p, double allocable,
                             const xres_manage_run *last, char *why,
                             size_t whylen, bool *caution);

/* ---- the whole host ---- */

typedef struct {
    uint32_t domid;
    xres_cpu_policy_kind kind;
    int weight;                 /* wanted, -1 = no change */
    int cap;                    /* wanted, -1 = no change */
    double use_pct;             /* latest measured, -1 if none */
    char note[128];             /* the latest decision, for the list */
} xres_cpu_decision;

typedef struct {
    double max;                 /* nr_cpus * 100 */
    double load;                /* as load_mode takes it */
    double available;
    double allocable;           /* for the managing domain, 0 if none */
    double manage_alloc;        /* A, -1 if no managing domain */
    double manage_own;          /* its own load, counted as available */
    int manage_cap;             /* the cap A gives it (bounds, vCPUs and
                                   half a step of slack applied), -1 if
                                   none */
    uint32_t manage_domid;      /* XRES_DOMID_INVALID if none */
    char manage_caution[128];   /* method 3 cannot meet its target: why;
                                   "" if none */
    bool active;                /* false: scheduler has no weight/cap */
    char error[192];            /* host-level refusal, "" if none */
    size_t n;
    xres_cpu_decision *dec;     /* parallel to the host's domains */
    size_t dec_cap;             /* entries allocated, kept between runs */
} xres_cpu_result;

void xres_cpu_result_init(xres_cpu_result *r);
void xres_cpu_result_dispose(xres_cpu_result *r);

/*
 * Decide every domain's weight and cap.  pols is parallel to h->domains
 * (NULL: every domain none).  m holds the measured history (may be empty).
 * last is the managing domain's last run (may be NULL).  Appends one
 * SET_SCHED action per domain whose weight or cap must change, and fills
 * r.  Returns 0 or -ENOMEM.  Policy refusals (impossible guarantees, two
 * managing domains) are not errors: they are reported in r->error and the
 * policies concerned are left out of this pass.
 */
int xres_cpu_policy_run(const xres_host *h, const xres_cpu_settings *s,
                        const xres_cpu_policy *pols, const xres_cpu_meter *m,
                        const xres_manage_run *last, xres_cpu_result *r,
                        xres_actions *out);

/*
 * Check a policy about to be given to domain idx of h (run time or
 * config), against the others in pols: one managing domain per host,
 * guarantees that can be met, bounds that make sense, weights and caps in
 * range.  0 or -EINVAL with err set.
 */
int xres_cpu_policy_check(const xres_host *h, const xres_cpu_policy *pols,
                          size_t idx, const xres_cpu_policy *p, char *err,
                          size_t errlen);

/*
 * The managing domain's run report, the detail of its agent's ack to an
 * "alloc PCT" request: exactly "time-ms=N", N decimal, 1..604800000 (a
 * week).  Guest input: anything else is refused with -EINVAL.
 */
#define XRES_RUN_TIME_MS_MAX 604800000ULL
int xres_cpu_parse_run_time(const char *s, size_t len, uint64_t *t_ms);

#endif
