/*
 * guest-agent/agent_xswatch.h: the agent's XenStore watch on a connection
 * of its own (see agent_xswatch.c for why).
 */
#ifndef XRES_AGENT_XSWATCH_H
#define XRES_AGENT_XSWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

typedef struct {
    int fd;
    char body[XENSTORE_PAYLOAD_MAX + 1];
} xres_xsw;

enum {
    XRES_XSW_ACK = 0,       /* the reply to XS_WATCH */
    XRES_XSW_EVENT = 1,     /* a watch fired */
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
/* Reads one message (blocks if none is there: poll w->fd first). */
int xres_xsw_next(xres_xsw *w, char *token, size_t toklen);
/* Is another message waiting? */
bool xres_xsw_pending(const xres_xsw *w);

#endif
