/*
 * tests/fuzz/fuzz_ipc.c: libFuzzer target for a request on xresd's
 * control socket.  A daemon is built on the simulated host's default
 * scenario (Domain-0, g1 and g2 with agents) with every subsystem, as
 * tests/unit/test_daemon.c does, and built again every REBUILD_EVERY
 * inputs, so that what earlier inputs left (run-time policies, pairs,
 * moves) stays small and a finding replays from a short run.  Each input
 * is one request handed to xres_daemon_answer, the path a client's connection takes
 * after reading (yajl parse, dispatch to list, version and each
 * subsystem's commands), then one loop iteration lets whatever the
 * command started go on.  Besides "never crash": every reply is one line
 * of JSON with "ok".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "backend_sim.h"
#include "daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REBUILD_EVERY 2000

static xres_backend be;
static xres_daemon d;
static int ready;
static unsigned inputs;

static void setup(void)
{
    static const char conf_text[] =
        "report_interval_ms = 0\n"
        "metrics_file = \"\"\n"
        "domains = [ \"name=g1, min=256M, max=1536M, priority=10\",\n"
        "            \"name=g2, min=128M, weight=2\" ]\n";
    char dir[] = "/tmp/xres-fuzz-ipc-XXXXXX", sock[128], conf[128];
    char err[256];
    xres_daemon_opts o = { 0 };
    FILE *f;

    xres_log_set_level(LOG_ERR - 1);
    if (!mkdtemp(dir)) abort();
    snprintf(sock, sizeof(sock), "%s/xresd.sock", dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", dir);
    if (!(f = fopen(conf, "w"))) abort();
    fputs(conf_text, f);
    fclose(f);
    if (xres_sim_open_scenario(&be, NULL, err, sizeof(err))) abort();
    if (xres_daemon_load_config(&d, conf, false, err, sizeof(err))) {
        fprintf(stderr, "fuzz_ipc: %s\n", err);
        abort();
    }
    o.socket_path = sock;
    o.clock = xres_sim_clock(&be);
    if (xres_daemon_init(&d, &be, &o)) abort();
    /* The socket stays bound for the run; its name is gone already. */
    unlink(sock);
    unlink(conf);
    rmdir(dir);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *reply, errbuf[128];
    size_t len;

    if (ready && ++inputs % REBUILD_EVERY == 0) {
        xres_daemon_dispose(&d);
        xres_backend_dispose(&be);
        memset(&d, 0, sizeof(d));
        ready = 0;
    }
    if (!ready) setup();
    if (xres_daemon_answer(&d, (const char *)data, size, &reply, &len))
        return 0;
    if (!len || reply[len - 1] != '\n' || memchr(reply, '\n', len - 1) ||
        memchr(reply, 0, len))
        abort();
    reply[len - 1] = 0;
    yajl_val v = yajl_tree_parse(reply, errbuf, sizeof(errbuf));
    const char *ok_path[] = { "ok", NULL };
    if (!v || !YAJL_IS_OBJECT(v) || !yajl_tree_get(v, ok_path, yajl_t_any))
        abort();
    yajl_tree_free(v);
    free(reply);
    (void)xres_daemon_run_once(&d, 0);
    return 0;
}
