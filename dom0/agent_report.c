/*
 * dom0/agent_report.c: minimal versions of the agent functions the daemon
 * core calls (agent_report.h): every report is "no agent", and the request
 * directory is created with the right owner and permissions.  The agent
 * area replaces this file with the full parser.
 */
#include <errno.h>
#include <string.h>

#include "agent_report.h"

int xres_daemon_read_agent_report(xres_backend *b, uint32_t domid,
                                  xres_agent_report *rep, uint64_t now_ms)
{
    (void)b; (void)domid; (void)now_ms;
    memset(rep, 0, sizeof(*rep));
    rep->valid = false;
    return -ENOENT;
}

bool xres_agent_report_expire(xres_agent_report *rep, uint32_t domid,
                              uint64_t now_ms)
{
    (void)rep; (void)domid; (void)now_ms;
    return false;
}

int xres_agent_request_setup(xres_backend *b, uint32_t domid)
{
    xres_perm_entry perms[2] = {
        { 0, XRES_PERM_NONE }, { domid, XRES_PERM_READ },
    };
    char path[XRES_SCHEMA_PATH_MAX];
    int rc;

    if (domid == 0) return -EINVAL;
    rc = xres_schema_path(path, sizeof(path), XS_REQ_ROOT, domid, NULL);
    if (!rc) rc = b->ops->xs_mkdir(b, path);
    if (!rc) rc = b->ops->xs_set_perms(b, path, perms, 2);
    return rc;
}
