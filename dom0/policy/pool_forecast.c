/*
 * dom0/policy/pool_forecast.c: a pool's bookkeeping (policy_pool.h): its
 * spec's checks, what it holds according to the snapshot, its place in
 * the queue, and the forecast of when it will be full.
 *
 * The forecast: the least-squares line through the last XRES_POOL_HIST
 * samples of (time, held), extended to the pool's size.  With fewer than
 * two samples, or a line that does not rise, the schedule stands in: the
 * remaining memory in steps of c, one every dt, from now.  A line that
 * does not rise, or stall_rounds rounds in a row without progress, mean
 * the pool will never fill (UINT64_MAX) as things stand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "policy_pool.h"

static const char *const phase_names[] = {
    "gathering", "full", "handover", "started", "failed",
};
static const char *const short_names[] = { "start", "wait", "fail" };

const char *xres_pool_phase_name(xres_pool_phase p)
{
    return (unsigned)p < 5 ? phase_names[p] : "?";
}

const char *xres_pool_short_name(xres_pool_short s)
{
    return (unsigned)s < 3 ? short_names[s] : "?";
}

int xres_pool_short_parse(const char *s, xres_pool_short *out)
{
    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(s, short_names[i])) {
            *out = (xres_pool_short)i;
            return 0;
        }
    return -EINVAL;
}

bool xres_pool_name_ok(const char *name)
{
    size_t n = strlen(name);

    if (!n || n >= XRES_POOL_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              (c == '-' && i)))
            return false;
    }
    return true;
}

int xres_pool_spec_check(const xres_pool_spec *s, char *err, size_t len)
{
    const char *why = NULL;

    if (!xres_pool_name_ok(s->name))
        why = "the name must be 1 to 31 of A-Z a-z 0-9 _ . - (not first)";
    else if (!s->size_kb || s->size_kb % 4)
        why = "--size must be a positive multiple of 4K";
    else if (!s->step_kb || s->step_kb % 4)
        why = "--step must be a positive multiple of 4K";
    else if (!s->every_ms)
        why = "--every must be positive";
    else if (!s->domain[0])
        why = "the pool needs --config or --domain";
    else if (s->from_config && !s->config[0])
        why = "--config names no file";
    else if (s->from_config && s->config_mem_kb > s->size_kb)
        why = "the config's memory is larger than --size";
    if (why) {
        snprintf(err, len, "%s", why);
        return -EINVAL;
    }
    return 0;
}

void xres_pool_init(xres_pool *p, const xres_pool_spec *spec, uint64_t now)
{
    memset(p, 0, sizeof(*p));
    p->spec = *spec;
    if (!p->spec.stall_rounds) p->spec.stall_rounds = 3;
    p->st.phase = XRES_POOL_GATHERING;
    p->st.next_round_ms = now;
    p->st.next_sample_ms = now;
    p->st.domid = XRES_DOMID_INVALID;
}

/* The piece number of d if it is one of pool's placeholders, else -1. */
long xres_pool_piece_of(const xres_domain *d, const char *pool)
{
    size_t pl = strlen(XRES_POOL_PREFIX), nl = strlen(pool);
    const char *s = d->name;
    char *end;
    long k;

    if (strncmp(s, XRES_POOL_PREFIX, pl)) return -1;
    s += pl;
    if (strncmp(s, pool, nl) || s[nl] != '-') return -1;
    s += nl + 1;
    if (*s < '0' || *s > '9') return -1;
    k = strtol(s, &end, 10);
    return *end || k < 0 ? -1 : k;
}

bool xres_pool_is_placeholder(const xres_domain *d)
{
    return !strncmp(d->name, XRES_POOL_PREFIX, strlen(XRES_POOL_PREFIX));
}

void xres_pool_observe(xres_pool *p, const xres_host *h)
{
    long first = -1;

    p->held_kb = 0;
    p->pieces = 0;
    p->ph_domid = XRES_DOMID_INVALID;
    p->ph_kb = 0;
    for (size_t i = 0; i < h->nr_domains; i++) {
        const xres_domain *d = &h->domains[i];
        long k = xres_pool_piece_of(d, p->spec.name);
        if (k < 0 || d->dying) continue;
        p->held_kb += d->outstanding_kb;
        p->pieces++;
        if (first < 0 || k < first) {
            first = k;
            p->ph_domid = d->domid;
            p->ph_kb = d->outstanding_kb;
        }
        if ((unsigned long)k >= p->st.next_piece)
            p->st.next_piece = (unsigned)k + 1;
    }
}

static int queue_cmp(const xres_pool *a, const xres_pool *b)
{
    if (a->spec.priority != b->spec.priority)
        return a->spec.priority > b->spec.priority ? -1 : 1;
    if (a->spec.deadline_ms != b->spec.deadline_ms)
        return a->spec.deadline_ms < b->spec.deadline_ms ? -1 : 1;
    return strcmp(a->spec.name, b->spec.name);
}

void xres_pool_queue(xres_pool *pools, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    /* Insertion sort: there are at most XRES_POOLS_MAX pools. */
    for (size_t i = 1; i < n; i++) {
        size_t k = order[i], j = i;
        while (j && queue_cmp(&pools[order[j - 1]], &pools[k]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    for (size_t i = 0; i < n; i++) pools[order[i]].queue_pos = (unsigned)i + 1;
}

void xres_pool_note_add(xres_pool_notes *n, int level, const char *fmt, ...)
{
    va_list ap;

    if (!n || n->n == sizeof(n->v) / sizeof(n->v[0])) return;
    n->v[n->n].level = level;
    va_start(ap, fmt);
    vsnprintf(n->v[n->n].text, sizeof(n->v[n->n].text), fmt, ap);
    va_end(ap);
    n->n++;
}

uint64_t xres_pool_forecast(const xres_pool *p, uint64_t now)
{
    const xres_pool_state *st = &p->st;
    uint64_t size = p->spec.size_kb, rem;
    double st_ = 0, sh = 0, stt = 0, sth = 0, k, tb, hb, t;
    unsigned n = st->nr_hist;

    if (p->held_kb >= size) return now;
    rem = size - p->held_kb;
    /* Rounds in a row without progress: the line says nothing more. */
    if (st->stalled >= p->spec.stall_rounds) return UINT64_MAX;
    if (n >= 2) {
        double t0 = (double)st->hist[0].t_ms;
        for (unsigned i = 0; i < n; i++) {
            double x = (double)st->hist[i].t_ms - t0;
            double y = (double)st->hist[i].held_kb;
            st_ += x;
            sh += y;
            stt += x * x;
            sth += x * y;
        }
        double den = n * stt - st_ * st_;
        k = den > 0 ? (n * sth - st_ * sh) / den : 0;
        if (k > 0) {
            tb = st_ / n;
            hb = sh / n;
            t = t0 + tb + ((double)size - hb) / k;
            if (t < (double)now) t = (double)now;
            return t >= 1.8e19 ? UINT64_MAX : (uint64_t)(t + 0.5);
        }
    }
    uint64_t rounds = (rem + p->spec.step_kb - 1) / p->spec.step_kb;
    return now + rounds * p->spec.every_ms;
}

uint64_t xres_pool_sample_add(xres_pool *p, uint64_t now,
                              xres_pool_notes *notes)
{
    xres_pool_state *st = &p->st;
    uint64_t dt = p->spec.every_ms, dl = p->spec.deadline_ms;
    bool risk;

    if (st->nr_hist == XRES_POOL_HIST) {
        memmove(&st->hist[0], &st->hist[1],
                (XRES_POOL_HIST - 1) * sizeof(st->hist[0]));
        st->nr_hist--;
    }
    st->hist[st->nr_hist].t_ms = now;
    st->hist[st->nr_hist].held_kb = p->held_kb;
    st->nr_hist++;
    st->forecast_ms = xres_pool_forecast(p, now);
    risk = st->forecast_ms > dl && p->held_kb < p->spec.size_kb;
    if (risk && !st->at_risk) {
        if (st->forecast_ms == UINT64_MAX)
            xres_pool_note_add(notes, LOG_WARNING, "pool %s: at-risk: no "
                               "progress, it will not be full by its "
                               "deadline", p->spec.name);
        else
            xres_pool_note_add(notes, LOG_WARNING, "pool %s: at-risk: "
                               "forecast full %llu s after its deadline",
                               p->spec.name, (unsigned long long)
                               ((st->forecast_ms - dl + 999) / 1000));
    }
    st->at_risk = risk;
    /* Near the deadline, sample four times as often. */
    if (dl > now && dl - now <= 4 * dt) return now + (dt / 4 ? dt / 4 : 1);
    return now + dt;
}
