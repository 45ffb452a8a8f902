/*
 * guest-agent/agent_notify.h: the agent's notify socket inside the guest
 * (`xres-agent notify APP LEVEL`): root only, mode 0600, every peer
 * checked with SO_PEERCRED, one line of at most XRES_AGENT_NOTIFY_MAX
 * bytes per connection.
 */
#ifndef XRES_AGENT_NOTIFY_H
#define XRES_AGENT_NOTIFY_H

#include <stddef.h>

#define XRES_AGENT_NOTIFY_MAX 127        /* bytes of one notify line */

/* Bind and listen at path (a stale socket is replaced), mode 0600 owned
 * by the agent's user (root).  0 or a negative errno. */
int xres_agent_notify_listen(const char *path, int *fd_out);
/* Read the one line of connection fd into line (cap > MAX bytes, NUL-
 * terminated).  NULL: line holds it; otherwise the reply to send: the
 * peer is neither root nor the agent's own user, the line is longer than
 * XRES_AGENT_NOTIFY_MAX, or nothing came. */
const char *xres_agent_notify_read(int fd, char *line, size_t cap);

#endif
