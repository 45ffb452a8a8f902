/*
 * tests/unit/test_schema.c: the XenStore schema: value parsing on good and
 * hostile input, path building, requests and acks.  The document and the
 * sources are checked against it in test_schema_sources.c.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_schema.h"

#define S(x) x, sizeof(x) - 1

START_TEST(test_u64_good)
{
    uint64_t v = 99;
    char why[XRES_SCHEMA_WHY_MAX];

    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("1048576"),
                                           &v, why, sizeof(why)), 0);
    ck_assert_uint_eq(v, 1048576);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("0"), &v,
                                           why, sizeof(why)), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL,
                                           S("1099511627776"), &v, why,
                                           sizeof(why)), 0);
    ck_assert_uint_eq(v, 1099511627776ULL);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_CPU_PCT, S("100"), &v,
                                           why, sizeof(why)), 0);
    ck_assert_uint_eq(v, 100);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_APP_LEVEL, S("4"), &v,
                                           why, sizeof(why)), 0);
    ck_assert_uint_eq(v, 4);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_SEQ,
                                           S("9007199254740991"), &v, why,
                                           sizeof(why)), 0);
    ck_assert_uint_eq(v, 9007199254740991ULL);
    /* The value need not be NUL-terminated: only len bytes count. */
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_CPU_PCT, "42xyz", 2, &v,
                                           why, sizeof(why)), 0);
    ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_u64_hostile)
{
    uint64_t v = 7;
    char why[XRES_SCHEMA_WHY_MAX];

    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_CPU_PCT, S("101"), &v,
                                           why, sizeof(why)), -ERANGE);
    ck_assert_str_eq(why, "cpu-pct: out of range 0..100: \"101\"");
    ck_assert_uint_eq(v, 7);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("12a"), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "mem-total: not a number: \"12a\"");
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S(""), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "mem-total: empty");
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("-1"), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("+1"), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S(" 1"), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("1\n"), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "mem-total: not a number: \"1\\x0a\"");
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("0x10"),
                                           &v, why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, S("007"),
                                           &v, why, sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "mem-total: leading zero: \"007\"");
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL, "1\0" "2", 3,
                                           &v, why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL,
                                           S("1099511627777"), &v, why,
                                           sizeof(why)), -ERANGE);
    /* 20 digits: longer than any bound, refused before it is read. */
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_TOTAL,
                                           S("18446744073709551616"), &v, why,
                                           sizeof(why)), -E2BIG);
    ck_assert_str_eq(why, "mem-total: too long (20 bytes, at most 13): "
                     "\"18446744073709551616\"");
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_SEQ, S("0"), &v, why,
                                           sizeof(why)), -ERANGE);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_APP_LEVEL, S("5"), &v,
                                           why, sizeof(why)), -ERANGE);
    /* A megabyte of digits: refused by length, the excerpt is short. */
    size_t big = 1 << 20;
    char *huge = malloc(big);
    ck_assert_ptr_nonnull(huge);
    memset(huge, '9', big);
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_MEM_USED, huge, big, &v,
                                           why, sizeof(why)), -E2BIG);
    ck_assert_str_eq(why, "mem-used: too long (1048576 bytes, at most 13): "
                     "\"999999999999999999999999...\"");
    free(huge);
    /* Not a number row. */
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_VERSION, S("1"), &v,
                                           why, sizeof(why)), -EINVAL);
    ck_assert_uint_eq(v, 7);
    /* why may be NULL. */
    ck_assert_int_eq(xres_schema_parse_u64(XS_REPORT_CPU_PCT, S("x"), &v,
                                           NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_format_u64)
{
    char buf[32];

    ck_assert_int_eq(xres_schema_format_u64(XS_REPORT_CPU_PCT, 55, buf,
                                            sizeof(buf)), 0);
    ck_assert_str_eq(buf, "55");
    ck_assert_int_eq(xres_schema_format_u64(XS_REPORT_CPU_PCT, 101, buf,
                                            sizeof(buf)), -ERANGE);
    ck_assert_int_eq(xres_schema_format_u64(XS_REPORT_SEQ, 0, buf,
                                            sizeof(buf)), -ERANGE);
    ck_assert_int_eq(xres_schema_format_u64(XS_REPORT_MEM_TOTAL, 123456, buf,
                                            4), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_enum_text_token)
{
    unsigned e = 9;
    char why[XRES_SCHEMA_WHY_MAX];

    ck_assert_int_eq(xres_schema_parse_enum(XS_REPORT_APP_STATE, S("stopped"),
                                            &e, why, sizeof(why)), 0);
    ck_assert_uint_eq(e, 1);
    ck_assert_int_eq(xres_schema_parse_enum(XS_REPORT_APP_STATE, S("failed"),
                                            &e, why, sizeof(why)), 0);
    ck_assert_uint_eq(e, 2);
    ck_assert_int_eq(xres_schema_parse_enum(XS_REPORT_APP_STATE, S("Running"),
                                            &e, why, sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "app/<app>/state: not one of "
                     "running|stopped|failed|asking: \"Running\"");
    ck_assert_int_eq(xres_schema_parse_enum(XS_REPORT_APP_STATE, S("run"),
                                            &e, why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_enum(XS_REPORT_APP_STATE,
                                            S("runningx"), &e, why,
                                            sizeof(why)), -E2BIG);
    ck_assert_int_eq(xres_schema_parse_enum(XS_XEN_FEATURE_BALLOON, S("1"), &e,
                                            why, sizeof(why)), 0);
    ck_assert_uint_eq(e, 1);

    ck_assert_int_eq(xres_schema_check(XS_REPORT_VERSION, S("0.1.0"), why,
                                       sizeof(why)), 0);
    ck_assert_int_eq(xres_schema_check(XS_REPORT_VERSION, S("0.1 0"), why,
                                       sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "version: bad character at byte 3: \"0.1 0\"");
    ck_assert_int_eq(xres_schema_check(XS_REPORT_VERSION, S(""), why,
                                       sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_check(XS_REPORT_VERSION,
                                       S("012345678901234567890123456789012"),
                                       why, sizeof(why)), -E2BIG);
    ck_assert_int_eq(xres_schema_check(XS_XEN_NAME, S("guest one"), why,
                                       sizeof(why)), 0);
    ck_assert_int_eq(xres_schema_check(XS_XEN_NAME, S("bad\x1b[2J"), why,
                                       sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "name: bad character at byte 3: \"bad\\x1b[2J\"");
    ck_assert_int_eq(xres_schema_check(XS_REPORT_SEQ, S("12"), why,
                                       sizeof(why)), 0);
    ck_assert_int_eq(xres_schema_check(XS_REPORT_DIR, S(""), why,
                                       sizeof(why)), 0);
    ck_assert_int_eq(xres_schema_check(XS_REPORT_DIR, S("x"), why,
                                       sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_check(XS__COUNT, S("x"), why, sizeof(why)),
                     -ENOENT);
}
END_TEST

/* --- Records: data/xres/report. */

#define GOOD_REPORT \
    "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 " \
    "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 " \
    "balloon-cur=262144 balloon-target=253952 cpu-pct=37"

START_TEST(test_record_good)
{
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char why[XRES_SCHEMA_WHY_MAX], buf[600];

    ck_assert_uint_eq(xres_schema_record_nfields(XS_REPORT), 11);
    ck_assert_uint_eq(xres_schema_record_nfields(XS_REPORT_SEQ), 0);
    ck_assert_uint_eq(xres_schema_record_nfields(XS_XEN_NAME), 0);
    ck_assert_int_eq(XS_POS_REPORT_SEQ, 0);
    ck_assert_int_eq(XS_POS_REPORT_CPU_PCT, 10);
    ck_assert_int_eq(XS_POS_REPORT, -1);

    memset(f, 0xa5, sizeof(f));
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, S(GOOD_REPORT), f,
                                              why, sizeof(why)), 0);
    ck_assert_uint_eq(f[XS_POS_REPORT_SEQ].u64, 41);
    ck_assert_uint_eq(f[XS_POS_REPORT_VERSION].len, 5);
    ck_assert(!memcmp(f[XS_POS_REPORT_VERSION].s, "0.1.0", 5));
    ck_assert_uint_eq(f[XS_POS_REPORT_HEARTBEAT].u64, 123456);
    ck_assert_uint_eq(f[XS_POS_REPORT_HB_INTERVAL].u64, 10);
    ck_assert_uint_eq(f[XS_POS_REPORT_MEM_TOTAL].u64, 262144);
    ck_assert_uint_eq(f[XS_POS_REPORT_MEM_AVAIL].u64, 159744);
    ck_assert_uint_eq(f[XS_POS_REPORT_MEM_USED].u64, 102400);
    ck_assert_uint_eq(f[XS_POS_REPORT_SWAP_USED].u64, 0);
    ck_assert_uint_eq(f[XS_POS_REPORT_BALLOON_CUR].u64, 262144);
    ck_assert_uint_eq(f[XS_POS_REPORT_BALLOON_TGT].u64, 253952);
    ck_assert_uint_eq(f[XS_POS_REPORT_CPU_PCT].u64, 37);
    ck_assert_int_eq(xres_schema_check(XS_REPORT, S(GOOD_REPORT), why,
                                       sizeof(why)), 0);

    /* Round trip: what parse took, format gives back byte for byte. */
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(buf)), 0);
    ck_assert_str_eq(buf, GOOD_REPORT);
    /* Just big enough, one byte short. */
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(GOOD_REPORT)), 0);
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(GOOD_REPORT) - 1),
                     -ENAMETOOLONG);

    /* Fields from scratch, at the bounds. */
    memset(f, 0, sizeof(f));
    f[XS_POS_REPORT_SEQ].u64 = 9007199254740991ULL;
    f[XS_POS_REPORT_VERSION].s = "1.2.3-rc1+g~x:y";
    f[XS_POS_REPORT_VERSION].len = 15;
    f[XS_POS_REPORT_HB_INTERVAL].u64 = 600;
    f[XS_POS_REPORT_MEM_TOTAL].u64 = 1099511627776ULL;
    f[XS_POS_REPORT_CPU_PCT].u64 = 100;
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(buf)), 0);
    ck_assert_str_eq(buf, "seq=9007199254740991 version=1.2.3-rc1+g~x:y "
                     "heartbeat=0 heartbeat-interval=600 "
                     "mem-total=1099511627776 mem-avail=0 mem-used=0 "
                     "swap-used=0 balloon-cur=0 balloon-target=0 "
                     "cpu-pct=100");
    xres_schema_field g[XRES_SCHEMA_FIELDS_MAX];
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, buf, strlen(buf), g,
                                              why, sizeof(why)), 0);
    for (int i = 0; i < 11; i++)
        if (i != XS_POS_REPORT_VERSION)
            ck_assert_uint_eq(g[i].u64, f[i].u64);
    ck_assert_uint_eq(g[XS_POS_REPORT_VERSION].len, 15);

    /* Format refuses what parse would refuse. */
    f[XS_POS_REPORT_CPU_PCT].u64 = 101;
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(buf)), -ERANGE);
    f[XS_POS_REPORT_CPU_PCT].u64 = 0;
    f[XS_POS_REPORT_SEQ].u64 = 0;
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(buf)), -ERANGE);
    f[XS_POS_REPORT_SEQ].u64 = 1;
    f[XS_POS_REPORT_VERSION].s = "0.1 0";
    f[XS_POS_REPORT_VERSION].len = 5;
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(buf)), -EINVAL);
    f[XS_POS_REPORT_VERSION].len = 0;
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT, f, buf,
                                               sizeof(buf)), -EINVAL);
    ck_assert_int_eq(xres_schema_format_record(XS_REPORT_SEQ, f, buf,
                                               sizeof(buf)), -EINVAL);

    /* Words after the last field: a newer agent's; form checked, value
     * ignored, the fields the same. */
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT,
                         S(GOOD_REPORT " disk-used=12 io-wait=0.5"), f, why,
                         sizeof(why)), 0);
    ck_assert_uint_eq(f[XS_POS_REPORT_SEQ].u64, 41);
    ck_assert_uint_eq(f[XS_POS_REPORT_CPU_PCT].u64, 37);
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT,
                         S(GOOD_REPORT " x=a=b"), f, why, sizeof(why)), 0);
    ck_assert_uint_eq(f[XS_POS_REPORT_CPU_PCT].u64, 37);

    /* 512 bytes is the bound: padded with an unknown word to exactly it. */
    memset(buf, 0, sizeof(buf));
    memcpy(buf, GOOD_REPORT " pad=", sizeof(GOOD_REPORT " pad=") - 1);
    memset(buf + strlen(buf), 'z', 512 - strlen(buf));
    ck_assert_uint_eq(strlen(buf), 512);
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, buf, 512, f, why,
                                              sizeof(why)), 0);
    buf[512] = 'z';
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, buf, 513, f, why,
                                              sizeof(why)), -E2BIG);
    ck_assert_str_eq(why, "report: too long (513 bytes, at most 512): "
                     "\"seq=41 version=0.1.0 hea...\"");
}
END_TEST

START_TEST(test_record_hostile)
{
    static const struct { const char *val; int rc; const char *why; } bad[] = {
        /* A field missing: in the middle, the last one. */
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952", -EINVAL,
          "report: cpu-pct missing" },
        /* Two fields swapped. */
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-avail=159744 mem-total=262144 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        /* A field twice. */
        { "seq=41 seq=41 version=0.1.0 heartbeat=123456 "
          "heartbeat-interval=10 mem-total=262144 mem-avail=159744 "
          "mem-used=102400 swap-used=0 balloon-cur=262144 "
          "balloon-target=253952 cpu-pct=37", -EINVAL, NULL },
        /* An unknown word before the last field. */
        { "seq=41 extra=1 version=0.1.0 heartbeat=123456 "
          "heartbeat-interval=10 mem-total=262144 mem-avail=159744 "
          "mem-used=102400 swap-used=0 balloon-cur=262144 "
          "balloon-target=253952 cpu-pct=37", -EINVAL, NULL },
        /* Spaces: double, trailing, leading, a tab. */
        { "seq=41 version=0.1.0  heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { GOOD_REPORT " ", -EINVAL, NULL },
        { " " GOOD_REPORT, -EINVAL, NULL },
        { "seq=41\tversion=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        /* Bad numbers. */
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=12a mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=0262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total= mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=-1 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=1099511627777 mem-avail=159744 mem-used=102400 "
          "swap-used=0 balloon-cur=262144 balloon-target=253952 cpu-pct=37",
          -ERANGE, NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=99999999999999999999999 mem-avail=159744 "
          "mem-used=102400 swap-used=0 balloon-cur=262144 "
          "balloon-target=253952 cpu-pct=37", -E2BIG, NULL },
        { "seq=0 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -ERANGE,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=601 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -ERANGE,
          NULL },
        { "seq=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=101", -ERANGE,
          NULL },
        /* Versions: a bad character, empty, 33 bytes. */
        { "seq=41 version=0.1/0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version= heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          NULL },
        { "seq=41 version=123456789012345678901234567890123 "
          "heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -E2BIG,
          NULL },
        /* Names: upper case, no '='. */
        { "SEQ=41 version=0.1.0 heartbeat=123456 heartbeat-interval=10 "
          "mem-total=262144 mem-avail=159744 mem-used=102400 swap-used=0 "
          "balloon-cur=262144 balloon-target=253952 cpu-pct=37", -EINVAL,
          "report: expected seq= at byte 0: \"SEQ=41 version=0.1.0 "
          "hea...\"" },
        { "seq 41", -EINVAL, NULL },
        { "seq=41", -EINVAL, "report: version missing" },
        /* Empty. */
        { "", -EINVAL, NULL },
        /* Words after the last field that are not NAME=VALUE. */
        { GOOD_REPORT " disk-used", -EINVAL, NULL },
        { GOOD_REPORT " disk-used=", -EINVAL, NULL },
        { GOOD_REPORT " =12", -EINVAL, NULL },
        { GOOD_REPORT " Disk=12", -EINVAL, NULL },
        { GOOD_REPORT " 9disk=12", -EINVAL, NULL },
        { GOOD_REPORT " disk_used=12", -EINVAL, NULL },
        { GOOD_REPORT " disk=1\x01", -EINVAL, NULL },
        { GOOD_REPORT " disk=1\xff", -EINVAL, NULL },
        { GOOD_REPORT " disk=1  io=2", -EINVAL, NULL },
        { GOOD_REPORT " disk=1\nio=2", -EINVAL, NULL },
        { GOOD_REPORT "\n", -EINVAL, NULL },
    };
    xres_schema_field f[XRES_SCHEMA_FIELDS_MAX];
    char why[XRES_SCHEMA_WHY_MAX];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        int rc = xres_schema_parse_record(XS_REPORT, bad[i].val,
                                          strlen(bad[i].val), f, why,
                                          sizeof(why));
        ck_assert_msg(rc == bad[i].rc, "\"%s\": %d, want %d (%s)", bad[i].val,
                      rc, bad[i].rc, why);
        ck_assert_msg(!strncmp(why, "report: ", 8),
                      "\"%s\": reason \"%s\"", bad[i].val, why);
        if (bad[i].why) ck_assert_str_eq(why, bad[i].why);
        ck_assert_int_eq(xres_schema_check(XS_REPORT, bad[i].val,
                                           strlen(bad[i].val), NULL, 0),
                         bad[i].rc);
    }
    /* Reasons name the field (bad[17] is the cpu-pct=101 one). */
    ck_assert_ptr_nonnull(strstr(bad[17].val, "cpu-pct=101"));
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, bad[17].val,
                                              strlen(bad[17].val), f, why,
                                              sizeof(why)), -ERANGE);
    ck_assert_msg(strstr(why, "cpu-pct") != NULL, "%s", why);
    /* A NUL inside, and no value at all. */
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, "seq=4\0" "1", 8, f,
                                              why, sizeof(why)), -EINVAL);
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT, NULL, 0, f, why,
                                              sizeof(why)), -EINVAL);
    /* Not a record. */
    ck_assert_int_eq(xres_schema_parse_record(XS_REPORT_SEQ, S("seq=1"), f,
                                              why, sizeof(why)), -ENOENT);
    ck_assert_int_eq(xres_schema_parse_record(XS__COUNT, S("seq=1"), f, why,
                                              sizeof(why)), -ENOENT);
}
END_TEST

START_TEST(test_names)
{
    ck_assert(xres_schema_check_name(S("web")));
    ck_assert(xres_schema_check_name(S("db_2")));
    ck_assert(xres_schema_check_name(S("abcdefghijklmnopqrstuvwxyz012345")));
    ck_assert(!xres_schema_check_name(S("abcdefghijklmnopqrstuvwxyz0123456")));
    ck_assert(!xres_schema_check_name(S("")));
    ck_assert(!xres_schema_check_name(S("2web")));
    ck_assert(!xres_schema_check_name(S("Web")));
    ck_assert(!xres_schema_check_name(S("web-1")));
    ck_assert(!xres_schema_check_name(S("..")));
    ck_assert(!xres_schema_check_name(S("a/b")));
}
END_TEST

START_TEST(test_paths)
{
    char buf[XRES_SCHEMA_PATH_MAX];
    xres_schema_id id;

    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REPORT, 12,
                                      NULL), 0);
    ck_assert_str_eq(buf, "/local/domain/12/data/xres/report");
    /* A record's field is part of the record's value, not a path. */
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REPORT_SEQ, 12,
                                      NULL), -EINVAL);
    ck_assert_int_eq(xres_schema_relpath(buf, sizeof(buf), XS_REPORT_CPU_PCT,
                                         NULL), -EINVAL);
    ck_assert_int_eq(xres_schema_relpath(buf, sizeof(buf), XS_REPORT, NULL),
                     0);
    ck_assert_str_eq(buf, "data/xres/report");
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REPORT_APP_LEVEL,
                                      3, "web"), 0);
    ck_assert_str_eq(buf, "/local/domain/3/data/xres/app/web/level");
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REQ_ITEM, 5,
                                      "17"), 0);
    ck_assert_str_eq(buf, "/local/domain/5/xres/request/17");
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_DOM0_ROOT, 5,
                                      NULL), 0);
    ck_assert_str_eq(buf, "/local/domain/0/xres");
    /* Hostile or missing arguments never make a path. */
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REPORT_APP_LEVEL,
                                      3, "../../0/xres"), -EINVAL);
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REPORT_APP_LEVEL,
                                      3, NULL), -EINVAL);
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REQ_ITEM, 5,
                                      "017"), -EINVAL);
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REQ_ITEM, 5,
                                      "0"), -EINVAL);
    ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), XS_REPORT, 5,
                                      "x"), -EINVAL);
    ck_assert_int_eq(xres_schema_path(buf, 10, XS_REPORT, 5, NULL),
                     -ENAMETOOLONG);
    ck_assert_int_eq(xres_schema_relpath(buf, sizeof(buf), XS_REPORT_ACK,
                                         "9"), 0);
    ck_assert_str_eq(buf, "data/xres/ack/9");
    ck_assert_int_eq(xres_schema_relpath(buf, sizeof(buf), XS_XEN_DOMID,
                                         NULL), 0);
    ck_assert_str_eq(buf, "domid");
    ck_assert_int_eq(xres_schema_relpath(buf, sizeof(buf), XS_DOM0_ROOT,
                                         NULL), -EINVAL);

    ck_assert_int_eq(xres_schema_lookup("/local/domain/7/data/xres/app/db/"
                                        "restarts", &id), 0);
    ck_assert_int_eq(id, XS_REPORT_APP_RESTARTS);
    ck_assert_int_eq(xres_schema_lookup("/local/domain/7/memory/target", &id),
                     0);
    ck_assert_int_eq(id, XS_XEN_MEM_TARGET);
    ck_assert_int_eq(xres_schema_lookup("/local/domain/7/data/xres/bogus",
                                        &id), -ENOENT);
    ck_assert_int_eq(xres_schema_lookup("/local/domain/7/data/xres/app/Web/"
                                        "level", &id), -ENOENT);
    ck_assert_int_eq(xres_schema_lookup("/local/domain/99999/domid", &id),
                     -ENOENT);
    ck_assert(xres_schema_knows_literal("data/xres/report"));
    /* The keys a report used to be spread over are gone. */
    ck_assert(!xres_schema_knows_literal("data/xres/mem-used"));
    ck_assert(!xres_schema_knows_literal("/local/domain/<domid>/data/xres/"
                                         "seq"));
    ck_assert(xres_schema_knows_literal("/local/domain/<domid>/xres/request"));
    ck_assert(xres_schema_knows_literal("domid"));
    ck_assert(!xres_schema_knows_literal("data/xres/"));
    ck_assert(!xres_schema_knows_literal("/local/domain/%u/data/xres/seq"));
    ck_assert_str_eq(xres_schema_leaf(XS_REPORT_MEM_USED), "mem-used");
    ck_assert_str_eq(xres_schema_leaf(XS_REPORT_SEQ), "seq");
    ck_assert_str_eq(xres_schema_leaf(XS_REPORT_HB_INTERVAL),
                     "heartbeat-interval");
    ck_assert_str_eq(xres_schema_leaf(XS_REPORT), "report");
    ck_assert_str_eq(xres_schema_leaf(XS_XEN_MEM_TARGET), "memory/target");
}
END_TEST

START_TEST(test_every_row_sane)
{
    char buf[XRES_SCHEMA_PATH_MAX];
    xres_schema_id id;

    ck_assert_uint_eq(xres_schema_nrows(), XS__COUNT);
    for (size_t i = 0; i < xres_schema_nrows(); i++) {
        const xres_schema_row *r = xres_schema_row_get(i);
        ck_assert_int_eq(r->id, (int)i);
        const char *arg = strstr(r->path, "<app>") ? "web" :
                          strstr(r->path, "<seq>") ? "3" :
                          strstr(r->path, "<pair>") ? "web-pair" :
                          strstr(r->path, "<name>") ? "web-1" : NULL;
        if (r->field_pos >= 0) {
            /* A field: of a record row above it, at its place. */
            const xres_schema_row *rec = xres_schema_row_get(r->record);
            ck_assert_ptr_nonnull(rec);
            ck_assert_int_eq(rec->type, XS_T_RECORD);
            ck_assert_int_lt((int)r->record, (int)i);
            ck_assert_int_lt(r->field_pos,
                             (int)xres_schema_record_nfields(r->record));
            ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), i, 4, arg),
                             -EINVAL);
            continue;
        }
        ck_assert_int_eq(r->record, (int)i);
        ck_assert_int_eq(xres_schema_path(buf, sizeof(buf), i, 4, arg), 0);
        ck_assert_int_eq(xres_schema_lookup(buf, &id), 0);
        ck_assert_msg(id == (xres_schema_id)i, "%s found as row %d", buf, id);
        if (r->type == XS_T_U64) ck_assert(r->min <= r->max);
    }
    ck_assert_ptr_null(xres_schema_row_get(XS__COUNT));
}
END_TEST

START_TEST(test_requests)
{
    xres_request q;
    char why[XRES_SCHEMA_WHY_MAX], buf[160];

    ck_assert_int_eq(xres_schema_parse_request(S("release 262144"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(q.op, XRES_REQ_RELEASE);
    ck_assert_uint_eq(q.kb, 262144);
    ck_assert(!q.drop_caches);
    ck_assert_int_eq(xres_schema_parse_request(S("release 131072 drop-caches"),
                                               &q, why, sizeof(why)), 0);
    ck_assert_uint_eq(q.kb, 131072);
    ck_assert(q.drop_caches);
    ck_assert_int_eq(xres_schema_format_request(&q, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "release 131072 drop-caches");
    ck_assert_int_eq(xres_schema_parse_request(S("engage"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(q.op, XRES_REQ_ENGAGE);
    ck_assert_uint_eq(q.kb, 0);
    ck_assert_int_eq(xres_schema_parse_request(S("engage 65536"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_uint_eq(q.kb, 65536);
    ck_assert_int_eq(xres_schema_parse_request(S("start web"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(q.op, XRES_REQ_START);
    ck_assert_str_eq(q.app, "web");
    ck_assert_int_eq(xres_schema_parse_request(S("stop db_2"), &q, why,
                                               sizeof(why)), 0);
    ck_assert_int_eq(q.op, XRES_REQ_STOP);
    ck_assert_str_eq(q.app, "db_2");

    static const char *bad[] = {
        "", "release", "release 0", "release -5", "release 1099511627777",
        "release 12 drop", "release 12 drop-caches x", "release  12",
        "release 12 ", " release 12", "engage 0", "engage 1 2", "start",
        "start Web", "start ../x", "stop a b", "reboot", "RELEASE 12",
        "start web\n", "release 0012", "start w\x01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = 0;
        ck_assert_msg(xres_schema_parse_request(bad[i], strlen(bad[i]), &q,
                                                why, sizeof(why)) < 0,
                      "accepted \"%s\"", bad[i]);
        ck_assert_msg(why[0], "no reason for \"%s\"", bad[i]);
    }
    ck_assert_int_eq(xres_schema_parse_request(S("reboot now"), &q, why,
                                               sizeof(why)), -EINVAL);
    ck_assert_str_eq(why, "request: unknown request: \"reboot now\"");
    char longreq[200];
    memset(longreq, 'a', sizeof(longreq));
    ck_assert_int_eq(xres_schema_parse_request(longreq, 129, &q, why,
                                               sizeof(why)), -E2BIG);

    q.op = XRES_REQ_START;
    strcpy(q.app, "Bad");
    ck_assert_int_eq(xres_schema_format_request(&q, buf, sizeof(buf)),
                     -EINVAL);
    uint64_t seq;
    ck_assert_int_eq(xres_schema_parse_seq(S("42"), &seq), 0);
    ck_assert_uint_eq(seq, 42);
    ck_assert_int_eq(xres_schema_parse_seq(S("0"), &seq), -ERANGE);
    ck_assert_int_eq(xres_schema_parse_seq(S("9007199254740992"), &seq),
                     -ERANGE);
    ck_assert_int_eq(xres_schema_parse_seq(S("4a"), &seq), -EINVAL);
}
END_TEST

START_TEST(test_acks)
{
    xres_ack a;
    char why[XRES_SCHEMA_WHY_MAX], buf[200];

    ck_assert_int_eq(xres_schema_parse_ack(S("ok"), &a, why, sizeof(why)), 0);
    ck_assert(a.ok);
    ck_assert_str_eq(a.detail, "");
    ck_assert_int_eq(xres_schema_parse_ack(S("ok balloon at 262144"), &a, why,
                                           sizeof(why)), 0);
    ck_assert(a.ok);
    ck_assert_str_eq(a.detail, "balloon at 262144");
    ck_assert_int_eq(xres_schema_parse_ack(S("error no such app: x"), &a, why,
                                           sizeof(why)), 0);
    ck_assert(!a.ok);
    ck_assert_str_eq(a.detail, "no such app: x");
    ck_assert_int_eq(xres_schema_parse_ack(S("error"), &a, why, sizeof(why)),
                     -EINVAL);
    ck_assert_int_eq(xres_schema_parse_ack(S("okay"), &a, why, sizeof(why)),
                     -EINVAL);
    ck_assert_str_eq(why, "ack: must start with ok or error: \"okay\"");
    ck_assert_int_eq(xres_schema_parse_ack(S("ok "), &a, why, sizeof(why)),
                     -EINVAL);
    ck_assert_int_eq(xres_schema_parse_ack(S("ok  x"), &a, why, sizeof(why)),
                     -EINVAL);
    ck_assert_int_eq(xres_schema_parse_ack(S("ok \n"), &a, why, sizeof(why)),
                     -EINVAL);
    /* Found by the fuzzer: a trailing space is not canonical. */
    ck_assert_int_eq(xres_schema_parse_ack(S("ok reached "), &a, why,
                                           sizeof(why)), -EINVAL);
    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "ok ", 3);
    ck_assert_int_eq(xres_schema_parse_ack(buf, 128, &a, why, sizeof(why)),
                     -EINVAL);      /* 125 bytes of detail */
    ck_assert_int_eq(xres_schema_parse_ack(buf, 123, &a, why, sizeof(why)),
                     0);
    ck_assert_uint_eq(strlen(a.detail), 120);
    ck_assert_int_eq(xres_schema_parse_ack(buf, 129, &a, why, sizeof(why)),
                     -E2BIG);

    ck_assert_int_eq(xres_schema_format_ack(true, "reached 1024", buf,
                                            sizeof(buf)), 0);
    ck_assert_str_eq(buf, "ok reached 1024");
    ck_assert_int_eq(xres_schema_format_ack(false, NULL, buf, sizeof(buf)),
                     0);
    ck_assert_str_eq(buf, "error failed");
    ck_assert_int_eq(xres_schema_format_ack(false, "  bad\tname ", buf,
                                            sizeof(buf)), 0);
    ck_assert_str_eq(buf, "error bad?name");
    ck_assert_int_eq(xres_schema_format_ack(true, NULL, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "ok");
}
END_TEST

Suite *schema_suite(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_u64_good);
    tcase_add_test(tc, test_u64_hostile);
    tcase_add_test(tc, test_format_u64);
    tcase_add_test(tc, test_enum_text_token);
    tcase_add_test(tc, test_record_good);
    tcase_add_test(tc, test_record_hostile);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_every_row_sane);
    tcase_add_test(tc, test_requests);
    tcase_add_test(tc, test_acks);
    suite_add_tcase(s, tc);
    return s;
}
