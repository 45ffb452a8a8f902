/*
 * dom0/cli/top_view.c: `xres top`'s frame: the header, the domains, the
 * pairs and the memory moves in flight, laid out as W x H lines of text
 * from the rows of top_data.c.  The terminal layer only copies the lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top_view.h"
#include "util.h"

/* Lines before the domains' rows: three of header, a blank, the column
 * names. */
#define HEAD_LINES 5

int xres_top_frame_init(xres_top_frame *f, int w, int h)
{
    memset(f, 0, sizeof(*f));
    if (w < 1 || h < 1) return -EINVAL;
    f->buf = calloc((size_t)h, (size_t)w + 1);
    if (!f->buf) return -ENOMEM;
    f->w = w;
    f->h = h;
    return 0;
}

void xres_top_frame_dispose(xres_top_frame *f)
{
    free(f->buf);
    memset(f, 0, sizeof(*f));
}

const char *xres_top_frame_line(const xres_top_frame *f, int i)
{
    return f->buf + (size_t)i * ((size_t)f->w + 1);
}

/* Appends one line, cut at the frame's width; nothing once it is full. */
static void __attribute__((format(printf, 2, 3)))
put(xres_top_frame *f, const char *fmt, ...)
{
    char *line;
    size_t n;
    va_list ap;

    if (f->used >= f->h) return;
    line = f->buf + (size_t)f->used++ * ((size_t)f->w + 1);
    va_start(ap, fmt);
    vsnprintf(line, (size_t)f->w + 1, fmt, ap);
    va_end(ap);
    n = strlen(line);
    while (n && line[n - 1] == ' ') line[--n] = '\0';
}

static void mib(char *buf, size_t len, uint64_t kb)
{
    snprintf(buf, len, "%llu", (unsigned long long)(kb / 1024));
}

static void num_or_dash(char *buf, size_t len, long long v)
{
    if (v < 0) snprintf(buf, len, "-");
    else snprintf(buf, len, "%lld", v);
}

static void header(xres_top_frame *f, const xres_top_data *d,
                   const xres_top_view *v)
{
    char load[64] = "";

    if (d->has_load)
        snprintf(load, sizeof(load), "  load %.0f%% of %.0f%%", d->load_pct,
                 d->max_pct);
    put(f, "xres top - %s  Xen %s  %s  %lld CPUs%s", v->clock ? v->clock : "",
        d->xen_version[0] ? d->xen_version : "?",
        d->scheduler[0] ? d->scheduler : "?", d->nr_cpus, load);
    put(f, "Memory: %llu MiB total, %llu MiB free  %zu domains, %zu pairs, "
        "%zu moves in flight", (unsigned long long)(d->total_kb / 1024),
        (unsigned long long)(d->free_kb / 1024), d->ndoms, d->npairs,
        d->nmoves);
    if (v->error)
        put(f, "Error: %s", v->error);
    else
        put(f, "Sorted by %s%s; keys: i n m t u c w sort, r reverse, q quit",
            xres_top_sort_name(v->sort), v->reverse ? " (reversed)" : "");
    put(f, "%s", "");
    put(f, "%-16s %5s %7s %7s %7s %6s %6s %4s %s", "NAME", "ID", "MEM",
        "TARGET", "USED", "CPU%", "WEIGHT", "CAP", "STATE");
}

static void dom_row(xres_top_frame *f, const xres_top_dom *r)
{
    char id[24], mem[24], tgt[24], used[24], cpu[24], w[24], cap[24];
    char pair[2 * XRES_TOP_NAME] = "";

    num_or_dash(id, sizeof(id), r->domid);
    mib(mem, sizeof(mem), r->cur_kb);
    mib(tgt, sizeof(tgt), r->target_kb);
    if (r->has_used) mib(used, sizeof(used), r->used_kb);
    else snprintf(used, sizeof(used), "-");
    if (r->has_cpu) snprintf(cpu, sizeof(cpu), "%.1f", r->cpu_pct);
    else snprintf(cpu, sizeof(cpu), "-");
    num_or_dash(w, sizeof(w), r->weight);
    num_or_dash(cap, sizeof(cap), r->cap);
    if (r->pair[0])
        snprintf(pair, sizeof(pair), " pair=%s/%s", r->pair,
                 r->role[0] ? r->role : "?");
    put(f, "%-16.16s %5s %7s %7s %7s %6s %6s %4s %s%s", r->name, id, mem,
        tgt, used, cpu, w, cap, r->state, pair);
}

/* Lines of the pairs' and the moves' sections: a blank, the column
 * names, a row each or one that says there are none. */
static int lower_lines(const xres_top_data *d)
{
    return 2 + (d->npairs ? (int)d->npairs : 1) +
           2 + (d->nmoves ? (int)d->nmoves : 1);
}

int xres_top_lines(const xres_top_data *d)
{
    return HEAD_LINES + (d->ndoms ? (int)d->ndoms : 1) + lower_lines(d);
}

static void domains(xres_top_frame *f, const xres_top_data *d)
{
    int room = f->h - HEAD_LINES - lower_lines(d);
    size_t shown = d->ndoms;

    if (!d->ndoms) {
        put(f, "  (no domains)");
        return;
    }
    /* Too many for the room left: the rows that fit, less one for the
     * line that counts the others. */
    if ((size_t)(room > 0 ? room : 0) < d->ndoms)
        shown = room > 2 ? (size_t)room - 1 : 1;
    for (size_t i = 0; i < shown; i++) dom_row(f, &d->doms[i]);
    if (shown < d->ndoms)
        put(f, "  ... %zu more domains", d->ndoms - shown);
}

static void pairs(xres_top_frame *f, const xres_top_data *d)
{
    put(f, "%s", "");
    put(f, "%-16s %-16s %-16s %-12s %s", "PAIR", "ACTIVE", "STANDBY",
        "STATE", "FAILOVER");
    if (!d->npairs) put(f, "  (no pairs)");
    for (size_t i = 0; i < d->npairs; i++) {
        const xres_top_pair *p = &d->pairs[i];
        put(f, "%-16.16s %-16.16s %-16.16s %-12s %s", p->name, p->active,
            p->standby, p->state, p->failover[0] ? p->failover : "-");
    }
}

static void moves(xres_top_frame *f, const xres_top_data *d)
{
    char size[32];

    put(f, "%s", "");
    put(f, "%-6s %-9s %-16s %-16s %8s %s", "MOVE", "STATE", "FROM", "TO",
        "SIZE", "ORIGIN");
    if (!d->nmoves) put(f, "  (no memory moves in flight)");
    for (size_t i = 0; i < d->nmoves; i++) {
        const xres_top_move *m = &d->moves[i];
        xres_format_size_kb(m->kb, size, sizeof(size));
        put(f, "%-6llu %-9s %-16.16s %-16.16s %8s %s",
            (unsigned long long)m->id, m->state, m->src, m->dst, size,
            m->origin);
    }
}

void xres_top_format(xres_top_frame *f, const xres_top_data *d,
                     const xres_top_view *v)
{
    memset(f->buf, 0, (size_t)f->h * ((size_t)f->w + 1));
    f->used = 0;
    header(f, d, v);
    domains(f, d);
    pairs(f, d);
    moves(f, d);
}
