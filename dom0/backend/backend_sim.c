/*
 * dom0/backend/backend_sim.c: an in-process model of a Xen host (backend.h,
 * backend_sim.h), for the unit tests and `xresd --simulate`: the host's
 * memory, CPUs and domains, their balloons, and the backend ops.
 * XenStore is in backend_sim_xs.c, the simulated agent in
 * backend_sim_agent.c, scenario files in backend_sim_scenario.c.
 *
 * Everything is deterministic: time moves only in xres_sim_advance (which
 * the daemon calls with the wall clock under --simulate).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "backend_sim_priv.h"

#define SHUTDOWN_REASON_CRASH 3     /* LIBXL_SHUTDOWN_REASON_CRASH */

sim_dom *sim_find_dom(sim *s, uint32_t domid)
{
    for (size_t i = 0; i < s->nr_doms; i++)
        if (s->doms[i].domid == domid) return &s->doms[i];
    return NULL;
}

static uint64_t used_kb(const sim *s)
{
    uint64_t u = s->reserved_kb;

    for (size_t i = 0; i < s->nr_doms; i++) u += s->doms[i].cur_kb;
    return u;
}

uint64_t xres_sim_claimed_kb(xres_backend *b)
{
    sim *s = S(b);
    uint64_t c = 0;

    for (size_t i = 0; i < s->nr_doms; i++) c += s->doms[i].claim_kb;
    return c;
}

/* What an allocation can get: free memory that is not claimed. */
uint64_t xres_sim_free_kb(xres_backend *b)
{
    sim *s = S(b);
    uint64_t u = used_kb(s) + xres_sim_claimed_kb(b);

    return u >= s->total_kb ? 0 : s->total_kb - u;
}

/*----- backend ops -----*/

/* The snapshot stands for the calls the libxl backend makes: the host's
 * figures (one libxl call), the domain list (one libxenctrl call) and
 * three XenStore reads per domain; the reads are counted, their time is
 * the list's. */
static int sim_snapshot(xres_backend *b, xres_host *h)
{
    sim *s = S(b);
    uint64_t t0 = xres_stat_now_ns();

    sim_catch_up(b);
    xres_host_dispose(h);
    h->total_kb = s->total_kb;
    h->free_kb = xres_sim_free_kb(b);
    h->outstanding_kb = xres_sim_claimed_kb(b);
    h->claim_ops = s->claim_ops;
    h->nr_cpus = s->nr_cpus;
    h->cap_shadow = s->cap_shadow;
    h->sched = XRES_SCHED_CREDIT;
    snprintf(h->xen_version, sizeof(h->xen_version), "4.17.0-sim");
    xres_bcall_note(b, XRES_BCALL_LIBXL, t0);
    t0 = xres_stat_now_ns();
    for (size_t i = 0; i < s->nr_doms; i++) {
        const sim_dom *sd = &s->doms[i];
        xres_domain *d = xres_host_add_domain(h, sd->domid);
        if (!d) return -ENOMEM;
        snprintf(d->name, sizeof(d->name), "%s", sd->name);
        d->cur_kb = sd->cur_kb;
        d->outstanding_kb = sd->claim_kb;
        d->target_kb = sim_xs_read_u64(s, XS_XEN_MEM_TARGET, sd->domid, 0);
        d->static_max_kb = sim_xs_read_u64(s, XS_XEN_MEM_STATIC_MAX, sd->domid,
                                       0);
        d->feature_balloon = sim_xs_read_u64(s, XS_XEN_FEATURE_BALLOON,
                                         sd->domid, 0) == 1;
        d->xen_max_kb = sd->xen_max_kb;
        d->cpu_time_ns = sd->cpu_time_ns;
        d->vcpus_online = d->vcpus_max = sd->vcpus;
        d->weight = sd->weight;
        d->cap = sd->cap;
        d->paused = sd->paused;
        d->shutdown = sd->shutdown;
        d->running = !sd->paused && !sd->shutdown;
    }
    b->calls.n[XRES_BCALL_XS] += 3 * s->nr_doms;
    xres_bcall_note(b, XRES_BCALL_XC, t0);
    return 0;
}

static int sim_set_target(xres_backend *b, uint32_t domid, uint64_t kb)
{
    sim *s = S(b);
    sim_dom *d = sim_find_dom(s, domid);

    if (!d) return -ESRCH;
    if (kb > d->static_max_kb) return -EINVAL;
    if (kb == 0) return -EINVAL;
    d->target_kb = kb;
    /* libxl with enforce=1: Xen's maximum follows the target. */
    d->xen_max_kb = kb + XRES_SIM_MAXMEM_SLACK_KB;
    return sim_xs_write_u64(s, XS_XEN_MEM_TARGET, domid, kb);
}

static int sim_set_maxmem(xres_backend *b, uint32_t domid, uint64_t kb)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (!d) return -ESRCH;
    /* libxl_domain_setmaxmem: not below the balloon target; Xen's maximum
     * gets libxl's slack on top.  static-max is left alone. */
    if (kb < d->target_kb) return -EINVAL;
    d->xen_max_kb = kb + XRES_SIM_MAXMEM_SLACK_KB;
    return 0;
}

int sim_set_sched(xres_backend *b, uint32_t domid, int weight,
                         int cap)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (!d) return -ESRCH;
    if (weight >= 0 && (weight < 1 || weight > 65535)) return -EINVAL;
    if (cap >= 0 && (unsigned)cap > 100 * d->vcpus) return -EINVAL;
    if (weight >= 0) d->weight = weight;
    if (cap >= 0) d->cap = cap;
    return 0;
}

static int destroy_dom(sim *s, uint32_t domid)
{
    char path[XRES_SCHEMA_PATH_MAX];
    xres_event ev;
    size_t i;

    for (i = 0; i < s->nr_doms; i++)
        if (s->doms[i].domid == domid) break;
    if (i == s->nr_doms) return -ESRCH;
    memmove(&s->doms[i], &s->doms[i + 1],
            (s->nr_doms - i - 1) * sizeof(s->doms[0]));
    s->nr_doms--;
    if (!sim_schema_path(path, sizeof(path), XS_XEN_NAME, domid, 1))
        sim_rm_as(s, 0, path);
    if (s->watch_domains) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = XRES_EV_DOMAIN_DEATH;
        ev.domid = domid;
        sim_queue_event(s, &ev);
    }
    sim_fire(s, "@releaseDomain", false);
    return 0;
}

static int sim_destroy(xres_backend *b, uint32_t domid)
{
    return destroy_dom(S(b), domid);
}

static int sim_pause(xres_backend *b, uint32_t domid)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (!d) return -ESRCH;
    d->paused = true;
    return 0;
}

static uint64_t sim_now_ms(xres_backend *b)
{
    sim_catch_up(b);
    return S(b)->now_ms;
}

static uint64_t sim_clock_now(const xres_clock *c)
{
    return sim_now_ms(c->ctx);
}

const xres_clock *xres_sim_clock(xres_backend *b)
{
    return &S(b)->clock;
}

void sim_catch_up(xres_backend *b)
{
    sim *s = S(b);
    uint64_t now;

    if (!s->wall) return;
    now = xres_clock_now_ms(s->wall);
    if (now <= s->wall_last_ms) return;
    /* Set first: advancing runs the simulated agents, which must not
     * catch up again. */
    uint64_t ms = now - s->wall_last_ms;
    s->wall_last_ms = now;
    xres_sim_advance(b, ms);
}

int xres_sim_follow(xres_backend *b, const xres_clock *wall)
{
    sim *s = S(b);
    struct itimerspec its = {
        .it_interval = { 0, SIM_FOLLOW_TICK_MS * 1000000L },
        .it_value = { 0, SIM_FOLLOW_TICK_MS * 1000000L },
    };

    if (s->tfd < 0) {
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (s->tfd < 0) return -errno;
        if (timerfd_settime(s->tfd, 0, &its, NULL) < 0) return -errno;
    }
    s->wall = wall;
    s->wall_last_ms = xres_clock_now_ms(wall);
    return 0;
}

static void sim_dispose(xres_backend *b)
{
    sim *s = S(b);

    if (!s) return;
    sim_xs_dispose(s);
    if (s->tfd >= 0) close(s->tfd);
    free(s->doms);
    free(s);
    b->priv = NULL;
    b->ops = NULL;
}

/* The backend ops, each counted as the call into Xen it stands for. */
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, sim_set_target,
            (xres_backend *b, uint32_t domid, uint64_t kb), (b, domid, kb))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, sim_set_maxmem,
            (xres_backend *b, uint32_t domid, uint64_t kb), (b, domid, kb))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, sim_set_sched,
            (xres_backend *b, uint32_t domid, int w, int c), (b, domid, w, c))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, sim_destroy, (xres_backend *b, uint32_t domid),
            (b, domid))
XRES_BCALL_COUNTED(XRES_BCALL_LIBXL, sim_pause, (xres_backend *b, uint32_t domid),
            (b, domid))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_read,
            (xres_backend *b, const char *p, char **v, size_t *l), (b, p, v, l))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_write,
            (xres_backend *b, const char *p, const char *v, size_t l),
            (b, p, v, l))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_rm, (xres_backend *b, const char *p), (b, p))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_mkdir, (xres_backend *b, const char *p),
            (b, p))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_directory,
            (xres_backend *b, const char *p, char ***v, unsigned *n),
            (b, p, v, n))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_set_perms,
            (xres_backend *b, const char *p, const xres_perm_entry *e,
             unsigned n), (b, p, e, n))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_watch,
            (xres_backend *b, const char *p, const char *t), (b, p, t))
XRES_BCALL_COUNTED(XRES_BCALL_XS, sim_xs_unwatch,
            (xres_backend *b, const char *p, const char *t), (b, p, t))
XRES_BCALL_COUNTED(XRES_BCALL_XC, sim_claim,
            (xres_backend *b, uint32_t domid, uint64_t kb), (b, domid, kb))

static const xres_backend_ops sim_ops = {
    .name = "sim",
    .snapshot = sim_snapshot,
    .set_target = c_sim_set_target,
    .set_maxmem = c_sim_set_maxmem,
    .set_sched = c_sim_set_sched,
    .destroy = c_sim_destroy,
    .pause = c_sim_pause,
    .xs_read = c_sim_xs_read,
    .xs_write = c_sim_xs_write,
    .xs_rm = c_sim_xs_rm,
    .xs_mkdir = c_sim_xs_mkdir,
    .xs_directory = c_sim_xs_directory,
    .xs_set_perms = c_sim_xs_set_perms,
    .xs_watch = c_sim_xs_watch,
    .xs_unwatch = c_sim_xs_unwatch,
    .placeholder_create = sim_placeholder_create,
    .claim = c_sim_claim,
    .claim_adjust = sim_claim_adjust,
    .claim_move = sim_claim_move,
    .create_start = sim_create_start,
    .create_poll = sim_create_poll,
    .watch_domains = sim_watch_domains,
    .poll_fds = sim_poll_fds,
    .next_event = sim_next_event,
    .dispose = sim_dispose,
};

int xres_backend_sim_open(xres_backend *b, uint64_t total_kb,
                          unsigned nr_cpus)
{
    sim *s = calloc(1, sizeof(*s));
    sim_node *root;
    int rc;

    if (!s) return -ENOMEM;
    s->total_kb = total_kb;
    s->nr_cpus = nr_cpus ? nr_cpus : 1;
    s->now_ms = 1000;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->tfd = -1;
    s->clock.now_ms = sim_clock_now;
    s->clock.ctx = b;
    b->ops = &sim_ops;
    b->priv = s;
    /* The root and the parent of every domain's directory belong to dom0,
     * nobody else may read them. */
    char path[XRES_SCHEMA_PATH_MAX];
    rc = sim_create_node(s, 0, "/", &root);
    if (!rc) rc = sim_schema_path(path, sizeof(path), XS_XEN_NAME, 0, 2);
    if (!rc) rc = sim_create_node(s, 0, path, &root);
    if (rc) { sim_dispose(b); return rc; }
    return 0;
}

/*----- simulator controls -----*/

int xres_sim_add_domain(xres_backend *b, const char *name, uint64_t mem_kb,
                        uint64_t static_max_kb, uint32_t *domid_out)
{
    sim *s = S(b);
    sim_dom *d, *nv;
    char path[XRES_SCHEMA_PATH_MAX];
    uint32_t domid;

    if (!name || !*name || strlen(name) >= XRES_NAME_MAX || !mem_kb)
        return -EINVAL;
    if (static_max_kb < mem_kb) static_max_kb = mem_kb;
    if (mem_kb > xres_sim_free_kb(b)) return -ENOMEM;
    for (size_t i = 0; i < s->nr_doms; i++)
        if (!strcmp(s->doms[i].name, name)) return -EEXIST;
    nv = realloc(s->doms, (s->nr_doms + 1) * sizeof(*nv));
    if (!nv) return -ENOMEM;
    s->doms = nv;
    domid = s->next_domid++;
    d = &s->doms[s->nr_doms++];
    memset(d, 0, sizeof(*d));
    d->domid = domid;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->cur_kb = d->target_kb = mem_kb;
    d->xen_max_kb = mem_kb + XRES_SIM_MAXMEM_SLACK_KB;
    d->static_max_kb = static_max_kb;
    d->rate_kb = XRES_SIM_DEFAULT_RATE_KB;
    d->weight = 256;
    d->cap = 0;
    d->vcpus = 1;

    /* The XenStore layout libxl creates. */
    xres_perm_entry ro[2] = { { 0, XRES_PERM_NONE },
                              { domid, XRES_PERM_READ } };
    xres_perm_entry own[1] = { { domid, XRES_PERM_NONE } };
    sim_schema_path(path, sizeof(path), XS_XEN_NAME, domid, 1);
    sim_xs_mkdir(b, path);
    if (domid) sim_set_perms(s, path, ro, 2);
    sim_schema_path(path, sizeof(path), XS_XEN_NAME, domid, 0);
    sim_xs_write_str(s, path, name);
    sim_xs_write_u64(s, XS_XEN_MEM_TARGET, domid, mem_kb);
    sim_xs_write_u64(s, XS_XEN_MEM_STATIC_MAX, domid, static_max_kb);
    sim_schema_path(path, sizeof(path), XS_REPORT_DIR, domid, 1);
    sim_xs_mkdir(b, path);
    if (domid) sim_set_perms(s, path, own, 1);
    sim_schema_path(path, sizeof(path), XS_XEN_FEATURE_BALLOON, domid, 1);
    sim_xs_mkdir(b, path);
    if (domid) sim_set_perms(s, path, own, 1);
    sim_xs_write_u64(s, XS_XEN_FEATURE_BALLOON, domid, 1);
    sim_fire(s, "@introduceDomain", false);
    if (domid_out) *domid_out = domid;
    return 0;
}

void xres_sim_set_balloon_rate(xres_backend *b, uint32_t domid,
                               uint64_t kb_per_s)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (d) d->rate_kb = kb_per_s;
}

void xres_sim_set_balloon_refuses(xres_backend *b, uint32_t domid,
                                  bool refuses)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (d) d->refuses = refuses;
}

/* One step of the simulation: every balloon moves for ms. */
static void advance_step(xres_backend *b, uint64_t ms)
{
    sim *s = S(b);

    s->now_ms += ms;
    for (size_t i = 0; i < s->nr_doms; i++) {
        sim_dom *d = &s->doms[i];
        if (d->paused || d->shutdown) continue;
        d->cpu_time_ns += (uint64_t)d->vcpus * d->cpu_pct * ms * 10000;
        if (d->refuses || d->cur_kb == d->target_kb) {
            d->carry = 0;
            continue;
        }
        d->carry += d->rate_kb * ms;
        uint64_t step = d->carry / 1000;
        d->carry %= 1000;
        if (d->cur_kb > d->target_kb) {
            if (step > d->cur_kb - d->target_kb)
                step = d->cur_kb - d->target_kb;
            d->cur_kb -= step;
        } else {
            /* Growing takes free host memory, up to Xen's maximum. */
            uint64_t lim = d->target_kb < d->xen_max_kb ? d->target_kb
                                                        : d->xen_max_kb;
            uint64_t room = lim > d->cur_kb ? lim - d->cur_kb : 0;
            /* Its own claim first, as Xen allocates. */
            uint64_t fr = xres_sim_free_kb(b) + d->claim_kb;
            if (room > fr) room = fr;
            if (step > room) step = room;
            d->cur_kb += step;
            d->claim_kb -= step < d->claim_kb ? step : d->claim_kb;
        }
    }
}

void xres_sim_advance(xres_backend *b, uint64_t ms)
{
    /* Steps of at most 100 ms, so that balloons moving at the same time
     * interleave (one shrinking makes room for another growing). */
    while (ms) {
        uint64_t step = ms > 100 ? 100 : ms;
        advance_step(b, step);
        sim_agents_step(b);
        ms -= step;
    }
}

void xres_sim_crash_domain(xres_backend *b, uint32_t domid)
{
    sim *s = S(b);
    sim_dom *d = sim_find_dom(s, domid);
    xres_event ev;

    if (!d) return;
    d->shutdown = true;
    if (s->watch_domains) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = XRES_EV_DOMAIN_SHUTDOWN;
        ev.domid = domid;
        ev.reason = SHUTDOWN_REASON_CRASH;
        sim_queue_event(s, &ev);
    }
    /* on_crash="destroy", as xl does by default. */
    destroy_dom(s, domid);
}

void xres_sim_set_cpu_time(xres_backend *b, uint32_t domid, uint64_t ns)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (d) d->cpu_time_ns = ns;
}

int xres_sim_set_reserved_kb(xres_backend *b, uint64_t kb)
{
    sim *s = S(b);

    if (used_kb(s) - s->reserved_kb + kb > s->total_kb) return -ENOMEM;
    s->reserved_kb = kb;
    return 0;
}

void xres_sim_set_cpu_load(xres_backend *b, uint32_t domid, unsigned pct)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (d) d->cpu_pct = pct > 100 ? 100 : pct;
}

int xres_sim_set_vcpus(xres_backend *b, uint32_t domid, unsigned vcpus)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (!d) return -ESRCH;
    if (!vcpus || vcpus > 512) return -EINVAL;
    d->vcpus = vcpus;
    if ((unsigned)d->cap > 100 * vcpus) d->cap = 100 * vcpus;
    return 0;
}

void xres_sim_unpause(xres_backend *b, uint32_t domid)
{
    sim_dom *d = sim_find_dom(S(b), domid);

    if (d) d->paused = false;
}

void xres_sim_set_feature_balloon(xres_backend *b, uint32_t domid, bool on)
{
    sim_xs_write_u64(S(b), XS_XEN_FEATURE_BALLOON, domid, on ? 1 : 0);
}

