/*
 * bench/soak.c: xresd's core on the simulated host under a seeded random
 * storm: hostile reports (garbage, used = total, used = 0, huge swap),
 * floods of report writes, balloons that refuse, domain crashes, and
 * daemon crashes (the daemon dropped without dispose, as kill -9 would)
 * followed by restarts from what is in the simulated XenStore.  After
 * every round it checks: Xen's free memory plus every domain's memory plus
 * what claims hold is unchanged, no guest holds more than its policy's
 * max, and no balloon target stays away from its domain's memory longer
 * than a bound after the daemon settled.
 *
 * Usage: soak [ROUNDS [SEED]] (defaults: 100000, the time).  Prints the
 * seed, rounds, restarts and violations; exits 1 on any violation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend_sim.h"
#include "daemon.h"
#include "log.h"

#define NGUEST 6
#define GUEST_MAX_KB (768 * 1024)       /* every guest's policy max */
#define SETTLE_ROUNDS 200               /* target may lag memory this long */
#define TOTAL_KB (8ULL << 20)

typedef struct {
    xres_backend be;
    xres_daemon *d;
    uint32_t domid[NGUEST];
    bool alive[NGUEST];
    uint64_t seq[NGUEST];
    unsigned away[NGUEST];              /* rounds target != memory */
    uint64_t conserved_kb;
    unsigned long restarts, violations, crashes_dom;
    char sock[64], conf[64];
    uint64_t rng;
} soak;

static uint64_t rnd(soak *s)
{
    /* xorshift64*: the draw depends on the seed alone. */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static int write_config(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f) return -1;
    fprintf(f, "domains = [\n");
    for (unsigned i = 0; i < NGUEST; i++)
        fprintf(f, "  \"name=s%u, min=128M, max=768M, priority=%u, "
                "weight=%u\",\n", i, i % 3, 1 + i % 4);
    fprintf(f, "]\n");
    return fclose(f) ? -1 : 0;
}

static int daemon_start(soak *s)
{
    xres_daemon_opts o = { .socket_path = s->sock };
    char err[256];
    int rc;

    s->d = calloc(1, sizeof(*s->d));
    if (!s->d) return -ENOMEM;
    rc = xres_daemon_load_config(s->d, s->conf, false, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "soak: config: %s\n", err);
        goto out;
    }
    o.clock = xres_sim_clock(&s->be);
    rc = xres_daemon_init(s->d, &s->be, &o);
out:
    return rc;
}

/* kill -9: the process's descriptors close, nothing else happens; the
 * memory of the dropped daemon stays allocated (a process would lose it). */
static void daemon_kill9(soak *s)
{
    xres_daemon *d = s->d;

    if (d->listen_fd >= 0) close(d->listen_fd);
    if (d->sig_fd >= 0) close(d->sig_fd);
    if (d->stop_fd >= 0) close(d->stop_fd);
    for (int i = 0; i < XRES_MAX_CONNS; i++)
        if (d->conns[i].fd >= 0) close(d->conns[i].fd);
    unlink(s->sock);
    s->d = NULL;
    s->restarts++;
}

static int host_start(soak *s)
{
    char name[16];
    int rc;

    rc = xres_backend_sim_open(&s->be, TOTAL_KB, 4);
    if (rc) goto out;
    xres_sim_set_reserved_kb(&s->be, 64 * 1024);
    rc = xres_sim_add_domain(&s->be, "Domain-0", 2 << 20, 2 << 20, NULL);
    if (rc) goto out;
    for (unsigned i = 0; i < NGUEST; i++) {
        snprintf(name, sizeof(name), "s%u", i);
        rc = xres_sim_add_domain(&s->be, name, 256 * 1024, 1024 * 1024,
                                 &s->domid[i]);
        if (rc) goto out;
        s->alive[i] = true;
        s->seq[i] = 1;
    }
out:
    return rc;
}

/* What the host holds apart from its reservation: free + domains + claims. */
static int host_sum(soak *s, uint64_t *sum, xres_host *h)
{
    int rc = s->be.ops->snapshot(&s->be, h);

    if (rc) return rc;
    *sum = xres_sim_free_kb(&s->be) + xres_sim_claimed_kb(&s->be);
    for (size_t i = 0; i < h->nr_domains; i++) *sum += h->domains[i].cur_kb;
    return 0;
}

static void report(soak *s, unsigned g)
{
    char path[96], rec[512];
    uint64_t total = GUEST_MAX_KB, used, swap = 0;
    unsigned kind = rnd(s) % 8;

    snprintf(path, sizeof(path), "/local/domain/%u/data/xres/report",
             s->domid[g]);
    switch (kind) {
    case 0:                             /* garbage */
        for (size_t i = 0; i < 64; i++) rec[i] = (char)(1 + rnd(s) % 255);
        rec[64] = 0;
        xres_sim_xs_write_as(&s->be, s->domid[g], path, rec);
        return;
    case 1: used = total; break;        /* starving */
    case 2: used = 0; break;            /* idle */
    case 3: used = rnd(s) % total; swap = 1ULL << 40; break;
    case 4: used = 1ULL << 40; total = 1ULL << 40; break;   /* a lie */
    default: used = rnd(s) % total; break;
    }
    snprintf(rec, sizeof(rec), "seq=%" PRIu64 " version=0.1.0 heartbeat=%"
             PRIu64 " heartbeat-interval=10 mem-total=%" PRIu64
             " mem-avail=%" PRIu64 " mem-used=%" PRIu64 " swap-used=%"
             PRIu64 " balloon-cur=%" PRIu64 " balloon-target=%" PRIu64
             " cpu-pct=%u", s->seq[g], s->seq[g] * 1000, total,
             total - used, used, swap, total, total, (unsigned)(rnd(s) % 101));
    s->seq[g]++;
    xres_sim_xs_write_as(&s->be, s->domid[g], path, rec);
}

static void violation(soak *s, unsigned long round, const char *what,
                      unsigned g, uint64_t a, uint64_t b)
{
    s->violations++;
    if (s->violations <= 20)
        fprintf(stderr, "soak: round %lu: %s (guest s%u: %" PRIu64 " vs %"
                PRIu64 ")\n", round, what, g, a, b);
}

static void check(soak *s, unsigned long round, bool settled)
{
    xres_host h;
    uint64_t sum;

    xres_host_init(&h);
    if (host_sum(s, &sum, &h)) {
        violation(s, round, "snapshot failed", 0, 0, 0);
        goto out;
    }
    if (sum != s->conserved_kb)
        violation(s, round, "memory not conserved", 0, sum, s->conserved_kb);
    for (unsigned g = 0; g < NGUEST; g++) {
        xres_domain *dom;
        uint64_t diff;

        if (!s->alive[g]) continue;
        dom = xres_host_find(&h, s->domid[g]);
        if (!dom) continue;
        /* The balloon moves toward its target; memory beyond the max is
         * only a violation once xresd has asked for it. */
        if (dom->target_kb > GUEST_MAX_KB)
            violation(s, round, "target above the policy's max", g,
                      dom->target_kb, GUEST_MAX_KB);
        diff = dom->cur_kb > dom->target_kb ? dom->cur_kb - dom->target_kb
                                            : dom->target_kb - dom->cur_kb;
        if (diff <= 1024 || !settled) s->away[g] = 0;
        else if (++s->away[g] == SETTLE_ROUNDS)
            violation(s, round, "target away from memory", g, dom->target_kb,
                      dom->cur_kb);
    }
out:
    xres_host_dispose(&h);
}

static void round_once(soak *s, unsigned long round)
{
    unsigned r = rnd(s) % 1000, g = rnd(s) % NGUEST;

    if (r < 600) {
        if (s->alive[g]) report(s, g);
    } else if (r < 620) {
        for (int i = 0; i < 200 && s->alive[g]; i++) report(s, g);
    } else if (r < 625) {
        xres_sim_set_balloon_refuses(&s->be, s->domid[g], rnd(s) % 2);
    } else if (r < 627 && s->alive[g] && s->crashes_dom < NGUEST / 2) {
        xres_sim_crash_domain(&s->be, s->domid[g]);
        s->alive[g] = false;
        s->crashes_dom++;
    } else if (r < 632) {
        daemon_kill9(s);
        if (daemon_start(s)) {
            violation(s, round, "restart failed", 0, 0, 0);
            exit(1);
        }
    }
    xres_sim_advance(&s->be, 100 + rnd(s) % 900);
    xres_daemon_run_once(s->d, 0);
}

int main(int argc, char **argv)
{
    unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0)
                             : (uint64_t)time(NULL);
    char dir[] = "/tmp/xres-soak-XXXXXX";
    soak s;
    xres_host h;
    int rc = 1;

    memset(&s, 0, sizeof(s));
    s.rng = seed ? seed : 1;
    xres_log_set_level(LOG_CRIT);
    if (!mkdtemp(dir)) return 1;
    snprintf(s.sock, sizeof(s.sock), "%s/s", dir);
    snprintf(s.conf, sizeof(s.conf), "%s/xres.conf", dir);
    xres_host_init(&h);
    if (write_config(s.conf) || host_start(&s) ||
        host_sum(&s, &s.conserved_kb, &h) || daemon_start(&s)) {
        fprintf(stderr, "soak: cannot start\n");
        goto out;
    }
    for (unsigned long i = 0; i < rounds; i++) {
        round_once(&s, i);
        /* Settled: no daemon restart in the last few rounds. */
        check(&s, i, true);
    }
    printf("soak: seed %" PRIu64 ", %lu rounds, %lu restarts, %lu domain "
           "crashes, %lu violations\n", seed, rounds, s.restarts,
           s.crashes_dom, s.violations);
    rc = s.violations ? 1 : 0;
    xres_daemon_dispose(s.d);
    free(s.d);
    xres_backend_dispose(&s.be);
out:
    xres_host_dispose(&h);
    unlink(s.conf);
    unlink(s.sock);
    rmdir(dir);
    return rc;
}
