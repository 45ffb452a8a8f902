/*
 * dom0/policy/cpu_manage.h: the managing domain's run, as a pure state
 * machine, and the CPU pass that includes it.
 *
 * xresd asks the managing domain's agent for one analysis run at a time
 * with "alloc A" (A its allocation, which is its cap), and the agent
 * answers "ok time-ms=N" when the run is over.  While a run is under way
 * its cap stays at A, so that the time reported belongs to one A; the
 * policy's new A waits for the answer.  An agent that refused is asked
 * again when A changes or after XRES_MANAGE_REFUSED_RETRY_MS; one that
 * does not answer within the run timeout loses its request.
 *
 * Everything here is pure: state, snapshot, observations and the
 * snapshot's time in; new state and actions out.  The actions are
 * SET_SCHED and AGENT_REQUEST with op "alloc" (arg: A) or "cancel"
 * (u.req.seq: the request to withdraw).
 */
#ifndef XRES_CPU_MANAGE_H
#define XRES_CPU_MANAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "cpu_measure.h"
#include "model.h"
#include "policy_cpu.h"

#define XRES_MANAGE_HIST 16                 /* (A, t) pairs kept */
#define XRES_MANAGE_REFUSED_RETRY_MS 600000 /* after a refusal, ask again */
#define XRES_MANAGE_OP_ALLOC "alloc"
#define XRES_MANAGE_OP_CANCEL "cancel"

typedef struct {
    double alloc;               /* A, % of one CPU */
    double time_s;              /* how long its run took */
} xres_manage_entry;

typedef struct {
    char name[XRES_NAME_MAX];   /* the managing domain, "" = none yet */
    uint32_t domid;
    uint64_t seq;               /* pending "alloc" request, 0 = none */
    int alloc;                  /* the allocation that request carries */
    uint64_t refused_ms;        /* when the agent last refused, 0 = never */
    uint64_t sent_ms;           /* when the pending request went out */
    /* What the latest request was worked out from. */
    struct {
        bool valid;
        uint64_t seq;
        double available, own, allocable, a;
        char note[128];
    } basis;
    xres_manage_entry hist[XRES_MANAGE_HIST];
    size_t hist_n;              /* entries (<= XRES_MANAGE_HIST) */
    size_t hist_next;           /* ring position */
    xres_manage_run last;       /* the latest run, for the policy */
} xres_cpu_manage_state;

void xres_cpu_manage_init(xres_cpu_manage_state *s);
/* After hist, hist_n and hist_next were filled (from XenStore): last. */
void xres_cpu_manage_loaded(xres_cpu_manage_state *s);
/* Records a run of t_ms under alloc. */
void xres_cpu_manage_record(xres_cpu_manage_state *s, double alloc,
                            uint64_t t_ms);

/* The agent's answer to the pending request, as the daemon observed it. */
typedef enum {
    XRES_MANAGE_ACK_NONE = 0,   /* not answered, the request still there */
    XRES_MANAGE_ACK_GONE,       /* the request vanished unanswered */
    XRES_MANAGE_ACK_BAD,        /* an answer that could not be read */
    XRES_MANAGE_ACK_REFUSED,    /* "error ..." */
    XRES_MANAGE_ACK_OK,         /* "ok DETAIL" */
} xres_manage_ack_kind;

/* What on_ack made of it. */
typedef enum {
    XRES_MANAGE_WAITING = 0,    /* nothing changed */
    XRES_MANAGE_ASK_AGAIN,      /* gone: the next pass asks again */
    XRES_MANAGE_DROPPED,        /* unreadable: nothing recorded */
    XRES_MANAGE_REFUSED,        /* refused: not asked again soon */
    XRES_MANAGE_NOT_A_RUN,      /* ok, but not "time-ms=N" */
    XRES_MANAGE_RECORDED,       /* the run is recorded */
} xres_manage_outcome;

/* One observation of the pending request's answer at now_ms; detail is
 * the ok answer's detail.  Sets *t_ms when a run is recorded. */
xres_manage_outcome xres_cpu_manage_on_ack(xres_cpu_manage_state *s,
                                           xres_manage_ack_kind kind,
                                           const char *detail,
                                           uint64_t now_ms, uint64_t *t_ms);

/* What a pass did to the pending request, for the log. */
typedef struct {
    bool timed_out;             /* withdrawn: no answer within the timeout */
    uint64_t seq;               /* the request withdrawn */
    int alloc;                  /* what it carried */
} xres_manage_pass_note;

/*
 * One CPU pass at h->now_ms: the policies (xres_cpu_policy_run, with the
 * managing domain's last run from s) and the managing domain's run.
 * Appends to out exactly the actions to carry out, in order, and fills r.
 * An "alloc" request that was sent must be reported back with
 * xres_cpu_manage_sent.  Returns 0 or -ENOMEM.
 */
int xres_cpu_pass(xres_cpu_manage_state *s, const xres_host *h,
                  const xres_cpu_settings *set, const xres_cpu_policy *pols,
                  const xres_cpu_meter *m, unsigned run_timeout_s,
                  xres_cpu_result *r, xres_actions *out,
                  xres_manage_pass_note *note);

/* The "alloc" request for domid (name) went out as seq at now_ms; r is the
 * pass it came from. */
void xres_cpu_manage_sent(xres_cpu_manage_state *s, const xres_cpu_result *r,
                          uint32_t domid, const char *name, int alloc,
                          uint64_t seq, uint64_t now_ms);

#endif
