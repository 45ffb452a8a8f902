/*
 * tests/unit/test_agent_report.c: the daemon's side of the agent:
 * dom0/agent_report.c and dom0/agent_request.c on a small in-memory
 * XenStore backend (only the xs_* operations), with good, hostile and
 * flooding guests.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_report.h"

/* --- An in-memory XenStore: flat path -> value, with a log of calls. */
#define FX_MAX 256

typedef struct {
    char *path[FX_MAX];
    char *val[FX_MAX];
    size_t len[FX_MAX];
    char log[8192];             /* "op path;" for every call that changes */
    unsigned reads;
} fake_xs;

static int fx_find(fake_xs *f, const char *p)
{
    for (int i = 0; i < FX_MAX; i++)
        if (f->path[i] && !strcmp(f->path[i], p)) return i;
    return -1;
}

static void fx_log(fake_xs *f, const char *op, const char *p)
{
    size_t o = strlen(f->log);
    snprintf(f->log + o, sizeof(f->log) - o, "%s %s;", op, p);
}

static void fx_put(fake_xs *f, const char *p, const char *v, size_t len)
{
    int i = fx_find(f, p);
    if (i < 0) {
        for (i = 0; i < FX_MAX && f->path[i]; i++) {}
        ck_assert_int_lt(i, FX_MAX);
        f->path[i] = strdup(p);
    }
    free(f->val[i]);
    f->val[i] = malloc(len + 1);
    memcpy(f->val[i], v, len);
    f->val[i][len] = 0;
    f->len[i] = len;
}

static int fx_read(xres_backend *b, const char *p, char **val, size_t *len)
{
    fake_xs *f = b->priv;
    int i = fx_find(f, p);
    f->reads++;
    if (i < 0) return -ENOENT;
    *val = malloc(f->len[i] + 1);
    memcpy(*val, f->val[i], f->len[i] + 1);
    if (len) *len = f->len[i];
    return 0;
}

static int fx_write(xres_backend *b, const char *p, const char *v, size_t n)
{
    fx_log(b->priv, "write", p);
    fx_put(b->priv, p, v, n);
    return 0;
}

static int fx_mkdir(xres_backend *b, const char *p)
{
    fx_log(b->priv, "mkdir", p);
    if (fx_find(b->priv, p) < 0) fx_put(b->priv, p, "", 0);
    return 0;
}

static int fx_rm(xres_backend *b, const char *p)
{
    fake_xs *f = b->priv;
    size_t n = strlen(p);
    int found = 0;

    fx_log(f, "rm", p);
    for (int i = 0; i < FX_MAX; i++) {
        if (!f->path[i] || strncmp(f->path[i], p, n) ||
            (f->path[i][n] && f->path[i][n] != '/'))
            continue;
        free(f->path[i]);
        free(f->val[i]);
        f->path[i] = f->val[i] = NULL;
        found = 1;
    }
    return found ? 0 : -ENOENT;
}

static int fx_directory(xres_backend *b, const char *p, char ***names,
                        unsigned *n)
{
    fake_xs *f = b->priv;
    size_t pl = strlen(p);
    char **v = calloc(FX_MAX, sizeof(*v));
    unsigned k = 0;

    for (int i = 0; i < FX_MAX; i++) {
        const char *q = f->path[i];
        if (!q || strncmp(q, p, pl) || q[pl] != '/') continue;
        q += pl + 1;
        size_t len = strcspn(q, "/");
        bool dup = false;
        for (unsigned j = 0; j < k; j++)
            dup |= strlen(v[j]) == len && !strncmp(v[j], q, len);
        if (!dup) v[k++] = strndup(q, len);
    }
    if (!k && fx_find(f, p) < 0) {
        free(v);
        return -ENOENT;
    }
    *names = v;
    *n = k;
    return 0;
}

static int fx_set_perms(xres_backend *b, const char *p,
                        const xres_perm_entry *perms, unsigned n)
{
    char buf[300];
    size_t o = (size_t)snprintf(buf, sizeof(buf), "%s", p);
    for (unsigned i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %c%u",
                              "nrwb"[perms[i].perm], perms[i].domid);
    fx_log(b->priv, "perms", buf);
    return 0;
}

static const xres_backend_ops fx_ops = {
    .name = "fake",
    .xs_read = fx_read,
    .xs_write = fx_write,
    .xs_rm = fx_rm,
    .xs_mkdir = fx_mkdir,
    .xs_directory = fx_directory,
    .xs_set_perms = fx_set_perms,
};

static fake_xs fx;
static xres_backend be = { .ops = &fx_ops, .priv = &fx };

static void fx_reset(void)
{
    for (int i = 0; i < FX_MAX; i++) {
        free(fx.path[i]);
        free(fx.val[i]);
    }
    memset(&fx, 0, sizeof(fx));
}

static void gput(uint32_t domid, const char *leaf, const char *v)
{
    char p[200];
    snprintf(p, sizeof(p), "/local/domain/%u/data/xres/%s", domid, leaf);
    fx_put(&fx, p, v, strlen(v));
}

/* The report record's fields, in order, and the values the next
 * report_put() writes (NULL: left out). */
static const char *const rep_name[] = {
    "seq", "version", "heartbeat", "heartbeat-interval", "mem-total",
    "mem-avail", "mem-used", "swap-used", "balloon-cur", "balloon-target",
    "cpu-pct",
};
#define REP_N (sizeof(rep_name) / sizeof(rep_name[0]))
static const char *rep_val[REP_N];

static void report_set(const char *name, const char *v)
{
    for (size_t i = 0; i < REP_N; i++)
        if (!strcmp(rep_name[i], name)) {
            rep_val[i] = v;
            return;
        }
    ck_abort_msg("no field %s", name);
}

/* Writes data/xres/report: the fields as NAME=VALUE words, then tail. */
static void report_put_tail(uint32_t domid, const char *tail)
{
    char v[1024];
    size_t o = 0;

    v[0] = 0;
    for (size_t i = 0; i < REP_N; i++)
        if (rep_val[i])
            o += (size_t)snprintf(v + o, sizeof(v) - o, "%s%s=%s",
                                  o ? " " : "", rep_name[i], rep_val[i]);
    ck_assert_uint_lt(o, sizeof(v) - 64);
    snprintf(v + o, sizeof(v) - o, "%s", tail);
    gput(domid, "report", v);
}

static void report_put(uint32_t domid)
{
    report_put_tail(domid, "");
}

/* A report as xres-agent writes it: 256 MiB guest, 100 MiB used. */
static void good_fields(const char *seq)
{
    report_set("seq", seq);
    report_set("version", "0.1.0");
    report_set("heartbeat", "123456");
    report_set("heartbeat-interval", "10");
    report_set("mem-total", "262144");
    report_set("mem-avail", "159744");
    report_set("mem-used", "102400");
    report_set("swap-used", "0");
    report_set("balloon-cur", "262144");
    report_set("balloon-target", "262144");
    report_set("cpu-pct", "37");
}

static void good_report(uint32_t domid, const char *seq)
{
    good_fields(seq);
    report_put(domid);
}

/* stderr into a temporary file, to read what was logged. */
static FILE *log_f;
static int log_saved = -1;

static void log_catch(void)
{
    log_f = tmpfile();
    ck_assert_ptr_nonnull(log_f);
    fflush(stderr);
    log_saved = dup(2);
    dup2(fileno(log_f), 2);
}

/* Ends the catch; the log's text (malloc'd) in *text, its lines counted. */
static unsigned log_release(char **text)
{
    char line[512];
    unsigned lines = 0;
    size_t o = 0, cap = 1;
    char *t = calloc(1, 1);

    fflush(stderr);
    dup2(log_saved, 2);
    close(log_saved);
    rewind(log_f);
    while (fgets(line, sizeof(line), log_f)) {
        lines++;
        cap += strlen(line);
        t = realloc(t, cap);
        memcpy(t + o, line, strlen(line) + 1);
        o += strlen(line);
    }
    fclose(log_f);
    if (text) *text = t;
    else free(t);
    return lines;
}

START_TEST(test_report_good)
{
    xres_agent_report r;

    fx_reset();
    memset(&r, 0, sizeof(r));
    good_report(5, "41");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 5, &r, 1000), 0);
    /* One report, one XenStore request. */
    ck_assert_uint_eq(fx.reads, 1);
    ck_assert(r.valid);
    ck_assert_uint_eq(r.seq, 41);
    ck_assert_uint_eq(r.heartbeat_ms, 1000);
    ck_assert_uint_eq(r.mem_total_kb, 262144);
    ck_assert_uint_eq(r.mem_avail_kb, 159744);
    ck_assert_uint_eq(r.mem_used_kb, 102400);
    ck_assert_uint_eq(r.swap_used_kb, 0);
    ck_assert_uint_eq(r.balloon_cur_kb, 262144);
    ck_assert_uint_eq(r.balloon_target_kb, 262144);
    ck_assert_uint_eq(r.cpu_pct, 37);
    ck_assert_uint_eq(r.hb_interval_s, 10);
    /* Another domain's report is not this one's. */
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 6, &r, 1000),
                     -ENOENT);
    ck_assert(!r.valid);
    ck_assert_uint_eq(r.mem_used_kb, 0);

    /* A newer agent's extra words after the last field: ignored. */
    memset(&r, 0, sizeof(r));
    good_fields("42");
    report_set("cpu-pct", "12");
    report_put_tail(5, " disk-used=4096 io-wait=1.5");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 5, &r, 2000), 0);
    ck_assert(r.valid);
    ck_assert_uint_eq(r.seq, 42);
    ck_assert_uint_eq(r.cpu_pct, 12);
    ck_assert_uint_eq(r.mem_used_kb, 102400);
    /* The old per-figure keys of an older agent are not a report. */
    fx_reset();
    memset(&r, 0, sizeof(r));
    gput(5, "seq", "7");
    gput(5, "mem-total", "262144");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 5, &r, 3000),
                     -ENOENT);
    ck_assert(!r.valid);
}
END_TEST

START_TEST(test_report_hostile)
{
    static const struct { const char *leaf, *val; int rc; } bad[] = {
        { "mem-total", "12a", -EINVAL },
        { "mem-total", "", -EINVAL },
        { "mem-total", "-262144", -EINVAL },
        { "mem-total", "0262144", -EINVAL },
        { "mem-total", "262144 ", -EINVAL },        /* double space */
        { "mem-total", "1099511627777", -ERANGE },
        { "mem-total", "99999999999999999999999", -E2BIG },
        { "cpu-pct", "101", -ERANGE },
        { "cpu-pct", "NaN", -EINVAL },
        { "cpu-pct", "37 ", -EINVAL },              /* trailing space */
        { "seq", "0", -ERANGE },
        { "seq", "1e9", -EINVAL },
        { "heartbeat-interval", "0", -ERANGE },
        { "heartbeat-interval", "601", -ERANGE },
        { "version", "1.0 beta", -EINVAL },
        { "version", "1.0/beta", -EINVAL },
        { "version", "", -EINVAL },
        { "mem-used", "102401", -EINVAL },          /* does not add up */
        { "mem-avail", "262145", -EINVAL },         /* above total */
        { "balloon-cur", "\xff\xfe", -EINVAL },
        { "swap-used", NULL, -EINVAL },             /* missing */
        { "cpu-pct", NULL, -EINVAL },               /* the last missing */
    };
    xres_agent_report r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx_reset();
        good_report(7, "3");
        memset(&r, 0, sizeof(r));
        ck_assert_int_eq(xres_daemon_read_agent_report(&be, 7, &r, 500), 0);
        ck_assert(r.valid);
        good_fields("4");
        report_set(bad[i].leaf, bad[i].val);
        report_put(7);
        ck_assert_msg(xres_daemon_read_agent_report(&be, 7, &r, 1500) ==
                      bad[i].rc, "%s=\"%s\"", bad[i].leaf,
                      bad[i].val ? bad[i].val : "(none)");
        ck_assert_msg(!r.valid, "%s=\"%s\" taken", bad[i].leaf,
                      bad[i].val ? bad[i].val : "(none)");
        ck_assert_uint_eq(r.mem_used_kb, 0);
        ck_assert_uint_eq(r.cpu_pct, 0);
        /* The last good report's seq and time are kept for staleness. */
        ck_assert_uint_eq(r.seq, 3);
        ck_assert_uint_eq(r.heartbeat_ms, 500);
    }
    /* Whole values that are not a report. */
    static const struct { const char *val; int rc; } junk[] = {
        { "", -EINVAL },
        { "hello", -EINVAL },
        { "seq=4", -EINVAL },
        { "\n", -EINVAL },
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        fx_reset();
        memset(&r, 0, sizeof(r));
        gput(7, "report", junk[i].val);
        ck_assert_int_eq(xres_daemon_read_agent_report(&be, 7, &r, 1000),
                         junk[i].rc);
        ck_assert(!r.valid);
    }
    /* Fields in the wrong order. */
    fx_reset();
    memset(&r, 0, sizeof(r));
    gput(7, "report", "version=0.1.0 seq=4 heartbeat=123456 "
         "heartbeat-interval=10 mem-total=262144 mem-avail=159744 "
         "mem-used=102400 swap-used=0 balloon-cur=262144 "
         "balloon-target=262144 cpu-pct=37");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 7, &r, 1000),
                     -EINVAL);
    ck_assert(!r.valid);
    /* A malformed word after the last field. */
    good_fields("4");
    report_put_tail(7, " Disk=1");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 7, &r, 1000),
                     -EINVAL);
    ck_assert(!r.valid);
    /* A megabyte value is refused by length. */
    fx_reset();
    good_report(7, "3");
    char *huge = malloc(1 << 20);
    memset(huge, '7', 1 << 20);
    fx_put(&fx, "/local/domain/7/data/xres/report", huge, 1 << 20);
    free(huge);
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 7, &r, 1000),
                     -E2BIG);
    ck_assert(!r.valid);
}
END_TEST

/* Garbage in data/xres/report: not reporting, and the log says why,
 * naming the domain. */
START_TEST(test_report_garbage_logged)
{
    xres_agent_report r;
    char *text;

    fx_reset();
    memset(&r, 0, sizeof(r));
    good_report(11, "8");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 11, &r, 70000), 0);
    ck_assert(r.valid);
    gput(11, "report", "rm -rf / \x01\x02");
    log_catch();
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 11, &r, 80000),
                     -EINVAL);
    ck_assert_uint_eq(log_release(&text), 1);
    ck_assert(!r.valid);
    ck_assert_uint_eq(r.mem_total_kb, 0);
    ck_assert_msg(strstr(text, "dom11: agent report rejected, domain "
                         "treated as not reporting: report: expected seq= "
                         "at byte 0: \"rm -rf / ") != NULL, "log: %s", text);
    free(text);
    /* Figures that do not add up: the reason gives them. */
    good_fields("9");
    report_set("mem-used", "100000");
    report_put(11);
    log_catch();
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 11, &r, 90000),
                     -EINVAL);
    ck_assert_uint_eq(log_release(&text), 1);
    ck_assert_msg(strstr(text, "dom11: agent report rejected, domain "
                         "treated as not reporting: mem-used 100000 KiB is "
                         "not mem-total - mem-avail = 102400 KiB\n") != NULL,
                  "log: %s", text);
    free(text);
    ck_assert(!r.valid);
    /* Good again. */
    good_report(11, "10");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 11, &r, 91000), 0);
    ck_assert(r.valid);
    ck_assert_uint_eq(r.seq, 10);
}
END_TEST

START_TEST(test_report_stale)
{
    xres_agent_report r;

    fx_reset();
    memset(&r, 0, sizeof(r));
    good_report(3, "10");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 1000), 0);
    /* heartbeat-interval 10 s: stale after 2 * 10 + 5 = 25 s unchanged. */
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 26000), 0);
    ck_assert(r.valid);
    ck_assert_uint_eq(r.heartbeat_ms, 1000);
    ck_assert(!xres_agent_report_expire(&r, 3, 26000));
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 26001),
                     -ETIMEDOUT);
    ck_assert(!r.valid);
    ck_assert_uint_eq(r.mem_used_kb, 0);
    /* Other figures changing with the same seq are no sign of life. */
    report_set("cpu-pct", "55");
    report_put(3);
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 26500),
                     -ETIMEDOUT);
    ck_assert(!r.valid);
    /* A new seq: alive again. */
    good_report(3, "11");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 27000), 0);
    ck_assert(r.valid);
    ck_assert_uint_eq(r.heartbeat_ms, 27000);
    /* The tick's expiry, without reading. */
    ck_assert(!xres_agent_report_expire(&r, 3, 52000));
    ck_assert(xres_agent_report_expire(&r, 3, 52001));
    ck_assert(!r.valid);
    ck_assert(!xres_agent_report_expire(&r, 3, 90000));
    /* The agent restarted: seq back to 1 is a change too. */
    good_report(3, "1");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 90000), 0);
    ck_assert(r.valid);
    ck_assert_uint_eq(r.seq, 1);
    /* heartbeat-interval 60 s: stale after 125 s. */
    good_fields("2");
    report_set("heartbeat-interval", "60");
    report_put(3);
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 100000), 0);
    ck_assert_uint_eq(r.hb_interval_s, 60);
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 225000), 0);
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 225001),
                     -ETIMEDOUT);
    ck_assert(!r.valid);
    /* The agent went away: its report removed. */
    fx_rm(&be, "/local/domain/3/data/xres/report");
    ck_assert_int_eq(xres_daemon_read_agent_report(&be, 3, &r, 226000),
                     -ENOENT);
    ck_assert(!r.valid);
}
END_TEST

START_TEST(test_report_flood)
{
    xres_agent_report r;
    char s[32];
    unsigned valid = 0, rejected = 0;

    fx_reset();
    memset(&r, 0, sizeof(r));
    /* The log goes to stderr: catch it to count the lines. */
    log_catch();
    /* 10,000 reports within 10 s: every third one garbage.  Nothing
     * crashes, each read takes exactly what is there, in one request. */
    for (unsigned i = 1; i <= 10000; i++) {
        good_fields("1");
        snprintf(s, sizeof(s), "%u", i);
        report_set("seq", s);
        if (i % 3 == 0) report_set("cpu-pct", i % 2 ? "x" : "1000");
        report_put(9);
        int rc = xres_daemon_read_agent_report(&be, 9, &r, 1000 + i);
        if (rc == 0) valid++;
        else rejected++;
        ck_assert_int_eq(r.valid, rc == 0);
        if (rc == 0) ck_assert_uint_eq(r.seq, i);
    }
    unsigned lines = log_release(NULL);
    ck_assert_uint_eq(fx.reads, 10000);
    ck_assert_uint_eq(valid, 6667);
    ck_assert_uint_eq(rejected, 3333);
    /* 3333 rejections and as many recoveries, but the log got the burst
     * of 3 (10 s is less than the one-a-minute refill). */
    ck_assert_uint_eq(lines, 3);
}
END_TEST

START_TEST(test_report_peek)
{
    uint64_t seq = 0;
    unsigned hbi = 0;
    char *text;

    fx_reset();
    ck_assert_int_eq(xres_agent_report_peek(&be, 12, &seq, &hbi), -ENOENT);
    good_fields("77");
    report_set("heartbeat-interval", "30");
    report_put(12);
    ck_assert_int_eq(xres_agent_report_peek(&be, 12, &seq, &hbi), 0);
    ck_assert_uint_eq(seq, 77);
    ck_assert_uint_eq(hbi, 30);
    ck_assert_int_eq(xres_agent_report_peek(&be, 12, NULL, NULL), 0);
    /* Figures that do not add up are the reader's business: the seq is
     * still the agent's heartbeat. */
    report_set("seq", "78");
    report_set("mem-used", "1");
    report_put(12);
    ck_assert_int_eq(xres_agent_report_peek(&be, 12, &seq, NULL), 0);
    ck_assert_uint_eq(seq, 78);
    /* Garbage of any kind: -EINVAL, nothing logged, outputs unchanged. */
    static const char *junk[] = {
        "", "seq=79", "seq=0 version=x", "x",
    };
    log_catch();
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        gput(12, "report", junk[i]);
        seq = 5;
        hbi = 6;
        ck_assert_int_eq(xres_agent_report_peek(&be, 12, &seq, &hbi),
                         -EINVAL);
        ck_assert_uint_eq(seq, 5);
        ck_assert_uint_eq(hbi, 6);
    }
    good_fields("80");
    report_set("cpu-pct", "101");
    report_put(12);
    ck_assert_int_eq(xres_agent_report_peek(&be, 12, &seq, &hbi), -EINVAL);
    ck_assert_uint_eq(log_release(&text), 0);
    ck_assert_str_eq(text, "");
    free(text);
}
END_TEST

START_TEST(test_log_limit)
{
    uint64_t sup = 99;

    /* A burst of 3, then one a minute, per domain. */
    ck_assert(xres_agent_log_ok(1234, 1000, &sup));
    ck_assert_uint_eq(sup, 0);
    ck_assert(xres_agent_log_ok(1234, 1001, &sup));
    ck_assert(xres_agent_log_ok(1234, 1002, &sup));
    for (int i = 0; i < 1000; i++)
        ck_assert(!xres_agent_log_ok(1234, 1003 + i, &sup));
    ck_assert(xres_agent_log_ok(1235, 1500, &sup));   /* another domain */
    ck_assert(!xres_agent_log_ok(1234, 50000, &sup));
    ck_assert(xres_agent_log_ok(1234, 62002, &sup));
    ck_assert_uint_eq(sup, 1001);
}
END_TEST

START_TEST(test_apps)
{
    xres_agent_app a;

    fx_reset();
    gput(4, "app/web/level", "1");
    gput(4, "app/web/restarts", "2");
    gput(4, "app/web/state", "running");
    gput(4, "app/web/hot-standby", "1");
    gput(4, "app/web/memory", "65536");
    gput(4, "app/db/level", "7");                    /* out of range */
    gput(4, "app/db/restarts", "0");
    gput(4, "app/db/state", "running");
    gput(4, "app/db/hot-standby", "0");
    gput(4, "app/db/memory", "0");
    gput(4, "app/BAD/level", "0");                   /* bad name */
    ck_assert_int_eq(xres_daemon_read_agent_app(&be, 4, "web", &a, 1), 0);
    ck_assert_str_eq(a.name, "web");
    ck_assert_uint_eq(a.level, 1);
    ck_assert_uint_eq(a.restarts, 2);
    ck_assert_uint_eq(a.state, 0);
    ck_assert(a.hot_standby);
    ck_assert_uint_eq(a.memory_kb, 65536);
    ck_assert_int_eq(xres_daemon_read_agent_app(&be, 4, "db", &a, 1),
                     -EINVAL);
    ck_assert_int_eq(xres_daemon_read_agent_app(&be, 4, "mail", &a, 1),
                     -ENOENT);
    ck_assert_int_eq(xres_daemon_read_agent_app(&be, 4, "../x", &a, 1),
                     -EINVAL);
}
END_TEST

START_TEST(test_request_setup_perms)
{
    char *v;
    size_t len;

    fx_reset();
    /* The guest got there first and planted things. */
    fx_put(&fx, "/local/domain/6/xres/request/1", "start evil", 10);
    fx_put(&fx, "/local/domain/6/xres/seq", "41", 2);
    ck_assert_int_eq(xres_agent_request_setup(&be, 6), 0);
    ck_assert_str_eq(fx.log,
        "mkdir /local/domain/6/xres;"
        "perms /local/domain/6/xres n0 r6;"
        "rm /local/domain/6/xres/request;"
        "rm /local/domain/6/xres/seq;"
        "mkdir /local/domain/6/xres/request;"
        "perms /local/domain/6/xres/request n0 r6;"
        "write /local/domain/6/xres/seq;"
        "perms /local/domain/6/xres/seq n0 r6;");
    ck_assert_int_lt(fx_find(&fx, "/local/domain/6/xres/request/1"), 0);
    ck_assert_int_eq(fx_read(&be, "/local/domain/6/xres/seq", &v, &len), 0);
    ck_assert_str_eq(v, "41");
    free(v);
    ck_assert_int_eq(xres_agent_request_setup(&be, 0), -EINVAL);
    /* A garbage counter starts from 0. */
    fx_reset();
    fx_put(&fx, "/local/domain/6/xres/seq", "lots", 4);
    ck_assert_int_eq(xres_agent_request_setup(&be, 6), 0);
    ck_assert_int_eq(fx_read(&be, "/local/domain/6/xres/seq", &v, &len), 0);
    ck_assert_str_eq(v, "0");
    free(v);
}
END_TEST

START_TEST(test_request_send_poll)
{
    xres_request q = { .op = XRES_REQ_RELEASE, .kb = 262144,
                       .drop_caches = true };
    xres_ack ack;
    uint64_t s1 = 0, s2 = 0;
    char *v;
    size_t len;

    fx_reset();
    ck_assert_int_eq(xres_agent_request_send(&be, 6, &q, &s1), -ENOENT);
    ck_assert_int_eq(xres_agent_request_setup(&be, 6), 0);
    ck_assert_int_eq(xres_agent_request_send(&be, 6, &q, &s1), 0);
    ck_assert_uint_eq(s1, 1);
    ck_assert_int_eq(fx_read(&be, "/local/domain/6/xres/request/1", &v, &len),
                     0);
    ck_assert_str_eq(v, "release 262144 drop-caches");
    free(v);
    q.op = XRES_REQ_START;
    strcpy(q.app, "web");
    ck_assert_int_eq(xres_agent_request_send(&be, 6, &q, &s2), 0);
    ck_assert_uint_eq(s2, 2);
    ck_assert_int_eq(fx_read(&be, "/local/domain/6/xres/request/2", &v, &len),
                     0);
    ck_assert_str_eq(v, "start web");
    free(v);
    strcpy(q.app, "../../0");
    ck_assert_int_eq(xres_agent_request_send(&be, 6, &q, &s2), -EINVAL);

    /* No answer yet. */
    ck_assert_int_eq(xres_agent_request_poll(&be, 6, 1, &ack, 1), -EAGAIN);
    /* The answer: taken, then request and ack are gone. */
    gput(6, "ack/1", "ok balloon at 262144 KiB");
    ck_assert_int_eq(xres_agent_request_poll(&be, 6, 1, &ack, 1), 0);
    ck_assert(ack.ok);
    ck_assert_str_eq(ack.detail, "balloon at 262144 KiB");
    ck_assert_int_lt(fx_find(&fx, "/local/domain/6/xres/request/1"), 0);
    ck_assert_int_lt(fx_find(&fx, "/local/domain/6/data/xres/ack/1"), 0);
    /* A hostile ack: failed, removed. */
    gput(6, "ack/2", "ok\x01\x02 sure");
    ck_assert_int_eq(xres_agent_request_poll(&be, 6, 2, &ack, 1), -EINVAL);
    ck_assert(!ack.ok);
    ck_assert_int_lt(fx_find(&fx, "/local/domain/6/xres/request/2"), 0);
    ck_assert_int_lt(fx_find(&fx, "/local/domain/6/data/xres/ack/2"), 0);
    ck_assert_int_eq(xres_agent_request_cancel(&be, 6, 2), 0);
}
END_TEST

/* Numbers taken in bulk for two domains, acks read in place, requests
 * collected once answered. */
START_TEST(test_request_reserve_peek_collect)
{
    const uint32_t doms[2] = { 6, 7 };
    xres_request q = { .op = XRES_REQ_STOP };
    xres_ack ack;
    uint64_t first = 0, s = 0;
    char *v;
    size_t len;

    fx_reset();
    ck_assert_int_eq(xres_agent_request_setup(&be, 6), 0);
    ck_assert_int_eq(xres_agent_request_setup(&be, 7), 0);
    strcpy(q.app, "web");
    ck_assert_int_eq(xres_agent_request_send(&be, 7, &q, &s), 0);
    ck_assert_int_eq(xres_agent_request_send(&be, 7, &q, &s), 0);
    ck_assert_uint_eq(s, 2);
    /* Above dom7's 2 and the floor 1: 3 .. 7 on both. */
    ck_assert_int_eq(xres_agent_request_reserve(&be, doms, 2, 1, 5, &first),
                     0);
    ck_assert_uint_eq(first, 3);
    ck_assert_int_eq(fx_read(&be, "/local/domain/6/xres/seq", &v, &len), 0);
    ck_assert_str_eq(v, "7");
    free(v);
    ck_assert_int_eq(fx_read(&be, "/local/domain/7/xres/seq", &v, &len), 0);
    ck_assert_str_eq(v, "7");
    free(v);
    /* A floor above the counters wins; send goes on after the range. */
    ck_assert_int_eq(xres_agent_request_reserve(&be, doms, 2, 20, 3, &first),
                     0);
    ck_assert_uint_eq(first, 20);
    ck_assert_int_eq(xres_agent_request_send(&be, 6, &q, &s), 0);
    ck_assert_uint_eq(s, 23);

    ck_assert_int_eq(xres_agent_request_ack_peek(&be, 6, 23, &ack), -ENOENT);
    ck_assert_int_eq(xres_agent_request_collect(&be, 6, 23), -ENOENT);
    gput(6, "ack/23", "error no such app");
    ck_assert_int_eq(xres_agent_request_ack_peek(&be, 6, 23, &ack), 0);
    ck_assert(!ack.ok);
    ck_assert_int_ge(fx_find(&fx, "/local/domain/6/data/xres/ack/23"), 0);
    ck_assert_int_eq(xres_agent_request_collect(&be, 6, 23), 0);
    ck_assert_int_lt(fx_find(&fx, "/local/domain/6/xres/request/23"), 0);
    /* The agent drops its own ack. */
    ck_assert_int_ge(fx_find(&fx, "/local/domain/6/data/xres/ack/23"), 0);
    gput(6, "ack/22", "ok\x01");
    ck_assert_int_eq(xres_agent_request_ack_peek(&be, 6, 22, &ack), -EINVAL);
}
END_TEST

Suite *agent_report_suite(void)
{
    Suite *s = suite_create("agent_report");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_report_good);
    tcase_add_test(tc, test_report_hostile);
    tcase_add_test(tc, test_report_garbage_logged);
    tcase_add_test(tc, test_report_stale);
    tcase_add_test(tc, test_report_flood);
    tcase_add_test(tc, test_report_peek);
    tcase_add_test(tc, test_log_limit);
    tcase_add_test(tc, test_apps);
    tcase_add_test(tc, test_request_setup_perms);
    tcase_add_test(tc, test_request_send_poll);
    tcase_add_test(tc, test_request_reserve_peek_collect);
    suite_add_tcase(s, tc);
    return s;
}
