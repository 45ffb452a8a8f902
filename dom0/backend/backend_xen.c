/*
 * dom0/backend/backend_xen.c: the real backend (backend.h), on libxl and
 * libxenstore.
 *
 * - snapshot: libxl physinfo, scheduler, version; libxl_list_domain for
 *   each domain's memory, CPU time, vCPUs and state; memory/target,
 *   memory/static-max and control/feature-balloon from XenStore; weight
 *   and cap from libxl_domain_sched_params_get (credit and credit2).
 * - set_target uses libxl_set_memory_target(..., relative=0, enforce=1),
 *   as `xl mem-set` does: Xen's maximum for the domain follows the target
 *   (plus libxl's slack).  A guest that ignores its balloon target can
 *   therefore never allocate beyond it: xres gives memory to a guest only
 *   by raising its target, never by leaving room under a high maximum.
 * - Events: libxl domain death/shutdown events for every domain (enabled
 *   again for domains that appear, on @introduceDomain), and XenStore
 *   watches on our own libxenstore handle.  libxl is driven with
 *   libxl_osevent_beforepoll (in poll_fds) and afterpoll (in the next
 *   next_event, after a zero-timeout poll of libxl's own fds).  The
 *   timeout beforepoll asks for is served by the daemon polling at most
 *   one second at a time while a backend has fds; libxl needs none for
 *   death and shutdown events.
 * - libxl's messages go to the xres log (syslog), warnings and worse by
 *   default, everything with -v.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "backend_xen_priv.h"
#include "log.h"
#include "util.h"
#include "xs_schema.h"

/*----- logging -----*/

static void xres_xtl_vmessage(xentoollog_logger *logger, xentoollog_level level,
                         int errnoval, const char *context,
                         const char *format, va_list al)
{
    xres_xtl *lg = (xres_xtl *)logger;
    char msg[1024];
    int prio;

    if (level < lg->min_level) return;
    vsnprintf(msg, sizeof(msg), format, al);
    if (level >= XTL_ERROR) prio = LOG_ERR;
    else if (level >= XTL_WARN) prio = LOG_WARNING;
    else if (level >= XTL_INFO) prio = LOG_INFO;
    else prio = LOG_DEBUG;
    if (errnoval >= 0)
        xres_log(prio, "%s: %s: %s", context ? context : "libxl", msg,
                 strerror(errnoval));
    else
        xres_log(prio, "%s: %s", context ? context : "libxl", msg);
}

static void xres_xtl_progress(xentoollog_logger *logger, const char *context,
                         const char *doing_what, int percent,
                         unsigned long done, unsigned long total)
{
    (void)logger; (void)context; (void)doing_what; (void)percent;
    (void)done; (void)total;
}

static void xres_xtl_destroy(xentoollog_logger *logger)
{
    free(logger);
}

/*----- helpers -----*/

/* libxl error code to a negative errno. */
static int lx_err(int rc)
{
    switch (rc) {
    case 0: return 0;
    case ERROR_NOMEM: return -ENOMEM;
    case ERROR_INVAL: return -EINVAL;
    case ERROR_DOMAIN_NOTFOUND: case ERROR_DOMAIN_DESTROYED: return -ESRCH;
    case ERROR_NOT_READY: return -EAGAIN;
    case ERROR_TIMEDOUT: case ERROR_GUEST_TIMEDOUT: return -ETIMEDOUT;
    case ERROR_NI: case ERROR_FEATURE_REMOVED: return -ENOSYS;
    case ERROR_LOCK_FAIL: return -EBUSY;
    default: return -EIO;
    }
}

/* A value from XenStore (XS_XEN_*), parsed by the schema: a number into
 * *num, or else an enum's word index into *word. The guest kernel writes
 * some of them (control/feature-balloon). */
static int xs_read_value(xres_backend *b, uint32_t domid, xres_schema_id id,
                         uint64_t *num, unsigned *word)
{
    char path[XRES_SCHEMA_PATH_MAX], *val;
    unsigned int len;
    int rc;

    rc = xres_schema_path(path, sizeof(path), id, domid, NULL);
    if (rc) return rc;
    XRES_BCALL(b, XRES_BCALL_XS, val = xs_read(X(b)->xsh, XBT_NULL, path, &len));
    if (!val) return errno ? -errno : -EIO;
    rc = num ? xres_schema_parse_u64(id, val, len, num, NULL, 0)
             : xres_schema_parse_enum(id, val, len, word, NULL, 0);
    free(val);
    return rc;
}

/* A number from XenStore. */
static int xs_read_u64(xres_backend *b, uint32_t domid, xres_schema_id id,
                       uint64_t *out)
{
    return xs_read_value(b, domid, id, out, NULL);
}

/* An enum from XenStore: the index of its word. */
static int xs_read_enum(xres_backend *b, uint32_t domid, xres_schema_id id,
                        unsigned *out)
{
    return xs_read_value(b, domid, id, NULL, out);
}

/*----- snapshot -----*/

static void fill_domain(xres_backend *b, const libxl_dominfo *di,
                        uint64_t total_kb, xres_domain *d)
{
    xen *x = X(b);
    libxl_domain_sched_params sp;
    char *name;
    uint64_t v;
    int r;

    XRES_BCALL(b, XRES_BCALL_LIBXL,
               name = libxl_domid_to_name(x->ctx, di->domid));
    snprintf(d->name, sizeof(d->name), "%s", name ? name : "");
    free(name);
    d->cur_kb = di->current_memkb;
    d->outstanding_kb = di->outstanding_memkb;
    d->xen_max_kb = di->max_memkb;
    d->cpu_time_ns = di->cpu_time;
    d->vcpus_online = di->vcpu_online;
    d->vcpus_max = di->vcpu_max_id + 1;
    d->running = di->running;
    d->paused = di->paused;
    d->shutdown = di->shutdown;
    d->dying = di->dying;

    d->target_kb = xs_read_u64(b, di->domid, XS_XEN_MEM_TARGET, &v) ? 0 : v;
    /* Domain-0 may have no static-max: use Xen's maximum, which for an
     * unlimited dom0 is huge, so never above the host. */
    d->static_max_kb = xs_read_u64(b, di->domid, XS_XEN_MEM_STATIC_MAX, &v)
        ? di->max_memkb : v;
    if (d->static_max_kb > total_kb) d->static_max_kb = total_kb;
    unsigned fb;    /* the schema's words are 0|1: index 1 is "1" */
    d->feature_balloon =
        !xs_read_enum(b, di->domid, XS_XEN_FEATURE_BALLOON, &fb) && fb == 1;
    if (di->domid == 0 && !d->target_kb) d->target_kb = di->current_memkb;

    d->weight = -1;
    d->cap = 0;
    if (di->dying) return;
    libxl_domain_sched_params_init(&sp);
    XRES_BCALL(b, XRES_BCALL_LIBXL,
               r = libxl_domain_sched_params_get(x->ctx, di->domid, &sp));
    if (!r &&
        (sp.sched == LIBXL_SCHEDULER_CREDIT ||
         sp.sched == LIBXL_SCHEDULER_CREDIT2)) {
        d->weight = sp.weight;
        d->cap = sp.cap < 0 ? 0 : sp.cap;
    }
    libxl_domain_sched_params_dispose(&sp);
}

static int xen_snapshot(xres_backend *b, xres_host *h)
{
    xen *x = X(b);
    libxl_physinfo pi;
    libxl_dominfo *doms = NULL;
    const libxl_version_info *vi;
    int nr = 0, rc, sched;

    libxl_physinfo_init(&pi);
    xres_host_dispose(h);

    XRES_BCALL(b, XRES_BCALL_LIBXL,
               rc = lx_err(libxl_get_physinfo(x->ctx, &pi)));
    if (rc) goto out;
    h->total_kb = pi.total_pages * x->kb_per_page;
    /* Claimed memory is free to Xen but to nobody else. */
    h->outstanding_kb = pi.outstanding_pages * x->kb_per_page;
    h->free_kb = pi.free_pages > pi.outstanding_pages
        ? (pi.free_pages - pi.outstanding_pages) * x->kb_per_page : 0;
    h->nr_cpus = pi.nr_cpus;
    h->claim_ops = x->hv_claim;
    h->cap_shadow = pi.cap_shadow;
    XRES_BCALL(b, XRES_BCALL_LIBXL, sched = libxl_get_scheduler(x->ctx));
    h->sched = sched == LIBXL_SCHEDULER_CREDIT ? XRES_SCHED_CREDIT
        : sched == LIBXL_SCHEDULER_CREDIT2 ? XRES_SCHED_CREDIT2
        : sched < 0 ? XRES_SCHED_UNKNOWN : XRES_SCHED_OTHER;
    vi = libxl_get_version_info(x->ctx);
    if (vi)
        snprintf(h->xen_version, sizeof(h->xen_version), "%d.%d%s",
                 vi->xen_version_major, vi->xen_version_minor,
                 vi->xen_version_extra ? vi->xen_version_extra : "");

    XRES_BCALL(b, XRES_BCALL_LIBXL, doms = libxl_list_domain(x->ctx, &nr));
    if (!doms) { rc = -EIO; goto out; }
    /* libxl lists domains by domid, as the model wants them. */
    for (int i = 0; i < nr; i++) {
        xres_domain *d = xres_host_add_domain(h, doms[i].domid);
        if (!d) { rc = -ENOMEM; goto out; }
        fill_domain(b, &doms[i], h->total_kb, d);
    }
    rc = 0;
out:
    if (doms) libxl_dominfo_list_free(doms, nr);
    libxl_physinfo_dispose(&pi);
    return rc;
}

/*----- domain control -----*/

static int xen_set_target(xres_backend *b, uint32_t domid, uint64_t kb)
{
    if (kb == 0 || kb > INT64_MAX) return -EINVAL;
    /* Absolute, and enforce=1: see the head of this file. */
    return lx_err(libxl_set_memory_target(X(b)->ctx, domid, (int64_t)kb,
                                          0, 1));
}

/* Xen's maximum memory of a domain.  Within the configured ceiling
 * (memory/static-max) only Xen's own limit changes: libxl_domain_setmaxmem
 * would also rewrite static-max, and the guest's configured maxmem would
 * shrink to its current target.  Past the ceiling (a standby engaged beyond
 * its configuration) both move, through libxl.  A domain without
 * static-max, which libxl did not build, has only Xen's limit. */
static int xen_set_maxmem(xres_backend *b, uint32_t domid, uint64_t kb)
{
    xen *x = X(b);
    uint64_t smax;
    int r;

    if (kb == 0) return -EINVAL;
    /* A domain libxl did not build (no static-max) has only Xen's. */
    if (xs_read_u64(b, domid, XS_XEN_MEM_STATIC_MAX, &smax) || kb <= smax) {
        XRES_BCALL(b, XRES_BCALL_XC,
                   r = xc_domain_setmaxmem(x->xch, domid, kb));
        return r ? -errno : 0;
    }
    XRES_BCALL(b, XRES_BCALL_LIBXL,
               r = libxl_domain_setmaxmem(x->ctx, domid, kb));
    /* libxl returns 1 when kb is below the target. */
    return r > 0 ? -EINVAL : lx_err(r);
}

static int xen_set_sched(xres_backend *b, uint32_t domid, int weight,
                         int cap)
{
    libxl_domain_sched_params sp;
    int rc;

    libxl_domain_sched_params_init(&sp);
    rc = lx_err(libxl_domain_sched_params_get(X(b)->ctx, domid, &sp));
    if (rc) goto out;
    if (sp.sched != LIBXL_SCHEDULER_CREDIT &&
        sp.sched != LIBXL_SCHEDULER_CREDIT2) {
        rc = -ENOTSUP;
        goto out;
    }
    if (weight >= 0) sp.weight = weight;
    if (cap >= 0) sp.cap = cap;
    rc = lx_err(libxl_domain_sched_params_set(X(b)->ctx, domid, &sp));
out:
    libxl_domain_sched_params_dispose(&sp);
    return rc;
}

static int xen_destroy(xres_backend *b, uint32_t domid)
{
    return lx_err(libxl_domain_destroy(X(b)->ctx, domid, NULL));
}

static int xen_pause(xres_backend *b, uint32_t domid)
{
    return lx_err(libxl_domain_pause(X(b)->ctx, domid, NULL));
}

/*----- XenStore -----*/

static int xen_xs_read(xres_backend *b, const char *path, char **val,
                       size_t *len)
{
    unsigned int l;
    char *v = xs_read(X(b)->xsh, XBT_NULL, path, &l);

    if (!v) return errno ? -errno : -EIO;
    *val = v;                   /* libxenstore NUL-terminates */
    if (len) *len = l;
    return 0;
}

static int xen_xs_write(xres_backend *b, const char *path, const char *val,
                        size_t len)
{
    if (len > UINT32_MAX) return -E2BIG;
    return xs_write(X(b)->xsh, XBT_NULL, path, val, (unsigned)len)
        ? 0 : -errno;
}

static int xen_xs_rm(xres_backend *b, const char *path)
{
    return xs_rm(X(b)->xsh, XBT_NULL, path) ? 0 : -errno;
}

static int xen_xs_mkdir(xres_backend *b, const char *path)
{
    return xs_mkdir(X(b)->xsh, XBT_NULL, path) ? 0 : -errno;
}

static int xen_xs_directory(xres_backend *b, const char *path,
                            char ***names, unsigned *n)
{
    unsigned int num = 0;
    char **d = xs_directory(X(b)->xsh, XBT_NULL, path, &num);
    char **v = NULL;
    int rc;

    if (!d) return errno ? -errno : -EIO;
    v = calloc(num ? num : 1, sizeof(*v));
    if (!v) { rc = -ENOMEM; goto out; }
    for (unsigned i = 0; i < num; i++) {
        v[i] = strdup(d[i]);
        if (!v[i]) {
            for (unsigned j = 0; j < i; j++) free(v[j]);
            free(v);
            rc = -ENOMEM;
            goto out;
        }
    }
    *names = v;
    *n = num;
    rc = 0;
out:
    free(d);                    /* one block: the array and the strings */
    return rc;
}

static int xen_xs_set_perms(xres_backend *b, const char *path,
                            const xres_perm_entry *perms, unsigned n)
{
    struct xs_permissions *p;
    int rc;

    if (!n) return -EINVAL;
    p = calloc(n, sizeof(*p));
    if (!p) return -ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        p[i].id = perms[i].domid;
        p[i].perms = (perms[i].perm & XRES_PERM_READ ? XS_PERM_READ : 0) |
                     (perms[i].perm & XRES_PERM_WRITE ? XS_PERM_WRITE : 0);
    }
    rc = xs_set_permissions(X(b)->xsh, XBT_NULL, path, p, n) ? 0 : -errno;
    free(p);
    return rc;
}

static int xen_xs_watch(xres_backend *b, const char *path, const char *token)
{
    return xs_watch(X(b)->xsh, path, token) ? 0 : -errno;
}

static int xen_xs_unwatch(xres_backend *b, const char *path,
                          const char *token)
{
    return xs_unwatch(X(b)->xsh, path, token) ? 0 : -errno;
}

static void xen_dispose(xres_backend *b)
{
    xen *x = X(b);

    if (!x) return;
    if (x->ctx) {
        for (size_t i = 0; i < x->nr_deaths; i++)
            libxl_evdisable_domain_death(x->ctx, x->deaths[i].evgen);
        libxl_ctx_free(x->ctx);
    }
    if (x->xsh) xs_close(x->xsh);
    if (x->xch) xc_interface_close(x->xch);
    if (x->lg) xtl_logger_destroy(&x->lg->vtable);
    xen_creates_dispose(x);
    xres_xen_claim_dispose(&x->hvc);
    free(x->deaths);
    free(x->evq);
    free(x);
    b->priv = NULL;
    b->ops = NULL;
}

/* The ops, each counted as its kind of call (set_maxmem and the snapshot
 * count their own). */
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, xen_set_target,
                   (xres_backend *b, uint32_t domid, uint64_t kb),
                   (b, domid, kb))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, xen_set_sched,
                   (xres_backend *b, uint32_t domid, int w, int c),
                   (b, domid, w, c))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, xen_destroy,
                   (xres_backend *b, uint32_t domid), (b, domid))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, xen_pause,
                   (xres_backend *b, uint32_t domid), (b, domid))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_read,
                   (xres_backend *b, const char *p, char **v, size_t *l),
                   (b, p, v, l))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_write,
                   (xres_backend *b, const char *p, const char *v, size_t l),
                   (b, p, v, l))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_rm,
                   (xres_backend *b, const char *p), (b, p))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_mkdir,
                   (xres_backend *b, const char *p), (b, p))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_directory,
                   (xres_backend *b, const char *p, char ***v, unsigned *n),
                   (b, p, v, n))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_set_perms,
                   (xres_backend *b, const char *p, const xres_perm_entry *e,
                    unsigned n), (b, p, e, n))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_watch,
                   (xres_backend *b, const char *p, const char *t), (b, p, t))
XRES_BCALL_COUNTED(XRES_BCALL_XS, xen_xs_unwatch,
                   (xres_backend *b, const char *p, const char *t), (b, p, t))
XRES_BCALL_COUNTED(XRES_BCALL_XC, xen_claim,
                   (xres_backend *b, uint32_t domid, uint64_t kb),
                   (b, domid, kb))

static const xres_backend_ops xen_ops = {
    .name = "xen",
    .snapshot = xen_snapshot,
    .set_target = c_xen_set_target,
    .set_maxmem = xen_set_maxmem,
    .set_sched = c_xen_set_sched,
    .destroy = c_xen_destroy,
    .pause = c_xen_pause,
    .xs_read = c_xen_xs_read,
    .xs_write = c_xen_xs_write,
    .xs_rm = c_xen_xs_rm,
    .xs_mkdir = c_xen_xs_mkdir,
    .xs_directory = c_xen_xs_directory,
    .xs_set_perms = c_xen_xs_set_perms,
    .xs_watch = c_xen_xs_watch,
    .xs_unwatch = c_xen_xs_unwatch,
    .placeholder_create = xen_placeholder_create,
    .claim = c_xen_claim,
    .claim_adjust = xen_claim_adjust,
    .claim_move = xen_claim_move,
    .create_start = xen_create_start,
    .create_poll = xen_create_poll,
    .watch_domains = xen_watch_domains,
    .poll_fds = xen_poll_fds,
    .next_event = xen_next_event,
    .dispose = xen_dispose,
};

int xres_backend_xen_open(xres_backend *b)
{
    const libxl_version_info *vi;
    xen *x;
    int rc;

    b->ops = NULL;
    b->priv = NULL;
    x = calloc(1, sizeof(*x));
    if (!x) return -ENOMEM;
    b->priv = x;
    b->ops = &xen_ops;

    x->evq = calloc(EVQ_MAX, sizeof(*x->evq));
    x->lg = calloc(1, sizeof(*x->lg));
    xres_xen_claim_init(&x->hvc);
    if (!x->evq || !x->lg) { rc = -ENOMEM; goto out; }
    x->lg->vtable.vmessage = xres_xtl_vmessage;
    x->lg->vtable.progress = xres_xtl_progress;
    x->lg->vtable.destroy = xres_xtl_destroy;
    x->lg->min_level = xres_log_get_level() >= LOG_DEBUG ? XTL_DEBUG
                                                         : XTL_WARN;

    rc = libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, &x->lg->vtable);
    if (rc) {
        XLOG_ERR("cannot open libxl (is this a Xen dom0, and are you "
                 "root?): libxl error %d", rc);
        rc = lx_err(rc);
        goto out;
    }
    x->xsh = xs_open(XS_UNWATCH_FILTER);
    if (!x->xsh) {
        rc = -errno;
        XLOG_ERR("cannot connect to XenStore: %s", strerror(errno));
        goto out;
    }
    x->xch = xc_interface_open(&x->lg->vtable, &x->lg->vtable, 0);
    if (!x->xch) {
        rc = -errno;
        XLOG_ERR("cannot open the Xen control interface: %s",
                 strerror(errno));
        goto out;
    }
    vi = libxl_get_version_info(x->ctx);
    x->kb_per_page = vi && vi->pagesize >= 1024 ? vi->pagesize / 1024 : 4;
    xen_claim_ops_probe(x);
    rc = 0;
out:
    if (rc) xen_dispose(b);
    return rc;
}
