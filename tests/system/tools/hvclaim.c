/*
 * tests/system/tools/hvclaim.c: drives Xen claims for the system test
 * 80-hvpatch inside the bed's dom0: placeholder domains (PV, one vCPU,
 * paused, never built), stock claims, the patched hypervisor's adjust and
 * move (through dom0/backend/xen_claim.c), and a competing allocator.
 *
 *   hvclaim probe                      "present (ESRCH)" or "absent (ENOSYS)"
 *   hvclaim create NAME MAXMEM_MIB     placeholder; prints its domid
 *   hvclaim claim DOMID MIB            stock XENMEM_claim_pages (0 cancels)
 *   hvclaim adjust DOMID MIB           XENMEM_claim_adjust
 *   hvclaim move FROM TO MIB           XENMEM_claim_move
 *   hvclaim info DOMID                 "pages=N outstanding=N max_kib=N"
 *   hvclaim moveloop A B MIB CYCLES    move A->B and back, CYCLES times
 *   hvclaim gaploop A B MIB CYCLES     the stock way: cancel A, claim B, and
 *                                      back; stops when a claim fails
 *   hvclaim hog DOMID STATUS STOP      takes every unclaimed page it can get
 *                                      into DOMID, then keeps trying one page
 *                                      at a time until file STOP exists;
 *                                      STATUS says "soaked S got N
 *                                      attempts A" (A every 256 tries)
 *
 * claim, adjust and move print "ok" or the errno name (ENOMEM, EINVAL, ...)
 * and exit 0 only on success.  Sizes are MiB (256 pages).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenstore.h>

#include "xen_claim.h"

#define PAGES_PER_MIB 256u

static xc_interface *xch;

static const char *errname(int e)
{
    switch (e) {
    case 0: return "ok";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case ENOSYS: return "ENOSYS";
    case EPERM: return "EPERM";
    case EBUSY: return "EBUSY";
    default: return strerror(e);
    }
}

static uint32_t num(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (!*s || *end) {
        fprintf(stderr, "hvclaim: not a number: %s\n", s);
        exit(2);
    }
    return (uint32_t)v;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int report(int rc)
{
    printf("%s\n", errname(rc < 0 ? -rc : rc));
    return rc ? 1 : 0;
}

static int stock_claim(uint32_t domid, uint64_t pages)
{
    return xc_domain_claim_pages(xch, domid, pages) ? -errno : 0;
}

static int cmd_create(const char *name, uint32_t max_mib)
{
    struct xen_domctl_createdomain cfg;
    struct xs_handle *xsh;
    uint32_t domid = 0;
    char path[64];

    memset(&cfg, 0, sizeof(cfg));
    cfg.max_vcpus = 1;
    cfg.max_evtchn_port = 1023;
    cfg.max_grant_frames = -1;
    cfg.max_maptrack_frames = -1;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
    if (xc_domain_create(xch, &domid, &cfg) ||
        xc_domain_max_vcpus(xch, domid, 1) ||
        xc_domain_setmaxmem(xch, domid, (uint64_t)max_mib * 1024)) {
        fprintf(stderr, "hvclaim: create %s: %s\n", name, strerror(errno));
        return 1;
    }
    /* xl list, xl claims and xl destroy find it by this name. */
    xsh = xs_open(0);
    snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
    if (!xsh || !xs_write(xsh, XBT_NULL, path, name, strlen(name))) {
        fprintf(stderr, "hvclaim: cannot write %s\n", path);
        return 1;
    }
    xs_close(xsh);
    printf("%u\n", domid);
    return 0;
}

static int cmd_info(uint32_t domid)
{
    xc_dominfo_t info;

    if (xc_domain_getinfo(xch, domid, 1, &info) != 1 || info.domid != domid) {
        fprintf(stderr, "hvclaim: no domain %u\n", domid);
        return 1;
    }
    printf("pages=%lu outstanding=%lu max_kib=%lu\n", info.nr_pages,
           info.nr_outstanding_pages, info.max_memkb);
    return 0;
}

static int cmd_moveloop(xres_xen_claim *c, uint32_t a, uint32_t b,
                        uint64_t pages, uint32_t cycles)
{
    uint32_t i, failed = 0;
    double t0 = now(), t;

    for (i = 0; i < cycles; i++) {
        if (xres_xen_claim_move(c, a, b, pages)) failed++;
        if (xres_xen_claim_move(c, b, a, pages)) failed++;
    }
    t = now() - t0;
    printf("moves=%u failed=%u us_per_move=%.1f\n", 2 * cycles, failed,
           cycles ? t * 1e6 / (2.0 * cycles) : 0.0);
    return failed ? 1 : 0;
}

static int cmd_gaploop(uint32_t a, uint32_t b, uint64_t pages, uint32_t cycles)
{
    uint32_t i, from = a, to = b, t;
    int rc = 0;

    for (i = 0; i < cycles; i++) {
        stock_claim(from, 0);
        rc = stock_claim(to, pages);
        if (rc) break;
        t = from; from = to; to = t;
    }
    printf("cycles=%u of %u last=%s\n", i, cycles, errname(-rc));
    return 0;
}

static void put_status(const char *file, uint64_t soaked, uint64_t got,
                       uint64_t attempts)
{
    char tmp[256];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", file);
    f = fopen(tmp, "w");
    if (!f) return;
    fprintf(f, "soaked %" PRIu64 " got %" PRIu64 " attempts %" PRIu64 "\n",
            soaked, got, attempts);
    fclose(f);
    rename(tmp, file);
}

/* One populate of up to n pages at the next gpfns; pages taken. */
static uint64_t take(uint32_t domid, xen_pfn_t *next, unsigned int n)
{
    xen_pfn_t pfns[256];
    unsigned int i;
    int r;

    for (i = 0; i < n; i++) pfns[i] = *next + i;
    r = xc_domain_populate_physmap(xch, domid, n, 0, 0, pfns);
    if (r <= 0) return 0;
    *next += (unsigned int)r;
    return (uint64_t)r;
}

static int cmd_hog(uint32_t domid, const char *status, const char *stop)
{
    xen_pfn_t next = 0;
    uint64_t soaked = 0, got = 0, reported = 0, attempts = 0, t;

    while ((t = take(domid, &next, 256)) > 0) soaked += t;
    while ((t = take(domid, &next, 1)) > 0) soaked += t;
    put_status(status, soaked, 0, 0);
    for (;;) {
        t = take(domid, &next, 1);
        got += t;
        attempts++;
        if (!t && (got != reported || !(attempts & 255))) {
            put_status(status, soaked, got, attempts);
            reported = got;
        }
        if (!(attempts & 63) && access(stop, F_OK) == 0) break;
    }
    put_status(status, soaked, got, attempts);
    printf("soaked=%" PRIu64 " got=%" PRIu64 " attempts=%" PRIu64 "\n",
           soaked, got, attempts);
    return 0;
}

int main(int argc, char **argv)
{
    xres_xen_claim c;
    const char *cmd = argc > 1 ? argv[1] : "";
    const char *why;
    bool present;
    int rc = 2;

    xres_xen_claim_init(&c);
    xch = xc_interface_open(NULL, NULL, 0);
    if (!xch || xres_xen_claim_open(&c)) {
        fprintf(stderr, "hvclaim: cannot open Xen's interfaces\n");
        return 1;
    }
    if (!strcmp(cmd, "probe") && argc == 2) {
        rc = xres_xen_claim_probe(&c, &present, &why) ? 1 : 0;
        printf("%s (%s)\n", present ? "present" : "absent", why);
    } else if (!strcmp(cmd, "create") && argc == 4) {
        rc = cmd_create(argv[2], num(argv[3]));
    } else if (!strcmp(cmd, "claim") && argc == 4) {
        rc = report(stock_claim(num(argv[2]), (uint64_t)num(argv[3]) * PAGES_PER_MIB));
    } else if (!strcmp(cmd, "adjust") && argc == 4) {
        rc = report(xres_xen_claim_adjust(&c, num(argv[2]),
                                          (uint64_t)num(argv[3]) * PAGES_PER_MIB));
    } else if (!strcmp(cmd, "move") && argc == 5) {
        rc = report(xres_xen_claim_move(&c, num(argv[2]), num(argv[3]),
                                        (uint64_t)num(argv[4]) * PAGES_PER_MIB));
    } else if (!strcmp(cmd, "info") && argc == 3) {
        rc = cmd_info(num(argv[2]));
    } else if (!strcmp(cmd, "moveloop") && argc == 6) {
        rc = cmd_moveloop(&c, num(argv[2]), num(argv[3]),
                          (uint64_t)num(argv[4]) * PAGES_PER_MIB, num(argv[5]));
    } else if (!strcmp(cmd, "gaploop") && argc == 6) {
        rc = cmd_gaploop(num(argv[2]), num(argv[3]),
                         (uint64_t)num(argv[4]) * PAGES_PER_MIB, num(argv[5]));
    } else if (!strcmp(cmd, "hog") && argc == 5) {
        rc = cmd_hog(num(argv[2]), argv[3], argv[4]);
    } else {
        fprintf(stderr, "usage: see tests/system/tools/hvclaim.c\n");
    }
    xres_xen_claim_dispose(&c);
    xc_interface_close(xch);
    return rc;
}
