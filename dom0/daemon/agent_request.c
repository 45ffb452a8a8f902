/*
 * dom0/daemon/agent_request.c: the daemon's requests to a guest agent.  dom0
 * creates /local/domain/<domid>/xres owned by itself with read-only access
 * for the guest, writes each request as xres/request/<seq>, and reads the
 * agent's answer from data/xres/ack/<seq>, which is hostile input like all
 * of data/xres.  This is the one guest request channel: nothing else in
 * dom0 writes the request counter (xres/seq) or the requests, or reads
 * the acks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "agent_report.h"
#include "log.h"
#include "util.h"

static int path_of(char *buf, xres_schema_id id, uint32_t domid,
                   const char *arg)
{
    return xres_schema_path(buf, XRES_SCHEMA_PATH_MAX, id, domid, arg);
}

static int lock_node(xres_backend *b, const char *path, uint32_t domid)
{
    /* First entry: the owner (dom0) and what everybody else may do
     * (nothing); then the guest, which may read. */
    const xres_perm_entry perms[] = {
        { 0, XRES_PERM_NONE },
        { domid, XRES_PERM_READ },
    };
    return b->ops->xs_set_perms(b, path, perms, 2);
}

/* A domain's request counter: 0 with *seq, or the backend's error
 * (-ENOENT: no request directory), -EINVAL for a counter that does not
 * parse. */
static int read_counter(xres_backend *b, uint32_t domid, uint64_t *seq)
{
    char p[XRES_SCHEMA_PATH_MAX], *val = NULL;
    size_t len = 0;
    int rc;

    if ((rc = path_of(p, XS_REQ_LAST_SEQ, domid, NULL))) return rc;
    rc = b->ops->xs_read(b, p, &val, &len);
    if (!rc)
        rc = xres_schema_parse_u64(XS_REQ_LAST_SEQ, val ? val : "",
                                   val ? len : 0, seq, NULL, 0);
    free(val);
    return rc;
}

int xres_agent_request_setup(xres_backend *b, uint32_t domid)
{
    char root[XRES_SCHEMA_PATH_MAX], dir[XRES_SCHEMA_PATH_MAX];
    char seqp[XRES_SCHEMA_PATH_MAX], buf[24];
    uint64_t seq = 0;
    int rc;

    if (domid == 0) return -EINVAL;
    if ((rc = path_of(root, XS_REQ_ROOT, domid, NULL)) ||
        (rc = path_of(dir, XS_REQ_DIR, domid, NULL)) ||
        (rc = path_of(seqp, XS_REQ_LAST_SEQ, domid, NULL)))
        return rc;
    /* The guest owns /local/domain/<domid> and may have made xres first.
     * Lock the top directory, so it can add nothing more, then replace
     * what is under it. */
    rc = b->ops->xs_mkdir(b, root);
    if (rc) goto out;
    rc = lock_node(b, root, domid);
    if (rc) goto out;
    /* Keep counting where a previous xresd stopped, if the number is
     * sane; it only has to grow. */
    if (read_counter(b, domid, &seq)) seq = 0;
    rc = b->ops->xs_rm(b, dir);
    if (rc && rc != -ENOENT) goto out;
    rc = b->ops->xs_rm(b, seqp);
    if (rc && rc != -ENOENT) goto out;
    rc = b->ops->xs_mkdir(b, dir);
    if (rc) goto out;
    rc = lock_node(b, dir, domid);
    if (rc) goto out;
    xres_schema_format_u64(XS_REQ_LAST_SEQ, seq, buf, sizeof(buf));
    rc = b->ops->xs_write(b, seqp, buf, strlen(buf));
    if (rc) goto out;
    rc = lock_node(b, seqp, domid);
out:
    if (rc)
        XLOG_ERR("dom%" PRIu32 ": cannot set up the agent request directory "
                 "%s: %s", domid, root, strerror(-rc));
    return rc;
}

int xres_agent_request_next(xres_backend *b, uint32_t domid, uint64_t *seq)
{
    char seqp[XRES_SCHEMA_PATH_MAX], num[24];
    uint64_t v = 0;
    int rc;

    if ((rc = path_of(seqp, XS_REQ_LAST_SEQ, domid, NULL))) return rc;
    rc = read_counter(b, domid, &v);
    if (rc) {
        XLOG_ERR("dom%" PRIu32 ": no request directory (%s); set it up "
                 "first", domid, strerror(-rc));
        return rc;
    }
    if ((rc = xres_schema_format_u64(XS_REQ_LAST_SEQ, v + 1, num,
                                     sizeof(num))))
        return rc;
    rc = b->ops->xs_write(b, seqp, num, strlen(num));
    if (rc) return rc;
    *seq = v + 1;
    return 0;
}

/* Writes a request's text as item seq of domid's request directory. */
static int write_item(xres_backend *b, uint32_t domid, uint64_t seq,
                      const char *text)
{
    char item[XRES_SCHEMA_PATH_MAX], num[24];
    int rc;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if ((rc = path_of(item, XS_REQ_ITEM, domid, num))) return rc;
    return b->ops->xs_write(b, item, text, strlen(text));
}

int xres_agent_request_send(xres_backend *b, uint32_t domid,
                            const xres_request *req, uint64_t *seq_out)
{
    char text[160];
    uint64_t seq = 0;
    int rc;

    rc = xres_schema_format_request(req, text, sizeof(text));
    if (rc) return rc;
    /* The counter first: a request number is never used twice. */
    rc = xres_agent_request_next(b, domid, &seq);
    if (rc == -ENOENT) return rc;          /* logged */
    if (rc) goto out;
    rc = write_item(b, domid, seq, text);
    if (rc) goto out;
    *seq_out = seq;
    XLOG_INFO("dom%" PRIu32 ": request %" PRIu64 ": %s", domid, seq, text);
out:
    if (rc)
        XLOG_ERR("dom%" PRIu32 ": cannot send request \"%s\": %s", domid,
                 text, strerror(-rc));
    return rc;
}

int xres_agent_request_cancel(xres_backend *b, uint32_t domid, uint64_t seq)
{
    char num[24], p[XRES_SCHEMA_PATH_MAX];
    int rc, rc2;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if ((rc = path_of(p, XS_REQ_ITEM, domid, num))) return rc;
    rc = b->ops->xs_rm(b, p);
    if ((rc2 = path_of(p, XS_REPORT_ACK, domid, num))) return rc2;
    rc2 = b->ops->xs_rm(b, p);
    if (rc == -ENOENT) rc = 0;
    if (rc2 == -ENOENT) rc2 = 0;
    return rc ? rc : rc2;
}

int xres_agent_request_poll(xres_backend *b, uint32_t domid, uint64_t seq,
                            xres_ack *ack, uint64_t now_ms)
{
    char num[24], p[XRES_SCHEMA_PATH_MAX], why[XRES_SCHEMA_WHY_MAX + 32];
    char *val = NULL;
    size_t len;
    int rc;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if ((rc = path_of(p, XS_REPORT_ACK, domid, num))) return rc;
    rc = b->ops->xs_read(b, p, &val, &len);
    if (rc == -ENOENT) return -EAGAIN;
    if (rc) return rc;
    rc = xres_schema_parse_ack(val ? val : "", val ? len : 0, ack, why,
                               sizeof(why));
    free(val);
    if (rc) {
        uint64_t sup = 0;
        if (xres_agent_log_ok(domid, now_ms, &sup))
            XLOG_WARN("dom%" PRIu32 ": request %" PRIu64 ": bad answer from "
                      "the agent, taken as failed: %s", domid, seq, why);
        memset(ack, 0, sizeof(*ack));
        snprintf(ack->detail, sizeof(ack->detail), "malformed ack");
        rc = -EINVAL;
    }
    (void)xres_agent_request_cancel(b, domid, seq);
    return rc;
}

int xres_agent_request_reserve(xres_backend *b, const uint32_t *doms,
                               size_t ndoms, uint64_t floor, uint64_t n,
                               uint64_t *first)
{
    char p[XRES_SCHEMA_PATH_MAX], num[24];
    uint64_t top = floor ? floor - 1 : 0, v;
    int rc = 0;

    for (size_t i = 0; i < ndoms; i++)
        if (!read_counter(b, doms[i], &v) && v > top) top = v;
    *first = top + 1;
    snprintf(num, sizeof(num), "%" PRIu64, top + n);
    for (size_t i = 0; i < ndoms; i++) {
        int r = path_of(p, XS_REQ_LAST_SEQ, doms[i], NULL);
        if (!r) r = b->ops->xs_write(b, p, num, strlen(num));
        if (r && !rc) rc = r;
    }
    return rc;
}

int xres_agent_request_ack_peek(xres_backend *b, uint32_t domid,
                                uint64_t seq, xres_ack *ack)
{
    char num[24], p[XRES_SCHEMA_PATH_MAX], *val = NULL;
    size_t len = 0;
    int rc;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if ((rc = path_of(p, XS_REPORT_ACK, domid, num))) return rc;
    rc = b->ops->xs_read(b, p, &val, &len);
    if (!rc && xres_schema_parse_ack(val ? val : "", val ? len : 0, ack,
                                     NULL, 0))
        rc = -EINVAL;
    free(val);
    return rc;
}

int xres_agent_request_collect(xres_backend *b, uint32_t domid, uint64_t seq)
{
    char num[24], p[XRES_SCHEMA_PATH_MAX], *val = NULL;
    int rc;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if ((rc = path_of(p, XS_REPORT_ACK, domid, num))) return rc;
    rc = b->ops->xs_read(b, p, &val, NULL);
    free(val);
    if (rc) return rc;
    if ((rc = path_of(p, XS_REQ_ITEM, domid, num))) return rc;
    rc = b->ops->xs_rm(b, p);
    return rc == -ENOENT ? 0 : rc;
}

/* An AGENT_REQUEST action as the request it stands for. */
static int request_of(const xres_action *act, xres_request *r)
{
    const char *op = act->u.req.op, *arg = act->u.req.arg;
    uint64_t kb;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!strcmp(op, "start") || !strcmp(op, "stop") ||
        !strcmp(op, "refuse")) {
        r->op = op[0] == 'r' ? XRES_REQ_REFUSE
              : op[2] == 'a' ? XRES_REQ_START : XRES_REQ_STOP;
        if (!xres_schema_check_name(arg, strlen(arg))) return -EINVAL;
        snprintf(r->app, sizeof(r->app), "%s", arg);
        return 0;
    }
    if (!strcmp(op, "release") || !strcmp(op, "engage")) {
        r->op = op[0] == 'r' ? XRES_REQ_RELEASE : XRES_REQ_ENGAGE;
        rc = xres_parse_size_kb(arg, 'k', &kb);
        if (rc) return rc;
        r->kb = kb;
        return 0;
    }
    if (!strcmp(op, "alloc")) {
        char *end;
        unsigned long pct;
        errno = 0;
        pct = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || pct < 1 ||
            pct > XRES_REQ_ALLOC_MAX)
            return -EINVAL;
        r->op = XRES_REQ_ALLOC;
        r->pct = (unsigned)pct;
        return 0;
    }
    return -EINVAL;
}

bool xres_agent_request_pending(xres_backend *b, uint32_t domid,
                                uint64_t seq)
{
    char num[24], p[XRES_SCHEMA_PATH_MAX], *val = NULL;
    size_t len;
    int rc;

    snprintf(num, sizeof(num), "%" PRIu64, seq);
    if (path_of(p, XS_REQ_ITEM, domid, num)) return false;
    rc = b->ops->xs_read(b, p, &val, &len);
    free(val);
    /* Only a request known to be gone counts as gone. */
    return rc != -ENOENT;
}

int xres_agent_request_put(xres_backend *b, const xres_action *act)
{
    char val[160];
    xres_request r;
    int rc;

    if ((rc = request_of(act, &r))) return rc;
    rc = xres_schema_format_request(&r, val, sizeof(val));
    if (rc < 0) return rc;
    return write_item(b, act->domid, act->u.req.seq, val);
}

int xres_agent_request_watch_acks(xres_backend *b, uint32_t domid,
                                  uint64_t seq, const char *token, bool on)
{
    char num[24], path[XRES_SCHEMA_PATH_MAX];
    int rc;

    if (domid == 0 || domid == XRES_DOMID_INVALID) return -EINVAL;
    snprintf(num, sizeof(num), "%" PRIu64, seq);
    rc = seq ? path_of(path, XS_REPORT_ACK, domid, num)
             : path_of(path, XS_REPORT_ACK_DIR, domid, NULL);
    if (rc) return rc;
    return on ? b->ops->xs_watch(b, path, token)
              : b->ops->xs_unwatch(b, path, token);
}

int xres_agent_request_ack_of(const char *path, uint32_t domid, uint64_t *seq)
{
    char dir[XRES_SCHEMA_PATH_MAX];
    size_t n;
    int rc;

    if ((rc = path_of(dir, XS_REPORT_ACK_DIR, domid, NULL))) return rc;
    n = strlen(dir);
    if (strncmp(path, dir, n) || path[n] != '/') return -ENOENT;
    if (xres_schema_parse_seq(path + n + 1, strlen(path + n + 1), seq))
        return -EINVAL;
    return 0;
}
