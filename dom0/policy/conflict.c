/*
 * dom0/policy/conflict.c: resource-conflict detection on the cluster's
 * hosts (conflict.h): each host's use against T_server and its domains'
 * against T_vm, the sustain count, and where each domain runs.
 */
#include <stdio.h>
#include <string.h>

#include "conflict.h"

void xres_conflict_params_default(xres_conflict_params *p)
{
    memset(p, 0, sizeof(*p));
    p->mode = XRES_CMODE_HOST;
    p->t_server[XRES_RES_CPU] = 80;
    p->t_server[XRES_RES_MEM] = 90;
    p->tvm = XRES_TVM_UP_N;
    p->resources = XRES_RES_BIT(XRES_RES_CPU);
    p->combine = XRES_COMBINE_ANY;
    p->sustain = XRES_CONFLICT_SUSTAIN_DEFAULT;
}

unsigned xres_conflict_t_server(const xres_conflict_params *p,
                                const char *host, xres_res r)
{
    for (size_t i = 0; i < p->nhosts; i++)
        if (!strcmp(p->hosts[i].host, host) && p->hosts[i].t_server[r])
            return p->hosts[i].t_server[r];
    return p->t_server[r];
}

static const char *const mode_names[] = {
    [XRES_CMODE_OFF] = "off",
    [XRES_CMODE_HOST] = "host",
    [XRES_CMODE_CENTRAL] = "central",
    [XRES_CMODE_DECENTRAL] = "decentralised",
};

const char *xres_conflict_mode_name(xres_conflict_mode m)
{
    return m <= XRES_CMODE_DECENTRAL ? mode_names[m] : "?";
}

/*----- what the policies see -----*/

void xres_conflict_obs_of_view(const xres_cluster_view *v,
                               xres_conflict_obs *o)
{
    memset(o, 0, sizeof(*o));
    o->self = v->self;
    for (size_t i = 0; i < v->n; i++) {
        const xres_cluster_member *m = &v->m[i];
        if (m->state != XRES_MEMBER_MEMBER) continue;
        if (!o->decider || m->nodeid < o->decider) o->decider = m->nodeid;
        if (m->fig && !xres_cview_stale(v, m) && o->n < XRES_CLUSTER_NODES_MAX)
            o->fig[o->n++] = m->fig;
    }
    for (size_t i = 0; i < v->nlocks && i < XRES_CLUSTER_LOCKS_MAX; i++) {
        memcpy(o->locks[i].name, v->locks[i].name, sizeof(o->locks[i].name));
        o->locks[i].holder = v->locks[i].holder;
        o->nlocks++;
    }
}

const xres_cluster_figures *xres_conflict_obs_fig(const xres_conflict_obs *o,
                                                  uint32_t node)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->fig[i]->nodeid == node) return o->fig[i];
    return NULL;
}

uint32_t xres_conflict_obs_holder(const xres_conflict_obs *o,
                                  const char *lock)
{
    for (size_t i = 0; i < o->nlocks; i++)
        if (!strcmp(o->locks[i].name, lock)) return o->locks[i].holder;
    return 0;
}

/*----- use -----*/

unsigned xres_conflict_host_use(const xres_cluster_figures *f, xres_res r)
{
    unsigned pct = r == XRES_RES_CPU ? f->cpu_use_pct : f->mem_use_pct;

    return (pct > 100 ? 100 : pct) * 100;
}

unsigned xres_conflict_dom_use(const xres_cluster_figures *f,
                               const xres_cluster_dom *d, xres_res r)
{
    uint64_t u;

    if (r == XRES_RES_CPU)
        u = f->nr_cpus ? (uint64_t)d->cpu_pct * 100 / f->nr_cpus : XRES_CP_MAX;
    else
        u = f->mem_total_kb ? d->mem_kb * XRES_CP_MAX / f->mem_total_kb
                            : XRES_CP_MAX;
    return u > XRES_CP_MAX ? XRES_CP_MAX : (unsigned)u;
}

unsigned xres_conflict_guests(const xres_cluster_figures *f)
{
    unsigned n = 0;

    for (size_t i = 0; i < f->ndoms; i++)
        if (f->doms[i].domid) n++;
    return n;
}

/*----- one host -----*/

static unsigned t_vm(const xres_conflict_params *p, unsigned up, unsigned n)
{
    unsigned share = n ? up / n : up, k = p->tvm_value * 100;

    switch (p->tvm) {
    case XRES_TVM_STATIC: return k;
    case XRES_TVM_UP_N: return share;
    case XRES_TVM_UP_N_K: return share > k ? share - k : 0;
    }
    return share;
}

/* The resources on which d is at or over T_vm. */
static unsigned busy_bits(const xres_cluster_figures *f,
                          const xres_cluster_dom *d, const xres_conflict_host *h,
                          unsigned res)
{
    unsigned bits = 0;

    for (int r = 0; r < XRES_RES_N; r++)
        if ((res & XRES_RES_BIT(r)) &&
            xres_conflict_dom_use(f, d, (xres_res)r) >= h->t_vm[r])
            bits |= XRES_RES_BIT(r);
    return bits;
}

static void judge(const xres_conflict_params *p, const xres_cluster_figures *f,
                  xres_conflict_host *h)
{
    const unsigned res = p->resources & XRES_RES_BOTH;
    unsigned nbusy[XRES_RES_N] = { 0, 0 }, nall = 0;

    memset(h, 0, sizeof(*h));
    h->node = f->nodeid;
    memcpy(h->host, f->host, sizeof(h->host));
    h->guests = xres_conflict_guests(f);
    for (int r = 0; r < XRES_RES_N; r++) {
        if (!(res & XRES_RES_BIT(r))) continue;
        h->up[r] = xres_conflict_host_use(f, (xres_res)r);
        h->t_server[r] = xres_conflict_t_server(p, f->host, (xres_res)r) * 100;
        h->t_vm[r] = t_vm(p, h->up[r], h->guests);
        if (h->up[r] >= h->t_server[r]) h->over |= XRES_RES_BIT(r);
    }
    for (size_t i = 0; i < f->ndoms; i++) {
        unsigned b;
        if (!f->doms[i].domid) continue;
        b = busy_bits(f, &f->doms[i], h, res);
        for (int r = 0; r < XRES_RES_N; r++)
            if (b & XRES_RES_BIT(r)) nbusy[r]++;
        if (b == res) nall++;
    }
    for (int r = 0; r < XRES_RES_N; r++)
        if ((h->over & XRES_RES_BIT(r)) && nbusy[r] >= 2)
            h->in_conflict |= XRES_RES_BIT(r);
    if (p->combine == XRES_COMBINE_ALL)
        h->conflict = h->over == res && nall >= 2;
    else
        h->conflict = h->in_conflict != 0;
    if (p->combine == XRES_COMBINE_ALL && h->conflict) h->in_conflict = res;
    if (!h->conflict) return;
    for (size_t i = 0; i < f->ndoms && h->nbusy < XRES_CONFLICT_BUSY_MAX;
         i++) {
        unsigned b;
        if (!f->doms[i].domid) continue;
        b = busy_bits(f, &f->doms[i], h, res);
        if (p->combine == XRES_COMBINE_ALL ? b == res : (b & h->in_conflict))
            memcpy(h->busy[h->nbusy++], f->doms[i].name, sizeof(h->busy[0]));
    }
}

/*----- the state -----*/

void xres_conflict_state_init(xres_conflict_state *st)
{
    memset(st, 0, sizeof(*st));
}

static xres_conflict_hstate *hstate(xres_conflict_state *st, uint32_t node)
{
    for (size_t i = 0; i < st->nh; i++)
        if (st->h[i].node == node) return &st->h[i];
    return NULL;
}

static xres_conflict_track *track(xres_conflict_state *st, const char *dom)
{
    for (size_t i = 0; i < st->nt; i++)
        if (!strcmp(st->t[i].dom, dom)) return &st->t[i];
    return NULL;
}

/* A slot for dom: a free one, or the one seen longest ago. */
static xres_conflict_track *track_new(xres_conflict_state *st,
                                      const char *dom)
{
    xres_conflict_track *t;

    if (st->nt < XRES_CONFLICT_TRACK_MAX) {
        t = &st->t[st->nt++];
    } else {
        t = &st->t[0];
        for (size_t i = 1; i < st->nt; i++)
            if (st->t[i].seen_ms < t->seen_ms) t = &st->t[i];
    }
    memset(t, 0, sizeof(*t));
    snprintf(t->dom, sizeof(t->dom), "%s", dom);
    return t;
}

static bool runs_on(const xres_cluster_figures *f, const char *dom)
{
    for (size_t i = 0; f && i < f->ndoms; i++)
        if (!strcmp(f->doms[i].name, dom)) return true;
    return false;
}

static void restart_run(xres_conflict_state *st, uint32_t node)
{
    xres_conflict_hstate *h = hstate(st, node);

    if (h) h->run = 0;
}

void xres_conflict_record_move(xres_conflict_state *st, const char *dom,
                               uint32_t from, uint32_t to, uint64_t now_ms)
{
    xres_conflict_track *t = track(st, dom);

    (void)to;                   /* its place follows from the figures */
    if (!t) {
        t = track_new(st, dom);
        t->node = from;
    }
    t->seen_ms = now_ms;
    t->moved = true;
    t->moved_ms = now_ms;
    restart_run(st, from);
}

void xres_conflict_restore_move(xres_conflict_state *st, const char *dom,
                                uint32_t node, uint64_t moved_ms)
{
    xres_conflict_track *t;

    if (track(st, dom)) return;
    t = track_new(st, dom);
    t->node = node;
    t->seen_ms = moved_ms;
    t->moved = true;
    t->moved_ms = moved_ms;
}

bool xres_conflict_held_down(const xres_conflict_state *st, const char *dom,
                             uint64_t hold_ms, uint64_t now_ms,
                             uint64_t *ago_ms)
{
    const xres_conflict_track *t = track((xres_conflict_state *)st, dom);

    if (!t || !t->moved) return false;
    *ago_ms = now_ms > t->moved_ms ? now_ms - t->moved_ms : 0;
    return *ago_ms < hold_ms;
}

/* Where each domain runs: one that is now on another host, and no longer
 * on the one it was seen on, moved. */
static void follow(xres_conflict_state *st, const xres_conflict_obs *obs,
                   uint64_t now_ms, xres_conflict_result *res)
{
    for (size_t i = 0; i < obs->n; i++) {
        const xres_cluster_figures *f = obs->fig[i];
        for (size_t j = 0; j < f->ndoms; j++) {
            const char *dom = f->doms[j].name;
            xres_conflict_track *t = track(st, dom);
            if (!f->doms[j].domid) continue;
            if (!t) {
                t = track_new(st, dom);
                t->node = f->nodeid;
            } else if (t->node != f->nodeid &&
                       !runs_on(xres_conflict_obs_fig(obs, t->node), dom)) {
                if (res->nmoved < XRES_CONFLICT_MOVED_MAX) {
                    xres_conflict_move *m = &res->moved[res->nmoved++];
                    memcpy(m->dom, dom, sizeof(m->dom));
                    m->from = t->node;
                    m->to = f->nodeid;
                }
                t->moved = true;
                t->moved_ms = now_ms;
                restart_run(st, t->node);
                t->node = f->nodeid;
            }
            t->seen_ms = now_ms;
        }
    }
}

void xres_conflict_step(xres_conflict_state *st,
                        const xres_conflict_params *p,
                        const xres_conflict_obs *obs, uint64_t now_ms,
                        xres_conflict_result *res)
{
    xres_conflict_hstate keep[XRES_CONFLICT_HOSTS_MAX];
    size_t nkeep = 0;

    memset(res, 0, sizeof(*res));
    follow(st, obs, now_ms, res);
    for (size_t i = 0; i < obs->n && i < XRES_CONFLICT_HOSTS_MAX; i++) {
        const xres_cluster_figures *f = obs->fig[i];
        xres_conflict_host *h = &res->h[res->n++];
        xres_conflict_hstate *s = hstate(st, f->nodeid), n;

        if (s && !strcmp(s->host, f->host)) {
            n = *s;
        } else {
            memset(&n, 0, sizeof(n));
            n.node = f->nodeid;
            memcpy(n.host, f->host, sizeof(n.host));
        }
        if (p->mode == XRES_CMODE_OFF) {
            memset(h, 0, sizeof(*h));
            h->node = f->nodeid;
            memcpy(h->host, f->host, sizeof(h->host));
            n.run = 0;
        } else {
            judge(p, f, h);
            if (!s || n.seq != f->seq) {
                h->counted = true;
                n.run = h->conflict ? n.run + 1 : 0;
                n.seq = f->seq;
            }
        }
        h->run = n.run;
        h->sustained = h->conflict && n.run >= (p->sustain ? p->sustain : 1);
        keep[nkeep++] = n;
    }
    /* A host without fresh figures starts again when they come back. */
    memcpy(st->h, keep, nkeep * sizeof(keep[0]));
    st->nh = nkeep;
}

const xres_conflict_host *xres_conflict_find(const xres_conflict_result *r,
                                             uint32_t node)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->h[i].node == node) return &r->h[i];
    return NULL;
}
