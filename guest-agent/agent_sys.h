/*
 * guest-agent/agent_sys.h: what the agent reads from and does to the
 * guest: /proc and /sys figures, pid files, dropping caches and bringing
 * memory online.
 */
#ifndef XRES_AGENT_SYS_H
#define XRES_AGENT_SYS_H

#include "agent.h"

/* Where the agent looks; tests point these elsewhere. */
typedef struct {
    const char *meminfo;        /* /proc/meminfo */
    const char *stat;           /* /proc/stat */
    const char *balloon_cur;    /* .../xen_memory0/info/current_kb */
    const char *balloon_target; /* .../xen_memory0/target_kb */
    const char *drop_caches;    /* /proc/sys/vm/drop_caches */
    const char *memory_dir;     /* /sys/devices/system/memory */
} xres_agent_paths;

extern const xres_agent_paths xres_agent_default_paths;

/* Reads up to len-1 bytes of a small file; 0 or -errno. */
int xres_agent_read_file(const char *path, char *buf, size_t len);
/* Reads one decimal number from a file. */
int xres_agent_read_u64(const char *path, uint64_t *v);

/* The files read on every report, kept open: each report costs one
 * pread() per file and no open() or close().  -1: not open (yet). */
typedef struct {
    int meminfo, stat, balloon_cur, balloon_target;
} xres_agent_fds;

void xres_agent_fds_init(xres_agent_fds *f);
void xres_agent_fds_dispose(xres_agent_fds *f);

/* Fills the memory and balloon figures (balloon 0 if there is no driver)
 * and the CPU share against *cpu, which it updates.  Opens what f does
 * not hold yet, and reopens a file whose read fails.  prev: the last
 * sample; when its MemTotal is the same, its balloon figures are kept
 * instead of read (s->balloon_read false).  NULL: read them. */
int xres_agent_sample_read(const xres_agent_paths *p, xres_agent_fds *f,
                           xres_agent_sample *s, xres_cpu_times *cpu,
                           const xres_agent_sample *prev);

/* A pid file's process, held through a pidfd once it was seen alive, so
 * that a check is one poll() on it; the pid file is read again when the
 * process ended, and every XRES_PIDFILE_REREAD checks in case it names
 * another process now.  Without pidfds (a kernel before 5.3) every check
 * reads the pid file and looks the process up in /proc. */
#define XRES_PIDFILE_REREAD 12
typedef struct {
    int pidfd;                  /* -1: none */
    unsigned checks;            /* since the pid file was last read */
} xres_pid_watch;

void xres_pid_watch_init(xres_pid_watch *w);
void xres_pid_watch_dispose(xres_pid_watch *w);
bool xres_pid_watch_alive(xres_pid_watch *w, const char *pidfile);

int xres_agent_drop_caches(const xres_agent_paths *p);
/* Writes "online" to every memoryN/state that says "offline"; *onlined,
 * *failed count the blocks.  0, or -ENOENT when there is no memory
 * hotplug directory. */
int xres_agent_online_memory(const xres_agent_paths *p, unsigned *onlined,
                             unsigned *failed);

/* Once start-up is over: returns the heap's free memory to the kernel
 * and drops the mappings of the program's code pages, so that only what
 * the main loop touches is mapped again (see agent_sys.c). */
void xres_agent_trim(void);

#endif
