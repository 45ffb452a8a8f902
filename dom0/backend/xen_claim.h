/*
 * dom0/backend/xen_claim.h: the claim operations of the optional Xen patch
 * (hv-patches/0001-xen-mm-claim-adjust-and-move.patch), on libxencall:
 * change a domain's claim in place, move claimed pages between domains,
 * and a run-time probe that tells a patched hypervisor from a stock one.
 */
#ifndef XRES_XEN_CLAIM_H
#define XRES_XEN_CLAIM_H

#include <stdbool.h>
#include <stdint.h>

struct xencall_handle;

typedef struct {
    struct xencall_handle *xcall;   /* NULL until xres_xen_claim_open */
} xres_xen_claim;

/* Every function returns 0 or -errno (rc). */
void xres_xen_claim_init(xres_xen_claim *c);
void xres_xen_claim_dispose(xres_xen_claim *c);
/* Opens the hypercall interface (/dev/xen/privcmd). */
int xres_xen_claim_open(xres_xen_claim *c);

/*
 * Whether the hypervisor has the patched operations.  Harmless: it asks
 * to adjust the claim of DOMID_INVALID, which a patched Xen refuses with
 * ESRCH and a stock one does not know (ENOSYS; EINVAL is taken as absent
 * too).  *why gets the answer in words ("ESRCH", "ENOSYS", ...).
 */
int xres_xen_claim_probe(xres_xen_claim *c, bool *present, const char **why);

/*
 * The domain's claim is set so that its pages and its claim come to
 * `pages` (as xc_domain_claim_pages counts), whether or not it has a claim
 * already, with no moment at which the pages are unclaimed.  0 cancels.
 * -ENOMEM: not enough unclaimed free memory for the growth; the old claim
 * stays.  -EINVAL: pages not above the domain's pages or above its
 * max_pages, or the domain is dying.  -ESRCH: no such domain.
 */
int xres_xen_claim_adjust(xres_xen_claim *c, uint32_t domid, uint64_t pages);

/*
 * `pages` claimed pages move from `from` to `to` atomically: from's claim
 * falls and to's rises by `pages`.  -EINVAL: from has fewer claimed pages,
 * to's max_pages would be exceeded, to is dying, or from == to.
 */
int xres_xen_claim_move(xres_xen_claim *c, uint32_t from, uint32_t to,
                        uint64_t pages);

#endif
