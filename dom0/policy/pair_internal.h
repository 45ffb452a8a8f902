/*
 * dom0/policy/pair_internal.h: what the files of the pure pair policy
 * (policy_pair.c, pair_fault.c, pair_failover.c) share.  Not for other
 * code: use policy_pair.h.
 */
#ifndef XRES_PAIR_INTERNAL_H
#define XRES_PAIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "model.h"
#include "policy_pair.h"

/* Request sequence numbers of one failover, relative to fo.seq0. */
#define SEQ_STOP 0
#define SEQ_RELEASE 1
#define SEQ_ENGAGE 2
#define SEQ_START(i) (3 + (i))
#define SEQ_SPAN XRES_PAIR_SEQ_SPAN

/* snprintf into why (may be NULL). */
void xres_pair_why(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Exists, not dying, not shut down. */
bool xres_pair_dom_alive(const xres_domain *d);
/* An AGENT_REQUEST or a memory action, why included. */
void xres_pair_req_action(xres_action *act, uint32_t domid, const char *op,
                          const char *arg, uint64_t seq, const char *why);
void xres_pair_mem_action(xres_action *act, xres_action_kind kind,
                          uint32_t domid, uint64_t kb, const char *why);

#endif
