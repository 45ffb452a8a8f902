/*
 * dom0/cli/cli_complete.c: `xres complete WHAT`, the words the shell's
 * completion (dom0/cli/xres.bash-completion) offers, one a line, so that
 * the script never reads output meant for people.  Names come from xresd;
 * when it does not answer, nothing is printed and the exit code is 0.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Short: a shell waits for it at every TAB. */
#define COMPLETE_TIMEOUT_MS 1000

static const char complete_usage[] =
    "usage: xres complete commands | options COMMAND | domains | pairs | "
    "pools | hosts\n";

/* Prints the FIELD ("name") of each object in the array KEY of xresd's
 * reply to CMD.  Quiet on every failure. */
static int print_field(const char *cmd, const char *key, const char *field)
{
    char req[64], *reply = NULL, errbuf[128];
    yajl_val v = NULL, a;
    int n;

    n = snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
    if (xres_ipc_call(xres_cli_socket(), req, (size_t)n, &reply, NULL,
                      COMPLETE_TIMEOUT_MS))
        goto out;
    v = yajl_tree_parse(reply, errbuf, sizeof(errbuf));
    if (!v || !xres_json_get_bool(v, "ok", false)) goto out;
    a = xres_json_get(v, key);
    for (size_t i = 0; YAJL_IS_ARRAY(a) && i < a->u.array.len; i++) {
        const char *name = xres_json_get_str(a->u.array.values[i], field);
        if (name && *name) printf("%s\n", name);
    }
out:
    if (v) yajl_tree_free(v);
    free(reply);
    return XRES_EXIT_OK;
}

/* Is s[i] the start of an option in a usage line: a '-' at the start or
 * after a space, '[' or '|'? */
static bool option_starts(const char *s, size_t i)
{
    return s[i] == '-' && s[i + 1] && s[i + 1] != ' ' &&
           (i == 0 || strchr(" [|", s[i - 1]));
}

size_t xres_cli_options(const xres_cmd *c, char *buf, size_t len)
{
    const char *s = c->args ? c->args : "";
    size_t o = 0;

    if (!len) return 0;
    buf[0] = '\0';
    for (size_t i = 0; s[i]; i++) {
        size_t n;
        char word[64];

        if (!option_starts(s, i)) continue;
        n = strcspn(s + i, " ]|=");
        if (n >= sizeof(word)) continue;
        memcpy(word, s + i, n);
        word[n] = '\0';
        i += n - 1;
        /* Once each, in the order of the usage line. */
        bool seen = false;
        for (const char *p = buf; *p && !seen; p += strcspn(p, " "),
             p += *p == ' ')
            seen = strcspn(p, " ") == n && !strncmp(p, word, n);
        if (!seen)
            o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
                                  o ? " " : "", word);
        if (o >= len) return len - 1;
    }
    o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s--help",
                          o ? " " : "");
    return o >= len ? len - 1 : o;
}

int xres_cli_complete(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    if (argc == 2 && !strcmp(what, "commands")) {
        for (const xres_cmd_group *g = xres_cmd_groups; g->title; g++)
            for (const xres_cmd *c = g->cmds; c->name; c++)
                printf("%s\n", c->name);
        return XRES_EXIT_OK;
    }
    if (argc == 3 && !strcmp(what, "options")) {
        const xres_cmd *c = xres_cli_find(argv[2]);
        char buf[512];

        /* An unknown command has no options: nothing to offer. */
        if (!c) return XRES_EXIT_OK;
        xres_cli_options(c, buf, sizeof(buf));
        for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
            printf("%s\n", w);
        return XRES_EXIT_OK;
    }
    if (argc == 2 && !strcmp(what, "hosts"))
        return print_field("cluster-list", "hosts", "host");
    if (argc == 2 && !strcmp(what, "domains"))
        return print_field("list", "domains", "name");
    if (argc == 2 && !strcmp(what, "pairs"))
        return print_field("pair-list", "pairs", "name");
    if (argc == 2 && !strcmp(what, "pools"))
        return print_field("pool-list", "pools", "name");
    fputs(complete_usage, stderr);
    return XRES_EXIT_USAGE;
}
