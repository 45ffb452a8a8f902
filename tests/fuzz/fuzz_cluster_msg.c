/*
 * tests/fuzz/fuzz_cluster_msg.c: libFuzzer target for another host's
 * cluster message (dom0/cluster/cluster_msg.h): the bytes are parsed as
 * a message delivered by the group.  Besides "never crash": a rejected
 * message says why, an accepted one passes the figures' check and
 * encodes again, and the view takes it without breaking its bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_msg.h"
#include "cluster_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static xres_cluster_view v;
    static int ready;
    xres_cluster_msg m;
    xres_cview_out out;
    char err[160], *buf;
    size_t len;
    int rc;

    if (!ready) {
        xres_cview_init(&v, 1, 0);
        ready = 1;
    }
    err[0] = 0;
    rc = xres_cluster_msg_parse(data, size, &m, err, sizeof(err));
    if (rc && !err[0] && rc != -ENOMEM) abort();
    if (!rc) {
        if (m.type == XRES_CMSG_FIGURES &&
            xres_cluster_figures_check(m.fig, err, sizeof(err)))
            abort();
        if (xres_cluster_msg_encode(&m, &buf, &len)) abort();
        free(buf);
    }
    xres_cluster_msg_dispose(&m);
    xres_cview_deliver(&v, 2, data, size, 0, &out);
    if (v.n > XRES_CLUSTER_NODES_MAX || v.nlocks > XRES_CLUSTER_LOCKS_MAX)
        abort();
    return 0;
}
