/*
 * dom0/daemon/mem_run.c: carries out the steps of the memory moves
 * (mem_run.h): records through the backend's XenStore, actions through the
 * runner's apply, and each outcome back to the pure step (mem_move.c)
 * until it has nothing more to do.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem_run.h"
#include "xs_schema.h"

static void write_next_id(const xres_move_runner *r, uint64_t id)
{
    char val[32], path[XRES_SCHEMA_PATH_MAX];

    if (xres_schema_path(path, sizeof(path), XS_MEM_NEXT_MOVE_ID, 0, NULL))
        return;
    snprintf(val, sizeof(val), "%" PRIu64, id);
    r->be->ops->xs_write(r->be, path, val, strlen(val));
}

static int record(const xres_move_runner *r, const xres_move_effect *e)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc;

    if (e->rec == XRES_MOVE_REC_NONE) return 0;
    if ((rc = xres_move_path(e->id, path, sizeof(path)))) return rc;
    if (e->rec == XRES_MOVE_REC_WRITE) {
        rc = r->be->ops->xs_write(r->be, path, e->val, strlen(e->val));
        if (rc) XLOG_ERR("move %" PRIu64 ": cannot record it in XenStore at "
                         "%s: %s", e->id, path, strerror(-rc));
        return rc;
    }
    rc = r->be->ops->xs_rm(r->be, path);
    if (rc && rc != -ENOENT)
        XLOG_ERR("move %" PRIu64 ": cannot remove %s: %s", e->id, path,
                 strerror(-rc));
    return 0;
}

/* Every effect of out in order: its record, then its actions up to the
 * first that does not return 0.  Fills in the outcomes; returns how many
 * moves ended. */
static int carry(const xres_move_runner *r, xres_movers *m,
                 xres_move_out *out)
{
    int ended = 0;

    if (out->write_next_id) write_next_id(r, out->next_id);
    for (size_t k = 0; k < out->n; k++) {
        xres_move_effect *e = &out->v[k];
        e->done = 0;
        e->rc = record(r, e);
        e->rec_failed = e->rc != 0;
        for (size_t j = 0; !e->rc && j < e->n; j++) {
            e->rc = r->apply(r->opaque, &out->acts.v[e->first + j]);
            if (!e->rc) e->done++;
        }
        if (!e->ended) continue;
        ended++;
        const xres_move *mv = xres_movers_find(m, e->id);
        if (mv && r->done) r->done(r->opaque, mv);
    }
    return ended;
}

/* Carry out out, then step on its outcome, again, until a step has
 * nothing more to do.  *first_rc (may be NULL): the record error of the
 * first effect.  Returns how many moves ended, or a negative errno. */
static int run(const xres_move_runner *r, xres_movers *m, const xres_host *h,
               uint64_t now, xres_move_out *out, int *first_rc)
{
    xres_move_out obs, tmp;
    int ended = 0, rc = 0;

    xres_move_out_init(&obs);
    while (out->n || out->write_next_id) {
        ended += carry(r, m, out);
        if (first_rc) {
            *first_rc = out->n && out->v[0].rec_failed ? out->v[0].rc : 0;
            first_rc = NULL;
        }
        tmp = obs;
        obs = *out;
        *out = tmp;
        xres_move_out_clear(out);
        if ((rc = xres_movers_step(m, h, &obs, now, out)) < 0) break;
    }
    xres_move_out_dispose(&obs);
    return rc < 0 ? rc : ended;
}

int xres_moves_start(const xres_move_runner *r, xres_movers *m,
                     const xres_host *h, const xres_mem_transfer *t,
                     const char *origin, uint64_t now_ms, uint64_t *id_out)
{
    xres_move_out out;
    int rc, rec_rc = 0;

    xres_move_out_init(&out);
    rc = xres_movers_start(m, h, t, origin, now_ms, id_out, &out);
    if (!rc) rc = run(r, m, h, now_ms, &out, &rec_rc);
    xres_move_out_dispose(&out);
    if (rc < 0) return rc;
    return rec_rc;
}

int xres_moves_check(const xres_move_runner *r, xres_movers *m,
                     const xres_host *h, uint64_t now_ms)
{
    xres_move_out out;
    int rc;

    xres_move_out_init(&out);
    rc = xres_movers_step(m, h, NULL, now_ms, &out);
    if (rc >= 0) rc = run(r, m, h, now_ms, &out, NULL);
    xres_move_out_dispose(&out);
    return rc;
}

int xres_moves_recover(const xres_move_runner *r, xres_movers *m,
                       const xres_host *h, uint64_t now_ms)
{
    const xres_backend_ops *ops = r->be->ops;
    char **names = NULL, *val = NULL, path[XRES_SCHEMA_PATH_MAX + 256];
    char dir[XRES_SCHEMA_PATH_MAX];
    xres_move_out out;
    unsigned n = 0;
    int rc, found = 0;

    xres_move_out_init(&out);
    if ((rc = xres_schema_path(path, sizeof(path), XS_MEM_NEXT_MOVE_ID, 0,
                               NULL)) ||
        (rc = xres_schema_path(dir, sizeof(dir), XS_MEM_MOVES, 0, NULL)))
        goto out;
    if (!ops->xs_read(r->be, path, &val, NULL)) {
        uint64_t v;
        if (!xres_move_parse_u64(val, &v) && v > m->next_id) m->next_id = v;
        free(val);
        val = NULL;
    }
    rc = ops->xs_directory(r->be, dir, &names, &n);
    if (rc) {
        if (rc == -ENOENT) rc = 0;
        goto out;
    }
    for (unsigned k = 0; k < n; k++) {
        xres_move mv;
        uint64_t id;

        snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
        if (xres_move_parse_u64(names[k], &id) ||
            ops->xs_read(r->be, path, &val, NULL) ||
            xres_move_decode(val, &mv)) {
            XLOG_ERR("%s: unreadable move record, removed", path);
            ops->xs_rm(r->be, path);
            free(val);
            val = NULL;
            continue;
        }
        free(val);
        val = NULL;
        if ((rc = xres_movers_adopt(m, h, &mv, id, now_ms, &out)) < 0 ||
            (rc = run(r, m, h, now_ms, &out, NULL)) < 0)
            goto out;
        found++;
    }
    rc = found;
out:
    for (unsigned k = 0; k < n; k++) free(names[k]);
    free(names);
    xres_move_out_dispose(&out);
    return rc;
}
