/*
 * dom0/policy/pair_step.h: the failover drive as a pure step, and what a
 * failover would do (its dry run), both on top of the machine of
 * policy_pair.h.  No backend, no clock: the time comes in as an argument.
 */
#ifndef XRES_PAIR_STEP_H
#define XRES_PAIR_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "model.h"
#include "policy_pair.h"

/*
 * One step of the drive: (pair, snapshot, observations, now) -> (pair',
 * actions).  Runs the machine of p on snap and obs until it waits, ends,
 * or has given max_acts actions (0: no limit), and appends those actions
 * to acts in order.  now_ms (the clock of snap->now_ms) stamps the
 * standby's target write and the first start request, for the failover's
 * timing.  *p is then the progress to store once every action appended
 * was carried out; on an action that fails, the caller goes back to the
 * pair it passed in.  Returns the machine's last xres_fo_result
 * (XRES_FO_ACT when it stopped at max_acts).
 *
 * stepped (may be NULL) gets the progress as it stood before the first
 * action appended: after the steps the machine finished on the way there.
 * A caller that stores progress stores it before carrying the action out,
 * so that a daemon killed in between resumes after those steps, not
 * before them.  Without actions it is *p.
 */
int xres_pair_step(xres_pair *p, const xres_host *snap,
                   const xres_pair_obs *obs, uint64_t now_ms,
                   size_t max_acts, xres_actions *acts, xres_pair *stepped);

/*
 * The action list a failover of p would run, p unchanged: begins the
 * failover on a copy (as xres_pair_fo_begin, same arguments and errors,
 * reason in err), then steps it to its end on a copy of snap in which
 * every action takes effect at once (targets reached, maxmem and
 * scheduler set, a fenced domain gone or paused) and every agent answers
 * "ok".  Timeouts never run out.  0 or a negative errno.
 */
int xres_pair_fo_preview(const xres_pair *p, xres_fo_kind kind,
                         const char *app, const char *why,
                         const xres_host *snap, uint64_t reserve_kb,
                         xres_actions *acts, char *err, size_t errlen);

#endif
