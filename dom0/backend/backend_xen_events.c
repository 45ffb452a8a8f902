/*
 * dom0/backend/backend_xen_events.c: the libxl backend's events: libxl
 * domain death and shutdown events for every domain (enabled again for
 * domains that appear, on @introduceDomain) and XenStore watches, driven
 * by libxl_osevent_beforepoll (in poll_fds) and afterpoll (in the next
 * next_event).  See backend_xen.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "backend_xen_priv.h"
#include "log.h"

static void evq_push(xen *x, const xres_event *ev)
{
    if (x->evq_len == EVQ_MAX) {
        XLOG_WARN("xen backend: event queue full, event dropped");
        return;
    }
    x->evq[(x->evq_head + x->evq_len) % EVQ_MAX] = *ev;
    x->evq_len++;
}

/*----- domain events -----*/

static bool death_watched(xen *x, uint32_t domid)
{
    for (size_t i = 0; i < x->nr_deaths; i++)
        if (x->deaths[i].domid == domid) return true;
    return false;
}

static void death_forget(xen *x, uint32_t domid)
{
    for (size_t i = 0; i < x->nr_deaths; i++) {
        if (x->deaths[i].domid != domid) continue;
        libxl_evdisable_domain_death(x->ctx, x->deaths[i].evgen);
        x->deaths[i] = x->deaths[--x->nr_deaths];
        return;
    }
}

/* Enable death events for every domain not yet watched. */
static int scan_domains(xen *x)
{
    libxl_dominfo *doms;
    int nr = 0, rc = 0;

    doms = libxl_list_domain(x->ctx, &nr);
    if (!doms) return -EIO;
    for (int i = 0; i < nr; i++) {
        uint32_t domid = doms[i].domid;
        if (domid == 0 || doms[i].dying || death_watched(x, domid))
            continue;
        death_watch *nv = realloc(x->deaths,
                                  (x->nr_deaths + 1) * sizeof(*nv));
        if (!nv) { rc = -ENOMEM; break; }
        x->deaths = nv;
        int r = libxl_evenable_domain_death(x->ctx, domid, domid,
                                            &nv[x->nr_deaths].evgen);
        if (r) {
            XLOG_WARN("dom%u: cannot watch for its death: libxl error %d",
                      domid, r);
            continue;
        }
        nv[x->nr_deaths++].domid = domid;
    }
    libxl_dominfo_list_free(doms, nr);
    return rc;
}

int xen_watch_domains(xres_backend *b)
{
    xen *x = X(b);

    if (x->watching_domains) return 0;
    if (!xs_watch(x->xsh, "@introduceDomain", TOKEN_INTRODUCE))
        return -errno;
    x->watching_domains = true;
    return scan_domains(x);
}

int xen_poll_fds(xres_backend *b, int *fds, unsigned max, unsigned *n)
{
    xen *x = X(b);
    struct timeval now;
    int nfds = LIBXL_FDS_MAX, timeout = -1;
    unsigned k = 0;

    if (max > 0) fds[k++] = xs_fileno(x->xsh);
    gettimeofday(&now, NULL);
    if (libxl_osevent_beforepoll(x->ctx, &nfds, x->lfds, &timeout, now)) {
        XLOG_WARN("libxl wants more than %d file descriptors",
                  LIBXL_FDS_MAX);
        nfds = 0;
    }
    x->nr_lfds = nfds;
    for (int i = 0; i < nfds && k < max; i++)
        if (x->lfds[i].fd >= 0) fds[k++] = x->lfds[i].fd;
    *n = k;
    x->pump_due = true;
    return 0;
}

/* Let libxl do its I/O and turn its events into ours. */
static void pump_libxl(xen *x)
{
    struct timeval now;
    libxl_event *lev;

    if (x->nr_lfds > 0) {
        if (poll(x->lfds, x->nr_lfds, 0) < 0)
            for (int i = 0; i < x->nr_lfds; i++) x->lfds[i].revents = 0;
        gettimeofday(&now, NULL);
        libxl_osevent_afterpoll(x->ctx, x->nr_lfds, x->lfds, now);
        x->nr_lfds = 0;
    }
    while (libxl_event_check(x->ctx, &lev, LIBXL_EVENTMASK_ALL, NULL,
                             NULL) == 0) {
        xres_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.domid = lev->domid;
        if (lev->type == LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN) {
            ev.kind = XRES_EV_DOMAIN_SHUTDOWN;
            ev.reason = lev->u.domain_shutdown.shutdown_reason;
            evq_push(x, &ev);
        } else if (lev->type == LIBXL_EVENT_TYPE_DOMAIN_DEATH) {
            ev.kind = XRES_EV_DOMAIN_DEATH;
            evq_push(x, &ev);
            death_forget(x, lev->domid);
        }
        libxl_event_free(x->ctx, lev);
    }
}

int xen_next_event(xres_backend *b, xres_event *ev)
{
    xen *x = X(b);
    char **w;

    memset(ev, 0, sizeof(*ev));
    if (x->pump_due) {
        x->pump_due = false;
        pump_libxl(x);
    }
    if (x->rescan) {
        x->rescan = false;
        scan_domains(x);
    }
    if (x->evq_len) {
        *ev = x->evq[x->evq_head];
        x->evq_head = (x->evq_head + 1) % EVQ_MAX;
        x->evq_len--;
        return 0;
    }
    errno = 0;
    while ((w = xs_check_watch(x->xsh)) != NULL) {
        const char *path = w[XS_WATCH_PATH], *token = w[XS_WATCH_TOKEN];
        if (!strcmp(token, TOKEN_INTRODUCE)) {
            x->rescan = true;
            free(w);
            continue;
        }
        ev->kind = XRES_EV_WATCH;
        snprintf(ev->path, sizeof(ev->path), "%s", path);
        snprintf(ev->token, sizeof(ev->token), "%s", token);
        free(w);
        return 0;
    }
    if (errno && errno != EAGAIN) {
        int e = errno;
        XLOG_ERR("reading XenStore watches: %s", strerror(e));
        return -e;
    }
    if (x->rescan) {
        x->rescan = false;
        scan_domains(x);
    }
    ev->kind = XRES_EV_NONE;
    return 0;
}
