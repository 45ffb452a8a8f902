/*
 * dom0/cluster/crm.h: xresd's link to Pacemaker, the cluster resource
 * manager (docs/xres-cluster.md, "Pacemaker").  Every request runs the
 * helper program xres-crm (dom0/ocf/xres-crm) in a child process, one at
 * a time; its output is read from a pipe without blocking, so a slow
 * CIB never stalls xresd.  The child ignores SIGPIPE: a move that
 * Pacemaker has taken goes on if xresd dies, and the next xresd sees
 * the domain where Pacemaker put it.
 *
 * Also the pure reading of what `xres-crm resources` prints: the
 * primitives that run a Xen domain, by domain name.
 */
#ifndef XRES_CLUSTER_CRM_H
#define XRES_CLUSTER_CRM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef XRES_LIBDIR
#define XRES_LIBDIR "/usr/lib/xres"
#endif
#define XRES_CRM_PATH_DEFAULT XRES_LIBDIR "/xres-crm"
#define XRES_CRM_OUT_MAX (64 * 1024)
#define XRES_CRM_RES_MAX 128
#define XRES_CRM_ID_MAX 64
#define XRES_CRM_ARGS_MAX 64

typedef struct {
    char id[XRES_CRM_ID_MAX];       /* Pacemaker's resource id */
    char agent[XRES_CRM_ID_MAX];    /* class:provider:type */
    char domain[XRES_CRM_ID_MAX];   /* the Xen domain's name */
    bool migrate;                   /* allow-migrate=true */
} xres_crm_resource;

typedef struct {
    size_t n;
    xres_crm_resource r[XRES_CRM_RES_MAX];
} xres_crm_resources;

typedef struct {
    char path[256];
    pid_t pid;                  /* 0: idle */
    int fd;                     /* the child's stdout and stderr; -1 */
    char what[32];              /* its subcommand */
    char out[XRES_CRM_OUT_MAX + 1];
    size_t len;
    bool truncated;
} xres_crm;

/* path: the helper (NULL: $XRES_CRM, else XRES_CRM_PATH_DEFAULT). */
void xres_crm_init(xres_crm *c, const char *path);
/* Closes the pipe; a running child is left to finish its request. */
void xres_crm_dispose(xres_crm *c);

/* Start `xres-crm ARGV...` (argv NULL-terminated, argv[0] the
 * subcommand): 0, -EBUSY while a request runs, or -errno. */
int xres_crm_start(xres_crm *c, const char *const *argv);
bool xres_crm_busy(const xres_crm *c);
/* The fd to poll while busy, else -1. */
int xres_crm_fd(const xres_crm *c);
/* Reads what the child wrote.  0: still running; 1: it ended, with
 * *status its exit code (128 + the signal that killed it, 127: the
 * helper could not be run) and its output, NUL-terminated, in c->out
 * until the next start. */
int xres_crm_poll(xres_crm *c, int *status);

/* The last non-empty line of out, without "error: " (for a reason). */
void xres_crm_last_line(const char *out, char *buf, size_t len);

/* Parses `xres-crm resources` output into t: 0, or -EINVAL with the
 * line at fault in err (t is then empty). */
int xres_crm_parse_resources(const char *text, xres_crm_resources *t,
                             char *err, size_t errlen);
const xres_crm_resource *xres_crm_find_domain(const xres_crm_resources *t,
                                              const char *domain);

#endif
