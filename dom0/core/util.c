/*
 * dom0/core/util.c: size parsing and formatting, monotonic time, and the
 * durations and times of a deadline.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* "90", "90s", "15m", "2h", "1d": seconds. */
int xres_parse_duration_s(const char *s, uint64_t *secs)
{
    char *end;
    unsigned long long v;
    uint64_t mul = 1;

    if (!*s || *s == '-') return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s) return -EINVAL;
    if (*end == 's') end++;
    else if (*end == 'm') { mul = 60; end++; }
    else if (*end == 'h') { mul = 3600; end++; }
    else if (*end == 'd') { mul = 86400; end++; }
    if (*end || !v || v > 366ULL * 86400 / mul) return -EINVAL;
    *secs = v * mul;
    return 0;
}

/* "HH:MM[:SS]" (the next such time), "YYYY-MM-DD[ T]HH:MM[:SS]", or
 * "@EPOCH": seconds from now, > 0. */
int xres_parse_time_s(const char *s, uint64_t *secs)
{
    time_t now = time(NULL), t;
    struct tm tm;
    const char *end;
    char *e;

    if (*s == '@') {
        long long v = strtoll(s + 1, &e, 10);
        if (*e || e == s + 1) return -EINVAL;
        t = (time_t)v;
    } else {
        localtime_r(&now, &tm);
        tm.tm_sec = 0;
        end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
        if (!end) end = strptime(s, "%Y-%m-%d %H:%M", &tm);
        if (!end) {
            localtime_r(&now, &tm);
            tm.tm_sec = 0;
            end = strptime(s, "%H:%M", &tm);
        }
        if (!end) return -EINVAL;
        if (*end == ':') end = strptime(end + 1, "%S", &tm);
        if (!end || *end) return -EINVAL;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t != (time_t)-1 && t <= now && !strchr(s, '-')) t += 86400;
    }
    if (t == (time_t)-1 || t <= now) return -ERANGE;
    *secs = (uint64_t)(t - now);
    return 0;
}

/* Length of the well-formed UTF-8 character at s, or 0. */
size_t xres_utf8_char(const unsigned char *s)
{
    size_t n;
    uint32_t c;

    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) n = 2, c = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef) n = 3, c = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) n = 4, c = s[0] & 0x07;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;                       /* overlong, surrogate, too big */
    return n;
}
