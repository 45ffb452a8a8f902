/*
 * dom0/cli/cli_top.c: `xres top [-b] [-d SECONDS] [-n ITERATIONS]`, a live
 * view in the manner of xentop: fetches list, sched-list, pair-list and
 * mem-moves from xresd every delay, lays the frame out (top_view.c) and
 * draws it (top_curses.c), or prints it as plain text with -b.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "top_curses.h"
#include "top_view.h"
#include "util.h"

#define DELAY_MAX_S 86400.0
/* The width of a batch frame: the lines are never cut. */
#define BATCH_COLUMNS 512

static const char top_help[] =
"Shows the domains (memory, target, used, CPU use, weight, cap, state),\n"
"the hot-standby pairs and the memory moves in flight, refreshed every\n"
"delay.  Memory figures are in MiB.\n"
"\n"
"Keys: i n m t u c w sort by id, name, memory, target, used, CPU use,\n"
"weight; r reverses the order; q quits.\n"
"\n"
"  -d, --delay SECONDS      seconds between refreshes (default 3; 0.1 to\n"
"                           86400)\n"
"  -b, --batch              print plain text frames to stdout, no screen\n"
"  -n, --iterations N       stop after N refreshes\n";

typedef struct {
    unsigned delay_ms;
    bool batch;
    unsigned long iterations;   /* 0: no end */
    xres_top_sort sort;
    bool reverse;
} top_opts;

typedef int (*take_fn)(xres_top_data *d, yajl_val reply);

static int fetch_one(xres_top_data *d, const char *cmd, take_fn take,
                     char *err, size_t errlen)
{
    yajl_val r;
    int rc = xres_cli_call_msg(xres_cli_req_begin(cmd), &r, err, errlen);

    if (rc) return rc;
    if (take(d, r)) {
        snprintf(err, errlen, "xresd's %s reply is not what xres expects",
                 cmd);
        rc = XRES_EXIT_FAIL;
    }
    yajl_tree_free(r);
    return rc;
}

/* All four replies into *d, or d unchanged and err set. */
static int fetch(xres_top_data *d, char *err, size_t errlen)
{
    static const struct { const char *cmd; take_fn take; } parts[] = {
        { "list", xres_top_data_list },
        { "sched-list", xres_top_data_sched },
        { "pair-list", xres_top_data_pairs },
        { "mem-moves", xres_top_data_moves },
    };
    xres_top_data fresh;
    int rc = 0;

    xres_top_data_init(&fresh);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && !rc; i++)
        rc = fetch_one(&fresh, parts[i].cmd, parts[i].take, err, errlen);
    if (rc) goto out;
    xres_top_data_dispose(d);
    *d = fresh;
    xres_top_data_init(&fresh);
out:
    xres_top_data_dispose(&fresh);
    return rc;
}

static void clock_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;

    if (!localtime_r(&t, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
        snprintf(buf, len, "--:--:--");
}

/* Lays d out for a w x h screen; draws it, or prints it when batch. */
static int show(xres_top_data *d, const top_opts *o, const char *error,
                int w, int h)
{
    xres_top_frame f;
    char clock[16];
    xres_top_view v;
    int rc;

    clock_now(clock, sizeof(clock));
    v = (xres_top_view){ .clock = clock, .sort = o->sort,
                         .reverse = o->reverse, .error = error };
    xres_top_sort_doms(d, o->sort, o->reverse);
    if ((rc = xres_top_frame_init(&f, w, h))) return rc;
    xres_top_format(&f, d, &v);
    if (o->batch) {
        for (int i = 0; i < f.used; i++)
            printf("%s\n", xres_top_frame_line(&f, i));
        putchar('\n');
        rc = fflush(stdout) ? -errno : 0;
    } else {
        xres_top_tty_draw(&f);
    }
    xres_top_frame_dispose(&f);
    return rc;
}

static int draw(xres_top_data *d, const top_opts *o, const char *error)
{
    int w, h;

    xres_top_tty_size(&w, &h);
    return show(d, o, error, w, h);
}

static int run_batch(const top_opts *o)
{
    xres_top_data d;
    char err[512];
    int rc;

    xres_top_data_init(&d);
    for (unsigned long n = 0; !o->iterations || n < o->iterations; n++) {
        if (n) {
            struct timespec ts = { o->delay_ms / 1000,
                                   (long)(o->delay_ms % 1000) * 1000000 };
            while (nanosleep(&ts, &ts) && errno == EINTR) {}
        }
        if ((rc = fetch(&d, err, sizeof(err)))) {
            fprintf(stderr, "xres: %s\n", err);
            goto out;
        }
        if (show(&d, o, NULL, BATCH_COLUMNS, xres_top_lines(&d))) {
            rc = XRES_EXIT_FAIL;
            goto out;
        }
    }
    rc = XRES_EXIT_OK;
out:
    xres_top_data_dispose(&d);
    return rc;
}

/* Waits out one delay on the screen, answering keys.  True to quit. */
static bool wait_keys(xres_top_data *d, top_opts *o, const char *error)
{
    uint64_t end = xres_monotonic_ms() + o->delay_ms;

    for (uint64_t now; (now = xres_monotonic_ms()) < end;) {
        int k = xres_top_tty_key((int)(end - now));

        if (k == 'q' || k == 'Q') return true;
        if (k == 'r') o->reverse = !o->reverse;
        else if (xres_top_sort_key(k)) o->sort = (xres_top_sort)k;
        else if (k != XRES_TOP_KEY_RESIZE) continue;
        draw(d, o, error);
    }
    return false;
}

static int run_screen(top_opts *o)
{
    xres_top_data d;
    char err[512], error[512];
    bool failed = false;
    int rc;

    xres_top_data_init(&d);
    /* The first refresh before the screen is taken, so that "xresd is
     * not running" is a plain error. */
    if ((rc = fetch(&d, err, sizeof(err)))) {
        fprintf(stderr, "xres: %s\n", err);
        goto out;
    }
    if (xres_top_tty_open(err, sizeof(err))) {
        fprintf(stderr, "xres: top: %s\n", err);
        rc = XRES_EXIT_FAIL;
        goto out;
    }
    for (unsigned long n = 1;; n++) {
        draw(&d, o, failed ? error : NULL);
        if (wait_keys(&d, o, failed ? error : NULL)) break;
        if (o->iterations && n >= o->iterations) break;
        /* A failed refresh keeps the last figures and says why. */
        failed = fetch(&d, err, sizeof(err)) != 0;
        if (failed) snprintf(error, sizeof(error), "%s", err);
    }
    xres_top_tty_close();
    rc = XRES_EXIT_OK;
out:
    xres_top_data_dispose(&d);
    return rc;
}

static int parse_delay(const char *s, unsigned *ms)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0.1 ||
        v > DELAY_MAX_S)
        return -EINVAL;
    *ms = (unsigned)lround(v * 1000);
    return 0;
}

static int parse_count(const char *s, unsigned long *n)
{
    char *end;

    errno = 0;
    if (*s < '0' || *s > '9') return -EINVAL;
    *n = strtoul(s, &end, 10);
    return errno || *end || !*n ? -EINVAL : 0;
}

static int cmd_top(int argc, char **argv)
{
    static const struct option opts[] = {
        { "delay", required_argument, NULL, 'd' },
        { "batch", no_argument, NULL, 'b' },
        { "iterations", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    const xres_cmd *self = xres_cli_find("top");
    top_opts o = { .delay_ms = 3000, .sort = XRES_TOP_SORT_ID };
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":d:bn:", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            if (parse_delay(optarg, &o.delay_ms))
                return xres_cli_usage_error(self, "top: -d `%s': the delay "
                                            "is seconds, from 0.1 to %.0f",
                                            optarg, DELAY_MAX_S);
            break;
        case 'b':
            o.batch = true;
            break;
        case 'n':
            if (parse_count(optarg, &o.iterations))
                return xres_cli_usage_error(self, "top: -n `%s': the number "
                                            "of iterations is a positive "
                                            "integer", optarg);
            break;
        case ':':
            return xres_cli_usage_error(self, "top: `%s' needs an argument",
                                        argv[optind - 1]);
        default:
            return xres_cli_usage_error(self, "top: unknown option `%s'",
                                        argv[optind - 1]);
        }
    }
    if (optind < argc)
        return xres_cli_usage_error(self, "top: unexpected argument `%s'",
                                    argv[optind]);
    return o.batch ? run_batch(&o) : run_screen(&o);
}

const xres_cmd xres_cmds_top[] = {
    { "top", cmd_top, "[-b] [-d SECONDS] [-n ITERATIONS]",
      "Watch domains, pairs and memory moves live, as xentop does",
      top_help },
    { NULL, NULL, NULL, NULL, NULL },
};
