/*
 * guest-agent/xlu_shim.c: lets xres-agent link libxlutil.a statically
 * without libxenlight.  libxlutil's config parser (libxlu_cfg.o) refers
 * to one libxenlight function, libxl_defbool_set, for
 * xlu_cfg_get_defbool(), which the agent never calls; defining it here
 * (with libxl's meaning) keeps the linker from pulling in libxenlight and
 * the whole Xen control stack, which a guest has no use for.
 */
#include <libxl.h>

void libxl_defbool_set(libxl_defbool *db, bool b)
{
    db->val = b ? 1 : -1;       /* LIBXL__DEFBOOL_TRUE / _FALSE */
}
