/*
 * dom0/core/model.c: helpers for the host model (model.h): allocation, lookup,
 * copying and names of enum values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

const char *xres_sched_kind_name(xres_sched_kind k)
{
    switch (k) {
    case XRES_SCHED_CREDIT: return "credit";
    case XRES_SCHED_CREDIT2: return "credit2";
    case XRES_SCHED_OTHER: return "other";
    default: return "unknown";
    }
}

const char *xres_balloon_state_name(xres_balloon_state s)
{
    switch (s) {
    case XRES_BALLOON_FIXED: return "fixed";
    case XRES_BALLOON_OK: return "ok";
    case XRES_BALLOON_MOVING: return "moving";
    case XRES_BALLOON_NOT_RESPONDING: return "not-responding";
    default: return "unknown";
    }
}

void xres_host_init(xres_host *h)
{
    memset(h, 0, sizeof(*h));
}

void xres_host_dispose(xres_host *h)
{
    free(h->domains);
    memset(h, 0, sizeof(*h));
}

xres_domain *xres_host_add_domain(xres_host *h, uint32_t domid)
{
    xres_domain *v = realloc(h->domains, (h->nr_domains + 1) * sizeof(*v));
    if (!v) return NULL;
    h->domains = v;
    xres_domain *d = &v[h->nr_domains++];
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    d->weight = -1;
    return d;
}

xres_domain *xres_host_find(const xres_host *h, uint32_t domid)
{
    size_t lo = 0, hi = h->nr_domains;

    /* Snapshots are sorted by domid: a binary search; a host built out of
     * order (a test's) is still searched in full before a miss. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t m = h->domains[mid].domid;
        if (m == domid) return &h->domains[mid];
        if (m < domid) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = 0; i < h->nr_domains; i++)
        if (h->domains[i].domid == domid) return &h->domains[i];
    return NULL;
}

xres_domain *xres_host_find_name(const xres_host *h, const char *name)
{
    for (size_t i = 0; i < h->nr_domains; i++)
        if (!strcmp(h->domains[i].name, name)) return &h->domains[i];
    return NULL;
}

int xres_host_copy(xres_host *dst, const xres_host *src)
{
    xres_domain *v = NULL;

    if (src->nr_domains) {
        v = malloc(src->nr_domains * sizeof(*v));
        if (!v) return -ENOMEM;
        memcpy(v, src->domains, src->nr_domains * sizeof(*v));
    }
    free(dst->domains);
    *dst = *src;
    dst->domains = v;
    return 0;
}

bool xres_mem_arrived(uint64_t cur_kb, uint64_t target_kb, uint64_t tol_kb)
{
    uint64_t diff = cur_kb > target_kb ? cur_kb - target_kb
                                       : target_kb - cur_kb;

    return diff <= tol_kb;
}

bool xres_mem_came_down(uint64_t cur_kb, uint64_t target_kb, uint64_t tol_kb)
{
    return cur_kb <= target_kb || xres_mem_arrived(cur_kb, target_kb, tol_kb);
}

bool xres_mem_went_up(uint64_t cur_kb, uint64_t target_kb, uint64_t tol_kb)
{
    return cur_kb >= target_kb || xres_mem_arrived(cur_kb, target_kb, tol_kb);
}
