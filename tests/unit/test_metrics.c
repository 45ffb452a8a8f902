/*
 * tests/unit/test_metrics.c: xresd's Prometheus metrics on the simulated
 * host: exact lines for a domain, a memory move counted when it ends, the
 * reaction-time histogram, escaping of a hostile domain name, the file
 * written by rename (never seen half-written, no temporary left), no file
 * while its directory is absent, the `metrics` command, and
 * `promtool check metrics` on the text (promtool missing is a failure:
 * `make deps` installs it).
 *
 * Scenario: the simulator's built-in host with agents: Domain-0 2 GiB,
 * g1 (dom1) 1 GiB of 2 GiB, g2 (dom2) 512 MiB of 1 GiB.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_sim.h"
#include "config_metrics.h"
#include "daemon.h"
#include "ipc.h"
#include "metrics.h"
#include "subsys.h"

#define MIB (1024ULL * 1024)

static const xres_subsys *const subsys[] = {
    &xres_subsys_mem, &xres_subsys_pair, &xres_subsys_metrics, NULL,
};
static xres_backend be;
static xres_daemon dmn;
static bool up;
static char tmp[64], prom_dir[96], prom[128], conf[128], sock[128];

/* xres.conf with metrics_file = file, then the daemon on the sim. */
static void daemon_start(const char *file)
{
    char err[256];
    xres_daemon_opts o = { 0 };
    FILE *f = fopen(conf, "w");

    ck_assert_ptr_nonnull(f);
    fprintf(f, "metrics_file = \"%s\"\nreport_interval_ms = 100\n", file);
    fclose(f);
    memset(&dmn, 0, sizeof(dmn));
    ck_assert_msg(!xres_daemon_load_config(&dmn, conf, false, err,
                                           sizeof(err)), "%s", err);
    o.socket_path = sock;
    o.subsystems = subsys;
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&dmn, &be, &o), 0);
    up = true;
}

static void setup(void)
{
    char err[256];

    snprintf(tmp, sizeof(tmp), "/tmp/xres-metrics-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(prom_dir, sizeof(prom_dir), "%s/node-exporter", tmp);
    snprintf(prom, sizeof(prom), "%s/xres.prom", prom_dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", tmp);
    snprintf(sock, sizeof(sock), "%s/xresd.sock", tmp);
    ck_assert_int_eq(mkdir(prom_dir, 0755), 0);
    ck_assert_msg(!xres_sim_open_scenario(&be, "agents", err, sizeof(err)),
                  "%s", err);
}

static void teardown(void)
{
    char cmd[160];

    if (up) xres_daemon_dispose(&dmn);
    up = false;
    xres_backend_dispose(&be);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

static char *text_now(void)
{
    char *t = NULL;

    ck_assert_int_eq(xres_daemon_refresh(&dmn), 0);
    ck_assert_int_eq(xres_daemon_metrics_text(&dmn, &t, NULL), 0);
    return t;
}

/* The whole line of text that starts with key (up to and without its
 * value), or NULL. */
static const char *line_of(const char *text, const char *key)
{
    size_t n = strlen(key);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1
                                                                  : NULL)
        if (!strncmp(p, key, n) && p[n] == ' ') return p;
    return NULL;
}

#define ck_line(text, key, val) do {                                      \
    const char *l_ = line_of(text, key);                                  \
    char want_[512];                                                      \
    snprintf(want_, sizeof(want_), "%s %s\n", key, val);                  \
    ck_assert_msg(l_ != NULL, "no line %s in:\n%s", key, text);           \
    ck_assert_msg(!strncmp(l_, want_, strlen(want_)), "want %s got %.*s", \
                  want_, (int)(strcspn(l_, "\n")), l_);                   \
} while (0)

/* ck_line for each key and value of kv, which ends with NULL. */
static void ck_lines(const char *text, const char *const *kv)
{
    for (; kv[0]; kv += 2) ck_line(text, kv[0], kv[1]);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f) return NULL;
    n = getdelim(&buf, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(buf);
        return strdup("");
    }
    return buf;
}

/* Names in dir other than . and .., joined by spaces. */
static void dir_names(const char *dir, char *out, size_t len)
{
    DIR *dh = opendir(dir);
    struct dirent *e;

    out[0] = 0;
    ck_assert_ptr_nonnull(dh);
    while ((e = readdir(dh)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(out + strlen(out), len - strlen(out), "%s%s",
                     out[0] ? " " : "", e->d_name);
    closedir(dh);
}

/* The daemon's loop for ms of simulated time: agents report, ticks. */
static void run_ms(unsigned ms)
{
    for (unsigned t = 0; t < ms; t += 100) {
        xres_sim_advance(&be, 100);
        ck_assert_int_eq(xres_daemon_run_once(&dmn, 0), 0);
    }
}

START_TEST(test_domain_lines)
{
    char *t;

    daemon_start(prom);
    t = text_now();
    ck_lines(t, (const char *const[]){
        "xres_domain_memory_target_bytes{domain=\"g1\",domid=\"1\"}",
        "1073741824",
        "xres_domain_memory_bytes{domain=\"g2\",domid=\"2\"}", "536870912",
        "xres_domain_memory_max_bytes{domain=\"g1\",domid=\"1\"}",
        "2147483648",
        "xres_domain_weight{domain=\"g1\",domid=\"1\"}", "256",
        "xres_domain_cap{domain=\"g1\",domid=\"1\"}", "0",
        "xres_host_memory_bytes", "8589934592", NULL });
    ck_assert_ptr_nonnull(strstr(t, "# TYPE xres_domain_memory_target_bytes "
                                    "gauge\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE xres_memory_moves_total "
                                    "counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE xres_reaction_seconds "
                                    "histogram\n"));
    /* No agent in Domain-0: no use figure for it. */
    ck_assert_ptr_null(strstr(t, "xres_domain_memory_used_bytes{domain=\""
                                 "Domain-0\""));
    free(t);
    /* Once the agents have reported, their figures are there. */
    run_ms(3000);
    t = text_now();
    ck_line(t, "xres_domain_memory_used_bytes{domain=\"g2\",domid=\"2\"}",
            "134217728");
    free(t);
}
END_TEST

static yajl_val command(const char *json)
{
    yajl_val req = yajl_tree_parse(json, NULL, 0), reply = NULL;
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;
    int rc = -ENOSYS;
    char *s;

    ck_assert_ptr_nonnull(req);
    ck_assert_int_eq(xres_daemon_refresh(&dmn), 0);
    for (int i = 0; subsys[i] && rc == -ENOSYS; i++)
        if (subsys[i]->command)
            rc = subsys[i]->command(&dmn, xres_json_get_str(req, "cmd"),
                                    req, g);
    ck_assert_int_eq(rc, 0);
    yajl_gen_get_buf(g, &buf, &len);
    s = strndup((const char *)buf, len);
    reply = yajl_tree_parse(s, NULL, 0);
    ck_assert_msg(reply != NULL && xres_json_get_bool(reply, "ok", false),
                  "reply %s", s);
    free(s);
    yajl_gen_free(g);
    yajl_tree_free(req);
    return reply;
}

/* A mem-move is in flight, then counted as done when it ends. */
START_TEST(test_move_counted)
{
    char *t;

    daemon_start(prom);
    run_ms(3000);
    yajl_tree_free(command("{\"cmd\":\"mem-move\",\"src\":\"g2\",\"dst\":"
                           "\"g1\",\"kb\":65536}"));
    t = text_now();
    ck_line(t, "xres_memory_moves_in_flight", "1");
    ck_line(t, "xres_memory_moves_total{result=\"done\"}", "0");
    free(t);
    run_ms(5000);
    t = text_now();
    ck_line(t, "xres_memory_moves_in_flight", "0");
    ck_line(t, "xres_memory_moves_total{result=\"done\"}", "1");
    ck_line(t, "xres_memory_moves_total{result=\"failed\"}", "0");
    ck_line(t, "xres_domain_memory_target_bytes{domain=\"g1\",domid=\"1\"}",
            "1140850688");                              /* 1 GiB + 64 MiB */
    free(t);
}
END_TEST

/* g1's agent reports it short of memory: balancing raises its target
 * from free memory at once, in the report's own check. */
START_TEST(test_reaction_histogram)
{
    char *t;

    daemon_start(prom);
    ck_assert_int_eq(xres_sim_set_agent(&be, 1, true, 1020 * MIB / 1024),
                     0);
    run_ms(4000);
    t = text_now();
    /* Both agents' first reports are taken in one decision: g2 gives,
     * and g1 is raised once g2's balloon (64 MiB/s) released 128 MiB,
     * 2 s after g1's report was read. */
    ck_lines(t, (const char *const[]){
        "xres_reaction_seconds_bucket{le=\"1\"}", "0",
        "xres_reaction_seconds_bucket{le=\"2.5\"}", "1",
        "xres_reaction_seconds_bucket{le=\"+Inf\"}", "1",
        "xres_reaction_seconds_count", "1",
        "xres_reaction_seconds_sum", "2.000",
        "xres_memory_moves_total{result=\"done\"}", "1", NULL });
    free(t);
}
END_TEST

/* A name a guest could not choose, but one that libxl or XenStore could
 * give: every character the format escapes, and a byte that is not
 * UTF-8. */
static const char hostile[] = "a\"b\\c\nd\xff}";

START_TEST(test_hostile_name_escaped)
{
    uint32_t id;
    char *t, want[128];

    ck_assert_int_eq(xres_sim_add_domain(&be, hostile, 256 * 1024,
                                         256 * 1024, &id), 0);
    daemon_start(prom);
    t = text_now();
    snprintf(want, sizeof(want), "xres_domain_memory_bytes{domain=\"a\\\"b"
             "\\\\c\\nd\xef\xbf\xbd}\",domid=\"%u\"}", id);
    ck_line(t, want, "268435456");
    /* Every line is a comment or name{labels} value: the name broke none. */
    for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n"))
        ck_assert_msg(l[0] == '#' || !strncmp(l, "xres_", 5), "line %s", l);
    free(t);
}
END_TEST

START_TEST(test_label_cut_at_character)
{
    char buf[5];

    xres_metrics_label(buf, sizeof(buf), "a\"");
    ck_assert_str_eq(buf, "a\\\"");
    xres_metrics_label(buf, sizeof(buf), "abc\"d");
    ck_assert_str_eq(buf, "abc");                   /* not half an escape */
    xres_metrics_label(buf, sizeof(buf), "a\xc3\xa9\xe2\x82\xac");
    ck_assert_str_eq(buf, "a\xc3\xa9");             /* whole characters */
    xres_metrics_label(buf, sizeof(buf), "\xc0\xaf");   /* overlong '/' */
    ck_assert_str_eq(buf, "\xef\xbf\xbd");
}
END_TEST

/* The failover counters of two pairs, as the pair subsystem gives them. */
START_TEST(test_failover_lines)
{
    xres_host h;
    xres_metrics_counters c;
    char *t;

    xres_host_init(&h);
    memset(&c, 0, sizeof(c));
    c.npairs = 2;
    snprintf(c.pairs[0].pair, sizeof(c.pairs[0].pair), "p1");
    c.pairs[0].domain = 2;
    c.pairs[0].app = 1;
    snprintf(c.pairs[1].pair, sizeof(c.pairs[1].pair), "q\"");
    xres_histogram_observe(&c.reaction, 700);
    xres_histogram_observe(&c.reaction, 90000);
    ck_assert_int_eq(xres_metrics_format(&h, &c, &t, NULL), 0);
    ck_lines(t, (const char *const[]){
        "xres_failovers_total{pair=\"p1\",kind=\"domain\"}", "2",
        "xres_failovers_total{pair=\"p1\",kind=\"app\"}", "1",
        "xres_failovers_total{pair=\"q\\\"\",kind=\"app\"}", "0",
        "xres_reaction_seconds_bucket{le=\"0.5\"}", "0",
        "xres_reaction_seconds_bucket{le=\"1\"}", "1",
        "xres_reaction_seconds_bucket{le=\"60\"}", "1",
        "xres_reaction_seconds_bucket{le=\"+Inf\"}", "2",
        "xres_reaction_seconds_sum", "90.700", NULL });
    free(t);
    xres_host_dispose(&h);
}
END_TEST

/* The file is replaced by rename: a reader that opened the old one reads
 * it whole, the new one is the daemon's text, nothing else is left in the
 * directory, and the node exporter (another user) can read it. */
START_TEST(test_file_replaced_atomically)
{
    char names[256], old[16] = { 0 }, *t, *f;
    struct stat st;
    int fd;

    f = NULL;
    fd = open(prom, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "old 1\n", 6), 6);
    close(fd);
    fd = open(prom, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    daemon_start(prom);                 /* init writes it a first time */
    xres_sim_advance(&be, 100);
    xres_daemon_tick(&dmn);
    ck_assert_int_eq(read(fd, old, sizeof(old) - 1), 6);
    ck_assert_str_eq(old, "old 1\n");
    close(fd);
    t = text_now();
    f = slurp(prom);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f, t);
    dir_names(prom_dir, names, sizeof(names));
    ck_assert_str_eq(names, "xres.prom");
    ck_assert_int_eq(stat(prom, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    free(t);
    free(f);
}
END_TEST

/* A write that cannot end in rename (the name is taken by a directory)
 * leaves no temporary file behind, tick after tick. */
START_TEST(test_failed_write_leaves_nothing)
{
    char names[256];

    ck_assert_int_eq(mkdir(prom, 0755), 0);
    ck_assert_int_eq(xres_metrics_write_file(prom, "x 1\n", 4), -EISDIR);
    daemon_start(prom);
    for (int i = 0; i < 3; i++) xres_daemon_tick(&dmn);
    dir_names(prom_dir, names, sizeof(names));
    ck_assert_str_eq(names, "xres.prom");
}
END_TEST

/* stderr, while fn runs, into buf. */
static void capture_stderr(void (*fn)(void), char *buf, size_t len)
{
    char path[128];
    int fd, saved = dup(2);
    ssize_t n;

    snprintf(path, sizeof(path), "%s/stderr", tmp);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, buf, len - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
    unlink(path);
}

static char absent[160];

static void start_and_tick(void)
{
    daemon_start(absent);
    for (int i = 0; i < 5; i++) {
        xres_sim_advance(&be, 100);
        xres_daemon_tick(&dmn);
    }
}

static void tick_once(void)
{
    xres_daemon_tick(&dmn);
}

/* Without the directory there is no file, said once at info; once the
 * directory is there the file is written. */
START_TEST(test_off_without_directory)
{
    char log[4096], dir[140], *f, *p;
    int n = 0;

    snprintf(dir, sizeof(dir), "%s/none", tmp);
    snprintf(absent, sizeof(absent), "%s/xres.prom", dir);
    capture_stderr(start_and_tick, log, sizeof(log));
    for (p = log; (p = strstr(p, "is absent: no metrics file")); p++) n++;
    ck_assert_msg(n == 1, "said %d times:\n%s", n, log);
    ck_assert_ptr_nonnull(strstr(log, "info: metrics: "));
    ck_assert_ptr_null(strstr(log, "error"));
    ck_assert_int_eq(access(dir, F_OK), -1);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    capture_stderr(tick_once, log, sizeof(log));
    ck_assert_ptr_nonnull(strstr(log, "metrics: writing"));
    f = slurp(absent);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f, "xres_host_memory_bytes 8589934592\n"));
    free(f);
}
END_TEST

START_TEST(test_command_and_config)
{
    yajl_val r;
    char *t, err[256];
    xres_config cfg;
    xres_metrics_params p;
    FILE *f;

    daemon_start("");
    r = command("{\"cmd\":\"metrics\"}");
    t = text_now();
    ck_assert_str_eq(xres_json_get_str(r, "text"), t);
    yajl_tree_free(r);
    free(t);
    /* metrics_file = "": no file anywhere; a relative one is refused. */
    ck_assert_int_eq(access(prom, F_OK), -1);
    f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("metrics_file = \"xres.prom\"\n", f);
    fclose(f);
    xres_config_init(&cfg);
    ck_assert_int_eq(xres_config_load(&cfg, conf, false, err, sizeof(err)),
                     0);
    ck_assert_int_eq(xres_metrics_params_from_config(&cfg, &p, err,
                                                     sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "`metrics_file' = \"xres.prom\" is not "
                                      "an absolute path"));
    xres_config_dispose(&cfg);
}
END_TEST

/* promtool check metrics on text: no complaint, exit 0. */
static void promtool_check(const char *text)
{
    char path[128], cmd[320], *out;
    FILE *f;
    int st;

    ck_assert_msg(!system("command -v promtool >/dev/null 2>&1"),
                  "promtool is missing: `make deps' installs it (Debian "
                  "package prometheus)");
    snprintf(path, sizeof(path), "%s/check.prom", tmp);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' > '%s.out' "
             "2>&1", path, path);
    st = system(cmd);
    snprintf(cmd, sizeof(cmd), "%s.out", path);
    out = slurp(cmd);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !out[0],
                  "promtool: status %d:\n%s", st, out);
    free(out);
}

START_TEST(test_promtool)
{
    xres_metrics_counters c;
    xres_host h;
    uint32_t id;
    char *t;

    ck_assert_int_eq(xres_sim_add_domain(&be, hostile, 256 * 1024,
                                         256 * 1024, &id), 0);
    daemon_start(prom);
    run_ms(3000);
    yajl_tree_free(command("{\"cmd\":\"mem-move\",\"src\":\"g2\",\"dst\":"
                           "\"g1\",\"kb\":65536}"));
    run_ms(5000);
    t = slurp(prom);
    ck_assert_ptr_nonnull(t);
    promtool_check(t);
    free(t);
    /* Pairs and observations the simulated run did not make. */
    memset(&c, 0, sizeof(c));
    c.npairs = 1;
    snprintf(c.pairs[0].pair, sizeof(c.pairs[0].pair), "p\\1");
    c.pairs[0].app = 3;
    xres_histogram_observe(&c.reaction, 1234);
    xres_host_init(&h);
    ck_assert_int_eq(xres_host_copy(&h, &dmn.host), 0);
    ck_assert_int_eq(xres_metrics_format(&h, &c, &t, NULL), 0);
    promtool_check(t);
    free(t);
    xres_host_dispose(&h);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_domain_lines);
    tcase_add_test(tc, test_move_counted);
    tcase_add_test(tc, test_reaction_histogram);
    tcase_add_test(tc, test_hostile_name_escaped);
    tcase_add_test(tc, test_label_cut_at_character);
    tcase_add_test(tc, test_failover_lines);
    tcase_add_test(tc, test_file_replaced_atomically);
    tcase_add_test(tc, test_failed_write_leaves_nothing);
    tcase_add_test(tc, test_off_without_directory);
    tcase_add_test(tc, test_command_and_config);
    tcase_add_test(tc, test_promtool);
    suite_add_tcase(s, tc);
    return s;
}
