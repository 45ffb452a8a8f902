/*
 * dom0/cluster/group_model.h: an in-process model of a CPG group for the
 * unit tests (cluster_group.h).  A bus holds several members in one
 * process.  A multicast or a configuration change is put, at once and in
 * one order, into the inbox of every member joined at that moment; each
 * member's fd (an eventfd) is readable while its inbox holds something,
 * and its dispatch delivers the inbox in order.  So every member sees the
 * same total order, as CPG's agreed ordering gives.
 *
 * Faults: a bus that is down refuses joins (-ECONNREFUSED, as a host
 * whose corosync is not running); a member's connection can be cut
 * (dispatch and mcast then return -ENOTCONN); a node can be lost (the
 * others see it leave as node-down); the next N multicasts can be
 * refused with -EAGAIN.
 */
#ifndef XRES_GROUP_MODEL_H
#define XRES_GROUP_MODEL_H

#include "cluster_group.h"

typedef struct xres_group_bus xres_group_bus;

int xres_group_bus_new(xres_group_bus **out);
void xres_group_bus_free(xres_group_bus *bus);
/* Joins refused (true) or accepted. */
void xres_group_bus_set_down(xres_group_bus *bus, bool down);
/* The next n multicasts of any member return -EAGAIN. */
void xres_group_bus_busy(xres_group_bus *bus, unsigned n);
/* Multicasts accepted so far (all members). */
unsigned long xres_group_bus_sent(const xres_group_bus *bus);

/* A member on node nodeid (an xres_group_open_fn's arg is a
 * xres_group_model_arg). */
typedef struct {
    xres_group_bus *bus;
    uint32_t nodeid;
} xres_group_model_arg;
int xres_group_model_open(void *arg, const xres_group_cbs *cbs, void *ctx,
                          xres_group **out);

/* Node nodeid is lost (the host died, or its corosync stopped): the
 * others see it go as node-down; its own connection is cut, so its
 * dispatch and mcast return -ENOTCONN until it joins again. */
void xres_group_bus_lose(xres_group_bus *bus, uint32_t nodeid);

#endif
