/*
 * tests/unit/pair_world.c: the fake host of the pair tests (pair_world.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair_store.h"
#include "pair_world.h"

static world *W(xres_backend *b) { return b->priv; }

wdom *world_dom(world *w, uint32_t domid)
{
    for (int i = 0; i < W_DOMS; i++)
        if (w->doms[i].exists && w->doms[i].domid == domid)
            return &w->doms[i];
    return NULL;
}

uint64_t world_free(const world *w)
{
    uint64_t used = 0;

    for (int i = 0; i < W_DOMS; i++)
        if (w->doms[i].exists) used += w->doms[i].cur;
    return w->total_kb - used;
}

static int w_snapshot(xres_backend *b, xres_host *h)
{
    world_snapshot(W(b), h);
    return 0;
}

static int w_set_target(xres_backend *b, uint32_t domid, uint64_t kb)
{
    world *w = W(b);
    wdom *d = world_dom(w, domid);

    if (!d) return -ENOENT;
    if (kb > d->smax) return -EINVAL;       /* as libxl with enforce */
    if (domid == w->watch_standby && kb > d->target) {
        wdom *a = world_dom(w, w->watch_active);
        w->active_cur_at_engage = a ? a->cur : 0;
    }
    d->target = kb;
    w->nexec++;
    return 0;
}

static int w_set_maxmem(xres_backend *b, uint32_t domid, uint64_t kb)
{
    world *w = W(b);
    wdom *d = world_dom(w, domid);

    if (!d) return -ENOENT;
    if (kb < d->target) return -EINVAL;     /* as libxl */
    d->smax = kb;
    w->nexec++;
    return 0;
}

static int w_set_sched(xres_backend *b, uint32_t domid, int weight, int cap)
{
    world *w = W(b);
    wdom *d = world_dom(w, domid);

    if (!d) return -ENOENT;
    if (weight >= 0) d->weight = weight;
    if (cap >= 0) d->cap = cap;
    w->nexec++;
    return 0;
}

static int w_destroy(xres_backend *b, uint32_t domid)
{
    world *w = W(b);
    wdom *d = world_dom(w, domid);

    if (!d) return -ENOENT;
    d->exists = false;
    w->nexec++;
    return 0;
}

static int w_pause(xres_backend *b, uint32_t domid)
{
    world *w = W(b);
    wdom *d = world_dom(w, domid);

    if (!d) return -ENOENT;
    d->paused = true;
    w->nexec++;
    return 0;
}

static wkv *kv_find(world *w, const char *path)
{
    for (unsigned i = 0; i < w->nkv; i++)
        if (!strcmp(w->kv[i].path, path)) return &w->kv[i];
    return NULL;
}

static int w_xs_read(xres_backend *b, const char *path, char **val,
                     size_t *len)
{
    wkv *k = kv_find(W(b), path);

    if (!k) return -ENOENT;
    *val = strdup(k->val);
    if (!*val) return -ENOMEM;
    if (len) *len = strlen(k->val);
    return 0;
}

static int w_xs_write(xres_backend *b, const char *path, const char *val,
                      size_t len)
{
    world *w = W(b);
    wkv *k = kv_find(w, path);

    if (len >= 4096) return -E2BIG;
    if (!k) {
        if (w->nkv == W_KV) return -ENOSPC;
        k = &w->kv[w->nkv++];
        snprintf(k->path, sizeof(k->path), "%s", path);
        k->val = NULL;
    }
    free(k->val);
    k->val = strndup(val, len);
    return k->val ? 0 : -ENOMEM;
}

static int w_xs_rm(xres_backend *b, const char *path)
{
    world *w = W(b);
    size_t n = strlen(path);

    for (unsigned i = 0; i < w->nkv;) {
        if (!strncmp(w->kv[i].path, path, n) &&
            (w->kv[i].path[n] == 0 || w->kv[i].path[n] == '/')) {
            free(w->kv[i].val);
            w->kv[i] = w->kv[--w->nkv];
        } else {
            i++;
        }
    }
    return 0;
}

static int w_xs_mkdir(xres_backend *b, const char *path)
{
    (void)b; (void)path;
    return 0;
}

static int w_xs_directory(xres_backend *b, const char *path, char ***names,
                          unsigned *n)
{
    world *w = W(b);
    size_t pl = strlen(path);
    char **v = calloc(W_KV, sizeof(*v));
    unsigned k = 0;

    if (!v) return -ENOMEM;
    for (unsigned i = 0; i < w->nkv; i++) {
        const char *p = w->kv[i].path;
        if (strncmp(p, path, pl) || p[pl] != '/') continue;
        const char *s = p + pl + 1, *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        bool dup = false;
        for (unsigned j = 0; j < k; j++)
            if (strlen(v[j]) == len && !strncmp(v[j], s, len)) dup = true;
        if (!dup) v[k++] = strndup(s, len);
    }
    *names = v;
    *n = k;
    return 0;
}

static int w_xs_set_perms(xres_backend *b, const char *path,
                          const xres_perm_entry *perms, unsigned n)
{
    (void)b; (void)path; (void)perms; (void)n;
    return 0;
}

static void w_dispose(xres_backend *b) { (void)b; }

static const xres_backend_ops world_ops = {
    .name = "world",
    .snapshot = w_snapshot,
    .set_target = w_set_target,
    .set_maxmem = w_set_maxmem,
    .set_sched = w_set_sched,
    .destroy = w_destroy,
    .pause = w_pause,
    .xs_read = w_xs_read,
    .xs_write = w_xs_write,
    .xs_rm = w_xs_rm,
    .xs_mkdir = w_xs_mkdir,
    .xs_directory = w_xs_directory,
    .xs_set_perms = w_xs_set_perms,
    .dispose = w_dispose,
};

void world_init(world *w, uint64_t total_kb)
{
    memset(w, 0, sizeof(*w));
    w->b.ops = &world_ops;
    w->b.priv = w;
    w->total_kb = total_kb;
    w->now_ms = 1000;
    /* Domain-0 */
    world_add(w, "Domain-0", 1024 * 1024, 1024 * 1024);
}

void world_dispose(world *w)
{
    for (unsigned i = 0; i < w->nkv; i++) free(w->kv[i].val);
    w->nkv = 0;
}

wdom *world_add(world *w, const char *name, uint64_t mem_kb,
                uint64_t smax_kb)
{
    static uint32_t next;
    uint32_t domid = 0;

    for (int i = 0; i < W_DOMS; i++)
        if (w->doms[i].exists && w->doms[i].domid >= domid)
            domid = w->doms[i].domid + 1;
    (void)next;
    for (int i = 0; i < W_DOMS; i++) {
        wdom *d = &w->doms[i];
        if (d->exists) continue;
        memset(d, 0, sizeof(*d));
        d->exists = true;
        d->domid = domid;
        snprintf(d->name, sizeof(d->name), "%s", name);
        d->cur = d->target = mem_kb;
        d->smax = smax_kb;
        d->weight = 256;
        d->cap = 0;
        d->heartbeat_ms = w->now_ms;
        return d;
    }
    return NULL;
}

static void app_set(wdom *d, const char *app, bool run)
{
    for (unsigned i = 0; i < d->napps; i++)
        if (!strcmp(d->apps[i], app)) {
            if (!run) {
                d->apps[i][0] = 0;
                d->fault[i] = 0;
            }
            return;
        }
    if (run && d->napps < W_APPS) {
        snprintf(d->apps[d->napps], XRES_PAIR_NAME_MAX, "%s", app);
        d->fault[d->napps] = 0;
        d->napps++;
    }
}

void world_app_start(world *w, uint32_t domid, const char *app)
{
    wdom *d = world_dom(w, domid);
    if (d) app_set(d, app, true);
}

bool world_app_running(world *w, uint32_t domid, const char *app)
{
    wdom *d = world_dom(w, domid);

    if (!d || d->shutdown || d->paused) return false;
    for (unsigned i = 0; i < d->napps; i++)
        if (!strcmp(d->apps[i], app)) return true;
    return false;
}

void world_fault(world *w, uint32_t domid, const char *app, unsigned lvl)
{
    wdom *d = world_dom(w, domid);

    if (!d) return;
    for (unsigned i = 0; i < d->napps; i++)
        if (!strcmp(d->apps[i], app)) {
            d->fault[i] = lvl;
            d->fault_seq[i] = w->now_ms;
        }
}

/* The agents: answer each request not yet seen. */
static void agents(world *w)
{
    for (unsigned i = 0; i < w->nkv; i++) {
        uint32_t domid;
        uint64_t seq;
        int off = 0;
        bool seen = false;
        wdom *d;

        if (sscanf(w->kv[i].path, "/local/domain/%" SCNu32
                   "/xres/request/%" SCNu64 "%n", &domid, &seq, &off) != 2 ||
            w->kv[i].path[off])
            continue;
        d = world_dom(w, domid);
        if (!d || d->shutdown || d->paused || d->dying) continue;
        for (unsigned j = 0; j < w->nreqs; j++)
            if (w->reqs[j].domid == domid && w->reqs[j].seq == seq)
                seen = true;
        if (seen || w->nreqs == W_REQS) continue;
        wreq *r = &w->reqs[w->nreqs++];
        r->domid = domid;
        r->seq = seq;
        snprintf(r->val, sizeof(r->val), "%s", w->kv[i].val);

        char op[16] = "", app[40] = "";
        sscanf(r->val, "%15s %39s", op, app);
        if (!strcmp(op, "start")) app_set(d, app, true);
        else if (!strcmp(op, "stop")) app_set(d, app, false);
        if (d->silent_op[0] && !strcmp(op, d->silent_op)) continue;
        if (d->nacks < XRES_PAIR_ACKS_MAX) {
            d->acks[d->nacks].seq = seq;
            d->acks[d->nacks].rc = 0;
            d->nacks++;
        }
    }
}

void world_settle(world *w, uint64_t ms)
{
    w->now_ms += ms;
    /* Shrinks first, so growth finds the freed memory. */
    for (int i = 0; i < W_DOMS; i++) {
        wdom *d = &w->doms[i];
        if (!d->exists || d->refuses || d->shutdown || d->paused) continue;
        if (d->cur > d->target) d->cur = d->target;
    }
    for (int i = 0; i < W_DOMS; i++) {
        wdom *d = &w->doms[i];
        uint64_t fr = world_free(w), want;
        if (!d->exists || d->refuses || d->shutdown || d->paused) continue;
        if (d->cur >= d->target) continue;
        want = d->target - d->cur;
        d->cur += want < fr ? want : fr;
    }
    agents(w);
    for (int i = 0; i < W_DOMS; i++) {
        wdom *d = &w->doms[i];
        if (d->exists && !d->shutdown && !d->paused)
            d->heartbeat_ms = w->now_ms;
    }
}

void world_snapshot(world *w, xres_host *h)
{
    xres_host_dispose(h);
    xres_host_init(h);
    h->total_kb = w->total_kb;
    h->free_kb = world_free(w);
    h->nr_cpus = 2;
    h->sched = XRES_SCHED_CREDIT;
    h->now_ms = w->now_ms;
    for (int i = 0; i < W_DOMS; i++) {
        wdom *d = &w->doms[i];
        xres_domain *x;
        if (!d->exists) continue;
        x = xres_host_add_domain(h, d->domid);
        snprintf(x->name, sizeof(x->name), "%s", d->name);
        x->cur_kb = d->cur;
        x->target_kb = d->target;
        x->static_max_kb = d->smax;
        x->xen_max_kb = d->smax + 1024;
        x->weight = d->weight;
        x->cap = d->cap;
        x->running = !d->paused && !d->shutdown;
        x->paused = d->paused;
        x->shutdown = d->shutdown;
        x->dying = d->dying;
        x->agent.valid = true;
        x->agent.heartbeat_ms = d->heartbeat_ms;
    }
}

static void guest_obs(world *w, uint32_t domid, xres_pair_guest_obs *g)
{
    wdom *d = world_dom(w, domid);

    memset(g, 0, sizeof(*g));
    if (!d) return;
    g->nacks = d->nacks;
    memcpy(g->acks, d->acks, sizeof(g->acks));
    for (unsigned i = 0; i < d->napps && g->napps < XRES_PAIR_APPS_MAX; i++) {
        if (!d->apps[i][0]) continue;
        xres_pair_app_obs *o = &g->apps[g->napps++];
        snprintf(o->name, sizeof(o->name), "%s", d->apps[i]);
        o->running = d->fault[i] == 0;
        o->fault_level = d->fault[i];
        o->fault_seq = d->fault_seq[i];
    }
}

void world_obs(world *w, const xres_pair *p, xres_pair_obs *obs)
{
    guest_obs(w, p->active, &obs->active);
    guest_obs(w, p->standby, &obs->standby);
}

unsigned world_count_req(world *w, uint32_t domid, const char *op,
                         const char *app)
{
    unsigned n = 0;
    size_t ol = strlen(op), al = strlen(app);

    for (unsigned i = 0; i < w->nreqs; i++) {
        const char *v = w->reqs[i].val;
        if (w->reqs[i].domid != domid) continue;
        if (strncmp(v, op, ol) || v[ol] != ' ') continue;
        if (strncmp(v + ol + 1, app, al) ||
            (v[ol + 1 + al] && v[ol + 1 + al] != ' '))
            continue;
        n++;
    }
    return n;
}

int world_exec(void *ctx, const xres_action *act)
{
    world *w = ctx;
    xres_backend *b = &w->b;
    char path[128], val[XRES_ACT_ARG_MAX + 24];
    int rc;

    switch (act->kind) {
    case XRES_ACT_SET_TARGET:
        return b->ops->set_target(b, act->domid, act->u.mem.kb);
    case XRES_ACT_SET_MAXMEM:
        return b->ops->set_maxmem(b, act->domid, act->u.mem.kb);
    case XRES_ACT_SET_SCHED:
        return b->ops->set_sched(b, act->domid, act->u.sched.weight,
                                 act->u.sched.cap);
    case XRES_ACT_DESTROY:
    case XRES_ACT_PAUSE:
        rc = act->kind == XRES_ACT_DESTROY ? b->ops->destroy(b, act->domid)
                                           : b->ops->pause(b, act->domid);
        return rc == -ENOENT || rc == -ESRCH ? 0 : rc;   /* fenced */
    case XRES_ACT_AGENT_REQUEST:
        snprintf(path, sizeof(path), "/local/domain/%" PRIu32
                 "/xres/request/%" PRIu64, act->domid, act->u.req.seq);
        snprintf(val, sizeof(val), "%s %s", act->u.req.op, act->u.req.arg);
        return b->ops->xs_write(b, path, val, strlen(val));
    default:
        return 0;
    }
}

int world_drive(world *w, xres_pair *p, const xres_host *snap,
                const xres_pair_obs *obs, unsigned *nacts,
                world_crash_fn crash, void *opaque)
{
    xres_actions acts;
    xres_pair before, stepped;
    int rc, erc_store;

    xres_actions_init(&acts);
    if (nacts) *nacts = 0;
    do {
        before = *p;
        xres_actions_clear(&acts);
        rc = xres_pair_step(p, snap, obs, w->now_ms, 1, &acts, &stepped);
        /* As xresd: steps finished on the way to the action are stored
         * before it is carried out. */
        if (acts.n && (stepped.fo.kind != before.fo.kind ||
                       stepped.fo.pos != before.fo.pos)) {
            if ((erc_store = xres_pair_store_save_state(&w->b, &stepped))) {
                *p = before;
                rc = erc_store;
                break;
            }
            before = stepped;
            if (crash && !crash(opaque, true)) { rc = -EINTR; break; }
        }
        if (acts.n) {
            int erc = world_exec(w, &acts.v[0]);
            if (erc) {
                *p = before;            /* retried next time */
                rc = erc;
                break;
            }
            if (nacts) (*nacts)++;
            if (crash && !crash(opaque, false)) { rc = -EINTR; break; }
        } else if (rc != XRES_FO_FINISHED && p->fo.pos == before.fo.pos) {
            break;
        }
        if ((erc_store = xres_pair_store_save_state(&w->b, p))) {
            rc = erc_store;
            break;
        }
        if (crash && !crash(opaque, true)) { rc = -EINTR; break; }
    } while (rc == XRES_FO_ACT);
    xres_actions_dispose(&acts);
    return rc;
}
