/*
 * tests/fuzz/fuzz_xres_conf.c: libFuzzer target for xresd's configuration
 * file: the bytes are xres.conf, written to a memfd and loaded by path
 * (/proc/self/fd/N) with xres_config_load, as xresd loads it at start and
 * on SIGHUP; then every area's reader runs on it (memory, CPU, pairs,
 * metrics) and every domain entry is looked up.  Besides "never crash":
 * a refused file says why, and an accepted one has its core keys in
 * their ranges.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "config_conflict.h"
#include "config_cpu.h"
#include "config_mem.h"
#include "config_metrics.h"
#include "config_pair.h"
#include "config_pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void said_why(int rc, const char *err)
{
    if (rc && !err[0]) abort();
    if (!memchr(err, 0, 512)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static xres_pair_params pp;
    static xres_pool_req pools[XRES_POOL_DECLS_MAX];
    static xres_conflict_config cc;
    xres_config cfg;
    xres_mem_params mp;
    xres_cpu_params cp;
    xres_metrics_params me;
    char err[512];
    int rc;

    if (fd < 0) {
        fd = memfd_create("xres.conf", MFD_CLOEXEC);
        if (fd < 0) abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();

    xres_config_init(&cfg);
    err[0] = 0;
    rc = xres_config_load(&cfg, path, false, err, sizeof(err));
    said_why(rc, err);
    if (!rc) {
        if (cfg.tick_ms < 100 || cfg.tick_ms > 3600 * 1000) abort();
        if (cfg.report_interval_ms < 0 || cfg.report_interval_ms > 60000)
            abort();
        if (!cfg.socket || cfg.socket[0] != '/') abort();
        for (size_t i = 0; i < cfg.nr_domains; i++) {
            const xres_config_domain *dom = &cfg.domains[i];
            if (!memchr(dom->name, 0, sizeof(dom->name))) abort();
            if (!xres_config_domain_find(&cfg, dom->name)) abort();
            (void)xres_config_domain_get(&cfg, dom->name, "pair");
        }

        err[0] = 0;
        said_why(xres_mem_params_from_config(&cfg, &mp, err, sizeof(err)),
                 err);
        xres_cpu_params_init(&cp);
        err[0] = 0;
        said_why(xres_cpu_params_from_config(&cfg, &cp, err, sizeof(err)),
                 err);
        xres_cpu_params_dispose(&cp);
        err[0] = 0;
        said_why(xres_pair_params_from_config(&cfg, &pp, err, sizeof(err)),
                 err);
        if (pp.ndecl > XRES_PAIR_DECLS_MAX) abort();
        err[0] = 0;
        said_why(xres_metrics_params_from_config(&cfg, &me, err,
                                                 sizeof(err)), err);
        err[0] = 0;
        size_t npool = 0;
        said_why(xres_pool_decls_of_config(&cfg, pools, XRES_POOL_DECLS_MAX,
                                           &npool, err, sizeof(err)), err);
        if (npool > XRES_POOL_DECLS_MAX) abort();
        err[0] = 0;
        rc = xres_conflict_config_read(&cfg, &cc, err, sizeof(err));
        said_why(rc, err);
        if (!rc && (cc.conflict.sustain < 1 || cc.conflict.resources < 1 ||
            cc.conflict.resources > XRES_RES_BOTH ||
            cc.conflict.nhosts > XRES_CONFLICT_HOSTS_MAX ||
            cc.relocate.ncoef > XRES_CONFLICT_HOSTS_MAX ||
            cc.relocate.nprio > XRES_RELOCATE_PRIOS_MAX))
            abort();
        for (size_t i = 0; i < npool; i++)
            if (!xres_pool_name_ok(pools[i].name) ||
                !pools[i].config[0] == !pools[i].domain[0])
                abort();
    }
    xres_config_dispose(&cfg);
    return 0;
}
