/*
 * dom0/daemon/conflict_store.h: the relocation's hold-down kept in
 * XenStore (/local/domain/0/xres/conflict/moved/NAME), so that a
 * restarted xresd does not move again at once a domain that has just
 * moved.
 */
#ifndef XRES_CONFLICT_STORE_H
#define XRES_CONFLICT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "conflict.h"
#include "daemon.h"

/* What is in XenStore for each slot of xres_conflict_state's tracks. */
typedef struct {
    char dom[XRES_CLUSTER_NAME_MAX];    /* "": nothing stored */
    uint64_t ms;
    uint32_t node;
} xres_cf_kept;

typedef struct {
    xres_cf_kept k[XRES_CONFLICT_TRACK_MAX];
} xres_cf_store;

void xres_cf_store_init(xres_cf_store *s);
/* Each kept move of less than hold_ms ago back into cst (its slot then
 * counted as stored); the others are removed. */
void xres_cf_store_load(xres_daemon *d, xres_cf_store *s,
                        xres_conflict_state *cst, uint64_t hold_ms,
                        uint64_t now_ms);
/* Writes every move of cst not yet stored, and removes the entries whose
 * hold-down has ended or whose slot another domain took. */
void xres_cf_store_sync(xres_daemon *d, xres_cf_store *s,
                        const xres_conflict_state *cst, uint64_t hold_ms,
                        uint64_t now_ms);

#endif
