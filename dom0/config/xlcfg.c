/*
 * dom0/config/xlcfg.c: reads name, memory, maxmem and type from an xl.cfg
 * (xlcfg.h) with libxlutil, as `xl create` parses the file.
 */
#include <errno.h>
#include <libxlutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg.h"

#define XLCFG_MAX (1024 * 1024)

static int slurp(const char *path, char **data, size_t *len, char *err,
                 size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n;
    int rc;

    if (!f) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    buf = malloc(XLCFG_MAX + 1);
    if (!buf) { rc = -ENOMEM; goto out; }
    n = fread(buf, 1, XLCFG_MAX + 1, f);
    if (ferror(f) || n > XLCFG_MAX) {
        snprintf(err, errlen, "%s: %s", path, ferror(f)
                 ? "cannot read it" : "larger than 1 MiB");
        rc = -EINVAL;
        goto out;
    }
    if (memchr(buf, '\0', n)) {
        snprintf(err, errlen, "%s: holds a NUL byte", path);
        rc = -EINVAL;
        goto out;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

int xres_xlcfg_read(const char *path, xres_xlcfg *out, char *err,
                    size_t errlen)
{
    XLU_Config *xlu = NULL;
    char *data = NULL, *rep = NULL;
    size_t len = 0, replen = 0;
    FILE *report = NULL;
    const char *s;
    long v;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = slurp(path, &data, &len, err, errlen))) goto out;
    report = open_memstream(&rep, &replen);
    if (!report || !(xlu = xlu_cfg_init(report, path))) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = xlu_cfg_readdata(xlu, data, (int)len))) {
        fflush(report);
        char *nl = rep ? strchr(rep, '\n') : NULL;
        if (nl) *nl = '\0';
        snprintf(err, errlen, "%s", rep && *rep ? rep : strerror(rc));
        rc = -EINVAL;
        goto out;
    }
    rc = -EINVAL;
    if (xlu_cfg_get_string(xlu, "name", &s, 1) || !*s) {
        snprintf(err, errlen, "%s: no name", path);
        goto out;
    }
    if (strlen(s) >= sizeof(out->name)) {
        snprintf(err, errlen, "%s: name is longer than %zu bytes", path,
                 sizeof(out->name) - 1);
        goto out;
    }
    snprintf(out->name, sizeof(out->name), "%s", s);
    if (xlu_cfg_get_long(xlu, "memory", &v, 1) || v <= 0 ||
        v > 1024L * 1024 * 1024) {
        snprintf(err, errlen, "%s: memory must be given, in MiB", path);
        goto out;
    }
    out->memory_kb = (uint64_t)v * 1024;
    if (!xlu_cfg_get_long(xlu, "maxmem", &v, 1) && v > 0 &&
        v <= 1024L * 1024 * 1024)
        out->maxmem_kb = (uint64_t)v * 1024;
    if (!xlu_cfg_get_string(xlu, "type", &s, 1) && strcmp(s, "pv")) {
        snprintf(err, errlen, "%s: type \"%s\": pools create PV domains only",
                 path, s);
        goto out;
    }
    rc = 0;
out:
    if (xlu) xlu_cfg_destroy(xlu);
    if (report) fclose(report);
    free(rep);
    free(data);
    return rc;
}
