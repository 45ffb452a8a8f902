/*
 * dom0/core/util.h: small helpers shared by xresd and xres: sizes with K/M/G
 * suffixes as xl takes them, monotonic time, and UTF-8.
 */
#ifndef XRES_UTIL_H
#define XRES_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parses "512", "512k", "64M", "2G" (no suffix: default_unit, 'k' or 'm',
 * as xl does for mem-set).  Stores KiB.  Returns 0 or -EINVAL/-ERANGE. */
int xres_parse_size_kb(const char *s, char default_unit, uint64_t *kb);
/* "64M", "1.5G", "512K": the shortest exact form where there is one. */
void xres_format_size_kb(uint64_t kb, char *buf, size_t len);
uint64_t xres_monotonic_ms(void);
/* "90", "90s", "15m", "2h", "1d" (at most a year): seconds, > 0.
 * 0 or -EINVAL. */
int xres_parse_duration_s(const char *s, uint64_t *secs);
/* "HH:MM[:SS]" (the next such local time), "YYYY-MM-DD[ T]HH:MM[:SS]"
 * or "@EPOCH": seconds from now.  0, -EINVAL, or -ERANGE when not in the
 * future. */
int xres_parse_time_s(const char *s, uint64_t *secs);

/* Length of the well-formed UTF-8 character at s (1 to 4), or 0: a byte
 * that does not start one, a sequence cut short (by its NUL too),
 * overlong, a surrogate or above U+10FFFF. */
size_t xres_utf8_char(const unsigned char *s);

#endif
