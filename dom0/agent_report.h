/*
 * dom0/agent_report.h: the daemon's side of the guest agent: reading a
 * domain's data/xres report and preparing its request directory.
 *
 * The daemon core calls exactly these functions (daemon.c); the full
 * implementation, with the schema parser, request sending and acks, is the
 * agent area's.  This file and agent_report.c are the minimal versions the
 * core builds with: no report is ever valid.
 */
#ifndef XRES_AGENT_REPORT_H
#define XRES_AGENT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "model.h"
#include "xs_schema.h"

/*
 * Reads /local/domain/<domid>/data/xres into *rep (which holds the
 * previous report on entry).  Returns 0 (valid), -ENOENT (no agent),
 * -EINVAL (rejected), -ETIMEDOUT (stale), -EAGAIN (the report changed
 * while being read; *rep unchanged, read again later) or another -errno;
 * on anything but 0 and -EAGAIN, rep->valid is false.
 */
int xres_daemon_read_agent_report(xres_backend *b, uint32_t domid,
                                  xres_agent_report *rep, uint64_t now_ms);

/* For the daemon's tick: marks a valid report stale once its time is up
 * (no XenStore read).  Returns true if it has just become invalid. */
bool xres_agent_report_expire(xres_agent_report *rep, uint32_t domid,
                              uint64_t now_ms);

/* Creates /local/domain/<domid>/xres (and what is below it) owned by dom0,
 * read-only for the guest.  Call when a domain appears. */
int xres_agent_request_setup(xres_backend *b, uint32_t domid);

#endif
