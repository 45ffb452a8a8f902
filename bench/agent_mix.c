/*
 * bench/agent_mix.c: a fixed mix of the system calls a guest agent makes,
 * timed, so that a figure measured inside the emulated (TCG) test bed can
 * be set against the same work on the host.  Runs N rounds of getppid()
 * plus one pread() of a kept-open /proc/meminfo (the brief's fixed mix),
 * then the other reads a report makes (/proc/stat, the balloon's
 * current_kb, /proc/uptime), the clocks, and a sleep and wake-up, and
 * prints the CPU and wall time per operation.  Built
 * static into build/guest/ so the test bed's guests have it.  Prints
 * figures; asserts nothing.
 *
 * usage: agent_mix [ROUNDS]     (default 20000)
 *        agent_mix --idle SECONDS
 *   the second form only sleeps in poll() for a second at a time, as an
 *   agent with nothing to do would, so that bench/agent_footprint.sh
 *   --spawn can measure what the wake-ups alone cost.
 */
#include <poll.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

typedef struct {
    uint64_t w0, c0;
} stamp;

static stamp start(void)
{
    return (stamp){ ns(CLOCK_MONOTONIC), ns(CLOCK_PROCESS_CPUTIME_ID) };
}

static void done(const char *what, stamp s, long n)
{
    double w = (double)(ns(CLOCK_MONOTONIC) - s.w0) / (double)n;
    double c = (double)(ns(CLOCK_PROCESS_CPUTIME_ID) - s.c0) / (double)n;
    printf("%-34s %8ld ops  cpu %10.0f ns/op  wall %10.0f ns/op\n", what, n,
           c, w);
}

static long reads(const char *path, long n, size_t len)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    long ok = 0;

    if (fd < 0) return -1;
    for (long i = 0; i < n; i++) ok += pread(fd, buf, len, 0) > 0;
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    static char buf[4096];
    volatile long sink = 0;
    int fd;

    if (argc == 3 && !strcmp(argv[1], "--idle")) {
        long secs = strtol(argv[2], NULL, 10);
        for (long i = 0; i < secs; i++) poll(NULL, 0, 1000);
        return 0;
    }
    if (n <= 0) {
        fprintf(stderr, "usage: agent_mix [ROUNDS] | agent_mix --idle SECONDS\n");
        return 2;
    }
    fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror("agent_mix: /proc/meminfo");
        return 1;
    }
    stamp s = start();
    for (long i = 0; i < n; i++) {
        sink += getppid();
        sink += pread(fd, buf, sizeof(buf) - 1, 0);
    }
    done("mix: getppid + pread meminfo", s, n);
    close(fd);

    s = start();
    for (long i = 0; i < n; i++) sink += getppid();
    done("getppid", s, n);

    s = start();
    if (reads("/proc/meminfo", n / 4, 4095) > 0)
        done("pread /proc/meminfo (4 KiB)", s, n / 4);
    s = start();
    if (reads("/proc/stat", n / 4, 255) > 0)
        done("pread /proc/stat (256 B)", s, n / 4);
    s = start();
    if (reads("/sys/devices/system/xen_memory/xen_memory0/info/current_kb",
              n / 4, 31) > 0)
        done("pread balloon current_kb", s, n / 4);
    s = start();
    if (reads("/proc/uptime", n / 4, 63) > 0)
        done("pread /proc/uptime", s, n / 4);

    /* Clocks: the fine one may be a system call (a clocksource without
     * vDSO support), the coarse one is read in the vDSO. */
    struct timespec ts;
    s = start();
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sink += ts.tv_nsec;
    }
    done("clock_gettime MONOTONIC", s, n);
    s = start();
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        sink += ts.tv_nsec;
    }
    done("clock_gettime MONOTONIC_COARSE", s, n);

    /* A sleep and a wake-up, as the agent's poll() timeout makes one
     * every second: its CPU time is what a wake-up costs. */
    s = start();
    for (long i = 0; i < n / 20; i++) {
        struct timespec d = { 0, 2 * 1000 * 1000 };
        nanosleep(&d, NULL);
    }
    done("nanosleep 2 ms (a wake-up)", s, n / 20);
    (void)sink;
    return 0;
}
