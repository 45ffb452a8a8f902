/*
 * dom0/core/util.c: size parsing and formatting, and monotonic time.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

int xres_parse_size_kb(const char *s, char default_unit, uint64_t *kb)
{
    char *end;
    unsigned long long v;
    uint64_t mult;

    if (!s || !isdigit((unsigned char)*s)) return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno) return -ERANGE;
    char unit = *end ? *end : default_unit;
    if (*end && end[1] && !((end[1] == 'b' || end[1] == 'B') && !end[2]))
        return -EINVAL;
    switch (tolower((unsigned char)unit)) {
    case 'k': mult = 1; break;
    case 'm': mult = 1024; break;
    case 'g': mult = 1024 * 1024; break;
    case 't': mult = 1024ULL * 1024 * 1024; break;
    default: return -EINVAL;
    }
    if (v > UINT64_MAX / mult) return -ERANGE;
    *kb = v * mult;
    return 0;
}

void xres_format_size_kb(uint64_t kb, char *buf, size_t len)
{
    if (kb && kb % (1024 * 1024) == 0)
        snprintf(buf, len, "%" PRIu64 "G", kb / (1024 * 1024));
    else if (kb && kb % 1024 == 0)
        snprintf(buf, len, "%" PRIu64 "M", kb / 1024);
    else
        snprintf(buf, len, "%" PRIu64 "K", kb);
}

uint64_t xres_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
