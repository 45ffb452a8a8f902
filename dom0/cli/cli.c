/*
 * dom0/cli/cli.c: helpers shared by every xres command (cli.h): the socket,
 * one request/reply with xresd, usage messages, --json output.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* The error of a client the socket's mode keeps out: which group, if
 * any, would let it in (the group of the socket, or of its directory
 * when that keeps the client from seeing the socket, if it has group
 * access). */
static void access_error(const char *path, char *err, size_t errlen)
{
    struct stat st;
    struct group *gr = NULL;
    char dir[108], *slash;
    int r;

    r = stat(path, &st);
    if (r < 0) {
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (slash && slash != dir) *slash = 0;
        r = stat(dir, &st);
    }
    if (r == 0 && (st.st_mode & S_IRWXG))
        gr = getgrgid(st.st_gid);
    if (gr)
        snprintf(err, errlen, "permission denied on %s: xres needs root or "
                 "membership of group %s", path, gr->gr_name);
    else
        snprintf(err, errlen, "permission denied on %s: xres needs root",
                 path);
}

int xres_cli_call_msg(yajl_gen g, yajl_val *reply_out, char *err,
                      size_t errlen)
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
        snprintf(err, errlen, "xresd is not running (cannot connect to "
                 "%s: %s)", path, strerror(-rc));
        return XRES_EXIT_FAIL;
    }
    if (rc == -EACCES || rc == -EPERM) {
        access_error(path, err, errlen);
        return XRES_EXIT_FAIL;
    }
    if (rc) {
        snprintf(err, errlen, "talking to xresd at %s: %s", path,
                 strerror(-rc));
        return XRES_EXIT_FAIL;
    }
    v = yajl_tree_parse(reply, errbuf, sizeof(errbuf));
    if (!v || !YAJL_IS_OBJECT(v)) {
        snprintf(err, errlen, "xresd sent a reply that is not a JSON "
                 "object");
        rc = XRES_EXIT_FAIL;
        goto out;
    }
    if (!xres_json_get_bool(v, "ok", false)) {
        const char *e = xres_json_get_str(v, "error");
        snprintf(err, errlen, "%s", e ? e : "xresd refused the request");
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

int xres_cli_call(yajl_gen g, yajl_val *reply_out)
{
    char err[512];
    int rc = xres_cli_call_msg(g, reply_out, err, sizeof(err));

    if (rc) fprintf(stderr, "xres: %s\n", err);
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

int xres_cli_print_json(yajl_val reply)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    if (!g) return XRES_EXIT_FAIL;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_map_open(g);
    for (size_t i = 0; YAJL_IS_OBJECT(reply) && i < reply->u.object.len;
         i++) {
        if (!strcmp(reply->u.object.keys[i], "ok")) continue;
        xres_json_str(g, reply->u.object.keys[i]);
        xres_json_emit(g, reply->u.object.values[i], NULL);
    }
    yajl_gen_map_close(g);
    yajl_gen_get_buf(g, &buf, &len);
    fwrite(buf, 1, len, stdout);
    yajl_gen_free(g);
    return XRES_EXIT_OK;
}

uint64_t xres_cli_u64(yajl_val o, const char *k)
{
    uint64_t v = 0;

    xres_json_get_u64(o, k, &v);
    return v;
}

const char *xres_cli_str(yajl_val o, const char *k)
{
    const char *s = xres_json_get_str(o, k);

    return s && *s ? s : "-";
}

unsigned long long xres_cli_mib(unsigned long long kb)
{
    return kb / 1024;
}

int xres_cli_json_opt(const xres_cmd *c, int argc, char **argv, bool *json)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'j') *json = true;
        else if (o == 'h') { xres_cli_usage(c, stdout); return -1; }
        else return xres_cli_usage_error(c, "unknown option");
    }
    return 0;
}
