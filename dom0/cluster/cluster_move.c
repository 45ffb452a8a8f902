/*
 * dom0/cluster/cluster_move.c: the checks before a domain moves to
 * another host (cluster_move.h).  Pure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cluster_move.h"

const char *xres_move_method_name(xres_move_method m)
{
    switch (m) {
    case XRES_MOVE_LIVE: return "live";
    case XRES_MOVE_SAVE: return "save-restore";
    default: return "auto";
    }
}

__attribute__((format(printf, 2, 3)))
static int refuse(xres_move_plan *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
    va_end(ap);
    return -EPERM;
}

static const xres_cluster_dom *dom_in(const xres_cluster_figures *f,
                                      const char *name)
{
    for (size_t i = 0; i < f->ndoms; i++)
        if (!strcmp(f->doms[i].name, name)) return &f->doms[i];
    return NULL;
}

static int pick_method(const xres_move_req *req, const xres_move_plan *pl,
                       const xres_cluster_figures *src,
                       const xres_cluster_figures *dst,
                       xres_move_method *m, char *why, size_t len)
{
    bool live = src->live && dst->live;
    bool ours = !strcmp(pl->res.agent, "ocf:xres:domain");
    const char *nolive = !src->live ? src->host : dst->host;

    *m = req->method;
    if (*m == XRES_MOVE_AUTO) *m = live || !ours ? XRES_MOVE_LIVE
                                                 : XRES_MOVE_SAVE;
    if (*m == XRES_MOVE_LIVE && !live) {
        snprintf(why, len, "live migration needs shadow paging on both "
                 "hosts, and %s's Xen has none%s", nolive,
                 ours ? "; use --save-restore" : "");
        return -EPERM;
    }
    if (*m == XRES_MOVE_SAVE && !ours) {
        snprintf(why, len, "resource %s is %s, which cannot move a domain "
                 "by save and restore (ocf:xres:domain can)", pl->res.id,
                 pl->res.agent);
        return -EPERM;
    }
    return 0;
}

int xres_move_check(const xres_cluster_view *v, const xres_crm_resources *res,
                    const xres_move_req *req, xres_move_plan *p)
{
    const xres_cluster_member *self, *dst;
    const xres_cluster_dom *dom;
    const xres_crm_resource *r;
    uint64_t free_kb;
    char why[sizeof(p->reason)];

    memset(p, 0, sizeof(*p));
    if (!v || !v->joined || v->lost)
        return refuse(p, "this host is not in a cluster");
    self = xres_cview_find(v, v->self);
    if (!self || !self->have_fig)
        return refuse(p, "this host's own figures are not in the view yet");
    dst = xres_cview_find_host(v, req->host);
    if (!dst || !dst->have_fig)
        return refuse(p, "%s: not a host of the cluster", req->host);
    if (dst->nodeid == v->self)
        return refuse(p, "%s is this host", req->host);
    if (dst->state != XRES_MEMBER_MEMBER)
        return refuse(p, "%s has %s the cluster", req->host,
                      xres_member_state_name(dst->state));
    if (xres_cview_stale(v, dst))
        return refuse(p, "%s's figures are stale (%" PRIu64 " ticks old)",
                      req->host, v->tick - dst->fig_tick);
    if (!(dom = dom_in(self->fig, req->dom)))
        return refuse(p, "%s: no such domain on this host", req->dom);
    if (dom->domid == 0) return refuse(p, "dom0 cannot move");
    if (req->pair)
        return refuse(p, "%s belongs to the hot-standby pair %s, whose "
                      "domains stay on one host", req->dom, req->pair);
    if (!res)
        return refuse(p, "Pacemaker's resources are not known yet; "
                      "try again in a moment");
    if (!(r = xres_crm_find_domain(res, req->dom)))
        return refuse(p, "%s is not a Pacemaker resource: xres moves "
                      "domains only through Pacemaker", req->dom);
    p->res = *r;
    if (!r->migrate)
        return refuse(p, "resource %s may not migrate (its meta attribute "
                      "allow-migrate is not true)", r->id);
    if (pick_method(req, p, self->fig, dst->fig, &p->method, why,
                    sizeof(why)))
        return refuse(p, "%s", why);
    p->domid = dom->domid;
    p->need_kb = dom->mem_kb + XRES_MOVE_SLACK_KB;
    free_kb = dst->fig->mem_free_kb;        /* claims already out */
    p->dest_free_kb = free_kb;
    p->need_cpu_pct = dom->cpu_pct;
    p->dest_cpu_pct = dst->fig->cpu_allocable_pct;
    if (free_kb < p->need_kb)
        return refuse(p, "%s has %" PRIu64 " MiB free, and %s needs %"
                      PRIu64 " MiB (its %" PRIu64 " MiB and %u MiB for Xen)",
                      req->host, free_kb / 1024, req->dom, p->need_kb / 1024,
                      dom->mem_kb / 1024, XRES_MOVE_SLACK_KB / 1024);
    if (p->dest_cpu_pct < p->need_cpu_pct)
        return refuse(p, "%s can allocate %u%% of a CPU, and %s uses %u%%",
                      req->host, p->dest_cpu_pct, req->dom, p->need_cpu_pct);
    return 0;
}
