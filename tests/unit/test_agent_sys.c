/*
 * tests/unit/test_agent_sys.c: xres-agent's commands and system helpers:
 * commands run without waiting (agent_job.h), and its /proc, /sys,
 * pid-file and priority helpers against files in a temporary directory.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_job.h"
#include "agent_sys.h"

static struct {
    int kind[8], status[8];
    uint64_t elapsed[8];
    int n;
} ended;

static void on_done(void *ctx, xres_job *j, int status, uint64_t el)
{
    (void)ctx;
    /* Counted always; the first 8 kept. */
    if (ended.n < 8) {
        ended.kind[ended.n] = j->kind;
        ended.status[ended.n] = status;
        ended.elapsed[ended.n] = el;
    }
    ended.n++;
}

static void settle(xres_jobs *t, uint64_t now, int want)
{
    for (int i = 0; i < 500 && ended.n < want; i++) {
        xres_jobs_poll(t, now, on_done, NULL);
        if (ended.n < want) nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
}

/* Commands run without waiting: a slow one does not hold up a quick one,
 * each ends with its exit status, and one past its limit is killed. */
START_TEST(test_jobs)
{
    xres_jobs t;
    xres_job *j;

    memset(&ended, 0, sizeof(ended));
    xres_jobs_init(&t);
    ck_assert_uint_eq(xres_jobs_next_deadline(&t), UINT64_MAX);
    j = xres_jobs_start(&t, "sleep 1; exit 1", 30, 1000);
    ck_assert_ptr_nonnull(j);
    j->kind = 1;
    j = xres_jobs_start(&t, "exit 2", 5, 1000);
    ck_assert_ptr_nonnull(j);
    j->kind = 2;
    ck_assert_uint_eq(xres_jobs_running(&t), 2);
    ck_assert_uint_eq(xres_jobs_next_deadline(&t), 6000);
    settle(&t, 1500, 1);
    ck_assert_int_eq(ended.n, 1);           /* the quick one, first */
    ck_assert_int_eq(ended.kind[0], 2);
    ck_assert_int_eq(ended.status[0], 2);
    ck_assert_uint_eq(ended.elapsed[0], 500);
    ck_assert_uint_eq(xres_jobs_running(&t), 1);
    settle(&t, 2000, 2);
    ck_assert_int_eq(ended.kind[1], 1);
    ck_assert_int_eq(ended.status[1], 1);

    /* Over its limit: killed, with its whole session, and -ETIMEDOUT. */
    j = xres_jobs_start(&t, "sleep 30 & sleep 30", 2, 0);
    ck_assert_ptr_nonnull(j);
    j->kind = 3;
    xres_jobs_poll(&t, 1999, on_done, NULL);
    ck_assert_int_eq(ended.n, 2);
    ck_assert(!j->killed);
    settle(&t, 2000, 3);
    ck_assert_int_eq(ended.kind[2], 3);
    ck_assert_int_eq(ended.status[2], -ETIMEDOUT);
    ck_assert_uint_eq(ended.elapsed[2], 2000);
    ck_assert_uint_eq(xres_jobs_running(&t), 0);

    /* Killed by signal: 128 + the signal. */
    j = xres_jobs_start(&t, "kill -9 $$", 5, 0);
    ck_assert_ptr_nonnull(j);
    settle(&t, 10, 4);
    ck_assert_int_eq(ended.status[3], 128 + 9);

    /* Full: EBUSY, nothing started. */
    for (int i = 0; i < XRES_JOBS_MAX; i++)
        ck_assert_ptr_nonnull(xres_jobs_start(&t, "exit 0", 5, 0));
    errno = 0;
    ck_assert_ptr_null(xres_jobs_start(&t, "exit 0", 5, 0));
    ck_assert_int_eq(errno, EBUSY);
    ended.n = 0;
    settle(&t, 10, XRES_JOBS_MAX > 8 ? 8 : XRES_JOBS_MAX);
    for (int i = 0; i < 500 && xres_jobs_running(&t); i++) {
        ended.n = 0;
        xres_jobs_poll(&t, 10, on_done, NULL);
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    ck_assert_uint_eq(xres_jobs_running(&t), 0);
}
END_TEST

/* --- The I/O helpers against a temporary directory. */

static char tmpdir[64];

static void put(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void setup_tmp(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/xres-agent-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_sys_sample)
{
    char mi[128], st[128], bc[128], bt[128], dc[128], md[128];
    xres_agent_paths p = { mi, st, bc, bt, dc, md };
    xres_agent_sample s;
    xres_cpu_times cpu = { 0 };
    xres_agent_fds fds;

    xres_agent_fds_init(&fds);

    snprintf(mi, sizeof(mi), "%s/meminfo", tmpdir);
    snprintf(st, sizeof(st), "%s/stat", tmpdir);
    snprintf(bc, sizeof(bc), "%s/current_kb", tmpdir);
    snprintf(bt, sizeof(bt), "%s/target_kb", tmpdir);
    snprintf(dc, sizeof(dc), "%s/drop_caches", tmpdir);
    snprintf(md, sizeof(md), "%s/memory", tmpdir);
    put("meminfo", "MemTotal: 1000 kB\nMemAvailable: 400 kB\n"
        "SwapTotal: 0 kB\nSwapFree: 0 kB\n");
    put("stat", "cpu  10 0 0 90 0 0 0 0 0 0\n");
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(xres_agent_sample_read(&p, &fds, &s, &cpu, NULL), 0);
    ck_assert_uint_eq(s.mem_used_kb, 600);
    ck_assert_uint_eq(s.balloon_cur_kb, 0);      /* no balloon files */
    ck_assert(s.balloon_read);
    ck_assert_uint_eq(s.cpu_pct, 0);             /* first reading */
    put("stat", "cpu  30 0 0 150 0 0 0 0 0 0\n");
    put("current_kb", "262144\n");
    put("target_kb", "131072\n");
    ck_assert_int_eq(xres_agent_sample_read(&p, &fds, &s, &cpu, NULL), 0);
    ck_assert_uint_eq(s.cpu_pct, 25);
    ck_assert_uint_eq(s.balloon_cur_kb, 262144);
    ck_assert_uint_eq(s.balloon_target_kb, 131072);
    /* The files stay open: the next reading sees new text in the same
     * files, with no open(). */
    int kept = fds.meminfo;
    ck_assert_int_ge(kept, 0);
    put("meminfo", "MemTotal: 1000 kB\nMemAvailable: 100 kB\n");
    put("current_kb", "131072\n");
    ck_assert_int_eq(xres_agent_sample_read(&p, &fds, &s, &cpu, NULL), 0);
    ck_assert_int_eq(fds.meminfo, kept);
    ck_assert_uint_eq(s.mem_used_kb, 900);
    ck_assert_uint_eq(s.balloon_cur_kb, 131072);

    /* With the last sample given and MemTotal where it was, the balloon
     * figures are that sample's, not read; once MemTotal moves they are
     * read again. */
    xres_agent_sample prev = s;
    put("current_kb", "65536\n");
    put("target_kb", "65536\n");
    ck_assert_int_eq(xres_agent_sample_read(&p, &fds, &s, &cpu, &prev), 0);
    ck_assert(!s.balloon_read);
    ck_assert_uint_eq(s.balloon_cur_kb, 131072);
    ck_assert_uint_eq(s.balloon_target_kb, 131072);
    put("meminfo", "MemTotal: 900 kB\nMemAvailable: 100 kB\n");
    prev = s;
    ck_assert_int_eq(xres_agent_sample_read(&p, &fds, &s, &cpu, &prev), 0);
    ck_assert(s.balloon_read);
    ck_assert_uint_eq(s.mem_used_kb, 800);
    ck_assert_uint_eq(s.balloon_cur_kb, 65536);
    ck_assert_uint_eq(s.balloon_target_kb, 65536);
    xres_agent_fds_dispose(&fds);
    ck_assert_int_eq(fds.meminfo, -1);

    put("drop_caches", "0\n");
    ck_assert_int_eq(xres_agent_drop_caches(&p), 0);
    char buf[16];
    ck_assert_int_eq(xres_agent_read_file(dc, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "3\n");

    unsigned on, bad;
    ck_assert_int_eq(xres_agent_online_memory(&p, &on, &bad), -ENOENT);
    mkdir(md, 0755);
    char d[160];
    snprintf(d, sizeof(d), "%s/memory0", md); mkdir(d, 0755);
    snprintf(d, sizeof(d), "%s/memory1", md); mkdir(d, 0755);
    snprintf(d, sizeof(d), "%s/memory2", md); mkdir(d, 0755);
    put("memory/memory0/state", "online\n");
    put("memory/memory1/state", "offline\n");
    put("memory/memory2/state", "offline\n");
    ck_assert_int_eq(xres_agent_online_memory(&p, &on, &bad), 0);
    ck_assert_uint_eq(on, 2);
    ck_assert_uint_eq(bad, 0);
    snprintf(d, sizeof(d), "%s/memory1/state", md);
    ck_assert_int_eq(xres_agent_read_file(d, buf, sizeof(buf)), 0);
    ck_assert(!strncmp(buf, "online", 6));
}
END_TEST

/* A command run as the agent runs it (agent_job.h), waited for: polled
 * at now_ms (its time limit counts from 0).  Its end's status. */
static int job_status(const char *cmd, unsigned timeout_s, uint64_t now_ms)
{
    xres_jobs t;

    memset(&ended, 0, sizeof(ended));
    xres_jobs_init(&t);
    ck_assert_ptr_nonnull(xres_jobs_start(&t, cmd, timeout_s, 0));
    settle(&t, now_ms, 1);
    ck_assert_int_eq(ended.n, 1);
    return ended.status[0];
}

/* A first check of a pid file, with a watch of its own. */
static bool pidfile_alive(const char *pf)
{
    xres_pid_watch w;
    bool alive;

    xres_pid_watch_init(&w);
    alive = xres_pid_watch_alive(&w, pf);
    xres_pid_watch_dispose(&w);
    return alive;
}

START_TEST(test_sys_status_pidfile)
{
    char pf[128];

    ck_assert_int_eq(job_status("exit 0", 5, 0), 0);
    ck_assert_int_eq(job_status("exit 7", 5, 0), 7);
    ck_assert_int_eq(job_status("kill -9 $$", 5, 0), 128 + 9);
    ck_assert_int_eq(job_status("sleep 10", 1, 1000), -ETIMEDOUT);

    snprintf(pf, sizeof(pf), "%s/app.pid", tmpdir);
    ck_assert(!pidfile_alive(pf));          /* no file */
    char text[32];
    snprintf(text, sizeof(text), "%d\n", (int)getpid());
    put("app.pid", text);
    ck_assert(pidfile_alive(pf));
    put("app.pid", "4194303\n");
    ck_assert(!pidfile_alive(pf));
    put("app.pid", "garbage\n");
    ck_assert(!pidfile_alive(pf));
    put("app.pid", "1\n");                              /* never init */
    ck_assert(!pidfile_alive(pf));
}
END_TEST

/* Commands run at the priority set with xres_job_set_nice (the one the
 * agent was started with), not at the agent's own. */
START_TEST(test_job_nice)
{
    char out[160], cmd[256], buf[64];
    int status;
    errno = 0;
    int mine = getpriority(PRIO_PROCESS, 0);

    ck_assert_int_eq(errno, 0);
    /* The kernel holds niceness at 19, whatever the test's own. */
    int want = mine + 5 > 19 ? 19 : mine + 5;
    /* Lowering one's own priority needs no privilege. */
    ck_assert_int_eq(setpriority(PRIO_PROCESS, 0, mine + 3), 0);
    snprintf(out, sizeof(out), "%s/nice", tmpdir);
    snprintf(cmd, sizeof(cmd), "cut -d' ' -f19 /proc/self/stat >%s", out);
    xres_job_set_nice(mine + 5);
    pid_t pid = xres_job_spawn(cmd);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(xres_job_exit_status(status), 0);
    ck_assert_int_eq(xres_agent_read_file(out, buf, sizeof(buf)), 0);
    ck_assert_int_eq(atoi(buf), want);
    xres_job_set_nice(0);
}
END_TEST

/* The pidfd-held check: alive while the child lives, with its pidfd kept
 * (later checks do not read the pid file: a garbage pid file does not
 * matter until the re-read), ended once the child exits -- a zombie,
 * not yet reaped, counts as ended -- and the pid file read again then. */
START_TEST(test_pid_watch)
{
    char pf[160], text[32];
    xres_pid_watch w;
    int status;

    xres_pid_watch_init(&w);
    snprintf(pf, sizeof(pf), "%s/app.pid", tmpdir);
    ck_assert(!xres_pid_watch_alive(&w, pf));            /* no file */
    ck_assert_int_eq(w.pidfd, -1);

    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        pause();
        _exit(0);
    }
    snprintf(text, sizeof(text), "%d\n", (int)child);
    put("app.pid", text);
    ck_assert(xres_pid_watch_alive(&w, pf));
    ck_assert_int_ge(w.pidfd, 0);
    int held = w.pidfd;
    put("app.pid", "garbage\n");
    for (unsigned i = 1; i < XRES_PIDFILE_REREAD; i++) {
        ck_assert(xres_pid_watch_alive(&w, pf));
        ck_assert_int_eq(w.pidfd, held);
    }
    /* The re-read: the pid file now says nothing. */
    ck_assert(!xres_pid_watch_alive(&w, pf));
    ck_assert_int_eq(w.pidfd, -1);
    put("app.pid", text);
    ck_assert(xres_pid_watch_alive(&w, pf));
    kill(child, SIGKILL);
    /* Wait for it to die without reaping it: a zombie. */
    for (int i = 0; i < 500; i++) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (!waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT | WNOHANG) &&
            si.si_pid == child)
            break;
        usleep(10000);
    }
    ck_assert(!xres_pid_watch_alive(&w, pf));
    ck_assert(!pidfile_alive(pf));
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(!xres_pid_watch_alive(&w, pf));
    xres_pid_watch_dispose(&w);
    ck_assert_int_eq(w.pidfd, -1);
}
END_TEST

Suite *agent_sys_suite(void)
{
    Suite *s = suite_create("agent_sys");
    TCase *tj = tcase_create("jobs");
    TCase *ts = tcase_create("sys");

    tcase_add_test(tj, test_jobs);
    suite_add_tcase(s, tj);
    tcase_add_checked_fixture(ts, setup_tmp, teardown_tmp);
    tcase_add_test(ts, test_sys_sample);
    tcase_add_test(ts, test_sys_status_pidfile);
    tcase_add_test(ts, test_pid_watch);
    tcase_add_test(ts, test_job_nice);
    suite_add_tcase(s, ts);
    return s;
}
