/*
 * tests/unit/mem_testlib.c: helpers shared by the memory-by-demand tests
 * (mem_testlib.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mem_move.h"
#include "mem_testlib.h"
#include "xs_schema.h"

xres_domain *mt_add(xres_host *h, uint32_t domid, const char *name,
                    uint64_t mem_mib, uint64_t used_mib, uint64_t smax_mib)
{
    xres_domain *d = xres_host_add_domain(h, domid);

    if (!d) return NULL;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->cur_kb = d->target_kb = mem_mib * MiB;
    d->static_max_kb = smax_mib * MiB;
    d->xen_max_kb = d->target_kb + 1024;
    d->running = true;
    d->feature_balloon = domid != 0;
    d->agent.valid = domid != 0;
    d->agent.mem_used_kb = used_mib * MiB;
    d->mem_policy.weight = 1;
    d->balloon = domid ? XRES_BALLOON_OK : XRES_BALLOON_FIXED;
    return d;
}

void mt_set_free(xres_host *h, uint64_t free_kb)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < h->nr_domains; i++) sum += h->domains[i].cur_kb;
    h->free_kb = free_kb;
    h->total_kb = sum + free_kb;
}

bool mt_apply(xres_host *h, const xres_mem_params *p, const xres_action *a,
              char *err, size_t len)
{
    xres_domain *d = xres_host_find(h, a->domid);

    if (!d) {
        snprintf(err, len, "no domain %" PRIu32, a->domid);
        return false;
    }
    switch (a->kind) {
    case XRES_ACT_SET_TARGET:
        if (a->u.mem.kb > d->xen_max_kb) {
            snprintf(err, len, "dom%" PRIu32 " target above Xen maxmem",
                     d->domid);
            return false;
        }
        d->target_kb = a->u.mem.kb;
        if (d->target_kb > d->cur_kb) {
            uint64_t grow = d->target_kb - d->cur_kb;
            if (h->free_kb < grow + p->reserve_kb) {
                snprintf(err, len, "dom%" PRIu32 " grows by %" PRIu64
                         "KiB but only %" PRIu64 "KiB is free", d->domid,
                         grow, h->free_kb);
                return false;
            }
            h->free_kb -= grow;
            d->cur_kb = d->target_kb;
        }
        return true;
    case XRES_ACT_WAIT_TARGET:
        if (d->target_kb != a->u.mem.kb) {
            snprintf(err, len, "wait on dom%" PRIu32 " for %" PRIu64
                     " but target is %" PRIu64, d->domid, a->u.mem.kb,
                     d->target_kb);
            return false;
        }
        if (d->cur_kb > d->target_kb) {
            h->free_kb += d->cur_kb - d->target_kb;
            d->cur_kb = d->target_kb;
        }
        return true;
    case XRES_ACT_SET_MAXMEM:
        d->xen_max_kb = a->u.mem.kb;
        return true;
    default:
        snprintf(err, len, "unexpected action %d", (int)a->kind);
        return false;
    }
}

uint64_t mt_guest_claims(const xres_host *h)
{
    uint64_t s = 0;

    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *d = &h->domains[i];
        if (!d->domid) continue;
        s += d->cur_kb > d->target_kb ? d->cur_kb : d->target_kb;
    }
    return s;
}

bool mt_conserved(const xres_host *h, const xres_mem_params *p)
{
    xres_mem_account a;

    xres_mem_account_of(h, p, &a);
    return (int64_t)a.claimed_kb + (int64_t)a.overhead_kb +
        (int64_t)a.reserve_kb + a.spare_kb == (int64_t)a.total_kb;
}

const char *mt_moves_dir(void)
{
    static char buf[XRES_SCHEMA_PATH_MAX];

    if (xres_schema_path(buf, sizeof(buf), XS_MEM_MOVES, 0, NULL)) return "";
    return buf;
}

const char *mt_move_path(uint64_t id)
{
    static char buf[XRES_SCHEMA_PATH_MAX];

    if (xres_move_path(id, buf, sizeof(buf))) return "";
    return buf;
}
