/*
 * dom0/config/config.h: xresd's configuration file, /etc/xres/xres.conf, in
 * xl.cfg syntax (parsed with libxlutil).  See docs/xres.conf.5.md.
 *
 * Global keys are read by name through the generic accessors, so each
 * subsystem reads its own keys.  Per-domain settings are one list:
 *
 *   domains = [ "name=g1, min=256M, max=1G, priority=10, weight=2",
 *               "name=web-2, min=512M" ]
 */
#ifndef XRES_CONFIG_H
#define XRES_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "model.h"

#define XRES_CONF_DEFAULT "/etc/xres/xres.conf"
#define XRES_SOCKET_DEFAULT "/run/xres/xresd.sock"
#define XRES_PIDFILE_DEFAULT "/run/xres/xresd.pid"

typedef struct {
    char *key;
    char *val;
} xres_config_kv;

/* One entry of `domains`. */
typedef struct {
    char name[XRES_NAME_MAX];
    xres_mem_policy mem;        /* min, max, priority, weight (0 if unset) */
    size_t nr_kv;
    xres_config_kv *kv;         /* every key=value, including name */
} xres_config_domain;

typedef struct xres_config {
    char *path;                 /* NULL: built-in defaults, no file */
    struct XLU_Config *xlu;     /* NULL when no file was read */

    /* Global keys the core uses, with defaults applied. */
    long tick_ms;               /* tick_ms, default 10000 */
    long report_interval_ms;    /* report_interval_ms, default 1000 */
    char *socket;               /* socket, default XRES_SOCKET_DEFAULT */
    /* socket_group: a group whose members may use the socket (0660);
     * NULL and (gid_t)-1: root only (0600). */
    char *socket_group;
    gid_t socket_gid;

    size_t nr_domains;
    xres_config_domain *domains;

    /* Messages libxlutil writes while parsing ("file:line: ..."); on the
     * heap, as the stream keeps pointers into it. */
    struct xres_config_report *report;
} xres_config;

void xres_config_init(xres_config *cfg);
void xres_config_dispose(xres_config *cfg);

/* Load path into cfg (initialised, empty).  path NULL: defaults only.
 * missing_ok: a file that does not exist gives the defaults.  On error
 * returns a negative errno and puts a message naming the file (and line,
 * where libxlutil gives one) in err. */
int xres_config_load(xres_config *cfg, const char *path, bool missing_ok,
                     char *err, size_t errlen);

/* Generic accessors for global keys.  A key that is absent gives def.
 * A key of the wrong type or out of range is an error: these return
 * -EINVAL and write "FILE:LINE: ..." to err. */
int xres_config_long(const xres_config *cfg, const char *key, long min,
                     long max, long def, long *out, char *err,
                     size_t errlen);
int xres_config_size_kb(const xres_config *cfg, const char *key,
                        uint64_t def, uint64_t *out, char *err,
                        size_t errlen);
/* The string value, or def when absent or not a string. */
const char *xres_config_get_string(const xres_config *cfg, const char *key,
                                   const char *def);

/* Per-domain settings. */
const xres_config_domain *xres_config_domain_find(const xres_config *cfg,
                                                  const char *name);
/* The value of key for domain name, or NULL. */
const char *xres_config_domain_get(const xres_config *cfg, const char *name,
                                   const char *key);

#endif
