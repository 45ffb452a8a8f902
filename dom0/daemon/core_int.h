/*
 * dom0/daemon/core_int.h: what the files of xresd's core (daemon.c,
 * domains.c, server.c, xs_node.c) share and nothing else uses.
 */
#ifndef XRES_CORE_INT_H
#define XRES_CORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* Bounds on the work of one loop iteration, so that no source (a guest
 * flooding XenStore, a busy client) can starve the others. */
#define EVENTS_PER_LOOP 1024
#define REPORTS_PER_LOOP 32
/* A guest's reports are evaluated at once while its bucket holds one:
 * it holds up to this many and gains one every report_interval_ms. */
#define XRES_REPORT_BURST 4

#define FOR_SUBSYS(d, s) \
    for (const xres_subsys *const *s##_p = (d)->opts.subsystems; \
         (s = *s##_p) != NULL; s##_p++)

/* domains.c: per-domain state, snapshots, events and reports. */
void core_domain_gone(xres_daemon *d, xres_domstate *ds);
/* Returns true if more events may be pending. */
bool core_drain_events(xres_daemon *d);
/* Runs on_report for dirty domains whose bucket holds an evaluation and
 * that had none in this loop iteration, then each subsystem's
 * reports_done once if any ran.  Returns the delay in ms until the next
 * one is due, 0 if some wait for the next iteration, -1 if none waits. */
int core_process_reports(xres_daemon *d, uint64_t now);

/* server.c: the IPC server's connections. */
void core_conn_close(xres_conn *c);
void core_conn_read(xres_daemon *d, xres_conn *c);
void core_conn_write(xres_conn *c);
void core_accept_conns(xres_daemon *d, uint64_t now);
void core_conns_expire(xres_daemon *d, uint64_t now);

#endif
