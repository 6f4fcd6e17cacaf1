/* The counter checker (checkers/counter/counter.h) on hand-written histories — bounds
 * from acknowledged, concurrent, indeterminate and failed adds, too-low and too-high
 * reads with their ops, negative deltas, counters per key, "unknown" without a read,
 * malformed input — and a property test: a simulated single-copy counter is never
 * flagged, one that acknowledges an add it drops or applies an add twice always is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "counter.h"
#include "history.h"
#include "history_testing.h"
#include "rng.h"

/* JSONL op lines, indexed by position (line number - 1); v is JSON text. */
#define ADD(p, t, v) "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"add\",\"value\":" v "}\n"
#define RI(p) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"read\"}\n"
#define RO(p, v) "{\"process\":" #p ",\"type\":\"ok\",\"f\":\"read\",\"value\":" v "}\n"

typedef checker_run run; /* history_testing.h */

static run check_text(const char *text) {
    run r = checker_run_on(text);
    r.result = fl_check_counter(r.h, &r.err);
    return r;
}

static run check(const char *text) {
    run r = check_text(text);
    assert_checked(&r);
    return r;
}

static const json_t *field(const run *r, const char *name) {
    return result_field(r->result, name);
}

static void valid_history(void **state) {
    (void)state;
    /* Read 1 sees 5 (certain) with 3 in flight: [5, 8]. Read 2: 5 + 3 certain, 10
     * failed (never counts), 2 info (may count): [8, 10]. */
    run r = check(ADD(0, invoke, "5") ADD(0, ok, "5") RI(1) ADD(2, invoke, "3") RO(1, "5")
                  ADD(2, ok, "3") ADD(0, invoke, "10") ADD(0, fail, "10") ADD(3, invoke, "2")
                  ADD(3, info, "2") RI(1) RO(1, "10"));
    assert_int_equal(run_verdict(&r), 1);
    assert_null(json_object_get(r.result, "reason"));
    assert_json(field(&r, "read_count"), "2");
    assert_json(field(&r, "add_count"), "4");
    assert_json(field(&r, "error_count"), "0");
    assert_json(field(&r, "errors"), "[]");
    assert_null(json_object_get(r.result, "keys"));
    checker_run_free(&r);
}

static void too_low_names_acknowledged_adds(void **state) {
    (void)state;
    run r = check(ADD(0, invoke, "1") ADD(0, ok, "1") ADD(0, invoke, "2") ADD(0, ok, "2")
                  RI(1) RO(1, "2"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(field(&r, "error_count"), "1");
    assert_json(field(&r, "errors"),
                "[{\"kind\":\"too-low\",\"read\":{\"index\":4,\"process\":1,\"f\":\"read\","
                "\"value\":null,\"type\":\"ok\",\"output\":2,\"complete_index\":5,\"line\":5},"
                "\"value\":2,\"lower\":3,\"upper\":3,\"certain_count\":2,\"possible_count\":0,"
                "\"acknowledged_before\":[{\"index\":0,\"process\":0,\"f\":\"add\",\"value\":1,"
                "\"type\":\"ok\",\"complete_index\":1,\"line\":1},{\"index\":2,\"process\":0,"
                "\"f\":\"add\",\"value\":2,\"type\":\"ok\",\"complete_index\":3,\"line\":3}],"
                "\"acknowledged_before_count\":2}]");
    checker_run_free(&r);
}

static void too_high_counts_neither_failed_nor_later_adds(void **state) {
    (void)state;
    /* 1 failed; 7 is invoked after the second read ended: both reads may only see 4. */
    run r = check(ADD(0, invoke, "1") ADD(0, fail, "1") ADD(0, invoke, "4") ADD(0, ok, "4")
                  RI(1) RO(1, "5") RI(1) RO(1, "11") ADD(2, invoke, "7") ADD(2, ok, "7"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(field(&r, "error_count"), "2");
    const json_t *errors = field(&r, "errors");
    assert_json(json_array_get(errors, 0),
                "{\"kind\":\"too-high\",\"read\":{\"index\":4,\"process\":1,\"f\":\"read\","
                "\"value\":null,\"type\":\"ok\",\"output\":5,\"complete_index\":5,\"line\":5},"
                "\"value\":5,\"lower\":4,\"upper\":4,\"certain_count\":1,"
                "\"possible_count\":0}");
    assert_json(json_object_get(json_array_get(errors, 1), "value"), "11");
    assert_json(json_object_get(json_array_get(errors, 1), "upper"), "4");
    checker_run_free(&r);
}

static void negative_deltas(void **state) {
    (void)state;
    /* 10 acknowledged; -3 in flight for the first two reads ([7, 10]), then acknowledged
     * ([7, 7]). */
    run r = check(ADD(0, invoke, "10") ADD(0, ok, "10") ADD(2, invoke, "-3") RI(1) RO(1, "7")
                  RI(1) RO(1, "6") ADD(2, ok, "-3") RI(1) RO(1, "10"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(field(&r, "read_count"), "3");
    assert_json(field(&r, "error_count"), "2");
    const json_t *errors = field(&r, "errors");
    const json_t *low = json_array_get(errors, 0), *high = json_array_get(errors, 1);
    assert_json(json_object_get(low, "kind"), "\"too-low\"");
    assert_json(json_object_get(low, "lower"), "7");
    assert_json(json_object_get(low, "upper"), "10");
    assert_json(json_object_get(low, "possible_count"), "1");
    assert_json(json_object_get(low, "acknowledged_before_count"), "1");
    assert_json(json_object_get(high, "kind"), "\"too-high\"");
    assert_json(json_object_get(high, "lower"), "7");
    assert_json(json_object_get(high, "upper"), "7");
    assert_json(json_object_get(high, "certain_count"), "2");
    checker_run_free(&r);
}

static void open_add_is_possible(void **state) {
    (void)state;
    /* Process 2's add never completes: it may count at any read after its invocation. */
    run r = check(ADD(2, invoke, "4") RI(1) RO(1, "0") RI(1) RO(1, "4"));
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);
}

static void no_ok_read_is_unknown(void **state) {
    (void)state;
    run r = check(ADD(0, invoke, "1") ADD(0, ok, "1") RI(1)
                  "{\"process\":1,\"type\":\"fail\",\"f\":\"read\"}\n" RI(1)
                  "{\"process\":1,\"type\":\"info\",\"f\":\"read\"}\n");
    assert_int_equal(run_verdict(&r), -1);
    assert_string_equal(json_string_value(field(&r, "reason")), "no read completed ok");
    assert_json(field(&r, "read_count"), "0");
    checker_run_free(&r);
}

static void counters_per_key(void **state) {
    (void)state;
    /* x reads its own 2; y reads 2 too, but only 1 was added to y. z is never read. */
    run r = check(KADD(0, invoke, "x", "2") KADD(0, ok, "x", "2") KADD(0, invoke, "y", "1")
                  KADD(0, ok, "y", "1") KADD(0, invoke, "z", "1") KADD(0, ok, "z", "1")
                  KRI(1, "x") KRO(1, "x", "2") KRI(1, "y") KRO(1, "y", "2"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(field(&r, "key_count"), "3");
    assert_json(field(&r, "keys"),
                "[{\"key\":\"x\",\"valid\":true,\"read_count\":1,\"add_count\":1,"
                "\"error_count\":0},{\"key\":\"y\",\"valid\":false,\"read_count\":1,"
                "\"add_count\":1,\"error_count\":1},{\"key\":\"z\",\"valid\":\"unknown\","
                "\"read_count\":0,\"add_count\":1,\"error_count\":0}]");
    assert_json(field(&r, "invalid_keys"), "[\"y\"]");
    const json_t *e = json_array_get(field(&r, "errors"), 0);
    assert_json(json_object_get(e, "key"), "\"y\"");
    assert_json(json_object_get(e, "upper"), "1");
    checker_run_free(&r);
}

static void malformed_histories_are_refused(void **state) {
    (void)state;
    run r = check_text(ADD(0, invoke, "\"one\"") ADD(0, ok, "\"one\""));
    assert_null(r.result);
    assert_int_equal(r.err.line, 1);
    assert_non_null(strstr(r.err.message, "add (index 0) of process 0: its value is not an "
                                          "integer"));
    checker_run_free(&r);

    r = check_text(ADD(0, invoke, "1.5") ADD(0, ok, "1.5"));
    assert_null(r.result);
    checker_run_free(&r);

    r = check_text(RI(1) RO(1, "[1]"));
    assert_null(r.result);
    assert_int_equal(r.err.line, 2);
    assert_non_null(strstr(r.err.message, "ok read (index 1) of process 1: its value is not"));
    checker_run_free(&r);

    /* A completion that names another f than its invocation. */
    r = check_text(ADD(0, invoke, "1") "{\"process\":0,\"type\":\"ok\",\"f\":\"read\","
                                       "\"value\":1}\n");
    assert_null(r.result);
    assert_int_equal(r.err.line, 2);
    assert_non_null(strstr(r.err.message, "has f \"read\" but its invocation"));
    checker_run_free(&r);

    /* An add whose value only its ok completion carries is fine. */
    r = check("{\"process\":0,\"type\":\"invoke\",\"f\":\"add\"}\n" ADD(0, ok, "3") RI(1)
              RO(1, "3"));
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);

    const char *text = ADD(0, invoke, "1") ADD(0, ok, "1");
    fl_history *h = jsonl_ok(text);
    fl_error err;
    memset(&err, 0, sizeof err);
    assert_null(fl_check_counter(h, &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "fl_history_pair"));
    fl_history_free(h);
}

/* ------------------------------------------------------------------------------------ */
/* Large and simulated histories                                                        */

static void large_history(void **state) {
    (void)state;
    /* 100000 adds of 1 by ten processes, two in flight at a time, a read after every
     * other add; the 50000th read is one short. */
    enum { ADDS = 100000 };
    text_buf t = {0};
    long acked = 0;
    for (int i = 0; i < ADDS; i += 2) {
        text_put(&t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
                "{\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
                "{\"process\":%d,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n"
                "{\"process\":%d,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n",
            i % 10, (i + 1) % 10, i % 10, (i + 1) % 10);
        acked += 2;
        text_put(&t, "{\"process\":100,\"type\":\"invoke\",\"f\":\"read\"}\n"
                "{\"process\":100,\"type\":\"ok\",\"f\":\"read\",\"value\":%ld}\n",
            i + 2 == ADDS ? acked - 1 : acked);
    }
    fl_history *h = history_paired(t.s, t.len);
    free(t.s);
    fl_error err;
    clock_t start = clock();
    json_t *result = fl_check_counter(h, &err);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    printf("counter on %zu ops: %.3f s\n", h->count, seconds);
    assert_non_null(result);
    assert_json(json_object_get(result, "read_count"), "50000");
    assert_json(json_object_get(result, "error_count"), "1");
    const json_t *e = json_array_get(json_object_get(result, "errors"), 0);
    assert_json(json_object_get(e, "lower"), "100000");
    assert_json(json_object_get(e, "acknowledged_before_count"), "100000");
    assert_int_equal(json_array_size(json_object_get(e, "acknowledged_before")), 10);
    json_decref(result);
    fl_history_free(h);
}

enum { SIM_PROCESSES = 4, SIM_TICKS = 100 };
enum { BUG_NONE, BUG_DROP_ACK, BUG_DOUBLE_APPLY };

/* One copy of a counter: each op takes effect at a random tick between its invocation
 * and its completion (a read answers with the value then). Some adds time out (info;
 * half of them never took effect), some fail (no effect), some never complete. With a
 * bug, one acknowledged add (positive) is dropped or applied twice, and every add is
 * acknowledged or failed, so the final read's bounds are exact. */
typedef struct sim {
    fl_rng rng;
    int bug;
    bool negative; /* deltas in -5..5, else 0..5 */
    int64_t value;
    int adds, bug_add;
    text_buf out;
} sim;

typedef struct proc {
    int busy;          /* 0 idle, 1 add, 2 read */
    int effect, done;  /* ticks; done < 0: never completes */
    int64_t delta, seen;
    int outcome;       /* FL_OK, FL_INFO or FL_FAIL */
    int applications;  /* times the add takes effect */
} proc;

static void sim_start(sim *s, proc *p, int id, int now) {
    bool add = fl_rng_below(&s->rng, 2);
    p->busy = add ? 1 : 2;
    p->effect = now + 1 + (int)fl_rng_below(&s->rng, 3);
    p->done = p->effect + (int)fl_rng_below(&s->rng, 3);
    if (!add) {
        text_put(&s->out, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\"}\n", id);
        return;
    }
    p->delta = s->negative ? (int64_t)fl_rng_below(&s->rng, 11) - 5
                           : (int64_t)fl_rng_below(&s->rng, 6);
    uint64_t roll = fl_rng_below(&s->rng, 20);
    bool exact = s->bug != BUG_NONE;
    p->outcome = roll == 0 ? FL_FAIL : roll <= 2 && !exact ? FL_INFO : FL_OK;
    p->applications = p->outcome == FL_OK || (p->outcome == FL_INFO && fl_rng_below(&s->rng, 2));
    if (roll == 3 && !exact) p->done = -1; /* never completes; took effect */
    if (exact && s->adds++ == s->bug_add) {
        p->outcome = FL_OK;
        p->delta = 1 + (int64_t)fl_rng_below(&s->rng, 5);
        p->applications = s->bug == BUG_DROP_ACK ? 0 : 2;
    }
    text_put(&s->out, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":%lld}\n", id,
        (long long)p->delta);
}

static void sim_finish(sim *s, proc *p, int id) {
    if (p->busy == 1)
        text_put(&s->out, "{\"process\":%d,\"type\":\"%s\",\"f\":\"add\",\"value\":%lld}\n", id,
            fl_op_type_name(p->outcome), (long long)p->delta);
    else
        text_put(&s->out, "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"value\":%lld}\n", id,
            (long long)p->seen);
    p->busy = 0;
}

static sim simulate(uint64_t seed, bool negative, int bug) {
    sim s;
    memset(&s, 0, sizeof s);
    s.rng.s = seed;
    s.negative = negative;
    s.bug = bug;
    s.bug_add = (int)fl_rng_below(&s.rng, 8);
    proc ps[SIM_PROCESSES];
    memset(ps, 0, sizeof ps);
    int next_process[SIM_PROCESSES]; /* after an info or an open op, a new process */
    for (int i = 0; i < SIM_PROCESSES; i++) next_process[i] = i;
    for (int now = 0; now <= SIM_TICKS + 10; now++) {
        for (int i = 0; i < SIM_PROCESSES; i++) {
            proc *p = &ps[i];
            if (!p->busy || p->effect != now) continue;
            if (p->busy == 2) p->seen = s.value;
            else s.value += p->applications * p->delta;
        }
        for (int i = 0; i < SIM_PROCESSES; i++) {
            proc *p = &ps[i];
            if (!p->busy) continue;
            if (p->done < 0 && p->effect <= now) { /* left open: the worker moves on */
                p->busy = 0;
                next_process[i] += SIM_PROCESSES;
            } else if (p->done == now) {
                bool info = p->busy == 1 && p->outcome == FL_INFO;
                sim_finish(&s, p, next_process[i]);
                if (info) next_process[i] += SIM_PROCESSES;
            }
        }
        for (int i = 0; i < SIM_PROCESSES && now < SIM_TICKS; i++)
            if (!ps[i].busy && fl_rng_below(&s.rng, 2)) sim_start(&s, &ps[i], next_process[i], now);
    }
    text_put(&s.out, "{\"process\":1000,\"type\":\"invoke\",\"f\":\"read\"}\n"
                "{\"process\":1000,\"type\":\"ok\",\"f\":\"read\",\"value\":%lld}\n",
        (long long)s.value);
    return s;
}

static json_t *check_sim(sim *s, fl_history **h) {
    *h = history_paired(s->out.s, s->out.len);
    fl_error err;
    json_t *result = fl_check_counter(*h, &err);
    if (!result) fail_msg("refused: %s", err.message);
    return result;
}

static void honest_counter_is_never_flagged(void **state) {
    (void)state;
    size_t reads = 0;
    for (uint64_t seed = 1; seed <= 1000; seed++) {
        for (int negative = 0; negative <= 1; negative++) {
            sim s = simulate(seed, negative, BUG_NONE);
            fl_history *h;
            json_t *result = check_sim(&s, &h);
            if (!json_is_true(json_object_get(result, "valid"))) {
                char *dump = json_dumps(result, JSON_COMPACT);
                fail_msg("seed %llu: %s\n%s", (unsigned long long)seed, dump, s.out.s);
            }
            reads += (size_t)json_integer_value(json_object_get(result, "read_count"));
            json_decref(result);
            fl_history_free(h);
            free(s.out.s);
        }
    }
    assert_true(reads > 2000 * 20);
}

static void buggy_counter_is_always_flagged(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 1000; seed++) {
        for (int bug = BUG_DROP_ACK; bug <= BUG_DOUBLE_APPLY; bug++) {
            sim s = simulate(seed, seed % 2, bug);
            if (s.adds <= s.bug_add) fail_msg("seed %llu added too little",
                                              (unsigned long long)seed);
            fl_history *h;
            json_t *result = check_sim(&s, &h);
            /* The final read at least is off, and every read that is is off the way the
             * bug makes it: a dropped add only lowers the counter, a doubled one raises it. */
            const char *want = bug == BUG_DROP_ACK ? "too-low" : "too-high";
            const json_t *errors = json_object_get(result, "errors");
            bool right = json_array_size(errors) > 0;
            for (size_t i = 0; i < json_array_size(errors); i++) {
                const char *kind =
                    json_string_value(json_object_get(json_array_get(errors, i), "kind"));
                if (strcmp(kind, want) != 0) right = false;
            }
            if (!json_is_false(json_object_get(result, "valid")) || !right) {
                char *dump = json_dumps(result, JSON_COMPACT);
                fail_msg("seed %llu, bug %d not found: %s", (unsigned long long)seed, bug, dump);
            }
            json_decref(result);
            fl_history_free(h);
            free(s.out.s);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_history),
        cmocka_unit_test(too_low_names_acknowledged_adds),
        cmocka_unit_test(too_high_counts_neither_failed_nor_later_adds),
        cmocka_unit_test(negative_deltas),
        cmocka_unit_test(open_add_is_possible),
        cmocka_unit_test(no_ok_read_is_unknown),
        cmocka_unit_test(counters_per_key),
        cmocka_unit_test(malformed_histories_are_refused),
        cmocka_unit_test(large_history),
        cmocka_unit_test(honest_counter_is_never_flagged),
        cmocka_unit_test(buggy_counter_is_always_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
