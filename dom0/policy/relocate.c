/*
 * dom0/policy/relocate.c: the relocation of a domain off a host in
 * conflict (relocate.h): the choice of domain and destination, and the
 * steps of the destination's lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relocate.h"

void xres_relocate_params_default(xres_relocate_params *p)
{
    memset(p, 0, sizeof(*p));
    p->choose = XRES_CHOOSE_BUSIEST;
    p->w_cpu = 1;
    p->w_mem = 1;
    p->hold_down_ms = XRES_RELOCATE_HOLD_DOWN_DEFAULT_MS;
    p->lock_timeout_ms = XRES_RELOCATE_LOCK_TIMEOUT_DEFAULT_MS;
}

static const char *const choose_names[] = {
    [XRES_CHOOSE_BUSIEST] = "busiest",
    [XRES_CHOOSE_PRIORITY] = "priority",
    [XRES_CHOOSE_WEIGHTED] = "weighted",
};

const char *xres_relocate_choose_name(xres_relocate_choose c)
{
    return c <= XRES_CHOOSE_WEIGHTED ? choose_names[c] : "?";
}

void xres_relocate_state_init(xres_relocate_state *st)
{
    memset(st, 0, sizeof(*st));
}

static const xres_relocate_named *named(const xres_relocate_named *v,
                                        size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name)) return &v[i];
    return NULL;
}

unsigned xres_relocate_priority(const xres_relocate_params *p,
                                const char *dom)
{
    const xres_relocate_named *e = named(p->prio, p->nprio, dom);

    return e ? e->value : 0;
}

unsigned xres_relocate_coef(const xres_relocate_params *p, const char *host)
{
    const xres_relocate_named *e = named(p->coef, p->ncoef, host);

    return e ? e->value : 1000;
}

/* cp as "12.34%". */
static const char *pct(char buf[16], unsigned cp)
{
    snprintf(buf, 16, "%u.%02u%%", cp / 100, cp % 100);
    return buf;
}

/*----- the domain -----*/

static const char *unmovable_why(xres_cluster_movable m)
{
    switch (m) {
    case XRES_CMOVE_MOVABLE: return NULL;
    case XRES_CMOVE_PINNED: return "pinned to its host";
    case XRES_CMOVE_PAIR: return "one of a hot-standby pair";
    case XRES_CMOVE_NOT_MIGRATABLE:
        return "not a Pacemaker resource that may migrate";
    case XRES_CMOVE_UNKNOWN: break;
    }
    return "not known to be movable";
}

static void skip(xres_relocate_out *out, const char *dom, const char *why)
{
    xres_relocate_skip *s;

    if (out->nskip >= XRES_CLUSTER_DOMS_MAX) return;
    s = &out->skip[out->nskip++];
    snprintf(s->dom, sizeof(s->dom), "%s", dom);
    snprintf(s->why, sizeof(s->why), "%s", why);
}

/* The use of d on the resources in conflict (all checked ones when none
 * is, as for a host chosen by priority). */
static uint64_t busy(const xres_conflict_params *cp,
                     const xres_cluster_figures *f, const xres_cluster_dom *d,
                     const xres_conflict_host *v)
{
    unsigned res = v && v->in_conflict ? v->in_conflict : cp->resources;
    uint64_t u = 0;

    for (int r = 0; r < XRES_RES_N; r++)
        if (res & XRES_RES_BIT(r)) u += xres_conflict_dom_use(f, d, (xres_res)r);
    return u;
}

static uint64_t score(const xres_conflict_params *cp,
                      const xres_relocate_params *rp,
                      const xres_cluster_figures *f, const xres_cluster_dom *d,
                      const xres_conflict_host *v)
{
    uint64_t prio = xres_relocate_priority(rp, d->name);

    switch (rp->choose) {
    case XRES_CHOOSE_PRIORITY:
        return (prio << 32) | busy(cp, f, d, v);
    case XRES_CHOOSE_WEIGHTED:
        return (uint64_t)rp->w_cpu * xres_conflict_dom_use(f, d, XRES_RES_CPU)
            + (uint64_t)rp->w_mem * xres_conflict_dom_use(f, d, XRES_RES_MEM)
            + (uint64_t)rp->w_prio * prio * 100;
    case XRES_CHOOSE_BUSIEST: break;
    }
    return busy(cp, f, d, v);
}

const xres_cluster_dom *xres_relocate_pick_dom(
    const xres_conflict_state *cst, const xres_conflict_params *cp,
    const xres_relocate_params *rp, const xres_cluster_figures *src,
    const xres_conflict_host *verdict, uint64_t now_ms,
    xres_relocate_out *out)
{
    const xres_cluster_dom *best = NULL;
    uint64_t best_score = 0, ago;
    char why[96];

    for (size_t i = 0; i < src->ndoms; i++) {
        const xres_cluster_dom *d = &src->doms[i];
        const char *no = unmovable_why(d->movable);
        uint64_t s;
        if (!d->domid) continue;
        if (no) {
            skip(out, d->name, no);
            continue;
        }
        if (xres_conflict_held_down(cst, d->name, rp->hold_down_ms, now_ms,
                                    &ago)) {
            snprintf(why, sizeof(why), "moved %llus ago (hold-down %llus)",
                     (unsigned long long)(ago / 1000),
                     (unsigned long long)(rp->hold_down_ms / 1000));
            skip(out, d->name, why);
            continue;
        }
        s = score(cp, rp, src, d, verdict);
        if (!best || s > best_score ||
            (s == best_score && strcmp(d->name, best->name) < 0)) {
            best = d;
            best_score = s;
        }
    }
    return best;
}

/*----- the destination -----*/

int xres_relocate_fits(const xres_conflict_params *cp,
                       const xres_cluster_figures *f,
                       const xres_cluster_dom *d, char *why, size_t len)
{
    static const char *const rname[XRES_RES_N] = { "cpu", "mem" };
    uint64_t avail = f->mem_free_kb > f->mem_outstanding_kb
        ? f->mem_free_kb - f->mem_outstanding_kb : 0;
    char a[16], b[16];

    for (int r = 0; r < XRES_RES_N; r++) {
        unsigned use, free_cp;
        if (!(cp->resources & XRES_RES_BIT(r))) continue;
        use = xres_conflict_dom_use(f, d, (xres_res)r);
        free_cp = XRES_CP_MAX - xres_conflict_host_use(f, (xres_res)r);
        if (free_cp <= use) {
            snprintf(why, len, "free %s %s <= %s", rname[r], pct(a, free_cp),
                     pct(b, use));
            return -ENOSPC;
        }
    }
    if (avail < d->mem_kb) {
        snprintf(why, len, "free memory %lluK < %lluK",
                 (unsigned long long)avail, (unsigned long long)d->mem_kb);
        return -ENOSPC;
    }
    return 0;
}

static bool in(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x) return true;
    return false;
}

static bool is_settling(const xres_relocate_state *st, uint32_t node)
{
    for (size_t i = 0; i < st->nsettle; i++)
        if (st->settle[i].node == node) return true;
    return false;
}

/* Free capacity on the scarcest resource checked, times the coefficient. */
static uint64_t room(const xres_conflict_params *cp,
                     const xres_relocate_params *rp,
                     const xres_cluster_figures *f)
{
    unsigned least = XRES_CP_MAX;

    for (int r = 0; r < XRES_RES_N; r++) {
        unsigned free_cp = XRES_CP_MAX - xres_conflict_host_use(f, (xres_res)r);
        if ((cp->resources & XRES_RES_BIT(r)) && free_cp < least)
            least = free_cp;
    }
    return (uint64_t)least * xres_relocate_coef(rp, f->host) / 1000;
}

/* Append "host: reason; " to why. */
static void because(char *why, size_t len, const char *host, const char *r)
{
    size_t n = strlen(why);

    if (n + 1 < len)
        snprintf(why + n, len - n, "%s%s: %s", n ? "; " : "", host, r);
}

const xres_cluster_figures *xres_relocate_pick_host(
    const xres_relocate_state *st, const xres_conflict_params *cp,
    const xres_relocate_params *rp, const xres_conflict_obs *obs,
    const xres_conflict_result *res, const xres_cluster_figures *src,
    const xres_cluster_dom *d, bool *settling, char *why, size_t len)
{
    const xres_cluster_figures *best = NULL;
    uint64_t best_room = 0;
    int best_tier = 0;
    char r[96];

    why[0] = '\0';
    if (settling) *settling = false;
    for (size_t i = 0; i < obs->n; i++) {
        const xres_cluster_figures *f = obs->fig[i];
        const xres_conflict_host *v = xres_conflict_find(res, f->nodeid);
        uint64_t rm;
        int tier;
        if (f->nodeid == src->nodeid) continue;
        if (is_settling(st, f->nodeid)) {
            because(why, len, f->host, "a move to it is settling");
            if (settling) *settling = true;
            continue;
        }
        if (in(st->excl, st->nexcl, f->nodeid)) {
            because(why, len, f->host, "its lock is not ours");
            continue;
        }
        if (v && v->conflict) {
            because(why, len, f->host, "in conflict itself");
            continue;
        }
        if (xres_relocate_fits(cp, f, d, r, sizeof(r))) {
            because(why, len, f->host, r);
            continue;
        }
        rm = room(cp, rp, f);
        tier = rp->power_saving && !xres_conflict_guests(f);
        if (!best || tier < best_tier ||
            (tier == best_tier && (rm > best_room ||
                                   (rm == best_room &&
                                    f->nodeid < best->nodeid)))) {
            best = f;
            best_room = rm;
            best_tier = tier;
        }
    }
    if (!best && !why[0]) snprintf(why, len, "no other host");
    return best;
}

/*----- the steps -----*/

static void settle_add(xres_relocate_state *st, const xres_conflict_obs *obs,
                       uint32_t node)
{
    const xres_cluster_figures *f = xres_conflict_obs_fig(obs, node);
    xres_relocate_settle *s = NULL;

    for (size_t i = 0; i < st->nsettle; i++)
        if (st->settle[i].node == node) s = &st->settle[i];
    if (!s && st->nsettle < XRES_CONFLICT_HOSTS_MAX)
        s = &st->settle[st->nsettle++];
    if (!s) return;
    s->node = node;
    s->seq = f ? f->seq : 0;
}

/* A host settles until it has sent two figures since. */
static void settle_expire(xres_relocate_state *st,
                          const xres_conflict_obs *obs)
{
    size_t k = 0;

    for (size_t i = 0; i < st->nsettle; i++) {
        const xres_cluster_figures *f =
            xres_conflict_obs_fig(obs, st->settle[i].node);
        if (!f || f->seq < st->settle[i].seq + 2)
            st->settle[k++] = st->settle[i];
    }
    st->nsettle = k;
}

static void release(xres_relocate_out *out, const char *lock)
{
    if (!lock[0] || out->nrelease >= 2) return;
    snprintf(out->release[out->nrelease++], XRES_CLUSTER_NAME_MAX, "%s",
             lock);
}

static xres_relocate_warned *warned(xres_relocate_state *st, uint32_t node,
                                    bool add)
{
    xres_relocate_warned *free_slot = NULL;

    for (size_t i = 0; i < XRES_CONFLICT_HOSTS_MAX; i++) {
        if (st->warned[i].node == node) return &st->warned[i];
        if (!st->warned[i].node && !free_slot) free_slot = &st->warned[i];
    }
    if (add && !free_slot) free_slot = &st->warned[0];
    if (add) {
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->node = node;
    }
    return add ? free_slot : NULL;
}

/* Says "what: why" about source node once, until it changes; one line
 * per step (another waits for the next). */
static void warn(xres_relocate_state *st, xres_relocate_out *out,
                 uint32_t node, const char *what, const char *why)
{
    xres_relocate_warned *w = warned(st, node, true);
    char text[sizeof(w->text)];

    snprintf(text, sizeof(text), "%s: %s", what, why);
    if (!strcmp(text, w->text) || out->warn[0]) return;
    memcpy(w->text, text, sizeof(text));
    memcpy(out->warn, text, sizeof(out->warn));
}

static void unwarn(xres_relocate_state *st, uint32_t node)
{
    xres_relocate_warned *w = warned(st, node, false);

    if (w) memset(w, 0, sizeof(*w));
}

static void to_idle(xres_relocate_state *st)
{
    st->phase = XRES_RELOC_IDLE;
    st->dom[0] = st->lock[0] = st->dst_host[0] = '\0';
    st->src = st->dst = 0;
    st->nexcl = 0;
}

static void say_move(const xres_relocate_state *st, xres_relocate_out *out)
{
    out->move = true;
    memcpy(out->dom, st->dom, sizeof(out->dom));
    memcpy(out->host, st->dst_host, sizeof(out->host));
    memcpy(out->why, st->why, sizeof(out->why));
    out->src = st->src;
    out->dst = st->dst;
}

/* Decide for source src: a lock request (host, decentralised) or a move
 * (central), or a warning. */
static void decide(xres_relocate_state *st, xres_conflict_state *cst,
                   const xres_conflict_params *cp,
                   const xres_relocate_params *rp,
                   const xres_conflict_obs *obs,
                   const xres_conflict_result *res,
                   const xres_cluster_figures *src, uint64_t now_ms,
                   xres_relocate_out *out)
{
    const xres_conflict_host *v = xres_conflict_find(res, src->nodeid);
    const xres_cluster_dom *d;
    const xres_cluster_figures *dst;
    char why[160], what[160], a[16], b[16];
    bool wait;

    out->nskip = 0;
    d = xres_relocate_pick_dom(cst, cp, rp, src, v, now_ms, out);
    if (!d) {
        warn(st, out, src->nodeid, src->host,
             "in conflict, but no domain may move");
        to_idle(st);
        return;
    }
    dst = xres_relocate_pick_host(st, cp, rp, obs, res, src, d, &wait, why,
                                  sizeof(why));
    if (!dst) {
        snprintf(what, sizeof(what), "%s: no host can take %s", src->host,
                 d->name);
        if (!wait) warn(st, out, src->nodeid, what, why);
        to_idle(st);
        return;
    }
    unwarn(st, src->nodeid);
    snprintf(st->dom, sizeof(st->dom), "%s", d->name);
    snprintf(st->dst_host, sizeof(st->dst_host), "%s", dst->host);
    st->src = src->nodeid;
    st->dst = dst->nodeid;
    st->since_ms = now_ms;
    snprintf(st->why, sizeof(st->why), "%s in conflict (cpu %s, mem %s, "
             "%u intervals): %s to %s", src->host,
             pct(a, xres_conflict_host_use(src, XRES_RES_CPU)),
             pct(b, xres_conflict_host_use(src, XRES_RES_MEM)),
             v ? v->run : 0, d->name, dst->host);
    /* Central mode too: a new decider (a lower node joins) must not start
     * a second move to a destination while the old one's is under way. */
    snprintf(st->lock, sizeof(st->lock), XRES_RELOCATE_LOCK_PREFIX "%.58s",
             dst->host);
    st->phase = XRES_RELOC_LOCKING;
    out->request = true;
    memcpy(out->request_lock, st->lock, sizeof(st->lock));
}

/* Whether this host decides for v's host now. */
static bool decides_for(const xres_relocate_state *st,
                        const xres_conflict_params *cp,
                        const xres_conflict_obs *obs,
                        const xres_conflict_host *v)
{
    if (!v->sustained || is_settling(st, v->node)) return false;
    if (cp->mode == XRES_CMODE_CENTRAL) return obs->self == obs->decider;
    return v->node == obs->self;
}

/* Our lock request's fate. */
static void locking(xres_relocate_state *st, xres_conflict_state *cst,
                    const xres_conflict_params *cp,
                    const xres_relocate_params *rp,
                    const xres_conflict_obs *obs,
                    const xres_conflict_result *res, uint64_t now_ms,
                    xres_relocate_out *out)
{
    uint32_t holder = xres_conflict_obs_holder(obs, st->lock);
    const xres_cluster_figures *src = xres_conflict_obs_fig(obs, st->src);
    const xres_cluster_figures *dst = xres_conflict_obs_fig(obs, st->dst);
    const xres_cluster_dom *d = NULL;
    char why[96];

    for (size_t i = 0; src && i < src->ndoms; i++)
        if (!strcmp(src->doms[i].name, st->dom)) d = &src->doms[i];
    if (holder == obs->self) {
        const xres_conflict_host *v = xres_conflict_find(res, st->src);
        if (d && dst && v && v->conflict &&
            !xres_relocate_fits(cp, dst, d, why, sizeof(why))) {
            say_move(st, out);
            st->phase = XRES_RELOC_MOVING;
            st->since_ms = now_ms;
            return;
        }
        /* The conflict cleared or the destination filled: decide again. */
        release(out, st->lock);
        to_idle(st);
        return;
    }
    if (!holder && now_ms - st->since_ms < rp->lock_timeout_ms &&
        now_ms >= st->since_ms)
        return;
    /* Another source holds it, or our request never came back. */
    release(out, st->lock);
    if (holder) settle_add(st, obs, st->dst);
    if (st->nexcl < XRES_CONFLICT_HOSTS_MAX) st->excl[st->nexcl++] = st->dst;
    st->phase = XRES_RELOC_IDLE;
    st->lock[0] = '\0';
    if (cp->mode == XRES_CMODE_DECENTRAL && src) {
        decide(st, cst, cp, rp, obs, res, src, now_ms, out);
        return;
    }
    to_idle(st);
}

void xres_relocate_step(xres_relocate_state *st, xres_conflict_state *cst,
                        const xres_conflict_params *cp,
                        const xres_relocate_params *rp,
                        const xres_conflict_obs *obs,
                        const xres_conflict_result *res, uint64_t now_ms,
                        xres_relocate_out *out)
{
    const xres_cluster_figures *src;

    memset(out, 0, sizeof(*out));
    settle_expire(st, obs);
    if (!rp->on || cp->mode == XRES_CMODE_OFF) {
        if (st->phase == XRES_RELOC_MOVING) return;     /* wait for done */
        release(out, st->lock);
        to_idle(st);
        return;
    }
    switch (st->phase) {
    case XRES_RELOC_MOVING:
        return;
    case XRES_RELOC_LOCKING:
        locking(st, cst, cp, rp, obs, res, now_ms, out);
        return;
    case XRES_RELOC_IDLE:
        break;
    }
    /* Each source in turn (central: every host; else ours) until one
     * moves or asks for a lock. */
    for (size_t i = 0; i < res->n && st->phase == XRES_RELOC_IDLE; i++) {
        const xres_conflict_host *v = &res->h[i];
        if (!v->conflict) unwarn(st, v->node);
        if (!decides_for(st, cp, obs, v) ||
            !(src = xres_conflict_obs_fig(obs, v->node)))
            continue;
        decide(st, cst, cp, rp, obs, res, src, now_ms, out);
    }
}

void xres_relocate_done(xres_relocate_state *st, xres_conflict_state *cst,
                        const xres_conflict_obs *obs, int rc,
                        uint64_t now_ms, xres_relocate_out *out)
{
    memset(out, 0, sizeof(*out));
    if (st->phase != XRES_RELOC_MOVING) return;
    release(out, st->lock);
    xres_conflict_record_move(cst, st->dom, st->src, rc ? st->src : st->dst,
                              now_ms);
    settle_add(st, obs, st->src);
    settle_add(st, obs, st->dst);
    if (rc)
        snprintf(out->warn, sizeof(out->warn), "moving %s to %s failed (%s); "
                 "it is held down", st->dom, st->dst_host, strerror(-rc));
    to_idle(st);
}
