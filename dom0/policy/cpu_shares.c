/*
 * dom0/policy/cpu_shares.c: the shares policy's weights from priorities
 * and CPU guarantees (policy_cpu.h).  Pure function.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy_cpu.h"

int xres_cpu_shares_weights(size_t n, const unsigned *prio,
                            const unsigned *guar, const unsigned *vcpus,
                            const char *const *names, double other_weight,
                            double max, int *w, char *err, size_t errlen)
{
    unsigned pmax = 0;
    double gsum = 0;
    double *ww = NULL;
    bool *raised = NULL;
    int rc = -EINVAL;

#define NAME(i) (names && names[i] ? names[i] : "?")
    if (err && errlen) err[0] = '\0';
    if (!n) return 0;
    ww = calloc(n, sizeof(*ww));
    raised = calloc(n, sizeof(*raised));
    if (!ww || !raised) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!prio[i]) {
            snprintf(err, errlen, "%s: priority must be 1 or more", NAME(i));
            goto out;
        }
        if (prio[i] > pmax) pmax = prio[i];
        if (guar && guar[i]) {
            gsum += guar[i];
            if (vcpus && guar[i] > 100u * (vcpus[i] ? vcpus[i] : 1)) {
                snprintf(err, errlen, "%s: guarantee %u%% cannot be met: it "
                         "has %u vCPU(s), at most %u%%", NAME(i), guar[i],
                         vcpus[i], 100u * vcpus[i]);
                goto out;
            }
        }
    }
    if (gsum > max) {
        snprintf(err, errlen, "CPU guarantees add up to %.0f%% but the host "
                 "has only %.0f%% (%.0f CPUs)", gsum, max, max / 100.0);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (pmax > XRES_WEIGHT_MAX) {
            ww[i] = floor((double)prio[i] * XRES_WEIGHT_MAX / pmax + 0.5);
            if (ww[i] < XRES_WEIGHT_MIN) ww[i] = XRES_WEIGHT_MIN;
        } else {
            ww[i] = prio[i];
        }
    }
    if (guar && gsum > 0) {
        /* Find the set of domains whose guarantee needs more than their
         * priority gives.  With f = sum of g/max over that set and U the
         * weight of everyone else, the total is T = U / (1 - f) and each
         * raised domain gets g/max * T. */
        double t = 0, f = 0, u = 0;
        for (size_t iter = 0; iter <= n; iter++) {
            bool changed = false;
            f = 0;
            u = other_weight;
            for (size_t i = 0; i < n; i++) {
                if (raised[i]) f += guar[i] / max;
                else u += ww[i];
            }
            if (f >= 1.0) {
                if (u > 0) {
                    snprintf(err, errlen, "CPU guarantees take the whole "
                             "host (%.0f%%), leaving nothing for the other "
                             "domains", max);
                    rc = -ERANGE;
                    goto out;
                }
                t = 0;
                break;
            }
            t = u / (1.0 - f);
            for (size_t i = 0; i < n; i++) {
                if (!raised[i] && guar[i] &&
                    ww[i] * max < guar[i] * t - 1e-9) {
                    raised[i] = true;
                    changed = true;
                }
            }
            if (!changed) break;
        }
        for (size_t i = 0; i < n; i++)
            if (raised[i]) ww[i] = ceil(guar[i] / max * t - 1e-6);
        if (t == 0) {
            /* Guarantees alone fill the host: weights follow them. */
            double gm = 0;
            for (size_t i = 0; i < n; i++) if (guar[i] > gm) gm = guar[i];
            for (size_t i = 0; i < n; i++)
                ww[i] = ceil(guar[i] * (double)XRES_WEIGHT_MAX / gm - 1e-6);
        } else {
            /* Ceilings moved the total a little: make sure each holds. */
            for (unsigned guard = 0; guard < 100000; guard++) {
                double tot = other_weight;
                bool ok = true;
                for (size_t i = 0; i < n; i++) tot += ww[i];
                for (size_t i = 0; i < n; i++) {
                    if (guar[i] && ww[i] * max < guar[i] * tot) {
                        ww[i] += 1;
                        ok = false;
                        break;
                    }
                }
                if (ok) break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ww[i] > XRES_WEIGHT_MAX) {
            snprintf(err, errlen, "%s: guarantee %u%% needs weight %.0f, "
                     "above %d, against the other domains' weights; lower "
                     "the guarantees or the other weights", NAME(i),
                     guar ? guar[i] : 0, ww[i], XRES_WEIGHT_MAX);
            rc = -ERANGE;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) w[i] = (int)ww[i];
    rc = 0;
out:
#undef NAME
    free(ww);
    free(raised);
    return rc;
}
