/*
 * tests/unit/mem_testlib.h: helpers shared by the memory-by-demand tests:
 * building host snapshots and carrying actions out on the model.
 */
#ifndef XRES_MEM_TESTLIB_H
#define XRES_MEM_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>

#include "action.h"
#include "model.h"
#include "policy_mem.h"

#define MiB 1024ULL

/* A cooperative guest with an agent and a balloon driver; cur = target. */
xres_domain *mt_add(xres_host *h, uint32_t domid, const char *name,
                    uint64_t mem_mib, uint64_t used_mib, uint64_t smax_mib);
/* total = sum cur + free. */
void mt_set_free(xres_host *h, uint64_t free_kb);

/* Carry one action out on the model: SET_TARGET lowers only the target
 * (the balloon releases at WAIT_TARGET) and raises target and cur at once,
 * taking the memory from free.  Returns false (and says why in err) if the
 * action would break a rule: growing into memory that is not free above the
 * reserve, waiting on a domain whose target is not the awaited figure. */
bool mt_apply(xres_host *h, const xres_mem_params *p, const xres_action *a,
              char *err, size_t len);

/* Sum of claims (max(cur, target)) of every domain but dom0. */
uint64_t mt_guest_claims(const xres_host *h);
/* True when sum claim + overhead + reserve + spare == total. */
bool mt_conserved(const xres_host *h, const xres_mem_params *p);

/* XenStore paths of the move records (static buffers, one per call
 * site use). */
const char *mt_moves_dir(void);
const char *mt_move_path(uint64_t id);

#endif
