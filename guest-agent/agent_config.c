/*
 * guest-agent/agent_config.c: reads /etc/xres/agent.conf, which uses
 * xl.cfg syntax, through libxlutil's xlu_cfg_* parser.
 *
 *   interval_ms = 1000         heartbeat = 10         change_kb = 16384
 *   apps = [ "web" ]
 *   web.pidfile = "/run/web.pid"      web.start = "/etc/init.d/web start"
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxlutil.h>

#include "agent.h"
#include "agent_alloc.h"

void xres_agent_cfg_defaults(xres_agent_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->interval_ms = 1000;
    c->heartbeat_s = 10;
    c->change_kb = 16384;
    c->change_cpu = 20;
    c->check_interval_s = 5;
    c->command_timeout_s = 30;
    c->release_timeout_s = 60;
    c->start_without_extension = false;
    c->extension_timeout_s = 30;
    c->nice = XRES_AGENT_NICE_DEFAULT;
    snprintf(c->socket, sizeof(c->socket), "%s", XRES_AGENT_SOCKET);
    xres_alloc_cfg_defaults(&c->alloc);
}

int xres_agent_parse_size(const char *s, uint64_t *kb)
{
    uint64_t v = 0, mult;
    size_t i = 0;

    if (!s || s[0] < '0' || s[0] > '9') return -EINVAL;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10) return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    switch (s[i]) {
    case 0: case 'm': case 'M': mult = 1024; break;
    case 'k': case 'K': mult = 1; break;
    case 'g': case 'G': mult = 1024 * 1024; break;
    default: return -EINVAL;
    }
    if (s[i] && s[i + 1] && !((s[i + 1] == 'b' || s[i + 1] == 'B') &&
                              !s[i + 2]))
        return -EINVAL;
    if (v > (1ULL << 40) / mult) return -EINVAL;
    *kb = v * mult;
    return 0;
}

static int fail(char *err, size_t errlen, const char *fname,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, const char *fname,
                const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err && errlen) snprintf(err, errlen, "%s: %s", fname, msg);
    return -EINVAL;
}

/* Optional number in [min, max]: 0 (absent: *v unchanged) or -EINVAL. */
static int get_num(XLU_Config *cfg, const char *key, long min, long max,
                   unsigned long long *v, const char *fname, char *err,
                   size_t errlen)
{
    const char *s;
    char *end;

    if (xlu_cfg_get_string(cfg, key, &s, 1)) {
        /* Absent, or a list where a number belongs. */
        XLU_ConfigList *l;
        int n;
        if (!xlu_cfg_get_list(cfg, key, &l, &n, 1))
            return fail(err, errlen, fname, "%s: must be a number", key);
        return 0;
    }
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return fail(err, errlen, fname, "%s: not a number: \"%s\"", key, s);
    if (x < min || x > max)
        return fail(err, errlen, fname, "%s: %lld is out of range %ld..%ld",
                    key, x, min, max);
    *v = (unsigned long long)x;
    return 0;
}

static int get_str(XLU_Config *cfg, const char *key, char *out, size_t len,
                   const char *fname, char *err, size_t errlen)
{
    const char *s;

    if (xlu_cfg_get_string(cfg, key, &s, 1)) {
        XLU_ConfigList *l;
        int n;
        if (!xlu_cfg_get_list(cfg, key, &l, &n, 1))
            return fail(err, errlen, fname, "%s: must be a string", key);
        return 0;
    }
    if (strlen(s) >= len)
        return fail(err, errlen, fname, "%s: longer than %zu bytes", key,
                    len - 1);
    snprintf(out, len, "%s", s);
    return 0;
}

#define NUM(key, min, max, field) do { \
        unsigned long long v_ = (field); \
        rc = get_num(cfg, key, min, max, &v_, fname, err, errlen); \
        if (rc) goto out; \
        (field) = v_; \
    } while (0)

static int parse_app(XLU_Config *cfg, xres_agent_app_cfg *a,
                     const char *fname, char *err, size_t errlen)
{
    char key[XRES_APP_NAME_MAX + 32], mem[32] = "";
    int rc;

    a->max_restarts = 3;
#define K(suffix) (snprintf(key, sizeof(key), "%s." suffix, a->name), key)
    if ((rc = get_str(cfg, K("pidfile"), a->pidfile, sizeof(a->pidfile),
                      fname, err, errlen)) ||
        (rc = get_str(cfg, K("check"), a->check, sizeof(a->check), fname,
                      err, errlen)) ||
        (rc = get_str(cfg, K("start"), a->start, sizeof(a->start), fname,
                      err, errlen)) ||
        (rc = get_str(cfg, K("stop"), a->stop, sizeof(a->stop), fname, err,
                      errlen)) ||
        (rc = get_str(cfg, K("memory"), mem, sizeof(mem), fname, err,
                      errlen)))
        goto out;
    {
        unsigned long long v = 0;
        if ((rc = get_num(cfg, K("check_status"), 0, 255, &v, fname, err,
                          errlen)))
            goto out;
        a->check_status = (int)v;
        v = 0;
        if ((rc = get_num(cfg, K("hot_standby"), 0, 1, &v, fname, err,
                          errlen)))
            goto out;
        a->hot_standby = v;
        v = 0;
        if ((rc = get_num(cfg, K("ask_extension"), 0, 1, &v, fname, err,
                          errlen)))
            goto out;
        a->ask_extension = v;
        v = a->max_restarts;
        if ((rc = get_num(cfg, K("max_restarts"), 0, 100, &v, fname, err,
                          errlen)))
            goto out;
        a->max_restarts = (unsigned)v;
    }
    if (mem[0] && xres_agent_parse_size(mem, &a->memory_kb)) {
        rc = fail(err, errlen, fname, "%s.memory: not a size: \"%s\"",
                  a->name, mem);
        goto out;
    }
    if (!a->pidfile[0] && !a->check[0]) {
        rc = fail(err, errlen, fname, "application %s: needs %s.pidfile or "
                  "%s.check", a->name, a->name, a->name);
        goto out;
    }
    if (a->pidfile[0] && a->check[0]) {
        rc = fail(err, errlen, fname, "application %s: give %s.pidfile or "
                  "%s.check, not both", a->name, a->name, a->name);
        goto out;
    }
    if (!a->start[0]) {
        rc = fail(err, errlen, fname, "application %s: needs %s.start",
                  a->name, a->name);
        goto out;
    }
#undef K
    rc = 0;
out:
    return rc;
}

/* Every setting the agent reads.  A new setting goes here as well as into
 * xres_agent_cfg_parse (or its own parser), or agent.conf warns of it. */
const char *const xres_agent_cfg_keys[] = {
    "interval_ms", "heartbeat", "change_kb", "change_cpu", "check_interval",
    "command_timeout", "release_timeout", "nice", "socket", "apps",
    "start_without_extension", "extension_timeout",
    NULL,
};

const char *const xres_agent_cfg_app_keys[] = {
    "pidfile", "check", "check_status", "start", "stop", "memory",
    "hot_standby", "max_restarts", "ask_extension",
    NULL,
};

static bool known_key(const xres_agent_cfg *c, const char *key)
{
    for (size_t i = 0; xres_agent_cfg_keys[i]; i++)
        if (!strcmp(key, xres_agent_cfg_keys[i])) return true;
    /* The managing domain's keys, read by agent_alloc.c. */
    for (size_t i = 0; xres_alloc_conf_keys[i]; i++)
        if (!strcmp(key, xres_alloc_conf_keys[i])) return true;
    const char *dot = strchr(key, '.');
    if (!dot) return false;
    for (size_t i = 0; i < c->napps; i++) {
        size_t nl = strlen(c->apps[i].name);
        if ((size_t)(dot - key) != nl || strncmp(key, c->apps[i].name, nl))
            continue;
        for (size_t k = 0; xres_agent_cfg_app_keys[k]; k++)
            if (!strcmp(dot + 1, xres_agent_cfg_app_keys[k])) return true;
    }
    return false;
}

static bool id_start(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool id_char(char ch)
{
    return id_start(ch) || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '-';
}

/*
 * libxlutil gives no list of the keys it read, so the text is scanned
 * here, the way xl.cfg's grammar has it: a setting starts a statement,
 * statements end at a newline or ';' outside brackets, strings are in
 * double or single quotes with backslash escapes, '#' starts a comment.
 * The text has already parsed, so the scan need not judge it.
 */
void xres_agent_cfg_find_unknown(xres_agent_cfg *c, const char *data,
                                 size_t len, const char *fname)
{
    size_t i = 0, used = 0;
    unsigned line = 1, depth = 0;
    bool stmt = true;

    c->nunknown = 0;
    c->unknown[0] = 0;
    while (i < len) {
        char ch = data[i];
        if (ch == '\n') {
            line++;
            if (!depth) stmt = true;
            i++;
        } else if (ch == ' ' || ch == '\t' || ch == '\r') {
            i++;
        } else if (ch == '#') {
            while (i < len && data[i] != '\n') i++;
        } else if (ch == '"' || ch == '\'') {
            for (i++; i < len && data[i] != ch; i++) {
                if (data[i] == '\\' && i + 1 < len) i++;
                if (data[i] == '\n') line++;
            }
            i++;
            stmt = false;
        } else if (ch == '[') {
            depth++;
            i++;
        } else if (ch == ']') {
            if (depth) depth--;
            i++;
        } else if (ch == ';') {
            if (!depth) stmt = true;
            i++;
        } else if (stmt && id_start(ch)) {
            char key[96];
            size_t k = 0;
            for (; i < len && id_char(data[i]); i++)
                if (k + 1 < sizeof(key)) key[k++] = data[i];
            key[k] = 0;
            stmt = false;
            if (known_key(c, key)) continue;
            c->nunknown++;
            int n = snprintf(c->unknown + used, sizeof(c->unknown) - used,
                             "%s:%u: unknown key \"%s\", ignored\n", fname,
                             line, key);
            if (n > 0 && used + (size_t)n < sizeof(c->unknown))
                used += (size_t)n;
        } else {
            stmt = false;
            i++;
        }
    }
}

int xres_agent_cfg_parse(xres_agent_cfg *c, const char *data, size_t len,
                         const char *fname, char *err, size_t errlen)
{
    char *msgs = NULL;
    size_t msglen = 0;
    FILE *report = open_memstream(&msgs, &msglen);
    XLU_Config *cfg = NULL;
    XLU_ConfigList *apps;
    int rc, n;

    xres_agent_cfg_defaults(c);
    if (!report) return fail(err, errlen, fname, "out of memory");
    /* libxlutil's lexer aborts on a NUL byte inside a string. */
    if (memchr(data, 0, len)) {
        rc = fail(err, errlen, fname, "holds a NUL byte");
        goto out;
    }
    cfg = xlu_cfg_init(report, fname);
    if (!cfg) {
        rc = fail(err, errlen, fname, "out of memory");
        goto out;
    }
    rc = xlu_cfg_readdata(cfg, data, (int)len);
    if (rc) {
        fflush(report);
        char *nl = msgs ? strchr(msgs, '\n') : NULL;
        if (nl) *nl = 0;
        /* xlu's message already names the file and line. */
        if (err && errlen)
            snprintf(err, errlen, "%s", msgs && *msgs ? msgs :
                     "syntax error");
        rc = -EINVAL;
        goto out;
    }
    NUM("interval_ms", 100, 600000, c->interval_ms);
    NUM("heartbeat", 1, 600, c->heartbeat_s);
    NUM("change_kb", 0, 1L << 40, c->change_kb);
    NUM("change_cpu", 1, 100, c->change_cpu);
    NUM("check_interval", 1, 3600, c->check_interval_s);
    NUM("command_timeout", 1, 600, c->command_timeout_s);
    NUM("release_timeout", 1, 3600, c->release_timeout_s);
    NUM("extension_timeout", 1, 3600, c->extension_timeout_s);
    {
        unsigned long long v = c->start_without_extension;
        if ((rc = get_num(cfg, "start_without_extension", 0, 1, &v, fname,
                          err, errlen)))
            goto out;
        c->start_without_extension = v;
    }
    {
        unsigned long long v = (unsigned long long)(long long)c->nice;
        if ((rc = get_num(cfg, "nice", -20, 19, &v, fname, err, errlen)))
            goto out;
        c->nice = (int)(long long)v;
    }
    if ((rc = get_str(cfg, "socket", c->socket, sizeof(c->socket), fname,
                      err, errlen)))
        goto out;
    if (c->socket[0] != '/') {
        rc = fail(err, errlen, fname, "socket: must be an absolute path");
        goto out;
    }
    if (c->heartbeat_s * 1000ULL < c->interval_ms) {
        rc = fail(err, errlen, fname, "heartbeat (%u s) is shorter than "
                  "interval_ms (%u ms)", c->heartbeat_s, c->interval_ms);
        goto out;
    }
    if ((rc = xres_alloc_cfg_read(&c->alloc, cfg, fname, err, errlen)))
        goto out;
    if (!xlu_cfg_get_list(cfg, "apps", &apps, &n, 1)) {
        if (n > XRES_AGENT_APPS_MAX) {
            rc = fail(err, errlen, fname, "apps: at most %d applications",
                      XRES_AGENT_APPS_MAX);
            goto out;
        }
        for (int i = 0; i < n; i++) {
            const char *name = xlu_cfg_get_listitem(apps, i);
            if (!name || !xres_schema_check_name(name, strlen(name))) {
                rc = fail(err, errlen, fname, "apps: \"%s\" is not a name "
                          "([a-z][a-z0-9_]*, at most %d bytes)",
                          name ? name : "", XRES_APP_NAME_MAX);
                goto out;
            }
            if (xres_agent_cfg_app(c, name)) {
                rc = fail(err, errlen, fname, "apps: \"%s\" twice", name);
                goto out;
            }
            xres_agent_app_cfg *a = &c->apps[c->napps];
            memset(a, 0, sizeof(*a));
            snprintf(a->name, sizeof(a->name), "%s", name);
            if ((rc = parse_app(cfg, a, fname, err, errlen))) goto out;
            c->napps++;
        }
    } else {
        const char *s;
        if (!xlu_cfg_get_string(cfg, "apps", &s, 1)) {
            rc = fail(err, errlen, fname, "apps: must be a list, e.g. "
                      "apps = [ \"web\" ]");
            goto out;
        }
    }
    xres_agent_cfg_find_unknown(c, data, len, fname);
    rc = 0;
out:
    if (cfg) xlu_cfg_destroy(cfg);
    fclose(report);
    free(msgs);
    return rc;
}

int xres_agent_cfg_load(xres_agent_cfg *c, const char *path, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc;

    if (!f) {
        xres_agent_cfg_defaults(c);
        if (errno == ENOENT) return 0;
        return fail(err, errlen, path, "%s", strerror(errno));
    }
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (1 << 20)) {
                rc = fail(err, errlen, path, "larger than 1 MiB");
                goto out;
            }
            char *d = realloc(data, cap);
            if (!d) {
                rc = fail(err, errlen, path, "out of memory");
                goto out;
            }
            data = d;
        }
        size_t r = fread(data + len, 1, 4096, f);
        if (!r) break;
        len += r;
    }
    rc = xres_agent_cfg_parse(c, data ? data : "", len, path, err, errlen);
out:
    fclose(f);
    free(data);
    return rc;
}

const xres_agent_app_cfg *xres_agent_cfg_app(const xres_agent_cfg *c,
                                             const char *name)
{
    for (size_t i = 0; i < c->napps; i++)
        if (!strcmp(c->apps[i].name, name)) return &c->apps[i];
    return NULL;
}
