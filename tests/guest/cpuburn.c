/*
 * tests/guest/cpuburn.c: burn CPU for T seconds or until killed.  Used by
 * system tests, inside guests, to create CPU demand.  Built static.
 *
 * usage: cpuburn [SECONDS] [THREADS]   (SECONDS 0 or absent: until killed)
 * THREADS worker processes (default 1), each spinning on one vCPU.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int parse_count(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return (errno || end == s || *end || s[0] == '-') ? -1 : 0;
}

static void burn(unsigned long secs)
{
    volatile unsigned long x = 0;
    time_t end = time(NULL) + (time_t)secs;

    for (;;) {
        unsigned long i;

        for (i = 0; i < 10000000UL; i++)
            x += i ^ (x >> 3);
        if (secs && time(NULL) >= end)
            break;
    }
}

int main(int argc, char **argv)
{
    unsigned long secs = 0, threads = 1, i;

    if (argc > 3 || (argc > 1 && !strcmp(argv[1], "--help")) ||
        (argc > 1 && parse_count(argv[1], &secs)) ||
        (argc > 2 && (parse_count(argv[2], &threads) || threads < 1 || threads > 64))) {
        fprintf(stderr, "usage: cpuburn [SECONDS] [THREADS]\n"
                "Spin THREADS processes (1..64, default 1) for SECONDS (0: until killed).\n");
        return 2;
    }
    for (i = 1; i < threads; i++) {
        pid_t pid = fork();

        if (pid < 0) {
            fprintf(stderr, "cpuburn: fork: %s\n", strerror(errno));
            return 1;
        }
        if (pid == 0) {
            /* Killing the parent stops the workers too. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() == 1)
                _exit(0);
            burn(secs);
            _exit(0);
        }
    }
    burn(secs);
    while (wait(NULL) > 0)
        ;
    return 0;
}
