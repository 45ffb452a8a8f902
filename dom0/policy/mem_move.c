/*
 * dom0/policy/mem_move.c: in-flight memory moves (mem_move.h): start, advance
 * against fresh snapshots, persist in XenStore, recover after a restart.
 *
 * Invariant kept at every step: the receiver's target is raised only after
 * Xen shows the donor at (or within tolerance of) its lowered target, so
 * the memory it takes is already free; a record in XenStore is written
 * before each step it describes, so a restarted daemon redoes the step
 * (every step is idempotent) rather than skipping or doubling it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem_move.h"
#include "xs_schema.h"

const char *xres_move_state_name(xres_move_state s)
{
    switch (s) {
    case XRES_MOVE_LOWERING: return "lowering";
    case XRES_MOVE_RAISING: return "raising";
    case XRES_MOVE_DONE: return "done";
    case XRES_MOVE_FAILED: return "failed";
    default: return "unknown";
    }
}

static xres_move_state state_from(const char *s)
{
    if (!strcmp(s, "lowering")) return XRES_MOVE_LOWERING;
    if (!strcmp(s, "raising")) return XRES_MOVE_RAISING;
    return 0;
}

void xres_movers_init(xres_movers *m, xres_backend *be,
                      const xres_mem_params *p)
{
    memset(m, 0, sizeof(*m));
    m->be = be;
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

/* ---- the XenStore record ---- */

static void esc(const char *s, char *out, size_t len)
{
    size_t o = 0;

    for (; *s && o + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '_' || c == '-') out[o++] = c;
        else o += snprintf(out + o, len - o, "%%%02X", c);
    }
    out[o] = 0;
}

static int unesc(const char *s, char *out, size_t len)
{
    size_t o = 0;

    for (; *s; s++) {
        if (o + 1 >= len) return -EINVAL;
        if (*s == '%') {
            unsigned v;
            if (!isxdigit((unsigned char)s[1]) ||
                !isxdigit((unsigned char)s[2]) ||
                sscanf(s + 1, "%2x", &v) != 1)
                return -EINVAL;
            out[o++] = (char)v;
            s += 2;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = 0;
    return 0;
}

int xres_move_encode(const xres_move *mv, char *buf, size_t len)
{
    char sn[3 * XRES_NAME_MAX + 1], dn[3 * XRES_NAME_MAX + 1];
    char on[3 * sizeof(mv->origin) + 1];
    int r;

    esc(mv->src_name, sn, sizeof(sn));
    esc(mv->dst_name, dn, sizeof(dn));
    esc(mv->origin, on, sizeof(on));
    r = snprintf(buf, len,
                 "v1 state=%s src=%" PRIu32 " dst=%" PRIu32 " kb=%" PRIu64
                 " src_from=%" PRIu64 " src_to=%" PRIu64
                 " dst_from=%" PRIu64 " dst_to=%" PRIu64
                 " maxmem=%" PRIu64 " src_name=%s dst_name=%s origin=%s",
                 xres_move_state_name(mv->state), mv->t.src, mv->t.dst,
                 mv->t.kb, mv->t.src_from, mv->t.src_to, mv->t.dst_from,
                 mv->t.dst_to, mv->t.dst_maxmem, sn, dn, on);
    return r < 0 || (size_t)r >= len ? -ENOSPC : 0;
}

static int get_u64(const char *v, uint64_t *out)
{
    char *end;

    if (!isdigit((unsigned char)*v)) return -EINVAL;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) return -EINVAL;
    *out = x;
    return 0;
}

int xres_move_decode(const char *s, xres_move *mv)
{
    char *copy = NULL, *save = NULL, *tok;
    unsigned seen = 0;
    uint64_t v;
    int rc = -EINVAL;

    memset(mv, 0, sizeof(*mv));
    if (strncmp(s, "v1 ", 3) || strlen(s) > 1024) return -EINVAL;
    copy = strdup(s + 3);
    if (!copy) return -ENOMEM;
    for (tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) goto out;
        *eq++ = 0;
        if (!strcmp(tok, "state")) {
            if (!(mv->state = state_from(eq))) goto out;
            seen |= 1;
        } else if (!strcmp(tok, "src_name")) {
            if (unesc(eq, mv->src_name, sizeof(mv->src_name))) goto out;
        } else if (!strcmp(tok, "dst_name")) {
            if (unesc(eq, mv->dst_name, sizeof(mv->dst_name))) goto out;
        } else if (!strcmp(tok, "origin")) {
            if (unesc(eq, mv->origin, sizeof(mv->origin))) goto out;
        } else {
            if (get_u64(eq, &v)) goto out;
            if (!strcmp(tok, "src") || !strcmp(tok, "dst")) {
                if (v > UINT32_MAX) goto out;
                if (tok[0] == 's' && tok[1] == 'r') mv->t.src = (uint32_t)v;
                else mv->t.dst = (uint32_t)v;
                seen |= tok[0] == 's' ? 2 : 4;
            } else if (!strcmp(tok, "kb")) { mv->t.kb = v; seen |= 8; }
            else if (!strcmp(tok, "src_from")) mv->t.src_from = v;
            else if (!strcmp(tok, "src_to")) mv->t.src_to = v;
            else if (!strcmp(tok, "dst_from")) mv->t.dst_from = v;
            else if (!strcmp(tok, "dst_to")) mv->t.dst_to = v;
            else if (!strcmp(tok, "maxmem")) mv->t.dst_maxmem = v;
            else goto out;
        }
    }
    if (seen != 15) goto out;
    /* The figures must agree with each other. */
    if (mv->t.src != XRES_DOMID_INVALID &&
        (mv->t.src_from < mv->t.src_to ||
         mv->t.src_from - mv->t.src_to != mv->t.kb))
        goto out;
    if (mv->t.dst != XRES_DOMID_INVALID &&
        (mv->t.dst_to < mv->t.dst_from ||
         mv->t.dst_to - mv->t.dst_from > mv->t.kb))
        goto out;
    snprintf(mv->t.why, sizeof(mv->t.why), "%s", mv->origin);
    rc = 0;
out:
    free(copy);
    return rc;
}

int xres_move_path(uint64_t id, char *buf, size_t len)
{
    char arg[24];

    snprintf(arg, sizeof(arg), "%" PRIu64, id);
    return xres_schema_path(buf, len, XS_MEM_MOVE, 0, arg);
}

static int persist(xres_movers *m, const xres_move *mv)
{
    char path[XRES_SCHEMA_PATH_MAX], val[600];
    int rc;

    if ((rc = xres_move_path(mv->id, path, sizeof(path))) ||
        (rc = xres_move_encode(mv, val, sizeof(val))))
        return rc;
    rc = m->be->ops->xs_write(m->be, path, val, strlen(val));
    if (rc) XLOG_ERR("move %" PRIu64 ": cannot record it in XenStore at %s: "
                     "%s", mv->id, path, strerror(-rc));
    return rc;
}

static void unpersist(xres_movers *m, const xres_move *mv)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc;

    if (xres_move_path(mv->id, path, sizeof(path))) return;
    rc = m->be->ops->xs_rm(m->be, path);
    if (rc && rc != -ENOENT)
        XLOG_ERR("move %" PRIu64 ": cannot remove %s: %s", mv->id, path,
                 strerror(-rc));
}

static void persist_next_id(xres_movers *m)
{
    char val[32], path[XRES_SCHEMA_PATH_MAX];

    if (xres_schema_path(path, sizeof(path), XS_MEM_NEXT_MOVE_ID, 0, NULL))
        return;
    snprintf(val, sizeof(val), "%" PRIu64, m->next_id);
    m->be->ops->xs_write(m->be, path, val, strlen(val));
}

/* ---- actions ---- */

static int apply(xres_movers *m, const xres_action *act)
{
    if (m->apply) return m->apply(m->opaque, act);
    switch (act->kind) {
    case XRES_ACT_SET_TARGET:
        return m->be->ops->set_target(m->be, act->domid, act->u.mem.kb);
    case XRES_ACT_SET_MAXMEM:
        return m->be->ops->set_maxmem(m->be, act->domid, act->u.mem.kb);
    default:
        return -ENOTSUP;
    }
}

static int act_mem(xres_movers *m, xres_action_kind kind, uint32_t domid,
                   uint64_t kb, const xres_move *mv, const char *what)
{
    xres_action act;

    memset(&act, 0, sizeof(act));
    act.kind = kind;
    act.domid = domid;
    act.u.mem.kb = kb;
    snprintf(act.why, sizeof(act.why), "move %" PRIu64 " (%s): %s", mv->id,
             mv->origin, what);
    return apply(m, &act);
}

/* ---- the state machine ---- */

static const xres_domain *find(const xres_host *h, uint32_t domid,
                               const char *name)
{
    const xres_domain *d = xres_host_find(h, domid);

    if (d && name[0] && strcmp(d->name, name)) return NULL;
    return d;
}

static void finish(xres_movers *m, size_t i, xres_move_state st, int result)
{
    xres_move mv = m->v[i];

    mv.state = st;
    mv.result = result;
    unpersist(m, &mv);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
    m->n--;
    m->hist[m->hist_next] = mv;
    m->hist_next = (m->hist_next + 1) % XRES_MOVES_HISTORY;
    if (m->hist_n < XRES_MOVES_HISTORY) m->hist_n++;
    if (st == XRES_MOVE_DONE)
        XLOG_INFO("move %" PRIu64 ": done: %s", mv.id, mv.msg);
    else
        XLOG_WARN("move %" PRIu64 ": failed: %s", mv.id, mv.msg);
    if (m->done) m->done(m->opaque, &mv);
}

/* Raise the receiver (RAISING); the move ends here either way. */
static void do_raise(xres_movers *m, size_t i, const xres_host *h)
{
    xres_move *mv = &m->v[i];
    const xres_domain *r;
    xres_mem_account acc;
    char from[XRES_NAME_MAX + 16];
    int rc;

    if (mv->t.src == XRES_DOMID_INVALID) snprintf(from, sizeof(from),
                                                  "free memory");
    else snprintf(from, sizeof(from), "%s", mv->src_name);

    if (mv->t.dst == XRES_DOMID_INVALID) {
        snprintf(mv->msg, sizeof(mv->msg), "%s gave %" PRIu64 " KiB back "
                 "to Xen (target %" PRIu64 " KiB, confirmed)", mv->src_name,
                 mv->t.kb, mv->t.src_to);
        finish(m, i, XRES_MOVE_DONE, 0);
        return;
    }
    r = find(h, mv->t.dst, mv->dst_name);
    if (!r) {
        snprintf(mv->msg, sizeof(mv->msg), "receiver %s is gone; %" PRIu64
                 " KiB left free", mv->dst_name, mv->t.kb);
        finish(m, i, XRES_MOVE_FAILED, -ESRCH);
        return;
    }
    if (r->target_kb != mv->t.dst_from && r->target_kb != mv->t.dst_to) {
        /* Someone else changed it meanwhile: raising now could count the
         * memory twice.  Leave it free for the next round. */
        snprintf(mv->msg, sizeof(mv->msg), "receiver %s's target changed "
                 "to %" PRIu64 " KiB by someone else; %" PRIu64 " KiB left "
                 "free", r->name, r->target_kb, mv->t.kb);
        finish(m, i, XRES_MOVE_FAILED, -ECANCELED);
        return;
    }
    if (r->target_kb != mv->t.dst_to) {
        /* Never promise memory that is not free: the released memory may
         * have gone to a new domain meanwhile. */
        xres_mem_account_of(h, &m->p, &acc);
        uint64_t grow = mv->t.dst_to - r->target_kb;
        /* Free memory already below the reserve before the donor gave
         * (a reserve larger than the host has, or other domains grew):
         * what the donor released is still this move's own to hand on,
         * and leaves Xen's free memory no lower than it was. */
        const xres_domain *s = mv->t.src == XRES_DOMID_INVALID ? NULL
            : find(h, mv->t.src, mv->src_name);
        if (s && s->cur_kb < mv->t.src_from) {
            int64_t rel = (int64_t)(mv->t.src_from - s->cur_kb);
            int64_t unpromised = acc.spare_kb + (int64_t)acc.reserve_kb;
            if (acc.spare_kb - rel < 0) {
                int64_t own = rel < unpromised ? rel : unpromised;
                if (own > acc.spare_kb) acc.spare_kb = own;
            }
        }
        if (acc.spare_kb < (int64_t)grow) {
            uint64_t ok = acc.spare_kb > 0 ? (uint64_t)acc.spare_kb / 4 * 4
                                           : 0;
            XLOG_WARN("move %" PRIu64 ": only %" PRIu64 " of %" PRIu64
                      " KiB free above the reserve for %s", mv->id, ok, grow,
                      r->name);
            mv->t.dst_to = r->target_kb + ok;
            if (mv->t.dst_maxmem)
                mv->t.dst_maxmem = mv->t.dst_to + m->p.maxmem_slack_kb;
            persist(m, mv);
        }
        if (mv->t.dst_maxmem && mv->t.dst_maxmem > r->xen_max_kb &&
            (rc = act_mem(m, XRES_ACT_SET_MAXMEM, r->domid, mv->t.dst_maxmem,
                          mv, "room for the raise"))) {
            snprintf(mv->msg, sizeof(mv->msg), "cannot raise Xen maxmem of "
                     "%s: %s; %" PRIu64 " KiB left free", r->name,
                     strerror(-rc), mv->t.kb);
            finish(m, i, XRES_MOVE_FAILED, rc);
            return;
        }
        if (mv->t.dst_to != r->target_kb &&
            (rc = act_mem(m, XRES_ACT_SET_TARGET, r->domid, mv->t.dst_to, mv,
                          "raise receiver"))) {
            snprintf(mv->msg, sizeof(mv->msg), "cannot raise %s's target: "
                     "%s; %" PRIu64 " KiB left free", r->name, strerror(-rc),
                     mv->t.kb);
            finish(m, i, XRES_MOVE_FAILED, rc);
            return;
        }
    }
    snprintf(mv->msg, sizeof(mv->msg), "%" PRIu64 " KiB from %s to %s (%s "
             "target %" PRIu64 " KiB)", mv->t.dst_to - mv->t.dst_from, from,
             r->name, r->name, mv->t.dst_to);
    finish(m, i, XRES_MOVE_DONE, 0);
}

/* Advance move i.  May remove it from m->v. */
static void step_one(xres_movers *m, size_t i, const xres_host *h,
                     uint64_t now)
{
    xres_move *mv = &m->v[i];
    const xres_domain *s;

    if (mv->state == XRES_MOVE_RAISING) {
        do_raise(m, i, h);
        return;
    }
    s = find(h, mv->t.src, mv->src_name);
    if (!s || s->dying || s->shutdown) {
        snprintf(mv->msg, sizeof(mv->msg), "donor %s is gone; receiver %s "
                 "not raised", mv->src_name,
                 mv->dst_name[0] ? mv->dst_name : "-");
        finish(m, i, XRES_MOVE_FAILED, -ESRCH);
        return;
    }
    if (s->cur_kb <= mv->t.src_to + m->p.tolerance_kb) {
        XLOG_INFO("move %" PRIu64 ": donor %s (dom%" PRIu32 ") confirmed at "
                  "%" PRIu64 " KiB (target %" PRIu64 " KiB)", mv->id, s->name,
                  s->domid, s->cur_kb, mv->t.src_to);
        mv->state = XRES_MOVE_RAISING;
        if (mv->t.dst != XRES_DOMID_INVALID && persist(m, mv)) {
            /* Without the record a crash could lose track: do not raise
             * yet, retry on the next check. */
            mv->state = XRES_MOVE_LOWERING;
            return;
        }
        do_raise(m, i, h);
        return;
    }
    if (s->cur_kb < mv->best_cur_kb) {
        mv->best_cur_kb = s->cur_kb;
        mv->progress_ms = now;
        return;
    }
    if (now - mv->progress_ms < m->p.timeout_ms) return;

    /* No progress for timeout_ms: the balloon does not respond.  Its
     * target goes back to where its memory is; the receiver gets nothing
     * from this move (what the donor did release is free memory). */
    uint64_t back = s->cur_kb;
    if (back > mv->t.src_from) back = mv->t.src_from;
    int rc = act_mem(m, XRES_ACT_SET_TARGET, s->domid, back, mv,
                     "donor not responding, target back to its memory");
    snprintf(mv->msg, sizeof(mv->msg), "donor %s did not release memory "
             "within %" PRIu64 " ms (at %" PRIu64 " KiB, asked for %" PRIu64
             " KiB): marked not responding, target back to %" PRIu64
             " KiB%s; receiver %s not raised", s->name, m->p.timeout_ms,
             s->cur_kb, mv->t.src_to, back, rc ? " (failed)" : "",
             mv->dst_name[0] ? mv->dst_name : "-");
    mv->donor_not_responding = true;
    finish(m, i, XRES_MOVE_FAILED, -ETIMEDOUT);
}

int xres_movers_start(xres_movers *m, const xres_host *h,
                      const xres_mem_transfer *t, const char *origin,
                      uint64_t now_ms, uint64_t *id_out)
{
    const xres_domain *s = NULL, *r = NULL;
    xres_move mv;
    int rc;

    if (xres_movers_busy(m, t->src) || xres_movers_busy(m, t->dst))
        return -EBUSY;
    if (t->src != XRES_DOMID_INVALID && !(s = xres_host_find(h, t->src)))
        return -ESRCH;
    if (t->dst != XRES_DOMID_INVALID && !(r = xres_host_find(h, t->dst)))
        return -ESRCH;
    if (!s && !r) return -EINVAL;
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 8;
        xres_move *v = realloc(m->v, ncap * sizeof(*v));
        if (!v) return -ENOMEM;
        m->v = v;
        m->cap = ncap;
    }
    memset(&mv, 0, sizeof(mv));
    mv.id = m->next_id++;
    mv.t = *t;
    mv.state = s ? XRES_MOVE_LOWERING : XRES_MOVE_RAISING;
    if (s) snprintf(mv.src_name, sizeof(mv.src_name), "%s", s->name);
    if (r) snprintf(mv.dst_name, sizeof(mv.dst_name), "%s", r->name);
    snprintf(mv.origin, sizeof(mv.origin), "%s", origin ? origin : "");
    mv.started_ms = mv.progress_ms = now_ms;
    mv.best_cur_kb = s ? s->cur_kb : 0;
    persist_next_id(m);
    /* The record first: a crash after it redoes the step, never skips. */
    if ((rc = persist(m, &mv))) return rc;
    m->v[m->n++] = mv;
    if (id_out) *id_out = mv.id;
    XLOG_INFO("move %" PRIu64 " (%s): %" PRIu64 " KiB from %s to %s", mv.id,
              mv.origin, t->kb, s ? s->name : "free memory",
              r ? r->name : "free memory");
    if (s) {
        rc = act_mem(m, XRES_ACT_SET_TARGET, s->domid, t->src_to,
                     &m->v[m->n - 1], "lower donor");
        if (rc) {
            xres_move *p = &m->v[m->n - 1];
            snprintf(p->msg, sizeof(p->msg), "cannot lower %s's target: %s",
                     s->name, strerror(-rc));
            finish(m, m->n - 1, XRES_MOVE_FAILED, rc);
        }
        return 0;
    }
    do_raise(m, m->n - 1, h);
    return 0;
}

int xres_movers_step(xres_movers *m, const xres_host *h, uint64_t now_ms)
{
    int ended = 0;

    for (size_t i = 0; i < m->n;) {
        size_t before = m->n;
        step_one(m, i, h, now_ms);
        if (m->n < before) ended++;
        else i++;
    }
    return ended;
}

int xres_movers_recover(xres_movers *m, const xres_host *h, uint64_t now_ms)
{
    char **names = NULL, *val = NULL, path[XRES_SCHEMA_PATH_MAX + 256];
    char dir[XRES_SCHEMA_PATH_MAX];
    unsigned n = 0;
    int rc, found = 0;

    if ((rc = xres_schema_path(path, sizeof(path), XS_MEM_NEXT_MOVE_ID, 0,
                               NULL)) ||
        (rc = xres_schema_path(dir, sizeof(dir), XS_MEM_MOVES, 0, NULL)))
        return rc;
    rc = m->be->ops->xs_read(m->be, path, &val, NULL);
    if (!rc) {
        uint64_t v;
        if (!get_u64(val, &v) && v > m->next_id) m->next_id = v;
        free(val);
        val = NULL;
    }
    rc = m->be->ops->xs_directory(m->be, dir, &names, &n);
    if (rc == -ENOENT) return 0;
    if (rc) return rc;
    for (unsigned k = 0; k < n; k++) {
        xres_move mv;
        uint64_t id;

        snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
        if (get_u64(names[k], &id) ||
            m->be->ops->xs_read(m->be, path, &val, NULL) ||
            xres_move_decode(val, &mv)) {
            XLOG_ERR("%s: unreadable move record, removed", path);
            m->be->ops->xs_rm(m->be, path);
            free(val);
            val = NULL;
            continue;
        }
        free(val);
        val = NULL;
        mv.id = id;
        if (id >= m->next_id) m->next_id = id + 1;
        mv.recovered = true;
        mv.started_ms = mv.progress_ms = now_ms;
        const xres_domain *s = find(h, mv.t.src, mv.src_name);
        mv.best_cur_kb = s ? s->cur_kb : 0;
        if (m->n == m->cap) {
            size_t ncap = m->cap ? m->cap * 2 : 8;
            xres_move *v = realloc(m->v, ncap * sizeof(*v));
            if (!v) { rc = -ENOMEM; goto out; }
            m->v = v;
            m->cap = ncap;
        }
        m->v[m->n++] = mv;
        found++;
        XLOG_INFO("move %" PRIu64 " (%s) recovered in state %s: %" PRIu64
                  " KiB from %s to %s", id, mv.origin,
                  xres_move_state_name(mv.state), mv.t.kb,
                  mv.src_name[0] ? mv.src_name : "free memory",
                  mv.dst_name[0] ? mv.dst_name : "free memory");
        if (mv.state != XRES_MOVE_LOWERING || !s) continue;
        xres_move *p = &m->v[m->n - 1];
        if (s->target_kb == mv.t.src_to) continue;
        if (s->target_kb == mv.t.src_from) {
            /* The crash came between the record and the target: redo. */
            act_mem(m, XRES_ACT_SET_TARGET, s->domid, mv.t.src_to, p,
                    "lower donor (recovered)");
            continue;
        }
        /* Changed by someone else: the move no longer describes the
         * host; drop it without touching either domain. */
        snprintf(p->msg, sizeof(p->msg), "donor %s's target is %" PRIu64
                 " KiB, neither %" PRIu64 " nor %" PRIu64 " KiB: abandoned "
                 "without change", s->name, s->target_kb, mv.t.src_from,
                 mv.t.src_to);
        finish(m, m->n - 1, XRES_MOVE_FAILED, -ECANCELED);
    }
    rc = found;
out:
    for (unsigned k = 0; k < n; k++) free(names[k]);
    free(names);
    return rc;
}
