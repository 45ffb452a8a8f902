/*
 * guest-agent/agent_release.h: xres-agent's rule for a "release KB"
 * request from dom0: when the balloon counts as there, and the ack it
 * writes then or when time runs out.  Pure and on its own (no XenStore,
 * no schema), so that the simulator's agent (dom0/backend) follows this
 * very rule rather than a copy of it.
 */
#ifndef XRES_AGENT_RELEASE_H
#define XRES_AGENT_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How far above the target a balloon may stop and still be there. */
#define XRES_RELEASE_SLACK_KB 1024

typedef enum {
    XRES_RELEASE_WAIT = 0,          /* not there, time left: ack later */
    XRES_RELEASE_DONE,              /* there: ack "ok" */
    XRES_RELEASE_TIMED_OUT,         /* not there at the deadline: "error" */
} xres_release_state;

/* Release: done when the balloon is at most 1 MiB above the target. */
bool xres_agent_release_done(uint64_t balloon_cur_kb, uint64_t target_kb);

/* Where a release to target_kb stands with the balloon at cur_kb at
 * now_ms; deadline_ms UINT64_MAX: no time limit (timeout_s then only
 * names the limit in the message).  For DONE and TIMED_OUT, detail gets
 * the ack's text: "balloon at CUR KiB", or "balloon at CUR KiB, not at
 * TARGET KiB after TIMEOUT s". */
xres_release_state xres_agent_release_check(uint64_t cur_kb,
                                            uint64_t target_kb,
                                            uint64_t now_ms,
                                            uint64_t deadline_ms,
                                            unsigned timeout_s,
                                            char *detail, size_t len);

#endif
