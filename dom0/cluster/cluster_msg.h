/*
 * dom0/cluster/cluster_msg.h: the messages xresd multicasts to its
 * cluster (docs/xres-cluster.md, "Messages"): one JSON object each,
 * written and read with yajl.
 *
 *   {"v":1,"type":"figures","host":"a","node":1,"seq":7,"time_ms":...,
 *    "mem":{"total_kb":..,"free_kb":..,"outstanding_kb":..,"domains_kb":..},
 *    "cpu":{"count":4,"allocable_pct":310},
 *    "use":{"cpu_pct":22,"mem_pct":61},
 *    "method":"live"|"save-restore",
 *    "domains":[{"name":"g1","domid":3,"mem_kb":..,"max_kb":..,
 *                "cpu_pct":12,"vcpus":2,"movable":true}, ...],
 *    "pools":[{"name":"web","size_kb":..,"held_kb":..}, ...],
 *    "conflicts":[]}
 *   {"v":1,"type":"lock","op":"request"|"grant"|"release","lock":"NAME",
 *    "node":1}
 *
 * Another host's message is untrusted input: xres_cluster_msg_parse
 * checks the version, the size, every field's type and bounds, and that
 * the figures add up (free and outstanding within the total, domains'
 * memory within the total); a message that fails is rejected whole with
 * one reason.  Unknown keys are ignored, so that a later version 1
 * sender may add some.
 *
 * A domain may say whether it may be relocated: "movable":true, or
 * "unmovable":"pinned"|"pair"|"not-migratable"|"unknown" (not both).  A
 * domain with neither, as older senders write it, is "unknown": not
 * movable.
 */
#ifndef XRES_CLUSTER_MSG_H
#define XRES_CLUSTER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XRES_CLUSTER_MSG_VERSION 1
#define XRES_CLUSTER_MSG_MAX (64 * 1024)    /* bytes, on the wire */
#define XRES_CLUSTER_DOMS_MAX 128
#define XRES_CLUSTER_POOLS_MAX 16
#define XRES_CLUSTER_CONFLICTS_MAX 16
#define XRES_CLUSTER_NAME_MAX 64            /* host, domain, pool, lock */
#define XRES_CLUSTER_MEM_MAX_KB (1ULL << 42) /* 4 PiB: any real host */
#define XRES_CLUSTER_CPUS_MAX 4096
#define XRES_CLUSTER_VCPUS_MAX 512

/* Whether a domain may be relocated, and if not, why. */
typedef enum {
    XRES_CMOVE_UNKNOWN = 0,     /* not said: not movable */
    XRES_CMOVE_MOVABLE,
    XRES_CMOVE_PINNED,          /* pinned to this host */
    XRES_CMOVE_PAIR,            /* one of a hot-standby pair */
    XRES_CMOVE_NOT_MIGRATABLE,  /* not a Pacemaker resource that may migrate */
} xres_cluster_movable;

/* The wire word of m: "movable", "pinned", "pair", "not-migratable",
 * "unknown". */
const char *xres_cluster_movable_name(xres_cluster_movable m);

typedef struct {
    char name[XRES_CLUSTER_NAME_MAX];
    uint32_t domid;
    uint64_t mem_kb, max_kb;
    unsigned cpu_pct;           /* % of one CPU, at most vcpus * 100 */
    unsigned vcpus;
    xres_cluster_movable movable;
} xres_cluster_dom;

typedef struct {
    char name[XRES_CLUSTER_NAME_MAX];
    uint64_t size_kb, held_kb;
} xres_cluster_pool;

/* One host's figures. */
typedef struct {
    char host[XRES_CLUSTER_NAME_MAX];
    uint32_t nodeid;
    uint64_t seq;               /* the sender's, rising */
    uint64_t time_ms;           /* the sender's wall clock */
    uint64_t mem_total_kb, mem_free_kb, mem_outstanding_kb, mem_domains_kb;
    unsigned nr_cpus;
    unsigned cpu_allocable_pct; /* % of one CPU, at most nr_cpus * 100 */
    unsigned cpu_use_pct;       /* of the host's maximum, 0..100 */
    unsigned mem_use_pct;       /* memory used, 0..100 */
    bool live;                  /* live migration here; else save-restore */
    size_t ndoms, npools, nconflicts;
    xres_cluster_dom doms[XRES_CLUSTER_DOMS_MAX];
    xres_cluster_pool pools[XRES_CLUSTER_POOLS_MAX];
    char conflicts[XRES_CLUSTER_CONFLICTS_MAX][XRES_CLUSTER_NAME_MAX];
} xres_cluster_figures;

typedef enum {
    XRES_CMSG_FIGURES = 1,
    XRES_CMSG_LOCK,
} xres_cmsg_type;

typedef enum {
    XRES_LOCK_REQUEST = 1,
    XRES_LOCK_GRANT,
    XRES_LOCK_RELEASE,
} xres_lock_op;

typedef struct {
    xres_cmsg_type type;
    /* XRES_CMSG_LOCK */
    xres_lock_op op;
    char lock[XRES_CLUSTER_NAME_MAX];
    uint32_t node;              /* the requester, holder or releaser */
    /* XRES_CMSG_FIGURES: owned (xres_cluster_msg_dispose frees it) */
    xres_cluster_figures *fig;
} xres_cluster_msg;

void xres_cluster_msg_init(xres_cluster_msg *m);
void xres_cluster_msg_dispose(xres_cluster_msg *m);

/* Names on the wire: letters, digits, '.', '_', '-' (and ':' '@' for
 * domain names), 1..XRES_CLUSTER_NAME_MAX-1 bytes. */
bool xres_cluster_name_ok(const char *s);
const char *xres_lock_op_name(xres_lock_op op);

/* Checks the figures' bounds and sums: 0, or -EINVAL with the reason. */
int xres_cluster_figures_check(const xres_cluster_figures *f, char *err,
                               size_t errlen);

/* The message as JSON into a malloc'd buffer (*len bytes, NUL after
 * them): 0, -EINVAL (figures that fail the check), -EMSGSIZE, -ENOMEM. */
int xres_cluster_msg_encode(const xres_cluster_msg *m, char **buf,
                            size_t *len);
/* Parses and checks len bytes into m (initialised): 0, or -EINVAL /
 * -EMSGSIZE / -ENOMEM with the reason in err; m is left empty then. */
int xres_cluster_msg_parse(const void *buf, size_t len, xres_cluster_msg *m,
                           char *err, size_t errlen);

#endif
