/*
 * dom0/daemon/xresd_main.c: entry point of xresd, the xres daemon: options,
 * logging, daemonizing with a pid file, and the choice of backend (libxl,
 * or the simulator with --simulate).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_sim.h"
#include "daemon.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xresd [OPTIONS]\n"
            "\n"
            "The xres daemon: manages the memory and CPU of Xen domains.\n"
            "\n"
            "  -F, --foreground        stay in the foreground, log to stderr "
            "too\n"
            "  -c, --config FILE       configuration (default %s;\n"
            "                          a missing default file is fine)\n"
            "  -s, --socket PATH       control socket (default: the "
            "configuration's, %s)\n"
            "  -p, --pidfile FILE      pid file when daemonized (default "
            "%s)\n"
            "      --simulate [FILE]   run on a simulated Xen host (scenario "
            "FILE in\n"
            "                          xl.cfg syntax, or a built-in one)\n"
            "  -v, --verbose           log debug messages\n"
            "  -h, --help              this help\n"
            "  -V, --version           print the version\n",
            XRES_CONF_DEFAULT, XRES_SOCKET_DEFAULT, XRES_PIDFILE_DEFAULT);
}

/* Forks; the parent waits until the child reports that it started, then
 * exits with the child's verdict.  Returns the pipe the child reports
 * on. */
static int daemonize(void)
{
    int p[2];
    pid_t pid;
    char c = '1';

    if (pipe2(p, O_CLOEXEC) < 0) {
        XLOG_ERR("pipe: %s", strerror(errno));
        exit(1);
    }
    pid = fork();
    if (pid < 0) {
        XLOG_ERR("fork: %s", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        close(p[1]);
        if (read(p[0], &c, 1) != 1) c = '1';
        _exit(c == '0' ? 0 : 1);
    }
    close(p[0]);
    if (setsid() < 0) XLOG_WARN("setsid: %s", strerror(errno));
    if (chdir("/") < 0) {}
    return p[1];
}

static int write_pidfile(const char *path)
{
    char buf[32], dir[256];
    char *slash;
    int fd, n;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -errno;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, n) != n) { close(fd); return -EIO; }
    return close(fd) < 0 ? -errno : 0;
}

static void detach_stdio(void)
{
    int fd = open("/dev/null", O_RDWR);

    if (fd < 0) return;
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
}

int main(int argc, char **argv)
{
    enum { OPT_SIMULATE = 256 };
    static const struct option opts[] = {
        { "foreground", no_argument, NULL, 'F' },
        { "config", required_argument, NULL, 'c' },
        { "socket", required_argument, NULL, 's' },
        { "pidfile", required_argument, NULL, 'p' },
        { "simulate", no_argument, NULL, OPT_SIMULATE },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *sock = NULL, *scenario = NULL;
    const char *pidfile = XRES_PIDFILE_DEFAULT;
    bool foreground = false, simulate = false, verbose = false;
    xres_backend be = { 0 };
    xres_daemon d;
    xres_daemon_opts dopts = { 0 };
    char err[512];
    int opt, rc, report_fd = -1;

    while ((opt = getopt_long(argc, argv, "Fc:s:p:vhV", opts, NULL)) != -1) {
        switch (opt) {
        case 'F': foreground = true; break;
        case 'c': config = optarg; break;
        case 's': sock = optarg; break;
        case 'p': pidfile = optarg; break;
        case 'v': verbose = true; break;
        case OPT_SIMULATE:
            simulate = true;
            /* An optional argument that may follow after a space. */
            if (optind < argc && argv[optind][0] != '-')
                scenario = argv[optind++];
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("xresd %s\n", XRES_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "xresd: unexpected argument `%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    /* Until start-up is over, errors go to the terminal as well. */
    xres_log_open("xresd", true, true);
    xres_log_set_level(verbose ? LOG_DEBUG : LOG_INFO);

    memset(&d, 0, sizeof(d));
    rc = xres_daemon_load_config(&d, config ? config : XRES_CONF_DEFAULT,
                                 !config, err, sizeof(err));
    if (rc) {
        XLOG_ERR("%s", err);
        XLOG_ERR("not starting: bad configuration");
        return 1;
    }

    if (!foreground) report_fd = daemonize();

    if (simulate) {
        rc = xres_sim_open_scenario(&be, scenario, err, sizeof(err));
        if (rc) XLOG_ERR("%s", err);
    } else {
        rc = xres_backend_xen_open(&be);
    }
    if (rc) {
        XLOG_ERR("not starting: no backend");
        xres_config_dispose(&d.cfg);
        free(d.config_path);
        return 1;
    }

    dopts.socket_path = sock;
    dopts.use_signals = true;
    if (simulate) {
        /* The simulated host keeps time with the wall clock, and xresd
         * runs on the simulated host's clock. */
        rc = xres_sim_follow(&be, xres_clock_monotonic());
        if (rc) {
            XLOG_ERR("simulated host: cannot follow the clock: %s",
                     strerror(-rc));
            xres_backend_dispose(&be);
            return 1;
        }
        dopts.clock = xres_sim_clock(&be);
    }
    rc = xres_daemon_init(&d, &be, &dopts);
    if (rc) {
        xres_backend_dispose(&be);
        return 1;
    }
    if (!foreground) {
        rc = write_pidfile(pidfile);
        if (rc) XLOG_WARN("cannot write %s: %s", pidfile, strerror(-rc));
        xres_log_open("xresd", true, false);
        detach_stdio();
        if (write(report_fd, "0", 1) < 0) {}
        close(report_fd);
    }

    rc = xres_daemon_run(&d);
    xres_daemon_dispose(&d);
    xres_backend_dispose(&be);
    if (!foreground) unlink(pidfile);
    XLOG_INFO("stopped");
    return rc ? 1 : 0;
}
