/*
 * dom0/daemon/actuator.h: the one place where xresd carries actions out.
 *
 * Policies and the pure steps of the state machines return xres_actions
 * lists (action.h); every subsystem hands them here, and nothing else in
 * the daemon calls a backend operation that changes a domain.  Each kind
 * of action has one meaning:
 *   SET_TARGET, SET_MAXMEM, SET_SCHED   the backend call;
 *   DESTROY, PAUSE                      fencing: a domain that is already
 *                                       gone counts as fenced (0);
 *   WAIT_TARGET                         0 once the domain's memory in the
 *                                       current snapshot has come down to
 *                                       u.mem.kb (xres_mem_came_down, within
 *                                       u.mem.tol_kb), -EINPROGRESS until
 *                                       then;
 *   AGENT_REQUEST                       written through the guest request
 *                                       channel (agent_request.c) at the
 *                                       number it carries; op "cancel"
 *                                       withdraws that request and its ack;
 *   MARK                                the domain's balloon state;
 *   POOL_CLAIM, CLAIM, CLAIM_ADJUST,    a pool's placeholders and claims
 *   CLAIM_MOVE, CREATE                  (backend.h); CREATE returns
 *                                       -EINPROGRESS until xl is done.
 * An action marked optional that fails is logged and skipped.
 * Every action that changes a domain is logged and marks the snapshot
 * stale, so the core refreshes it before the next use.
 */
#ifndef XRES_ACTUATOR_H
#define XRES_ACTUATOR_H

#include <stddef.h>

#include "action.h"

typedef struct xres_daemon xres_daemon;

/* One action: 0 or a negative errno (-EINPROGRESS for a wait that has not
 * arrived yet). */
int xres_actuate(xres_daemon *d, const xres_action *act);

/* A list in order, from index *next (may be NULL: from 0).  Stops at the
 * first action that does not return 0 and returns its code; *next gets the
 * index of that action (or a->n when every action was done), so a caller
 * that got -EINPROGRESS resumes there later. */
int xres_actuate_list(xres_daemon *d, const xres_actions *a, size_t *next);

#endif
