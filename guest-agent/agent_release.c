/*
 * guest-agent/agent_release.c: the release rule (agent_release.h), for
 * xres-agent and the simulator's agent alike.
 */
#include <inttypes.h>
#include <stdio.h>

#include "agent_release.h"

bool xres_agent_release_done(uint64_t balloon_cur_kb, uint64_t target_kb)
{
    return balloon_cur_kb <= target_kb + XRES_RELEASE_SLACK_KB;
}

xres_release_state xres_agent_release_check(uint64_t cur_kb,
                                            uint64_t target_kb,
                                            uint64_t now_ms,
                                            uint64_t deadline_ms,
                                            unsigned timeout_s,
                                            char *detail, size_t len)
{
    if (xres_agent_release_done(cur_kb, target_kb)) {
        snprintf(detail, len, "balloon at %" PRIu64 " KiB", cur_kb);
        return XRES_RELEASE_DONE;
    }
    if (now_ms < deadline_ms) return XRES_RELEASE_WAIT;
    snprintf(detail, len, "balloon at %" PRIu64 " KiB, not at %" PRIu64
             " KiB after %u s", cur_kb, target_kb, timeout_s);
    return XRES_RELEASE_TIMED_OUT;
}
