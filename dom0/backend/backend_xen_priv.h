/*
 * dom0/backend/backend_xen_priv.h: the libxl backend's state, shared by
 * backend_xen.c (snapshot, domain control, XenStore, set-up) and
 * backend_xen_events.c (domain events and watches) and nothing else.
 */
#ifndef XRES_BACKEND_XEN_PRIV_H
#define XRES_BACKEND_XEN_PRIV_H

#include <poll.h>
#include <stdbool.h>

#include <libxl.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "backend.h"

#define TOKEN_INTRODUCE "xen-backend:introduce"
#define LIBXL_FDS_MAX 64
#define EVQ_MAX 4096

typedef struct {
    xentoollog_logger vtable;
    xentoollog_level min_level;
} xres_xtl;

typedef struct {
    uint32_t domid;
    libxl_evgen_domain_death *evgen;
} death_watch;

typedef struct {
    xres_xtl *lg;
    libxl_ctx *ctx;
    struct xs_handle *xsh;
    xc_interface *xch;          /* Xen's own maximum, see xen_set_maxmem */
    unsigned kb_per_page;

    bool watching_domains;
    bool rescan;                /* @introduceDomain seen */
    size_t nr_deaths;
    death_watch *deaths;

    /* libxl's fds from the last beforepoll. */
    struct pollfd lfds[LIBXL_FDS_MAX];
    int nr_lfds;
    bool pump_due;

    /* Events converted from libxl, not yet handed out. */
    xres_event *evq;
    size_t evq_head, evq_len;
} xen;

static inline xen *X(xres_backend *b) { return b->priv; }

/* --- backend_xen_events.c: the event ops. */
int xen_watch_domains(xres_backend *b);
int xen_poll_fds(xres_backend *b, int *fds, unsigned max, unsigned *n);
int xen_next_event(xres_backend *b, xres_event *ev);

#endif
