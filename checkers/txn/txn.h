/* The transactional checker (Elle's method, DESIGN.md "Checkers", txn): infer from a
 * history of list-append or rw-register transactions the version order of every key and
 * the dependencies between transactions (ww, wr, rw, process, realtime), then find the
 * anomalies Adya defines — cycles (G0, G1c, G-single-item, G-nonadjacent-item, G2-item,
 * each with -process and -realtime variants) and the rest (G1a, G1b, internal,
 * future-read, duplicate-elements, dirty-update, lost-update, incompatible-order,
 * cyclic-versions, garbage-read) — and say which the chosen consistency model forbids.
 *
 * History shape: client ops with f "txn" whose value is a list of micro-ops
 * [f, key, value]: list-append ["append", k, v] and ["r", k, [v…] | null]; rw-register
 * ["w", k, v] and ["r", k, v | null]. Values are integers; keys any JSON scalar (EDN
 * keywords arrive as ":name" strings, and so do micro-op names). */
#ifndef FL_TXN_H
#define FL_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

typedef enum { FL_TXN_INFER = 0, FL_TXN_LIST_APPEND, FL_TXN_RW_REGISTER } fl_txn_workload;

typedef struct fl_txn_options {
    fl_txn_workload workload;      /* FL_TXN_INFER: from the micro-ops */
    const char *model;             /* consistency model; NULL: strict-serializable */
    /* rw-register version-order sources beyond the initial state and writes-follow-reads
     * within a transaction (on unless no_wfr_keys). */
    bool sequential_keys;          /* each process sees each key's versions in order */
    bool linearizable_keys;        /* realtime order orders each key's versions */
    bool no_wfr_keys;              /* do not infer v1 < v2 from a txn reading v1, writing v2 */
    bool certify;                  /* re-check every anomaly against the history */
    uint64_t budget_steps;         /* cycle-search work bound (edge visits); 0: default */
    unsigned max_shown;            /* instances listed per anomaly type; 0: default 8 */
} fl_txn_options;

/* The result (new reference), or NULL with err when the history cannot be read as
 * transactions (an op value that is not a list of micro-ops, a non-integer value, a
 * micro-op the workload does not have). h must be paired. */
json_t *fl_check_txn(const fl_history *h, const fl_txn_options *o, fl_error *err);

/* The consistency models --consistency-model accepts, NULL-terminated. */
extern const char *const fl_txn_model_names[];
bool fl_txn_model_known(const char *name);
/* Whether a history with anomaly a has anomaly b too (G0 implies G1c, X implies
 * X-process implies X-realtime, …; a implies a). */
bool fl_txn_anomaly_implies(const char *a, const char *b);

#endif
