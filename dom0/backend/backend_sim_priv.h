/*
 * dom0/backend/backend_sim_priv.h: the simulator's state, shared by its
 * files and by nothing else: backend_sim.c (the host and the backend
 * ops), backend_sim_xs.c (XenStore and the event queue),
 * backend_sim_agent.c (the simulated xres-agent) and
 * backend_sim_scenario.c (scenario files).
 */
#ifndef XRES_BACKEND_SIM_PRIV_H
#define XRES_BACKEND_SIM_PRIV_H

#include "backend_sim.h"
#include "xs_schema.h"

#define SIM_PATH_MAX 3072           /* XENSTORE_ABS_PATH_MAX */

typedef struct {
    uint32_t domid;
    char name[XRES_NAME_MAX];
    uint64_t cur_kb, target_kb, xen_max_kb, static_max_kb;
    uint64_t rate_kb;           /* per simulated second */
    uint64_t carry;             /* KiB * ms not yet moved */
    bool refuses;
    int weight, cap;
    unsigned vcpus;
    unsigned cpu_pct;
    uint64_t cpu_time_ns;
    bool paused, shutdown;
    uint64_t claim_kb;          /* Xen's outstanding claim */
    /* A simulated xres-agent in the guest. */
    bool agent;
    uint64_t used_kb;           /* memory its applications use */
    uint64_t agent_seq;
    uint64_t agent_next_ms;     /* next report due */
} sim_dom;

typedef struct {
    char *path;
    char *val;
    size_t len;
    unsigned nperms;
    xres_perm_entry *perms;     /* [0]: owner and everybody else's perm */
} sim_node;

typedef struct {
    char *path;
    char *token;
} sim_watch;

/* A creation under way (create_start), done at the next create_poll. */
typedef struct {
    char name[XRES_NAME_MAX];
    uint64_t mem_kb;
} sim_create;

#define SIM_CREATES_MAX 8

typedef struct {
    uint64_t total_kb, reserved_kb;
    unsigned nr_cpus;
    uint64_t now_ms;
    uint32_t next_domid;

    size_t nr_doms;
    sim_dom *doms;

    sim_create creates[SIM_CREATES_MAX];
    unsigned nr_creates;
    bool create_fails;          /* xres_sim_set_create_fails */
    bool claim_ops;             /* xres_sim_set_claim_ops */
    bool cap_shadow;            /* xres_sim_set_cap_shadow */

    size_t nr_nodes, cap_nodes;
    sim_node *nodes;
    /* Index of nodes by path: open addressing, slot = node index + 1,
     * 0 = empty.  Rebuilt after removals. */
    size_t *hslot;
    size_t hcap;
    bool hstale;

    size_t nr_watches;
    sim_watch *watches;

    /* Event ring. */
    xres_event *ev;
    size_t ev_head, ev_len, ev_cap;
    uint64_t ev_dropped;
    int efd;
    bool watch_domains;

    /* The sim's own clock (xres_sim_clock), and the wall clock it keeps
     * up with, if any (xres_sim_follow): then tfd ticks every
     * SIM_FOLLOW_TICK_MS, so a daemon polling the sim wakes to see time
     * pass. */
    xres_clock clock;
    const xres_clock *wall;
    uint64_t wall_last_ms;
    int tfd;
} sim;

#define SIM_FOLLOW_TICK_MS 200

/* Let the sim's time catch up with the wall clock it follows, if any. */
void sim_catch_up(xres_backend *b);

static inline sim *S(xres_backend *b) { return b->priv; }

/* --- backend_sim_pool.c: placeholders, claims and creation. */
int sim_placeholder_create(xres_backend *b, const char *name,
                           uint64_t max_kb, uint32_t *domid);
int sim_claim(xres_backend *b, uint32_t domid, uint64_t kb);
int sim_claim_adjust(xres_backend *b, uint32_t domid, uint64_t kb);
int sim_claim_move(xres_backend *b, uint32_t from, uint32_t to, uint64_t kb);
int sim_create_start(xres_backend *b, const char *cfg, const char *name,
                     uint64_t mem_kb);
int sim_create_poll(xres_backend *b, const char *name, char *err,
                    size_t errlen);

/* --- backend_sim.c */
sim_dom *sim_find_dom(sim *s, uint32_t domid);
int sim_set_sched(xres_backend *b, uint32_t domid, int weight, int cap);

/* --- backend_sim_xs.c: the event queue and the XenStore tree.  as is
 * the domain acting (0: privileged). */
void sim_queue_event(sim *s, const xres_event *ev);
/* A change at path fires watches at or above it; a removal also fires
 * watches below it. */
void sim_fire(sim *s, const char *path, bool removal);
sim_node *sim_find_node(sim *s, const char *path);
/* Creates path (and missing parents) with the parent's permissions; a
 * node a guest creates is owned by that guest. */
int sim_create_node(sim *s, uint32_t as, const char *path, sim_node **out);
int sim_write_as(sim *s, uint32_t as, const char *path, const char *val,
                 size_t len);
int sim_read_as(sim *s, uint32_t as, const char *path, char **val,
                size_t *len);
int sim_rm_as(sim *s, uint32_t as, const char *path);
int sim_set_perms(sim *s, const char *path, const xres_perm_entry *perms,
                  unsigned np);
int sim_xs_write_str(sim *s, const char *path, const char *val);
/* A schema path, or (up > 0) the directory that many levels above it. */
int sim_schema_path(char *buf, size_t len, xres_schema_id id,
                    uint32_t domid, int up);
int sim_xs_write_u64(sim *s, xres_schema_id id, uint32_t domid, uint64_t v);
uint64_t sim_xs_read_u64(sim *s, xres_schema_id id, uint32_t domid,
                         uint64_t def);
/* Frees the tree, the watches and the event queue. */
void sim_xs_dispose(sim *s);
/* The XenStore and event backend ops. */
int sim_xs_read(xres_backend *b, const char *path, char **val, size_t *len);
int sim_xs_write(xres_backend *b, const char *path, const char *val,
                 size_t len);
int sim_xs_rm(xres_backend *b, const char *path);
int sim_xs_mkdir(xres_backend *b, const char *path);
int sim_xs_directory(xres_backend *b, const char *path, char ***names,
                     unsigned *nr);
int sim_xs_set_perms(xres_backend *b, const char *path,
                     const xres_perm_entry *perms, unsigned n);
int sim_xs_watch(xres_backend *b, const char *path, const char *token);
int sim_xs_unwatch(xres_backend *b, const char *path, const char *token);
int sim_watch_domains(xres_backend *b);
int sim_poll_fds(xres_backend *b, int *fds, unsigned max, unsigned *n);
int sim_next_event(xres_backend *b, xres_event *ev);

/* --- backend_sim_agent.c: one step of every simulated agent. */
void sim_agents_step(xres_backend *b);

#endif
