/*
 * guest-agent/agent_notify.c: the notify socket's access and bounds
 * (agent_notify.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_notify.h"

int xres_agent_notify_listen(const char *path, int *fd_out)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    mode_t old;
    int fd, rc;

    if (strlen(path) >= sizeof(sa.sun_path)) return -ENAMETOOLONG;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) { rc = -errno; goto out; }
    unlink(sa.sun_path);
    old = umask(0077);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
    umask(old);
    if (rc) goto out;
    if (chmod(path, 0600) || listen(fd, 8)) { rc = -errno; goto out; }
    *fd_out = fd;
    fd = -1;
out:
    if (fd >= 0) close(fd);
    return rc;
}

const char *xres_agent_notify_read(int fd, char *line, size_t cap)
{
    struct timeval tv = { 1, 0 };
    struct ucred cr;
    socklen_t len = sizeof(cr);
    size_t n = 0;
    const char *rc = NULL;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ||
        (cr.uid != 0 && cr.uid != geteuid())) {
        rc = "error: permission denied: notify needs root\n";
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (cap > XRES_AGENT_NOTIFY_MAX + 2) cap = XRES_AGENT_NOTIFY_MAX + 2;
    /* Up to one byte over the limit, so that a longer line is seen. */
    while (n < cap - 1 && !memchr(line, '\n', n)) {
        ssize_t r = recv(fd, line + n, cap - 1 - n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    line[n] = 0;
    if (n == 0) rc = "error: empty request\n";
    else if (n > XRES_AGENT_NOTIFY_MAX)
        rc = "error: line too long (limit 127 bytes)\n";
out:
    return rc;
}
