/*
 * dom0/cli/top_view.h: what `xres top` shows, without a screen.
 *
 * The rows come from xresd's replies (list, sched-list, pair-list,
 * mem-moves) into plain structs (top_data.c); a frame is laid out from
 * them into a text buffer of W columns by H lines (top_view.c).  Neither
 * talks to xresd or to the terminal: cli_top.c fetches, top_curses.c
 * draws, and the unit tests check frames line by line.
 */
#ifndef XRES_TOP_VIEW_H
#define XRES_TOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#define XRES_TOP_NAME 64
#define XRES_TOP_WORD 24

typedef struct {
    char name[XRES_TOP_NAME];
    long long domid;
    uint64_t cur_kb, target_kb;
    bool has_used;              /* an agent reports its used memory */
    uint64_t used_kb;
    bool has_cpu;
    double cpu_pct;             /* measured CPU use, % of one CPU */
    long long weight, cap;      /* -1: not under credit or credit2 */
    char state[XRES_TOP_WORD];  /* the balloon: fixed, ok, moving, ... */
    char pair[XRES_TOP_NAME];   /* "" or the pair it is a member of */
    char role[XRES_TOP_WORD];   /* "" or active, standby */
} xres_top_dom;

typedef struct {
    char name[XRES_TOP_NAME];
    char active[XRES_TOP_NAME], standby[XRES_TOP_NAME];
    char state[XRES_TOP_WORD];
    char failover[2 * XRES_TOP_NAME];   /* "" or "KIND STEP I/N" */
} xres_top_pair;

typedef struct {
    uint64_t id;
    char state[XRES_TOP_WORD];      /* lowering, raising */
    char src[XRES_TOP_NAME], dst[XRES_TOP_NAME];
    char origin[XRES_TOP_WORD];
    uint64_t kb;
} xres_top_move;

typedef struct {
    char xen_version[XRES_TOP_WORD], scheduler[XRES_TOP_WORD];
    long long nr_cpus;
    uint64_t total_kb, free_kb;
    bool has_load;
    double load_pct, max_pct;       /* host CPU load, of nr_cpus * 100 */
    xres_top_dom *doms;
    size_t ndoms;
    xres_top_pair *pairs;
    size_t npairs;
    xres_top_move *moves;           /* in flight only */
    size_t nmoves;
} xres_top_data;

void xres_top_data_init(xres_top_data *d);
void xres_top_data_dispose(xres_top_data *d);

/* Each takes one parsed {"ok":true,...} reply and replaces that part of
 * d.  0, -EINVAL (the reply lacks its array) or -ENOMEM; a sched-list
 * reply without the host's load leaves has_load false. */
int xres_top_data_list(xres_top_data *d, yajl_val reply);
int xres_top_data_sched(xres_top_data *d, yajl_val reply);
int xres_top_data_pairs(xres_top_data *d, yajl_val reply);
int xres_top_data_moves(xres_top_data *d, yajl_val reply);

/* Sort orders, named by their key in `xres top`. */
typedef enum {
    XRES_TOP_SORT_ID = 'i',         /* domid, ascending */
    XRES_TOP_SORT_NAME = 'n',       /* name, ascending */
    XRES_TOP_SORT_MEM = 'm',        /* the others: largest first */
    XRES_TOP_SORT_TARGET = 't',
    XRES_TOP_SORT_USED = 'u',
    XRES_TOP_SORT_CPU = 'c',
    XRES_TOP_SORT_WEIGHT = 'w',
} xres_top_sort;

/* Whether key is a sort key; its column's name for the header. */
bool xres_top_sort_key(int key);
const char *xres_top_sort_name(xres_top_sort s);
/* Sorts d's domains; ties go by domid.  reverse turns the order round. */
void xres_top_sort_doms(xres_top_data *d, xres_top_sort s, bool reverse);

/* H lines of at most W characters each. */
typedef struct {
    int w, h;
    int used;                   /* lines written */
    char *buf;                  /* h lines of w + 1 bytes */
} xres_top_frame;

int xres_top_frame_init(xres_top_frame *f, int w, int h);
void xres_top_frame_dispose(xres_top_frame *f);
/* Line i (0 <= i < f->used), without trailing blanks. */
const char *xres_top_frame_line(const xres_top_frame *f, int i);

typedef struct {
    const char *clock;          /* "12:00:00", shown as is */
    xres_top_sort sort;
    bool reverse;
    const char *error;          /* NULL, or why the last refresh failed */
} xres_top_view;

/* The lines a frame of d needs to show everything (for batch mode). */
int xres_top_lines(const xres_top_data *d);
/* Lays d out into f: the header, the domains, the pairs, the moves in
 * flight.  When f is too short, the domains give way first, down to
 * one row and a line that says how many are not shown. */
void xres_top_format(xres_top_frame *f, const xres_top_data *d,
                     const xres_top_view *v);

#endif
