/* The workload registry and what every workload shares (see workload.h). */
#include "workload.h"

#include <assert.h>
#include <string.h>
#include <unistd.h>


extern const fl_workload_def fl_workload_register;
extern const fl_workload_def fl_workload_set;
extern const fl_workload_def fl_workload_list_append;
extern const fl_workload_def fl_workload_lock;
extern const fl_workload_def fl_workload_saga;
extern const fl_workload_def fl_workload_txn_list_append;
extern const fl_workload_def fl_workload_txn_rw_register;

const fl_workload_def *const fl_workloads[] = {&fl_workload_register, &fl_workload_set,
                                               &fl_workload_list_append, &fl_workload_lock,
                                               &fl_workload_saga, &fl_workload_txn_list_append,
                                               &fl_workload_txn_rw_register, NULL};

const char *const fl_workload_all_ops[] = {"read",    "write", "cas",   "append", "acquire",
                                           "renew",   "release", "peek",  "order", "cancel", "read-order",
                                           "ledger",  "txn",   NULL};

const fl_workload_def *fl_workload_find(const char *name) {
    for (size_t i = 0; fl_workloads[i]; i++)
        if (!strcmp(fl_workloads[i]->name, name)) return fl_workloads[i];
    return NULL;
}

bool fl_ops_have(const char *const *ops, const char *f) {
    for (size_t i = 0; ops && ops[i]; i++)
        if (!strcmp(ops[i], f)) return true;
    return false;
}

void fl_gen_op_clear(fl_gen_op *op) {
    json_decref(op->key);
    json_decref(op->value);
    json_decref(op->req_key);
    json_decref(op->req_value);
    memset(op, 0, sizeof *op);
}

uint64_t fl_wrng_next(fl_wrng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t fl_wrng_below(fl_wrng *r, uint64_t n) { return n ? fl_wrng_next(r) % n : 0; }

void fl_key_rotation_init(fl_key_rotation *r, const fl_workload_options *o) {
    memset(r, 0, sizeof *r);
    r->ops_per_key = o->ops_per_key > 0 ? o->ops_per_key : 200;
    r->per_key = o->threads_per_key > 0 ? o->threads_per_key : 10;
    int workers = o->concurrency > 0 ? o->concurrency : 1;
    r->groups = (workers + r->per_key - 1) / r->per_key;
    if (r->groups > FL_KEY_GROUPS_MAX) r->groups = FL_KEY_GROUPS_MAX;
}

json_t *fl_key_rotation_next(fl_key_rotation *r, int worker) {
    int group = (worker / r->per_key) % r->groups;
    long n = atomic_fetch_add(&r->ops[group], 1);
    return json_integer((n / r->ops_per_key) * r->groups + group);
}

fl_lin_options fl_workload_lin_options(const fl_workload_options *o, const fl_model *model) {
    fl_lin_options lin = {0};
    if (o->lin) {
        lin = *o->lin;
        if (!lin.model) lin.model = model;
        return lin;
    }
    lin.model = model;
    lin.all_keys = o->all_keys;
    lin.time_limit_s = o->check_time_limit_s;
    lin.memory_limit_bytes = 0; /* the checker's own bound (2 GiB or a quarter of RAM) */
    return lin;
}

json_t *fl_workload_check(const fl_workload_def *def, const fl_workload *w, const fl_history *h,
                          const char *run_dir, size_t *refused, fl_error *err) {
    assert(def->checkers && def->checkers[0]);
    fl_checker_options o = {.run_dir = run_dir};
    if (def->checker_options) def->checker_options(w, &o);
    json_t *results = json_pack("{s:b,s:{}}", "valid", 1, "checkers");
    *refused = 0;
    for (size_t i = 0; def->checkers[i]; i++) {
        const fl_checker_def *c = fl_checker_find(def->checkers[i]);
        assert(c); /* a workload names registered checkers (test_workload_checkers) */
        fl_error one;
        if (fl_checker_run_or_record(c, h, &o, results, &one) != 0) {
            (*refused)++;
            *err = one;
        }
    }
    return results;
}
