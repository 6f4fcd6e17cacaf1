/* The register workload (workloads/register.c) driven by hand, with made-up replies:
 * a cas names the value its group last saw on its key (an ok read, write or cas), never
 * one seen by another group or on a key the group has left, nor what a failed or
 * unknown op carried; with nothing seen it names a value issued just before. Values
 * are unique. No target, no cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "workload.h"

extern const fl_workload_def fl_workload_register;

static const char *const kv_ops[] = {"read", "write", "cas", NULL};

#define SEEN 1000000 /* a value read: far above any this test issues */

typedef struct rig {
    fl_workload *w;
    fl_wrng rng;
    fl_gen_op op;
} rig;

/* 4 workers, 2 per key (two groups: workers 0-1 and 2-3), ops_per_key ops per key. */
static rig make(long ops_per_key) {
    fl_workload_options o = {.seed = 7, .concurrency = 4, .threads_per_key = 2,
                             .ops_per_key = ops_per_key, .target_ops = kv_ops};
    char err[256];
    rig r = {.w = fl_workload_register.create(&o, err, sizeof err), .rng = {7}};
    assert_non_null(r.w);
    return r;
}

static void done(rig *r) {
    fl_gen_op_clear(&r->op);
    fl_workload_register.free(r->w);
}

/* worker's next op of kind f (others drawn on the way are answered fail). */
static const fl_gen_op *next(rig *r, int worker, const char *f) {
    for (int tries = 0; tries < 1000; tries++) {
        fl_gen_op_clear(&r->op);
        fl_workload_register.next(r->w, worker, &r->rng, &r->op);
        if (!strcmp(r->op.f, f)) return &r->op;
        fl_workload_register.completed(r->w, worker, &r->op, "fail", NULL, "made up");
    }
    fail_msg("no %s in 1000 ops", f);
    return NULL;
}

static void reply(rig *r, int worker, const char *type, json_t *value) {
    fl_workload_register.completed(r->w, worker, &r->op, type, value, "");
    json_decref(value);
}

static json_int_t cas_old(const fl_gen_op *op) { return json_integer_value(json_array_get(op->value, 0)); }
static json_int_t cas_new(const fl_gen_op *op) { return json_integer_value(json_array_get(op->value, 1)); }
static json_int_t key_of(const fl_gen_op *op) { return json_integer_value(op->key); }

static void cas_names_what_a_write_wrote(void **state) {
    (void)state;
    rig r = make(100000);
    json_int_t written = json_integer_value(next(&r, 0, "write")->value);
    json_int_t key = key_of(&r.op);
    reply(&r, 0, "ok", NULL);
    for (int i = 0; i < 4; i++) { /* the other group's writes: the values issued last */
        next(&r, 2, "write");
        reply(&r, 2, "fail", NULL);
    }
    const fl_gen_op *cas = next(&r, 1, "cas"); /* the other worker of the group */
    assert_int_equal(key_of(cas), key);
    assert_int_equal(cas_old(cas), written);
    assert_true(cas_new(cas) > written); /* unique values, never reused */
    done(&r);
}

static void cas_names_what_a_read_or_cas_left(void **state) {
    (void)state;
    rig r = make(100000);
    json_int_t key = key_of(next(&r, 0, "read"));
    reply(&r, 0, "ok", json_integer(SEEN));
    const fl_gen_op *cas = next(&r, 0, "cas");
    assert_int_equal(key_of(cas), key);
    assert_int_equal(cas_old(cas), SEEN);
    json_int_t set = cas_new(cas);
    reply(&r, 0, "ok", NULL);
    cas = next(&r, 0, "cas");
    assert_int_equal(cas_old(cas), set);
    done(&r);
}

static void nothing_learnt_from_failures_nils_or_other_groups(void **state) {
    (void)state;
    rig r = make(100000);
    /* group 0 reads 41; group 1 (worker 2) must not use it */
    next(&r, 0, "read");
    reply(&r, 0, "ok", json_integer(SEEN));
    const fl_gen_op *cas = next(&r, 2, "cas");
    assert_int_not_equal(cas_old(cas), SEEN);
    /* a failed and an unknown write teach nothing; a read of nil neither */
    next(&r, 2, "write");
    reply(&r, 2, "fail", NULL);
    next(&r, 2, "write");
    reply(&r, 2, "info", NULL);
    next(&r, 2, "read");
    reply(&r, 2, "ok", json_null());
    for (int i = 0; i < 20; i++) {
        cas = next(&r, 2, "cas");
        assert_int_not_equal(cas_old(cas), SEEN);
        /* with nothing seen, a value issued just before (the last three) */
        assert_true(cas_old(cas) >= cas_new(cas) - 3 && cas_old(cas) < cas_new(cas));
        reply(&r, 2, "fail", NULL);
    }
    done(&r);
}

static void a_new_key_forgets_the_old_one(void **state) {
    (void)state;
    rig r = make(6);
    json_int_t first = key_of(next(&r, 0, "read"));
    reply(&r, 0, "ok", json_integer(SEEN));
    const fl_gen_op *cas;
    do { /* until the group moves to its next key (6 ops per key) */
        cas = next(&r, 0, "cas");
        reply(&r, 0, "fail", NULL);
    } while (key_of(cas) == first);
    assert_int_not_equal(cas_old(cas), SEEN);
    done(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cas_names_what_a_write_wrote),
        cmocka_unit_test(cas_names_what_a_read_or_cas_left),
        cmocka_unit_test(nothing_learnt_from_failures_nils_or_other_groups),
        cmocka_unit_test(a_new_key_forgets_the_old_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
