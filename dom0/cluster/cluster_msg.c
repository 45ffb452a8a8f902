/*
 * dom0/cluster/cluster_msg.c: the cluster's messages as JSON
 * (cluster_msg.h): writing them with yajl_gen, and reading another
 * host's with yajl_tree, field by field, within bounds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cluster_msg.h"

void xres_cluster_msg_init(xres_cluster_msg *m)
{
    memset(m, 0, sizeof(*m));
}

void xres_cluster_msg_dispose(xres_cluster_msg *m)
{
    free(m->fig);
    memset(m, 0, sizeof(*m));
}

bool xres_cluster_name_ok(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
              c == ':' || c == '@'))
            return false;
    }
    return n > 0 && n < XRES_CLUSTER_NAME_MAX;
}

static const char *const op_names[] = {
    [XRES_LOCK_REQUEST] = "request",
    [XRES_LOCK_GRANT] = "grant",
    [XRES_LOCK_RELEASE] = "release",
};

const char *xres_lock_op_name(xres_lock_op op)
{
    return op >= XRES_LOCK_REQUEST && op <= XRES_LOCK_RELEASE
        ? op_names[op] : "?";
}

static const char *const movable_names[] = {
    [XRES_CMOVE_UNKNOWN] = "unknown",
    [XRES_CMOVE_MOVABLE] = "movable",
    [XRES_CMOVE_PINNED] = "pinned",
    [XRES_CMOVE_PAIR] = "pair",
    [XRES_CMOVE_NOT_MIGRATABLE] = "not-migratable",
};

const char *xres_cluster_movable_name(xres_cluster_movable m)
{
    return m <= XRES_CMOVE_NOT_MIGRATABLE ? movable_names[m] : "?";
}

static int why(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int why(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int xres_cluster_figures_check(const xres_cluster_figures *f, char *err,
                               size_t errlen)
{
    const uint64_t tot = f->mem_total_kb;

    if (!xres_cluster_name_ok(f->host))
        return why(err, errlen, "host: not a host name");
    if (!f->nodeid) return why(err, errlen, "node: 0");
    if (!tot || tot > XRES_CLUSTER_MEM_MAX_KB)
        return why(err, errlen, "mem.total_kb: out of bounds");
    if (f->mem_free_kb > tot)
        return why(err, errlen, "mem.free_kb: above the total");
    if (f->mem_outstanding_kb > tot)
        return why(err, errlen, "mem.outstanding_kb: above the total");
    if (f->mem_domains_kb > tot)
        return why(err, errlen, "mem.domains_kb: above the total");
    if (f->mem_free_kb + f->mem_outstanding_kb > tot)
        return why(err, errlen, "mem: free and outstanding above the total");
    if (!f->nr_cpus || f->nr_cpus > XRES_CLUSTER_CPUS_MAX)
        return why(err, errlen, "cpu.count: out of bounds");
    if (f->cpu_allocable_pct > f->nr_cpus * 100)
        return why(err, errlen, "cpu.allocable_pct: above the host's CPUs");
    if (f->cpu_use_pct > 100 || f->mem_use_pct > 100)
        return why(err, errlen, "use: above 100%%");
    if (f->ndoms > XRES_CLUSTER_DOMS_MAX || f->npools > XRES_CLUSTER_POOLS_MAX
        || f->nconflicts > XRES_CLUSTER_CONFLICTS_MAX)
        return why(err, errlen, "too many entries");
    for (size_t i = 0; i < f->ndoms; i++) {
        const xres_cluster_dom *d = &f->doms[i];
        if (!xres_cluster_name_ok(d->name))
            return why(err, errlen, "domains[%zu].name: not a name", i);
        if (d->mem_kb > tot || d->max_kb > tot)
            return why(err, errlen, "domains[%zu]: memory above the host's",
                       i);
        if (!d->vcpus || d->vcpus > XRES_CLUSTER_VCPUS_MAX ||
            d->cpu_pct > d->vcpus * 100)
            return why(err, errlen, "domains[%zu]: CPU out of bounds", i);
        if (d->movable > XRES_CMOVE_NOT_MIGRATABLE)
            return why(err, errlen, "domains[%zu]: movable out of bounds", i);
    }
    for (size_t i = 0; i < f->npools; i++) {
        const xres_cluster_pool *p = &f->pools[i];
        if (!xres_cluster_name_ok(p->name))
            return why(err, errlen, "pools[%zu].name: not a name", i);
        if (p->size_kb > tot || p->held_kb > tot)
            return why(err, errlen, "pools[%zu]: above the host's memory", i);
    }
    for (size_t i = 0; i < f->nconflicts; i++)
        if (!xres_cluster_name_ok(f->conflicts[i]))
            return why(err, errlen, "conflicts[%zu]: not a name", i);
    return 0;
}

/*----- writing -----*/

static void kstr(yajl_gen g, const char *k, const char *v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void knum(yajl_gen g, const char *k, uint64_t v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_integer(g, (long long)v);
}

static void kopen(yajl_gen g, const char *k, bool array)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    if (array) yajl_gen_array_open(g);
    else yajl_gen_map_open(g);
}

static void gen_figures(yajl_gen g, const xres_cluster_figures *f)
{
    kstr(g, "host", f->host);
    knum(g, "node", f->nodeid);
    knum(g, "seq", f->seq);
    knum(g, "time_ms", f->time_ms);
    kopen(g, "mem", false);
    knum(g, "total_kb", f->mem_total_kb);
    knum(g, "free_kb", f->mem_free_kb);
    knum(g, "outstanding_kb", f->mem_outstanding_kb);
    knum(g, "domains_kb", f->mem_domains_kb);
    yajl_gen_map_close(g);
    kopen(g, "cpu", false);
    knum(g, "count", f->nr_cpus);
    knum(g, "allocable_pct", f->cpu_allocable_pct);
    yajl_gen_map_close(g);
    kopen(g, "use", false);
    knum(g, "cpu_pct", f->cpu_use_pct);
    knum(g, "mem_pct", f->mem_use_pct);
    yajl_gen_map_close(g);
    kstr(g, "method", f->live ? "live" : "save-restore");
    kopen(g, "domains", true);
    for (size_t i = 0; i < f->ndoms; i++) {
        const xres_cluster_dom *d = &f->doms[i];
        yajl_gen_map_open(g);
        kstr(g, "name", d->name);
        knum(g, "domid", d->domid);
        knum(g, "mem_kb", d->mem_kb);
        knum(g, "max_kb", d->max_kb);
        knum(g, "cpu_pct", d->cpu_pct);
        knum(g, "vcpus", d->vcpus);
        if (d->movable == XRES_CMOVE_MOVABLE) {
            yajl_gen_string(g, (const unsigned char *)"movable", 7);
            yajl_gen_bool(g, 1);
        } else if (d->movable != XRES_CMOVE_UNKNOWN) {
            kstr(g, "unmovable", xres_cluster_movable_name(d->movable));
        }
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    kopen(g, "pools", true);
    for (size_t i = 0; i < f->npools; i++) {
        yajl_gen_map_open(g);
        kstr(g, "name", f->pools[i].name);
        knum(g, "size_kb", f->pools[i].size_kb);
        knum(g, "held_kb", f->pools[i].held_kb);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    kopen(g, "conflicts", true);
    for (size_t i = 0; i < f->nconflicts; i++)
        yajl_gen_string(g, (const unsigned char *)f->conflicts[i],
                        strlen(f->conflicts[i]));
    yajl_gen_array_close(g);
}

int xres_cluster_msg_encode(const xres_cluster_msg *m, char **buf,
                            size_t *len)
{
    const unsigned char *out;
    yajl_gen g = NULL;
    size_t n;
    char err[128];
    int rc;

    *buf = NULL;
    if (m->type == XRES_CMSG_FIGURES &&
        (!m->fig || xres_cluster_figures_check(m->fig, err, sizeof(err)))) {
        rc = -EINVAL;
        goto out;
    }
    if (m->type == XRES_CMSG_LOCK &&
        (!xres_cluster_name_ok(m->lock) || !m->node ||
         m->op < XRES_LOCK_REQUEST || m->op > XRES_LOCK_RELEASE)) {
        rc = -EINVAL;
        goto out;
    }
    if (m->type != XRES_CMSG_FIGURES && m->type != XRES_CMSG_LOCK) {
        rc = -EINVAL;
        goto out;
    }
    if (!(g = yajl_gen_alloc(NULL))) { rc = -ENOMEM; goto out; }
    yajl_gen_map_open(g);
    knum(g, "v", XRES_CLUSTER_MSG_VERSION);
    if (m->type == XRES_CMSG_FIGURES) {
        kstr(g, "type", "figures");
        gen_figures(g, m->fig);
    } else {
        kstr(g, "type", "lock");
        kstr(g, "op", xres_lock_op_name(m->op));
        kstr(g, "lock", m->lock);
        knum(g, "node", m->node);
    }
    yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &out, &n) != yajl_gen_status_ok) {
        rc = -ENOMEM;
        goto out;
    }
    if (n > XRES_CLUSTER_MSG_MAX) { rc = -EMSGSIZE; goto out; }
    if (!(*buf = malloc(n + 1))) { rc = -ENOMEM; goto out; }
    memcpy(*buf, out, n);
    (*buf)[n] = '\0';
    *len = n;
    rc = 0;
out:
    if (g) yajl_gen_free(g);
    return rc;
}

/*----- reading -----*/

typedef struct {
    char *err;
    size_t errlen;
    int rc;
} rd;

static yajl_val field(rd *r, yajl_val o, const char *path, const char *k)
{
    const char *p[] = { k, NULL };
    yajl_val v = YAJL_IS_OBJECT(o) ? yajl_tree_get(o, p, yajl_t_any) : NULL;

    if (!v && !r->rc) r->rc = why(r->err, r->errlen, "%s%s: missing", path, k);
    return v;
}

static uint64_t num(rd *r, yajl_val o, const char *path, const char *k,
                    uint64_t max)
{
    yajl_val v = field(r, o, path, k);
    long long x;

    if (!v) return 0;
    if (!YAJL_IS_INTEGER(v) || (x = YAJL_GET_INTEGER(v)) < 0 ||
        (unsigned long long)x > max) {
        if (!r->rc)
            r->rc = why(r->err, r->errlen, "%s%s: not a number in 0..%llu",
                        path, k, (unsigned long long)max);
        return 0;
    }
    return (uint64_t)x;
}

static void str(rd *r, yajl_val o, const char *path, const char *k,
                char *dst)
{
    yajl_val v = field(r, o, path, k);

    if (!v) return;
    if (!YAJL_IS_STRING(v) || !xres_cluster_name_ok(v->u.string)) {
        if (!r->rc) r->rc = why(r->err, r->errlen, "%s%s: not a name", path, k);
        return;
    }
    snprintf(dst, XRES_CLUSTER_NAME_MAX, "%s", v->u.string);
}

static yajl_val array(rd *r, yajl_val o, const char *k, size_t max)
{
    yajl_val v = field(r, o, "", k);

    if (!v) return NULL;
    if (!YAJL_IS_ARRAY(v) || v->u.array.len > max) {
        if (!r->rc)
            r->rc = why(r->err, r->errlen, "%s: not a list of at most %zu", k,
                        max);
        return NULL;
    }
    return v;
}

/* The optional "movable":true or "unmovable":"WORD" of a domain; neither
 * is unknown (a sender older than the field). */
static xres_cluster_movable movable(rd *r, yajl_val e)
{
    const char *pm[] = { "movable", NULL }, *pu[] = { "unmovable", NULL };
    yajl_val m = YAJL_IS_OBJECT(e) ? yajl_tree_get(e, pm, yajl_t_any) : NULL;
    yajl_val u = YAJL_IS_OBJECT(e) ? yajl_tree_get(e, pu, yajl_t_any) : NULL;

    if (r->rc || (!m && !u)) return XRES_CMOVE_UNKNOWN;
    if (m && u) {
        r->rc = why(r->err, r->errlen, "domains[]: both movable and "
                    "unmovable");
        return XRES_CMOVE_UNKNOWN;
    }
    if (m) {
        if (!YAJL_IS_TRUE(m))
            r->rc = why(r->err, r->errlen, "domains[].movable: not true");
        return XRES_CMOVE_MOVABLE;
    }
    for (int i = XRES_CMOVE_PINNED; i <= XRES_CMOVE_NOT_MIGRATABLE; i++)
        if (YAJL_IS_STRING(u) && !strcmp(u->u.string, movable_names[i]))
            return (xres_cluster_movable)i;
    if (YAJL_IS_STRING(u) && !strcmp(u->u.string, "unknown"))
        return XRES_CMOVE_UNKNOWN;
    r->rc = why(r->err, r->errlen, "domains[].unmovable: not pinned, pair, "
                "not-migratable or unknown");
    return XRES_CMOVE_UNKNOWN;
}

static void read_figures(rd *r, yajl_val o, xres_cluster_figures *f)
{
    const uint64_t M = XRES_CLUSTER_MEM_MAX_KB;
    yajl_val mem = field(r, o, "", "mem"), cpu = field(r, o, "", "cpu");
    yajl_val use = field(r, o, "", "use"), a;
    const char *meth;

    str(r, o, "", "host", f->host);
    f->nodeid = (uint32_t)num(r, o, "", "node", UINT32_MAX);
    f->seq = num(r, o, "", "seq", INT64_MAX);
    f->time_ms = num(r, o, "", "time_ms", INT64_MAX);
    f->mem_total_kb = num(r, mem, "mem.", "total_kb", M);
    f->mem_free_kb = num(r, mem, "mem.", "free_kb", M);
    f->mem_outstanding_kb = num(r, mem, "mem.", "outstanding_kb", M);
    f->mem_domains_kb = num(r, mem, "mem.", "domains_kb", M);
    f->nr_cpus = (unsigned)num(r, cpu, "cpu.", "count", XRES_CLUSTER_CPUS_MAX);
    f->cpu_allocable_pct = (unsigned)num(r, cpu, "cpu.", "allocable_pct",
                                         XRES_CLUSTER_CPUS_MAX * 100);
    f->cpu_use_pct = (unsigned)num(r, use, "use.", "cpu_pct", 100);
    f->mem_use_pct = (unsigned)num(r, use, "use.", "mem_pct", 100);
    a = field(r, o, "", "method");
    meth = a && YAJL_IS_STRING(a) ? a->u.string : "";
    if (a && strcmp(meth, "live") && strcmp(meth, "save-restore") && !r->rc)
        r->rc = why(r->err, r->errlen, "method: not live or save-restore");
    f->live = !strcmp(meth, "live");
    if ((a = array(r, o, "domains", XRES_CLUSTER_DOMS_MAX))) {
        for (size_t i = 0; i < a->u.array.len && !r->rc; i++) {
            yajl_val e = a->u.array.values[i];
            xres_cluster_dom *d = &f->doms[f->ndoms++];
            str(r, e, "domains[].", "name", d->name);
            d->domid = (uint32_t)num(r, e, "domains[].", "domid", 0x7fef);
            d->mem_kb = num(r, e, "domains[].", "mem_kb", M);
            d->max_kb = num(r, e, "domains[].", "max_kb", M);
            d->cpu_pct = (unsigned)num(r, e, "domains[].", "cpu_pct",
                                       XRES_CLUSTER_VCPUS_MAX * 100);
            d->vcpus = (unsigned)num(r, e, "domains[].", "vcpus",
                                     XRES_CLUSTER_VCPUS_MAX);
            d->movable = movable(r, e);
        }
    }
    if ((a = array(r, o, "pools", XRES_CLUSTER_POOLS_MAX))) {
        for (size_t i = 0; i < a->u.array.len && !r->rc; i++) {
            yajl_val e = a->u.array.values[i];
            xres_cluster_pool *p = &f->pools[f->npools++];
            str(r, e, "pools[].", "name", p->name);
            p->size_kb = num(r, e, "pools[].", "size_kb", M);
            p->held_kb = num(r, e, "pools[].", "held_kb", M);
        }
    }
    if ((a = array(r, o, "conflicts", XRES_CLUSTER_CONFLICTS_MAX))) {
        for (size_t i = 0; i < a->u.array.len && !r->rc; i++) {
            yajl_val e = a->u.array.values[i];
            if (!YAJL_IS_STRING(e) || !xres_cluster_name_ok(e->u.string))
                r->rc = why(r->err, r->errlen, "conflicts[%zu]: not a name", i);
            else
                snprintf(f->conflicts[f->nconflicts++], XRES_CLUSTER_NAME_MAX,
                         "%s", e->u.string);
        }
    }
    if (!r->rc) r->rc = xres_cluster_figures_check(f, r->err, r->errlen);
}

static void read_lock(rd *r, yajl_val o, xres_cluster_msg *m)
{
    yajl_val op = field(r, o, "", "op");
    const char *s = op && YAJL_IS_STRING(op) ? op->u.string : "";

    m->op = 0;
    for (int i = XRES_LOCK_REQUEST; i <= XRES_LOCK_RELEASE; i++)
        if (!strcmp(s, op_names[i])) m->op = (xres_lock_op)i;
    if (op && !m->op && !r->rc)
        r->rc = why(r->err, r->errlen, "op: not request, grant or release");
    str(r, o, "", "lock", m->lock);
    m->node = (uint32_t)num(r, o, "", "node", UINT32_MAX);
    if (!r->rc && !m->node) r->rc = why(r->err, r->errlen, "node: 0");
}

int xres_cluster_msg_parse(const void *buf, size_t len, xres_cluster_msg *m,
                           char *err, size_t errlen)
{
    rd r = { err, errlen, 0 };
    char *text = NULL, perr[128];
    yajl_val root = NULL, v, t;
    const char *ts;

    xres_cluster_msg_init(m);
    if (errlen) err[0] = '\0';
    if (len > XRES_CLUSTER_MSG_MAX) {
        why(err, errlen, "%zu bytes: at most %d", len, XRES_CLUSTER_MSG_MAX);
        r.rc = -EMSGSIZE;
        goto out;
    }
    if (memchr(buf, 0, len)) {
        r.rc = why(err, errlen, "a NUL byte in the message");
        goto out;
    }
    if (!(text = malloc(len + 1))) { r.rc = -ENOMEM; goto out; }
    memcpy(text, buf, len);
    text[len] = '\0';
    if (!(root = yajl_tree_parse(text, perr, sizeof(perr))) ||
        !YAJL_IS_OBJECT(root)) {
        r.rc = why(err, errlen, "not a JSON object");
        goto out;
    }
    v = field(&r, root, "", "v");
    if (v && (!YAJL_IS_INTEGER(v) ||
              YAJL_GET_INTEGER(v) != XRES_CLUSTER_MSG_VERSION)) {
        r.rc = why(err, errlen, "version: not %d", XRES_CLUSTER_MSG_VERSION);
        goto out;
    }
    t = field(&r, root, "", "type");
    if (r.rc) goto out;
    ts = YAJL_IS_STRING(t) ? t->u.string : "";
    if (!strcmp(ts, "figures")) {
        m->type = XRES_CMSG_FIGURES;
        if (!(m->fig = calloc(1, sizeof(*m->fig)))) {
            r.rc = -ENOMEM;
            goto out;
        }
        read_figures(&r, root, m->fig);
    } else if (!strcmp(ts, "lock")) {
        m->type = XRES_CMSG_LOCK;
        read_lock(&r, root, m);
    } else {
        r.rc = why(err, errlen, "type: not figures or lock");
    }
out:
    if (r.rc) xres_cluster_msg_dispose(m);
    if (root) yajl_tree_free(root);
    free(text);
    return r.rc;
}
