/*
 * guest-agent/agent_sys.c: the agent's reads of /proc and /sys, pid-file
 * checks, drop_caches and memory online.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <stdint.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent_sys.h"

const xres_agent_paths xres_agent_default_paths = {
    .meminfo = "/proc/meminfo",
    .stat = "/proc/stat",
    .balloon_cur = "/sys/devices/system/xen_memory/xen_memory0/info/current_kb",
    .balloon_target = "/sys/devices/system/xen_memory/xen_memory0/target_kb",
    .drop_caches = "/proc/sys/vm/drop_caches",
    .memory_dir = "/sys/devices/system/memory",
};

int xres_agent_read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;

    if (fd < 0) return -errno;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, len - 1 - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = -errno;
            close(fd);
            return e;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    close(fd);
    return 0;
}

int xres_agent_read_u64(const char *path, uint64_t *v)
{
    char buf[32], *end;
    int rc = xres_agent_read_file(path, buf, sizeof(buf));

    if (rc) return rc;
    if (buf[0] < '0' || buf[0] > '9') return -EINVAL;
    *v = strtoull(buf, &end, 10);
    return 0;
}

void xres_agent_fds_init(xres_agent_fds *f)
{
    f->meminfo = f->stat = f->balloon_cur = f->balloon_target = -1;
}

void xres_agent_fds_dispose(xres_agent_fds *f)
{
    int *fds[] = { &f->meminfo, &f->stat, &f->balloon_cur,
                   &f->balloon_target };

    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0) close(*fds[i]);
        *fds[i] = -1;
    }
}

/* One pread() from offset 0 of a kept-open file: /proc and sysfs make
 * the text afresh for a read at offset 0, and every figure the agent
 * wants is in the first len-1 bytes.  Opens the file if *fd is -1;
 * after a failed read it reopens once (a sysfs file can go away with its
 * driver). */
static int pread_kept(int *fd, const char *path, char *buf, size_t len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (*fd < 0) {
            *fd = open(path, O_RDONLY | O_CLOEXEC);
            if (*fd < 0) return -errno;
        }
        ssize_t r;
        do {
            r = pread(*fd, buf, len - 1, 0);
        } while (r < 0 && errno == EINTR);
        if (r >= 0) {
            buf[r] = 0;
            return 0;
        }
        close(*fd);
        *fd = -1;
    }
    return -EIO;
}

static int kept_u64(int *fd, const char *path, uint64_t *v)
{
    char buf[32];
    int rc = pread_kept(fd, path, buf, sizeof(buf));

    if (rc) return rc;
    if (buf[0] < '0' || buf[0] > '9') return -EINVAL;
    *v = strtoull(buf, NULL, 10);
    return 0;
}

int xres_agent_sample_read(const xres_agent_paths *p, xres_agent_fds *f,
                           xres_agent_sample *s, xres_cpu_times *cpu,
                           const xres_agent_sample *prev)
{
    char buf[4096];
    xres_cpu_times now;
    int rc;

    /* MemTotal..SwapFree are in the first lines; 4 KiB holds them. */
    if ((rc = pread_kept(&f->meminfo, p->meminfo, buf, sizeof(buf))))
        return rc;
    if ((rc = xres_agent_parse_meminfo(buf, s))) return rc;
    if (prev && prev->mem_total_kb == s->mem_total_kb) {
        s->balloon_cur_kb = prev->balloon_cur_kb;
        s->balloon_target_kb = prev->balloon_target_kb;
        s->balloon_read = false;
    } else {
        if (kept_u64(&f->balloon_cur, p->balloon_cur, &s->balloon_cur_kb))
            s->balloon_cur_kb = 0;
        if (kept_u64(&f->balloon_target, p->balloon_target,
                     &s->balloon_target_kb))
            s->balloon_target_kb = 0;
        s->balloon_read = true;
    }
    /* The first line of /proc/stat is the sum over all CPUs. */
    if (!pread_kept(&f->stat, p->stat, buf, 256) &&
        !xres_agent_parse_stat(buf, &now)) {
        s->cpu_pct = xres_agent_cpu_pct(cpu, &now);
        *cpu = now;
    }
    return 0;
}

/* The pid a pid file names, or 0 (no file, not a number, init, out of
 * range). */
static long pidfile_pid(const char *path)
{
    char buf[32], *end;
    long pid;

    if (xres_agent_read_file(path, buf, sizeof(buf))) return 0;
    pid = strtol(buf, &end, 10);
    if (end == buf || pid <= 1 || pid > 4194304) return 0;
    return pid;
}

/* Is the process alive and not a zombie (dead, not yet reaped)? */
static bool pid_alive(long pid)
{
    char stat[512], proc[64];

    if (kill((pid_t)pid, 0) && errno != EPERM) return false;
    snprintf(proc, sizeof(proc), "/proc/%ld/stat", pid);
    if (xres_agent_read_file(proc, stat, sizeof(stat))) return false;
    const char *rp = strrchr(stat, ')');
    if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X')) return false;
    return true;
}

void xres_pid_watch_init(xres_pid_watch *w)
{
    w->pidfd = -1;
    w->checks = 0;
}

void xres_pid_watch_dispose(xres_pid_watch *w)
{
    if (w->pidfd >= 0) close(w->pidfd);
    xres_pid_watch_init(w);
}

/* Has the pidfd's process ended (a zombie counts)? */
static bool pidfd_ended(int fd)
{
    struct pollfd pf = { fd, POLLIN, 0 };
    int n;

    do n = poll(&pf, 1, 0); while (n < 0 && errno == EINTR);
    return n != 0;
}

bool xres_pid_watch_alive(xres_pid_watch *w, const char *pidfile)
{
    long pid;
    int fd;

    if (w->pidfd >= 0 && ++w->checks < XRES_PIDFILE_REREAD &&
        !pidfd_ended(w->pidfd))
        return true;
    xres_pid_watch_dispose(w);
    if (!(pid = pidfile_pid(pidfile))) return false;
    /* The pidfd first, then whether it has ended: so it is known to
     * stand for a process that was alive after the pid file was read. */
    fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (fd < 0) {
        if (errno == ESRCH) return false;
        return pid_alive(pid);      /* no pidfds */
    }
    if (pidfd_ended(fd)) {       /* (a pidfd is close-on-exec) */
        close(fd);
        return false;
    }
    w->pidfd = fd;
    return true;
}

int xres_agent_drop_caches(const xres_agent_paths *p)
{
    int fd, rc = 0;

    sync();
    fd = open(p->drop_caches, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (write(fd, "3\n", 2) != 2) rc = -errno;
    close(fd);
    return rc;
}

int xres_agent_online_memory(const xres_agent_paths *p, unsigned *onlined,
                             unsigned *failed)
{
    DIR *d = opendir(p->memory_dir);
    struct dirent *de;
    char path[512], state[32];

    *onlined = *failed = 0;
    if (!d) return -ENOENT;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "memory", 6) || de->d_name[6] < '0' ||
            de->d_name[6] > '9')
            continue;
        snprintf(path, sizeof(path), "%s/%s/state", p->memory_dir,
                 de->d_name);
        if (xres_agent_read_file(path, state, sizeof(state))) continue;
        if (strncmp(state, "offline", 7)) continue;
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && write(fd, "online", 6) == 6) (*onlined)++;
        else (*failed)++;
        if (fd >= 0) close(fd);
    }
    closedir(d);
    return 0;
}

/*
 * The agent is static, and most of its code is glibc's.  The kernel maps
 * a program's code in 64 KiB runs around each page it touches
 * (fault-around), so start-up code that runs once -- the configuration
 * parser, option parsing, XenStore connection set-up -- keeps most of the
 * 900 KiB of code mapped, and counted in VmRSS, for ever.  Dropping the
 * mappings of the code (clean, read-only file pages: nothing is lost, the
 * pages stay in the page cache) once start-up is over leaves mapped only
 * what the main loop touches again.  Measured on the host: VmRSS 990 KiB
 * without, about 690 KiB with.
 */
extern char __executable_start, etext;

void xres_agent_trim(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t s = (uintptr_t)&__executable_start & ~(uintptr_t)(pg - 1);
    uintptr_t e = ((uintptr_t)&etext + (uintptr_t)pg - 1) &
                  ~(uintptr_t)(pg - 1);

    malloc_trim(0);
    if (e > s) (void)madvise((void *)s, e - s, MADV_DONTNEED);
}
