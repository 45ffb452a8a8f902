/*
 * guest-agent/fuzz/fuzz_agent_request.c: libFuzzer target for how
 * xres-agent reads what dom0 and local programs send it: the bytes are
 * a request value (xres/request/<seq>) for xres_agent_plan, the entries
 * of the request directory (one a line) for xres_agent_pending_seqs, and
 * a line on the notify socket for xres_agent_parse_notify.  Besides
 * "never crash": every ack the agent would write passes the schema's ack
 * parser, a planned request is canonical, the sequence numbers come out
 * sorted and valid, and a notify names a valid application and level.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAMES_MAX 64

static xres_agent_cfg cfg;
static int cfg_ready;

static void cfg_setup(void)
{
    static const char conf[] =
        "apps = [ \"web\", \"db\" ]\n"
        "web.pidfile = \"/run/web.pid\"\n"
        "web.start = \"true\"\nweb.stop = \"true\"\n"
        "db.check = \"true\"\ndb.start = \"true\"\n";
    char err[256];

    if (cfg_ready) return;
    if (xres_agent_cfg_parse(&cfg, conf, sizeof(conf) - 1, "agent.conf",
                             err, sizeof(err)) || cfg.napps != 2)
        abort();
    cfg_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *val = (const char *)data;
    char ack[XRES_ACK_DETAIL_MAX + 16], buf[256], why[XRES_SCHEMA_WHY_MAX];
    char app[XRES_APP_NAME_MAX + 1];
    char *names[NAMES_MAX];
    uint64_t seqs[NAMES_MAX];
    xres_request q;
    xres_ack parsed;
    size_t n = 0;
    int level;

    cfg_setup();

    /* The request value. */
    memset(ack, 'x', sizeof(ack));
    xres_plan plan = xres_agent_plan(&cfg, val, size, &q, ack, sizeof(ack));
    if (plan == XRES_PLAN_ACK) {
        size_t al = strnlen(ack, sizeof(ack));
        if (al == sizeof(ack)) abort();
        if (xres_schema_parse_ack(ack, al, &parsed, why, sizeof(why)) ||
            parsed.ok)
            abort();
        if (xres_schema_check(XS_REPORT_ACK, ack, al, why, sizeof(why)))
            abort();
    } else if (plan == XRES_PLAN_DO) {
        if (xres_schema_format_request(&q, buf, sizeof(buf))) abort();
        if (strlen(buf) != size || memcmp(buf, val, size)) abort();
        if ((q.op == XRES_REQ_START || q.op == XRES_REQ_STOP) &&
            !xres_agent_cfg_app(&cfg, q.app))
            abort();
    } else {
        abort();
    }

    /* The request directory's entries, one a line. */
    char *copy = malloc(size + 1);
    if (!copy) return 0;
    memcpy(copy, val, size);
    copy[size] = 0;
    for (char *p = copy; n < NAMES_MAX;) {
        names[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = 0;
        p = nl + 1;
    }
    size_t k = xres_agent_pending_seqs(names, n, seqs, NAMES_MAX / 2);
    if (k > NAMES_MAX / 2 || k > n) abort();
    for (size_t i = 0; i < k; i++) {
        if (seqs[i] == 0 || seqs[i] > (1ULL << 53) - 1) abort();
        if (i && seqs[i - 1] > seqs[i]) abort();
    }
    free(copy);

    /* A line on the notify socket. */
    memset(app, 'x', sizeof(app));
    if (!xres_agent_parse_notify(val, size, app, sizeof(app), &level)) {
        if (level < 0 || level > XRES_LEVEL_MEMORY) abort();
        if (!xres_schema_check_name(app, strlen(app))) abort();
    }
    return 0;
}
