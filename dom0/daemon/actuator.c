/*
 * dom0/daemon/actuator.c: carries out every kind of action (actuator.h)
 * through the backend, the guest request channel or the core's state.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "actuator.h"
#include "agent_report.h"
#include "daemon.h"
#include "log.h"

/* Fencing a domain that is already gone counts as done. */
static int fence(xres_daemon *d, const xres_action *act, bool *gone)
{
    const xres_backend_ops *ops = d->be->ops;
    int rc;

    rc = act->kind == XRES_ACT_DESTROY ? ops->destroy(d->be, act->domid)
                                       : ops->pause(d->be, act->domid);
    *gone = rc == -ENOENT || rc == -ESRCH;
    return *gone ? 0 : rc;
}

static int wait_target(xres_daemon *d, const xres_action *act)
{
    const xres_domain *dom = xres_host_find(&d->host, act->domid);

    if (!dom) return -ENOENT;
    /* A donor's wait: it has given what it was asked. */
    return xres_mem_came_down(dom->cur_kb, act->u.mem.kb, act->u.mem.tol_kb)
        ? 0 : -EINPROGRESS;
}

/* A placeholder that claims: a claim that fails leaves no placeholder. */
static int pool_claim(xres_daemon *d, const xres_action *act, uint32_t *id)
{
    const xres_backend_ops *ops = d->be->ops;
    int rc;

    rc = ops->placeholder_create(d->be, act->u.pool.name,
                                 act->u.pool.max_kb > act->u.pool.kb
                                 ? act->u.pool.max_kb : act->u.pool.kb, id);
    if (rc) return rc;
    rc = ops->claim(d->be, *id, act->u.pool.kb);
    if (rc) ops->destroy(d->be, *id);
    return rc;
}

/* A creation is started once and polled until it ends; a domain of that
 * name already there (a replay after a restart) is done. */
static int create(xres_daemon *d, const xres_action *act, bool *polled)
{
    const xres_backend_ops *ops = d->be->ops;
    int rc;

    d->act_err[0] = '\0';
    rc = ops->create_poll(d->be, act->u.create.name, d->act_err,
                          sizeof(d->act_err));
    *polled = rc != -ENOENT;
    if (rc != -ENOENT) return rc;
    if (xres_host_find_name(&d->host, act->u.create.name)) {
        *polled = true;
        return 0;
    }
    rc = ops->create_start(d->be, act->u.create.cfg, act->u.create.name,
                           act->u.create.kb);
    if (rc) {
        snprintf(d->act_err, sizeof(d->act_err), "cannot start xl: %s",
                 strerror(-rc));
        return rc;
    }
    return -EINPROGRESS;
}

static int actuate(xres_daemon *d, const xres_action *act)
{
    const xres_backend_ops *ops = d->be->ops;
    xres_domain *dom = xres_host_find(&d->host, act->domid);
    const char *name = dom ? dom->name : "?";
    bool gone = false;
    char line[256];
    int rc;

    if (d->die_after_actions && d->nr_actuated >= d->die_after_actions)
        return -ECANCELED;
    xres_action_format(act, line, sizeof(line));
    switch (act->kind) {
    case XRES_ACT_SET_TARGET:
        rc = ops->set_target(d->be, act->domid, act->u.mem.kb);
        break;
    case XRES_ACT_SET_MAXMEM:
        rc = ops->set_maxmem(d->be, act->domid, act->u.mem.kb);
        break;
    case XRES_ACT_SET_SCHED:
        rc = ops->set_sched(d->be, act->domid, act->u.sched.weight,
                            act->u.sched.cap);
        break;
    case XRES_ACT_DESTROY:
    case XRES_ACT_PAUSE:
        rc = fence(d, act, &gone);
        break;
    case XRES_ACT_AGENT_REQUEST:
        rc = strcmp(act->u.req.op, "cancel")
            ? xres_agent_request_put(d->be, act)
            : xres_agent_request_cancel(d->be, act->domid, act->u.req.seq);
        break;
    case XRES_ACT_WAIT_TARGET:
        return wait_target(d, act);
    case XRES_ACT_POOL_CLAIM: {
        uint32_t id = XRES_DOMID_INVALID;
        rc = pool_claim(d, act, &id);
        if (!rc) name = act->u.pool.name;
        break;
    }
    case XRES_ACT_CLAIM:
        rc = ops->claim(d->be, act->domid, act->u.mem.kb);
        break;
    case XRES_ACT_CLAIM_ADJUST:
        rc = ops->claim_adjust(d->be, act->domid, act->u.mem.kb);
        break;
    case XRES_ACT_CLAIM_MOVE:
        rc = ops->claim_move(d->be, act->domid, act->u.move.to,
                             act->u.move.kb);
        break;
    case XRES_ACT_CREATE: {
        bool polled = false;
        rc = create(d, act, &polled);
        if (rc == -EINPROGRESS) {
            if (!polled) XLOG_INFO("%s: started", line);
            return rc;
        }
        if (rc) XLOG_ERR("%s: %s", line, d->act_err);
        else XLOG_INFO("%s: done", line);
        if (!rc) d->nr_actuated++;
        d->host_stale = true;
        return rc;
    }
    case XRES_ACT_MARK:
        xres_daemon_set_balloon_state(d, act->domid,
                                      (xres_balloon_state)act->u.mark.state);
        return 0;
    default:
        return -ENOTSUP;
    }
    if (rc) XLOG_ERR("%s (%s): failed: %s", line, name, strerror(-rc));
    else XLOG_INFO("%s (%s)%s", line, name, gone ? ": already gone" : "");
    if (!rc) d->nr_actuated++;
    d->host_stale = true;
    return rc;
}

/* Each call is timed by its kind; the first target written after a
 * report ends that report's path (`xres stats`). */
int xres_actuate(xres_daemon *d, const xres_action *act)
{
    uint64_t t0 = xres_stat_now_ns(), t1;
    int rc = actuate(d, act);

    if (rc == -ECANCELED || act->kind == XRES_ACT_WAIT_TARGET ||
        act->kind == XRES_ACT_MARK || (unsigned)act->kind >= XRES_ACT_KINDS)
        return rc;
    t1 = xres_stat_now_ns();
    xres_stat_add(&d->pstats.act[act->kind], t1 - t0);
    if (!rc && act->kind == XRES_ACT_SET_TARGET && d->pstats.react_t0_ns) {
        xres_stat_add(&d->pstats.step[XRES_PATH_REACT],
                      t1 - d->pstats.react_t0_ns);
        d->pstats.react_t0_ns = 0;
    }
    return rc;
}

int xres_actuate_list(xres_daemon *d, const xres_actions *a, size_t *next)
{
    size_t i = next ? *next : 0;
    int rc = 0;

    for (; i < a->n; i++) {
        rc = xres_actuate(d, &a->v[i]);
        if (rc && a->v[i].optional && rc != -EINPROGRESS && rc != -ECANCELED)
            rc = 0;             /* logged; the list goes on */
        if (rc) break;
    }
    if (next) *next = i;
    return rc;
}
