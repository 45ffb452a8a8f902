/*
 * dom0/daemon/mem_run.h: carries out the steps of the memory moves
 * (mem_move.h): the records in XenStore, the actions through the caller's
 * actuator (xresd: xres_actuate), and each outcome back to the step.
 */
#ifndef XRES_MEM_RUN_H
#define XRES_MEM_RUN_H

#include <stdint.h>

#include "action.h"
#include "backend.h"
#include "mem_move.h"
#include "model.h"

/* Carries one action out: 0, -EINPROGRESS (a wait not done yet) or a
 * negative errno. */
typedef int xres_move_apply_fn(void *opaque, const xres_action *act);
/* Told about every move that ends, DONE or FAILED. */
typedef void xres_move_done_fn(void *opaque, const xres_move *mv);

typedef struct {
    xres_backend *be;               /* the records, in its XenStore */
    xres_move_apply_fn *apply;
    xres_move_done_fn *done;        /* may be NULL */
    void *opaque;
} xres_move_runner;

/* xres_movers_start, carried out; the error of the record that could not
 * be written (the move is then dropped), or of the start itself. */
int xres_moves_start(const xres_move_runner *r, xres_movers *m,
                     const xres_host *h, const xres_mem_transfer *t,
                     const char *origin, uint64_t now_ms, uint64_t *id_out);
/* A check of every move against the fresh snapshot h, carried out.
 * Returns how many moves ended, or a negative errno. */
int xres_moves_check(const xres_move_runner *r, xres_movers *m,
                     const xres_host *h, uint64_t now_ms);
/* At start-up: read the records a previous xresd left in XenStore and
 * take the moves over (xres_movers_adopt); an unreadable record is
 * removed.  Returns how many, or a negative errno. */
int xres_moves_recover(const xres_move_runner *r, xres_movers *m,
                       const xres_host *h, uint64_t now_ms);

#endif
