/*
 * dom0/daemon/conflict_store.c: the relocation's hold-down in XenStore
 * (conflict_store.h).  Each domain seen to move, or whose move failed,
 * has at_ms and node under /local/domain/0/xres/conflict/moved/NAME,
 * written when the move is seen and removed when its hold-down ends.
 * node is written first: at_ms marks a whole entry.  The times are
 * xresd's monotonic clock, which a restart of xresd keeps and a reboot
 * of the host (which empties XenStore too) starts again.
 */
#include <stdlib.h>
#include <string.h>

#include "conflict_store.h"
#include "log.h"
#include "xs_schema.h"

void xres_cf_store_init(xres_cf_store *s)
{
    memset(s, 0, sizeof(*s));
}

static void forget(xres_daemon *d, xres_cf_kept *k)
{
    if (k->dom[0]) xres_xs_del(d, XS_CONFLICT_MOVED_DOM, 0, k->dom);
    memset(k, 0, sizeof(*k));
}

void xres_cf_store_load(xres_daemon *d, xres_cf_store *s,
                        xres_conflict_state *cst, uint64_t hold_ms,
                        uint64_t now_ms)
{
    char path[XRES_SCHEMA_PATH_MAX], **names = NULL;
    unsigned n = 0, kept = 0;

    if (xres_xs_path(path, XS_CONFLICT_MOVED_DIR, 0, NULL) ||
        d->be->ops->xs_directory(d->be, path, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        uint64_t at, node = 0;
        bool ok = strlen(names[i]) < XRES_CLUSTER_NAME_MAX &&
            !xres_xs_get_u64(d, XS_CONFLICT_MOVED_AT, 0, names[i], &at) &&
            at <= now_ms && now_ms - at < hold_ms;

        if (ok) (void)xres_xs_get_u64(d, XS_CONFLICT_MOVED_NODE, 0, names[i],
                                      &node);
        if (!ok || cst->nt >= XRES_CONFLICT_TRACK_MAX) {
            xres_xs_del(d, XS_CONFLICT_MOVED_DOM, 0, names[i]);
            continue;
        }
        xres_conflict_restore_move(cst, names[i], (uint32_t)node, at);
        for (size_t t = 0; t < cst->nt; t++) {
            xres_cf_kept *k = &s->k[t];
            if (strcmp(cst->t[t].dom, names[i])) continue;
            memcpy(k->dom, cst->t[t].dom, sizeof(k->dom));
            k->ms = at;
            k->node = (uint32_t)node;
        }
        kept++;
    }
    if (kept)
        XLOG_INFO("conflict: hold-down of %u domain(s) restored from "
                  "XenStore", kept);
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

void xres_cf_store_sync(xres_daemon *d, xres_cf_store *s,
                        const xres_conflict_state *cst, uint64_t hold_ms,
                        uint64_t now_ms)
{
    for (size_t i = 0; i < cst->nt; i++) {
        const xres_conflict_track *t = &cst->t[i];
        xres_cf_kept *k = &s->k[i];
        bool live = t->moved && now_ms - t->moved_ms < hold_ms;

        if (k->dom[0] && (strcmp(k->dom, t->dom) || !live)) forget(d, k);
        if (!live || (k->dom[0] && k->ms == t->moved_ms &&
                      k->node == t->node))
            continue;
        if (xres_xs_put_u64(d, XS_CONFLICT_MOVED_NODE, 0, t->dom,
                            t->node) ||
            xres_xs_put_u64(d, XS_CONFLICT_MOVED_AT, 0, t->dom,
                            t->moved_ms))
            continue;           /* logged; tried again next tick */
        memcpy(k->dom, t->dom, sizeof(k->dom));
        k->ms = t->moved_ms;
        k->node = t->node;
    }
}
