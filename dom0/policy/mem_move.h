/*
 * dom0/policy/mem_move.h: in-flight memory moves, a small state machine
 * each, advanced by a pure step.
 *
 * A move carries one transfer of the policy (policy_mem.h) out with the
 * actions xres_mem_plan_actions() plans for it, in that order: the donor's
 * target is lowered (SET_TARGET); the move waits, without blocking, until
 * Xen shows the donor's memory at the lower figure (WAIT_TARGET, tried
 * again on each check until it is done); only then is the receiver raised
 * (SET_MAXMEM where needed, then SET_TARGET).  So what `xres balance
 * --dry-run` and `xres mem-move --dry-run` print is what a move runs.
 *
 * The step is pure: (movers, snapshot, observations, now) -> (movers',
 * effects).  An effect names one move, the XenStore record of that move to
 * write or remove first, and the actions to carry out after it.  The
 * daemon's glue (dom0/daemon/mem_run.c) carries the effects out, fills in
 * their outcome and hands them back to the next step as its observations,
 * until a step has nothing more to do.  Each record is written before the
 * step it describes, so a daemon killed in the middle of a move finds it
 * again on start-up (xres_movers_adopt) and finishes it: see
 * docs/xres-mem.md, "Crash recovery".
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
    int pending;                    /* the effect whose outcome the move
                                       waits for (mem_move.c); 0: none */
    /* Outcome, once DONE or FAILED. */
    int result;                     /* 0 or a negative errno */
    bool donor_not_responding;
    char msg[400];
} xres_move;

#define XRES_MOVES_HISTORY 32

typedef struct {
    xres_mem_params p;
    size_t n, cap;
    xres_move *v;                   /* in flight, oldest first */
    xres_move hist[XRES_MOVES_HISTORY];   /* finished, ring */
    size_t hist_n, hist_next;
    uint64_t next_id;
} xres_movers;

void xres_movers_init(xres_movers *m, const xres_mem_params *p);
void xres_movers_dispose(xres_movers *m);

/* Is domid the donor or receiver of a move in flight? */
bool xres_movers_busy(const xres_movers *m, uint32_t domid);
/* A move in flight or recently finished, or NULL. */
const xres_move *xres_movers_find(const xres_movers *m, uint64_t id);

/* ---- effects: what a step asks the daemon to do ---- */

typedef enum {
    XRES_MOVE_REC_NONE = 0,
    XRES_MOVE_REC_WRITE,            /* write val as the move's record */
    XRES_MOVE_REC_REMOVE,           /* remove the move's record */
} xres_move_rec_op;

#define XRES_MOVE_REC_MAX 600       /* an encoded record, with its NUL */

typedef struct {
    uint64_t id;                    /* the move */
    xres_move_rec_op rec;           /* done first */
    char val[XRES_MOVE_REC_MAX];
    size_t first, n;                /* then acts.v[first .. first + n) */
    bool ended;                     /* the move ended: it is in the history */
    /* The outcome, filled in by whoever carries the effect out: */
    bool rec_failed;                /* the record was not written, and so
                                       no action was carried out */
    int rc;                         /* 0, or the error of the record or of
                                       the first action that failed */
    size_t done;                    /* actions carried out with 0 */
} xres_move_effect;

typedef struct {
    xres_actions acts;
    size_t n, cap;
    xres_move_effect *v;
    bool write_next_id;             /* store next_id (XS_MEM_NEXT_MOVE_ID) */
    uint64_t next_id;
} xres_move_out;

void xres_move_out_init(xres_move_out *o);
void xres_move_out_dispose(xres_move_out *o);
void xres_move_out_clear(xres_move_out *o);

/* ---- the pure step ---- */

/* Start one transfer: its record, then the donor's lowered target (for a
 * transfer from free memory, the record alone: the raise follows once the
 * step hears that the record was written).  -EBUSY if one of its domains
 * is already in a move.  h is the snapshot the transfer was planned on.
 * If the record cannot be written, the next step drops the move. */
int xres_movers_start(xres_movers *m, const xres_host *h,
                      const xres_mem_transfer *t, const char *origin,
                      uint64_t now_ms, uint64_t *id_out, xres_move_out *out);

/* Without observations (obs NULL): a check of every move in flight
 * against a fresh snapshot.  With observations (the effects of the
 * previous step, their outcome filled in): the moves those effects belong
 * to go on from what happened, on the same snapshot.  Appends effects to
 * out; returns how many moves ended, or -ENOMEM. */
int xres_movers_step(xres_movers *m, const xres_host *h,
                     const xres_move_out *obs, uint64_t now_ms,
                     xres_move_out *out);

/* At start-up: take over a move a previous xresd left in XenStore, read
 * back as rec under id (see docs/xres-mem.md).  Returns how many moves
 * ended (an abandoned record), or -ENOMEM. */
int xres_movers_adopt(xres_movers *m, const xres_host *h,
                      const xres_move *rec, uint64_t id, uint64_t now_ms,
                      xres_move_out *out);

/* The actions a move runs, exactly as xres_mem_plan_actions() plans its
 * transfer, each labelled with the move for the log ("move ID (origin):
 * lower donor").  Appends to out; 0 or -ENOMEM. */
int xres_move_actions(const xres_move *mv, const xres_mem_params *p,
                      xres_actions *out);

/* The one-line XenStore form of a move, and back (mem_move_record.c).
 * decode returns 0 or -EINVAL. */
int xres_move_encode(const xres_move *mv, char *buf, size_t len);
int xres_move_decode(const char *s, xres_move *mv);
/* A decimal figure of the records (the next id, a record's name): 0 or
 * -EINVAL. */
int xres_move_parse_u64(const char *s, uint64_t *out);

#endif
