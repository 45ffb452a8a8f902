/*
 * guest-agent/agent_xswatch.c: the agent's own XenStore connection, which
 * speaks XenStore's wire protocol directly.  It carries the request watch
 * and the reports.
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
 *
 * Reports go out on this connection too, because a report is the agent's
 * whole per-second cost.  libxenstore spends about seven system calls on
 * each request (two sigaction() around it, a write() for the header and
 * one per part of the payload, two read()s for the reply).  Here a request
 * is one write() and its reply usually one read().
 *
 * Requests are not pipelined: the guest kernel's /dev/xen/xenbus keeps
 * pointing at its one message buffer until its xenbus thread has copied
 * the request to the ring, so a second write() before the first reply
 * can overwrite the first request's payload -- seen in the test bed as a
 * seq value with bytes of an earlier path after it.  Each request waits
 * for its reply before the next goes out.  A report is one write, whose
 * reply is read just before the next request (xres_xsw_write_async): in
 * the emulated test bed, sleeping on a reply costs the agent more than
 * the request itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
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
    /* Not a memset: the buffers' pages stay untouched until used. */
    w->rlen = 0;
    w->events = 0;
    w->next_id = 2;                 /* 1 is the watch */
    w->pending_id = 0;
    w->fd = open_conn();
    return w->fd < 0 ? w->fd : 0;
}

void xres_xsw_close(xres_xsw *w)
{
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    w->rlen = 0;
    w->pending_id = 0;
}

static int send_all(int fd, const char *buf, size_t n)
{
    for (size_t o = 0; o < n;) {
        ssize_t r = write(fd, buf + o, n - o);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return r < 0 ? -errno : -EIO;
        o += (size_t)r;
    }
    return 0;
}

int xres_xsw_watch(xres_xsw *w, const char *path, const char *token)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    int n = xres_xsw_encode_watch(buf, sizeof(buf), path, token, 1);

    if (n < 0) return n;
    return send_all(w->fd, buf, (size_t)n);
}

/* Takes one whole message out of the buffer into hdr and w->body,
 * reading more (one read() for whatever is there) when it is not all
 * in. */
static int read_msg(xres_xsw *w, struct xsd_sockmsg *hdr)
{
    for (;;) {
        if (w->rlen >= sizeof(*hdr)) {
            memcpy(hdr, w->rbuf, sizeof(*hdr));
            if (hdr->len > XENSTORE_PAYLOAD_MAX) {
                w->rlen = 0;        /* the stream cannot be trusted */
                return -EPROTO;
            }
            size_t need = sizeof(*hdr) + hdr->len;
            if (w->rlen >= need) {
                memcpy(w->body, w->rbuf + sizeof(*hdr), hdr->len);
                w->body[hdr->len] = 0;
                memmove(w->rbuf, w->rbuf + need, w->rlen - need);
                w->rlen -= need;
                return 0;
            }
        }
        ssize_t r = read(w->fd, w->rbuf + w->rlen, sizeof(w->rbuf) - w->rlen);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) return -EPIPE;
        w->rlen += (size_t)r;
    }
}

int xres_xsw_next(xres_xsw *w, char *token, size_t toklen)
{
    struct xsd_sockmsg hdr;
    const char *path, *tok;
    int rc;

    rc = read_msg(w, &hdr);
    if (rc) return rc;
    /* Writes use req_id 2 and up; the watch is 1. */
    if (hdr.type != XS_WATCH_EVENT && hdr.req_id >= 2) return XRES_XSW_STALE;
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
    if (w->rlen) return true;
    return poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN);
}

int xres_xsw_encode(char *buf, size_t len, uint32_t type, uint32_t tx_id,
                    uint32_t req_id, const char *a, bool nul_a,
                    const char *b, size_t blen)
{
    struct xsd_sockmsg m = { .type = type, .req_id = req_id, .tx_id = tx_id };
    size_t al = strlen(a) + (nul_a ? 1 : 0);

    if (al + blen > XENSTORE_PAYLOAD_MAX || sizeof(m) + al + blen > len)
        return -E2BIG;
    m.len = (uint32_t)(al + blen);
    memcpy(buf, &m, sizeof(m));
    memcpy(buf + sizeof(m), a, al);
    if (blen) memcpy(buf + sizeof(m) + al, b, blen);
    return (int)(sizeof(m) + m.len);
}

/* Reads until the reply to req_id; watch events on the way are counted,
 * stale replies (to requests given up on) skipped.  The reply's type in
 * *type, its body in w->body. */
static uint32_t take_id(xres_xsw *w)
{
    return w->next_id++;
}

static int wait_reply(xres_xsw *w, uint32_t req_id, uint32_t *type)
{
    for (;;) {
        struct xsd_sockmsg hdr;
        int rc = read_msg(w, &hdr);
        if (rc) return rc;
        if (hdr.type == XS_WATCH_EVENT) {
            w->events++;
            continue;
        }
        if (hdr.req_id != req_id) continue;
        *type = hdr.type;
        return 0;
    }
}

/* Sends one request with req_id id; its reply is not read here. */
static int send_req(xres_xsw *w, uint32_t type, uint32_t tx, uint32_t id,
                    const char *a, const char *b, size_t blen)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
    int len = xres_xsw_encode(buf, sizeof(buf), type, tx, id, a, true, b,
                              blen);

    if (len < 0) return len;
    return send_all(w->fd, buf, (size_t)len);
}

/* One request and its reply: the reply's type in *type, its body in
 * w->body. */
static int request(xres_xsw *w, uint32_t type, uint32_t tx, const char *a,
                   const char *b, size_t blen, uint32_t *rtype)
{
    uint32_t id = take_id(w);
    int rc = send_req(w, type, tx, id, a, b, blen);

    return rc ? rc : wait_reply(w, id, rtype);
}

static void fix_next_id(xres_xsw *w, size_t n)
{
    /* 1 is the watch's req_id, 0 is not used. */
    if (w->next_id < 2 || w->next_id > UINT32_MAX - 2 * n - 4) w->next_id = 2;
}

int xres_xsw_finish(xres_xsw *w, char *why, size_t whylen)
{
    uint32_t id = w->pending_id, type;
    int rc;

    if (!id) return 0;
    w->pending_id = 0;
    if ((rc = wait_reply(w, id, &type))) return rc;
    if (type == XS_ERROR) {
        snprintf(why, whylen, "write: %s", w->body);
        return -EIO;
    }
    return 0;
}

int xres_xsw_write_async(xres_xsw *w, const char *path, const char *val)
{
    char why[8];
    int rc = xres_xsw_finish(w, why, sizeof(why));
    uint32_t id;

    /* A refused earlier write does not stop this one. */
    if (rc && rc != -EIO) return rc;
    if (strlen(path) + 1 + strlen(val) > XENSTORE_PAYLOAD_MAX) return -E2BIG;
    fix_next_id(w, 1);
    id = take_id(w);
    if ((rc = send_req(w, XS_WRITE, 0, id, path, val, strlen(val))))
        return rc;
    w->pending_id = id;
    return 0;
}

int xres_xsw_write_all(xres_xsw *w, const xres_xsw_kv *kv, size_t n,
                       bool atomic, char *why, size_t whylen)
{
    uint32_t tx = 0, type;
    int rc;

    if (!n) return 0;
    if ((rc = xres_xsw_finish(w, why, whylen)) && rc != -EIO) return rc;
    fix_next_id(w, n);
    for (size_t i = 0; i < n; i++)  /* nothing goes out unless all fit */
        if (strlen(kv[i].path) + 1 + strlen(kv[i].val) > XENSTORE_PAYLOAD_MAX)
            return -E2BIG;
    if (atomic) {
        if ((rc = request(w, XS_TRANSACTION_START, 0, "", NULL, 0, &type)))
            return rc;
        if (type != XS_TRANSACTION_START) {
            snprintf(why, whylen, "transaction start: %s", w->body);
            return -EIO;
        }
        char *end;
        unsigned long t = strtoul(w->body, &end, 10);
        if (end == w->body || t == 0 || t > UINT32_MAX) {
            snprintf(why, whylen, "transaction start: bad id \"%.20s\"",
                     w->body);
            return -EPROTO;
        }
        tx = (uint32_t)t;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = request(w, XS_WRITE, tx, kv[i].path, kv[i].val,
                          strlen(kv[i].val), &type)))
            return rc;
        if (type == XS_ERROR) {
            snprintf(why, whylen, "write %s: %s", kv[i].path, w->body);
            /* Nothing of it stays: the transaction is dropped; without
             * one, the keys after it (seq last) are not written. */
            if (tx) (void)request(w, XS_TRANSACTION_END, tx, "F", NULL, 0,
                                  &type);
            return -EIO;
        }
    }
    if (tx) {
        if ((rc = request(w, XS_TRANSACTION_END, tx, "T", NULL, 0, &type)))
            return rc;
        if (type == XS_ERROR) {
            if (!strcmp(w->body, "EAGAIN")) return -EAGAIN;
            snprintf(why, whylen, "commit: %s", w->body);
            return -EIO;
        }
    }
    return 0;
}
