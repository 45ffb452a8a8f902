/*
 * dom0/cluster/cluster_move.h: whether a domain may be moved to another
 * host of the cluster, and how (docs/xres-cluster.md, "Moving a
 * domain").  Pure: the cluster view, Pacemaker's resource table and the
 * request go in; a plan, or the reason for a refusal, comes out.
 *
 * A move is refused unless:
 *   - this host is in the cluster, and the destination is another member
 *     whose figures are fresh;
 *   - the domain runs here (in this host's own latest figures), is not
 *     dom0, and belongs to no hot-standby pair;
 *   - Pacemaker runs it as a resource (ocf:xres:domain or
 *     ocf:heartbeat:Xen) with allow-migrate=true: xres moves domains only
 *     through Pacemaker;
 *   - the method can be used: live needs shadow paging on both hosts,
 *     save and restore needs ocf:xres:domain; auto is live where both
 *     hosts can, else save and restore;
 *   - the destination has free memory (claims are not free) for the
 *     domain's memory and XRES_MOVE_SLACK_KB, and allocable CPU for the
 *     domain's measured use.
 */
#ifndef XRES_CLUSTER_MOVE_H
#define XRES_CLUSTER_MOVE_H

#include <stdint.h>

#include "cluster_view.h"
#include "crm.h"

/* Xen's own overhead for a domain's page tables and p2m, and the
 * margin a migration needs on the target. */
#define XRES_MOVE_SLACK_KB (8 * 1024)

typedef enum {
    XRES_MOVE_AUTO = 0,
    XRES_MOVE_LIVE,
    XRES_MOVE_SAVE,
} xres_move_method;

const char *xres_move_method_name(xres_move_method m);   /* live, save */

typedef struct {
    const char *dom;
    const char *host;           /* the destination */
    xres_move_method method;
    const char *pair;           /* the domain's hot-standby pair, or NULL */
} xres_move_req;

typedef struct {
    xres_move_method method;    /* LIVE or SAVE */
    xres_crm_resource res;
    uint32_t domid;
    uint64_t need_kb, dest_free_kb;
    unsigned need_cpu_pct, dest_cpu_pct;
    char reason[256];           /* refused: why */
} xres_move_plan;

/* res NULL: Pacemaker's resources are not known yet.  0 with the plan,
 * or -EPERM with p->reason. */
int xres_move_check(const xres_cluster_view *v, const xres_crm_resources *res,
                    const xres_move_req *req, xres_move_plan *p);

#endif
