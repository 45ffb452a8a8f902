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

/* The array under key, as a fresh array of n elements of size sz. */
static int array_of(yajl_val reply, const char *key, size_t sz,
                    yajl_val *arr, void **out)
{
    *arr = xres_json_get(reply, key);
    *out = NULL;
    if (!*arr || !YAJL_IS_ARRAY(*arr)) return -EINVAL;
    if (!(*arr)->u.array.len) return 0;
    *out = calloc((*arr)->u.array.len, sz);
    return *out ? 0 : -ENOMEM;
}

static void dom_of(xres_top_dom *r, yajl_val o)
{
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
}

int xres_top_data_list(xres_top_data *d, yajl_val reply)
{
    yajl_val arr;
    void *v;
    int rc = array_of(reply, "domains", sizeof(xres_top_dom), &arr, &v);

    if (rc) return rc;
    free(d->doms);
    d->doms = v;
    d->ndoms = arr->u.array.len;
    for (size_t i = 0; i < d->ndoms; i++)
        dom_of(&d->doms[i], arr->u.array.values[i]);
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

static void pair_of(xres_top_pair *r, yajl_val o)
{
    yajl_val fo = xres_json_get(o, "failover");
    char kind[XRES_TOP_WORD], step[XRES_TOP_WORD];

    copy_str(r->name, sizeof(r->name), o, "name", "?");
    copy_str(r->active, sizeof(r->active), o, "active_name", "-");
    copy_str(r->standby, sizeof(r->standby), o, "standby_name", "-");
    copy_str(r->state, sizeof(r->state), o, "state", "?");
    r->failover[0] = '\0';
    if (!fo || !YAJL_IS_OBJECT(fo)) return;
    copy_str(kind, sizeof(kind), fo, "kind", "?");
    copy_str(step, sizeof(step), fo, "step", "?");
    snprintf(r->failover, sizeof(r->failover), "%s %s %lld/%lld", kind,
             step, get_int_or(fo, "step_index", 0) + 1,
             get_int_or(fo, "steps", 0));
}

int xres_top_data_pairs(xres_top_data *d, yajl_val reply)
{
    yajl_val arr;
    void *v;
    int rc = array_of(reply, "pairs", sizeof(xres_top_pair), &arr, &v);

    if (rc) return rc;
    free(d->pairs);
    d->pairs = v;
    d->npairs = arr->u.array.len;
    for (size_t i = 0; i < d->npairs; i++)
        pair_of(&d->pairs[i], arr->u.array.values[i]);
    return 0;
}

int xres_top_data_moves(xres_top_data *d, yajl_val reply)
{
    yajl_val arr;
    void *v;
    int rc = array_of(reply, "moves", sizeof(xres_top_move), &arr, &v);

    if (rc) return rc;
    free(d->moves);
    d->moves = v;
    d->nmoves = 0;
    for (size_t i = 0; i < arr->u.array.len; i++) {
        yajl_val o = arr->u.array.values[i];
        xres_top_move *m = &d->moves[d->nmoves];

        /* Moves that ended carry their result: not in flight. */
        if (xres_json_get(o, "result")) continue;
        m->id = get_kb(o, "id");
        m->kb = get_kb(o, "kb");
        copy_str(m->state, sizeof(m->state), o, "state", "?");
        copy_str(m->src, sizeof(m->src), o, "src", "-");
        copy_str(m->dst, sizeof(m->dst), o, "dst", "-");
        copy_str(m->origin, sizeof(m->origin), o, "origin", "?");
        d->nmoves++;
    }
    return 0;
}

bool xres_top_sort_key(int key)
{
    return key == 'i' || key == 'n' || key == 'm' || key == 't' ||
           key == 'u' || key == 'c' || key == 'w';
}

const char *xres_top_sort_name(xres_top_sort s)
{
    switch (s) {
    case XRES_TOP_SORT_ID: return "id";
    case XRES_TOP_SORT_NAME: return "name";
    case XRES_TOP_SORT_MEM: return "memory";
    case XRES_TOP_SORT_TARGET: return "target";
    case XRES_TOP_SORT_USED: return "used";
    case XRES_TOP_SORT_CPU: return "cpu";
    case XRES_TOP_SORT_WEIGHT: return "weight";
    }
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
