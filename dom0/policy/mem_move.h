/*
 * dom0/policy/mem_move.h: in-flight memory moves, a small state machine each.
 *
 * A move carries one transfer of the policy (policy_mem.h) out in the
 * agreed order: the donor's target is lowered; the move waits, without
 * blocking, until Xen shows the donor's memory at the lower figure; only
 * then is the receiver's target raised (and Xen's maxmem first, where
 * needed).  Each move is persisted in XenStore under
 * /local/domain/0/xres/mem/moves/<id> (one value, written before each
 * step), so a daemon killed in the middle of a move finds it again on
 * start-up and finishes it: see docs/xres-mem.md, "Crash recovery".
 *
 *   LOWERING --donor arrived--> RAISING --receiver raised--> DONE
 *       \--no progress for timeout: donor's target back to its memory,
 *          donor marked not responding--> FAILED
 */
#ifndef XRES_MEM_MOVE_H
#define XRES_MEM_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "backend.h"
#include "model.h"
#include "policy_mem.h"

/* XenStore: XS_MEM_MOVE (one record per move), XS_MEM_MOVES (their
 * directory) and XS_MEM_NEXT_MOVE_ID, in xenstore-schema/schema.tbl. */
/* The record's path for move id (XRES_SCHEMA_PATH_MAX bytes is enough). */
int xres_move_path(uint64_t id, char *buf, size_t len);

typedef enum {
    XRES_MOVE_LOWERING = 1,    /* donor's target lowered, waiting for it */
    XRES_MOVE_RAISING,         /* donor confirmed; raise the receiver */
    XRES_MOVE_DONE,
    XRES_MOVE_FAILED,
} xres_move_state;

const char *xres_move_state_name(xres_move_state s);

typedef struct {
    uint64_t id;
    xres_move_state state;
    xres_mem_transfer t;
    char src_name[XRES_NAME_MAX];   /* "" for Xen's free memory */
    char dst_name[XRES_NAME_MAX];
    char origin[16];                /* balance, mem-move, mem-set */
    uint64_t started_ms;            /* monotonic; reset on recovery */
    uint64_t progress_ms;           /* donor last moved toward src_to */
    uint64_t best_cur_kb;           /* donor's lowest memory seen */
    bool recovered;                 /* found in XenStore at start-up */
    /* Outcome, once DONE or FAILED. */
    int result;                     /* 0 or a negative errno */
    bool donor_not_responding;
    char msg[400];
} xres_move;

/* Carries an action out (the daemon passes xres_actuate);
 * returns 0 or a negative errno. */
typedef int xres_move_apply_fn(void *opaque, const xres_action *act);
/* Told about every move that ends, DONE or FAILED. */
typedef void xres_move_done_fn(void *opaque, const xres_move *mv);

#define XRES_MOVES_HISTORY 32

typedef struct {
    xres_backend *be;
    xres_mem_params p;
    xres_move_apply_fn *apply;      /* NULL: straight to the backend */
    xres_move_done_fn *done;        /* may be NULL */
    void *opaque;

    size_t n, cap;
    xres_move *v;                   /* in flight, oldest first */
    xres_move hist[XRES_MOVES_HISTORY];   /* finished, ring */
    size_t hist_n, hist_next;
    uint64_t next_id;
} xres_movers;

void xres_movers_init(xres_movers *m, xres_backend *be,
                      const xres_mem_params *p);
void xres_movers_dispose(xres_movers *m);

/* Is domid the donor or receiver of a move in flight? */
bool xres_movers_busy(const xres_movers *m, uint32_t domid);
/* A move in flight or recently finished, or NULL. */
const xres_move *xres_movers_find(const xres_movers *m, uint64_t id);

/* Start one transfer: persist it, then lower the donor (or, for a
 * transfer from free memory, raise the receiver at once).  -EBUSY if one
 * of its domains is already in a move.  h is the snapshot the transfer
 * was planned on. */
int xres_movers_start(xres_movers *m, const xres_host *h,
                      const xres_mem_transfer *t, const char *origin,
                      uint64_t now_ms, uint64_t *id_out);

/* Advance every move against a fresh snapshot.  Returns the number of
 * moves that ended (each reported through done). */
int xres_movers_step(xres_movers *m, const xres_host *h, uint64_t now_ms);

/* At start-up: read the moves a previous xresd left in XenStore and take
 * them over (see docs/xres-mem.md).  Returns how many, or a negative
 * errno. */
int xres_movers_recover(xres_movers *m, const xres_host *h,
                        uint64_t now_ms);

/* The one-line XenStore form of a move, and back.  decode returns 0 or
 * -EINVAL. */
int xres_move_encode(const xres_move *mv, char *buf, size_t len);
int xres_move_decode(const char *s, xres_move *mv);

#endif
