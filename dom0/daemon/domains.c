/*
 * dom0/daemon/domains.c: the core's per-domain state: snapshots and what
 * the core merges into them, the report watches, coalescing of guest
 * reports, backend events and the tick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_report.h"
#include "core_int.h"
#include "log.h"
#include "policy_mem.h"
#include "xs_schema.h"

/*----- per-domain state -----*/

xres_domstate *xres_daemon_domstate(xres_daemon *d, uint32_t domid)
{
    size_t lo = 0, hi = d->nr_dom;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->dom[mid].domid == domid) return &d->dom[mid];
        if (d->dom[mid].domid < domid) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static xres_domstate *domstate_add(xres_daemon *d, uint32_t domid)
{
    size_t i;

    if (d->nr_dom == d->cap_dom) {
        size_t ncap = d->cap_dom ? d->cap_dom * 2 : 16;
        xres_domstate *v = realloc(d->dom, ncap * sizeof(*v));
        if (!v) return NULL;
        d->dom = v;
        d->cap_dom = ncap;
    }
    for (i = d->nr_dom; i > 0 && d->dom[i - 1].domid > domid; i--)
        d->dom[i] = d->dom[i - 1];
    memset(&d->dom[i], 0, sizeof(d->dom[i]));
    d->dom[i].domid = domid;
    d->nr_dom++;
    return &d->dom[i];
}

static void domstate_remove(xres_daemon *d, xres_domstate *ds)
{
    size_t i = ds - d->dom;

    memmove(&d->dom[i], &d->dom[i + 1],
            (d->nr_dom - i - 1) * sizeof(d->dom[0]));
    d->nr_dom--;
}

static void report_token(uint32_t domid, char *buf, size_t len)
{
    snprintf(buf, len, XRES_WATCH_REPORT "%u", domid);
}

/* A new domain: watch its reports and give it a dom0-owned request
 * directory that it may read. */
static void domain_appeared(xres_daemon *d, xres_domstate *ds)
{
    char path[XRES_SCHEMA_PATH_MAX], token[32];
    int rc;

    if (ds->domid == 0) return;
    report_token(ds->domid, token, sizeof(token));
    rc = xres_schema_path(path, sizeof(path), XS_REPORT_DIR, ds->domid,
                          NULL);
    if (!rc) rc = d->be->ops->xs_watch(d->be, path, token);
    if (rc) XLOG_WARN("dom%u: cannot watch its reports: %s", ds->domid,
                      strerror(-rc));
    else ds->watched = true;

    rc = xres_agent_request_setup(d->be, ds->domid);
    if (rc) XLOG_WARN("dom%u: cannot create its request directory: %s",
                      ds->domid, strerror(-rc));
}

void core_domain_gone(xres_daemon *d, xres_domstate *ds)
{
    char path[XRES_SCHEMA_PATH_MAX], token[32];

    if (ds->watched &&
        !xres_schema_path(path, sizeof(path), XS_REPORT_DIR, ds->domid,
                          NULL)) {
        report_token(ds->domid, token, sizeof(token));
        d->be->ops->xs_unwatch(d->be, path, token);
    }
    domstate_remove(d, ds);
}

static xres_balloon_state balloon_state(const xres_daemon *d,
                                        const xres_domain *dom,
                                        const xres_domstate *ds)
{
    if (ds && ds->balloon_forced) return ds->balloon;
    if (dom->domid == 0 || !dom->agent.valid || !xres_mem_has_balloon(dom))
        return XRES_BALLOON_FIXED;
    return xres_mem_arrived(dom->cur_kb, dom->target_kb, d->mem_tol_kb)
        ? XRES_BALLOON_OK : XRES_BALLOON_MOVING;
}

static int cd_cmp(const void *a, const void *b)
{
    const xres_config_domain *const *x = a, *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

/* The configured domains sorted by name (NULL when there are none or no
 * memory: then each lookup scans).  One sort per snapshot rather than a
 * scan of the configuration per domain. */
static const xres_config_domain **cd_index(const xres_config *cfg)
{
    const xres_config_domain **v;

    if (!cfg->nr_domains) return NULL;
    v = malloc(cfg->nr_domains * sizeof(*v));
    if (!v) return NULL;
    for (size_t i = 0; i < cfg->nr_domains; i++) v[i] = &cfg->domains[i];
    qsort(v, cfg->nr_domains, sizeof(*v), cd_cmp);
    return v;
}

static const xres_config_domain *cd_find(const xres_config *cfg,
                                         const xres_config_domain **v,
                                         const char *name)
{
    size_t lo = 0, hi = cfg->nr_domains;

    if (!v) return xres_config_domain_find(cfg, name);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid]->name, name);
        if (!c) return v[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Copies what the core knows into one domain of the snapshot. */
static void merge_domain(xres_daemon *d, xres_domain *dom,
                         const xres_config_domain **byname)
{
    xres_domstate *ds = xres_daemon_domstate(d, dom->domid);
    const xres_config_domain *cd = cd_find(&d->cfg, byname, dom->name);

    if (ds) dom->agent = ds->agent;
    memset(&dom->mem_policy, 0, sizeof(dom->mem_policy));
    if (cd) dom->mem_policy = cd->mem;
    dom->balloon = balloon_state(d, dom, ds);
    dom->mem_floor_kb = ds ? ds->mem_floor_kb : 0;
}

int xres_daemon_refresh(xres_daemon *d)
{
    xres_bcalls before = d->be->calls;
    uint64_t t0 = xres_stat_now_ns();
    xres_host h;
    int rc;

    xres_host_init(&h);
    rc = d->be->ops->snapshot(d->be, &h);
    xres_path_stats_snapshot(&d->pstats, xres_stat_now_ns() - t0, &before,
                             &d->be->calls);
    if (rc) {
        XLOG_ERR("cannot read the host's state: %s", strerror(-rc));
        goto out;
    }
    h.now_ms = xres_daemon_now_ms(d);
    for (size_t i = 0; i < d->nr_dom; i++) d->dom[i].seen = false;
    for (size_t i = 0; i < h.nr_domains; i++) {
        uint32_t domid = h.domains[i].domid;
        xres_domstate *ds = xres_daemon_domstate(d, domid);
        if (!ds) {
            ds = domstate_add(d, domid);
            if (!ds) { rc = -ENOMEM; goto out; }
        }
        ds->seen = true;
        /* Set a domain up once the toolstack has made its XenStore
         * directory (its name is there): libxl removes and re-creates
         * that directory while it builds the domain. */
        if (!ds->set_up && h.domains[i].name[0] && !h.domains[i].dying) {
            XLOG_DEBUG("dom%u (%s) appeared", domid, h.domains[i].name);
            ds->set_up = true;
            domain_appeared(d, ds);
        }
    }
    for (size_t i = 0; i < d->nr_dom;) {
        if (!d->dom[i].seen) {
            XLOG_DEBUG("dom%u is gone", d->dom[i].domid);
            core_domain_gone(d, &d->dom[i]);
        } else {
            i++;
        }
    }
    {
        const xres_config_domain **byname = cd_index(&d->cfg);
        for (size_t i = 0; i < h.nr_domains; i++)
            merge_domain(d, &h.domains[i], byname);
        free(byname);
    }
    xres_host_dispose(&d->host);
    d->host = h;
    xres_host_init(&h);
    d->host_stale = false;
out:
    xres_host_dispose(&h);
    return rc;
}

int xres_daemon_refresh_if_stale(xres_daemon *d)
{
    return d->host_stale ? xres_daemon_refresh(d) : 0;
}

void xres_daemon_want_refresh(xres_daemon *d)
{
    d->host_stale = true;
}

void xres_daemon_set_snapshot_age(xres_daemon *d, uint64_t ms)
{
    d->host_max_age_ms = ms;
}

/* Before a hook: the snapshot when stale, or older than a subsystem asked. */
static void before_hook(xres_daemon *d, bool report)
{
    if (report && d->host_max_age_ms &&
        xres_daemon_now_ms(d) - d->host.now_ms >= d->host_max_age_ms)
        d->host_stale = true;
    xres_daemon_refresh_if_stale(d);
}

void xres_daemon_set_balloon_state(xres_daemon *d, uint32_t domid,
                                   xres_balloon_state s)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);
    xres_domain *dom = xres_host_find(&d->host, domid);

    if (!ds) return;
    ds->balloon_forced = true;
    ds->balloon = s;
    if (dom) dom->balloon = s;
}

void xres_daemon_clear_balloon_state(xres_daemon *d, uint32_t domid)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);
    xres_domain *dom = xres_host_find(&d->host, domid);

    if (!ds) return;
    ds->balloon_forced = false;
    if (dom) dom->balloon = balloon_state(d, dom, ds);
}

void xres_daemon_set_mem_floor(xres_daemon *d, uint32_t domid,
                               uint64_t kb)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);
    xres_domain *dom = xres_host_find(&d->host, domid);

    if (!ds) return;
    ds->mem_floor_kb = kb;
    if (dom) dom->mem_floor_kb = kb;
}

void xres_daemon_set_mem_tolerance(xres_daemon *d, uint64_t kb)
{
    d->mem_tol_kb = kb;
    for (size_t i = 0; i < d->host.nr_domains; i++) {
        xres_domain *dom = &d->host.domains[i];
        dom->balloon = balloon_state(d, dom, xres_daemon_domstate(d,
                                                                dom->domid));
    }
}

void xres_daemon_wake_at(xres_daemon *d, uint64_t at_ms)
{
    if (at_ms < d->next_tick_ms) d->next_tick_ms = at_ms;
}

xres_domain *xres_daemon_find_domain(xres_daemon *d, const char *s)
{
    xres_domain *dom = xres_host_find_name(&d->host, s);
    char *end;

    if (dom) return dom;
    if (*s < '0' || *s > '9') return NULL;
    errno = 0;
    unsigned long id = strtoul(s, &end, 10);
    if (*end || errno || id > UINT32_MAX) return NULL;
    return xres_host_find(&d->host, (uint32_t)id);
}

/*----- events and reports -----*/

/* The domid of a report watch token, or XRES_DOMID_INVALID. */
static uint32_t report_domid(const char *token)
{
    size_t n = strlen(XRES_WATCH_REPORT);
    unsigned long id;
    char *end;

    if (strncmp(token, XRES_WATCH_REPORT, n)) return XRES_DOMID_INVALID;
    if (token[n] < '0' || token[n] > '9') return XRES_DOMID_INVALID;
    errno = 0;
    id = strtoul(token + n, &end, 10);
    if (errno || *end || id >= XRES_DOMID_INVALID) return XRES_DOMID_INVALID;
    return (uint32_t)id;
}

static void deliver_event(xres_daemon *d, const xres_event *ev)
{
    const xres_subsys *s;

    before_hook(d, false);
    FOR_SUBSYS(d, s) {
        if (!s->on_event) continue;
        if (ev->kind == XRES_EV_WATCH) {
            size_t n = strlen(s->name);
            if (strncmp(ev->token, s->name, n) || ev->token[n] != ':')
                continue;
        }
        s->on_event(d, ev);
    }
}

/* Puts ds at the tail of the queue of dirty domains. */
static void dirty_push(xres_daemon *d, xres_domstate *ds)
{
    if (ds->report_queued) return;
    if (d->dq_len == d->dq_cap) {
        size_t ncap = d->dq_cap ? d->dq_cap * 2 : 64;
        uint32_t *v = malloc(ncap * sizeof(*v));
        if (!v) return;             /* seen again at the next report */
        for (size_t i = 0; i < d->dq_len; i++)
            v[i] = d->dirtyq[(d->dq_head + i) % d->dq_cap];
        free(d->dirtyq);
        d->dirtyq = v;
        d->dq_cap = ncap;
        d->dq_head = 0;
    }
    d->dirtyq[(d->dq_head + d->dq_len) % d->dq_cap] = ds->domid;
    d->dq_len++;
    ds->report_queued = true;
}

static void handle_event(xres_daemon *d, const xres_event *ev)
{
    switch (ev->kind) {
    case XRES_EV_WATCH:
        if (report_domid(ev->token) != XRES_DOMID_INVALID) {
            uint32_t domid = report_domid(ev->token);
            xres_domstate *ds = domid == XRES_DOMID_INVALID ? NULL
                : xres_daemon_domstate(d, domid);
            d->pstats.report_events++;
            if (ds) {
                if (!ds->report_dirty) ds->report_event_ns = xres_stat_now_ns();
                ds->report_dirty = true;
                ds->report_events++;
                dirty_push(d, ds);
            }
        } else if (!strcmp(ev->token, XRES_WATCH_INTRODUCE) ||
                   !strcmp(ev->token, XRES_WATCH_RELEASE)) {
            d->host_stale = true;
        } else {
            deliver_event(d, ev);
        }
        break;
    case XRES_EV_DOMAIN_SHUTDOWN:
    case XRES_EV_DOMAIN_DEATH:
        XLOG_INFO("dom%u: %s", ev->domid,
                  ev->kind == XRES_EV_DOMAIN_DEATH ? "destroyed"
                                                   : "shut down");
        xres_daemon_refresh(d);
        deliver_event(d, ev);
        break;
    default:
        break;
    }
}

bool core_drain_events(xres_daemon *d)
{
    xres_event ev;

    for (int n = 0; n < EVENTS_PER_LOOP; n++) {
        memset(&ev, 0, sizeof(ev));
        if (d->be->ops->next_event(d->be, &ev) || ev.kind == XRES_EV_NONE)
            return false;
        handle_event(d, &ev);
    }
    return true;
}

/* The first domain above domid (XRES_DOMID_INVALID: the first of all), or
 * NULL.  Loops go by domid, so a subsystem that refreshes the snapshot
 * from a hook cannot make them skip or repeat a domain. */
static xres_domstate *domstate_after(xres_daemon *d, uint32_t domid)
{
    size_t lo = 0, hi = d->nr_dom;

    if (domid == XRES_DOMID_INVALID) return d->nr_dom ? &d->dom[0] : NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->dom[mid].domid <= domid) lo = mid + 1;
        else hi = mid;
    }
    return lo < d->nr_dom ? &d->dom[lo] : NULL;
}

/* ds's report, as the core now holds it, goes into the snapshot and to
 * every subsystem's on_report. */
static void deliver_report(xres_daemon *d, xres_domstate *ds, bool gone_too)
{
    uint32_t domid = ds->domid;
    const xres_subsys *s;
    xres_domain *dom;

    before_hook(d, true);
    /* The refresh may have dropped the domain, and moved ds. */
    if (!(ds = xres_daemon_domstate(d, domid)) && !gone_too) return;
    dom = xres_host_find(&d->host, domid);
    if (dom && ds) {
        dom->agent = ds->agent;
        dom->balloon = balloon_state(d, dom, ds);
    } else if (!gone_too) {
        return;
    }
    FOR_SUBSYS(d, s)
        if (s->on_report) s->on_report(d, domid);
}

/* Takes one evaluation from ds's bucket: true, or false and how long
 * until it holds one.  report_interval_ms = 0: no bucket. */
static bool bucket_take(const xres_daemon *d, xres_domstate *ds,
                        uint64_t now, uint64_t *wait)
{
    uint64_t ival = (uint64_t)d->cfg.report_interval_ms;
    uint64_t cap = ival * XRES_REPORT_BURST;

    if (!ival) return true;
    if (!ds->bucket_set) {
        ds->bucket_set = true;
        ds->report_credit_ms = cap;
    } else if (now > ds->report_refill_ms) {
        ds->report_credit_ms += now - ds->report_refill_ms;
    }
    if (ds->report_credit_ms > cap) ds->report_credit_ms = cap;
    ds->report_refill_ms = now;
    if (ds->report_credit_ms >= ival) {
        ds->report_credit_ms -= ival;
        return true;
    }
    *wait = ival - ds->report_credit_ms;
    return false;
}

/* ds's report, read now and handed to the subsystems. */
static void evaluate(xres_daemon *d, xres_domstate *ds, uint64_t now)
{
    uint64_t t0 = xres_stat_now_ns(), ev_ns = ds->report_event_ns;

    ds->report_dirty = false;
    ds->report_held = false;
    ds->report_last_ms = now;
    ds->report_iter = d->loop_iter;
    xres_stat_add(&d->pstats.step[XRES_PATH_COALESCE], t0 - ev_ns);
    ds->agent_before = ds->agent;
    /* A rejected or missing report marks the domain "not reporting"
     * inside; the figures below are the ones it leaves. */
    (void)xres_daemon_read_agent_report(d->be, ds->domid, &ds->agent,
                                        xres_daemon_now_ms(d));
    xres_stat_add(&d->pstats.step[XRES_PATH_REPORT_READ],
                  xres_stat_now_ns() - t0);
    d->pstats.reports++;
    /* The path's clock starts at the oldest report acted on. */
    if (!d->pstats.react_t0_ns || ev_ns < d->pstats.react_t0_ns)
        d->pstats.react_t0_ns = ev_ns;
    deliver_report(d, ds, false);
}

int core_process_reports(xres_daemon *d, uint64_t now)
{
    int next = -1, done = 0;
    size_t n = d->dq_len;
    const xres_subsys *s;

    /* Each queued domain once: evaluated, or put back at the tail. */
    for (size_t k = 0; k < n && d->dq_len; k++) {
        uint32_t domid = d->dirtyq[d->dq_head];
        xres_domstate *ds;
        uint64_t wait = 0;

        d->dq_head = (d->dq_head + 1) % d->dq_cap;
        d->dq_len--;
        /* Found again by domid: a hook may refresh and move them. */
        if (!(ds = xres_daemon_domstate(d, domid))) continue;
        ds->report_queued = false;
        if (!ds->report_dirty) continue;
        if (done == REPORTS_PER_LOOP || ds->report_iter == d->loop_iter) {
            next = 0;
            dirty_push(d, ds);
            continue;
        }
        if (!bucket_take(d, ds, now, &wait)) {
            if (!ds->report_held) d->pstats.reports_deferred++;
            ds->report_held = true;
            if (next < 0 || (int)wait < next) next = (int)wait;
            dirty_push(d, ds);
            continue;
        }
        done++;
        evaluate(d, ds, now);
    }
    if (done)
        FOR_SUBSYS(d, s)
            if (s->reports_done) s->reports_done(d);
    d->pstats.react_t0_ns = 0;
    return next;
}

void xres_daemon_tick(xres_daemon *d)
{
    const xres_subsys *s;
    uint64_t now = xres_daemon_now_ms(d);
    uint32_t last = XRES_DOMID_INVALID;
    xres_domstate *ds;

    xres_daemon_refresh(d);
    /* Agents that stopped reporting: their figures are no longer used. */
    while ((ds = domstate_after(d, last)) != NULL) {
        last = ds->domid;
        if (xres_agent_report_expire(&ds->agent, ds->domid, now))
            deliver_report(d, ds, true);
    }
    FOR_SUBSYS(d, s)
        if (s->tick) s->tick(d);
}
