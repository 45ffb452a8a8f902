/*
 * tests/unit/test_ipc_access.c: who may use xresd's socket: its mode and
 * group as bound (0600, or 0660 with socket_group), an unknown
 * socket_group refused when the configuration is read, a client kept out
 * by the mode told which group would let it in, and a peer that reaches
 * the socket anyway refused by its credentials (SO_PEERCRED) while others
 * are still served.  The client side runs in a child that drops to
 * nobody, so these tests need root (make unit-check runs as root).
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_sim.h"
#include "cli.h"
#include "daemon.h"
#include "ipc.h"
#include "log.h"

#define NOBODY 65534

static char dir[64], sock[128], conf[128];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof(dir), "/tmp/xres-acc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    snprintf(sock, sizeof(sock), "%s/run/xresd.sock", dir);
    snprintf(conf, sizeof(conf), "%s/xres.conf", dir);
}

static void rm_tmp(void)
{
    char run[160];

    snprintf(run, sizeof(run), "%s/run", dir);
    unlink(sock);
    rmdir(run);
    unlink(conf);
    rmdir(dir);
}

START_TEST(test_socket_mode_root_only)
{
    struct stat st;
    int fd = -1;

    mkdir_tmp();
    ck_assert_int_eq(xres_ipc_listen(sock, XRES_IPC_NO_GROUP, &fd), 0);
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_uint_eq(st.st_uid, geteuid());
    close(fd);
    rm_tmp();
}
END_TEST

START_TEST(test_socket_mode_group)
{
    struct stat st;
    char run[160];
    int fd = -1;

    mkdir_tmp();
    ck_assert_int_eq(xres_ipc_listen(sock, NOBODY, &fd), 0);
    ck_assert_int_eq(stat(sock, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0660);
    ck_assert_uint_eq(st.st_gid, NOBODY);
    snprintf(run, sizeof(run), "%s/run", dir);
    ck_assert_int_eq(stat(run, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0750);
    ck_assert_uint_eq(st.st_gid, NOBODY);
    close(fd);
    rm_tmp();
}
END_TEST

static int write_conf(const char *text)
{
    FILE *f = fopen(conf, "w");

    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

START_TEST(test_socket_group_config)
{
    xres_config cfg;
    char err[256] = "";

    mkdir_tmp();
    ck_assert_int_eq(write_conf("socket_group = \"no-such-group-xres\"\n"),
                     0);
    xres_config_init(&cfg);
    ck_assert_int_eq(xres_config_load(&cfg, conf, false, err, sizeof(err)),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "socket_group = \"no-such-group-xres\""
                                 ": no such group on this host"));
    xres_config_dispose(&cfg);

    ck_assert_int_eq(write_conf("socket_group = \"nogroup\"\n"), 0);
    xres_config_init(&cfg);
    ck_assert_int_eq(xres_config_load(&cfg, conf, false, err, sizeof(err)),
                     0);
    ck_assert_str_eq(cfg.socket_group, "nogroup");
    ck_assert_uint_eq(cfg.socket_gid, NOBODY);
    xres_config_dispose(&cfg);

    /* No key: root only. */
    ck_assert_int_eq(write_conf("tick_ms = 1000\n"), 0);
    xres_config_init(&cfg);
    ck_assert_int_eq(xres_config_load(&cfg, conf, false, err, sizeof(err)),
                     0);
    ck_assert_ptr_null(cfg.socket_group);
    ck_assert_uint_eq(cfg.socket_gid, (gid_t)-1);
    xres_config_dispose(&cfg);
    rm_tmp();
}
END_TEST

/*----- a daemon, and clients that drop to nobody -----*/

static xres_backend be;
static xres_daemon d;
static pthread_t th;

static void *run(void *arg)
{
    (void)arg;
    xres_daemon_run(&d);
    return NULL;
}

static void daemon_up(const char *conf_text)
{
    char err[256];
    xres_daemon_opts o = { .socket_path = sock };

    xres_log_set_level(LOG_CRIT);
    mkdir_tmp();
    ck_assert_int_eq(write_conf(conf_text), 0);
    ck_assert_int_eq(xres_sim_open_scenario(&be, NULL, err, sizeof(err)), 0);
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(xres_daemon_load_config(&d, conf, false, err,
                                             sizeof(err)), 0);
    o.clock = xres_sim_clock(&be);
    ck_assert_int_eq(xres_daemon_init(&d, &be, &o), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, run, NULL), 0);
}

static void daemon_down(void)
{
    xres_daemon_stop(&d);
    pthread_join(th, NULL);
    xres_daemon_dispose(&d);
    xres_backend_dispose(&be);
    rm_tmp();
}

/* In a child running as uid with primary group gid and no other group
 * (the user database may add the user's own): `xres version` through the command's own call.  Writes its error
 * (or "ok") into out. */
static void client_as(uid_t uid, gid_t gid, char *out, size_t outlen)
{
    int pfd[2], status = 0;
    pid_t pid;
    ssize_t n;

    ck_assert_int_eq(pipe(pfd), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char err[512] = "ok";
        yajl_gen g;
        yajl_val reply = NULL;

        if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) _exit(2);
        xres_cli_set_socket(sock);
        g = xres_cli_req_begin("version");
        if (xres_cli_call_msg(g, &reply, err, sizeof(err)) == 0)
            snprintf(err, sizeof(err), "ok");
        if (write(pfd[1], err, strlen(err) + 1) < 0) _exit(3);
        _exit(0);
    }
    close(pfd[1]);
    n = read(pfd[0], out, outlen - 1);
    out[n > 0 ? n : 0] = 0;
    close(pfd[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(test_client_kept_out_by_mode)
{
    char out[512], want[256];

    daemon_up("tick_ms = 1000\n");
    client_as(NOBODY, NOBODY, out, sizeof(out));
    snprintf(want, sizeof(want), "permission denied on %s: xres needs root",
             sock);
    ck_assert_str_eq(out, want);
    daemon_down();
}
END_TEST

START_TEST(test_group_member_served)
{
    char out[512], want[256];

    daemon_up("socket_group = \"nogroup\"\n");
    client_as(NOBODY, NOBODY, out, sizeof(out));
    ck_assert_str_eq(out, "ok");
    /* A non-member is kept out by the directory's mode, and told which
     * group would let it in. */
    client_as(1, 1, out, sizeof(out));
    snprintf(want, sizeof(want), "permission denied on %s: xres needs root "
             "or membership of group nogroup", sock);
    ck_assert_str_eq(out, want);
    daemon_down();
}
END_TEST

START_TEST(test_peer_refused)
{
    char out[512], want[256], run[160];

    daemon_up("socket_group = \"nogroup\"\n");
    /* The socket reachable by anyone, as after a wrong chmod: the
     * daemon's check of the peer still keeps a non-member out. */
    snprintf(run, sizeof(run), "%s/run", dir);
    ck_assert_int_eq(chmod(run, 0755), 0);
    ck_assert_int_eq(chmod(sock, 0666), 0);
    client_as(1, 1, out, sizeof(out));
    snprintf(want, sizeof(want), "permission denied on %s: xres needs root "
             "or membership of group nogroup", sock);
    ck_assert_str_eq(out, want);
    ck_assert_uint_eq(d.nr_refused, 1);
    /* Others are still served. */
    client_as(NOBODY, NOBODY, out, sizeof(out));
    ck_assert_str_eq(out, "ok");
    daemon_down();
}
END_TEST

Suite *ipc_access_suite(void)
{
    Suite *s = suite_create("ipc_access");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_socket_mode_root_only);
    tcase_add_test(tc, test_socket_mode_group);
    tcase_add_test(tc, test_socket_group_config);
    tcase_add_test(tc, test_client_kept_out_by_mode);
    tcase_add_test(tc, test_group_member_served);
    tcase_add_test(tc, test_peer_refused);
    suite_add_tcase(s, tc);
    return s;
}
