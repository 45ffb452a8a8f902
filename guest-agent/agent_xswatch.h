/*
 * guest-agent/agent_xswatch.h: the agent's own XenStore connection, which
 * speaks the wire protocol directly: the request watch, and the report
 * writes, sent back to back (see agent_xswatch.c for why).
 */
#ifndef XRES_AGENT_XSWATCH_H
#define XRES_AGENT_XSWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

typedef struct {
    int fd;
    uint32_t next_id;               /* req_id of the next request */
    uint32_t pending_id;            /* a write sent by xres_xsw_write_async
                                       whose reply is not read yet; 0 */
    unsigned events;                /* watch events read while waiting for
                                       a reply; the caller clears it */
    size_t rlen;                    /* bytes buffered in rbuf */
    char rbuf[2 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)];
    char body[XENSTORE_PAYLOAD_MAX + 1];
} xres_xsw;

/* One key and its value, for xres_xsw_write_all. */
typedef struct {
    const char *path;
    const char *val;
} xres_xsw_kv;

enum {
    XRES_XSW_ACK = 0,       /* the reply to XS_WATCH */
    XRES_XSW_EVENT = 1,     /* a watch fired */
    XRES_XSW_STALE = 2,     /* xres_xsw_next: a late reply to a request
                               given up on; ignore it */
};

/* Pure: the bytes of an XS_WATCH request; returns their count or -E2BIG. */
int xres_xsw_encode_watch(char *buf, size_t len, const char *path,
                          const char *token, uint32_t req_id);
/* Pure: what a message from XenStore is.  XRES_XSW_EVENT with *path and
 * *token pointing into body (which must hold hdr->len bytes), XRES_XSW_ACK,
 * -EINVAL for XS_ERROR (the watch was refused), -EPROTO otherwise. */
int xres_xsw_parse(const struct xsd_sockmsg *hdr, const char *body,
                   const char **path, const char **token);

/* Connects like libxenstore does: the xenstored socket, else
 * /dev/xen/xenbus (XENSTORED_PATH overrides). */
int xres_xsw_open(xres_xsw *w);
void xres_xsw_close(xres_xsw *w);
/* Sends the request; its reply arrives through xres_xsw_next. */
int xres_xsw_watch(xres_xsw *w, const char *path, const char *token);
/* Reads one message (blocks if none is there: poll w->fd first).  Replies
 * to writes are read by xres_xsw_write_all; one seen here is stale. */
int xres_xsw_next(xres_xsw *w, char *token, size_t toklen);
/* Is another message waiting, buffered or on the fd? */
bool xres_xsw_pending(const xres_xsw *w);

/* Pure: the bytes of one request; returns their count or -E2BIG.  The
 * payload is a (with its NUL if nul_a) followed by b (no NUL), as
 * XenStore wants "path\0value" for XS_WRITE and "T\0" / "F\0" for
 * XS_TRANSACTION_END. */
int xres_xsw_encode(char *buf, size_t len, uint32_t type, uint32_t tx_id,
                    uint32_t req_id, const char *a, bool nul_a,
                    const char *b, size_t blen);

/* Sends one write and returns without its reply, which the next call
 * here (xres_xsw_finish, xres_xsw_write_all, xres_xsw_write_async) reads
 * first: a report costs one write() then, and the reply is usually there
 * by the time it is read, so the agent does not sleep on it.  A
 * connection that carries these must not be polled for events.  0 or
 * -errno (the write itself could not be sent). */
int xres_xsw_write_async(xres_xsw *w, const char *path, const char *val);
/* Reads the reply to the pending async write, if there is one: 0, -EIO
 * with why filled (XenStore refused it), or -errno. */
int xres_xsw_finish(xres_xsw *w, char *why, size_t whylen);

/* Writes n keys, in that order, each request waiting for its reply (see
 * agent_xswatch.c).  atomic: in one transaction.  A refused write stops
 * there: the transaction is dropped, or without one the keys after it are
 * not written; the caller writes every key again next time.
 * Watch events that arrive meanwhile are counted in w->events.  0,
 * -EAGAIN (the commit lost a race: write again), -EIO with why filled
 * (XenStore refused: its error name), or -errno. */
int xres_xsw_write_all(xres_xsw *w, const xres_xsw_kv *kv, size_t n,
                       bool atomic, char *why, size_t whylen);

#endif
