/*
 * dom0/policy/mem_move.c: in-flight memory moves (mem_move.h): the pure
 * step that starts, advances and takes over moves, and says which records
 * and which actions the daemon carries out for them.
 *
 * Invariant kept at every step: the receiver's target is raised only after
 * Xen shows the donor at (within tolerance of) its lowered target, so the
 * memory it takes is already free; a record in XenStore is written before
 * each step it describes, so a restarted daemon redoes the step (every
 * step is idempotent) rather than skipping or doubling it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem_move.h"

/* What a move waits to hear about: the effect it asked for last. */
enum {
    PEND_NONE = 0,
    PEND_START,         /* its first record (and the donor's lowering) */
    PEND_RELOWER,       /* taken over: the donor's lowering again */
    PEND_WAIT,          /* WAIT_TARGET on the donor */
    PEND_RAISE_REC,     /* the RAISING record, before the raise */
    PEND_CLAMP_REC,     /* the record of a smaller raise */
    PEND_RAISE,         /* SET_MAXMEM, SET_TARGET of the receiver */
    PEND_BACK,          /* the donor's target back to its memory */
};

void xres_movers_init(xres_movers *m, const xres_mem_params *p)
{
    memset(m, 0, sizeof(*m));
    m->p = *p;
    m->next_id = 1;
}

void xres_movers_dispose(xres_movers *m)
{
    free(m->v);
    memset(m, 0, sizeof(*m));
}

bool xres_movers_busy(const xres_movers *m, uint32_t domid)
{
    if (domid == XRES_DOMID_INVALID) return false;
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].t.src == domid || m->v[i].t.dst == domid) return true;
    return false;
}

const xres_move *xres_movers_find(const xres_movers *m, uint64_t id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].id == id) return &m->v[i];
    for (size_t i = 0; i < m->hist_n; i++)
        if (m->hist[i].id == id) return &m->hist[i];
    return NULL;
}

void xres_move_out_init(xres_move_out *o)
{
    memset(o, 0, sizeof(*o));
    xres_actions_init(&o->acts);
}

void xres_move_out_dispose(xres_move_out *o)
{
    xres_actions_dispose(&o->acts);
    free(o->v);
    memset(o, 0, sizeof(*o));
}

void xres_move_out_clear(xres_move_out *o)
{
    xres_actions_clear(&o->acts);
    o->n = 0;
    o->write_next_id = false;
    o->next_id = 0;
}

/* ---- actions and effects ---- */

static void label(xres_action *a, const xres_move *mv, const char *what)
{
    snprintf(a->why, sizeof(a->why), "move %" PRIu64 " (%s): %s", mv->id,
             mv->origin, what);
}

int xres_move_actions(const xres_move *mv, const xres_mem_params *p,
                      xres_actions *out)
{
    xres_mem_transfer t = mv->t;
    xres_mem_plan plan = { .n = 1, .cap = 1, .v = &t };
    size_t first = out->n;
    int rc = xres_mem_plan_actions(&plan, p, out);

    for (size_t i = first; !rc && i < out->n; i++) {
        xres_action *a = &out->v[i];
        label(a, mv, a->kind == XRES_ACT_WAIT_TARGET ? "donor released"
                   : a->kind == XRES_ACT_SET_MAXMEM ? "room for the raise"
                   : a->domid == t.src ? "lower donor" : "raise receiver");
    }
    return rc;
}

/* The first action of mv's list of this kind on this domain. */
static int pick(const xres_move *mv, const xres_mem_params *p,
                xres_action_kind kind, uint32_t domid, xres_action *a)
{
    xres_actions all;
    int rc;

    xres_actions_init(&all);
    rc = xres_move_actions(mv, p, &all);
    if (!rc) rc = -ENOENT;
    for (size_t i = 0; rc == -ENOENT && i < all.n; i++)
        if (all.v[i].kind == kind && all.v[i].domid == domid) {
            *a = all.v[i];
            rc = 0;
        }
    xres_actions_dispose(&all);
    return rc;
}

/* A new effect of mv: its record (rec), then the n actions acts; the
 * move then waits for its outcome (pending). */
static int effect(xres_move_out *out, xres_move *mv, xres_move_rec_op rec,
                  const xres_action *acts, size_t n, int pending)
{
    xres_move_effect *e;
    int rc;

    if (out->n == out->cap) {
        size_t ncap = out->cap ? out->cap * 2 : 8;
        xres_move_effect *v = realloc(out->v, ncap * sizeof(*v));
        if (!v) return -ENOMEM;
        out->v = v;
        out->cap = ncap;
    }
    e = &out->v[out->n];
    memset(e, 0, sizeof(*e));
    e->id = mv->id;
    e->rec = rec;
    if (rec == XRES_MOVE_REC_WRITE &&
        (rc = xres_move_encode(mv, e->val, sizeof(e->val))))
        return rc;
    e->first = out->acts.n;
    for (size_t i = 0; i < n; i++)
        if ((rc = xres_actions_push(&out->acts, &acts[i]))) {
            out->acts.n = e->first;
            return rc;
        }
    e->n = n;
    out->n++;
    mv->pending = pending;
    return 0;
}

/* ---- the state machine ---- */

static const xres_domain *find(const xres_host *h, uint32_t domid,
                               const char *name)
{
    const xres_domain *d = xres_host_find(h, domid);

    if (d && name[0] && strcmp(d->name, name)) return NULL;
    return d;
}

static int grow(xres_movers *m)
{
    if (m->n < m->cap) return 0;
    size_t ncap = m->cap ? m->cap * 2 : 8;
    xres_move *v = realloc(m->v, ncap * sizeof(*v));
    if (!v) return -ENOMEM;
    m->v = v;
    m->cap = ncap;
    return 0;
}

static void drop(xres_movers *m, size_t i)
{
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
    m->n--;
}

/* Move i ends: into the history, and its record goes. */
static int finish(xres_movers *m, size_t i, xres_move_state st, int result,
                  xres_move_out *out)
{
    xres_move mv = m->v[i];
    int rc;

    mv.state = st;
    mv.result = result;
    mv.pending = PEND_NONE;
    drop(m, i);
    m->hist[m->hist_next] = mv;
    m->hist_next = (m->hist_next + 1) % XRES_MOVES_HISTORY;
    if (m->hist_n < XRES_MOVES_HISTORY) m->hist_n++;
    if (st == XRES_MOVE_DONE)
        XLOG_INFO("move %" PRIu64 ": done: %s", mv.id, mv.msg);
    else
        XLOG_WARN("move %" PRIu64 ": failed: %s", mv.id, mv.msg);
    if ((rc = effect(out, &mv, XRES_MOVE_REC_REMOVE, NULL, 0, PEND_NONE)))
        return rc;
    out->v[out->n - 1].ended = true;
    return 0;
}

static int raised(xres_movers *m, size_t i, const char *rname,
                  xres_move_out *out)
{
    xres_move *mv = &m->v[i];

    snprintf(mv->msg, sizeof(mv->msg), "%" PRIu64 " KiB from %s to %s (%s "
             "target %" PRIu64 " KiB)", mv->t.dst_to - mv->t.dst_from,
             mv->t.src == XRES_DOMID_INVALID ? "free memory" : mv->src_name,
             rname, rname, mv->t.dst_to);
    return finish(m, i, XRES_MOVE_DONE, 0, out);
}

/* The receiver's actions of the move's list that are still to do. */
static int raise_receiver(xres_movers *m, size_t i, const xres_host *h,
                          xres_move_out *out)
{
    xres_move *mv = &m->v[i];
    const xres_domain *r = find(h, mv->t.dst, mv->dst_name);
    xres_action sel[2];
    xres_actions all;
    size_t n = 0;
    int rc;

    if (!r) {
        snprintf(mv->msg, sizeof(mv->msg), "receiver %s is gone; %" PRIu64
                 " KiB left free", mv->dst_name, mv->t.kb);
        return finish(m, i, XRES_MOVE_FAILED, -ESRCH, out);
    }
    xres_actions_init(&all);
    if ((rc = xres_move_actions(mv, &m->p, &all))) goto out;
    for (size_t k = 0; k < all.n && n < 2; k++) {
        const xres_action *a = &all.v[k];
        if (a->domid != r->domid || a->kind == XRES_ACT_WAIT_TARGET) continue;
        if (a->kind == XRES_ACT_SET_MAXMEM && a->u.mem.kb <= r->xen_max_kb)
            continue;
        if (a->kind == XRES_ACT_SET_TARGET && a->u.mem.kb == r->target_kb)
            continue;
        sel[n++] = *a;
    }
    rc = n ? effect(out, mv, XRES_MOVE_REC_NONE, sel, n, PEND_RAISE)
           : raised(m, i, r->name, out);
out:
    xres_actions_dispose(&all);
    return rc;
}

/* Raise the receiver (RAISING); the move ends with it, either way. */
static int do_raise(xres_movers *m, size_t i, const xres_host *h,
                    xres_move_out *out)
{
    xres_move *mv = &m->v[i];
    const xres_domain *r, *s;

    if (mv->t.dst == XRES_DOMID_INVALID) {
        snprintf(mv->msg, sizeof(mv->msg), "%s gave %" PRIu64 " KiB back "
                 "to Xen (target %" PRIu64 " KiB, confirmed)", mv->src_name,
                 mv->t.kb, mv->t.src_to);
        return finish(m, i, XRES_MOVE_DONE, 0, out);
    }
    r = find(h, mv->t.dst, mv->dst_name);
    if (!r) return raise_receiver(m, i, h, out);
    if (r->target_kb != mv->t.dst_from && r->target_kb != mv->t.dst_to) {
        /* Someone else changed it meanwhile: raising now could count the
         * memory twice.  Leave it free for the next round. */
        snprintf(mv->msg, sizeof(mv->msg), "receiver %s's target changed "
                 "to %" PRIu64 " KiB by someone else; %" PRIu64 " KiB left "
                 "free", r->name, r->target_kb, mv->t.kb);
        return finish(m, i, XRES_MOVE_FAILED, -ECANCELED, out);
    }
    if (r->target_kb == mv->t.dst_to) return raised(m, i, r->name, out);

    /* Never promise memory that is not free: the released memory may
     * have gone to a new domain meanwhile. */
    s = mv->t.src == XRES_DOMID_INVALID ? NULL
        : find(h, mv->t.src, mv->src_name);
    int64_t room = xres_mem_raise_room(h, &m->p, s, mv->t.src_from);
    uint64_t want = mv->t.dst_to - r->target_kb;
    if (room < (int64_t)want) {
        uint64_t ok = room > 0 ? (uint64_t)room / 4 * 4 : 0;
        XLOG_WARN("move %" PRIu64 ": only %" PRIu64 " of %" PRIu64
                  " KiB free above the reserve for %s", mv->id, ok, want,
                  r->name);
        mv->t.dst_to = r->target_kb + ok;
        if (mv->t.dst_maxmem)
            mv->t.dst_maxmem = mv->t.dst_to + m->p.maxmem_slack_kb;
        return effect(out, mv, XRES_MOVE_REC_WRITE, NULL, 0, PEND_CLAMP_REC);
    }
    return raise_receiver(m, i, h, out);
}

static int donor_gone(xres_movers *m, size_t i, xres_move_out *out)
{
    xres_move *mv = &m->v[i];

    snprintf(mv->msg, sizeof(mv->msg), "donor %s is gone; receiver %s not "
             "raised", mv->src_name, mv->dst_name[0] ? mv->dst_name : "-");
    return finish(m, i, XRES_MOVE_FAILED, -ESRCH, out);
}

/* A check of move i on a fresh snapshot. */
static int check_one(xres_movers *m, size_t i, const xres_host *h,
                     xres_move_out *out)
{
    xres_move *mv = &m->v[i];
    const xres_domain *s;
    xres_action w;
    int rc;

    mv->pending = PEND_NONE;
    if (mv->state == XRES_MOVE_RAISING) return do_raise(m, i, h, out);
    s = find(h, mv->t.src, mv->src_name);
    if (!s || s->dying || s->shutdown) return donor_gone(m, i, out);
    if ((rc = pick(mv, &m->p, XRES_ACT_WAIT_TARGET, mv->t.src, &w)))
        return rc;
    return effect(out, mv, XRES_MOVE_REC_NONE, &w, 1, PEND_WAIT);
}

/* The donor's wait came back: arrived (0) or not yet. */
static int waited(xres_movers *m, size_t i, const xres_host *h,
                  const xres_move_effect *e, uint64_t now, xres_move_out *out)
{
    xres_move *mv = &m->v[i];
    const xres_domain *s = find(h, mv->t.src, mv->src_name);
    xres_action a;

    if (!s) return donor_gone(m, i, out);
    if (!e->rc) {
        XLOG_INFO("move %" PRIu64 ": donor %s (dom%" PRIu32 ") confirmed at "
                  "%" PRIu64 " KiB (target %" PRIu64 " KiB)", mv->id, s->name,
                  s->domid, s->cur_kb, mv->t.src_to);
        mv->state = XRES_MOVE_RAISING;
        if (mv->t.dst == XRES_DOMID_INVALID) return do_raise(m, i, h, out);
        /* The record first: without it a crash could lose track. */
        return effect(out, mv, XRES_MOVE_REC_WRITE, NULL, 0, PEND_RAISE_REC);
    }
    if (s->cur_kb < mv->best_cur_kb) {
        mv->best_cur_kb = s->cur_kb;
        mv->progress_ms = now;
        return 0;
    }
    if (now - mv->progress_ms < m->p.timeout_ms) return 0;

    /* No progress for timeout_ms: the balloon does not respond.  Its
     * target goes back to where its memory is; the receiver gets nothing
     * from this move (what the donor did release is free memory). */
    memset(&a, 0, sizeof(a));
    a.kind = XRES_ACT_SET_TARGET;
    a.domid = s->domid;
    a.u.mem.kb = s->cur_kb < mv->t.src_from ? s->cur_kb : mv->t.src_from;
    label(&a, mv, "donor not responding, target back to its memory");
    return effect(out, mv, XRES_MOVE_REC_NONE, &a, 1, PEND_BACK);
}

static int gave_up(xres_movers *m, size_t i, const xres_host *h,
                   const xres_move_effect *e, xres_move_out *out)
{
    xres_move *mv = &m->v[i];
    const xres_domain *s = find(h, mv->t.src, mv->src_name);
    uint64_t cur = s ? s->cur_kb : mv->best_cur_kb;
    uint64_t back = cur < mv->t.src_from ? cur : mv->t.src_from;

    snprintf(mv->msg, sizeof(mv->msg), "donor %s did not release memory "
             "within %" PRIu64 " ms (at %" PRIu64 " KiB, asked for %" PRIu64
             " KiB): marked not responding, target back to %" PRIu64
             " KiB%s; receiver %s not raised", mv->src_name,
             m->p.timeout_ms, cur, mv->t.src_to, back,
             e->rc ? " (failed)" : "", mv->dst_name[0] ? mv->dst_name : "-");
    mv->donor_not_responding = true;
    return finish(m, i, XRES_MOVE_FAILED, -ETIMEDOUT, out);
}

static int raise_failed(xres_movers *m, size_t i, const xres_host *h,
                        const xres_move_out *obs, const xres_move_effect *e,
                        xres_move_out *out)
{
    xres_move *mv = &m->v[i];
    const xres_domain *r = find(h, mv->t.dst, mv->dst_name);
    const char *rname = r ? r->name : mv->dst_name;
    const xres_action *fa = &obs->acts.v[e->first + e->done];

    if (!e->rc) return raised(m, i, rname, out);
    if (fa->kind == XRES_ACT_SET_MAXMEM)
        snprintf(mv->msg, sizeof(mv->msg), "cannot raise Xen maxmem of %s: "
                 "%s; %" PRIu64 " KiB left free", rname, strerror(-e->rc),
                 mv->t.kb);
    else
        snprintf(mv->msg, sizeof(mv->msg), "cannot raise %s's target: %s; "
                 "%" PRIu64 " KiB left free", rname, strerror(-e->rc),
                 mv->t.kb);
    return finish(m, i, XRES_MOVE_FAILED, e->rc, out);
}

/* Move i hears the outcome e of the effect it waited for (pend). */
static int observe(xres_movers *m, size_t i, int pend, const xres_host *h,
                   const xres_move_out *obs, const xres_move_effect *e,
                   uint64_t now, xres_move_out *out)
{
    xres_move *mv = &m->v[i];

    switch (pend) {
    case PEND_START:
        if (e->rec_failed) {
            drop(m, i);         /* never started: the caller is told */
            return 0;
        }
        if (mv->t.src == XRES_DOMID_INVALID) return do_raise(m, i, h, out);
        if (!e->rc) return 0;
        snprintf(mv->msg, sizeof(mv->msg), "cannot lower %s's target: %s",
                 mv->src_name, strerror(-e->rc));
        return finish(m, i, XRES_MOVE_FAILED, e->rc, out);
    case PEND_WAIT:
        return waited(m, i, h, e, now, out);
    case PEND_RAISE_REC:
        if (!e->rec_failed) return do_raise(m, i, h, out);
        /* Not recorded: do not raise yet, retry on the next check. */
        mv->state = XRES_MOVE_LOWERING;
        return 0;
    case PEND_CLAMP_REC:
        return raise_receiver(m, i, h, out);
    case PEND_RAISE:
        return raise_failed(m, i, h, obs, e, out);
    case PEND_BACK:
        return gave_up(m, i, h, e, out);
    default:                    /* PEND_RELOWER: nothing more to do */
        return 0;
    }
}

static bool index_of(const xres_movers *m, uint64_t id, size_t *i)
{
    for (*i = 0; *i < m->n; (*i)++)
        if (m->v[*i].id == id) return true;
    return false;
}

static int ended_since(const xres_move_out *out, size_t n0)
{
    int ended = 0;

    for (size_t k = n0; k < out->n; k++) ended += out->v[k].ended;
    return ended;
}

int xres_movers_step(xres_movers *m, const xres_host *h,
                     const xres_move_out *obs, uint64_t now_ms,
                     xres_move_out *out)
{
    size_t n0 = out->n, i;
    int rc = 0;

    if (!obs) {
        for (i = 0; i < m->n && !rc;) {
            size_t before = m->n;
            rc = check_one(m, i, h, out);
            if (m->n == before) i++;
        }
    }
    for (size_t k = 0; obs && k < obs->n && !rc; k++) {
        const xres_move_effect *e = &obs->v[k];
        if (e->ended || !index_of(m, e->id, &i) || !m->v[i].pending)
            continue;
        int pend = m->v[i].pending;
        m->v[i].pending = PEND_NONE;
        rc = observe(m, i, pend, h, obs, e, now_ms, out);
    }
    return rc ? rc : ended_since(out, n0);
}

int xres_movers_start(xres_movers *m, const xres_host *h,
                      const xres_mem_transfer *t, const char *origin,
                      uint64_t now_ms, uint64_t *id_out, xres_move_out *out)
{
    const xres_domain *s = NULL, *r = NULL;
    xres_move mv, *p;
    xres_action a;
    int rc;

    if (xres_movers_busy(m, t->src) || xres_movers_busy(m, t->dst))
        return -EBUSY;
    if (t->src != XRES_DOMID_INVALID && !(s = xres_host_find(h, t->src)))
        return -ESRCH;
    if (t->dst != XRES_DOMID_INVALID && !(r = xres_host_find(h, t->dst)))
        return -ESRCH;
    if (!s && !r) return -EINVAL;
    if ((rc = grow(m))) return rc;
    memset(&mv, 0, sizeof(mv));
    mv.id = m->next_id++;
    mv.t = *t;
    mv.state = s ? XRES_MOVE_LOWERING : XRES_MOVE_RAISING;
    if (s) snprintf(mv.src_name, sizeof(mv.src_name), "%s", s->name);
    if (r) snprintf(mv.dst_name, sizeof(mv.dst_name), "%s", r->name);
    snprintf(mv.origin, sizeof(mv.origin), "%s", origin ? origin : "");
    mv.started_ms = mv.progress_ms = now_ms;
    mv.best_cur_kb = s ? s->cur_kb : 0;
    out->write_next_id = true;
    out->next_id = m->next_id;
    m->v[m->n++] = mv;
    p = &m->v[m->n - 1];
    /* The record first: a crash after it redoes the step, never skips. */
    if (s && !(rc = pick(p, &m->p, XRES_ACT_SET_TARGET, s->domid, &a)))
        rc = effect(out, p, XRES_MOVE_REC_WRITE, &a, 1, PEND_START);
    else if (!s)
        rc = effect(out, p, XRES_MOVE_REC_WRITE, NULL, 0, PEND_START);
    if (rc) {
        m->n--;
        return rc;
    }
    if (id_out) *id_out = mv.id;
    XLOG_INFO("move %" PRIu64 " (%s): %" PRIu64 " KiB from %s to %s", mv.id,
              mv.origin, t->kb, s ? s->name : "free memory",
              r ? r->name : "free memory");
    return 0;
}

int xres_movers_adopt(xres_movers *m, const xres_host *h,
                      const xres_move *rec, uint64_t id, uint64_t now_ms,
                      xres_move_out *out)
{
    size_t n0 = out->n;
    const xres_domain *s;
    xres_move *p;
    xres_action a;
    int rc;

    if ((rc = grow(m))) return rc;
    p = &m->v[m->n++];
    *p = *rec;
    p->id = id;
    if (id >= m->next_id) m->next_id = id + 1;
    p->recovered = true;
    p->pending = PEND_NONE;
    p->started_ms = p->progress_ms = now_ms;
    s = find(h, p->t.src, p->src_name);
    p->best_cur_kb = s ? s->cur_kb : 0;
    XLOG_INFO("move %" PRIu64 " (%s) recovered in state %s: %" PRIu64
              " KiB from %s to %s", id, p->origin,
              xres_move_state_name(p->state), p->t.kb,
              p->src_name[0] ? p->src_name : "free memory",
              p->dst_name[0] ? p->dst_name : "free memory");
    if (p->state != XRES_MOVE_LOWERING || !s || s->target_kb == p->t.src_to)
        return 0;
    if (s->target_kb == p->t.src_from) {
        /* The crash came between the record and the target: redo. */
        if ((rc = pick(p, &m->p, XRES_ACT_SET_TARGET, s->domid, &a)))
            return rc;
        label(&a, p, "lower donor (recovered)");
        return effect(out, p, XRES_MOVE_REC_NONE, &a, 1, PEND_RELOWER);
    }
    /* Changed by someone else: the move no longer describes the host;
     * drop it without touching either domain. */
    snprintf(p->msg, sizeof(p->msg), "donor %s's target is %" PRIu64
             " KiB, neither %" PRIu64 " nor %" PRIu64 " KiB: abandoned "
             "without change", s->name, s->target_kb, p->t.src_from,
             p->t.src_to);
    rc = finish(m, m->n - 1, XRES_MOVE_FAILED, -ECANCELED, out);
    return rc ? rc : ended_since(out, n0);
}
