/*
 * tests/guest/xshostile.c: a hostile guest program for the system tests.
 * It writes to its own domain's XenStore keys the way a compromised or
 * buggy guest could, through /dev/xen/xenbus (tests/guest/xswire.h), while
 * xresd works.  The agent is not involved: a test stops it first where the
 * agent would write over what this program writes.
 *
 * usage:
 *   xshostile flood N KEY...     N writes spread over the KEYs (relative
 *                                paths such as data/xres/report): garbage,
 *                                oversized values and well-formed-looking
 *                                ones in turn; prints how many were taken
 *   xshostile acks N             N acks data/xres/ack/<seq> for requests
 *                                dom0 never sent ("ok forged"), then
 *                                removes them
 *   xshostile rm KEY...          deletes the KEYs (its own)
 *   xshostile fill               writes data/xshostile/<i> until XenStore
 *                                refuses (the guest's quota); prints the
 *                                count and the error
 *   xshostile unfill             removes data/xshostile
 *   xshostile lie starving|idle SECONDS
 *                                every 500 ms, a well-formed report that
 *                                says all memory is used (starving) or
 *                                none (idle), with the guest's real
 *                                MemTotal and balloon figures
 * Exit status: 0 done, 1 a write the mode needs failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "xswire.h"

static uint32_t req_id;

static int open_bus(void)
{
    int fd = open("/dev/xen/xenbus", O_RDWR);
    if (fd < 0) perror("xshostile: /dev/xen/xenbus");
    return fd;
}

static int num(const char *s, unsigned long *v)
{
    char *end;
    errno = 0;
    *v = strtoul(s, &end, 10);
    return (errno || end == s || *end || s[0] == '-') ? -1 : 0;
}

static int flood(int fd, unsigned long n, char **keys, int nkeys)
{
    static char big[XENSTORE_PAYLOAD_MAX];
    unsigned long ok = 0;
    char val[96];

    memset(big, '9', sizeof(big) - 64);
    big[sizeof(big) - 64] = '\0';
    for (unsigned long i = 0; i < n; i++) {
        const char *v = val;
        switch (i % 4) {
        case 0: snprintf(val, sizeof(val), "seq=%lu x", i + 1); break;
        case 1: v = big; break;
        case 2: snprintf(val, sizeof(val), "\xff\xfe%lu", i); break;
        default:
            snprintf(val, sizeof(val), "seq=%lu version=h heartbeat=%lu "
                     "heartbeat-interval=1 mem-total=-1", i + 1, i);
        }
        if (xsw_write(fd, req_id++, keys[i % (unsigned long)nkeys], v) == 0)
            ok++;
    }
    printf("xshostile: %lu of %lu writes taken\n", ok, n);
    return 0;
}

static int acks(int fd, unsigned long n)
{
    char path[64];
    unsigned long ok = 0;

    for (unsigned long i = 0; i < n; i++) {
        /* Sequence numbers dom0 has not used: far ahead, and zero. */
        snprintf(path, sizeof(path), "data/xres/ack/%lu",
                 i == 0 ? 0 : 1000000 + i * 7919);
        if (xsw_write(fd, req_id++, path, "ok forged") == 0) ok++;
    }
    for (unsigned long i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "data/xres/ack/%lu",
                 i == 0 ? 0 : 1000000 + i * 7919);
        xsw_rm(fd, req_id++, path);
    }
    printf("xshostile: %lu of %lu forged acks taken\n", ok, n);
    return 0;
}

static int fill(int fd)
{
    char path[64];
    unsigned long i;
    int rc = 0;

    for (i = 0; i < 1000000; i++) {
        snprintf(path, sizeof(path), "data/xshostile/%lu", i);
        rc = xsw_write(fd, req_id++, path, "0123456789abcdef0123456789abcdef");
        if (rc) break;
    }
    printf("xshostile: filled %lu entries; refused: %s\n", i,
           rc ? strerror(rc) : "never");
    return rc ? 0 : 1;
}

/* A /proc/meminfo or sysfs figure in KiB, 0 if missing. */
static unsigned long long file_kb(const char *path, const char *key)
{
    char line[256];
    unsigned long long v = 0;
    FILE *f = fopen(path, "r");

    if (!f) return 0;
    while (fgets(line, sizeof(line), f)) {
        if (!key) { v = strtoull(line, NULL, 10); break; }
        if (!strncmp(line, key, strlen(key))) {
            v = strtoull(line + strlen(key), NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static int lie(int fd, int starving, unsigned long seconds)
{
    const char *bal = "/sys/devices/system/xen_memory/xen_memory0";
    char path[160], val[400], cur[512];
    unsigned long long seq = 0;
    struct timespec ts;

    /* Go on from the agent's last sequence number, as a guest that took
     * over its agent would. */
    if (xsw_read(fd, req_id++, "data/xres/report", cur, sizeof(cur)) == 0 &&
        !strncmp(cur, "seq=", 4))
        seq = strtoull(cur + 4, NULL, 10);
    for (unsigned long k = 0; k < seconds * 2; k++) {
        unsigned long long total = file_kb("/proc/meminfo", "MemTotal:");
        unsigned long long used = starving ? total : 0, bcur, btgt;
        snprintf(path, sizeof(path), "%s/info/current_kb", bal);
        bcur = file_kb(path, NULL);
        snprintf(path, sizeof(path), "%s/target_kb", bal);
        btgt = file_kb(path, NULL);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(val, sizeof(val),
                 "seq=%llu version=lie heartbeat=%llu heartbeat-interval=1 "
                 "mem-total=%llu mem-avail=%llu mem-used=%llu swap-used=0 "
                 "balloon-cur=%llu balloon-target=%llu cpu-pct=%u",
                 ++seq, (unsigned long long)ts.tv_sec * 1000 +
                 (unsigned long long)ts.tv_nsec / 1000000, total,
                 total - used, used, bcur, btgt, starving ? 100u : 0u);
        if (xsw_write(fd, req_id++, "data/xres/report", val)) {
            fprintf(stderr, "xshostile: report write refused\n");
            return 1;
        }
        usleep(500000);
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: xshostile flood N KEY... | acks N | rm KEY... | fill | "
            "unfill | lie starving|idle SECONDS\n");
}

int main(int argc, char **argv)
{
    unsigned long n = 0;
    int fd, rc = 2;

    if (argc < 2 || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    fd = open_bus();
    if (fd < 0) return 1;
    if (!strcmp(argv[1], "flood") && argc >= 4 && !num(argv[2], &n))
        rc = flood(fd, n, argv + 3, argc - 3);
    else if (!strcmp(argv[1], "acks") && argc == 3 && !num(argv[2], &n))
        rc = acks(fd, n);
    else if (!strcmp(argv[1], "rm") && argc >= 3) {
        rc = 0;
        for (int i = 2; i < argc; i++)
            if (xsw_rm(fd, req_id++, argv[i])) rc = 1;
    } else if (!strcmp(argv[1], "fill") && argc == 2)
        rc = fill(fd);
    else if (!strcmp(argv[1], "unfill") && argc == 2)
        rc = xsw_rm(fd, req_id++, "data/xshostile") ? 1 : 0;
    else if (!strcmp(argv[1], "lie") && argc == 4 && !num(argv[3], &n) &&
             (!strcmp(argv[2], "starving") || !strcmp(argv[2], "idle")))
        rc = lie(fd, !strcmp(argv[2], "starving"), n);
    if (rc == 2) usage(stderr);
    close(fd);
    return rc;
}
