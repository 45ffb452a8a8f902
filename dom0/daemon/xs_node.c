/*
 * dom0/daemon/xs_node.c: XenStore nodes addressed by schema row
 * (daemon.h, xres_xs_*): paths from xenstore-schema/, numbers parsed with
 * the row's bounds, failed writes logged with their path.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "xs_schema.h"

/*----- XenStore nodes addressed by schema row -----*/

int xres_xs_path(char *buf, xres_schema_id id, uint32_t domid,
                 const char *arg)
{
    int rc = xres_schema_path(buf, XRES_SCHEMA_PATH_MAX, id, domid, arg);

    if (rc) XLOG_ERR("no XenStore path for %s (%s): %s",
                     xres_schema_leaf(id), arg ? arg : "-", strerror(-rc));
    return rc;
}

int xres_xs_get(xres_daemon *d, xres_schema_id id, uint32_t domid,
                const char *arg, char **val, size_t *len)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc = xres_xs_path(path, id, domid, arg);

    if (rc) return rc;
    return d->be->ops->xs_read(d->be, path, val, len);
}

int xres_xs_get_u64(xres_daemon *d, xres_schema_id id, uint32_t domid,
                    const char *arg, uint64_t *out)
{
    char *val = NULL;
    size_t len = 0;
    int rc = xres_xs_get(d, id, domid, arg, &val, &len);

    if (!rc) rc = xres_schema_parse_u64(id, val, len, out, NULL, 0);
    free(val);
    return rc;
}

int xres_xs_put(xres_daemon *d, xres_schema_id id, uint32_t domid,
                const char *arg, const char *val)
{
    char path[XRES_SCHEMA_PATH_MAX];
    int rc = xres_xs_path(path, id, domid, arg);

    if (rc) return rc;
    rc = d->be->ops->xs_write(d->be, path, val, strlen(val));
    if (rc) XLOG_WARN("cannot write %s: %s", path, strerror(-rc));
    return rc;
}

int xres_xs_put_u64(xres_daemon *d, xres_schema_id id, uint32_t domid,
                    const char *arg, uint64_t v)
{
    char val[24];

    snprintf(val, sizeof(val), "%" PRIu64, v);
    return xres_xs_put(d, id, domid, arg, val);
}

void xres_xs_del(xres_daemon *d, xres_schema_id id, uint32_t domid,
                 const char *arg)
{
    char path[XRES_SCHEMA_PATH_MAX];

    if (!xres_xs_path(path, id, domid, arg)) d->be->ops->xs_rm(d->be, path);
}
