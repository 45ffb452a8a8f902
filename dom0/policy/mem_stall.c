/*
 * dom0/policy/mem_stall.c: the watch of raised targets that a balloon
 * does not follow (mem_stall.h).  Pure: snapshot and time in, the watch
 * and actions out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_stall.h"

void xres_mem_stalls_init(xres_mem_stalls *s)
{
    memset(s, 0, sizeof(*s));
}

void xres_mem_stalls_dispose(xres_mem_stalls *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static xres_mem_stall *find(xres_mem_stalls *s, uint32_t domid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].domid == domid) return &s->v[i];
    return NULL;
}

static bool below_target(const xres_domain *d, const xres_mem_params *p)
{
    return d->target_kb > d->cur_kb &&
           d->target_kb - d->cur_kb > p->tolerance_kb;
}

/* Keep only the watches of domains still below their target. */
static void prune(xres_mem_stalls *s, const xres_host *h,
                  const xres_mem_params *p)
{
    size_t k = 0;

    for (size_t i = 0; i < s->n; i++) {
        const xres_domain *d = xres_host_find(h, s->v[i].domid);
        if (d && below_target(d, p) && d->target_kb == s->v[i].target_kb)
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

static int add(xres_mem_stalls *s, const xres_domain *d, uint64_t now_ms)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        xres_mem_stall *v = realloc(s->v, ncap * sizeof(*v));
        if (!v) return -ENOMEM;
        s->v = v;
        s->cap = ncap;
    }
    s->v[s->n++] = (xres_mem_stall){ d->domid, d->target_kb, d->cur_kb,
                                     now_ms };
    return 0;
}

int xres_mem_stalls_check(xres_mem_stalls *s, const xres_host *h,
                          const xres_mem_params *p, uint64_t now_ms,
                          bool (*skip)(void *opaque, uint32_t domid),
                          void *opaque, xres_actions *out)
{
    int rc = 0;

    prune(s, h, p);
    for (size_t i = 0; !rc && i < h->nr_domains; i++) {
        const xres_domain *d = &h->domains[i];
        xres_mem_stall *w;
        xres_action a;

        if (!xres_mem_balloonable(d) || !below_target(d, p)) continue;
        if (skip && skip(opaque, d->domid)) {
            /* A move's own wait; the watch starts after it. */
            if ((w = find(s, d->domid))) {
                w->best_kb = d->cur_kb;
                w->since_ms = now_ms;
            }
            continue;
        }
        if (!(w = find(s, d->domid))) {
            rc = add(s, d, now_ms);
            continue;
        }
        if (d->cur_kb > w->best_kb + p->tolerance_kb) {
            w->best_kb = d->cur_kb;
            w->since_ms = now_ms;
            continue;
        }
        if (now_ms < w->since_ms || now_ms - w->since_ms < p->timeout_ms)
            continue;
        memset(&a, 0, sizeof(a));
        a.kind = XRES_ACT_SET_TARGET;
        a.domid = d->domid;
        a.u.mem.kb = d->cur_kb;
        snprintf(a.why, sizeof(a.why), "balloon stayed at %" PRIu64 " of %"
                 PRIu64 " KiB: target back to its memory", d->cur_kb,
                 d->target_kb);
        rc = xres_actions_push(out, &a);
        /* Watched again only if its target is raised anew. */
        w->target_kb = d->cur_kb;
    }
    return rc;
}
