/*
 * tests/unit/pair_world.h: a small fake Xen host for the pair tests: a
 * backend whose domains balloon toward their targets when the world
 * settles, an in-memory XenStore, and guest agents that answer requests.
 */
#ifndef XRES_TEST_PAIR_WORLD_H
#define XRES_TEST_PAIR_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "pair_step.h"
#include "pair_store.h"
#include "policy_pair.h"

#define W_DOMS 8
#define W_KV 256
#define W_APPS 8
#define W_REQS 64

typedef struct {
    bool exists;
    uint32_t domid;
    char name[32];
    uint64_t cur, target, smax;
    int weight, cap;
    bool paused, shutdown, dying, refuses;
    char silent_op[16];     /* its agent does not ack this request op */
    uint64_t heartbeat_ms;
    unsigned napps;
    char apps[W_APPS][XRES_PAIR_NAME_MAX];
    unsigned fault[W_APPS];
    uint64_t fault_seq[W_APPS];
    unsigned nacks;
    xres_pair_ack acks[XRES_PAIR_ACKS_MAX];
} wdom;

typedef struct {
    char path[160];
    char *val;
} wkv;

typedef struct {
    uint32_t domid;
    uint64_t seq;
    char val[96];
} wreq;

typedef struct {
    xres_backend b;
    uint64_t total_kb;
    uint64_t now_ms;
    wdom doms[W_DOMS];
    wkv kv[W_KV];
    unsigned nkv;
    wreq reqs[W_REQS];      /* distinct requests the agents saw */
    unsigned nreqs;
    unsigned nexec;         /* backend calls that change the host */
    /* Active's cur_kb when the standby's target was last raised. */
    uint64_t active_cur_at_engage;
    uint32_t watch_active, watch_standby;
} world;

void world_init(world *w, uint64_t total_kb);
void world_dispose(world *w);
wdom *world_add(world *w, const char *name, uint64_t mem_kb,
                uint64_t smax_kb);
wdom *world_dom(world *w, uint32_t domid);
uint64_t world_free(const world *w);
/* Balloons move to their targets (shrinks first, growth limited by free
 * memory), agents answer requests, the clock moves on by ms. */
void world_settle(world *w, uint64_t ms);
void world_snapshot(world *w, xres_host *h);
void world_obs(world *w, const xres_pair *p, xres_pair_obs *obs);
void world_app_start(world *w, uint32_t domid, const char *app);
bool world_app_running(world *w, uint32_t domid, const char *app);
void world_fault(world *w, uint32_t domid, const char *app, unsigned lvl);
/* The executor of these tests: host actions through the backend (a fence
 * of a domain already gone counts as done), agent requests written to
 * /local/domain/<domid>/xres/request/<seq> as "op arg".  ctx is the
 * world. */
int world_exec(void *ctx, const xres_action *act);

/* Called after each executed action (stored false) and after each stored
 * progress (stored true); false stops the drive there, as if xresd were
 * killed. */
typedef bool (*world_crash_fn)(void *opaque, bool stored);

/* Drives p as xresd does, through the pure step (pair_step.h): one action
 * at a time, carried out by world_exec, the progress stored in the
 * world's XenStore after each (and, when steps finished on the way to an
 * action, before it too); on an action error p goes back to what it
 * was before it.  crash may be NULL.  Returns the step's last result, a
 * negative errno, or -EINTR when crash stopped it.  *nacts (may be NULL)
 * counts the actions executed. */
int world_drive(world *w, xres_pair *p, const xres_host *snap,
                const xres_pair_obs *obs, unsigned *nacts,
                world_crash_fn crash, void *opaque);
/* How many distinct requests "op app..." the agent of domid received. */
unsigned world_count_req(world *w, uint32_t domid, const char *op,
                         const char *app);

#endif
