/* The register workload: reads and writes (and cas where the target has it) of unique
 * values on integer keys that rotate (fl_key_rotation: --threads-per-key workers per
 * key, --ops-per-key ops each). Checked for linearizability per key (register or
 * cas-register model) and for the session guarantees that can be judged on registers
 * without the replicas' version order (checkers/session). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "workload.h"

struct fl_workload {
    fl_workload_options o;
    bool cas;
    fl_key_rotation keys;
    atomic_long next_value;        /* every written value is unique */
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
    return w;
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
        /* cas from a recent value to a new one: often fails, sometimes succeeds */
        long now = atomic_load(&w->next_value);
        long old = now - 1 - (long)fl_wrng_below(rng, 3);
        snprintf(out->f, sizeof out->f, "cas");
        out->value = json_pack("[I,I]", (json_int_t)(old > 0 ? old : 1),
                               (json_int_t)atomic_fetch_add(&w->next_value, 1));
    }
    snprintf(out->req_f, sizeof out->req_f, "%s", out->f);
    out->req_key = json_incref(out->key);
    out->req_value = json_incref(out->value);
}

static void reg_checker_options(const fl_workload *w, fl_checker_options *o) {
    o->lin = fl_workload_lin_options(&w->o, fl_model_find(w->cas ? "cas-register" : "register"));
    o->guarantees = w->o.guarantees;
}

static void reg_free(fl_workload *w) { free(w); }

static const char *const reg_needs[] = {"read", "write", NULL};
static const char *const reg_checkers[] = {"linearizable", "session", NULL};

const fl_workload_def fl_workload_register = {
    .name = "register",
    .summary = "read/write (and cas) of unique values on rotating keys; linearizable per key",
    .needs = reg_needs,
    .create = reg_create,
    .next = reg_next,
    .final_reads = NULL,
    .checkers = reg_checkers,
    .checker_options = reg_checker_options,
    .free = reg_free,
};
