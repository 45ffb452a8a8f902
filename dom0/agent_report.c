/*
 * dom0/agent_report.c: reading a guest agent's report from XenStore into
 * the daemon's per-domain state.
 *
 * This is the one place where the daemon turns /local/domain/<id>/data/xres
 * into an xres_agent_report.  The values are parsed and bounded only
 * through xenstore-schema/.  Until that parser is plugged in here, every
 * report is marked invalid ("no agent"), which the rest of xresd handles
 * as a domain it must not ask to balloon.
 */
#include <string.h>

#include "daemon.h"

int xres_daemon_read_agent_report(xres_daemon *d, uint32_t domid)
{
    xres_domstate *ds = xres_daemon_domstate(d, domid);

    if (!ds) return 0;
    memset(&ds->agent, 0, sizeof(ds->agent));
    ds->agent.valid = false;
    return 0;
}
