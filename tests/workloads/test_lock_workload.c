/* The lock workload (workloads/lock.c) driven by hand, with made-up replies: a critical
 * section's ops in order with their tokens; a pause between read and write, recorded in
 * the write; a long section renewing at the renew interval, stopping when a renewal says
 * the lease is gone, carrying on through a renewal in doubt, and writing only while the
 * holder still trusts its lease; a crash after the read; a refused acquire backed off;
 * the final peeks; the target options read. No target, no cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "workload.h"

extern const fl_workload_def fl_workload_lock;

static const char *const lock_ops[] = {"acquire", "renew", "release", "read", "write", "peek",
                                       NULL};

typedef struct rig {
    fl_workload *w;
    fl_wrng rng;
    fl_gen_op op;
} rig;

/* A workload of 2 workers (one resource) with a 200 ms lease and 50 ms renewals. */
static rig make(uint64_t seed) {
    json_t *opts = json_pack("{s:s,s:s}", "ttl_ms", "200", "renew_ms", "50");
    fl_workload_options o = {.seed = seed, .concurrency = 2, .target_ops = lock_ops,
                             .target_options = opts};
    char err[256];
    rig r = {.w = fl_workload_lock.create(&o, err, sizeof err), .rng = {seed}};
    json_decref(opts); /* not kept past create */
    assert_non_null(r.w);
    return r;
}

/* Worker 0's next op, which must be f. */
static const fl_gen_op *next(rig *r, const char *f) {
    fl_gen_op_clear(&r->op);
    fl_workload_lock.next(r->w, 0, &r->rng, &r->op);
    assert_string_equal(r->op.f, f);
    assert_string_equal(r->op.req_f, f);
    assert_true(r->op.value_from_reply);
    return &r->op;
}

static void reply(rig *r, const char *type, json_t *value, const char *error) {
    fl_workload_lock.completed(r->w, 0, &r->op, type, value, error);
    json_decref(value);
}

static json_int_t token_of(const fl_gen_op *op) {
    return json_integer_value(json_object_get(op->req_value, "token"));
}

/* One section with token: acquire and read answered ok, then the op after the read.
 * True when that op is the one wanted (left in r->op); else the section is run to its
 * end (every op ok) and false. */
static bool section(rig *r, int token, bool (*wanted)(const fl_gen_op *)) {
    next(r, "acquire");
    reply(r, "ok", json_pack("{s:i}", "token", token), "");
    bool crash = next(r, "read")->crash_after;
    reply(r, "ok", json_pack("{s:i,s:i}", "token", token, "value", 5), "");
    if (crash) return false; /* abandoned: the next op is a new section's acquire */
    fl_gen_op_clear(&r->op);
    fl_workload_lock.next(r->w, 0, &r->rng, &r->op);
    if (wanted(&r->op)) return true;
    while (strcmp(r->op.f, "release")) { /* a write, or renewals then a write */
        reply(r, "ok", json_pack("{s:i}", "token", token), "");
        fl_gen_op_clear(&r->op);
        fl_workload_lock.next(r->w, 0, &r->rng, &r->op);
    }
    reply(r, "ok", NULL, "");
    return false;
}

/* Sections from token base on until one's op after the read is wanted. */
static void find_section(rig *r, int base, bool (*wanted)(const fl_gen_op *)) {
    for (int i = 0; i < 2000; i++)
        if (section(r, base + i, wanted)) return;
    fail_msg("no such section in 2000");
}

static bool is_paused_write(const fl_gen_op *op) { return !strcmp(op->f, "write") && op->pause_ms > 0; }
static bool is_renew(const fl_gen_op *op) { return !strcmp(op->f, "renew"); }

static void normal_section(void **state) {
    (void)state;
    rig r = make(1);
    const fl_gen_op *acq = next(&r, "acquire");
    assert_int_equal(json_integer_value(acq->key), 0);
    assert_non_null(json_string_value(json_object_get(acq->req_value, "holder")));
    reply(&r, "fail", NULL, "held"); /* refused: the next try waits a little */
    acq = next(&r, "acquire");
    assert_in_range(acq->pause_ms, 10, 99);
    reply(&r, "ok", json_pack("{s:i}", "token", 12), "");
    assert_int_equal(token_of(next(&r, "read")), 12);
    fl_workload_lock.free(r.w);
    fl_gen_op_clear(&r.op);
}

/* A pause: the write sleeps 1.2–2 × the lease first and says so. */
static void paused_write(void **state) {
    (void)state;
    rig r = make(7);
    find_section(&r, 100, is_paused_write);
    assert_in_range(r.op.pause_ms, 240, 400);
    assert_int_equal(json_integer_value(json_object_get(r.op.value, "paused_ms")), r.op.pause_ms);
    assert_int_equal(json_integer_value(json_object_get(r.op.value, "value")), 6);
    assert_in_range(token_of(&r.op), 100, 2100);
    fl_workload_lock.free(r.w);
    fl_gen_op_clear(&r.op);
}

/* A long section: renewals every 50 ms; one in doubt (info) carries on, one refused as
 * expired ends it with a release and no write. */
static void long_section(void **state) {
    (void)state;
    rig r = make(3);
    find_section(&r, 200, is_renew);
    assert_int_equal(r.op.pause_ms, 50);
    reply(&r, "info", NULL, "timeout"); /* in doubt: the lease still runs */
    next(&r, "renew");
    reply(&r, "fail", NULL, "expired"); /* gone: a careful holder stops */
    next(&r, "release");
    reply(&r, "ok", NULL, "");
    next(&r, "acquire");
    fl_workload_lock.free(r.w);
    fl_gen_op_clear(&r.op);
}

/* A long section whose renewals all fail for want of a leader: once its own reckoning
 * of the lease (0.9 × 200 ms after the acquire was asked for) has run out, it gives the
 * lock up without writing. */
static void long_section_outlives_its_lease(void **state) {
    (void)state;
    rig r = make(3);
    find_section(&r, 300, is_renew);
    while (!strcmp(r.op.f, "renew")) {
        struct timespec pause = {0, r.op.pause_ms * 1000000}; /* as the worker sleeps */
        nanosleep(&pause, NULL);
        reply(&r, "fail", NULL, "not-leader");
        fl_gen_op_clear(&r.op);
        fl_workload_lock.next(r.w, 0, &r.rng, &r.op);
    }
    assert_string_equal(r.op.f, "release");
    fl_workload_lock.free(r.w);
    fl_gen_op_clear(&r.op);
}

static void final_peeks(void **state) {
    (void)state;
    rig r = make(1);
    json_t *ops = fl_workload_lock.final_ops(r.w);
    assert_int_equal(json_array_size(ops), 1); /* 2 workers: one resource */
    assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 0), "f")), "peek");
    json_decref(ops);
    fl_workload_lock.free(r.w);
}

static void refuses_a_target_without_locks(void **state) {
    (void)state;
    static const char *const kv[] = {"read", "write", NULL};
    fl_workload_options o = {.seed = 1, .concurrency = 2, .target_ops = kv};
    char err[256] = "";
    assert_null(fl_workload_lock.create(&o, err, sizeof err));
    assert_non_null(strstr(err, "acquire"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_section),
        cmocka_unit_test(paused_write),
        cmocka_unit_test(long_section),
        cmocka_unit_test(long_section_outlives_its_lease),
        cmocka_unit_test(final_peeks),
        cmocka_unit_test(refuses_a_target_without_locks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
