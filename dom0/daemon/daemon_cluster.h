/*
 * dom0/daemon/daemon_cluster.h: what the cluster subsystems offer the
 * rest of xresd: the view of the cluster (daemon_cluster.c), and moving a
 * domain to another host through Pacemaker (daemon_move.c).
 */
#ifndef XRES_DAEMON_CLUSTER_H
#define XRES_DAEMON_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "cluster_move.h"
#include "cluster_view.h"
#include "daemon.h"

/* The view, or NULL when this host is not in a cluster now. */
const xres_cluster_view *xres_daemon_cluster_view(xres_daemon *d);

/* Start moving domain dom to host through Pacemaker (one move at a
 * time).  why names who asks, for the log ("the operator").  0 and
 * *job set; -EPERM with the reason in err (the move is refused);
 * -EBUSY when a move is under way; other -errno.  With dry_run, only
 * the checks: 0 and the plan in *plan (plan may be NULL). */
int xres_daemon_cluster_move(xres_daemon *d, const char *dom,
                             const char *host, xres_move_method method,
                             bool dry_run, const char *why,
                             xres_move_plan *plan, unsigned *job,
                             char *err, size_t errlen);

/* A move of dom (NULL: any) is under way. */
bool xres_daemon_cluster_moving(xres_daemon *d, const char *dom);

/* How move job ended: 0 done, -EIO failed, -EINPROGRESS still under
 * way, -ENOENT not known (no longer kept). */
int xres_daemon_cluster_move_result(xres_daemon *d, unsigned job);

/* Pacemaker's resource that runs domain dom, or NULL (not a resource, or
 * the table not read yet: see xres_daemon_cluster_resources_known). */
const xres_crm_resource *xres_daemon_cluster_resource(xres_daemon *d,
                                                      const char *dom);
bool xres_daemon_cluster_resources_known(xres_daemon *d);

/* Multicast a lock message (op "request" or "release") for name to the
 * group.  0, or -errno (not in the cluster: -ENOTCONN). */
int xres_daemon_cluster_lock(xres_daemon *d, const char *op,
                             const char *name);

/* The domains of this host over T_vm while it is in conflict (what our
 * figures' conflicts list carries), at most max: their number
 * (daemon_conflict.c). */
size_t xres_daemon_conflict_busy(xres_daemon *d,
                                 char (*names)[XRES_CLUSTER_NAME_MAX],
                                 size_t max);

#endif
