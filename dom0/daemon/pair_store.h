/*
 * dom0/daemon/pair_store.h: hot-standby pairs in XenStore, and the loop that
 * drives a failover.
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

/* Executes one host action through the backend (target, maxmem,
 * scheduler, fence).  Fencing a domain that is already gone counts as
 * done.  Agent requests are not for this function: -ENOTSUP. */
int xres_pair_exec(xres_backend *b, const xres_action *act);

/* How xres_pair_drive carries out an action; agent requests must be
 * written so that sending the same sequence number twice is harmless. */
typedef int (*xres_pair_exec_fn)(void *ctx, const xres_action *act);

/* Hook for tests: called after each executed action (stored false) and
 * after each stored progress (stored true); returning false stops the
 * drive there, as if xresd were killed. */
typedef bool (*xres_pair_crash_fn)(void *opaque, bool stored);

/*
 * Runs the failover machine of p until it waits or ends: each action is
 * executed, then the new progress is stored, then the machine is asked
 * again.  obs: what the agents answered (may be NULL).  exec carries out
 * each action (the backend b stores the progress).  On an action
 * error, p is put back to the stored progress and the error returned; the
 * next call retries.  Returns the last machine result or a negative errno.
 * *nacts (may be NULL) counts the actions executed.
 */
int xres_pair_drive(xres_backend *b, xres_pair *p, const xres_host *snap,
                    const xres_pair_obs *obs, xres_pair_exec_fn exec,
                    void *exec_ctx, unsigned *nacts,
                    xres_pair_crash_fn crash, void *opaque);

#endif
