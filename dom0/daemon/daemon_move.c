/*
 * dom0/daemon/daemon_move.c: moving domains between the hosts of the
 * cluster, always through Pacemaker (docs/xres-cluster.md, "Moving a
 * domain").  It keeps Pacemaker's resource table (read every
 * crm_refresh_ticks ticks with `xres-crm resources`), keeps Pacemaker's
 * utilization at the measured figures, checks a move (cluster_move.h),
 * and runs it with `xres-crm move`, which asks Pacemaker with
 * `crm_resource --move` and waits until Pacemaker runs the domain on the
 * destination.  One helper process at a time, read without blocking
 * (crm.h); a move asked while a listing runs starts when it ends.
 *
 * A kill of xresd during a move leaves the move to Pacemaker: the helper
 * finishes it, and the next xresd sees the domain where it is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_cluster.h"
#include "crm.h"
#include "daemon_cluster.h"
#include "ipc.h"
#include "log.h"
#include "pair_priv.h"

#define MV_JOBS_MAX 8

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_DONE, JOB_FAILED } job_state;

static const char *const job_state_names[] = {
    "waiting", "running", "done", "failed",
};

typedef struct {
    unsigned id;
    job_state state;
    char dom[XRES_CLUSTER_NAME_MAX], host[XRES_CLUSTER_NAME_MAX];
    xres_move_plan plan;
    uint64_t start_ms, end_ms;
    char result[256];
} mv_job;

typedef struct {
    xres_cluster_params p;
    xres_crm crm;
    xres_crm_resources res;
    bool have_res;
    uint64_t res_ms;
    char res_err[256];
    unsigned refresh_in;
    mv_job jobs[MV_JOBS_MAX];   /* the newest last */
    unsigned njobs, next_id;
    char util_sent[512];        /* the last utilization arguments */
} mv_state;

static mv_state *MV(xres_daemon *d)
{
    return xres_daemon_priv(d, &xres_subsys_move);
}

static mv_job *job_find(mv_state *st, unsigned id)
{
    for (unsigned i = 0; i < st->njobs; i++)
        if (st->jobs[i].id == id) return &st->jobs[i];
    return NULL;
}

static mv_job *job_live(mv_state *st)
{
    for (unsigned i = 0; i < st->njobs; i++)
        if (st->jobs[i].state <= JOB_RUNNING) return &st->jobs[i];
    return NULL;
}

static void job_end(xres_daemon *d, mv_job *j, bool ok, const char *what)
{
    j->state = ok ? JOB_DONE : JOB_FAILED;
    j->end_ms = xres_daemon_now_ms(d);
    snprintf(j->result, sizeof(j->result), "%s", what);
    xres_log(ok ? LOG_NOTICE : LOG_WARNING, "move %u: %s to %s %s after "
             "%" PRIu64 " ms: %s", j->id, j->dom, j->host,
             ok ? "done" : "failed", j->end_ms - j->start_ms, what);
}

/*----- the helper's requests -----*/

static void start_move(xres_daemon *d, mv_state *st, mv_job *j)
{
    char tmo[16];
    const char *argv[] = {
        "move", j->plan.res.id, j->host,
        j->plan.method == XRES_MOVE_SAVE ? "save" : "live", tmo, NULL,
    };
    int rc;

    snprintf(tmo, sizeof(tmo), "%u", st->p.move_timeout_s);
    if ((rc = xres_crm_start(&st->crm, argv))) {
        char why[128];
        snprintf(why, sizeof(why), "cannot run %.80s: %s", st->crm.path,
                 strerror(-rc));
        job_end(d, j, false, why);
        return;
    }
    j->state = JOB_RUNNING;
}

/* Pacemaker's utilization from this host's figures: the node's capacity
 * (CPU in % of one CPU, memory for domains in MiB: all but dom0's) and
 * each resource's measured use, when they changed. */
static void start_utilization(mv_state *st, const xres_cluster_view *v)
{
    const xres_cluster_member *self = xres_cview_find(v, v->self);
    const xres_cluster_figures *f = self && self->have_fig ? self->fig : NULL;
    static char num[3 * XRES_CRM_ARGS_MAX][24];
    const char *argv[XRES_CRM_ARGS_MAX + 1];
    char sent[sizeof(st->util_sent)];
    uint64_t dom0_kb = 0;
    size_t n = 0, k = 0, used = 0;

    if (!f) return;
    for (size_t i = 0; i < f->ndoms; i++)
        if (f->doms[i].domid == 0) dom0_kb = f->doms[i].mem_kb;
    argv[n++] = "utilization";
    snprintf(num[k], sizeof(num[k]), "%u", f->nr_cpus * 100);
    argv[n++] = num[k++];
    snprintf(num[k], sizeof(num[k]), "%" PRIu64,
             (f->mem_total_kb - dom0_kb) / 1024);
    argv[n++] = num[k++];
    for (size_t i = 0; i < f->ndoms && n + 3 < XRES_CRM_ARGS_MAX; i++) {
        const xres_crm_resource *r =
            xres_crm_find_domain(&st->res, f->doms[i].name);
        unsigned cpu = f->doms[i].cpu_pct;
        if (!r || f->doms[i].domid == 0) continue;
        /* Steps of 10 % and 16 MiB: no CIB write for noise. */
        cpu = (cpu + 9) / 10 * 10;
        argv[n++] = r->id;
        snprintf(num[k], sizeof(num[k]), "%u", cpu ? cpu : 1);
        argv[n++] = num[k++];
        snprintf(num[k], sizeof(num[k]), "%" PRIu64,
                 (f->doms[i].mem_kb / 1024 + 15) / 16 * 16);
        argv[n++] = num[k++];
    }
    argv[n] = NULL;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(sent + used, used < sizeof(sent)
                                 ? sizeof(sent) - used : 0, "%s ", argv[i]);
    if (used < sizeof(sent) && !strcmp(sent, st->util_sent)) return;
    if (!xres_crm_start(&st->crm, argv))
        snprintf(st->util_sent, sizeof(st->util_sent), "%s",
                 used < sizeof(sent) ? sent : "");
}

/* The next request: a waiting move first, else a due listing, else the
 * utilization. */
static void crm_next(xres_daemon *d, mv_state *st)
{
    const xres_cluster_view *v = xres_daemon_cluster_view(d);
    mv_job *j = job_live(st);
    const char *list[] = { "resources", NULL };

    if (!v || xres_crm_busy(&st->crm)) return;
    if (j && j->state == JOB_WAITING) {
        start_move(d, st, j);
        return;
    }
    if (!st->refresh_in) {
        if (!xres_crm_start(&st->crm, list))
            st->refresh_in = st->p.refresh_ticks;
        return;
    }
    if (st->p.utilization && st->have_res) start_utilization(st, v);
}

static void crm_ended(xres_daemon *d, mv_state *st, int status)
{
    char line[256];
    mv_job *j;

    xres_crm_last_line(st->crm.out, line, sizeof(line));
    if (status == 127)
        snprintf(line, sizeof(line), "cannot run %.200s", st->crm.path);
    if (!strcmp(st->crm.what, "resources")) {
        xres_crm_resources t;
        if (!status && !xres_crm_parse_resources(st->crm.out, &t, line,
                                                 sizeof(line))) {
            if (!st->have_res || st->res_err[0])
                XLOG_INFO("pacemaker: %zu domain resources", t.n);
            st->res = t;
            st->have_res = true;
            st->res_ms = xres_daemon_now_ms(d);
            st->res_err[0] = '\0';
        } else if (strcmp(st->res_err, line)) {
            XLOG_WARN("pacemaker: cannot list resources: %s", line);
            snprintf(st->res_err, sizeof(st->res_err), "%s", line);
        }
    } else if (!strcmp(st->crm.what, "move") &&
               (j = job_live(st)) && j->state == JOB_RUNNING) {
        if (status)
            job_end(d, j, false, line);
        else if (xres_host_find_name(&d->host, j->dom))
            job_end(d, j, false, "Pacemaker runs it on the destination, "
                    "but it still runs here");
        else
            job_end(d, j, true, line);
        st->refresh_in = 0;     /* read where everything is now */
    } else if (status) {
        XLOG_WARN("pacemaker: %s: %s", st->crm.what, line);
        st->util_sent[0] = '\0';
    }
}

/*----- moves -----*/

static const char *pair_name(xres_daemon *d, const char *dom)
{
    const xres_domain *x = xres_host_find_name(&d->host, dom);
    const xres_pair *p = x && xres_daemon_priv(d, &xres_subsys_pair)
                         ? pair_of_domain(d, x->domid) : NULL;

    return p ? p->name : NULL;
}

int xres_daemon_cluster_move(xres_daemon *d, const char *dom,
                             const char *host, xres_move_method method,
                             bool dry_run, const char *why,
                             xres_move_plan *plan, unsigned *job,
                             char *err, size_t errlen)
{
    mv_state *st = MV(d);
    xres_move_req req = { dom, host, method, NULL };
    xres_move_plan pl;
    mv_job *j;
    int rc;

    if (!st) return -ENODEV;
    if ((j = job_live(st))) {
        snprintf(err, errlen, "move %u (%s to %s) is under way", j->id,
                 j->dom, j->host);
        return -EBUSY;
    }
    req.pair = pair_name(d, dom);
    if ((rc = xres_move_check(xres_daemon_cluster_view(d),
                              st->have_res ? &st->res : NULL, &req, &pl))) {
        snprintf(err, errlen, "%s", pl.reason);
        return rc;
    }
    if (plan) *plan = pl;
    if (dry_run) return 0;
    if (st->njobs == MV_JOBS_MAX)
        memmove(st->jobs, st->jobs + 1, --st->njobs * sizeof(*st->jobs));
    j = &st->jobs[st->njobs++];
    memset(j, 0, sizeof(*j));
    j->id = ++st->next_id;
    j->state = JOB_WAITING;
    snprintf(j->dom, sizeof(j->dom), "%s", dom);
    snprintf(j->host, sizeof(j->host), "%s", host);
    j->plan = pl;
    j->start_ms = xres_daemon_now_ms(d);
    if (job) *job = j->id;
    xres_log(LOG_NOTICE, "move %u: %s (domain %u, %" PRIu64 " MiB, %u%% CPU) "
             "to %s (%" PRIu64 " MiB free, %u%% CPU allocable), %s, through "
             "Pacemaker resource %s; asked by %s", j->id, dom, pl.domid,
             (pl.need_kb - XRES_MOVE_SLACK_KB) / 1024, pl.need_cpu_pct, host,
             pl.dest_free_kb / 1024, pl.dest_cpu_pct,
             xres_move_method_name(pl.method), pl.res.id, why);
    crm_next(d, st);
    return 0;
}

bool xres_daemon_cluster_moving(xres_daemon *d, const char *dom)
{
    mv_state *st = MV(d);
    mv_job *j = st ? job_live(st) : NULL;

    return j && (!dom || !strcmp(j->dom, dom));
}

int xres_daemon_cluster_move_result(xres_daemon *d, unsigned job)
{
    mv_state *st = MV(d);
    const mv_job *j = st ? job_find(st, job) : NULL;

    if (!j) return -ENOENT;
    if (j->state <= JOB_RUNNING) return -EINPROGRESS;
    return j->state == JOB_DONE ? 0 : -EIO;
}

const xres_crm_resource *xres_daemon_cluster_resource(xres_daemon *d,
                                                      const char *dom)
{
    mv_state *st = MV(d);

    return st && st->have_res ? xres_crm_find_domain(&st->res, dom) : NULL;
}

bool xres_daemon_cluster_resources_known(xres_daemon *d)
{
    mv_state *st = MV(d);

    return st && st->have_res;
}

/*----- hooks -----*/

static int move_init(xres_daemon *d)
{
    mv_state *st = calloc(1, sizeof(*st));
    char err[256];
    int rc;

    if (!st) return -ENOMEM;
    if ((rc = xres_cluster_params_from_config(&d->cfg, &st->p, err,
                                              sizeof(err)))) {
        XLOG_ERR("%s", err);
        free(st);
        return rc;
    }
    xres_crm_init(&st->crm, d->opts.crm_path);
    if ((rc = xres_daemon_set_priv(d, &xres_subsys_move, st))) {
        free(st);
        return rc;
    }
    return 0;
}

static void move_dispose(xres_daemon *d)
{
    mv_state *st = MV(d);

    if (!st) return;
    xres_crm_dispose(&st->crm);
    free(st);
    xres_daemon_set_priv(d, &xres_subsys_move, NULL);
}

static void move_reload(xres_daemon *d)
{
    mv_state *st = MV(d);
    xres_cluster_params p;
    char err[256];

    if (st && !xres_cluster_params_from_config(&d->cfg, &p, err,
                                               sizeof(err)))
        st->p = p;
}

static void move_tick(xres_daemon *d)
{
    mv_state *st = MV(d);

    if (!st || !xres_daemon_cluster_view(d)) return;
    if (st->refresh_in) st->refresh_in--;
    crm_next(d, st);
}

static unsigned move_poll_fds(xres_daemon *d, int *fds, unsigned max)
{
    mv_state *st = MV(d);
    int fd = st ? xres_crm_fd(&st->crm) : -1;

    if (fd < 0 || !max) return 0;
    fds[0] = fd;
    return 1;
}

static void move_on_fd(xres_daemon *d, int fd)
{
    mv_state *st = MV(d);
    int status = 0, rc;

    (void)fd;
    if (!st || (rc = xres_crm_poll(&st->crm, &status)) == 0) return;
    if (rc < 0) {
        XLOG_WARN("pacemaker: %s: %s", st->crm.what, strerror(-rc));
        status = 1;
        snprintf(st->crm.out, sizeof(st->crm.out), "%s", strerror(-rc));
    }
    crm_ended(d, st, status);
    crm_next(d, st);
}

/*----- commands -----*/

static void plan_json(yajl_gen g, const xres_move_plan *p)
{
    xres_json_kv_str(g, "method", xres_move_method_name(p->method));
    xres_json_kv_str(g, "resource", p->res.id);
    xres_json_kv_str(g, "agent", p->res.agent);
    xres_json_kv_u64(g, "domid", p->domid);
    xres_json_kv_u64(g, "need_kb", p->need_kb);
    xres_json_kv_u64(g, "dest_free_kb", p->dest_free_kb);
    xres_json_kv_u64(g, "need_cpu_pct", p->need_cpu_pct);
    xres_json_kv_u64(g, "dest_cpu_pct", p->dest_cpu_pct);
}

static void job_json(xres_daemon *d, yajl_gen g, const mv_job *j)
{
    uint64_t end = j->state >= JOB_DONE ? j->end_ms : xres_daemon_now_ms(d);

    xres_json_kv_u64(g, "job", j->id);
    xres_json_kv_str(g, "domain", j->dom);
    xres_json_kv_str(g, "host", j->host);
    xres_json_kv_str(g, "state", job_state_names[j->state]);
    xres_json_kv_u64(g, "elapsed_ms", end - j->start_ms);
    xres_json_kv_str(g, "result", j->result);
    plan_json(g, &j->plan);
}

static int cmd_migrate(xres_daemon *d, yajl_val req, yajl_gen out)
{
    const char *dom = xres_json_get_str(req, "domain");
    const char *host = xres_json_get_str(req, "host");
    const char *m = xres_json_get_str(req, "method");
    bool dry = xres_json_get_bool(req, "dry_run", false);
    xres_move_method method = XRES_MOVE_AUTO;
    xres_move_plan plan;
    unsigned job = 0;
    char err[256];

    if (!dom || !host || !*dom || !*host) {
        xres_ipc_reply_error(out, "migrate: needs a domain and a host");
        return 0;
    }
    if (m && !strcmp(m, "live")) method = XRES_MOVE_LIVE;
    else if (m && !strcmp(m, "save-restore")) method = XRES_MOVE_SAVE;
    else if (m && strcmp(m, "auto")) {
        xres_ipc_reply_error(out, "migrate: method `%.32s' is not auto, "
                             "live or save-restore", m);
        return 0;
    }
    if (xres_daemon_cluster_move(d, dom, host, method, dry, "the operator",
                                 &plan, &job, err, sizeof(err))) {
        xres_ipc_reply_error(out, "cannot move %s to %s: %s", dom, host, err);
        return 0;
    }
    xres_ipc_reply_ok_begin(out);
    xres_json_kv_bool(out, "dry_run", dry);
    xres_json_kv_str(out, "domain", dom);
    xres_json_kv_str(out, "host", host);
    if (!dry) xres_json_kv_u64(out, "job", job);
    plan_json(out, &plan);
    yajl_gen_map_close(out);
    return 0;
}

static int cmd_migrate_status(xres_daemon *d, mv_state *st, yajl_val req,
                              yajl_gen out)
{
    uint64_t id = 0;
    const mv_job *j = NULL;

    xres_json_get_u64(req, "job", &id);
    if (id && !(j = job_find(st, (unsigned)id))) {
        xres_ipc_reply_error(out, "no move %" PRIu64 " is known", id);
        return 0;
    }
    xres_ipc_reply_ok_begin(out);
    if (id) {
        job_json(d, out, j);
        yajl_gen_map_close(out);
        return 0;
    }
    xres_json_kv_bool(out, "resources_known", st->have_res);
    if (st->res_err[0]) xres_json_kv_str(out, "resources_error", st->res_err);
    yajl_gen_string(out, (const unsigned char *)"moves", 5);
    yajl_gen_array_open(out);
    for (unsigned i = 0; i < st->njobs; i++) {
        yajl_gen_map_open(out);
        job_json(d, out, &st->jobs[i]);
        yajl_gen_map_close(out);
    }
    yajl_gen_array_close(out);
    yajl_gen_map_close(out);
    return 0;
}

static int move_command(xres_daemon *d, const char *cmd, yajl_val req,
                        yajl_gen out)
{
    mv_state *st = MV(d);

    if (strcmp(cmd, "migrate") && strcmp(cmd, "migrate-status"))
        return -ENOSYS;
    if (!st) return -ENODEV;
    if (!strcmp(cmd, "migrate")) return cmd_migrate(d, req, out);
    return cmd_migrate_status(d, st, req, out);
}

const xres_subsys xres_subsys_move = {
    .name = "move",
    .init = move_init,
    .dispose = move_dispose,
    .reload = move_reload,
    .tick = move_tick,
    .command = move_command,
    .poll_fds = move_poll_fds,
    .on_fd = move_on_fd,
};
