/*
 * dom0/daemon/pair_store.h: hot-standby pairs in XenStore.
 *
 * Each pair lives under /local/domain/0/xres/pairs/<name>/ (dom0 only;
 * schema rows PAIRS_DIR, PAIR_DIR, PAIR_CONFIG, PAIR_STATE):
 *   config   what pair-create was given: apps and settings (text, fixed)
 *   state    roles, resource table, failover progress and failover log
 *            (text, rewritten as one value after every step, so a reader
 *            sees either the old or the new state, never half of it)
 * Both are one line of printable ASCII, records separated by ';' (the
 * parser also takes newlines).  The text forms are produced and parsed by
 * pure functions below; the parser rejects anything malformed.
 */
#ifndef XRES_PAIR_STORE_H
#define XRES_PAIR_STORE_H

#include <stddef.h>

#include "backend.h"
#include "policy_pair.h"

/* The longest config or state value (schema rows PAIR_CONFIG and
 * PAIR_STATE); XenStore's payload limit is 4096 bytes, path included. */
#define XRES_PAIR_VALUE_MAX 3900

/* Text forms.  format: 0 or -ENOSPC; parse: 0 or -EINVAL. */
int xres_pair_format_config(const xres_pair *p, char *buf, size_t len);
int xres_pair_format_state(const xres_pair *p, char *buf, size_t len);
/* parse_config fills name, apps and cfg; parse_state the rest. */
int xres_pair_parse_config(xres_pair *p, const char *text);
int xres_pair_parse_state(xres_pair *p, const char *text);

/* XenStore. */
int xres_pair_store_save_config(xres_backend *b, const xres_pair *p);
int xres_pair_store_save_state(xres_backend *b, const xres_pair *p);
int xres_pair_store_load(xres_backend *b, const char *name, xres_pair *p);
/* Names of the stored pairs: malloc'd array of malloc'd strings. */
int xres_pair_store_list(xres_backend *b, char ***names, unsigned *n);
int xres_pair_store_delete(xres_backend *b, const char *name);
void xres_pair_store_free_names(char **names, unsigned n);

#endif
