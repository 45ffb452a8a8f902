/*
 * dom0/ipc/ipc.h: the xres <-> xresd protocol on a UNIX stream socket.
 *
 * One JSON request object per connection, followed by a newline or by the
 * client shutting down its writing side (a request may span lines: the
 * daemon answers once it holds a complete object); one JSON response
 * object back,
 * {"ok":true,...} or {"ok":false,"error":"..."}, then the daemon closes.
 * Helpers here are shared by the daemon (server side), the command
 * (client side) and the subsystems (reply building, request fields).
 */
#ifndef XRES_IPC_H
#define XRES_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define XRES_IPC_REQ_MAX (64 * 1024)          /* bytes of one request */
#define XRES_IPC_REPLY_MAX (16 * 1024 * 1024) /* bytes of one reply */
#define XRES_IPC_TIMEOUT_MS 5000              /* per connection */

/* Server: bind a listening socket at path.  gid XRES_IPC_NO_GROUP: mode
 * 0600, owned by the daemon's user (root); otherwise mode 0660 with group
 * gid, and its directory 0750 with group gid.  A socket file left by a
 * dead daemon is replaced; if a daemon answers on it, returns
 * -EADDRINUSE.  The directory is created (0700) if missing. */
#define XRES_IPC_NO_GROUP ((gid_t)-1)
int xres_ipc_listen(const char *path, gid_t gid, int *fd_out);
/* Server: whether the peer of connection fd may talk to the daemon: its
 * uid (SO_PEERCRED) is 0 or the daemon's own, or it is a member of gid
 * (primary or supplementary).  1: allowed, 0: not, negative errno when
 * the credentials cannot be read; *uid gets the peer's uid. */
int xres_ipc_peer_allowed(int fd, gid_t gid, uid_t *uid);

/* Client: send req (len bytes) and read the whole reply into *reply
 * (malloc'd, NUL-terminated).  Returns 0, or a negative errno: -ENOENT /
 * -ECONNREFUSED when no daemon listens, -ETIMEDOUT, -EMSGSIZE. */
int xres_ipc_call(const char *path, const char *req, size_t len,
                  char **reply, size_t *reply_len, int timeout_ms);

/* Reply building. */
/* Opens the reply map and writes "ok":true; the caller adds keys and
 * closes the map with yajl_gen_map_close. */
void xres_ipc_reply_ok_begin(yajl_gen g);
/* A complete {"ok":false,"error":"..."} object. */
void xres_ipc_reply_error(yajl_gen g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void xres_json_str(yajl_gen g, const char *s);
/* Writes a parsed value back out as it was; object members named skip_key,
 * at any depth, are left out (NULL: none). */
void xres_json_emit(yajl_gen g, yajl_val v, const char *skip_key);
void xres_json_kv_str(yajl_gen g, const char *key, const char *val);
void xres_json_kv_u64(yajl_gen g, const char *key, uint64_t v);
void xres_json_kv_int(yajl_gen g, const char *key, long long v);
void xres_json_kv_bool(yajl_gen g, const char *key, bool v);
void xres_json_kv_null(yajl_gen g, const char *key);

/* Request / reply reading: NULL or false when absent or of another
 * type. */
yajl_val xres_json_get(yajl_val obj, const char *key);
const char *xres_json_get_str(yajl_val obj, const char *key);
/* 0, -ENOENT (absent) or -EINVAL (not a non-negative integer). */
int xres_json_get_u64(yajl_val obj, const char *key, uint64_t *out);
int xres_json_get_int(yajl_val obj, const char *key, long long *out);
bool xres_json_get_bool(yajl_val obj, const char *key, bool def);

#endif
