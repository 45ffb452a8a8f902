/*
 * tests/guest/appsim.c: a pretend application for the agent's tests.  It
 * runs in the background like a daemon, writes a pid file, may hold some
 * memory, and can be told to fail to start or to die after a while.
 * Built static; system tests run it inside guests through agent.conf.
 *
 * usage: appsim [--daemon] [--pidfile FILE] [--mem MIB] [--fail-start]
 *               [--exit-after SECONDS]
 *   --daemon       fork; the parent exits 0 once the pid file is written
 *   --pidfile      write the running process's pid here (removed on TERM)
 *   --mem          allocate and touch MIB MiB, and hold it
 *   --fail-start   exit 1 at once, as an application that cannot start
 *   --exit-after   exit 3 after SECONDS, as an application that crashes
 *
 * usage: appsim --xs-flood N
 *   a misbehaving guest program: N writes to its own data/xres/report as
 *   fast as it can (a new seq each time, every other one malformed),
 *   through /dev/xen/xenbus and XenStore's wire protocol, so that it
 *   needs no Xen library.  Prints how many writes XenStore took.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xswire.h"

static const char *pidfile;

static int xs_flood(unsigned long n)
{
    int fd = open("/dev/xen/xenbus", O_RDWR);
    unsigned long ok = 0;
    char val[48];

    if (fd < 0) {
        perror("appsim: /dev/xen/xenbus");
        return 1;
    }
    for (unsigned long i = 0; i < n; i++) {
        int rc;
        /* A new seq each time, and every other report malformed. */
        snprintf(val, sizeof(val), "seq=%lu%s", i + 1, i % 2 ? " x" : "");
        rc = xsw_write(fd, (uint32_t)i, "data/xres/report", val);
        if (rc == 0) ok++;
    }
    close(fd);
    printf("appsim: %lu of %lu writes taken\n", ok, n);
    return ok == n ? 0 : 1;
}

static void on_term(int sig)
{
    (void)sig;
    if (pidfile) unlink(pidfile);
    _exit(0);
}

static int num(const char *s, unsigned long *v)
{
    char *end;
    errno = 0;
    *v = strtoul(s, &end, 10);
    return (errno || end == s || *end || s[0] == '-') ? -1 : 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: appsim [--daemon] [--pidfile FILE] [--mem MIB] "
            "[--fail-start] [--exit-after SECONDS]\n"
            "       appsim --xs-flood N\n");
}

int main(int argc, char **argv)
{
    unsigned long mib = 0, exit_after = 0;
    int daemon = 0, fail = 0;
    int ready[2];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--daemon")) daemon = 1;
        else if (!strcmp(argv[i], "--fail-start")) fail = 1;
        else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
            pidfile = argv[++i];
        else if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
            if (num(argv[++i], &mib)) { usage(stderr); return 2; }
        } else if (!strcmp(argv[i], "--exit-after") && i + 1 < argc) {
            if (num(argv[++i], &exit_after)) { usage(stderr); return 2; }
        } else if (!strcmp(argv[i], "--xs-flood") && i + 1 < argc) {
            unsigned long n;
            if (num(argv[++i], &n)) { usage(stderr); return 2; }
            return xs_flood(n);
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (fail) {
        fprintf(stderr, "appsim: failing to start, as asked\n");
        return 1;
    }
    if (daemon) {
        if (pipe(ready)) { perror("appsim: pipe"); return 1; }
        pid_t pid = fork();
        if (pid < 0) { perror("appsim: fork"); return 1; }
        if (pid > 0) {
            char c;
            close(ready[1]);
            /* Wait until the child has written its pid file. */
            return read(ready[0], &c, 1) == 1 ? 0 : 1;
        }
        close(ready[0]);
        setsid();
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    if (mib) {
        size_t len = mib << 20;
        char *p = malloc(len);
        if (!p) { fprintf(stderr, "appsim: out of memory\n"); return 1; }
        for (size_t o = 0; o < len; o += 4096) p[o] = 1;
    }
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
            perror(pidfile);
            return 1;
        }
    }
    if (daemon) {
        if (write(ready[1], "x", 1) != 1) return 1;
        close(ready[1]);
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) { dup2(fd, 0); dup2(fd, 1); dup2(fd, 2); }
    }
    if (exit_after) {
        sleep((unsigned)exit_after);
        if (pidfile) unlink(pidfile);
        return 3;
    }
    for (;;) pause();
}
