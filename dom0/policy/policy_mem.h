/*
 * dom0/policy/policy_mem.h: memory by demand, the pure policy.
 *
 * From a host snapshot (model.h) and the memory parameters, decide which
 * domain gives memory to which: a plan of transfers.  A transfer names a
 * donor (or Xen's free memory), a receiver (or Xen's free memory) and the
 * exact targets before and after.  The plan turns into actions in the
 * agreed order: lower the donor, wait until its balloon got there, then
 * raise the receiver.  No Xen calls, no clocks, no I/O here; the algorithm
 * is described in docs/xres-mem.md.
 */
#ifndef XRES_POLICY_MEM_H
#define XRES_POLICY_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "model.h"

/* Tunables, all from /etc/xres/xres.conf (config_mem.c). */
typedef struct {
    double high;               /* U_hi: deficient at used/target >= high */
    double low;                /* U_lo: excess at used/target <= low */
    uint64_t block_kb;         /* memory moves in blocks of this size */
    uint64_t reserve_kb;       /* Xen free memory balancing never uses */
    uint64_t threshold_kb;     /* smaller changes are not applied */
    uint64_t tolerance_kb;     /* cur within this of target: arrived */
    uint64_t timeout_ms;       /* balloon must move within this */
    uint64_t check_ms;         /* how often an in-flight move is checked */
    uint64_t retry_ms;         /* not-responding domains are retried after */
    uint64_t tick_ms;          /* periodic balancing */
    uint64_t maxmem_slack_kb;  /* Xen maxmem = target + this when raised */
} xres_mem_params;

void xres_mem_params_default(xres_mem_params *p);
/* 0, or -EINVAL with a reason in err. */
int xres_mem_params_check(const xres_mem_params *p, char *err, size_t len);

/* One transfer of memory.  src or dst may be XRES_DOMID_INVALID: Xen's
 * free memory (mem-set, or a receiver served from free memory). */
typedef struct {
    uint32_t src, dst;
    uint64_t kb;
    uint64_t src_from, src_to;      /* donor's target before / after */
    uint64_t dst_from, dst_to;      /* receiver's target before / after */
    uint64_t dst_maxmem;            /* 0, or raise Xen maxmem to this first */
    char why[64];
} xres_mem_transfer;

typedef struct {
    size_t n, cap;
    xres_mem_transfer *v;
    bool short_mode;                /* shares by weight x demand were used */
} xres_mem_plan;

void xres_mem_plan_init(xres_mem_plan *p);
void xres_mem_plan_dispose(xres_mem_plan *p);
int xres_mem_plan_push(xres_mem_plan *p, const xres_mem_transfer *t);

/* Does the domain have a balloon driver?  control/feature-balloon is 1
 * (Windows PV drivers write it), or its agent reports the balloon
 * driver's current size (Linux writes no feature flag). */
bool xres_mem_has_balloon(const xres_domain *d);
/* May xres ask this domain to balloon at all?  False for dom0, domains
 * without a valid agent report or without a balloon driver, and domains
 * shutting down or dying. */
bool xres_mem_balloonable(const xres_domain *d);
/* The domain's upper bound: its policy max, never above static-max. */
uint64_t xres_mem_max_of(const xres_domain *d);

/* Memory accounting of a snapshot (see docs/xres-mem.md).
 *   claim(d)  = max(cur, target): what d holds or has been promised
 *   overhead  = total - free - outstanding claims - sum cur: Xen's own
 *   spare     = free - reserve - sum max(0, target - cur)
 * and always  sum claim + overhead + reserve + spare == total.
 * A transfer may only spend spare memory, so spare never goes below 0
 * because of xres. */
typedef struct {
    uint64_t total_kb;
    uint64_t overhead_kb;
    uint64_t claimed_kb;
    uint64_t reserve_kb;
    int64_t spare_kb;
} xres_mem_account;

void xres_mem_account_of(const xres_host *h, const xres_mem_params *p,
                         xres_mem_account *a);

/* The memory a move may still hand to its receiver when it raises it: the
 * snapshot's spare memory; but when Xen's free memory is short of the
 * reserve, what the donor has released since its target was donor_from_kb
 * is still the move's own to hand on (as far as it is not promised
 * elsewhere), so the raise leaves Xen's free memory no lower than it was.
 * donor is NULL for a move from free memory. */
int64_t xres_mem_raise_room(const xres_host *h, const xres_mem_params *p,
                            const xres_domain *donor, uint64_t donor_from_kb);

/* The balancing decision.  Domains whose balloon is MOVING or
 * NOT_RESPONDING take no part.  Appends to plan; 0 or -ENOMEM. */
int xres_mem_balance(const xres_host *h, const xres_mem_params *p,
                     xres_mem_plan *plan);

/* Does d's report, which replaced before, change what balancing would do
 * for d?  True when the agent came or went, or d's class (receiver,
 * donor, neither) or what it needs or offers (in the whole blocks
 * balancing moves) differs; false for figures that moved within the
 * same blocks.  Memory, targets and policies are d's as they are now. */
bool xres_mem_report_moves(const xres_domain *d,
                           const xres_agent_report *before,
                           const xres_mem_params *p);

/* What each donor could give, in the order balancing takes from donors:
 * domains above their max first, then the most underused; exactly what
 * lies above its floor (balancing itself moves whole blocks of it), never
 * below a domain's guarantee, its keep floor or a subsystem's floor (a
 * pair's).  Only domains that take part in balancing.  *out is
 * malloc'd (the caller frees it); 0 or -ENOMEM. */
typedef struct {
    uint32_t domid;
    uint64_t target_kb;     /* its target now */
    uint64_t give_kb;       /* what it can give */
} xres_mem_offer;

int xres_mem_offers(const xres_host *h, const xres_mem_params *p,
                    xres_mem_offer **out, size_t *n);

/* `xres mem-move SRC DST SIZE`: exactly kb from src to dst, or an error
 * (-EINVAL, -EBUSY, -ENOSPC, -EPERM) with a message naming the domain and
 * the reason, and nothing planned. */
int xres_mem_plan_move(const xres_host *h, const xres_mem_params *p,
                       uint32_t src, uint32_t dst, uint64_t kb,
                       xres_mem_plan *plan, char *err, size_t errlen);

/* `xres mem-set DOM SIZE`: to or from Xen's free memory. */
int xres_mem_plan_set(const xres_host *h, const xres_mem_params *p,
                      uint32_t domid, uint64_t kb, xres_mem_plan *plan,
                      char *err, size_t errlen);

/* The plan as actions, transfer after transfer: SET_TARGET(donor),
 * WAIT_TARGET(donor), [SET_MAXMEM(receiver)], SET_TARGET(receiver). */
int xres_mem_plan_actions(const xres_mem_plan *plan, const xres_mem_params *p,
                          xres_actions *out);

#endif
