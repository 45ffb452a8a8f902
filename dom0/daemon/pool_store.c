/*
 * dom0/daemon/pool_store.c: a pool's record in XenStore (pool_priv.h):
 * its spec and state as one JSON object at
 * /local/domain/0/xres/pools/NAME, rewritten whole (one XenStore write is
 * atomic) before the actions of a step run, so that a restarted xresd
 * resumes each pool where it was.  What a pool holds is not in it: that
 * is Xen's claims on the pool's placeholders.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "log.h"
#include "pool_priv.h"
#include "xs_schema.h"

static void kv_pairs(yajl_gen g, const char *key, unsigned n,
                     const void *base, size_t stride, size_t off_a,
                     size_t off_b, bool a32)
{
    xres_json_str(g, key);
    yajl_gen_array_open(g);
    for (unsigned i = 0; i < n; i++) {
        const char *e = (const char *)base + i * stride;
        uint64_t a, b;
        if (a32) {
            uint32_t v;
            memcpy(&v, e + off_a, sizeof(v));
            a = v;
        } else {
            memcpy(&a, e + off_a, sizeof(a));
        }
        memcpy(&b, e + off_b, sizeof(b));
        yajl_gen_array_open(g);
        yajl_gen_integer(g, (long long)a);
        yajl_gen_integer(g, (long long)b);
        yajl_gen_array_close(g);
    }
    yajl_gen_array_close(g);
}

static void kv_ms_from_now(yajl_gen g, const char *key, uint64_t t,
                           uint64_t now)
{
    if (t == UINT64_MAX || !t) {
        xres_json_kv_null(g, key);
        return;
    }
    xres_json_kv_int(g, key, (long long)t - (long long)now);
}

void xres_pool_json(yajl_gen g, const xres_pool *p, uint64_t now,
                    bool record)
{
    const xres_pool_spec *s = &p->spec;
    const xres_pool_state *st = &p->st;

    yajl_gen_map_open(g);
    xres_json_kv_str(g, "name", s->name);
    xres_json_kv_str(g, "phase", xres_pool_phase_name(st->phase));
    xres_json_kv_u64(g, "size_kb", s->size_kb);
    xres_json_kv_u64(g, "step_kb", s->step_kb);
    xres_json_kv_u64(g, "every_ms", s->every_ms);
    xres_json_kv_u64(g, "priority", s->priority);
    xres_json_kv_bool(g, "start_when_full", s->start_when_full);
    xres_json_kv_str(g, "on_short", xres_pool_short_name(s->on_short));
    xres_json_kv_u64(g, "stall_rounds", s->stall_rounds);
    xres_json_kv_str(g, "config", s->config);
    xres_json_kv_str(g, "domain", s->domain);
    xres_json_kv_u64(g, "config_mem_kb", s->config_mem_kb);
    xres_json_kv_bool(g, "at_risk", st->at_risk);
    xres_json_kv_u64(g, "stalled", st->stalled);
    xres_json_kv_u64(g, "give_kb", st->give_kb);
    xres_json_kv_str(g, "message", st->msg);
    if (record) {
        xres_json_kv_u64(g, "deadline_ms", s->deadline_ms);
        xres_json_kv_bool(g, "from_config", s->from_config);
        xres_json_kv_u64(g, "next_round_ms", st->next_round_ms);
        xres_json_kv_u64(g, "next_sample_ms", st->next_sample_ms);
        xres_json_kv_u64(g, "next_piece", st->next_piece);
        xres_json_kv_bool(g, "start_asked", st->start_asked);
        xres_json_kv_bool(g, "delete_asked", st->delete_asked);
        xres_json_kv_bool(g, "round", st->round);
        xres_json_kv_u64(g, "round_kb", st->round_kb);
        xres_json_kv_u64(g, "round_free_kb", st->round_free_kb);
        xres_json_kv_u64(g, "round_ms", st->round_ms);
        xres_json_kv_bool(g, "warned_stall", st->warned_stall);
        xres_json_kv_u64(g, "forecast_ms", st->forecast_ms);
        xres_json_kv_u64(g, "dom_target_kb", st->dom_target_kb);
        xres_json_kv_u64(g, "handover_ms", st->handover_ms);
        xres_json_kv_u64(g, "domid", st->domid);
        kv_pairs(g, "hist", st->nr_hist, st->hist, sizeof(st->hist[0]),
                 offsetof(xres_pool_sample, t_ms),
                 offsetof(xres_pool_sample, held_kb), false);
    } else {
        xres_json_kv_u64(g, "held_kb", p->held_kb);
        xres_json_kv_u64(g, "pieces", p->pieces);
        xres_json_kv_u64(g, "queue", p->queue_pos);
        bool open = st->phase == XRES_POOL_GATHERING ||
            st->phase == XRES_POOL_FULL;
        kv_ms_from_now(g, "deadline_in_ms", open ? s->deadline_ms : 0, now);
        kv_ms_from_now(g, "forecast_in_ms", st->phase == XRES_POOL_GATHERING
                       ? st->forecast_ms : 0, now);
        xres_json_kv_bool(g, "forecast_never", st->forecast_ms == UINT64_MAX);
        if (st->domid != XRES_DOMID_INVALID)
            xres_json_kv_u64(g, "domid", st->domid);
        else
            xres_json_kv_null(g, "domid");
        xres_json_kv_u64(g, "round_kb", st->round ? st->round_kb : 0);
        xres_json_str(g, "history");
        yajl_gen_array_open(g);
        for (unsigned i = 0; i < st->nr_hist; i++) {
            yajl_gen_array_open(g);
            yajl_gen_integer(g, (long long)st->hist[i].t_ms - (long long)now);
            yajl_gen_integer(g, (long long)st->hist[i].held_kb);
            yajl_gen_array_close(g);
        }
        yajl_gen_array_close(g);
    }
    kv_pairs(g, "donors", st->round ? st->nr_donors : 0, st->donors,
             sizeof(st->donors[0]), offsetof(xres_pool_donor, domid),
             offsetof(xres_pool_donor, to_kb), true);
    kv_pairs(g, "frozen", st->nr_frozen, st->frozen, sizeof(st->frozen[0]),
             offsetof(xres_pool_frozen, domid),
             offsetof(xres_pool_frozen, old_kb), true);
    yajl_gen_map_close(g);
}

int xres_pool_save(xres_daemon *d, const xres_pool *p)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    int rc;

    if (!g) return -ENOMEM;
    xres_pool_json(g, p, 0, true);
    yajl_gen_get_buf(g, &buf, &len);
    rc = xres_xs_put(d, XS_POOL_RECORD, 0, p->spec.name, (const char *)buf);
    if (rc) XLOG_ERR("pool %s: cannot save its state: %s", p->spec.name,
                     strerror(-rc));
    yajl_gen_free(g);
    return rc;
}

void xres_pool_forget(xres_daemon *d, const char *name)
{
    xres_xs_del(d, XS_POOL_RECORD, 0, name);
}

static uint64_t u64(yajl_val o, const char *k)
{
    uint64_t v = 0;

    xres_json_get_u64(o, k, &v);
    return v;
}

static void str(yajl_val o, const char *k, char *buf, size_t len)
{
    const char *s = xres_json_get_str(o, k);

    snprintf(buf, len, "%s", s ? s : "");
}

/* An array of [a, b] pairs, into n entries of stride bytes. */
static unsigned pairs(yajl_val o, const char *k, unsigned max, void *base,
                      size_t stride, size_t off_a, size_t off_b, bool a32)
{
    yajl_val a = xres_json_get(o, k);
    unsigned n = 0;

    if (!YAJL_IS_ARRAY(a)) return 0;
    for (size_t i = 0; i < a->u.array.len && n < max; i++) {
        yajl_val e = a->u.array.values[i];
        if (!YAJL_IS_ARRAY(e) || e->u.array.len != 2 ||
            !YAJL_IS_INTEGER(e->u.array.values[0]) ||
            !YAJL_IS_INTEGER(e->u.array.values[1]))
            continue;
        char *p = (char *)base + n * stride;
        uint64_t va = (uint64_t)YAJL_GET_INTEGER(e->u.array.values[0]);
        uint64_t vb = (uint64_t)YAJL_GET_INTEGER(e->u.array.values[1]);
        if (a32) {
            uint32_t v = (uint32_t)va;
            memcpy(p + off_a, &v, sizeof(v));
        } else {
            memcpy(p + off_a, &va, sizeof(va));
        }
        memcpy(p + off_b, &vb, sizeof(vb));
        n++;
    }
    return n;
}

static int parse(const char *name, const char *text, xres_pool *p,
                 char *err, size_t errlen)
{
    yajl_val o = yajl_tree_parse(text, err, errlen);
    xres_pool_spec *s = &p->spec;
    xres_pool_state *st = &p->st;
    const char *w;
    int rc = -EINVAL;

    memset(p, 0, sizeof(*p));
    if (!YAJL_IS_OBJECT(o)) goto out;
    str(o, "name", s->name, sizeof(s->name));
    s->size_kb = u64(o, "size_kb");
    s->step_kb = u64(o, "step_kb");
    s->every_ms = u64(o, "every_ms");
    s->priority = (unsigned)u64(o, "priority");
    s->deadline_ms = u64(o, "deadline_ms");
    s->start_when_full = xres_json_get_bool(o, "start_when_full", false);
    w = xres_json_get_str(o, "on_short");
    if (!w || xres_pool_short_parse(w, &s->on_short)) goto out;
    s->stall_rounds = (unsigned)u64(o, "stall_rounds");
    s->from_config = xres_json_get_bool(o, "from_config", false);
    str(o, "config", s->config, sizeof(s->config));
    str(o, "domain", s->domain, sizeof(s->domain));
    s->config_mem_kb = u64(o, "config_mem_kb");
    if (strcmp(s->name, name) ||
        xres_pool_spec_check(s, err, errlen)) {
        if (!err[0]) snprintf(err, errlen, "its name is not %s", name);
        goto out;
    }
    w = xres_json_get_str(o, "phase");
    st->phase = XRES_POOL_FAILED + 1;
    for (int k = 0; w && k <= XRES_POOL_FAILED; k++)
        if (!strcmp(w, xres_pool_phase_name((xres_pool_phase)k)))
            st->phase = (xres_pool_phase)k;
    if (st->phase > XRES_POOL_FAILED) {
        snprintf(err, errlen, "unknown phase");
        goto out;
    }
    st->next_round_ms = u64(o, "next_round_ms");
    st->next_sample_ms = u64(o, "next_sample_ms");
    st->next_piece = (unsigned)u64(o, "next_piece");
    st->start_asked = xres_json_get_bool(o, "start_asked", false);
    st->delete_asked = xres_json_get_bool(o, "delete_asked", false);
    st->round = xres_json_get_bool(o, "round", false);
    st->round_kb = u64(o, "round_kb");
    st->round_free_kb = u64(o, "round_free_kb");
    st->round_ms = u64(o, "round_ms");
    st->stalled = (unsigned)u64(o, "stalled");
    st->warned_stall = xres_json_get_bool(o, "warned_stall", false);
    st->at_risk = xres_json_get_bool(o, "at_risk", false);
    st->forecast_ms = u64(o, "forecast_ms");
    st->give_kb = u64(o, "give_kb");
    st->dom_target_kb = u64(o, "dom_target_kb");
    st->handover_ms = u64(o, "handover_ms");
    st->domid = (uint32_t)u64(o, "domid");
    str(o, "message", st->msg, sizeof(st->msg));
    st->nr_hist = pairs(o, "hist", XRES_POOL_HIST, st->hist,
                        sizeof(st->hist[0]), offsetof(xres_pool_sample, t_ms),
                        offsetof(xres_pool_sample, held_kb), false);
    st->nr_donors = pairs(o, "donors", XRES_POOL_DONORS, st->donors,
                          sizeof(st->donors[0]),
                          offsetof(xres_pool_donor, domid),
                          offsetof(xres_pool_donor, to_kb), true);
    st->nr_frozen = pairs(o, "frozen", XRES_POOL_FROZEN_MAX, st->frozen,
                          sizeof(st->frozen[0]),
                          offsetof(xres_pool_frozen, domid),
                          offsetof(xres_pool_frozen, old_kb), true);
    rc = 0;
out:
    yajl_tree_free(o);
    return rc;
}

void xres_pool_load_all(xres_daemon *d, pool_sys *ps)
{
    char path[XRES_SCHEMA_PATH_MAX], **names = NULL, err[256];
    unsigned n = 0;

    if (xres_schema_path(path, sizeof(path), XS_POOLS_DIR, 0, NULL) ||
        d->be->ops->xs_directory(d->be, path, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        char *val = NULL;
        err[0] = '\0';
        if (ps->n == XRES_POOLS_MAX || !xres_pool_name_ok(names[i])) {
            XLOG_ERR("pool record %s/%s: left alone (%s)", path, names[i],
                     ps->n == XRES_POOLS_MAX ? "too many pools" : "bad name");
        } else if (!xres_xs_get(d, XS_POOL_RECORD, 0, names[i], &val, NULL)) {
            xres_pool *p = &ps->pools[ps->n];
            if (!parse(names[i], val, p, err, sizeof(err))) {
                ps->n++;
                xres_log(LOG_NOTICE, "pool %s: resumed, %s", names[i],
                            xres_pool_phase_name(p->st.phase));
            } else {
                XLOG_ERR("pool record %s/%s does not parse (%s); left for "
                         "the operator", path, names[i], err);
            }
        }
        free(val);
        free(names[i]);
    }
    free(names);
}
