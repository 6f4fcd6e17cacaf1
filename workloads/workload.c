/* The workload registry and what every workload shares (see workload.h). */
#include "workload.h"

#include <string.h>

extern const fl_workload_def fl_workload_register;
extern const fl_workload_def fl_workload_set;

const fl_workload_def *const fl_workloads[] = {&fl_workload_register, &fl_workload_set, NULL};

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
