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
#include "xen_claim.h"

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

/* A domain creation under way: `xl create` in a child process. */
typedef struct {
    char name[XRES_NAME_MAX];
    int pid;
    int errfd;                  /* its stderr, non-blocking */
    char err[256];              /* the last line it wrote */
    char line[256];             /* the line it is writing */
    size_t linelen;
} xen_create;

#define XEN_CREATES_MAX 8

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

    xres_xen_claim hvc;         /* the patched claim operations */
    bool hv_claim;              /* ... and the hypervisor has them */

    xen_create creates[XEN_CREATES_MAX];
    unsigned nr_creates;

    /* Events converted from libxl, not yet handed out. */
    xres_event *evq;
    size_t evq_head, evq_len;
} xen;

static inline xen *X(xres_backend *b) { return b->priv; }

/* --- backend_xen_events.c: the event ops. */
int xen_watch_domains(xres_backend *b);
int xen_poll_fds(xres_backend *b, int *fds, unsigned max, unsigned *n);
int xen_next_event(xres_backend *b, xres_event *ev);

/* --- backend_xen_pool.c: placeholders, claims and creation. */
int xen_placeholder_create(xres_backend *b, const char *name,
                           uint64_t max_kb, uint32_t *domid);
int xen_claim(xres_backend *b, uint32_t domid, uint64_t kb);
int xen_claim_adjust(xres_backend *b, uint32_t domid, uint64_t kb);
int xen_claim_move(xres_backend *b, uint32_t from, uint32_t to, uint64_t kb);
/* Looks for the patched claim operations (at open); logs the answer. */
void xen_claim_ops_probe(xen *x);
int xen_create_start(xres_backend *b, const char *cfg, const char *name,
                     uint64_t mem_kb);
int xen_create_poll(xres_backend *b, const char *name, char *err,
                    size_t errlen);
/* Forgets creations under way; they go on without xresd. */
void xen_creates_dispose(xen *x);

#endif
