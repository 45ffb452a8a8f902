/*
 * xenstore-schema/xs_schema.h: every XenStore path xres uses, and the one
 * parser and validator for their values.
 *
 * The rows come from xenstore-schema/schema.tbl (generated into
 * build/gen/xs_schema_rows.h).  Code never spells a XenStore path: it asks
 * xres_schema_path() for XS_<ID>.  Every value a guest wrote goes through a
 * xres_schema_parse_*() function, which accepts it exactly or rejects it
 * with a reason.  Only libc is used, so the daemon, the command, the guest
 * agent and the fuzzer all link the same code.
 *
 * Error convention: 0, or a negative errno value: -EINVAL (malformed),
 * -ERANGE (a number out of bounds), -E2BIG (too long), -ENOENT (unknown
 * path), -ENAMETOOLONG (buffer too small).
 */
#ifndef XRES_XS_SCHEMA_H
#define XRES_XS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    XS_T_U64,       /* decimal digits, no sign, no leading zero, MIN..MAX */
    XS_T_ENUM,      /* one of the listed words */
    XS_T_NAME,      /* [a-z][a-z0-9_]*: an application name */
    XS_T_TOKEN,     /* [A-Za-z0-9._+~:-]+: a version or similar */
    XS_T_TEXT,      /* printable ASCII 0x20..0x7e */
    XS_T_REQUEST,   /* a request from xresd to the agent (see below) */
    XS_T_ACK,       /* an acknowledgement from the agent */
    XS_T_RECORD,    /* "NAME=VALUE NAME=VALUE ...": the fields PATH#NAME */
    XS_T_DIR,       /* a directory node; its value is not read */
} xres_schema_type;

typedef enum {
#define XS_ROW(id, ...) XS_##id,
#include "xs_schema_rows.h"
#undef XS_ROW
    XS__COUNT
} xres_schema_id;

/* XS_POS_<ID>: a record field's place in its record (0, 1, ...); -1 for a
 * row that is not a field. */
enum {
#define XS_ROW(id, path, writer, readers, type, min, max, maxlen, choices, \
               unit, meaning, rec, pos) XS_POS_##id = pos,
#include "xs_schema_rows.h"
#undef XS_ROW
};

typedef struct {
    xres_schema_id id;
    const char *ident;      /* "REPORT_SEQ" */
    const char *path;       /* "/local/domain/<domid>/data/xres/report" */
    const char *writer;
    const char *readers;
    xres_schema_type type;
    uint64_t min, max;      /* u64 */
    unsigned maxlen;        /* longest accepted value, in bytes */
    const char *choices;    /* enum: "a|b|c" */
    const char *unit;
    const char *meaning;
    xres_schema_id record;  /* a field: its record; else the row itself */
    int field_pos;          /* a field: XS_POS_<ID>; else -1 */
} xres_schema_row;

/* Room for a reason: "mem-total: not a number: \"12a\"" and the like. */
#define XRES_SCHEMA_WHY_MAX 128
/* Longest path the schema can produce. */
#define XRES_SCHEMA_PATH_MAX 192
/* Application names: [a-z][a-z0-9_]{0,31}. */
#define XRES_APP_NAME_MAX 32
/* Free text in acknowledgements. */
#define XRES_ACK_DETAIL_MAX 120

size_t xres_schema_nrows(void);
/* NULL if id is out of range. */
const xres_schema_row *xres_schema_row_get(xres_schema_id id);
const char *xres_schema_type_name(xres_schema_type t);
/* Last path component of a row, e.g. "app/<app>/level"; a record field's
 * name, e.g. "mem-total"; for messages. */
const char *xres_schema_leaf(xres_schema_id id);

/*
 * Builds the path of row id into buf (-EINVAL for a record field: it is
 * part of its record's value, not a path of its own).  <domid> becomes domid; the row's
 * other placeholder, if any, becomes arg (an application name must pass
 * xres_schema_check_name(); <seq> must be decimal digits; anything else
 * [A-Za-z0-9_.-]{1,64}).  Returns 0, -EINVAL for a bad arg or a missing
 * one, -ENAMETOOLONG if buf is too small.
 */
int xres_schema_path(char *buf, size_t len, xres_schema_id id,
                     uint32_t domid, const char *arg);
/* The same path relative to /local/domain/<domid>/, as a guest may use
 * it: "data/xres/report".  -EINVAL for rows outside /local/domain/<domid>. */
int xres_schema_relpath(char *buf, size_t len, xres_schema_id id,
                        const char *arg);

/* Which row a concrete path belongs to: 0 and *id, or -ENOENT. */
int xres_schema_lookup(const char *path, xres_schema_id *id);
/* Does a path pattern or literal (may hold <...> placeholders, may be
 * relative to /local/domain/<domid>/) name a row?  For the source scan. */
bool xres_schema_knows_literal(const char *lit);

/*
 * Value checks.  val need not be NUL-terminated; len is its length as read
 * from XenStore.  Each returns 0 or a negative errno and, on rejection,
 * writes a reason into why (may be NULL; XRES_SCHEMA_WHY_MAX bytes is
 * enough).
 */
int xres_schema_check(xres_schema_id id, const char *val, size_t len,
                      char *why, size_t whylen);
int xres_schema_parse_u64(xres_schema_id id, const char *val, size_t len,
                          uint64_t *out, char *why, size_t whylen);
/* Index of the word in the row's choices. */
int xres_schema_parse_enum(xres_schema_id id, const char *val, size_t len,
                           unsigned *out, char *why, size_t whylen);
/* Formats a number for row id, refusing one out of its bounds. */
int xres_schema_format_u64(xres_schema_id id, uint64_t v, char *buf,
                           size_t len);

/*
 * Records: one XenStore value that carries several figures, so that they
 * are written and read together, in one request.  The value is the
 * record's fields (the rows PATH#NAME, in table order) as NAME=VALUE
 * words, one space apart, each value as its row accepts it.  Words after
 * the last field, NAME=VALUE with NAME [a-z][a-z0-9-]* and a value of
 * printable non-space bytes, are ignored: a newer agent may add fields.
 */
#define XRES_SCHEMA_FIELDS_MAX 16
typedef struct {
    uint64_t u64;           /* u64: the number; enum: the word's index */
    const char *s;          /* name, token: the text (parse: points into
                               the value, not NUL-terminated) */
    size_t len;             /* its length */
} xres_schema_field;

/* Fields of record rec: how many (0 for a row that is not a record). */
unsigned xres_schema_record_nfields(xres_schema_id rec);
/* f[XS_POS_<ID>] gets each field; on rejection why says which field. */
int xres_schema_parse_record(xres_schema_id rec, const char *val,
                             size_t len, xres_schema_field *f,
                             char *why, size_t whylen);
/* The value of record rec from f[XS_POS_<ID>]: 0, -ERANGE (a number out
 * of its bounds), -EINVAL (bad text or enum index), -ENAMETOOLONG. */
int xres_schema_format_record(xres_schema_id rec,
                              const xres_schema_field *f, char *buf,
                              size_t len);

/* Application names, as agent.conf and the request grammar take them. */
bool xres_schema_check_name(const char *s, size_t len);

/* --- Requests: xresd -> agent, at xres/request/<seq>. */
typedef enum {
    XRES_REQ_RELEASE = 1,   /* "release KB [drop-caches]": let the balloon
                               shrink to KB, ack when it is there */
    XRES_REQ_ENGAGE,        /* "engage [KB]": bring added memory online */
    XRES_REQ_START,         /* "start APP" */
    XRES_REQ_STOP,          /* "stop APP" */
    XRES_REQ_ALLOC,         /* "alloc PCT": the managing domain's CPU
                               allocation (% of one physical CPU); run the
                               analysis job, ack "ok time-ms=N" */
    XRES_REQ_REFUSE,        /* "refuse APP": the extension APP asked for
                               before it starts is refused */
} xres_request_op;

/* alloc PCT: 1..XRES_REQ_ALLOC_MAX (the scheduler cap's range). */
#define XRES_REQ_ALLOC_MAX 65535

typedef struct {
    xres_request_op op;
    uint64_t kb;            /* release: target; engage: size added, 0 = any */
    bool drop_caches;       /* release */
    char app[XRES_APP_NAME_MAX + 1];   /* start, stop, refuse */
    unsigned pct;           /* alloc */
} xres_request;

const char *xres_request_op_name(xres_request_op op);
int xres_schema_parse_request(const char *val, size_t len, xres_request *req,
                              char *why, size_t whylen);
/* The canonical text of a request; what parse accepts. */
int xres_schema_format_request(const xres_request *req, char *buf,
                               size_t len);
/* A sequence number as it appears in a path: 1..2^53-1, decimal. */
int xres_schema_parse_seq(const char *s, size_t len, uint64_t *seq);

/* --- Acknowledgements: agent -> xresd, at data/xres/ack/<seq>. */
typedef struct {
    bool ok;
    char detail[XRES_ACK_DETAIL_MAX + 1];
} xres_ack;

int xres_schema_parse_ack(const char *val, size_t len, xres_ack *ack,
                          char *why, size_t whylen);
/* detail may be NULL; unprintable bytes become '?', long text is cut. */
int xres_schema_format_ack(bool ok, const char *detail, char *buf,
                           size_t len);

/* One Markdown table line for a row, as docs/xenstore-schema.md holds
 * it.  Returns the length, or -ENAMETOOLONG. */
int xres_schema_doc_line(const xres_schema_row *r, char *buf, size_t len);
#define XRES_SCHEMA_DOC_BEGIN "<!-- schema table: generated by make schema-doc -->"
#define XRES_SCHEMA_DOC_END "<!-- end of schema table -->"
#define XRES_SCHEMA_DOC_HEAD \
    "| path | type | bounds | unit | writer | readers | meaning |\n" \
    "|---|---|---|---|---|---|---|"

#endif
