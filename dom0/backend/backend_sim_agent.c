/*
 * dom0/backend/backend_sim_agent.c: the simulator's xres-agent in a
 * guest: it writes reports as the guest, through the schema, and
 * answers dom0's requests (backend_sim.h, xres_sim_set_agent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_release.h"
#include "backend_sim_priv.h"

static void agent_put(sim *s, uint32_t domid, xres_schema_id id,
                      const char *arg, const char *val)
{
    char path[XRES_SCHEMA_PATH_MAX];

    if (!xres_schema_path(path, sizeof(path), id, domid, arg))
        sim_write_as(s, domid, path, val, strlen(val));
}

/* One report, as xres-agent writes it: the one record value. */
static void agent_report(sim *s, sim_dom *d)
{
    static const char version[] = "0.1.0-sim";
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char val[1024];     /* more than the record may hold (schema.tbl) */
    uint64_t total = d->cur_kb;
    uint64_t used = d->used_kb < total ? d->used_kb : total;
    unsigned pct = d->cpu_pct > 100 ? 100 : d->cpu_pct;

    memset(f, 0, sizeof(f));
    f[XS_POS_REPORT_SEQ].u64 = ++d->agent_seq;
    f[XS_POS_REPORT_VERSION].s = version;
    f[XS_POS_REPORT_VERSION].len = sizeof(version) - 1;
    f[XS_POS_REPORT_HEARTBEAT].u64 = s->now_ms;
    f[XS_POS_REPORT_HB_INTERVAL].u64 = XRES_SIM_AGENT_PERIOD_MS / 1000 * 5;
    f[XS_POS_REPORT_MEM_TOTAL].u64 = total;
    f[XS_POS_REPORT_MEM_AVAIL].u64 = total - used;
    f[XS_POS_REPORT_MEM_USED].u64 = used;
    f[XS_POS_REPORT_SWAP_USED].u64 = d->used_kb > total ? d->used_kb - total
                                                        : 0;
    f[XS_POS_REPORT_BALLOON_CUR].u64 = d->cur_kb;
    f[XS_POS_REPORT_BALLOON_TGT].u64 = d->target_kb;
    f[XS_POS_REPORT_CPU_PCT].u64 = pct;
    if (!xres_schema_format_record(XS_REPORT, f, val, sizeof(val)))
        agent_put(s, d->domid, XS_REPORT, NULL, val);
}

/* Answers the requests dom0 left under xres/request: release KB once the
 * balloon is there by xres-agent's rule (agent_release.h; the daemon
 * keeps the time limit), everything else at once. */
static void agent_requests(xres_backend *b, sim_dom *d)
{
    sim *s = S(b);
    char dir[XRES_SCHEMA_PATH_MAX], path[XRES_SCHEMA_PATH_MAX], ack[160];
    char **names = NULL, *val = NULL;
    unsigned n = 0;
    size_t len;

    if (xres_schema_path(dir, sizeof(dir), XS_REQ_DIR, d->domid, NULL) ||
        sim_xs_directory(b, dir, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        xres_request req;
        bool done = true, ok = true;
        const char *detail = NULL;

        if (xres_schema_path(path, sizeof(path), XS_REPORT_ACK, d->domid,
                             names[i]) ||
            sim_find_node(s, path))
            continue;                           /* answered already */
        if (xres_schema_path(path, sizeof(path), XS_REQ_ITEM, d->domid,
                             names[i]) ||
            sim_read_as(s, d->domid, path, &val, &len))
            continue;
        char msg[64];
        if (xres_schema_parse_request(val, len, &req, NULL, 0)) {
            ok = false;
            detail = "cannot parse the request";
        } else if (req.op == XRES_REQ_RELEASE) {
            /* xres-agent's own rule, with no time limit of its own. */
            done = xres_agent_release_check(d->cur_kb, req.kb, s->now_ms,
                                            UINT64_MAX, 0, msg,
                                            sizeof(msg)) ==
                   XRES_RELEASE_DONE;
            detail = msg;
        }
        free(val);
        val = NULL;
        if (!done) continue;
        if (xres_schema_format_ack(ok, detail, ack, sizeof(ack)) >= 0)
            agent_put(s, d->domid, XS_REPORT_ACK, names[i], ack);
    }
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

void sim_agents_step(xres_backend *b)
{
    sim *s = S(b);

    for (size_t i = 0; i < s->nr_doms; i++) {
        sim_dom *d = &s->doms[i];
        if (!d->agent || d->paused || d->shutdown) continue;
        agent_requests(b, d);
        if (s->now_ms >= d->agent_next_ms) {
            agent_report(s, d);
            d->agent_next_ms = s->now_ms + XRES_SIM_AGENT_PERIOD_MS;
        }
    }
}

int xres_sim_set_agent(xres_backend *b, uint32_t domid, bool on,
                       uint64_t used_kb)
{
    sim *s = S(b);
    sim_dom *d = sim_find_dom(s, domid);

    if (!d) return -ESRCH;
    if (domid == 0 && on) return -EINVAL;
    d->agent = on;
    d->used_kb = used_kb;
    /* The first report goes out at the next step. */
    d->agent_next_ms = s->now_ms;
    return 0;
}

