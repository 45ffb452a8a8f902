/*
 * xenstore-schema/xs_schema_priv.h: what the schema's files share and
 * nobody else uses: the rows, the message builder for a refused value,
 * and the strict decimal parser.
 */
#ifndef XRES_XS_SCHEMA_PRIV_H
#define XRES_XS_SCHEMA_PRIV_H

#include "xs_schema.h"

#define DOMAIN_PREFIX "/local/domain/<domid>/"
#define SEQ_MAX 9007199254740991ULL         /* 2^53 - 1 */
#define REQ_KB_MAX 1099511627776ULL         /* 1 PiB in KiB */

/* The rows of schema.tbl, xres_schema_nrows() of them. */
extern const xres_schema_row xs_rows[];

/* Returns rc; writes "WHAT: MESSAGE: \"EXCERPT OF VAL\"" (or without the
 * excerpt when val is NULL) into why, if why is not NULL. */
int xs_reject(int rc, char *why, size_t whylen, const char *what,
              const char *val, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Strict decimal: digits only, no sign, no leading zero, max digits. */
int xs_parse_dec(const char *s, size_t len, size_t maxdigits, uint64_t *out);
bool xs_is_print(char c);

#endif
