/*
 * dom0/cluster/crm_exec.c: runs the helper xres-crm in a child process
 * and reads its output without blocking (crm.h), and parses the
 * resource table it prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster_msg.h"
#include "crm.h"

void xres_crm_init(xres_crm *c, const char *path)
{
    const char *env = getenv("XRES_CRM");

    memset(c, 0, sizeof(*c));
    c->fd = -1;
    if (!path || !*path) path = env && *env ? env : XRES_CRM_PATH_DEFAULT;
    snprintf(c->path, sizeof(c->path), "%s", path);
}

void xres_crm_dispose(xres_crm *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->pid = 0;
}

bool xres_crm_busy(const xres_crm *c)
{
    return c->pid > 0;
}

int xres_crm_fd(const xres_crm *c)
{
    return c->pid > 0 ? c->fd : -1;
}

int xres_crm_start(xres_crm *c, const char *const *argv)
{
    const char *args[XRES_CRM_ARGS_MAX + 2];
    int pfd[2] = { -1, -1 }, devnull = -1, rc;
    size_t n = 0;
    pid_t pid;

    if (c->pid > 0) return -EBUSY;
    args[n++] = c->path;
    while (argv[n - 1]) {
        if (n > XRES_CRM_ARGS_MAX) return -E2BIG;
        args[n] = argv[n - 1];
        n++;
    }
    args[n] = NULL;
    if (pipe2(pfd, O_CLOEXEC) ||
        (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        goto out;
    }
    pid = fork();
    if (pid < 0) { rc = -errno; goto out; }
    if (pid == 0) {
        /* xresd may die while a move runs: the helper must not. */
        signal(SIGPIPE, SIG_IGN);
        dup2(devnull, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        execv(c->path, (char *const *)args);
        _exit(127);
    }
    c->pid = pid;
    c->fd = pfd[0];
    pfd[0] = -1;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    snprintf(c->what, sizeof(c->what), "%s", argv[0] ? argv[0] : "");
    c->len = 0;
    c->out[0] = '\0';
    c->truncated = false;
    rc = 0;
out:
    if (pfd[0] >= 0) close(pfd[0]);
    if (pfd[1] >= 0) close(pfd[1]);
    if (devnull >= 0) close(devnull);
    return rc;
}

/* Reads what is there: true at end of file. */
static bool drain(xres_crm *c)
{
    char buf[4096];
    ssize_t n;

    while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
        size_t room = XRES_CRM_OUT_MAX - c->len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        memcpy(c->out + c->len, buf, take);
        c->len += take;
        if (take < (size_t)n) c->truncated = true;
    }
    c->out[c->len] = '\0';
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

int xres_crm_poll(xres_crm *c, int *status)
{
    int st;
    pid_t r;

    if (c->pid <= 0) return -ECHILD;
    if (c->fd >= 0 && drain(c)) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->fd >= 0) return 0;
    /* The pipe closed: the helper has ended (or closed it and lingers
     * a moment; waitpid blocks for that moment only). */
    do r = waitpid(c->pid, &st, 0); while (r < 0 && errno == EINTR);
    c->pid = 0;
    if (r < 0) return -errno;
    *status = WIFEXITED(st) ? WEXITSTATUS(st)
            : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
    return 1;
}

void xres_crm_last_line(const char *out, char *buf, size_t len)
{
    const char *end = out + strlen(out), *b;

    while (end > out && (end[-1] == '\n' || end[-1] == ' ')) end--;
    for (b = end; b > out && b[-1] != '\n'; b--) {}
    if (!strncmp(b, "error: ", 7)) b += 7;
    snprintf(buf, len, "%.*s", (int)(end - b), b);
}

static int parse_line(const char *line, xres_crm_resource *r)
{
    char id[XRES_CRM_ID_MAX + 1], agent[XRES_CRM_ID_MAX + 1],
        dom[XRES_CRM_ID_MAX + 1], extra[2];
    int mig;

    if (sscanf(line, "%64s %64s %64s %d %1s", id, agent, dom, &mig,
               extra) != 4 || (mig != 0 && mig != 1))
        return -EINVAL;
    if (strlen(id) >= XRES_CRM_ID_MAX || strlen(agent) >= XRES_CRM_ID_MAX ||
        strlen(dom) >= XRES_CRM_ID_MAX || !xres_cluster_name_ok(dom))
        return -EINVAL;
    memcpy(r->id, id, strlen(id) + 1);
    memcpy(r->agent, agent, strlen(agent) + 1);
    memcpy(r->domain, dom, strlen(dom) + 1);
    r->migrate = mig;
    return 0;
}

int xres_crm_parse_resources(const char *text, xres_crm_resources *t,
                             char *err, size_t errlen)
{
    const char *p = text;
    int rc = 0;

    t->n = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[256];

        if (len && len < sizeof(line)) {
            memcpy(line, p, len);
            line[len] = '\0';
        }
        if (len && (len >= sizeof(line) || t->n == XRES_CRM_RES_MAX ||
                    parse_line(line, &t->r[t->n]))) {
            snprintf(err, errlen, "xres-crm resources: %s: `%.*s'",
                     t->n == XRES_CRM_RES_MAX ? "too many resources"
                                              : "malformed line",
                     (int)(len < 60 ? len : 60), p);
            rc = -EINVAL;
            goto out;
        }
        if (len) t->n++;
        p = nl ? nl + 1 : p + len;
    }
out:
    if (rc) t->n = 0;
    return rc;
}

const xres_crm_resource *xres_crm_find_domain(const xres_crm_resources *t,
                                              const char *domain)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (!strcmp(t->r[i].domain, domain)) return &t->r[i];
    return NULL;
}
