/* The register workload: reads and writes (and cas where the target has it) of unique
 * values on integer keys that rotate (fl_key_rotation: --threads-per-key workers per
 * key, --ops-per-key ops each). Checked for linearizability per key (register or
 * cas-register model) and for the session guarantees that can be judged on registers
 * without the replicas' version order (checkers/session). */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "workload.h"

/* The value a key group's workers last saw on the group's key: what an ok read
 * returned, an ok write wrote or an ok cas set. */
typedef struct seen_value {
    long key, value; /* value 0: none seen yet (values start at 1) */
} seen_value;

struct fl_workload {
    fl_workload_options o;
    bool cas;
    fl_key_rotation keys;
    atomic_long next_value;        /* every written value is unique */
    /* A cas names as its old value the one last seen on its key, so it succeeds whenever
     * no other write came between: drawn from the values issued last, a cas seldom met
     * its key holding one where most writes fail or have yet to land (a primary's
     * replicas refuse every write: 1 cas in 149 succeeded on Redis). */
    pthread_mutex_t seen_mu;
    seen_value seen[FL_KEY_GROUPS_MAX];
};

static fl_workload *reg_create(const fl_workload_options *o, char *err, size_t bytes) {
    if (!fl_ops_have(o->target_ops, "read") || !fl_ops_have(o->target_ops, "write")) {
        snprintf(err, bytes, "the register workload needs a target with read and write");
        return NULL;
    }
    fl_workload *w = calloc(1, sizeof *w);
    if (!w) return snprintf(err, bytes, "out of memory"), NULL;
    w->o = *o;
    fl_key_rotation_init(&w->keys, o);
    w->cas = fl_ops_have(o->target_ops, "cas");
    atomic_store(&w->next_value, 1);
    pthread_mutex_init(&w->seen_mu, NULL);
    return w;
}

static int group_of(const fl_workload *w, int worker) {
    int group = (worker / w->keys.per_key) % w->keys.groups;
    assert(group >= 0 && group < FL_KEY_GROUPS_MAX);
    return group;
}

/* The value last seen on key by worker's group, or 0. */
static long seen_on(fl_workload *w, int worker, long key) {
    pthread_mutex_lock(&w->seen_mu);
    const seen_value *s = &w->seen[group_of(w, worker)];
    long value = s->key == key ? s->value : 0;
    pthread_mutex_unlock(&w->seen_mu);
    return value;
}

static void reg_next(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out) {
    memset(out, 0, sizeof *out);
    out->key = fl_key_rotation_next(&w->keys, worker);
    uint64_t pick = fl_wrng_below(rng, w->cas ? 5 : 2);
    if (pick == 0) {
        snprintf(out->f, sizeof out->f, "read");
    } else if (pick == 1 || pick == 2) {
        snprintf(out->f, sizeof out->f, "write");
        out->value = json_integer(atomic_fetch_add(&w->next_value, 1));
    } else if (pick == 3) {
        snprintf(out->f, sizeof out->f, "read");
    } else {
        /* cas from the value last seen on the key (else a recent one) to a new one: it
         * fails when another write came between, as under contention it often does */
        long now = atomic_load(&w->next_value);
        long old = now - 1 - (long)fl_wrng_below(rng, 3);
        long seen = seen_on(w, worker, (long)json_integer_value(out->key));
        if (seen > 0) old = seen;
        snprintf(out->f, sizeof out->f, "cas");
        out->value = json_pack("[I,I]", (json_int_t)(old > 0 ? old : 1),
                               (json_int_t)atomic_fetch_add(&w->next_value, 1));
    }
    snprintf(out->req_f, sizeof out->req_f, "%s", out->f);
    out->req_key = json_incref(out->key);
    out->req_value = json_incref(out->value);
}

/* An ok op's value is what its key now holds, as far as this worker knows. */
static void reg_completed(fl_workload *w, int worker, const fl_gen_op *op, const char *type,
                          const json_t *value, const char *error) {
    (void)error;
    if (strcmp(type, "ok") != 0) return;
    const json_t *now = !strcmp(op->f, "read")  ? value
                        : !strcmp(op->f, "cas") ? json_array_get(op->value, 1)
                                                : op->value;
    if (!json_is_integer(now) || json_integer_value(now) <= 0) return; /* nil: never written */
    pthread_mutex_lock(&w->seen_mu);
    w->seen[group_of(w, worker)] =
        (seen_value){(long)json_integer_value(op->key), (long)json_integer_value(now)};
    pthread_mutex_unlock(&w->seen_mu);
}

static void reg_checker_options(const fl_workload *w, fl_checker_options *o) {
    o->lin = fl_workload_lin_options(&w->o, fl_model_find(w->cas ? "cas-register" : "register"));
    o->guarantees = w->o.guarantees;
}

static void reg_free(fl_workload *w) {
    pthread_mutex_destroy(&w->seen_mu);
    free(w);
}

static const char *const reg_needs[] = {"read", "write", NULL};
static const char *const reg_checkers[] = {"linearizable", "session", NULL};

const fl_workload_def fl_workload_register = {
    .name = "register",
    .summary = "read/write (and cas) of unique values on rotating keys; linearizable per key",
    .needs = reg_needs,
    .create = reg_create,
    .next = reg_next,
    .completed = reg_completed,
    .final_reads = NULL,
    .checkers = reg_checkers,
    .checker_options = reg_checker_options,
    .free = reg_free,
};
