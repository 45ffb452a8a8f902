/*
 * dom0/core/action.h: the list of actions that policy functions return.
 *
 * A policy is a pure function from a host snapshot (model.h) to an
 * xres_actions list.  The daemon then carries the actions out through a
 * backend, in order.  An action never carries a pointer into the snapshot.
 */
#ifndef XRES_ACTION_H
#define XRES_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    XRES_ACT_SET_TARGET = 1,    /* set balloon target: u.mem.kb */
    XRES_ACT_SET_MAXMEM,        /* set Xen maximum memory: u.mem.kb */
    XRES_ACT_WAIT_TARGET,       /* wait until cur memory reaches u.mem.kb */
    XRES_ACT_SET_SCHED,         /* u.sched.weight / u.sched.cap (-1 = keep) */
    XRES_ACT_AGENT_REQUEST,     /* u.req: send a request to the guest agent */
    XRES_ACT_DESTROY,           /* fence: destroy the domain */
    XRES_ACT_PAUSE,             /* fence: pause the domain */
    XRES_ACT_MARK,              /* u.mark: record a state change (no Xen call) */
    XRES_ACT_POOL_CLAIM,        /* u.pool: a placeholder holding a claim */
    XRES_ACT_CLAIM,             /* set the domain's claim to u.mem.kb (0: cancel) */
    XRES_ACT_CREATE,            /* u.create: a domain from an xl.cfg */
    XRES_ACT_CLAIM_ADJUST,      /* the claim becomes u.mem.kb, in place */
    XRES_ACT_CLAIM_MOVE,        /* u.move.kb of claim from domid to u.move.to */
} xres_action_kind;

#define XRES_ACT_ARG_MAX 64

typedef struct {
    xres_action_kind kind;
    uint32_t domid;
    union {
        struct { uint64_t kb, tol_kb; } mem;   /* tol_kb: WAIT_TARGET only */
        struct { int weight; int cap; } sched;
        struct {
            char op[16];                    /* release, engage, start, stop */
            char arg[XRES_ACT_ARG_MAX];     /* application name or size */
            uint64_t seq;                   /* request sequence number */
        } req;
        struct { int state; } mark;
        struct {
            char name[64];                  /* the placeholder's name */
            uint64_t kb;                    /* what it claims */
            uint64_t max_kb;                /* its maximum (0: kb) */
        } pool;
        struct { uint32_t to; uint64_t kb; } move;
        struct {
            char name[64];                  /* the domain's name */
            char cfg[256];                  /* its xl.cfg */
            uint64_t kb;                    /* its memory */
        } create;
    } u;
    char why[96];                            /* for the log */
    /* A failure is logged and the list goes on (xres_actuate_list). */
    bool optional;
} xres_action;

typedef struct {
    size_t n, cap;
    xres_action *v;
} xres_actions;

void xres_actions_init(xres_actions *a);
void xres_actions_dispose(xres_actions *a);
void xres_actions_clear(xres_actions *a);
/* Appends a copy; returns 0 or -ENOMEM. */
int xres_actions_push(xres_actions *a, const xres_action *act);

/* Convenience constructors; each returns 0 or -ENOMEM. */
int xres_act_set_target(xres_actions *a, uint32_t domid, uint64_t kb,
                        const char *why);
/* Done once the domain's memory has arrived at kb within tol_kb
 * (xres_mem_arrived). */
int xres_act_wait_target(xres_actions *a, uint32_t domid, uint64_t kb,
                         uint64_t tol_kb, const char *why);
int xres_act_set_maxmem(xres_actions *a, uint32_t domid, uint64_t kb,
                        const char *why);
int xres_act_set_sched(xres_actions *a, uint32_t domid, int weight, int cap,
                       const char *why);

/* POOL_CLAIM name kb; CLAIM domid kb; CREATE name cfg kb.  0, -ENOMEM, or
 * -ENAMETOOLONG for a name or a path that does not fit. */
int xres_act_pool_claim(xres_actions *a, const char *name, uint64_t kb,
                        const char *why);
int xres_act_claim(xres_actions *a, uint32_t domid, uint64_t kb,
                   const char *why);
int xres_act_create(xres_actions *a, const char *name, const char *cfg,
                    uint64_t kb, const char *why);
/* Fencing, or a pool's placeholder that is done with. */
int xres_act_destroy(xres_actions *a, uint32_t domid, const char *why);
int xres_act_claim_adjust(xres_actions *a, uint32_t domid, uint64_t kb,
                          const char *why);
int xres_act_claim_move(xres_actions *a, uint32_t from, uint32_t to,
                        uint64_t kb, const char *why);

/* One line, as `xres balance --dry-run` prints it, without a newline. */
void xres_action_format(const xres_action *act, char *buf, size_t len);

#endif
