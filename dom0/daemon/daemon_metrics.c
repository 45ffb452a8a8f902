/*
 * dom0/daemon/daemon_metrics.c: the metrics subsystem.  On every tick it
 * writes the Prometheus text (metrics.c) to the file xres.conf names
 * (metrics_file), atomically: a temporary file in the same directory,
 * fsync, rename.  While the file's directory is absent there is no file
 * (said once, at info).  The `metrics` IPC command replies with the same
 * text.  The counters come from the subsystems that own them, through
 * xres_memd_metrics, xres_paird_metrics and xres_poold_metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_metrics.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"
#include "metrics.h"
#include "subsys.h"

/* What was last said about the file, so that each is said once. */
typedef enum {
    FILE_NEW = 0,               /* nothing yet */
    FILE_WRITTEN,
    FILE_NO_DIR,
    FILE_FAILED,
} file_state;

/* xres_daemon_priv(d, &xres_subsys_metrics) */
typedef struct {
    xres_metrics_params p;
    file_state state;
    int last_rc;                /* of the last failed write */
} metrics_priv;

static metrics_priv *MP(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_metrics);
}

int xres_daemon_metrics_text(xres_daemon *d, char **text, size_t *len)
{
    xres_metrics_counters c;

    memset(&c, 0, sizeof(c));
    xres_memd_metrics(d, &c);
    xres_paird_metrics(d, &c);
    xres_poold_metrics(d, &c);
    return xres_metrics_format(&d->host, &c, text, len);
}

/* The directory of path into buf ("/" for a file at the root). */
static int dir_of(char *buf, size_t len, const char *path)
{
    const char *slash = strrchr(path, '/');
    int n;

    if (!slash) return -EINVAL;
    n = slash == path ? snprintf(buf, len, "/")
                      : snprintf(buf, len, "%.*s", (int)(slash - path), path);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int xres_metrics_write_file(const char *path, const char *text, size_t len)
{
    const char *base = strrchr(path, '/');
    char tmp[XRES_METRICS_PATH_MAX + 32], dir[XRES_METRICS_PATH_MAX];
    int fd = -1, rc, n;
    bool made = false;

    if ((rc = dir_of(dir, sizeof(dir), path))) goto out;
    /* A name the textfile collector skips: it reads *.prom only. */
    n = snprintf(tmp, sizeof(tmp), "%s%s.%s.XXXXXX", dir,
                 strcmp(dir, "/") ? "/" : "", base + 1);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        rc = -ENAMETOOLONG;
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    made = true;
    if (fchmod(fd, 0644) || (rc = write_all(fd, text, len)) ||
        fsync(fd)) {
        if (!rc) rc = -errno;
        goto out;
    }
    rc = close(fd) ? -errno : 0;
    fd = -1;
    if (!rc && rename(tmp, path)) rc = -errno;
out:
    if (fd >= 0) close(fd);
    if (rc && made) unlink(tmp);
    return rc;
}

/* One write of the file, with what changed said once. */
static void write_metrics(xres_daemon *d)
{
    metrics_priv *mp = MP(d);
    char dir[XRES_METRICS_PATH_MAX], *text = NULL;
    struct stat st;
    size_t len = 0;
    int rc;

    if (!mp || !mp->p.file[0] || dir_of(dir, sizeof(dir), mp->p.file))
        return;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
        if (mp->state != FILE_NO_DIR)
            XLOG_INFO("metrics: %s is absent: no metrics file until it "
                      "exists", dir);
        mp->state = FILE_NO_DIR;
        return;
    }
    rc = xres_daemon_metrics_text(d, &text, &len);
    if (!rc) rc = xres_metrics_write_file(mp->p.file, text, len);
    free(text);
    if (rc) {
        if (mp->state != FILE_FAILED || mp->last_rc != rc)
            XLOG_WARN("metrics: cannot write %s: %s (said once)",
                      mp->p.file, strerror(-rc));
        mp->state = FILE_FAILED;
        mp->last_rc = rc;
        return;
    }
    if (mp->state != FILE_WRITTEN)
        XLOG_INFO("metrics: writing %s every tick", mp->p.file);
    mp->state = FILE_WRITTEN;
}

/* ---- hooks ---- */

/* cfg's metrics key into p, or the reason in the log. */
static int read_params(const xres_config *cfg, xres_metrics_params *p)
{
    char err[256];
    int rc = xres_metrics_params_from_config(cfg, p, err, sizeof(err));

    if (rc) XLOG_ERR("%s", err);
    return rc;
}

static int metrics_check_config(xres_daemon *d, const xres_config *cfg)
{
    xres_metrics_params p;

    (void)d;
    return read_params(cfg, &p);
}

static int metrics_init(xres_daemon *d)
{
    metrics_priv *mp = calloc(1, sizeof(*mp));
    int rc;

    if (!mp) return -ENOMEM;
    (void)xres_daemon_set_priv(d, &xres_subsys_metrics, mp);
    if ((rc = read_params(&d->cfg, &mp->p))) return rc;
    if (!mp->p.file[0]) XLOG_INFO("metrics: no metrics file (metrics_file)");
    write_metrics(d);
    return 0;
}

static void metrics_dispose(xres_daemon *d)
{
    free(MP(d));
    (void)xres_daemon_set_priv(d, &xres_subsys_metrics, NULL);
}

static void metrics_reload(xres_daemon *d)
{
    metrics_priv *mp = MP(d);
    xres_metrics_params p;

    if (!mp || read_params(&d->cfg, &p)) return;
    if (strcmp(p.file, mp->p.file)) {
        mp->p = p;
        mp->state = FILE_NEW;
        if (!p.file[0]) XLOG_INFO("metrics: no metrics file (metrics_file)");
    }
}

static int metrics_command(xres_daemon *d, const char *cmd, yajl_val req,
                           yajl_gen out)
{
    char *text = NULL;
    int rc;

    (void)req;
    if (strcmp(cmd, "metrics")) return -ENOSYS;
    if ((rc = xres_daemon_metrics_text(d, &text, NULL))) return rc;
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_str(out, "text", text);
    yajl_gen_map_close(out);
    free(text);
    return 0;
}

const xres_subsys xres_subsys_metrics = {
    .name = "metrics",
    .init = metrics_init,
    .dispose = metrics_dispose,
    .check_config = metrics_check_config,
    .reload = metrics_reload,
    .tick = write_metrics,
    .command = metrics_command,
};
