/*
 * tests/guest/xswire.h: XenStore's wire protocol on /dev/xen/xenbus, for
 * the test programs that act as misbehaving guests (appsim, xshostile).
 * One request, one reply, no transaction and no watch; the programs need
 * no Xen library.  Header-only: each test program is one static binary.
 */
#ifndef XRES_TEST_XSWIRE_H
#define XRES_TEST_XSWIRE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

/* One request of TYPE with payload A (with its NUL if a_nul) followed by
 * B (no NUL); the reply's payload goes to out (NUL-terminated, up to
 * outlen - 1 bytes).  0, or a positive errno: XenStore's error (EACCES,
 * EDQUOT, ENOSPC, E2BIG, ...) or EIO for the device. */
static inline int xsw_request(int fd, uint32_t type, uint32_t id, const char *a,
                       int a_nul, const char *b, char *out, size_t outlen)
{
    char buf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg m = { .type = type, .req_id = id, .tx_id = 0 };
    size_t al = strlen(a) + (a_nul ? 1 : 0), bl = b ? strlen(b) : 0;
    struct xsd_sockmsg r;

    if (al + bl > XENSTORE_PAYLOAD_MAX) return E2BIG;
    m.len = (uint32_t)(al + bl);
    memcpy(buf, &m, sizeof(m));
    memcpy(buf + sizeof(m), a, al);
    if (bl) memcpy(buf + sizeof(m) + al, b, bl);
    if (write(fd, buf, sizeof(m) + m.len) != (ssize_t)(sizeof(m) + m.len))
        return EIO;
    if (read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) return EIO;
    if (r.len > XENSTORE_PAYLOAD_MAX) return EIO;
    if (r.len && read(fd, buf, r.len) != (ssize_t)r.len) return EIO;
    buf[r.len] = '\0';
    if (out && outlen) {
        size_t n = r.len < outlen - 1 ? r.len : outlen - 1;
        memcpy(out, buf, n);
        out[n] = '\0';
    }
    if (r.type == XS_ERROR) {
        for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
            if (!strcmp(buf, xsd_errors[i].errstring))
                return xsd_errors[i].errnum ? xsd_errors[i].errnum : EIO;
        return EIO;
    }
    return 0;
}

static inline int xsw_write(int fd, uint32_t id, const char *path, const char *val)
{
    return xsw_request(fd, XS_WRITE, id, path, 1, val, NULL, 0);
}

static inline int xsw_read(int fd, uint32_t id, const char *path, char *out,
                    size_t outlen)
{
    return xsw_request(fd, XS_READ, id, path, 1, NULL, out, outlen);
}

static inline int xsw_rm(int fd, uint32_t id, const char *path)
{
    return xsw_request(fd, XS_RM, id, path, 1, NULL, NULL, 0);
}

#endif
