/*
 * guest-agent/fuzz/fuzz_agent_conf.c: libFuzzer target for agent.conf:
 * the bytes are the file, read with xres_agent_cfg_parse as
 * xres_agent_cfg_load does, and a size word for xres_agent_parse_size.
 * Besides "never crash": a refused file always says why, and an accepted
 * one holds only what the agent can use (valid, distinct application
 * names within the limit, NUL-terminated strings, its list of unknown
 * keys bounded).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *s, size_t len)
{
    if (!memchr(s, 0, len)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static xres_agent_cfg c;
    char err[512];
    uint64_t kb;

    if (size > (1 << 20)) return 0;         /* the loader's own limit */
    err[0] = 0;
    int rc = xres_agent_cfg_parse(&c, (const char *)data, size,
                                  "agent.conf", err, sizeof(err));
    terminated(err, sizeof(err));
    if (rc && !err[0]) abort();
    if (!rc) {
        if (c.napps > XRES_AGENT_APPS_MAX) abort();
        if (c.heartbeat_s * 1000ULL < c.interval_ms) abort();
        terminated(c.socket, sizeof(c.socket));
        terminated(c.unknown, sizeof(c.unknown));
        terminated(c.alloc.command, sizeof(c.alloc.command));
        for (size_t i = 0; i < c.napps; i++) {
            const xres_agent_app_cfg *a = &c.apps[i];
            terminated(a->name, sizeof(a->name));
            if (!xres_schema_check_name(a->name, strlen(a->name))) abort();
            terminated(a->pidfile, sizeof(a->pidfile));
            terminated(a->check, sizeof(a->check));
            terminated(a->start, sizeof(a->start));
            terminated(a->stop, sizeof(a->stop));
            if (xres_agent_cfg_app(&c, a->name) != a) abort();
        }
    }

    /* A size as agent.conf's NAME.memory takes it. */
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (!xres_agent_parse_size(s, &kb) && kb > (1ULL << 40)) abort();
    free(s);
    return 0;
}
