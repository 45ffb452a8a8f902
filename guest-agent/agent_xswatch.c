/*
 * guest-agent/agent_xswatch.c: the agent's XenStore watch, on a
 * connection of its own that speaks XenStore's wire protocol directly.
 *
 * Why not xs_watch(): the agent links Debian's static libxenstore.a, which
 * is built without threads.  In that mode libxenstore reads exactly one
 * message per request, so a watch event that arrives before the reply (as
 * the guest kernel's /dev/xen/xenbus delivers the first event of a new
 * watch) makes the request fail with EINVAL and closes the connection --
 * seen in the test bed.  So libxenstore keeps the agent's reads, writes
 * and transactions on a connection that never has a watch, and this file
 * keeps the one watch on a second connection, where replies and events may
 * come in any order.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_xswatch.h"

int xres_xsw_encode_watch(char *buf, size_t len, const char *path,
                          const char *token, uint32_t req_id)
{
    struct xsd_sockmsg m = { .type = XS_WATCH, .req_id = req_id };
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;

    if (pl + tl > XENSTORE_PAYLOAD_MAX || sizeof(m) + pl + tl > len)
        return -E2BIG;
    m.len = (uint32_t)(pl + tl);
    memcpy(buf, &m, sizeof(m));
    memcpy(buf + sizeof(m), path, pl);
    memcpy(buf + sizeof(m) + pl, token, tl);
    return (int)(sizeof(m) + m.len);
}

int xres_xsw_parse(const struct xsd_sockmsg *hdr, const char *body,
                   const char **path, const char **token)
{
    if (hdr->len > XENSTORE_PAYLOAD_MAX) return -EPROTO;
    switch (hdr->type) {
    case XS_WATCH_EVENT: {
        /* "path\0token\0" */
        const char *end = body + hdr->len;
        const char *z = memchr(body, 0, hdr->len);
        if (!z || z + 1 >= end || !memchr(z + 1, 0, (size_t)(end - z - 1)))
            return -EPROTO;
        *path = body;
        *token = z + 1;
        return XRES_XSW_EVENT;
    }
    case XS_WATCH:
        return XRES_XSW_ACK;
    case XS_ERROR:
        return -EINVAL;
    default:
        return -EPROTO;
    }
}

static int open_conn(void)
{
    const char *env = getenv("XENSTORED_PATH");
    const char *sock = env ? env : "/run/xenstored/socket";
    struct stat st;
    int fd;

    if (!stat(sock, &st) && S_ISSOCK(st.st_mode)) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(sock) >= sizeof(sa.sun_path)) return -ENAMETOOLONG;
        strcpy(sa.sun_path, sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
            int e = -errno;
            close(fd);
            return e;
        }
        return fd;
    }
    fd = open(env && !stat(env, &st) ? env : "/dev/xen/xenbus",
              O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int xres_xsw_open(xres_xsw *w)
{
    memset(w, 0, sizeof(*w));
    w->fd = open_conn();
    return w->fd < 0 ? w->fd : 0;
}

void xres_xsw_close(xres_xsw *w)
{
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
}

int xres_xsw_watch(xres_xsw *w, const char *path, const char *token)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    int n = xres_xsw_encode_watch(buf, sizeof(buf), path, token, 1);

    if (n < 0) return n;
    for (int o = 0; o < n;) {
        ssize_t r = write(w->fd, buf + o, (size_t)(n - o));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -errno;
        o += (int)r;
    }
    return 0;
}

static int read_full(int fd, void *p, size_t len)
{
    char *c = p;

    while (len) {
        ssize_t r = read(fd, c, len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) return -EPIPE;
        c += r;
        len -= (size_t)r;
    }
    return 0;
}

int xres_xsw_next(xres_xsw *w, char *token, size_t toklen)
{
    struct xsd_sockmsg hdr;
    const char *path, *tok;
    int rc;

    rc = read_full(w->fd, &hdr, sizeof(hdr));
    if (rc) return rc;
    if (hdr.len > XENSTORE_PAYLOAD_MAX) return -EPROTO;
    rc = read_full(w->fd, w->body, hdr.len);
    if (rc) return rc;
    w->body[hdr.len] = 0;
    rc = xres_xsw_parse(&hdr, w->body, &path, &tok);
    if (rc == XRES_XSW_EVENT && token && toklen) {
        size_t n = strlen(tok);
        if (n >= toklen) n = toklen - 1;
        memcpy(token, tok, n);
        token[n] = 0;
    }
    return rc;
}

bool xres_xsw_pending(const xres_xsw *w)
{
    struct pollfd pf = { w->fd, POLLIN, 0 };
    return poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN);
}
