/*
 * dom0/backend/backend_xen_pool.c: what the libxl backend does for memory
 * pools (backend.h): empty placeholder domains that hold a claim, Xen's
 * claims, and the creation of a pool's domain from its xl.cfg.
 *
 * A placeholder is created with libxenctrl, not libxl: it is never built
 * and never run, has no devices and no memory, and exists only so that a
 * claim (xc_domain_claim_pages) has a domain to belong to.  Its name is
 * written to XenStore, so that `xl list` shows it and `xl destroy` works.
 *
 * The pool's domain is created by `xl create`, in a child process, so that
 * its configuration file means exactly what it means to xl: the parser,
 * the defaults and every key are xl's own.  Only `memory` is given on the
 * command line, with the pool's size.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_xen_priv.h"
#include "log.h"
#include "xs_schema.h"

int xen_placeholder_create(xres_backend *b, const char *name,
                           uint64_t max_kb, uint32_t *domid)
{
    xen *x = X(b);
    struct xen_domctl_createdomain cfg;
    char path[XRES_SCHEMA_PATH_MAX];
    uint32_t id = 0;
    bool made = false;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    cfg.max_vcpus = 1;
    cfg.max_evtchn_port = 0;
    cfg.max_grant_frames = -1;
    cfg.max_maptrack_frames = -1;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
    if (xc_domain_create(x->xch, &id, &cfg)) { rc = -errno; goto out; }
    made = true;
    if (xc_domain_max_vcpus(x->xch, id, 1) ||
        xc_domain_setmaxmem(x->xch, id, max_kb)) {
        rc = -errno;
        goto out;
    }
    rc = xres_schema_path(path, sizeof(path), XS_XEN_NAME, id, NULL);
    if (rc) goto out;
    if (!xs_write(x->xsh, XBT_NULL, path, name, strlen(name))) {
        rc = errno ? -errno : -EIO;
        goto out;
    }
    *domid = id;
    rc = 0;
out:
    if (rc && made) xc_domain_destroy(x->xch, id);
    return rc;
}

int xen_claim(xres_backend *b, uint32_t domid, uint64_t kb)
{
    xen *x = X(b);
    unsigned long pages = kb / x->kb_per_page;

    if (kb % x->kb_per_page) return -EINVAL;
    return xc_domain_claim_pages(x->xch, domid, pages) ? -errno : 0;
}

void xen_claim_ops_probe(xen *x)
{
    const char *why = "?";
    bool present = false;
    int rc;

    rc = xres_xen_claim_open(&x->hvc);
    if (!rc) rc = xres_xen_claim_probe(&x->hvc, &present, &why);
    x->hv_claim = !rc && present;
    if (rc)
        XLOG_INFO("claim operations of hv-patches: cannot probe (%s); using "
                  "stock claims", strerror(-rc));
    else
        XLOG_INFO("claim operations of hv-patches: %s (%s)%s",
                  present ? "present" : "absent", why,
                  present ? "" : "; using stock claims");
}

int xen_claim_adjust(xres_backend *b, uint32_t domid, uint64_t kb)
{
    xen *x = X(b);

    if (!x->hv_claim) return -ENOSYS;
    if (kb % x->kb_per_page) return -EINVAL;
    return xres_xen_claim_adjust(&x->hvc, domid, kb / x->kb_per_page);
}

int xen_claim_move(xres_backend *b, uint32_t from, uint32_t to, uint64_t kb)
{
    xen *x = X(b);

    if (!x->hv_claim) return -ENOSYS;
    if (kb % x->kb_per_page) return -EINVAL;
    return xres_xen_claim_move(&x->hvc, from, to, kb / x->kb_per_page);
}

static xen_create *create_find(xen *x, const char *name)
{
    for (unsigned i = 0; i < x->nr_creates; i++)
        if (!strcmp(x->creates[i].name, name)) return &x->creates[i];
    return NULL;
}

static void create_forget(xen *x, xen_create *c)
{
    if (c->errfd >= 0) close(c->errfd);
    *c = x->creates[--x->nr_creates];
}

/* xl, found before the fork (the child only calls what is safe there):
 * $XRES_XL, else the first xl on $PATH, else the usual places. */
static const char *xl_path(char *buf, size_t len)
{
    static const char *const where[] = {
        "/usr/sbin/xl", "/usr/bin/xl", "/usr/local/sbin/xl", NULL,
    };
    const char *env = getenv("XRES_XL"), *path = getenv("PATH");

    if (env && *env) return env;
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n && n + 4 <= len) {
            memcpy(buf, path, n);
            memcpy(buf + n, "/xl", 4);
            if (!access(buf, X_OK)) return buf;
        }
        path = colon ? colon + 1 : NULL;
    }
    for (unsigned i = 0; where[i]; i++)
        if (!access(where[i], X_OK)) return where[i];
    return NULL;
}

int xen_create_start(xres_backend *b, const char *cfg, const char *name,
                     uint64_t mem_kb)
{
    xen *x = X(b);
    xen_create *c;
    char xlbuf[4096];
    const char *xl = xl_path(xlbuf, sizeof(xlbuf));
    char mem[48];
    int pfd[2] = { -1, -1 }, devnull = -1, rc;
    pid_t pid;

    if (create_find(x, name)) return -EBUSY;
    if (x->nr_creates == XEN_CREATES_MAX) return -EAGAIN;
    if (!xl) return -ENOENT;
    if (strlen(name) >= XRES_NAME_MAX) return -EINVAL;
    snprintf(mem, sizeof(mem), "memory=%" PRIu64, mem_kb / 1024);
    if (pipe2(pfd, O_CLOEXEC) || (devnull = open("/dev/null",
                                                 O_RDWR | O_CLOEXEC)) < 0) {
        rc = -errno;
        goto out;
    }
    pid = fork();
    if (pid < 0) { rc = -errno; goto out; }
    if (pid == 0) {
        char *argv[] = { (char *)xl, "create", "-q", (char *)cfg, mem, NULL };
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(pfd[1], 2);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        execv(xl, argv);
        _exit(127);
    }
    c = &x->creates[x->nr_creates++];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->pid = pid;
    c->errfd = pfd[0];
    pfd[0] = -1;
    fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
    XLOG_INFO("creating %s: %s create -q %s %s (pid %d)", name, xl, cfg, mem,
              (int)pid);
    rc = 0;
out:
    if (pfd[0] >= 0) close(pfd[0]);
    if (pfd[1] >= 0) close(pfd[1]);
    if (devnull >= 0) close(devnull);
    return rc;
}

/* Keep the last non-empty line xl wrote. */
static void create_drain(xen_create *c)
{
    char buf[512];
    ssize_t n;

    while ((n = read(c->errfd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (c->linelen < sizeof(c->line) - 1)
                    c->line[c->linelen++] = buf[i];
                continue;
            }
            if (c->linelen) {
                memcpy(c->err, c->line, c->linelen);
                c->err[c->linelen] = '\0';
            }
            c->linelen = 0;
        }
    }
}

int xen_create_poll(xres_backend *b, const char *name, char *err,
                    size_t errlen)
{
    xen *x = X(b);
    xen_create *c = create_find(x, name);
    int status, rc;
    pid_t r;

    if (!c) return -ENOENT;
    create_drain(c);
    r = waitpid(c->pid, &status, WNOHANG);
    if (r == 0) return -EINPROGRESS;
    create_drain(c);
    if (r < 0) {
        rc = -errno;
        snprintf(err, errlen, "waitpid: %s", strerror(errno));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc = 0;
        if (errlen) err[0] = '\0';
    } else {
        rc = -EIO;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            snprintf(err, errlen, "cannot run xl");
        else
            snprintf(err, errlen, "xl create failed%s%s",
                     c->err[0] ? ": " : "", c->err);
    }
    create_forget(x, c);
    return rc;
}

void xen_creates_dispose(xen *x)
{
    while (x->nr_creates) create_forget(x, &x->creates[0]);
}
