/*
 * tests/guest/cpuwork.c: a fixed amount of CPU work, then exit.  The
 * system tests use it, inside the managing domain, as its analysis job:
 * the same work takes longer under a smaller CPU cap.  Built static.
 *
 * usage: cpuwork UNITS    (each unit is 2^24 rounds of a small loop)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    unsigned long units, u, i;
    volatile unsigned long x = 1;
    char *end;

    errno = 0;
    units = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
    if (argc != 2 || errno || end == argv[1] || *end || argv[1][0] == '-' ||
        units < 1 || units > 1000000) {
        fprintf(stderr, "usage: cpuwork UNITS (1..1000000)\n"
                "Does UNITS x 2^24 rounds of a small loop, then exits.\n");
        return 2;
    }
    for (u = 0; u < units; u++)
        for (i = 0; i < (1UL << 24); i++)
            x = x * 6364136223846793005UL + (i ^ (x >> 7));
    return x == 0 ? 1 : 0;     /* uses x; practically never 0 */
}
