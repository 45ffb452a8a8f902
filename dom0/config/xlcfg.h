/*
 * dom0/config/xlcfg.h: the few keys xres reads from a domain's xl.cfg (a
 * pool's --config), with libxlutil, the parser xl itself uses.
 */
#ifndef XRES_XLCFG_H
#define XRES_XLCFG_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct {
    char name[XRES_NAME_MAX];
    uint64_t memory_kb;         /* memory = (MiB) */
    uint64_t maxmem_kb;         /* maxmem = (MiB), 0 if absent */
} xres_xlcfg;

/* Reads path: 0, or a negative errno with "PATH: reason" in err.  The
 * file must give name and memory; type, if given, must be "pv" (the
 * only kind whose memory is exactly its memory key). */
int xres_xlcfg_read(const char *path, xres_xlcfg *out, char *err,
                    size_t errlen);

#endif
