/*
 * dom0/backend/xen_claim.c: XENMEM_claim_adjust and XENMEM_claim_move of
 * the optional hypervisor patch, issued through libxencall, and the probe
 * for them.  Stock Xen 4.17's headers do not have these operations, so
 * their numbers and argument layouts are those of the patch's
 * xen/include/public/memory.h (x86_64), checked here by size.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <xencall.h>

#include "xen_claim.h"

#define XRES_HYPERVISOR_memory_op 12
#define XRES_XENMEM_claim_adjust  29
#define XRES_XENMEM_claim_move    30
#define XRES_DOMID_INVALID        0x7ff4u
#define XRES_DOMID_FIRST_RESERVED 0x7ff0u

/* struct xen_memory_reservation on x86_64 */
typedef struct {
    uint64_t extent_start;      /* guest handle: must be NULL */
    uint64_t nr_extents;        /* pages in all: allocated plus claimed */
    uint32_t extent_order;
    uint32_t mem_flags;
    uint16_t domid;
} xres_memory_reservation;
_Static_assert(sizeof(xres_memory_reservation) == 32, "xen_memory_reservation");
_Static_assert(offsetof(xres_memory_reservation, domid) == 24, "xen_memory_reservation");

/* struct xen_memory_claim_move */
typedef struct {
    uint16_t source;
    uint16_t target;
    uint32_t pad;
    uint64_t nr_pages;
} xres_memory_claim_move;
_Static_assert(sizeof(xres_memory_claim_move) == 16, "xen_memory_claim_move");

void xres_xen_claim_init(xres_xen_claim *c)
{
    memset(c, 0, sizeof(*c));
}

void xres_xen_claim_dispose(xres_xen_claim *c)
{
    if (c->xcall) xencall_close(c->xcall);
    xres_xen_claim_init(c);
}

int xres_xen_claim_open(xres_xen_claim *c)
{
    int rc = 0;

    if (c->xcall) goto out;
    c->xcall = xencall_open(NULL, 0);
    if (!c->xcall) rc = errno ? -errno : -EIO;
 out:
    return rc;
}

/* One memory op with a copy of `arg` in hypercall-safe memory. */
static int memory_op(xres_xen_claim *c, unsigned int cmd, const void *arg,
                     size_t len)
{
    void *buf = NULL;
    int rc = 0;

    if (!c->xcall) { rc = -EBADF; goto out; }
    buf = xencall_alloc_buffer(c->xcall, len);
    if (!buf) { rc = -ENOMEM; goto out; }
    memcpy(buf, arg, len);
    if (xencall2(c->xcall, XRES_HYPERVISOR_memory_op, cmd,
                 (uint64_t)(uintptr_t)buf) < 0)
        rc = errno ? -errno : -EIO;
 out:
    if (buf) xencall_free_buffer(c->xcall, buf);
    return rc;
}

static int adjust(xres_xen_claim *c, uint32_t domid, uint64_t pages)
{
    xres_memory_reservation r;

    memset(&r, 0, sizeof(r));
    r.nr_extents = pages;
    r.domid = (uint16_t)domid;
    return memory_op(c, XRES_XENMEM_claim_adjust, &r, sizeof(r));
}

int xres_xen_claim_probe(xres_xen_claim *c, bool *present, const char **why)
{
    int rc = 0, r;

    *present = false;
    *why = "not probed";
    if (!c->xcall) { rc = -EBADF; goto out; }
    r = adjust(c, XRES_DOMID_INVALID, 0);
    switch (r) {
    case -ESRCH: *present = true; *why = "ESRCH"; break;
    case -ENOSYS: *why = "ENOSYS"; break;
    case -EINVAL: *why = "EINVAL"; break;
    case -EPERM: *why = "EPERM"; break;
    case 0: *why = "accepted DOMID_INVALID"; break;
    default: *why = "unexpected answer"; break;
    }
 out:
    return rc;
}

int xres_xen_claim_adjust(xres_xen_claim *c, uint32_t domid, uint64_t pages)
{
    if (domid >= XRES_DOMID_FIRST_RESERVED) return -EINVAL;
    return adjust(c, domid, pages);
}

int xres_xen_claim_move(xres_xen_claim *c, uint32_t from, uint32_t to,
                        uint64_t pages)
{
    xres_memory_claim_move m;

    if (from >= XRES_DOMID_FIRST_RESERVED || to >= XRES_DOMID_FIRST_RESERVED)
        return -EINVAL;
    memset(&m, 0, sizeof(m));
    m.source = (uint16_t)from;
    m.target = (uint16_t)to;
    m.nr_pages = pages;
    return memory_op(c, XRES_XENMEM_claim_move, &m, sizeof(m));
}
