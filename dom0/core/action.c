/*
 * dom0/core/action.c: the action list that policy functions return (action.h),
 * and its one-line text form.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"

void xres_actions_init(xres_actions *a)
{
    memset(a, 0, sizeof(*a));
}

void xres_actions_dispose(xres_actions *a)
{
    free(a->v);
    memset(a, 0, sizeof(*a));
}

void xres_actions_clear(xres_actions *a)
{
    a->n = 0;
}

int xres_actions_push(xres_actions *a, const xres_action *act)
{
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 16;
        xres_action *v = realloc(a->v, ncap * sizeof(*v));
        if (!v) return -ENOMEM;
        a->v = v;
        a->cap = ncap;
    }
    a->v[a->n++] = *act;
    return 0;
}

/* A zeroed action of kind for domid, with its reason for the log. */
static void act_init(xres_action *act, xres_action_kind kind, uint32_t domid,
                     const char *why)
{
    memset(act, 0, sizeof(*act));
    act->kind = kind;
    act->domid = domid;
    if (why) snprintf(act->why, sizeof(act->why), "%s", why);
}

static int push_mem(xres_actions *a, xres_action_kind kind, uint32_t domid,
                    uint64_t kb, const char *why)
{
    xres_action act;

    act_init(&act, kind, domid, why);
    act.u.mem.kb = kb;
    return xres_actions_push(a, &act);
}

int xres_act_set_target(xres_actions *a, uint32_t domid, uint64_t kb,
                        const char *why)
{
    return push_mem(a, XRES_ACT_SET_TARGET, domid, kb, why);
}

int xres_act_wait_target(xres_actions *a, uint32_t domid, uint64_t kb,
                         uint64_t tol_kb, const char *why)
{
    int rc = push_mem(a, XRES_ACT_WAIT_TARGET, domid, kb, why);

    if (!rc) a->v[a->n - 1].u.mem.tol_kb = tol_kb;
    return rc;
}

int xres_act_set_maxmem(xres_actions *a, uint32_t domid, uint64_t kb,
                        const char *why)
{
    return push_mem(a, XRES_ACT_SET_MAXMEM, domid, kb, why);
}

int xres_act_set_sched(xres_actions *a, uint32_t domid, int weight, int cap,
                       const char *why)
{
    xres_action act;

    act_init(&act, XRES_ACT_SET_SCHED, domid, why);
    act.u.sched.weight = weight;
    act.u.sched.cap = cap;
    return xres_actions_push(a, &act);
}

int xres_act_pool_claim(xres_actions *a, const char *name, uint64_t kb,
                        const char *why)
{
    xres_action act;

    act_init(&act, XRES_ACT_POOL_CLAIM, UINT32_MAX, why);
    if (strlen(name) >= sizeof(act.u.pool.name)) return -ENAMETOOLONG;
    snprintf(act.u.pool.name, sizeof(act.u.pool.name), "%s", name);
    act.u.pool.kb = kb;
    return xres_actions_push(a, &act);
}

int xres_act_claim(xres_actions *a, uint32_t domid, uint64_t kb,
                   const char *why)
{
    return push_mem(a, XRES_ACT_CLAIM, domid, kb, why);
}

int xres_act_create(xres_actions *a, const char *name, const char *cfg,
                    uint64_t kb, const char *why)
{
    xres_action act;

    act_init(&act, XRES_ACT_CREATE, UINT32_MAX, why);
    if (strlen(name) >= sizeof(act.u.create.name) ||
        strlen(cfg) >= sizeof(act.u.create.cfg))
        return -ENAMETOOLONG;
    snprintf(act.u.create.name, sizeof(act.u.create.name), "%s", name);
    snprintf(act.u.create.cfg, sizeof(act.u.create.cfg), "%s", cfg);
    act.u.create.kb = kb;
    return xres_actions_push(a, &act);
}

int xres_act_destroy(xres_actions *a, uint32_t domid, const char *why)
{
    xres_action act;

    act_init(&act, XRES_ACT_DESTROY, domid, why);
    return xres_actions_push(a, &act);
}

int xres_act_claim_adjust(xres_actions *a, uint32_t domid, uint64_t kb,
                          const char *why)
{
    return push_mem(a, XRES_ACT_CLAIM_ADJUST, domid, kb, why);
}

int xres_act_claim_move(xres_actions *a, uint32_t from, uint32_t to,
                        uint64_t kb, const char *why)
{
    xres_action act;

    act_init(&act, XRES_ACT_CLAIM_MOVE, from, why);
    act.u.move.to = to;
    act.u.move.kb = kb;
    return xres_actions_push(a, &act);
}

void xres_action_format(const xres_action *act, char *buf, size_t len)
{
    const char *why = act->why[0] ? act->why : "";
    const char *sep = act->why[0] ? " # " : "";

    switch (act->kind) {
    case XRES_ACT_SET_TARGET:
        snprintf(buf, len, "set-target dom%" PRIu32 " %" PRIu64 "KiB%s%s",
                 act->domid, act->u.mem.kb, sep, why);
        break;
    case XRES_ACT_SET_MAXMEM:
        snprintf(buf, len, "set-maxmem dom%" PRIu32 " %" PRIu64 "KiB%s%s",
                 act->domid, act->u.mem.kb, sep, why);
        break;
    case XRES_ACT_WAIT_TARGET:
        snprintf(buf, len, "wait-target dom%" PRIu32 " %" PRIu64 "KiB%s%s",
                 act->domid, act->u.mem.kb, sep, why);
        break;
    case XRES_ACT_SET_SCHED:
        snprintf(buf, len, "set-sched dom%" PRIu32 " weight=%d cap=%d%s%s",
                 act->domid, act->u.sched.weight, act->u.sched.cap, sep, why);
        break;
    case XRES_ACT_AGENT_REQUEST:
        snprintf(buf, len, "agent-request dom%" PRIu32 " %s %s%s%s",
                 act->domid, act->u.req.op, act->u.req.arg, sep, why);
        break;
    case XRES_ACT_DESTROY:
        snprintf(buf, len, "destroy dom%" PRIu32 "%s%s", act->domid, sep, why);
        break;
    case XRES_ACT_PAUSE:
        snprintf(buf, len, "pause dom%" PRIu32 "%s%s", act->domid, sep, why);
        break;
    case XRES_ACT_MARK:
        snprintf(buf, len, "mark dom%" PRIu32 " state=%d%s%s", act->domid,
                 act->u.mark.state, sep, why);
        break;
    case XRES_ACT_POOL_CLAIM:
        snprintf(buf, len, "pool-claim %s %" PRIu64 "KiB%s%s",
                 act->u.pool.name, act->u.pool.kb, sep, why);
        break;
    case XRES_ACT_CLAIM:
        snprintf(buf, len, "claim dom%" PRIu32 " %" PRIu64 "KiB%s%s",
                 act->domid, act->u.mem.kb, sep, why);
        break;
    case XRES_ACT_CREATE:
        snprintf(buf, len, "create %s %s %" PRIu64 "KiB%s%s",
                 act->u.create.name, act->u.create.cfg, act->u.create.kb,
                 sep, why);
        break;
    case XRES_ACT_CLAIM_ADJUST:
        snprintf(buf, len, "claim-adjust dom%" PRIu32 " %" PRIu64 "KiB%s%s",
                 act->domid, act->u.mem.kb, sep, why);
        break;
    case XRES_ACT_CLAIM_MOVE:
        snprintf(buf, len, "claim-move dom%" PRIu32 " dom%" PRIu32 " %" PRIu64
                 "KiB%s%s", act->domid, act->u.move.to, act->u.move.kb, sep,
                 why);
        break;
    default:
        snprintf(buf, len, "unknown-action dom%" PRIu32, act->domid);
        break;
    }
}
