/*
 * dom0/backend/backend_sim.c: an in-process model of a Xen host (backend.h,
 * backend_sim.h), for the unit tests and `xresd --simulate`.
 *
 * Everything is deterministic: time moves only in xres_sim_advance (which
 * the daemon calls with the wall clock under --simulate).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libxlutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backend_sim.h"
#include "util.h"
#include "xs_schema.h"

#define SIM_PATH_MAX 3072           /* XENSTORE_ABS_PATH_MAX */
#define SHUTDOWN_REASON_CRASH 3     /* LIBXL_SHUTDOWN_REASON_CRASH */

typedef struct {
    uint32_t domid;
    char name[XRES_NAME_MAX];
    uint64_t cur_kb, target_kb, xen_max_kb, static_max_kb;
    uint64_t rate_kb;           /* per simulated second */
    uint64_t carry;             /* KiB * ms not yet moved */
    bool refuses;
    int weight, cap;
    unsigned vcpus;
    unsigned cpu_pct;
    uint64_t cpu_time_ns;
    bool paused, shutdown;
    /* A simulated xres-agent in the guest. */
    bool agent;
    uint64_t used_kb;           /* memory its applications use */
    uint64_t agent_seq;
    uint64_t agent_next_ms;     /* next report due */
} sim_dom;

typedef struct {
    char *path;
    char *val;
    size_t len;
    unsigned nperms;
    xres_perm_entry *perms;     /* [0]: owner and everybody else's perm */
} sim_node;

typedef struct {
    char *path;
    char *token;
} sim_watch;

typedef struct {
    uint64_t total_kb, reserved_kb;
    unsigned nr_cpus;
    uint64_t now_ms;
    uint32_t next_domid;

    size_t nr_doms;
    sim_dom *doms;

    size_t nr_nodes, cap_nodes;
    sim_node *nodes;
    /* Index of nodes by path: open addressing, slot = node index + 1,
     * 0 = empty.  Rebuilt after removals. */
    size_t *hslot;
    size_t hcap;
    bool hstale;

    size_t nr_watches;
    sim_watch *watches;

    /* Event ring. */
    xres_event *ev;
    size_t ev_head, ev_len, ev_cap;
    uint64_t ev_dropped;
    int efd;
    bool watch_domains;
} sim;

static sim *S(xres_backend *b) { return b->priv; }

static sim_dom *find_dom(sim *s, uint32_t domid)
{
    for (size_t i = 0; i < s->nr_doms; i++)
        if (s->doms[i].domid == domid) return &s->doms[i];
    return NULL;
}

static uint64_t used_kb(const sim *s)
{
    uint64_t u = s->reserved_kb;

    for (size_t i = 0; i < s->nr_doms; i++) u += s->doms[i].cur_kb;
    return u;
}

uint64_t xres_sim_free_kb(xres_backend *b)
{
    sim *s = S(b);
    uint64_t u = used_kb(s);

    return u >= s->total_kb ? 0 : s->total_kb - u;
}

/*----- events -----*/

static void queue_event(sim *s, const xres_event *ev)
{
    uint64_t one = 1;

    if (s->ev_len == s->ev_cap) {
        if (s->ev_cap >= XRES_SIM_EVENT_MAX) {
            s->ev_dropped++;
            return;
        }
        size_t ncap = s->ev_cap ? s->ev_cap * 2 : 64;
        xres_event *nv = malloc(ncap * sizeof(*nv));
        if (!nv) { s->ev_dropped++; return; }
        for (size_t i = 0; i < s->ev_len; i++)
            nv[i] = s->ev[(s->ev_head + i) % s->ev_cap];
        free(s->ev);
        s->ev = nv;
        s->ev_head = 0;
        s->ev_cap = ncap;
    }
    s->ev[(s->ev_head + s->ev_len) % s->ev_cap] = *ev;
    s->ev_len++;
    if (s->efd >= 0 && write(s->efd, &one, sizeof(one)) < 0) {}
}

static void queue_watch(sim *s, const char *path, const char *token)
{
    xres_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = XRES_EV_WATCH;
    snprintf(ev.path, sizeof(ev.path), "%s", path);
    snprintf(ev.token, sizeof(ev.token), "%s", token);
    queue_event(s, &ev);
}

/* a is at or below b. */
static bool at_or_below(const char *a, const char *b)
{
    size_t n = strlen(b);

    return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

/* A change at path fires watches at or above it; a removal also fires
 * watches below it. */
static void fire(sim *s, const char *path, bool removal)
{
    for (size_t i = 0; i < s->nr_watches; i++) {
        const sim_watch *w = &s->watches[i];
        if (at_or_below(path, w->path) ||
            (removal && at_or_below(w->path, path)))
            queue_watch(s, path, w->token);
    }
}

/*----- XenStore tree -----*/

static size_t hash_path(const char *p)
{
    size_t h = 14695981039346656037ULL;

    for (; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

static void index_put(sim *s, size_t i)
{
    size_t m = s->hcap - 1, h = hash_path(s->nodes[i].path) & m;

    while (s->hslot[h]) h = (h + 1) & m;
    s->hslot[h] = i + 1;
}

/* Rebuilds the index for at least want nodes; false on ENOMEM (the
 * index is then dropped and lookups scan). */
static bool index_rebuild(sim *s, size_t want)
{
    size_t cap = 64;

    while (cap < want * 2) cap *= 2;
    free(s->hslot);
    s->hslot = calloc(cap, sizeof(*s->hslot));
    s->hcap = s->hslot ? cap : 0;
    s->hstale = false;
    if (!s->hslot) return false;
    for (size_t i = 0; i < s->nr_nodes; i++) index_put(s, i);
    return true;
}

static sim_node *find_node(sim *s, const char *path)
{
    if (s->hstale || !s->hslot) index_rebuild(s, s->nr_nodes + 1);
    if (!s->hslot) {
        for (size_t i = 0; i < s->nr_nodes; i++)
            if (!strcmp(s->nodes[i].path, path)) return &s->nodes[i];
        return NULL;
    }
    size_t m = s->hcap - 1, h = hash_path(path) & m;
    for (; s->hslot[h]; h = (h + 1) & m) {
        sim_node *n = &s->nodes[s->hslot[h] - 1];
        if (!strcmp(n->path, path)) return n;
    }
    return NULL;
}

static bool path_ok(const char *path)
{
    size_t n = strlen(path);

    if (path[0] == '@') return false;
    if (path[0] != '/' || n >= SIM_PATH_MAX) return false;
    if (n > 1 && path[n - 1] == '/') return false;
    for (const char *p = path; *p; p++) {
        if (p[0] == '/' && p[1] == '/') return false;
        if (!isalnum((unsigned char)*p) && !strchr("/_-@.", *p))
            return false;
    }
    return true;
}

static xres_perm perm_of(const sim_node *n, uint32_t as)
{
    if (as == 0 || n->perms[0].domid == as) return XRES_PERM_BOTH;
    for (unsigned i = 1; i < n->nperms; i++)
        if (n->perms[i].domid == as) return n->perms[i].perm;
    return n->perms[0].perm;
}

/* The nearest existing node at or above path. */
static sim_node *nearest(sim *s, const char *path)
{
    char buf[SIM_PATH_MAX];
    sim_node *n;

    snprintf(buf, sizeof(buf), "%s", path);
    for (;;) {
        if ((n = find_node(s, buf))) return n;
        char *slash = strrchr(buf, '/');
        if (!slash || !strcmp(buf, "/")) return NULL;
        if (slash == buf) buf[1] = 0;
        else *slash = 0;
    }
}

static unsigned owned_by(const sim *s, uint32_t domid)
{
    unsigned n = 0;

    for (size_t i = 0; i < s->nr_nodes; i++)
        if (s->nodes[i].perms[0].domid == domid) n++;
    return n;
}

/* Creates path (and missing parents) with the parent's permissions; a
 * node a guest creates is owned by that guest. */
static int create_node(sim *s, uint32_t as, const char *path,
                       sim_node **out)
{
    char buf[SIM_PATH_MAX];
    sim_node *parent, *n;
    size_t len = strlen(path);

    if ((n = find_node(s, path))) { *out = n; return 0; }
    parent = nearest(s, path);
    if (as && parent && !(perm_of(parent, as) & XRES_PERM_WRITE))
        return -EACCES;
    if (as && owned_by(s, as) >= XRES_SIM_XS_QUOTA) return -EDQUOT;
    /* Create each missing component in turn. */
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        memcpy(buf, path, i);
        buf[i] = 0;
        if (find_node(s, buf)) continue;
        sim_node *p = nearest(s, buf);
        if (s->nr_nodes == s->cap_nodes) {
            size_t ncap = s->cap_nodes ? s->cap_nodes * 2 : 64;
            sim_node *nv = realloc(s->nodes, ncap * sizeof(*nv));
            if (!nv) return -ENOMEM;
            s->nodes = nv;
            s->cap_nodes = ncap;
            p = nearest(s, buf);
        }
        n = &s->nodes[s->nr_nodes];
        memset(n, 0, sizeof(*n));
        n->path = strdup(buf);
        n->val = strdup("");
        n->nperms = p ? p->nperms : 1;
        n->perms = calloc(n->nperms, sizeof(*n->perms));
        if (!n->path || !n->val || !n->perms) {
            free(n->path); free(n->val); free(n->perms);
            return -ENOMEM;
        }
        if (p) memcpy(n->perms, p->perms, n->nperms * sizeof(*n->perms));
        if (as) n->perms[0].domid = as;
        s->nr_nodes++;
        if (s->hstale || !s->hslot || s->nr_nodes * 2 > s->hcap)
            s->hstale = true;
        else
            index_put(s, s->nr_nodes - 1);
    }
    *out = find_node(s, path);
    return 0;
}

static int sim_write_as(sim *s, uint32_t as, const char *path,
                        const char *val, size_t len)
{
    sim_node *n;
    int rc;

    if (!path_ok(path)) return -EINVAL;
    if (len > XRES_SIM_XS_VALUE_MAX) return -E2BIG;
    n = find_node(s, path);
    if (n && as && !(perm_of(n, as) & XRES_PERM_WRITE)) return -EACCES;
    if (!n) {
        rc = create_node(s, as, path, &n);
        if (rc) return rc;
    }
    char *v = malloc(len + 1);
    if (!v) return -ENOMEM;
    memcpy(v, val, len);
    v[len] = 0;
    free(n->val);
    n->val = v;
    n->len = len;
    fire(s, path, false);
    return 0;
}

static int sim_read_as(sim *s, uint32_t as, const char *path, char **val,
                       size_t *len)
{
    sim_node *n = find_node(s, path);

    if (!n) return -ENOENT;
    if (as && !(perm_of(n, as) & XRES_PERM_READ)) return -EACCES;
    *val = malloc(n->len + 1);
    if (!*val) return -ENOMEM;
    memcpy(*val, n->val, n->len + 1);
    if (len) *len = n->len;
    return 0;
}

static int sim_rm_as(sim *s, uint32_t as, const char *path)
{
    sim_node *n = find_node(s, path);

    if (!n) return -ENOENT;
    if (as && !(perm_of(n, as) & XRES_PERM_WRITE)) return -EACCES;
    for (size_t i = 0; i < s->nr_nodes;) {
        if (at_or_below(s->nodes[i].path, path)) {
            free(s->nodes[i].path);
            free(s->nodes[i].val);
            free(s->nodes[i].perms);
            s->nodes[i] = s->nodes[--s->nr_nodes];
            s->hstale = true;
        } else {
            i++;
        }
    }
    fire(s, path, true);
    return 0;
}

static int set_perms(sim *s, const char *path, const xres_perm_entry *perms,
                     unsigned np)
{
    sim_node *n = find_node(s, path);
    xres_perm_entry *v;

    if (!n) return -ENOENT;
    if (np == 0) return -EINVAL;
    v = malloc(np * sizeof(*v));
    if (!v) return -ENOMEM;
    memcpy(v, perms, np * sizeof(*v));
    free(n->perms);
    n->perms = v;
    n->nperms = np;
    fire(s, path, false);
    return 0;
}

static int xs_write_str(sim *s, const char *path, const char *val)
{
    return sim_write_as(s, 0, path, val, strlen(val));
}

/* Paths of the toolstack's layout come from the schema (XS_*); the
 * directories above them, which libxl creates and xres never names, are
 * their parents. */
static int schema_path(char *buf, size_t len, xres_schema_id id,
                       uint32_t domid, int up)
{
    int rc = xres_schema_path(buf, len, id, domid, NULL);

    for (; !rc && up > 0; up--) {
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf) return -EINVAL;
        *slash = 0;
    }
    return rc;
}

static int xs_write_u64(sim *s, xres_schema_id id, uint32_t domid,
                        uint64_t v)
{
    char path[XRES_SCHEMA_PATH_MAX], val[32];
    int rc = schema_path(path, sizeof(path), id, domid, 0);

    if (rc) return rc;
    snprintf(val, sizeof(val), "%" PRIu64, v);
    return xs_write_str(s, path, val);
}

/* Reads a value the way the real backend does: through the schema
 * (u64 rows as numbers, enum rows as the index of their word). */
static uint64_t xs_read_u64(sim *s, xres_schema_id id, uint32_t domid,
                            uint64_t def)
{
    char path[XRES_SCHEMA_PATH_MAX], *val = NULL;
    const xres_schema_row *row = xres_schema_row_get(id);
    uint64_t v = def;
    unsigned e;
    size_t len;

    if (schema_path(path, sizeof(path), id, domid, 0)) return def;
    if (sim_read_as(s, 0, path, &val, &len)) return def;
    if (row && row->type == XS_T_ENUM) {
        if (!xres_schema_parse_enum(id, val, len, &e, NULL, 0)) v = e;
    } else if (xres_schema_parse_u64(id, val, len, &v, NULL, 0)) {
        v = def;
    }
    free(val);
    return v;
}

/*----- backend ops -----*/

static int sim_snapshot(xres_backend *b, xres_host *h)
{
    sim *s = S(b);

    xres_host_dispose(h);
    h->total_kb = s->total_kb;
    h->free_kb = xres_sim_free_kb(b);
    h->nr_cpus = s->nr_cpus;
    h->sched = XRES_SCHED_CREDIT;
    snprintf(h->xen_version, sizeof(h->xen_version), "4.17.0-sim");
    h->now_ms = s->now_ms;
    for (size_t i = 0; i < s->nr_doms; i++) {
        const sim_dom *sd = &s->doms[i];
        xres_domain *d = xres_host_add_domain(h, sd->domid);
        if (!d) return -ENOMEM;
        snprintf(d->name, sizeof(d->name), "%s", sd->name);
        d->cur_kb = sd->cur_kb;
        d->target_kb = xs_read_u64(s, XS_XEN_MEM_TARGET, sd->domid, 0);
        d->static_max_kb = xs_read_u64(s, XS_XEN_MEM_STATIC_MAX, sd->domid,
                                       0);
        d->feature_balloon = xs_read_u64(s, XS_XEN_FEATURE_BALLOON,
                                         sd->domid, 0) == 1;
        d->xen_max_kb = sd->xen_max_kb;
        d->cpu_time_ns = sd->cpu_time_ns;
        d->vcpus_online = d->vcpus_max = sd->vcpus;
        d->weight = sd->weight;
        d->cap = sd->cap;
        d->paused = sd->paused;
        d->shutdown = sd->shutdown;
        d->running = !sd->paused && !sd->shutdown;
    }
    return 0;
}

static int sim_set_target(xres_backend *b, uint32_t domid, uint64_t kb)
{
    sim *s = S(b);
    sim_dom *d = find_dom(s, domid);

    if (!d) return -ESRCH;
    if (kb > d->static_max_kb) return -EINVAL;
    if (kb == 0) return -EINVAL;
    d->target_kb = kb;
    /* libxl with enforce=1: Xen's maximum follows the target. */
    d->xen_max_kb = kb + XRES_SIM_MAXMEM_SLACK_KB;
    return xs_write_u64(s, XS_XEN_MEM_TARGET, domid, kb);
}

static int sim_set_maxmem(xres_backend *b, uint32_t domid, uint64_t kb)
{
    sim_dom *d = find_dom(S(b), domid);

    if (!d) return -ESRCH;
    /* libxl_domain_setmaxmem: not below the balloon target; Xen's maximum
     * gets libxl's slack on top.  static-max is left alone. */
    if (kb < d->target_kb) return -EINVAL;
    d->xen_max_kb = kb + XRES_SIM_MAXMEM_SLACK_KB;
    return 0;
}

static int sim_set_sched(xres_backend *b, uint32_t domid, int weight,
                         int cap)
{
    sim_dom *d = find_dom(S(b), domid);

    if (!d) return -ESRCH;
    if (weight >= 0 && (weight < 1 || weight > 65535)) return -EINVAL;
    if (cap >= 0 && (unsigned)cap > 100 * d->vcpus) return -EINVAL;
    if (weight >= 0) d->weight = weight;
    if (cap >= 0) d->cap = cap;
    return 0;
}

static int destroy_dom(sim *s, uint32_t domid)
{
    char path[XRES_SCHEMA_PATH_MAX];
    xres_event ev;
    size_t i;

    for (i = 0; i < s->nr_doms; i++)
        if (s->doms[i].domid == domid) break;
    if (i == s->nr_doms) return -ESRCH;
    memmove(&s->doms[i], &s->doms[i + 1],
            (s->nr_doms - i - 1) * sizeof(s->doms[0]));
    s->nr_doms--;
    if (!schema_path(path, sizeof(path), XS_XEN_NAME, domid, 1))
        sim_rm_as(s, 0, path);
    if (s->watch_domains) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = XRES_EV_DOMAIN_DEATH;
        ev.domid = domid;
        queue_event(s, &ev);
    }
    fire(s, "@releaseDomain", false);
    return 0;
}

static int sim_destroy(xres_backend *b, uint32_t domid)
{
    return destroy_dom(S(b), domid);
}

static int sim_pause(xres_backend *b, uint32_t domid)
{
    sim_dom *d = find_dom(S(b), domid);

    if (!d) return -ESRCH;
    d->paused = true;
    return 0;
}

static int sim_xs_read(xres_backend *b, const char *path, char **val,
                       size_t *len)
{
    return sim_read_as(S(b), 0, path, val, len);
}

static int sim_xs_write(xres_backend *b, const char *path, const char *val,
                        size_t len)
{
    return sim_write_as(S(b), 0, path, val, len);
}

static int sim_xs_rm(xres_backend *b, const char *path)
{
    return sim_rm_as(S(b), 0, path);
}

static int sim_xs_mkdir(xres_backend *b, const char *path)
{
    sim *s = S(b);
    sim_node *n;
    int rc;

    if (!path_ok(path)) return -EINVAL;
    if (find_node(s, path)) return 0;
    rc = create_node(s, 0, path, &n);
    if (!rc) fire(s, path, false);
    return rc;
}

static int sim_xs_directory(xres_backend *b, const char *path, char ***names,
                            unsigned *nr)
{
    sim *s = S(b);
    size_t plen = strlen(path);
    char **v = NULL;
    unsigned n = 0;

    if (!find_node(s, path)) return -ENOENT;
    for (size_t i = 0; i < s->nr_nodes; i++) {
        const char *p = s->nodes[i].path;
        if (strncmp(p, path, plen)) continue;
        const char *rest = p + plen;
        if (plen == 1) { /* "/" */
            if (!*rest) continue;
        } else {
            if (*rest != '/') continue;
            rest++;
        }
        if (!*rest || strchr(rest, '/')) continue;
        char **nv = realloc(v, (n + 1) * sizeof(*nv));
        if (!nv) goto nomem;
        v = nv;
        if (!(v[n] = strdup(rest))) goto nomem;
        n++;
    }
    *names = v;
    *nr = n;
    return 0;
nomem:
    for (unsigned i = 0; i < n; i++) free(v[i]);
    free(v);
    return -ENOMEM;
}

static int sim_xs_set_perms(xres_backend *b, const char *path,
                            const xres_perm_entry *perms, unsigned n)
{
    return set_perms(S(b), path, perms, n);
}

static int sim_xs_watch(xres_backend *b, const char *path, const char *token)
{
    sim *s = S(b);
    sim_watch *nv;

    if (path[0] != '@' && !path_ok(path)) return -EINVAL;
    nv = realloc(s->watches, (s->nr_watches + 1) * sizeof(*nv));
    if (!nv) return -ENOMEM;
    s->watches = nv;
    nv[s->nr_watches].path = strdup(path);
    nv[s->nr_watches].token = strdup(token);
    if (!nv[s->nr_watches].path || !nv[s->nr_watches].token) {
        free(nv[s->nr_watches].path);
        free(nv[s->nr_watches].token);
        return -ENOMEM;
    }
    s->nr_watches++;
    /* XenStore fires a new watch once straight away. */
    queue_watch(s, path, token);
    return 0;
}

static int sim_xs_unwatch(xres_backend *b, const char *path,
                          const char *token)
{
    sim *s = S(b);

    for (size_t i = 0; i < s->nr_watches; i++) {
        if (strcmp(s->watches[i].path, path) ||
            strcmp(s->watches[i].token, token))
            continue;
        free(s->watches[i].path);
        free(s->watches[i].token);
        s->watches[i] = s->watches[--s->nr_watches];
        return 0;
    }
    return -ENOENT;
}

static int sim_watch_domains(xres_backend *b)
{
    S(b)->watch_domains = true;
    return 0;
}

static int sim_poll_fds(xres_backend *b, int *fds, unsigned max,
                        unsigned *n)
{
    sim *s = S(b);

    *n = 0;
    if (s->efd >= 0 && max > 0) {
        fds[0] = s->efd;
        *n = 1;
    }
    return 0;
}

static int sim_next_event(xres_backend *b, xres_event *ev)
{
    sim *s = S(b);
    uint64_t v;

    if (!s->ev_len) {
        ev->kind = XRES_EV_NONE;
        if (s->efd >= 0 && read(s->efd, &v, sizeof(v)) < 0) {}
        return 0;
    }
    *ev = s->ev[s->ev_head];
    s->ev_head = (s->ev_head + 1) % s->ev_cap;
    s->ev_len--;
    return 0;
}

static uint64_t sim_now_ms(xres_backend *b)
{
    return S(b)->now_ms;
}

static void sim_dispose(xres_backend *b)
{
    sim *s = S(b);

    if (!s) return;
    for (size_t i = 0; i < s->nr_nodes; i++) {
        free(s->nodes[i].path);
        free(s->nodes[i].val);
        free(s->nodes[i].perms);
    }
    for (size_t i = 0; i < s->nr_watches; i++) {
        free(s->watches[i].path);
        free(s->watches[i].token);
    }
    free(s->nodes);
    free(s->hslot);
    free(s->watches);
    free(s->doms);
    free(s->ev);
    if (s->efd >= 0) close(s->efd);
    free(s);
    b->priv = NULL;
    b->ops = NULL;
}

static const xres_backend_ops sim_ops = {
    .name = "sim",
    .snapshot = sim_snapshot,
    .set_target = sim_set_target,
    .set_maxmem = sim_set_maxmem,
    .set_sched = sim_set_sched,
    .destroy = sim_destroy,
    .pause = sim_pause,
    .xs_read = sim_xs_read,
    .xs_write = sim_xs_write,
    .xs_rm = sim_xs_rm,
    .xs_mkdir = sim_xs_mkdir,
    .xs_directory = sim_xs_directory,
    .xs_set_perms = sim_xs_set_perms,
    .xs_watch = sim_xs_watch,
    .xs_unwatch = sim_xs_unwatch,
    .watch_domains = sim_watch_domains,
    .poll_fds = sim_poll_fds,
    .next_event = sim_next_event,
    .now_ms = sim_now_ms,
    .dispose = sim_dispose,
};

int xres_backend_sim_open(xres_backend *b, uint64_t total_kb,
                          unsigned nr_cpus)
{
    sim *s = calloc(1, sizeof(*s));
    sim_node *root;
    int rc;

    if (!s) return -ENOMEM;
    s->total_kb = total_kb;
    s->nr_cpus = nr_cpus ? nr_cpus : 1;
    s->now_ms = 1000;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    b->ops = &sim_ops;
    b->priv = s;
    /* The root and the parent of every domain's directory belong to dom0,
     * nobody else may read them. */
    char path[XRES_SCHEMA_PATH_MAX];
    rc = create_node(s, 0, "/", &root);
    if (!rc) rc = schema_path(path, sizeof(path), XS_XEN_NAME, 0, 2);
    if (!rc) rc = create_node(s, 0, path, &root);
    if (rc) { sim_dispose(b); return rc; }
    return 0;
}

/*----- simulator controls -----*/

int xres_sim_add_domain(xres_backend *b, const char *name, uint64_t mem_kb,
                        uint64_t static_max_kb, uint32_t *domid_out)
{
    sim *s = S(b);
    sim_dom *d, *nv;
    char path[XRES_SCHEMA_PATH_MAX];
    uint32_t domid;

    if (!name || !*name || strlen(name) >= XRES_NAME_MAX || !mem_kb)
        return -EINVAL;
    if (static_max_kb < mem_kb) static_max_kb = mem_kb;
    if (mem_kb > xres_sim_free_kb(b)) return -ENOMEM;
    for (size_t i = 0; i < s->nr_doms; i++)
        if (!strcmp(s->doms[i].name, name)) return -EEXIST;
    nv = realloc(s->doms, (s->nr_doms + 1) * sizeof(*nv));
    if (!nv) return -ENOMEM;
    s->doms = nv;
    domid = s->next_domid++;
    d = &s->doms[s->nr_doms++];
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->cur_kb = d->target_kb = mem_kb;
    d->xen_max_kb = mem_kb + XRES_SIM_MAXMEM_SLACK_KB;
    d->static_max_kb = static_max_kb;
    d->rate_kb = XRES_SIM_DEFAULT_RATE_KB;
    d->weight = 256;
    d->cap = 0;
    d->vcpus = 1;

    /* The XenStore layout libxl creates. */
    xres_perm_entry ro[2] = { { 0, XRES_PERM_NONE },
                              { domid, XRES_PERM_READ } };
    xres_perm_entry own[1] = { { domid, XRES_PERM_NONE } };
    schema_path(path, sizeof(path), XS_XEN_NAME, domid, 1);
    sim_xs_mkdir(b, path);
    if (domid) set_perms(s, path, ro, 2);
    schema_path(path, sizeof(path), XS_XEN_NAME, domid, 0);
    xs_write_str(s, path, name);
    xs_write_u64(s, XS_XEN_MEM_TARGET, domid, mem_kb);
    xs_write_u64(s, XS_XEN_MEM_STATIC_MAX, domid, static_max_kb);
    schema_path(path, sizeof(path), XS_REPORT_DIR, domid, 1);
    sim_xs_mkdir(b, path);
    if (domid) set_perms(s, path, own, 1);
    schema_path(path, sizeof(path), XS_XEN_FEATURE_BALLOON, domid, 1);
    sim_xs_mkdir(b, path);
    if (domid) set_perms(s, path, own, 1);
    xs_write_u64(s, XS_XEN_FEATURE_BALLOON, domid, 1);
    fire(s, "@introduceDomain", false);
    if (domid_out) *domid_out = domid;
    return 0;
}

void xres_sim_set_balloon_rate(xres_backend *b, uint32_t domid,
                               uint64_t kb_per_s)
{
    sim_dom *d = find_dom(S(b), domid);

    if (d) d->rate_kb = kb_per_s;
}

void xres_sim_set_balloon_refuses(xres_backend *b, uint32_t domid,
                                  bool refuses)
{
    sim_dom *d = find_dom(S(b), domid);

    if (d) d->refuses = refuses;
}

/* One step of the simulation: every balloon moves for ms. */
static void advance_step(xres_backend *b, uint64_t ms)
{
    sim *s = S(b);

    s->now_ms += ms;
    for (size_t i = 0; i < s->nr_doms; i++) {
        sim_dom *d = &s->doms[i];
        if (d->paused || d->shutdown) continue;
        d->cpu_time_ns += (uint64_t)d->vcpus * d->cpu_pct * ms * 10000;
        if (d->refuses || d->cur_kb == d->target_kb) {
            d->carry = 0;
            continue;
        }
        d->carry += d->rate_kb * ms;
        uint64_t step = d->carry / 1000;
        d->carry %= 1000;
        if (d->cur_kb > d->target_kb) {
            if (step > d->cur_kb - d->target_kb)
                step = d->cur_kb - d->target_kb;
            d->cur_kb -= step;
        } else {
            /* Growing takes free host memory, up to Xen's maximum. */
            uint64_t lim = d->target_kb < d->xen_max_kb ? d->target_kb
                                                        : d->xen_max_kb;
            uint64_t room = lim > d->cur_kb ? lim - d->cur_kb : 0;
            uint64_t fr = xres_sim_free_kb(b);
            if (room > fr) room = fr;
            if (step > room) step = room;
            d->cur_kb += step;
        }
    }
}

/*----- the simulated agent -----*/

static void agent_put(sim *s, uint32_t domid, xres_schema_id id,
                      const char *arg, const char *val)
{
    char path[XRES_SCHEMA_PATH_MAX];

    if (!xres_schema_path(path, sizeof(path), id, domid, arg))
        sim_write_as(s, domid, path, val, strlen(val));
}

/* One report, as xres-agent writes it: the one record value. */
static void agent_report(sim *s, sim_dom *d)
{
    static const char version[] = "0.1.0-sim";
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char val[1024];     /* more than the record may hold (schema.tbl) */
    uint64_t total = d->cur_kb;
    uint64_t used = d->used_kb < total ? d->used_kb : total;
    unsigned pct = d->cpu_pct > 100 ? 100 : d->cpu_pct;

    memset(f, 0, sizeof(f));
    f[XS_POS_REPORT_SEQ].u64 = ++d->agent_seq;
    f[XS_POS_REPORT_VERSION].s = version;
    f[XS_POS_REPORT_VERSION].len = sizeof(version) - 1;
    f[XS_POS_REPORT_HEARTBEAT].u64 = s->now_ms;
    f[XS_POS_REPORT_HB_INTERVAL].u64 = XRES_SIM_AGENT_PERIOD_MS / 1000 * 5;
    f[XS_POS_REPORT_MEM_TOTAL].u64 = total;
    f[XS_POS_REPORT_MEM_AVAIL].u64 = total - used;
    f[XS_POS_REPORT_MEM_USED].u64 = used;
    f[XS_POS_REPORT_SWAP_USED].u64 = d->used_kb > total ? d->used_kb - total
                                                        : 0;
    f[XS_POS_REPORT_BALLOON_CUR].u64 = d->cur_kb;
    f[XS_POS_REPORT_BALLOON_TGT].u64 = d->target_kb;
    f[XS_POS_REPORT_CPU_PCT].u64 = pct;
    if (!xres_schema_format_record(XS_REPORT, f, val, sizeof(val)))
        agent_put(s, d->domid, XS_REPORT, NULL, val);
}

/* Answers the requests dom0 left under xres/request: release KB once the
 * balloon is within 1 MiB of KB (as xres-agent does; the daemon keeps the
 * time limit), everything else at once. */
static void agent_requests(xres_backend *b, sim_dom *d)
{
    sim *s = S(b);
    char dir[XRES_SCHEMA_PATH_MAX], path[XRES_SCHEMA_PATH_MAX], ack[160];
    char **names = NULL, *val = NULL;
    unsigned n = 0;
    size_t len;

    if (xres_schema_path(dir, sizeof(dir), XS_REQ_DIR, d->domid, NULL) ||
        sim_xs_directory(b, dir, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        xres_request req;
        bool done = true, ok = true;
        const char *detail = NULL;

        if (xres_schema_path(path, sizeof(path), XS_REPORT_ACK, d->domid,
                             names[i]) ||
            find_node(s, path))
            continue;                           /* answered already */
        if (xres_schema_path(path, sizeof(path), XS_REQ_ITEM, d->domid,
                             names[i]) ||
            sim_read_as(s, d->domid, path, &val, &len))
            continue;
        char msg[64];
        if (xres_schema_parse_request(val, len, &req, NULL, 0)) {
            ok = false;
            detail = "cannot parse the request";
        } else if (req.op == XRES_REQ_RELEASE) {
            /* As xres-agent: there within 1 MiB. */
            done = d->cur_kb <= req.kb + 1024;
            snprintf(msg, sizeof(msg), "balloon at %" PRIu64 " KiB",
                     d->cur_kb);
            detail = msg;
        }
        free(val);
        val = NULL;
        if (!done) continue;
        if (xres_schema_format_ack(ok, detail, ack, sizeof(ack)) >= 0)
            agent_put(s, d->domid, XS_REPORT_ACK, names[i], ack);
    }
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void agents_step(xres_backend *b)
{
    sim *s = S(b);

    for (size_t i = 0; i < s->nr_doms; i++) {
        sim_dom *d = &s->doms[i];
        if (!d->agent || d->paused || d->shutdown) continue;
        agent_requests(b, d);
        if (s->now_ms >= d->agent_next_ms) {
            agent_report(s, d);
            d->agent_next_ms = s->now_ms + XRES_SIM_AGENT_PERIOD_MS;
        }
    }
}

int xres_sim_set_agent(xres_backend *b, uint32_t domid, bool on,
                       uint64_t used_kb)
{
    sim *s = S(b);
    sim_dom *d = find_dom(s, domid);

    if (!d) return -ESRCH;
    if (domid == 0 && on) return -EINVAL;
    d->agent = on;
    d->used_kb = used_kb;
    /* The first report goes out at the next step. */
    d->agent_next_ms = s->now_ms;
    return 0;
}

void xres_sim_advance(xres_backend *b, uint64_t ms)
{
    /* Steps of at most 100 ms, so that balloons moving at the same time
     * interleave (one shrinking makes room for another growing). */
    while (ms) {
        uint64_t step = ms > 100 ? 100 : ms;
        advance_step(b, step);
        agents_step(b);
        ms -= step;
    }
}

void xres_sim_crash_domain(xres_backend *b, uint32_t domid)
{
    sim *s = S(b);
    sim_dom *d = find_dom(s, domid);
    xres_event ev;

    if (!d) return;
    d->shutdown = true;
    if (s->watch_domains) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = XRES_EV_DOMAIN_SHUTDOWN;
        ev.domid = domid;
        ev.reason = SHUTDOWN_REASON_CRASH;
        queue_event(s, &ev);
    }
    /* on_crash="destroy", as xl does by default. */
    destroy_dom(s, domid);
}

void xres_sim_set_cpu_time(xres_backend *b, uint32_t domid, uint64_t ns)
{
    sim_dom *d = find_dom(S(b), domid);

    if (d) d->cpu_time_ns = ns;
}

int xres_sim_set_reserved_kb(xres_backend *b, uint64_t kb)
{
    sim *s = S(b);

    if (used_kb(s) - s->reserved_kb + kb > s->total_kb) return -ENOMEM;
    s->reserved_kb = kb;
    return 0;
}

void xres_sim_set_cpu_load(xres_backend *b, uint32_t domid, unsigned pct)
{
    sim_dom *d = find_dom(S(b), domid);

    if (d) d->cpu_pct = pct > 100 ? 100 : pct;
}

int xres_sim_set_vcpus(xres_backend *b, uint32_t domid, unsigned vcpus)
{
    sim_dom *d = find_dom(S(b), domid);

    if (!d) return -ESRCH;
    if (!vcpus || vcpus > 512) return -EINVAL;
    d->vcpus = vcpus;
    if ((unsigned)d->cap > 100 * vcpus) d->cap = 100 * vcpus;
    return 0;
}

void xres_sim_unpause(xres_backend *b, uint32_t domid)
{
    sim_dom *d = find_dom(S(b), domid);

    if (d) d->paused = false;
}

void xres_sim_set_feature_balloon(xres_backend *b, uint32_t domid, bool on)
{
    xs_write_u64(S(b), XS_XEN_FEATURE_BALLOON, domid, on ? 1 : 0);
}

int xres_sim_xs_write_as(xres_backend *b, uint32_t as, const char *path,
                         const char *val)
{
    return sim_write_as(S(b), as, path, val, strlen(val));
}

int xres_sim_xs_read_as(xres_backend *b, uint32_t as, const char *path,
                        char **val)
{
    return sim_read_as(S(b), as, path, val, NULL);
}

int xres_sim_xs_rm_as(xres_backend *b, uint32_t as, const char *path)
{
    return sim_rm_as(S(b), as, path);
}

uint64_t xres_sim_events_dropped(xres_backend *b)
{
    return S(b)->ev_dropped;
}

/*----- scenarios -----*/

static int scen_size(XLU_Config *c, const char *key, uint64_t def,
                     uint64_t *out)
{
    const char *s;
    long v;

    *out = def;
    if (!xlu_cfg_get_long(c, key, &v, 1)) {
        if (v <= 0) return -EINVAL;
        *out = (uint64_t)v * 1024;
        return 0;
    }
    if (xlu_cfg_get_string(c, key, &s, 1)) return 0;
    return xres_parse_size_kb(s, 'm', out) ? -EINVAL : 0;
}

static int scen_domain(xres_backend *b, const char *spec, uint64_t def_rate,
                       char *err, size_t errlen, const char *file, int idx)
{
    char *copy = strdup(spec), *save = NULL, *tok;
    char name[XRES_NAME_MAX] = "";
    uint64_t mem = 0, maxmem = 0, rate = def_rate;
    unsigned long vcpus = 1, weight = 256, cap = 0, cpu = 0;
    bool refuses = false, balloon = true, agent = false;
    uint64_t used = 0;
    uint32_t domid;
    int rc = -EINVAL;

    if (!copy) return -ENOMEM;
    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *k, *v, *end;
        if (!eq) goto bad;
        *eq = 0;
        for (k = tok; isspace((unsigned char)*k); k++) {}
        for (end = eq; end > k && isspace((unsigned char)end[-1]); end--) {}
        *end = 0;
        for (v = eq + 1; isspace((unsigned char)*v); v++) {}
        for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]);
             end--) {}
        *end = 0;
        unsigned long ul = strtoul(v, &end, 10);
        bool num = isdigit((unsigned char)*v) && !*end;
        if (!strcmp(k, "name")) {
            if (!*v || strlen(v) >= sizeof(name)) goto bad;
            strcpy(name, v);
        } else if (!strcmp(k, "memory")) {
            if (xres_parse_size_kb(v, 'm', &mem)) goto bad;
        } else if (!strcmp(k, "maxmem")) {
            if (xres_parse_size_kb(v, 'm', &maxmem)) goto bad;
        } else if (!strcmp(k, "rate")) {
            if (xres_parse_size_kb(v, 'm', &rate)) goto bad;
        } else if (!strcmp(k, "used")) {
            if (xres_parse_size_kb(v, 'm', &used)) goto bad;
            agent = true;
        } else if (num && !strcmp(k, "vcpus")) vcpus = ul;
        else if (num && !strcmp(k, "weight")) weight = ul;
        else if (num && !strcmp(k, "cap")) cap = ul;
        else if (num && !strcmp(k, "cpu")) cpu = ul;
        else if (num && !strcmp(k, "refuses")) refuses = ul;
        else if (num && !strcmp(k, "balloon")) balloon = ul;
        else if (num && !strcmp(k, "agent")) agent = ul;
        else goto bad;
    }
    if (!name[0] || !mem) goto bad;
    rc = xres_sim_add_domain(b, name, mem, maxmem, &domid);
    if (rc) {
        snprintf(err, errlen, "%s: domains[%d] (%s): %s", file, idx, name,
                 rc == -ENOMEM ? "not enough free host memory"
                               : strerror(-rc));
        goto out;
    }
    xres_sim_set_balloon_rate(b, domid, rate);
    xres_sim_set_balloon_refuses(b, domid, refuses);
    if (!balloon) xres_sim_set_feature_balloon(b, domid, false);
    xres_sim_set_cpu_load(b, domid, cpu);
    if (agent && domid == 0) {
        snprintf(err, errlen, "%s: domains[%d] (%s): Domain-0 runs no "
                 "agent", file, idx, name);
        rc = -EINVAL;
        goto out;
    }
    if (agent) xres_sim_set_agent(b, domid, true, used ? used : mem / 2);
    rc = xres_sim_set_vcpus(b, domid, vcpus);
    if (!rc) rc = sim_set_sched(b, domid, weight, cap);
    if (rc) {
        snprintf(err, errlen, "%s: domains[%d] (%s): bad vcpus, weight or "
                 "cap", file, idx, name);
        goto out;
    }
    rc = 0;
    goto out;
bad:
    snprintf(err, errlen, "%s: domains[%d]: cannot parse \"%s\" (need "
             "name= and memory=; keys: maxmem vcpus weight cap rate "
             "refuses balloon cpu agent used)", file, idx, spec);
    rc = -EINVAL;
out:
    free(copy);
    return rc;
}

static const char *const default_scenario[] = {
    "name=Domain-0, memory=2G, vcpus=2, balloon=0",
    "name=g1, memory=1G, maxmem=2G, vcpus=2",
    "name=g2, memory=512M, maxmem=1G, vcpus=1",
};
/* The same host with an agent in each guest (xresd --simulate agents). */
static const char *const agents_scenario[] = {
    "name=Domain-0, memory=2G, vcpus=2, balloon=0",
    "name=g1, memory=1G, maxmem=2G, vcpus=2, used=900M, cpu=60",
    "name=g2, memory=512M, maxmem=1G, vcpus=1, used=128M, cpu=5",
};

int xres_sim_open_scenario(xres_backend *b, const char *path, char *err,
                           size_t errlen)
{
    XLU_Config *c = NULL;
    XLU_ConfigList *list = NULL;
    uint64_t total = 8ULL << 20, reserved = 0, rate = 0;
    long cpus = 2;
    int n = 0, rc;
    const char *const *builtin = NULL;
    const char *file = path ? path : "(built-in scenario)";

    b->ops = NULL;
    /* "agents", when no such file exists: the built-in host with an agent
     * in each guest. */
    if (!path) {
        builtin = default_scenario;
        n = sizeof(default_scenario) / sizeof(default_scenario[0]);
    } else if (!strcmp(path, "agents") && access(path, F_OK) < 0) {
        builtin = agents_scenario;
        n = sizeof(agents_scenario) / sizeof(agents_scenario[0]);
        file = "(built-in scenario with agents)";
    }
    if (!builtin) {
        c = xlu_cfg_init(stderr, path);
        if (!c) { rc = -ENOMEM; goto out; }
        if (access(path, R_OK) < 0) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        rc = xlu_cfg_readfile(c, path);
        if (rc) {
            snprintf(err, errlen, "%s: cannot parse (see above)", path);
            rc = -rc;
            goto out;
        }
        if (scen_size(c, "memory", total, &total) ||
            scen_size(c, "reserved", 0, &reserved) ||
            scen_size(c, "balloon_rate", 0, &rate)) {
            snprintf(err, errlen, "%s: memory, reserved and balloon_rate "
                     "are sizes like \"16G\"", path);
            rc = -EINVAL;
            goto out;
        }
        if (xlu_cfg_get_long(c, "cpus", &cpus, 1) == 0 &&
            (cpus < 1 || cpus > 4096)) {
            snprintf(err, errlen, "%s: cpus must be 1..4096", path);
            rc = -EINVAL;
            goto out;
        }
        if (xlu_cfg_get_list(c, "domains", &list, &n, 1) || n == 0) {
            snprintf(err, errlen, "%s: needs a domains = [ ... ] list",
                     path);
            rc = -EINVAL;
            goto out;
        }
    }
    rc = xres_backend_sim_open(b, total, (unsigned)cpus);
    if (rc) goto out;
    rc = xres_sim_set_reserved_kb(b, reserved);
    if (rc) {
        snprintf(err, errlen, "%s: reserved is above memory", file);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *spec = builtin ? builtin[i]
                                   : xlu_cfg_get_listitem(list, i);
        if (!spec) {
            snprintf(err, errlen, "%s: domains[%d] must be a string", file,
                     i);
            rc = -EINVAL;
            goto out;
        }
        rc = scen_domain(b, spec, rate ? rate : XRES_SIM_DEFAULT_RATE_KB,
                         err, errlen, file, i);
        if (rc) goto out;
    }
    /* Events from building the host are of no interest to anyone. */
    S(b)->ev_len = 0;
    rc = 0;
out:
    if (c) xlu_cfg_destroy(c);
    if (rc && b->ops) xres_backend_dispose(b);
    return rc;
}
