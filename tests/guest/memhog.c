/*
 * tests/guest/memhog.c: allocate and touch N MiB, then hold it until killed
 * or for T seconds.  Used by system tests, inside guests, to create memory
 * pressure.  Built static.
 *
 * usage: memhog MIB [SECONDS]   (SECONDS 0 or absent: hold until killed)
 * Prints "memhog: holding N MiB" once the memory is touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_count(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return (errno || end == s || *end || s[0] == '-') ? -1 : 0;
}

int main(int argc, char **argv)
{
    unsigned long mib, secs = 0, i;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *buf;

    if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help") ||
        parse_count(argv[1], &mib) || (argc == 3 && parse_count(argv[2], &secs))) {
        fprintf(stderr, "usage: memhog MIB [SECONDS]\n"
                "Allocate and touch MIB MiB, hold it for SECONDS (0: until killed).\n");
        return 2;
    }
    buf = malloc(mib << 20);
    if (!buf && mib) {
        fprintf(stderr, "memhog: cannot allocate %lu MiB: %s\n", mib, strerror(errno));
        return 1;
    }
    for (i = 0; i < (mib << 20); i += page)
        buf[i] = (char)(i / page + 1);
    printf("memhog: holding %lu MiB\n", mib);
    fflush(stdout);
    if (secs) {
        sleep((unsigned int)secs);
    } else {
        for (;;)
            pause();
    }
    free(buf);
    return 0;
}
