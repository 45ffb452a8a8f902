/*
 * dom0/policy/policy_mem_ops.c: the operator's memory commands as plans
 * (policy_mem.h): `xres mem-move` and `xres mem-set` checked against each
 * domain's policy, and any plan as the list of actions it runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy_mem.h"

static const char *fixed_reason(const xres_domain *d)
{
    if (d->domid == 0) return "it is dom0, which xres never balloons";
    if (d->shutdown || d->dying) return "it is shutting down";
    if (!d->agent.valid) return "it has no valid xres-agent report";
    if (!xres_mem_has_balloon(d)) return "it has no balloon driver";
    return NULL;
}

static int usable(const xres_domain *d, const char *role, char *err,
                  size_t len)
{
    const char *why = fixed_reason(d);

    if (why) {
        snprintf(err, len, "%s %s (domain %" PRIu32 ") cannot %s: %s", role,
                 d->name, d->domid,
                 !strcmp(role, "source") ? "give memory" : "be changed", why);
        return -EPERM;
    }
    if (d->balloon == XRES_BALLOON_NOT_RESPONDING) {
        snprintf(err, len, "%s %s (domain %" PRIu32 ") is not responding to "
                 "balloon requests", role, d->name, d->domid);
        return -EBUSY;
    }
    if (d->balloon == XRES_BALLOON_MOVING) {
        snprintf(err, len, "%s %s (domain %" PRIu32 ") is in the middle of a "
                 "memory move; try again when it is done", role, d->name,
                 d->domid);
        return -EBUSY;
    }
    return 0;
}

static void fmt(uint64_t kb, char *buf, size_t len)
{
    if (kb % 1024 == 0)
        snprintf(buf, len, "%" PRIu64 "M", kb / 1024);
    else
        snprintf(buf, len, "%" PRIu64 "K", kb);
}

int xres_mem_plan_move(const xres_host *h, const xres_mem_params *p,
                       uint32_t src, uint32_t dst, uint64_t kb,
                       xres_mem_plan *plan, char *err, size_t errlen)
{
    const xres_domain *s = xres_host_find(h, src);
    const xres_domain *r = xres_host_find(h, dst);
    char a[32], b2[32], c[32];
    xres_mem_transfer t;
    int rc;

    if (!s || !r) {
        snprintf(err, errlen, "domain %" PRIu32 " does not exist",
                 !s ? src : dst);
        return -ENOENT;
    }
    if (src == dst) {
        snprintf(err, errlen, "source and destination are both %s", s->name);
        return -EINVAL;
    }
    if (!kb || kb % 4) {
        snprintf(err, errlen, "size must be a positive multiple of 4K");
        return -EINVAL;
    }
    if ((rc = usable(s, "source", err, errlen))) return rc;
    if ((rc = usable(r, "destination", err, errlen))) return rc;
    if (s->target_kb < kb || s->target_kb - kb < s->mem_policy.min_kb ||
        s->target_kb - kb < 4) {
        fmt(kb, a, sizeof(a));
        fmt(s->target_kb, b2, sizeof(b2));
        fmt(s->mem_policy.min_kb, c, sizeof(c));
        snprintf(err, errlen, "%s cannot give %s: its target is %s and its "
                 "guarantee (min) is %s", s->name, a, b2, c);
        return -ENOSPC;
    }
    uint64_t mx = xres_mem_max_of(r);
    if (r->target_kb + kb > mx) {
        fmt(kb, a, sizeof(a));
        fmt(r->target_kb, b2, sizeof(b2));
        fmt(mx, c, sizeof(c));
        snprintf(err, errlen, "%s cannot take %s: its target is %s and its "
                 "max is %s", r->name, a, b2, c);
        return -ENOSPC;
    }
    memset(&t, 0, sizeof(t));
    t.src = src;
    t.dst = dst;
    t.kb = kb;
    t.src_from = s->target_kb;
    t.src_to = s->target_kb - kb;
    t.dst_from = r->target_kb;
    t.dst_to = r->target_kb + kb;
    if (t.dst_to + p->maxmem_slack_kb > r->xen_max_kb)
        t.dst_maxmem = t.dst_to + p->maxmem_slack_kb;
    snprintf(t.why, sizeof(t.why), "mem-move");
    return xres_mem_plan_push(plan, &t);
}

int xres_mem_plan_set(const xres_host *h, const xres_mem_params *p,
                      uint32_t domid, uint64_t kb, xres_mem_plan *plan,
                      char *err, size_t errlen)
{
    const xres_domain *d = xres_host_find(h, domid);
    char a[32], b2[32];
    xres_mem_transfer t;
    xres_mem_account acc;
    int rc;

    if (!d) {
        snprintf(err, errlen, "domain %" PRIu32 " does not exist", domid);
        return -ENOENT;
    }
    if (!kb || kb % 4) {
        snprintf(err, errlen, "size must be a positive multiple of 4K");
        return -EINVAL;
    }
    if ((rc = usable(d, "domain", err, errlen))) return rc;
    if (kb == d->target_kb) return 0;
    memset(&t, 0, sizeof(t));
    t.src = t.dst = XRES_DOMID_INVALID;
    snprintf(t.why, sizeof(t.why), "mem-set");
    if (kb < d->target_kb) {
        if (kb < d->mem_policy.min_kb) {
            fmt(kb, a, sizeof(a));
            fmt(d->mem_policy.min_kb, b2, sizeof(b2));
            snprintf(err, errlen, "%s cannot go down to %s: its guarantee "
                     "(min) is %s", d->name, a, b2);
            return -ENOSPC;
        }
        t.src = domid;
        t.kb = d->target_kb - kb;
        t.src_from = d->target_kb;
        t.src_to = kb;
    } else {
        uint64_t mx = xres_mem_max_of(d);
        if (kb > mx) {
            fmt(kb, a, sizeof(a));
            fmt(mx, b2, sizeof(b2));
            snprintf(err, errlen, "%s cannot go up to %s: its max is %s",
                     d->name, a, b2);
            return -ENOSPC;
        }
        xres_mem_account_of(h, p, &acc);
        if (acc.spare_kb < 0 || (uint64_t)acc.spare_kb < kb - d->target_kb) {
            fmt(kb - d->target_kb, a, sizeof(a));
            fmt(acc.spare_kb > 0 ? (uint64_t)acc.spare_kb : 0, b2,
                sizeof(b2));
            snprintf(err, errlen, "not enough free memory for %s to grow by "
                     "%s: %s free above the reserve", d->name, a, b2);
            return -ENOSPC;
        }
        t.dst = domid;
        t.kb = kb - d->target_kb;
        t.dst_from = d->target_kb;
        t.dst_to = kb;
        if (t.dst_to + p->maxmem_slack_kb > d->xen_max_kb)
            t.dst_maxmem = t.dst_to + p->maxmem_slack_kb;
    }
    return xres_mem_plan_push(plan, &t);
}

int xres_mem_plan_actions(const xres_mem_plan *plan, const xres_mem_params *p,
                          xres_actions *out)
{
    char why[96];
    int rc;

    for (size_t i = 0; i < plan->n; i++) {
        const xres_mem_transfer *t = &plan->v[i];
        if (t->src != XRES_DOMID_INVALID) {
            snprintf(why, sizeof(why), "%s: give %" PRIu64 "KiB", t->why,
                     t->kb);
            if ((rc = xres_act_set_target(out, t->src, t->src_to, why)))
                return rc;
            if ((rc = xres_act_wait_target(out, t->src, t->src_to,
                                           p->tolerance_kb, "donor released")))
                return rc;
        }
        if (t->dst != XRES_DOMID_INVALID) {
            snprintf(why, sizeof(why), "%s: take %" PRIu64 "KiB", t->why,
                     t->kb);
            if (t->dst_maxmem &&
                (rc = xres_act_set_maxmem(out, t->dst, t->dst_maxmem,
                                          "room for the raise")))
                return rc;
            if ((rc = xres_act_set_target(out, t->dst, t->dst_to, why)))
                return rc;
        }
    }
    return 0;
}
