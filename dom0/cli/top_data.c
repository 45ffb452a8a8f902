/*
 * dom0/cli/top_data.c: `xres top`'s rows from xresd's replies (list,
 * sched-list, pair-list, mem-moves) into the plain structs of top_view.h,
 * and the sort orders of the domains.  No socket, no terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "top_view.h"

void xres_top_data_init(xres_top_data *d)
{
    memset(d, 0, sizeof(*d));
    d->nr_cpus = -1;
}

void xres_top_data_dispose(xres_top_data *d)
{
    free(d->doms);
    free(d->pairs);
    free(d->moves);
    xres_top_data_init(d);
}

static void copy_str(char *dst, size_t len, yajl_val o, const char *key,
                     const char *def)
{
    const char *s = xres_json_get_str(o, key);

    snprintf(dst, len, "%s", s && *s ? s : def);
}

static bool get_num(yajl_val o, const char *key, double *out)
{
    yajl_val v = xres_json_get(o, key);

    if (!v || !YAJL_IS_NUMBER(v)) return false;
    *out = YAJL_IS_DOUBLE(v) ? YAJL_GET_DOUBLE(v)
                             : (double)YAJL_GET_INTEGER(v);
    return true;
}

static long long get_int_or(yajl_val o, const char *key, long long def)
{
    long long v;

    return xres_json_get_int(o, key, &v) ? def : v;
}

static uint64_t get_kb(yajl_val o, const char *key)
{
    uint64_t v;

    return xres_json_get_u64(o, key, &v) ? 0 : v;
}

/* Fills one row of size sz from o; false leaves o out. */
typedef bool (*row_fn)(void *row, yajl_val o);

/* Replaces *rows (n of them) with a row for each element of the array
 * under key.  0, -EINVAL (no such array: *rows unchanged) or -ENOMEM. */
static int take_rows(yajl_val reply, const char *key, size_t sz,
                     row_fn row, void **rows, size_t *n)
{
    yajl_val arr = xres_json_get(reply, key);
    char *v = NULL;
    size_t k = 0;

    if (!arr || !YAJL_IS_ARRAY(arr)) return -EINVAL;
    if (arr->u.array.len && !(v = calloc(arr->u.array.len, sz)))
        return -ENOMEM;
    for (size_t i = 0; i < arr->u.array.len; i++)
        if (row(v + k * sz, arr->u.array.values[i])) k++;
    free(*rows);
    *rows = v;
    *n = k;
    return 0;
}

static bool dom_of(void *row, yajl_val o)
{
    xres_top_dom *r = row;
    uint64_t used;

    copy_str(r->name, sizeof(r->name), o, "name", "-");
    r->domid = get_int_or(o, "domid", -1);
    r->cur_kb = get_kb(o, "cur_kb");
    r->target_kb = get_kb(o, "target_kb");
    r->has_used = !xres_json_get_u64(o, "used_kb", &used);
    r->used_kb = r->has_used ? used : 0;
    r->has_cpu = get_num(o, "cpu_use_pct", &r->cpu_pct);
    r->weight = get_int_or(o, "weight", -1);
    r->cap = get_int_or(o, "cap", -1);
    copy_str(r->state, sizeof(r->state), o, "state", "?");
    copy_str(r->pair, sizeof(r->pair), o, "pair", "");
    copy_str(r->role, sizeof(r->role), o, "pair_role", "");
    return true;
}

int xres_top_data_list(xres_top_data *d, yajl_val reply)
{
    void *v = d->doms;
    int rc = take_rows(reply, "domains", sizeof(xres_top_dom), dom_of, &v,
                       &d->ndoms);

    d->doms = v;
    if (rc) return rc;
    copy_str(d->xen_version, sizeof(d->xen_version), reply, "xen_version",
             "?");
    copy_str(d->scheduler, sizeof(d->scheduler), reply, "scheduler", "?");
    d->nr_cpus = get_int_or(reply, "nr_cpus", -1);
    d->total_kb = get_kb(reply, "total_kb");
    d->free_kb = get_kb(reply, "free_kb");
    return 0;
}

int xres_top_data_sched(xres_top_data *d, yajl_val reply)
{
    d->has_load = get_num(reply, "load_pct", &d->load_pct) &&
                  get_num(reply, "max_pct", &d->max_pct);
    return 0;
}

static bool pair_of(void *row, yajl_val o)
{
    xres_top_pair *r = row;
    yajl_val fo = xres_json_get(o, "failover");
    char kind[XRES_TOP_WORD], step[XRES_TOP_WORD];

    copy_str(r->name, sizeof(r->name), o, "name", "?");
    copy_str(r->active, sizeof(r->active), o, "active_name", "-");
    copy_str(r->standby, sizeof(r->standby), o, "standby_name", "-");
    copy_str(r->state, sizeof(r->state), o, "state", "?");
    r->failover[0] = '\0';
    if (!fo || !YAJL_IS_OBJECT(fo)) return true;
    copy_str(kind, sizeof(kind), fo, "kind", "?");
    copy_str(step, sizeof(step), fo, "step", "?");
    snprintf(r->failover, sizeof(r->failover), "%s %s %lld/%lld", kind,
             step, get_int_or(fo, "step_index", 0) + 1,
             get_int_or(fo, "steps", 0));
    return true;
}

int xres_top_data_pairs(xres_top_data *d, yajl_val reply)
{
    void *v = d->pairs;
    int rc = take_rows(reply, "pairs", sizeof(xres_top_pair), pair_of, &v,
                       &d->npairs);

    d->pairs = v;
    return rc;
}

static bool move_of(void *row, yajl_val o)
{
    xres_top_move *m = row;

    /* Moves that ended carry their result: not in flight. */
    if (xres_json_get(o, "result")) return false;
    m->id = get_kb(o, "id");
    m->kb = get_kb(o, "kb");
    copy_str(m->state, sizeof(m->state), o, "state", "?");
    copy_str(m->src, sizeof(m->src), o, "src", "-");
    copy_str(m->dst, sizeof(m->dst), o, "dst", "-");
    copy_str(m->origin, sizeof(m->origin), o, "origin", "?");
    return true;
}

int xres_top_data_moves(xres_top_data *d, yajl_val reply)
{
    void *v = d->moves;
    int rc = take_rows(reply, "moves", sizeof(xres_top_move), move_of, &v,
                       &d->nmoves);

    d->moves = v;
    return rc;
}

static const struct { xres_top_sort s; const char *name; } sorts[] = {
    { XRES_TOP_SORT_ID, "id" }, { XRES_TOP_SORT_NAME, "name" },
    { XRES_TOP_SORT_MEM, "memory" }, { XRES_TOP_SORT_TARGET, "target" },
    { XRES_TOP_SORT_USED, "used" }, { XRES_TOP_SORT_CPU, "cpu" },
    { XRES_TOP_SORT_WEIGHT, "weight" },
};

bool xres_top_sort_key(int key)
{
    return strcmp(xres_top_sort_name((xres_top_sort)key), "?") != 0;
}

const char *xres_top_sort_name(xres_top_sort s)
{
    for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++)
        if (sorts[i].s == s) return sorts[i].name;
    return "?";
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

/* Negative when a comes first. */
static int cmp_dom(const void *pa, const void *pb, void *arg)
{
    const xres_top_dom *a = pa, *b = pb;
    xres_top_sort s = *(const xres_top_sort *)arg;
    int c = 0;

    switch (s) {
    case XRES_TOP_SORT_ID: break;
    case XRES_TOP_SORT_NAME: c = strcmp(a->name, b->name); break;
    case XRES_TOP_SORT_MEM: c = cmp_u64(b->cur_kb, a->cur_kb); break;
    case XRES_TOP_SORT_TARGET: c = cmp_u64(b->target_kb, a->target_kb); break;
    case XRES_TOP_SORT_USED:
        /* Without an agent's figure: last. */
        c = a->has_used != b->has_used ? b->has_used - a->has_used
            : cmp_u64(b->used_kb, a->used_kb);
        break;
    case XRES_TOP_SORT_CPU:
        c = a->has_cpu != b->has_cpu ? b->has_cpu - a->has_cpu
            : (b->cpu_pct > a->cpu_pct) - (b->cpu_pct < a->cpu_pct);
        break;
    case XRES_TOP_SORT_WEIGHT:
        c = (b->weight > a->weight) - (b->weight < a->weight);
        break;
    }
    return c ? c : (a->domid > b->domid) - (a->domid < b->domid);
}

void xres_top_sort_doms(xres_top_data *d, xres_top_sort s, bool reverse)
{
    if (!d->ndoms) return;
    qsort_r(d->doms, d->ndoms, sizeof(d->doms[0]), cmp_dom, &s);
    if (!reverse) return;
    for (size_t i = 0, j = d->ndoms - 1; i < j; i++, j--) {
        xres_top_dom t = d->doms[i];
        d->doms[i] = d->doms[j];
        d->doms[j] = t;
    }
}
