/*
 * dom0/policy/mem_stall.h: raised targets that a balloon does not follow.
 *
 * A move ends once the receiver's target is written; the balloon then
 * grows on its own.  A balloon that never grows (a guest that refuses, a
 * hung driver) would keep its target above its memory for ever: the
 * promise keeps spare memory from every other domain (policy_mem.h,
 * "spare"), and the domain, never "arrived", takes no part in balancing.
 * The watch gives such a balloon timeout_ms to come closer to its target;
 * then its target goes back to its memory and it is marked not
 * responding, as a donor that does not release is.  The watch is rebuilt
 * from snapshots alone, so a restarted xresd finds a stuck balloon again.
 */
#ifndef XRES_MEM_STALL_H
#define XRES_MEM_STALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "model.h"
#include "policy_mem.h"

/* One balloon below its target: the target, the most memory it reached
 * for it and when. */
typedef struct {
    uint32_t domid;
    uint64_t target_kb;
    uint64_t best_kb;
    uint64_t since_ms;
} xres_mem_stall;

typedef struct {
    size_t n, cap;
    xres_mem_stall *v;
} xres_mem_stalls;

void xres_mem_stalls_init(xres_mem_stalls *s);
void xres_mem_stalls_dispose(xres_mem_stalls *s);

/* One look at snapshot h at now_ms.  Domains that xres may balloon, that
 * are not skipped (skip(opaque, domid) true: in a move, already marked)
 * and whose memory is more than the tolerance below their target are
 * watched; for each whose memory did not come closer than the tolerance
 * for timeout_ms, a SET_TARGET back to its memory is appended to out and
 * its domid to stuck (at most cap_stuck).  0 or -ENOMEM. */
int xres_mem_stalls_check(xres_mem_stalls *s, const xres_host *h,
                          const xres_mem_params *p, uint64_t now_ms,
                          bool (*skip)(void *opaque, uint32_t domid),
                          void *opaque, xres_actions *out);

#endif
