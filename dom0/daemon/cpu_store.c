/*
 * dom0/daemon/cpu_store.c: what the CPU subsystem keeps in XenStore under
 * /local/domain/0/xres/sched, so that a restarted xresd finds it: the
 * run-time policies, and the managing domain's pending request and its
 * (A, t) history.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"
#include "log.h"
#include "xs_schema.h"

xres_cpu_named *xres_cpud_find_rt(cpu_state *st, const char *name)
{
    for (size_t i = 0; i < st->nr_rt; i++)
        if (!strcmp(st->rt[i].name, name)) return &st->rt[i];
    return NULL;
}

/* Keep st's run-time policy of name in XenStore, in its own numbered
 * entry (the lowest free one for a new domain). */
void xres_cpud_persist_policy(xres_daemon *d, const char *name)
{
    cpu_state *st = ST(d);
    xres_cpu_named *np = xres_cpud_find_rt(st, name);
    char sq[24], spec[XRES_CPU_SPEC_MAX];

    if (!np) return;
    if (!np->slot) {
        for (uint64_t s = 1; !np->slot; s++) {
            bool used = false;
            for (size_t i = 0; i < st->nr_rt && !used; i++)
                used = st->rt[i].slot == s;
            if (!used) np->slot = s;
        }
    }
    snprintf(sq, sizeof(sq), "%" PRIu64, np->slot);
    xres_cpu_policy_format(&np->pol, spec, sizeof(spec));
    if (xres_xs_put(d, XS_SCHED_POLICY_NAME, 0, sq, name) ||
        xres_xs_put(d, XS_SCHED_POLICY_SPEC, 0, sq, spec))
        XLOG_WARN("cpu: %s's policy is in force but will not survive a "
                  "restart of xresd", name);
}

void xres_cpud_forget_policy(xres_daemon *d, uint64_t slot)
{
    char path[XRES_SCHEMA_PATH_MAX], sq[24], *slash;

    snprintf(sq, sizeof(sq), "%" PRIu64, slot);
    if (!slot || xres_xs_path(path, XS_SCHED_POLICY_NAME, 0, sq)) return;
    slash = strrchr(path, '/');
    if (slash) *slash = '\0';       /* the entry's directory */
    d->be->ops->xs_rm(d->be, path);
}

void xres_cpud_load_runtime(xres_daemon *d)
{
    cpu_state *st = ST(d);
    char dir[XRES_SCHEMA_PATH_MAX];
    char **names = NULL;
    unsigned n = 0;

    if (xres_xs_path(dir, XS_SCHED_POLICY_DIR, 0, NULL) ||
        d->be->ops->xs_directory(d->be, dir, &names, &n))
        return;
    for (unsigned i = 0; i < n; i++) {
        char *name = NULL, *spec = NULL, err[160];
        size_t nl = 0, sl = 0;
        uint64_t slot;
        xres_cpu_policy p;

        if (st->nr_rt >= RT_POLICIES_MAX) break;
        if (xres_schema_parse_seq(names[i], strlen(names[i]), &slot) ||
            xres_xs_get(d, XS_SCHED_POLICY_NAME, 0, names[i], &name, &nl) ||
            xres_xs_get(d, XS_SCHED_POLICY_SPEC, 0, names[i], &spec, &sl))
            goto next;
        if (nl == 0 || xres_schema_check(XS_SCHED_POLICY_NAME, name, nl,
                                         err, sizeof(err)) ||
            xres_cpu_policy_parse(spec, &p, err, sizeof(err))) {
            XLOG_WARN("cpu: ignoring stored policy %s: %s", names[i],
                      nl ? err : "no name");
            goto next;
        }
        if (xres_cpud_find_rt(st, name)) {
            XLOG_WARN("cpu: ignoring stored policy %s: %s has another",
                      names[i], name);
            goto next;
        }
        xres_cpud_policies_changed(st);
        if (!xres_cpu_named_set(&st->rt, &st->nr_rt, name, &p)) {
            st->rt[st->nr_rt - 1].slot = slot;
            XLOG_INFO("cpu: %s: run-time policy %s", name, spec);
        }
    next:
        free(name);
        free(spec);
    }
    for (unsigned i = 0; i < n; i++) free(names[i]);
    free(names);
}

/*----- the managing domain's (A, t) history -----*/

void xres_cpud_manage_load(xres_daemon *d)
{
    cpu_state *st = ST(d);
    char *v = NULL, slot[8];
    size_t len = 0;
    uint64_t x;

    if (!xres_xs_get(d, XS_SCHED_MANAGE_DOMAIN, 0, NULL, &v, &len) &&
        len < sizeof(st->mg.name)) {
        const xres_domain *dom;
        snprintf(st->mg.name, sizeof(st->mg.name), "%s", v);
        dom = xres_host_find_name(&d->host, st->mg.name);
        if (dom) st->mg.domid = dom->domid;
    }
    free(v);
    if (!xres_xs_get_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, &x)) st->mg.seq = x;
    /* A request from a previous xresd: its run timeout starts now. */
    if (st->mg.seq) st->mg.sent_ms = d->host.now_ms ? d->host.now_ms : 1;
    if (!xres_xs_get_u64(d, XS_SCHED_MANAGE_ALLOC, 0, NULL, &x))
        st->mg.alloc = (int)x;
    if (!xres_xs_get_u64(d, XS_SCHED_MANAGE_HNEXT, 0, NULL, &x))
        st->mg.hist_next = (x - 1) % XRES_MANAGE_HIST;
    for (size_t i = 0; i < XRES_MANAGE_HIST; i++) {
        double a, t;
        char extra;
        v = NULL;
        snprintf(slot, sizeof(slot), "%zu", i + 1);
        if (xres_xs_get(d, XS_SCHED_MANAGE_HIST, 0, slot, &v, &len)) continue;
        if (sscanf(v, "%lf %lf%c", &a, &t, &extra) == 2 && a >= 0 && t > 0) {
            st->mg.hist[i].alloc = a;
            st->mg.hist[i].time_s = t / 1000.0;
            st->mg.hist_n++;
        }
        free(v);
    }
    xres_cpu_manage_loaded(&st->mg);
}

void xres_cpud_manage_persist(xres_daemon *d,
                              const xres_cpu_manage_state *was)
{
    const xres_cpu_manage_state *mg = &ST(d)->mg;

    if (strcmp(mg->name, was->name))
        xres_xs_put(d, XS_SCHED_MANAGE_DOMAIN, 0, NULL, mg->name);
    if (mg->seq != was->seq)
        xres_xs_put_u64(d, XS_SCHED_MANAGE_SEQ, 0, NULL, mg->seq);
    if (mg->seq && mg->seq != was->seq)
        xres_xs_put_u64(d, XS_SCHED_MANAGE_ALLOC, 0, NULL,
                        (uint64_t)mg->alloc);
    if (mg->hist_next != was->hist_next || mg->hist_n != was->hist_n) {
        size_t li = (mg->hist_next + XRES_MANAGE_HIST - 1) % XRES_MANAGE_HIST;
        char slot[8], val[64];
        snprintf(slot, sizeof(slot), "%zu", li + 1);
        snprintf(val, sizeof(val), "%.0f %.0f", mg->hist[li].alloc,
                 mg->hist[li].time_s * 1000.0);
        xres_xs_put(d, XS_SCHED_MANAGE_HIST, 0, slot, val);
        xres_xs_put_u64(d, XS_SCHED_MANAGE_HNEXT, 0, NULL, mg->hist_next + 1);
    }
}
