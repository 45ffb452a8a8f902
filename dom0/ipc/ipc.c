/*
 * dom0/ipc/ipc.c: the UNIX socket between xres and xresd (ipc.h): listening,
 * the client call, and small yajl helpers for requests and replies.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc.h"
#include "util.h"

static int make_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) return -ENAMETOOLONG;
    strcpy(sa->sun_path, path);
    return 0;
}

static int mkdir_parent(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = 0;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) return -errno;
    return 0;
}

/* The socket's mode and group, and its directory's when a group may use
 * it (a member must be able to reach the socket). */
static int set_access(const char *path, gid_t gid)
{
    char dir[108], *slash;
    int rc = 0;

    if (gid == XRES_IPC_NO_GROUP) {
        if (chmod(path, 0600) < 0) rc = -errno;
        goto out;
    }
    if (chown(path, (uid_t)-1, gid) < 0 || chmod(path, 0660) < 0) {
        rc = -errno;
        goto out;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir) goto out;
    *slash = 0;
    if (chown(dir, (uid_t)-1, gid) < 0 || chmod(dir, 0750) < 0)
        rc = -errno;
out:
    return rc;
}

int xres_ipc_peer_allowed(int fd, gid_t gid, uid_t *uid)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    struct passwd pw, *pwp = NULL;
    char buf[4096];
    gid_t groups[256];
    int n = 256, rc;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
        rc = -errno;
        goto out;
    }
    *uid = cr.uid;
    rc = 1;
    if (cr.uid == 0 || cr.uid == geteuid()) goto out;
    if (gid != XRES_IPC_NO_GROUP && cr.gid == gid) goto out;
    rc = 0;
    if (gid == XRES_IPC_NO_GROUP) goto out;
    if (getpwuid_r(cr.uid, &pw, buf, sizeof(buf), &pwp) || !pwp) goto out;
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0) goto out;
    for (int i = 0; i < n; i++)
        if (groups[i] == gid) { rc = 1; break; }
out:
    return rc;
}

int xres_ipc_listen(const char *path, gid_t gid, int *fd_out)
{
    struct sockaddr_un sa;
    int fd = -1, rc;
    mode_t old;

    rc = make_addr(path, &sa);
    if (rc) goto out;
    rc = mkdir_parent(path);
    if (rc) goto out;

    /* Is somebody already answering there? */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { rc = -errno; goto out; }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        rc = -EADDRINUSE;
        goto out;
    }
    if (errno == ECONNREFUSED) {
        struct stat st;
        /* A stale socket of a daemon that died: replace it, but never
         * remove something that is not a socket. */
        if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
            rc = -EEXIST;
            goto out;
        }
        unlink(path);
    } else if (errno != ENOENT) {
        rc = -errno;
        goto out;
    }
    close(fd);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) { rc = -errno; goto out; }
    old = umask(077);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
    umask(old);
    if (rc) goto out;
    rc = set_access(path, gid);
    if (rc) goto out;
    if (listen(fd, 16) < 0) {
        rc = -errno;
        goto out;
    }
    *fd_out = fd;
    fd = -1;
    rc = 0;
out:
    if (fd >= 0) close(fd);
    return rc;
}

/* Waits for events on fd until deadline (monotonic ms). */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = events };

    for (;;) {
        uint64_t now = xres_monotonic_ms();
        if (now >= deadline) return -ETIMEDOUT;
        int r = poll(&p, 1, (int)(deadline - now));
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -errno;
    }
}

static int send_all(int fd, const char *p, size_t len, uint64_t deadline)
{
    size_t off = 0;

    while (off < len) {
        ssize_t w = send(fd, p + off, len - off, MSG_NOSIGNAL);
        if (w > 0) { off += w; continue; }
        if (w < 0 && errno != EAGAIN && errno != EINTR) return -errno;
        int rc = wait_fd(fd, POLLOUT, deadline);
        if (rc) return rc;
    }
    return 0;
}

int xres_ipc_call(const char *path, const char *req, size_t len,
                  char **reply, size_t *reply_len, int timeout_ms)
{
    struct sockaddr_un sa;
    uint64_t deadline = xres_monotonic_ms() + (uint64_t)timeout_ms;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int fd = -1, rc;

    *reply = NULL;
    rc = make_addr(path, &sa);
    if (rc) goto out;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { rc = -errno; goto out; }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        goto out;
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) { rc = -errno; goto out; }
    rc = send_all(fd, req, len, deadline);
    if (!rc) rc = send_all(fd, "\n", 1, deadline);
    if (rc) goto out;
    shutdown(fd, SHUT_WR);
    for (;;) {
        if (cap - n < 4096) {
            if (cap >= XRES_IPC_REPLY_MAX) { rc = -EMSGSIZE; goto out; }
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap + 1);
            if (!nb) { rc = -ENOMEM; goto out; }
            buf = nb;
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r > 0) { n += r; continue; }
        if (r == 0) break;
        if (errno != EAGAIN && errno != EINTR) { rc = -errno; goto out; }
        rc = wait_fd(fd, POLLIN, deadline);
        if (rc) goto out;
    }
    if (!buf) { rc = -EPROTO; goto out; }
    buf[n] = 0;
    *reply = buf;
    if (reply_len) *reply_len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (fd >= 0) close(fd);
    return rc;
}

/* JSON strings are UTF-8: a byte that is not part of a well-formed
 * character (a name cut in the middle of one by "%.64s", a client's
 * garbage echoed in an error) goes out as U+FFFD, so that every reply
 * parses. */
void xres_json_str(yajl_gen g, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), o = 0, n;
    unsigned char *clean;

    for (n = 0; n < len; n += xres_utf8_char(p + n))
        if (!xres_utf8_char(p + n)) break;
    if (n >= len || !(clean = malloc(3 * len))) {
        yajl_gen_string(g, p, n);       /* all, or the well-formed part */
        return;
    }
    for (size_t i = 0; i < len; i += n) {
        if ((n = xres_utf8_char(p + i))) {
            memcpy(clean + o, p + i, n);
            o += n;
        } else {
            memcpy(clean + o, "\xef\xbf\xbd", 3);
            o += 3;
            n = 1;
        }
    }
    yajl_gen_string(g, clean, o);
    free(clean);
}

void xres_json_emit(yajl_gen g, yajl_val v, const char *skip_key)
{
    if (!v) { yajl_gen_null(g); return; }
    switch (v->type) {
    case yajl_t_string: xres_json_str(g, v->u.string); break;
    case yajl_t_number:
        yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
        break;
    case yajl_t_object:
        yajl_gen_map_open(g);
        for (size_t i = 0; i < v->u.object.len; i++) {
            if (skip_key && !strcmp(v->u.object.keys[i], skip_key)) continue;
            xres_json_str(g, v->u.object.keys[i]);
            xres_json_emit(g, v->u.object.values[i], skip_key);
        }
        yajl_gen_map_close(g);
        break;
    case yajl_t_array:
        yajl_gen_array_open(g);
        for (size_t i = 0; i < v->u.array.len; i++)
            xres_json_emit(g, v->u.array.values[i], skip_key);
        yajl_gen_array_close(g);
        break;
    case yajl_t_true: yajl_gen_bool(g, 1); break;
    case yajl_t_false: yajl_gen_bool(g, 0); break;
    default: yajl_gen_null(g); break;
    }
}

void xres_json_kv_str(yajl_gen g, const char *key, const char *val)
{
    xres_json_str(g, key);
    xres_json_str(g, val);
}

void xres_json_kv_u64(yajl_gen g, const char *key, uint64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);

    xres_json_str(g, key);
    yajl_gen_number(g, buf, n);
}

void xres_json_kv_int(yajl_gen g, const char *key, long long v)
{
    xres_json_str(g, key);
    yajl_gen_integer(g, v);
}

void xres_json_kv_bool(yajl_gen g, const char *key, bool v)
{
    xres_json_str(g, key);
    yajl_gen_bool(g, v);
}

void xres_json_kv_null(yajl_gen g, const char *key)
{
    xres_json_str(g, key);
    yajl_gen_null(g);
}

void xres_ipc_reply_ok_begin(yajl_gen g)
{
    yajl_gen_map_open(g);
    xres_json_kv_bool(g, "ok", true);
}

void xres_ipc_reply_error(yajl_gen g, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    yajl_gen_map_open(g);
    xres_json_kv_bool(g, "ok", false);
    xres_json_kv_str(g, "error", msg);
    yajl_gen_map_close(g);
}

yajl_val xres_json_get(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj)) return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

const char *xres_json_get_str(yajl_val obj, const char *key)
{
    yajl_val v = xres_json_get(obj, key);

    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int xres_json_get_int(yajl_val obj, const char *key, long long *out)
{
    yajl_val v = xres_json_get(obj, key);

    if (!v) return -ENOENT;
    if (!YAJL_IS_INTEGER(v)) return -EINVAL;
    *out = YAJL_GET_INTEGER(v);
    return 0;
}

int xres_json_get_u64(yajl_val obj, const char *key, uint64_t *out)
{
    long long v;
    int rc = xres_json_get_int(obj, key, &v);

    if (rc) return rc;
    if (v < 0) return -EINVAL;
    *out = (uint64_t)v;
    return 0;
}

bool xres_json_get_bool(yajl_val obj, const char *key, bool def)
{
    yajl_val v = xres_json_get(obj, key);

    if (YAJL_IS_TRUE(v)) return true;
    if (YAJL_IS_FALSE(v)) return false;
    return def;
}
