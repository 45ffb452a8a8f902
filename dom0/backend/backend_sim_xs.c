/*
 * dom0/backend/backend_sim_xs.c: the simulator's XenStore -- a tree of
 * nodes with permissions, quotas and watches -- and its event queue
 * (watches, domain shutdown and death), behind the backend's xs_* ops.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_sim_priv.h"

/*----- events -----*/

void sim_queue_event(sim *s, const xres_event *ev)
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
    sim_queue_event(s, &ev);
}

/* a is at or below b. */
static bool at_or_below(const char *a, const char *b)
{
    size_t n = strlen(b);

    return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

/* A change at path fires watches at or above it; a removal also fires
 * watches below it. */
void sim_fire(sim *s, const char *path, bool removal)
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

sim_node *sim_find_node(sim *s, const char *path)
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
        if ((n = sim_find_node(s, buf))) return n;
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
int sim_create_node(sim *s, uint32_t as, const char *path,
                       sim_node **out)
{
    char buf[SIM_PATH_MAX];
    sim_node *parent, *n;
    size_t len = strlen(path);

    if ((n = sim_find_node(s, path))) { *out = n; return 0; }
    parent = nearest(s, path);
    if (as && parent && !(perm_of(parent, as) & XRES_PERM_WRITE))
        return -EACCES;
    if (as && owned_by(s, as) >= XRES_SIM_XS_QUOTA) return -EDQUOT;
    /* Create each missing component in turn. */
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        memcpy(buf, path, i);
        buf[i] = 0;
        if (sim_find_node(s, buf)) continue;
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
    *out = sim_find_node(s, path);
    return 0;
}

int sim_write_as(sim *s, uint32_t as, const char *path,
                        const char *val, size_t len)
{
    sim_node *n;
    int rc;

    if (!path_ok(path)) return -EINVAL;
    if (len > XRES_SIM_XS_VALUE_MAX) return -E2BIG;
    n = sim_find_node(s, path);
    if (n && as && !(perm_of(n, as) & XRES_PERM_WRITE)) return -EACCES;
    if (!n) {
        rc = sim_create_node(s, as, path, &n);
        if (rc) return rc;
    }
    char *v = malloc(len + 1);
    if (!v) return -ENOMEM;
    memcpy(v, val, len);
    v[len] = 0;
    free(n->val);
    n->val = v;
    n->len = len;
    sim_fire(s, path, false);
    return 0;
}

int sim_read_as(sim *s, uint32_t as, const char *path, char **val,
                       size_t *len)
{
    sim_node *n = sim_find_node(s, path);

    if (!n) return -ENOENT;
    if (as && !(perm_of(n, as) & XRES_PERM_READ)) return -EACCES;
    *val = malloc(n->len + 1);
    if (!*val) return -ENOMEM;
    memcpy(*val, n->val, n->len + 1);
    if (len) *len = n->len;
    return 0;
}

int sim_rm_as(sim *s, uint32_t as, const char *path)
{
    sim_node *n = sim_find_node(s, path);

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
    sim_fire(s, path, true);
    return 0;
}

int sim_set_perms(sim *s, const char *path, const xres_perm_entry *perms,
                     unsigned np)
{
    sim_node *n = sim_find_node(s, path);
    xres_perm_entry *v;

    if (!n) return -ENOENT;
    if (np == 0) return -EINVAL;
    v = malloc(np * sizeof(*v));
    if (!v) return -ENOMEM;
    memcpy(v, perms, np * sizeof(*v));
    free(n->perms);
    n->perms = v;
    n->nperms = np;
    sim_fire(s, path, false);
    return 0;
}

int sim_xs_write_str(sim *s, const char *path, const char *val)
{
    return sim_write_as(s, 0, path, val, strlen(val));
}

/* Paths of the toolstack's layout come from the schema (XS_*); the
 * directories above them, which libxl creates and xres never names, are
 * their parents. */
int sim_schema_path(char *buf, size_t len, xres_schema_id id,
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

int sim_xs_write_u64(sim *s, xres_schema_id id, uint32_t domid,
                        uint64_t v)
{
    char path[XRES_SCHEMA_PATH_MAX], val[32];
    int rc = sim_schema_path(path, sizeof(path), id, domid, 0);

    if (rc) return rc;
    snprintf(val, sizeof(val), "%" PRIu64, v);
    return sim_xs_write_str(s, path, val);
}

/* Reads a value the way the real backend does: through the schema
 * (u64 rows as numbers, enum rows as the index of their word). */
uint64_t sim_xs_read_u64(sim *s, xres_schema_id id, uint32_t domid,
                            uint64_t def)
{
    char path[XRES_SCHEMA_PATH_MAX], *val = NULL;
    const xres_schema_row *row = xres_schema_row_get(id);
    uint64_t v = def;
    unsigned e;
    size_t len;

    if (sim_schema_path(path, sizeof(path), id, domid, 0)) return def;
    if (sim_read_as(s, 0, path, &val, &len)) return def;
    if (row && row->type == XS_T_ENUM) {
        if (!xres_schema_parse_enum(id, val, len, &e, NULL, 0)) v = e;
    } else if (xres_schema_parse_u64(id, val, len, &v, NULL, 0)) {
        v = def;
    }
    free(val);
    return v;
}

/*----- the backend's XenStore and event ops -----*/

int sim_xs_read(xres_backend *b, const char *path, char **val,
                       size_t *len)
{
    return sim_read_as(S(b), 0, path, val, len);
}

int sim_xs_write(xres_backend *b, const char *path, const char *val,
                        size_t len)
{
    return sim_write_as(S(b), 0, path, val, len);
}

int sim_xs_rm(xres_backend *b, const char *path)
{
    return sim_rm_as(S(b), 0, path);
}

int sim_xs_mkdir(xres_backend *b, const char *path)
{
    sim *s = S(b);
    sim_node *n;
    int rc;

    if (!path_ok(path)) return -EINVAL;
    if (sim_find_node(s, path)) return 0;
    rc = sim_create_node(s, 0, path, &n);
    if (!rc) sim_fire(s, path, false);
    return rc;
}

int sim_xs_directory(xres_backend *b, const char *path, char ***names,
                            unsigned *nr)
{
    sim *s = S(b);
    size_t plen = strlen(path);
    char **v = NULL;
    unsigned n = 0;

    if (!sim_find_node(s, path)) return -ENOENT;
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

int sim_xs_set_perms(xres_backend *b, const char *path,
                            const xres_perm_entry *perms, unsigned n)
{
    return sim_set_perms(S(b), path, perms, n);
}

int sim_xs_watch(xres_backend *b, const char *path, const char *token)
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

int sim_xs_unwatch(xres_backend *b, const char *path,
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

int sim_watch_domains(xres_backend *b)
{
    S(b)->watch_domains = true;
    return 0;
}

int sim_poll_fds(xres_backend *b, int *fds, unsigned max,
                        unsigned *n)
{
    sim *s = S(b);

    *n = 0;
    if (s->efd >= 0 && *n < max) fds[(*n)++] = s->efd;
    if (s->tfd >= 0 && *n < max) fds[(*n)++] = s->tfd;
    return 0;
}

int sim_next_event(xres_backend *b, xres_event *ev)
{
    sim *s = S(b);
    uint64_t v;

    sim_catch_up(b);
    if (!s->ev_len) {
        ev->kind = XRES_EV_NONE;
        if (s->efd >= 0 && read(s->efd, &v, sizeof(v)) < 0) {}
        if (s->tfd >= 0 && read(s->tfd, &v, sizeof(v)) < 0) {}
        return 0;
    }
    *ev = s->ev[s->ev_head];
    s->ev_head = (s->ev_head + 1) % s->ev_cap;
    s->ev_len--;
    return 0;
}

/*----- controls (backend_sim.h) -----*/

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

void sim_xs_dispose(sim *s)
{
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
    free(s->ev);
    if (s->efd >= 0) close(s->efd);
}
