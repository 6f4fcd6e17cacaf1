/* The transactional workloads, txn-list-append and txn-rw-register (Elle's): each op is
 * a transaction, f "txn", whose value is 1–4 micro-ops over a few active keys —
 * ["append", k, v] and ["r", k, null] (list-append), or ["w", k, v] and ["r", k, null]
 * (rw-register); the completion carries the target's reply, the reads filled in
 * (DESIGN.md "History"). Keys are integers; TXN_ACTIVE_KEYS of them are in use at a time,
 * each until it has had TXN_WRITES_PER_KEY appends or writes, then retired for a fresh
 * one (so lists stay short and histories checkable, as the register workload's keys
 * rotate). Appended and written values are unique per key (1, 2, 3, … per key). After
 * the faults one process reads every key used, TXN_FINAL_READS keys per read-only txn,
 * so every key's last versions are seen. Checked by the txn checker (checkers/txn), told
 * which of the two kinds it reads; the target must serve `txn`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define TXN_ACTIVE_KEYS 8
#define TXN_WRITES_PER_KEY 32
#define TXN_OPS_MAX 4
#define TXN_FINAL_READS 16

typedef struct txn_slot {
    long key, next_value, writes;
} txn_slot;

struct fl_workload {
    fl_workload_options o;
    fl_txn_workload kind;
    const char *write_f;       /* "append" or "w" */
    pthread_mutex_t mu;        /* slots and next_key */
    txn_slot slots[TXN_ACTIVE_KEYS];
    long next_key;             /* keys 0 … next_key-1 have been used */
};

static fl_workload *txn_create(const fl_workload_options *o, fl_txn_workload kind, char *err,
                               size_t bytes) {
    if (!fl_ops_have(o->target_ops, "txn")) {
        snprintf(err, bytes, "the %s workload needs a target that serves txn (multi-key "
                 "transactions)", kind == FL_TXN_LIST_APPEND ? "txn-list-append" : "txn-rw-register");
        return NULL;
    }
    fl_workload *w = calloc(1, sizeof *w);
    if (!w) return snprintf(err, bytes, "out of memory"), NULL;
    w->o = *o;
    w->kind = kind;
    w->write_f = kind == FL_TXN_LIST_APPEND ? "append" : "w";
    pthread_mutex_init(&w->mu, NULL);
    for (int i = 0; i < TXN_ACTIVE_KEYS; i++) w->slots[i] = (txn_slot){i, 1, 0};
    w->next_key = TXN_ACTIVE_KEYS;
    return w;
}

static fl_workload *tla_create(const fl_workload_options *o, char *err, size_t bytes) {
    return txn_create(o, FL_TXN_LIST_APPEND, err, bytes);
}

static fl_workload *trw_create(const fl_workload_options *o, char *err, size_t bytes) {
    return txn_create(o, FL_TXN_RW_REGISTER, err, bytes);
}

/* One micro-op on a random active key: a read, or a write of the key's next value (the
 * key retires once it has had TXN_WRITES_PER_KEY). Under w->mu. */
static json_t *micro_op(fl_workload *w, fl_wrng *rng) {
    txn_slot *s = &w->slots[fl_wrng_below(rng, TXN_ACTIVE_KEYS)];
    json_t *key = json_integer(s->key);
    if (fl_wrng_below(rng, 2)) return json_pack("[s,o,n]", "r", key);
    json_t *mop = json_pack("[s,o,I]", w->write_f, key, (json_int_t)s->next_value++);
    if (++s->writes == TXN_WRITES_PER_KEY) *s = (txn_slot){w->next_key++, 1, 0};
    return mop;
}

static void txn_next(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out) {
    (void)worker;
    memset(out, 0, sizeof *out);
    snprintf(out->f, sizeof out->f, "txn");
    snprintf(out->req_f, sizeof out->req_f, "txn");
    out->value = json_array();
    size_t n = 1 + (size_t)fl_wrng_below(rng, TXN_OPS_MAX);
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < n; i++) json_array_append_new(out->value, micro_op(w, rng));
    pthread_mutex_unlock(&w->mu);
    out->req_value = json_incref(out->value);
    out->value_from_reply = true; /* ok: the micro-ops with the reads filled in */
}

/* Read-only txns over every key used, TXN_FINAL_READS keys each. */
static json_t *txn_final_ops(fl_workload *w) {
    json_t *ops = json_array();
    pthread_mutex_lock(&w->mu);
    long keys = w->next_key;
    pthread_mutex_unlock(&w->mu);
    for (long k = 0; k < keys; k += TXN_FINAL_READS) {
        json_t *mops = json_array();
        for (long j = k; j < keys && j < k + TXN_FINAL_READS; j++)
            json_array_append_new(mops, json_pack("[s,I,n]", "r", (json_int_t)j));
        json_array_append_new(ops, json_pack("{s:s,s:o}", "f", "txn", "value", mops));
    }
    return ops;
}

static void txn_checker_options(const fl_workload *w, fl_checker_options *o) {
    o->txn.workload = w->kind; /* the model: the checker's default, strict-serializable */
}

static void txn_free(fl_workload *w) {
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static const char *const txn_needs[] = {"txn", NULL};
static const char *const txn_checkers[] = {"txn", NULL};

const fl_workload_def fl_workload_txn_list_append = {
    .name = "txn-list-append",
    .summary = "transactions of 1-4 appends of unique integers and whole-list reads over 8 "
               "rotating keys; Elle-style cycles and anomalies (txn checker)",
    .needs = txn_needs,
    .create = tla_create,
    .next = txn_next,
    .final_ops = txn_final_ops,
    .checkers = txn_checkers,
    .checker_options = txn_checker_options,
    .free = txn_free,
};

const fl_workload_def fl_workload_txn_rw_register = {
    .name = "txn-rw-register",
    .summary = "transactions of 1-4 writes of unique integers and reads over 8 rotating "
               "keys; Elle-style cycles and anomalies (txn checker)",
    .needs = txn_needs,
    .create = trw_create,
    .next = txn_next,
    .final_ops = txn_final_ops,
    .checkers = txn_checkers,
    .checker_options = txn_checker_options,
    .free = txn_free,
};
