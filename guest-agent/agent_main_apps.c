/*
 * guest-agent/agent_main_apps.c: xres-agent's applications -- health
 * checks, starts and restarts as jobs, what a job's end means -- and the
 * notify socket through which an application sets its fault level.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_main.h"
#include "agent_notify.h"

/* Applications.  Their commands run as jobs (agent_job.h): a check,
 * start, stop or restart never holds up the loop; an application has at
 * most one command running, and is not checked while it has one. */

bool agent_app_changed(const xres_app_state *x, const xres_app_state *y)
{
    return x->level != y->level || x->restarts != y->restarts ||
           xres_app_run_state_of(x) != xres_app_run_state_of(y);
}

xres_job *agent_app_job(agent *a, size_t i)
{
    for (size_t k = 0; k < XRES_JOBS_MAX; k++)
        if (a->jobs.j[k].pid && a->jobs.j[k].app == (int)i)
            return &a->jobs.j[k];
    return NULL;
}

xres_job *agent_job_start(agent *a, const char *cmd, int kind, int app,
                          uint64_t seq)
{
    xres_job *j = xres_jobs_start(&a->jobs, cmd, a->cfg.command_timeout_s,
                                  agent_now_ms());
    if (!j) {
        agent_say(LOG_ERR, "cannot run \"%s\": %s", cmd, strerror(errno));
        return NULL;
    }
    j->kind = kind;
    j->app = app;
    j->seq = seq;
    return j;
}

static void app_start(agent *a, size_t i)
{
    (void)agent_job_start(a, a->cfg.apps[i].start, JOB_START, (int)i, 0);
}

void agent_asks_tick(agent *a, uint64_t t)
{
    for (size_t i = 0; i < a->cfg.napps; i++) {
        if (!a->app[i].asking || t < a->ask_deadline_ms[i]) continue;
        a->app[i].asking = false;
        a->apps_gen++;
        agent_say(LOG_WARNING, "%s: no answer from dom0 to its extension "
                  "within %u s (extension_timeout): starting it",
                  a->cfg.apps[i].name, a->cfg.extension_timeout_s);
        app_start(a, i);
    }
}

/* A health check's result: the fault level moves, and a start or restart
 * may begin. */
static void app_checked(agent *a, size_t i, bool healthy)
{
    const xres_agent_app_cfg *ac = &a->cfg.apps[i];
    xres_app_state before = a->app[i];
    xres_app_action act = xres_app_step(&a->app[i], healthy,
                                        ac->max_restarts);

    if (act == XRES_APP_ACT_START && xres_app_asks_first(ac)) {
        /* Its extension first; dom0 answers "start" once the memory is
         * engaged, or "refuse" (003, routine 110). */
        a->app[i].asking = true;
        a->ask_deadline_ms[i] = agent_now_ms() +
            (uint64_t)a->cfg.extension_timeout_s * 1000;
        agent_say(LOG_INFO, "%s: asking dom0 for its extension of %" PRIu64
                  " KiB before it starts", ac->name, ac->memory_kb);
    } else if (act == XRES_APP_ACT_START) {
        agent_say(LOG_INFO, "starting %s", ac->name);
        app_start(a, i);
    } else if (act == XRES_APP_ACT_RESTART) {
        agent_say(LOG_WARNING, "%s is not healthy: restart %u of %u", ac->name,
                  a->app[i].tries, ac->max_restarts);
        if (ac->stop[0])
            (void)agent_job_start(a, ac->stop, JOB_RESTART_STOP, (int)i, 0);
        else
            app_start(a, i);
    } else if (a->app[i].level != before.level) {
        agent_say(a->app[i].level ? LOG_WARNING : LOG_INFO, "%s: fault level "
                  "%u (was %u)", ac->name, a->app[i].level, before.level);
    }
    if (agent_app_changed(&a->app[i], &before)) a->apps_gen++;
}

static void app_check(agent *a, size_t i)
{
    const xres_agent_app_cfg *ac = &a->cfg.apps[i];

    if (agent_app_job(a, i)) return;      /* busy: check next time */
    if (a->app[i].stopped)
        app_checked(a, i, true);
    else if (ac->pidfile[0])
        app_checked(a, i, xres_pid_watch_alive(&a->pw[i], ac->pidfile));
    else
        (void)agent_job_start(a, ac->check, JOB_CHECK, (int)i, 0);
}

void agent_apps_tick(agent *a)
{
    for (size_t i = 0; i < a->cfg.napps; i++) app_check(a, i);
}

int agent_app_index(agent *a, const char *name)
{
    for (size_t i = 0; i < a->cfg.napps; i++)
        if (!strcmp(a->cfg.apps[i].name, name)) return (int)i;
    return -1;
}

/* A job has ended: what it means depends on what it was for. */
void agent_job_done(void *ctx, xres_job *j, int st, uint64_t elapsed_ms)
{
    agent *a = ctx;
    char ack[XRES_ACK_DETAIL_MAX + 16], msg[XRES_ACK_DETAIL_MAX + 1];
    const xres_agent_app_cfg *ac = j->app >= 0 ? &a->cfg.apps[j->app] : NULL;
    size_t i = j->app >= 0 ? (size_t)j->app : 0;

    if (a->verbose)
        agent_say(LOG_DEBUG, "job %d (pid %d) ended: %d after %" PRIu64 " ms",
                  j->kind, (int)j->pid, st, elapsed_ms);
    switch (j->kind) {
    case JOB_CHECK:
        if (st == -ETIMEDOUT)
            agent_say(LOG_WARNING, "%s: check command timed out", ac->name);
        app_checked(a, i, st == ac->check_status);
        break;
    case JOB_START:
        if (st) agent_say(LOG_WARNING, "%s: start command failed (%d)",
                          ac->name, st);
        break;
    case JOB_RESTART_STOP:
        app_start(a, i);
        break;
    case JOB_REQ_START:
    case JOB_REQ_STOP: {
        bool start = j->kind == JOB_REQ_START;
        xres_app_state before = a->app[i];
        xres_app_request_done(&a->app[i], start, st);
        if (agent_app_changed(&a->app[i], &before)) a->apps_gen++;
        if (st == 0)
            snprintf(msg, sizeof(msg), "%s %s", start ? "started" : "stopped",
                     ac->name);
        else if (st == -ETIMEDOUT)
            snprintf(msg, sizeof(msg), "%s command of %s timed out after %u "
                     "s", start ? "start" : "stop", ac->name,
                     a->cfg.command_timeout_s);
        else
            snprintf(msg, sizeof(msg), "%s command of %s exited %d",
                     start ? "start" : "stop", ac->name, st);
        xres_schema_format_ack(st == 0, msg, ack, sizeof(ack));
        agent_write_ack(a, j->seq, ack);
        break;
    }
    case JOB_REQ_CMD:
        if (j->ack) {
            j->ack(j, st, elapsed_ms, ack, sizeof(ack));
            agent_write_ack(a, j->seq, ack);
        }
        break;
    default:                        /* JOB_DISCARD */
        break;
    }
}

/* --- xres-agent notify. */

int agent_open_socket(agent *a)
{
    return xres_agent_notify_listen(a->cfg.socket, &a->listen_fd);
}

void agent_handle_notify(agent *a)
{
    int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    char line[XRES_AGENT_NOTIFY_MAX + 2], app[XRES_APP_NAME_MAX + 1];
    const char *reply = "ok\n";
    int level;

    if (fd < 0) return;
    reply = xres_agent_notify_read(fd, line, sizeof(line));
    if (reply) goto out;
    reply = "ok\n";
    int rc = xres_agent_parse_notify(line, strlen(line), app, sizeof(app),
                                     &level);
    int idx = rc ? -1 : agent_app_index(a, app);
    if (rc) {
        reply = "error: usage: notify APP LEVEL (LEVEL 0..4)\n";
    } else if (idx < 0) {
        reply = "error: no such application in agent.conf\n";
    } else {
        xres_app_state before = a->app[idx];
        xres_app_notify(&a->app[idx], level);
        agent_say(LOG_INFO, "%s reports fault level %d", app, level);
        app_check(a, (size_t)idx);
        if (agent_app_changed(&a->app[idx], &before)) a->apps_gen++;
    }
out:
    (void)!send(fd, reply, strlen(reply), MSG_NOSIGNAL);
    close(fd);
}

int agent_cmd_notify(const char *sock, const char *app, const char *lvl)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char line[128], reply[128];
    int fd, level;

    snprintf(line, sizeof(line), "notify %s %s\n", app, lvl);
    if (xres_agent_parse_notify(line, strlen(line), reply, sizeof(reply),
                                &level)) {
        fprintf(stderr, "xres-agent notify: APP must be [a-z][a-z0-9_]* and "
                "LEVEL 0..4\n");
        return 2;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        fprintf(stderr, "xres-agent notify: cannot reach the agent at %s: "
                "%s\n", sock, strerror(errno));
        return 1;
    }
    if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
        fprintf(stderr, "xres-agent notify: %s\n", strerror(errno));
        return 1;
    }
    ssize_t n = recv(fd, reply, sizeof(reply) - 1, 0);
    close(fd);
    if (n <= 0) {
        fprintf(stderr, "xres-agent notify: no answer from the agent\n");
        return 1;
    }
    reply[n] = 0;
    if (strncmp(reply, "ok", 2)) {
        fprintf(stderr, "xres-agent notify: %s", reply);
        return 1;
    }
    return 0;
}

