/* The checker registry (checkers.h): names, one-line summaries and a common calling
 * convention over each checker's own API. */
#include "checkers.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "counter.h"
#include "empty_history.h"
#include "fencing.h"
#include "ledger.h"
#include "retry_storm.h"
#include "session.h"
#include "set.h"

static json_t *run_linearizable(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    fl_lin_options lin = o->lin;
    /* With no client ops there is nothing to infer a model from, and none is needed. */
    if (!fl_history_has_client_ops(h)) return fl_check_linearizable(h, &lin, err);
    if (!lin.model) lin.model = fl_model_infer(h);
    if (!lin.model) {
        fl_error_set(err, h->source ? h->source : "", 0, 0,
                     "cannot tell which model fits these ops; name one with --model");
        return NULL;
    }
    return fl_check_linearizable(h, &lin, err);
}

static json_t *run_session(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    return fl_check_session(h, o->guarantees, err);
}

static json_t *run_set(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    (void)o;
    return fl_check_set(h, err);
}

static json_t *run_set_full(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    return fl_check_set_full(h, &o->set_full, err);
}

static json_t *run_counter(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    (void)o;
    return fl_check_counter(h, err);
}

static json_t *run_fencing(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    (void)o;
    return fl_check_fencing(h, err);
}

static json_t *run_ledger(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    (void)o;
    return fl_check_ledger(h, err);
}

static json_t *run_retry_storm(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    return fl_check_retry_storm_run_dir(h, o->run_dir, err);
}

static json_t *run_txn(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    fl_txn_options txn = o->txn;
    txn.certify |= o->lin.certify; /* one --certify for every checker that certifies */
    return fl_check_txn(h, &txn, err);
}

static json_t *run_perf(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    return fl_check_perf(h, &o->perf, err);
}

static json_t *run_log_pattern(const fl_history *h, const fl_checker_options *o, fl_error *err) {
    (void)h;
    char msg[FL_ERR_BYTES];
    json_t *r = fl_check_log_patterns(o->run_dir ? o->run_dir : ".", &o->logs, msg, sizeof msg);
    if (!r) fl_error_set(err, o->run_dir ? o->run_dir : ".", 0, 0, "%s", msg);
    return r;
}

static const fl_checker_def linearizable = {
    "linearizable", "linearizability per key (--model, else inferred from the ops)", false,
    run_linearizable};
static const fl_checker_def session = {
    "session", "read-your-writes, monotonic reads/writes, writes-follow-reads per process "
    "(--guarantees)", false, run_session};
static const fl_checker_def set = {
    "set", "final reads: lost, unexpected, failed-but-present, duplicated elements", false,
    run_set};
static const fl_checker_def set_full = {
    "set-full", "every read: stable, lost, never-read, stale (--linearizable), duplicated; "
    "latency to visibility", false, run_set_full};
static const fl_checker_def counter = {
    "counter", "every read within [acknowledged, attempted] increments", false, run_counter};
static const fl_checker_def fencing = {
    "fencing", "lock workload: no access accepted below an accepted token, no rejection "
    "above every token, increments within bounds", false, run_fencing};
static const fl_checker_def ledger = {
    "ledger", "saga workload: one charge per order, every acknowledged cancellation refunded "
    "exactly once, money conserved", false, run_ledger};
static const fl_checker_def retry_storm = {
    "retry-storm", "saga workload: did a fault become a retry storm at fl-payments "
    "(amplification, retry waves, recovery; needs the run directory)", false, run_retry_storm};
static const fl_checker_def txn = {
    "txn", "transactions (list-append, rw-register): Elle's dependency cycles G0…G2-item and "
    "G1a/G1b, internal, lost-update… against --consistency-model", false, run_txn};
static const fl_checker_def perf = {
    "perf", "counts, throughput, latency quantiles, availability in and out of faults", false,
    run_perf};
static const fl_checker_def log_pattern = {
    "log-pattern", "panics, assertion failures, sanitizer reports in the nodes' logs "
    "(--log-pattern NAME=REGEX)", true, run_log_pattern};

const fl_checker_def *const fl_checker_defs[] = {&linearizable, &session, &set, &set_full,
                                                 &counter, &fencing, &ledger, &retry_storm,
                                                 &txn, &perf,
                                                 &log_pattern, NULL};

const fl_checker_def *fl_checker_find(const char *name) {
    for (size_t i = 0; fl_checker_defs[i]; i++)
        if (!strcmp(fl_checker_defs[i]->name, name)) return fl_checker_defs[i];
    return NULL;
}

/* Put r under name in results' "checkers" and fold its verdict into "valid". */
static void add_result(json_t *results, const char *name, json_t *r) {
    json_t *checkers = json_object_get(results, "checkers");
    if (!checkers) {
        checkers = json_object();
        json_object_set_new(results, "checkers", checkers);
    }
    const json_t *before = json_object_get(results, "valid");
    json_t *worse = fl_verdict_worst(before ? before : json_true(), json_object_get(r, "valid"));
    json_object_set_new(results, "valid", worse);
    json_object_set_new(checkers, name, r);
}

int fl_checker_run_into(const fl_checker_def *def, const fl_history *h,
                        const fl_checker_options *o, json_t *results, fl_error *err) {
    assert(def);
    assert(json_is_object(results));
    json_t *r = def->run(h, o, err);
    if (!r) return -1;
    add_result(results, def->name, r);
    return 0;
}

int fl_checker_run_or_record(const fl_checker_def *def, const fl_history *h,
                             const fl_checker_options *o, json_t *results, fl_error *err) {
    if (fl_checker_run_into(def, h, o, results, err) == 0) return 0;
    char msg[FL_ERR_BYTES + 256];
    fl_error_format(err, msg, sizeof msg);
    add_result(results, def->name, json_pack("{s:s,s:s}", "valid", "unknown", "error", msg));
    return -1;
}
