/* Which client ops the page embeds. A page with every op of a 10^6-op history would
 * not open quickly, so it carries at most max_ops of them, chosen in this order:
 *   1. every op an anomaly in results.json names (always, even past max_ops): the
 *      "index" of every op object (an integer "index" with any of "process", "f",
 *      "node", "complete_index" or "type") and every integer in an
 *      "ops" or "linearized_prefix" array, anywhere in a checker's result except under
 *      an object whose "valid" is true (a valid key's linearization names no anomaly);
 *   2. the ops invoked just before and just after each fault window's start and stop
 *      (up to 16 each side, together at most a quarter of max_ops);
 *   3. an evenly spaced sample of the rest, to fill max_ops.
 * The page says how many ops it left out. */
#ifndef FL_REPORT_SAMPLE_H
#define FL_REPORT_SAMPLE_H

#include <stddef.h>

#include <jansson.h>

#include "scan.h"

typedef struct rp_selection {
    size_t named;          /* ops named by anomalies and found in the history */
    size_t named_missing;  /* indices named by anomalies that match no client op */
    size_t around_faults;  /* ops added for the fault windows */
    size_t sampled;        /* ops added by the even sample */
    size_t selected;       /* all of the above */
    size_t left_out;       /* client ops not embedded */
} rp_selection;

/* Calls found(index, data) for every op index the anomalies of results name. Walks
 * with an explicit stack (no recursion); -1 on OOM. */
int rp_anomaly_indices(const json_t *results, void (*found)(int64_t index, void *data),
                       void *data);

/* Sets ops[i].selected; 0, or -1 on OOM. */
int rp_select(rp_history *h, const json_t *results, size_t max_ops, rp_selection *out);

#endif
