/*
 * tests/unit/test_agent_notify.c: the agent's notify socket: mode 0600
 * owned by root, a line over the bound answered with an error and the
 * connection closed while the next client is served, and a peer that is
 * not root refused (checked with SO_PEERCRED even when the socket's mode
 * lets it in).  Needs root, as make unit-check runs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_notify.h"

static char dir[64], path[128];
static int lfd = -1;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/xres-notify-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/notify.sock", dir);
    ck_assert_int_eq(xres_agent_notify_listen(path, &lfd), 0);
}

static void teardown(void)
{
    close(lfd);
    unlink(path);
    rmdir(dir);
}

/* Connect, send len bytes of msg (as uid, in a child, when uid != 0),
 * and let the server side read it: returns its reply (NULL: the line). */
static const char *exchange(uid_t uid, const char *msg, size_t len,
                            char *line, size_t cap)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    pid_t pid;
    int status = 0, cfd, sfd;
    const char *reply;

    strcpy(sa.sun_path, path);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (uid && setuid(uid)) _exit(2);
        cfd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(cfd, (struct sockaddr *)&sa, sizeof(sa))) _exit(3);
        if (send(cfd, msg, len, MSG_NOSIGNAL) < 0) {}
        shutdown(cfd, SHUT_WR);
        char junk[64];
        while (recv(cfd, junk, sizeof(junk), 0) > 0) {}
        _exit(0);
    }
    do sfd = accept(lfd, NULL, NULL);
    while (sfd < 0);
    reply = xres_agent_notify_read(sfd, line, cap);
    close(sfd);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    return reply;
}

START_TEST(test_notify_mode)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_uint_eq(st.st_uid, 0);
}
END_TEST

START_TEST(test_notify_line_bound)
{
    char line[XRES_AGENT_NOTIFY_MAX + 2], big[4096];
    const char *r;

    memset(big, 'a', sizeof(big));
    r = exchange(0, big, sizeof(big), line, sizeof(line));
    ck_assert_str_eq(r, "error: line too long (limit 127 bytes)\n");
    /* Exactly at the bound is read whole. */
    memset(big, 'b', XRES_AGENT_NOTIFY_MAX);
    r = exchange(0, big, XRES_AGENT_NOTIFY_MAX, line, sizeof(line));
    ck_assert_ptr_null(r);
    ck_assert_uint_eq(strlen(line), XRES_AGENT_NOTIFY_MAX);
    /* The next client is served. */
    r = exchange(0, "notify web 3\n", 13, line, sizeof(line));
    ck_assert_ptr_null(r);
    ck_assert_str_eq(line, "notify web 3\n");
}
END_TEST

START_TEST(test_notify_peer_refused)
{
    char line[XRES_AGENT_NOTIFY_MAX + 2];
    const char *r;

    ck_assert_int_eq(chmod(path, 0666), 0);
    r = exchange(65534, "notify web 3\n", 13, line, sizeof(line));
    ck_assert_str_eq(r, "error: permission denied: notify needs root\n");
    r = exchange(0, "notify web 1\n", 13, line, sizeof(line));
    ck_assert_ptr_null(r);
}
END_TEST

Suite *agent_notify_suite(void)
{
    Suite *s = suite_create("agent_notify");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_notify_mode);
    tcase_add_test(tc, test_notify_line_bound);
    tcase_add_test(tc, test_notify_peer_refused);
    suite_add_tcase(s, tc);
    return s;
}
