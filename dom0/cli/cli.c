/*
 * dom0/cli/cli.c: helpers shared by every xres command (cli.h): the socket,
 * one request/reply with xresd, usage messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static const char *socket_path;

void xres_cli_set_socket(const char *path)
{
    socket_path = path;
}

const char *xres_cli_socket(void)
{
    const char *env;

    if (socket_path) return socket_path;
    env = getenv("XRES_SOCKET");
    if (env && *env) return env;
    return XRES_SOCKET_DEFAULT;
}

yajl_gen xres_cli_req_begin(const char *cmd)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g) {
        fprintf(stderr, "xres: out of memory\n");
        exit(XRES_EXIT_FAIL);
    }
    yajl_gen_map_open(g);
    xres_json_kv_str(g, "cmd", cmd);
    return g;
}

int xres_cli_call(yajl_gen g, yajl_val *reply_out)
{
    const unsigned char *req;
    size_t len;
    char *reply = NULL, errbuf[256];
    yajl_val v = NULL;
    const char *path = xres_cli_socket();
    int rc;

    *reply_out = NULL;
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &req, &len);
    rc = xres_ipc_call(path, (const char *)req, len, &reply, NULL,
                       XRES_IPC_TIMEOUT_MS * 2);
    yajl_gen_free(g);
    if (rc == -ENOENT || rc == -ECONNREFUSED) {
        fprintf(stderr, "xres: xresd is not running (cannot connect to "
                "%s: %s)\n", path, strerror(-rc));
        return XRES_EXIT_FAIL;
    }
    if (rc == -EACCES || rc == -EPERM) {
        fprintf(stderr, "xres: cannot connect to xresd at %s: %s (xres "
                "must run as root)\n", path, strerror(-rc));
        return XRES_EXIT_FAIL;
    }
    if (rc) {
        fprintf(stderr, "xres: talking to xresd at %s: %s\n", path,
                strerror(-rc));
        return XRES_EXIT_FAIL;
    }
    v = yajl_tree_parse(reply, errbuf, sizeof(errbuf));
    if (!v || !YAJL_IS_OBJECT(v)) {
        fprintf(stderr, "xres: xresd sent a reply that is not a JSON "
                "object\n");
        rc = XRES_EXIT_FAIL;
        goto out;
    }
    if (!xres_json_get_bool(v, "ok", false)) {
        const char *e = xres_json_get_str(v, "error");
        fprintf(stderr, "xres: %s\n", e ? e : "xresd refused the request");
        rc = XRES_EXIT_FAIL;
        goto out;
    }
    *reply_out = v;
    v = NULL;
    rc = 0;
out:
    if (v) yajl_tree_free(v);
    free(reply);
    return rc;
}

void xres_cli_usage(const xres_cmd *c, FILE *f)
{
    fprintf(f, "usage: xres %s%s%s\n\n%s\n", c->name, c->args ? " " : "",
            c->args ? c->args : "", c->summary);
    if (c->help) fprintf(f, "\n%s", c->help);
}

int xres_cli_usage_error(const xres_cmd *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "xres: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (c) fprintf(stderr, "usage: xres %s %s\n", c->name,
                   c->args ? c->args : "");
    return XRES_EXIT_USAGE;
}

const xres_cmd *xres_cli_find(const char *name)
{
    const xres_cmd *const tables[] = {
        xres_cmds_list, xres_cmds_mem, xres_cmds_sched, xres_cmds_pair,
        xres_cmds_metrics,
    };

    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (const xres_cmd *c = tables[t]; c->name; c++)
            if (!strcmp(c->name, name)) return c;
    return NULL;
}

unsigned long long xres_cli_mib(unsigned long long kb)
{
    return kb / 1024;
}
