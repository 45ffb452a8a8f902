/*
 * dom0/backend/backend_sim_pool.c: the simulator's memory-pool operations
 * (backend.h): placeholder domains, claims with stock Xen 4.17's rules,
 * and domain creation from a pool.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_sim_priv.h"

int sim_placeholder_create(xres_backend *b, const char *name,
                           uint64_t max_kb, uint32_t *domid)
{
    sim *s = S(b);
    sim_dom *d, *nv;
    char path[XRES_SCHEMA_PATH_MAX];

    if (!name || !*name || strlen(name) >= XRES_NAME_MAX) return -EINVAL;
    nv = realloc(s->doms, (s->nr_doms + 1) * sizeof(*nv));
    if (!nv) return -ENOMEM;
    s->doms = nv;
    d = &s->doms[s->nr_doms++];
    memset(d, 0, sizeof(*d));
    d->domid = s->next_domid++;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->xen_max_kb = max_kb;
    d->paused = true;
    d->weight = 256;
    d->vcpus = 1;
    sim_schema_path(path, sizeof(path), XS_XEN_NAME, d->domid, 0);
    sim_xs_write_str(s, path, name);
    sim_fire(s, "@introduceDomain", false);
    *domid = d->domid;
    return 0;
}

int sim_claim(xres_backend *b, uint32_t domid, uint64_t kb)
{
    sim *s = S(b);
    sim_dom *d = sim_find_dom(s, domid);

    if (!d) return -ESRCH;
    if (!kb) {
        d->claim_kb = 0;
        return 0;
    }
    /* Stock 4.17: one claim at a time, above what the domain has and
     * within its maximum, and no more than the unclaimed free memory. */
    if (d->claim_kb || kb <= d->cur_kb || kb > d->xen_max_kb) return -EINVAL;
    if (kb - d->cur_kb > xres_sim_free_kb(b)) return -ENOMEM;
    d->claim_kb = kb - d->cur_kb;
    return 0;
}

int sim_create_start(xres_backend *b, const char *cfg, const char *name,
                     uint64_t mem_kb)
{
    sim *s = S(b);
    sim_create *c;

    (void)cfg;
    for (unsigned i = 0; i < s->nr_creates; i++)
        if (!strcmp(s->creates[i].name, name)) return -EBUSY;
    if (s->nr_creates == SIM_CREATES_MAX) return -EAGAIN;
    if (strlen(name) >= XRES_NAME_MAX || !mem_kb) return -EINVAL;
    c = &s->creates[s->nr_creates++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->mem_kb = mem_kb;
    return 0;
}

int sim_create_poll(xres_backend *b, const char *name, char *err,
                    size_t errlen)
{
    sim *s = S(b);
    int rc;

    for (unsigned i = 0; i < s->nr_creates; i++) {
        sim_create c = s->creates[i];
        if (strcmp(c.name, name)) continue;
        s->creates[i] = s->creates[--s->nr_creates];
        rc = s->create_fails ? -EIO
            : xres_sim_add_domain(b, c.name, c.mem_kb, c.mem_kb, NULL);
        if (rc == -ENOMEM)
            snprintf(err, errlen, "xl create failed: can't allocate low "
                     "memory for domain: Out of memory");
        else if (rc)
            snprintf(err, errlen, "xl create failed: %s", strerror(-rc));
        else if (errlen)
            err[0] = '\0';
        return rc;
    }
    return -ENOENT;
}

/* The patch's rules: the total must be above what the domain has and
 * within its maximum; a growth needs unclaimed free memory. */
int sim_claim_adjust(xres_backend *b, uint32_t domid, uint64_t kb)
{
    sim *s = S(b);
    sim_dom *d = sim_find_dom(s, domid);
    uint64_t want;

    if (!s->claim_ops) return -ENOSYS;
    if (!d) return -ESRCH;
    if (!kb) {
        d->claim_kb = 0;
        return 0;
    }
    if (kb <= d->cur_kb || kb > d->xen_max_kb) return -EINVAL;
    want = kb - d->cur_kb;
    if (want > d->claim_kb && want - d->claim_kb > xres_sim_free_kb(b))
        return -ENOMEM;
    d->claim_kb = want;
    return 0;
}

int sim_claim_move(xres_backend *b, uint32_t from, uint32_t to, uint64_t kb)
{
    sim *s = S(b);
    sim_dom *f = sim_find_dom(s, from), *t = sim_find_dom(s, to);

    if (!s->claim_ops) return -ENOSYS;
    if (!f || !t) return -ESRCH;
    if (f == t || kb > f->claim_kb ||
        t->cur_kb + t->claim_kb + kb > t->xen_max_kb)
        return -EINVAL;
    f->claim_kb -= kb;
    t->claim_kb += kb;
    return 0;
}

void xres_sim_set_claim_ops(xres_backend *b, bool on)
{
    S(b)->claim_ops = on;
}

void xres_sim_set_cap_shadow(xres_backend *b, bool on)
{
    S(b)->cap_shadow = on;
}

void xres_sim_set_create_fails(xres_backend *b, bool fails)
{
    S(b)->create_fails = fails;
}
