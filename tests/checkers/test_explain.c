/* How the linearizability checker explains an invalid key, on small hand-written
 * histories: the anomaly named in the field's words when it has a known shape (stale
 * read, lost write, a value never written, a read going back in time; anomaly.h), the
 * fall-back to the model-state text when it has none, and why each candidate op
 * cannot take effect in each state (the register's own words, or the generic text of
 * a model without an explain hook). Times are ms since the history start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anomaly.h"
#include "check.h"
#include "history.h"
#include "model.h"

/* One JSONL op line at t_ms on key "x"; node "" for none. v is JSON text. */
#define AT(t_ms, p, type, f, v, node)                                                       \
    "{\"time\":" #t_ms "000000,\"process\":" #p ",\"type\":\"" #type "\",\"f\":\"" #f     \
    "\",\"key\":\"x\",\"value\":" v "" node "}\n"
#define ON(n) ",\"node\":\"" n "\""

/* p0 writes 1 then 2 (on n1), then p1 reads 1 (on n2): stale, or lost. */
#define WROTE_1_2_READ_1                                                                    \
    AT(1, 0, invoke, write, "1", "") AT(2, 0, ok, write, "1", ON("n1"))                     \
    AT(3, 0, invoke, write, "2", "") AT(4, 0, ok, write, "2", ON("n1"))                     \
    AT(5, 1, invoke, read, "null", "") AT(6, 1, ok, read, "1", ON("n2"))

typedef struct run {
    fl_history *h;
    json_t *result;
} run;

static run check(const char *model, const char *text) {
    run r = {fl_history_new("test.jsonl"), NULL};
    fl_error err;
    memset(&err, 0, sizeof err);
    assert_non_null(r.h);
    assert_int_equal(fl_jsonl_read_buffer(text, strlen(text), "t", r.h, false, &err), 0);
    assert_int_equal(fl_history_pair(r.h, &err), 0);
    fl_lin_options o = {.model = fl_model_find(model), .all_keys = true, .threads = 1};
    assert_non_null(o.model);
    r.result = fl_check_linearizable(r.h, &o, &err);
    assert_non_null(r.result);
    assert_true(json_is_false(json_object_get(r.result, "valid")));
    return r;
}

static void done(run *r) {
    json_decref(r->result);
    fl_history_free(r->h);
}

static const json_t *key_x(const run *r) {
    const json_t *k = json_object_get(json_object_get(r->result, "keys"), "x");
    assert_non_null(k);
    return k;
}

/* The anomaly's shape and sentence, and the explanation opening with the sentence. */
static void assert_anomaly(const run *r, const char *shape, const char *sentence) {
    const json_t *a = json_object_get(key_x(r), "anomaly");
    if (!a) fail_msg("no anomaly; explanation: %s",
                     json_string_value(json_object_get(key_x(r), "explanation")));
    assert_string_equal(json_string_value(json_object_get(a, "shape")), shape);
    assert_string_equal(json_string_value(json_object_get(a, "sentence")), sentence);
    const char *why = json_string_value(json_object_get(key_x(r), "explanation"));
    assert_non_null(why);
    assert_memory_equal(why, sentence, strlen(sentence));
    assert_non_null(strstr(why, "cannot take effect")); /* then the model-state detail */
}

/* The first state's verdict on the failing op. */
static const char *failing_why(const run *r) {
    const json_t *states = json_object_get(key_x(r), "candidates");
    assert_true(json_array_size(states) >= 1);
    const json_t *first = json_array_get(json_object_get(json_array_get(states, 0), "ops"), 0);
    assert_int_equal(json_integer_value(json_object_get(first, "index")),
                     json_integer_value(json_object_get(json_object_get(key_x(r), "failing_op"),
                                                        "index")));
    return json_string_value(json_object_get(first, "why"));
}

/* No anomaly named; the failing op's verdict in the first state is why. */
static void assert_no_shape(const run *r, const char *why) {
    assert_null(json_object_get(key_x(r), "anomaly"));
    assert_string_equal(failing_why(r), why);
}

static void stale_read(void **state) {
    (void)state;
    run r = check("register",
                  WROTE_1_2_READ_1
                  AT(7, 2, invoke, read, "null", "") AT(8, 2, ok, read, "2", ON("n3")));
    assert_anomaly(&r, "stale-read",
                   "stale read: p1 read 1 at 5.00 ms on n2, but p0's write of 2 had completed "
                   "at 4.00 ms");
    assert_string_equal(failing_why(&r), "cannot come next: read expects 1, the register holds 2");
    done(&r);
}

/* Nil is older than any write: the stale read of the example. */
static void stale_read_of_nil(void **state) {
    (void)state;
    run r = check("cas-register",
                  AT(829, 8, invoke, write, "4", "") AT(829, 8, ok, write, "4", ON("n1"))
                  AT(984, 4, invoke, read, "null", "") AT(985, 4, ok, read, "null", ON("n5"))
                  AT(990, 2, invoke, cas, "[4,5]", "") AT(991, 2, ok, cas, "[4,5]", ""));
    assert_anomaly(&r, "stale-read",
                   "stale read: p4 read null at 984.0 ms on n5, but p8's write of 4 had "
                   "completed at 829.0 ms");
    assert_string_equal(failing_why(&r),
                        "cannot come next: read expects null, the register holds 4");
    done(&r);
}

static void lost_write(void **state) {
    (void)state;
    run r = check("register",
                  WROTE_1_2_READ_1
                  AT(7, 2, invoke, read, "null", "") AT(8, 2, ok, read, "1", ON("n3")));
    assert_anomaly(&r, "lost-write",
                   "lost write: p0's write of 2 completed at 4.00 ms on n1, but no op ever saw "
                   "it: p1 read 1 at 5.00 ms on n2");
    done(&r);
}

static void never_written(void **state) {
    (void)state;
    run r = check("register",
                  AT(1, 0, invoke, write, "1", "") AT(2, 0, ok, write, "1", ON("n1"))
                  AT(3, 1, invoke, read, "null", "") AT(4, 1, ok, read, "7", ON("n2")));
    assert_anomaly(&r, "never-written",
                   "value never written: p1 read 7 at 3.00 ms on n2, but no op wrote 7");
    done(&r);
}

/* The write of 2 never completes, so no read of 1 is stale; but p1 saw 2, then 1. */
static void back_in_time(void **state) {
    (void)state;
    run r = check("register",
                  AT(1, 0, invoke, write, "1", "") AT(2, 0, ok, write, "1", ON("n1"))
                  AT(3, 0, invoke, write, "2", "") AT(4, 1, invoke, read, "null", "")
                  AT(5, 1, ok, read, "2", "") AT(6, 1, invoke, read, "null", "")
                  AT(7, 1, ok, read, "1", ""));
    assert_anomaly(&r, "back-in-time",
                   "read going back in time: p1 read 1 at 6.00 ms, after it had seen 2 "
                   "(completed at 5.00 ms), and 2 was written after 1");
    done(&r);
}

/* Two writes still open: 2, 1, 2 read in turn needs 2 written twice. No shape is
 * certain from the history alone, so the explanation is the model-state text. */
static void no_known_shape(void **state) {
    (void)state;
    run r = check("register",
                  AT(1, 0, invoke, write, "1", "") AT(2, 1, invoke, write, "2", "")
                  AT(3, 2, invoke, read, "null", "") AT(4, 2, ok, read, "2", "")
                  AT(5, 2, invoke, read, "null", "") AT(6, 2, ok, read, "1", "")
                  AT(7, 3, invoke, read, "null", "") AT(8, 3, ok, read, "2", "")
                  AT(9, 0, ok, write, "1", "") AT(10, 1, ok, write, "2", ""));
    assert_null(json_object_get(key_x(&r), "anomaly"));
    const char *why = json_string_value(json_object_get(key_x(&r), "explanation"));
    assert_memory_equal(why, "op ", 3);
    assert_non_null(strstr(why, "cannot take effect"));
    done(&r);
}

/* A cas sees the value it expects: a successful cas of an overwritten value is stale. */
static void stale_cas(void **state) {
    (void)state;
    run r = check("cas-register",
                  AT(1, 0, invoke, write, "1", "") AT(2, 0, ok, write, "1", ON("n1"))
                  AT(3, 0, invoke, write, "2", "") AT(4, 0, ok, write, "2", ON("n1"))
                  AT(5, 1, invoke, cas, "[1,3]", "") AT(6, 1, ok, cas, "[1,3]", ON("n2"))
                  AT(7, 2, invoke, read, "null", "") AT(8, 2, ok, read, "3", ""));
    assert_anomaly(&r, "stale-read",
                   "stale read: p1's cas from 1 to 3 succeeded at 5.00 ms on n2, but p0's "
                   "write of 2 had completed at 4.00 ms");
    assert_string_equal(failing_why(&r), "cannot come next: cas expects 1, the register holds 2");
    done(&r);
}

/* kv appends concatenate, so a value no op wrote whole is no anomaly by itself. */
static void kv_appends_have_no_shape(void **state) {
    (void)state;
    run r = check("kv",
                  AT(1, 0, invoke, append, "\"a\"", "") AT(2, 0, ok, append, "\"a\"", "")
                  AT(3, 1, invoke, read, "null", "") AT(4, 1, ok, read, "\"b\"", ""));
    assert_no_shape(&r, "cannot come next: read expects \"b\", the register holds \"a\"");
    done(&r);
}

/* A model with no explain hook: the generic sentence from describe. */
static void generic_why(void **state) {
    (void)state;
    run r = check("list-append",
                  AT(1, 0, invoke, append, "1", "") AT(2, 0, ok, append, "1", "")
                  AT(3, 1, invoke, read, "null", "") AT(4, 1, ok, read, "[]", ""));
    assert_no_shape(&r, "cannot come next: read returning [] is not legal when the state is [1]");
    done(&r);
}

static void format_ms(void **state) {
    (void)state;
    char b[32];
    fl_format_ms(0, b, sizeof b);
    assert_string_equal(b, "0 s");
    fl_format_ms(984800000, b, sizeof b);
    assert_string_equal(b, "984.8 ms");
    fl_format_ms(9000000, b, sizeof b);
    assert_string_equal(b, "9.00 ms");
    fl_format_ms(1250000000, b, sizeof b);
    assert_string_equal(b, "1.250 s");
    fl_format_ms(812500, b, sizeof b);
    assert_string_equal(b, "812.5 \xC2\xB5s");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_read),    cmocka_unit_test(stale_read_of_nil),
        cmocka_unit_test(lost_write),    cmocka_unit_test(never_written),
        cmocka_unit_test(back_in_time),  cmocka_unit_test(no_known_shape),
        cmocka_unit_test(stale_cas),     cmocka_unit_test(kv_appends_have_no_shape),
        cmocka_unit_test(generic_why),   cmocka_unit_test(format_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
