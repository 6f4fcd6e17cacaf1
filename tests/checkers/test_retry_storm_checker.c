/* The retry-storm checker (checkers/retry_storm/retry_storm.h) on generated saga runs: 10
 * orders a second from 5 clients, each one call to fl-payments, a pause fault, and what
 * the retry layer made of it — a correct policy (valid), fixed retries multiplying the
 * load by 4, periodic 1 s waves after the stop, a slow recovery (each invalid, the flag
 * naming its window), a paused service's backlog landing at once (valid), a run too
 * short for a steady state (unknown), no faults (valid with a note); and the loader on a
 * temporary run directory: no log, no clock mapping, a torn last line (skipped), a bad
 * line in the middle (unknown, naming file:line), the registry without a run directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checkers.h"
#include "history_testing.h"
#include "retry_storm.h"

#define MS 1000000LL
#define ORIGIN (1000 * 1000 * MS) /* CLOCK_MONOTONIC at history time 0: 1000 s */

/* A generated run: an order every 100 ms from t = 0 until seconds; ops invoked in
 * [fail_from, fail_until) ms fail (the clients saw nothing succeed then), the others
 * succeed 50 ms later; a pause fault from fault_start to fault_stop ms (none when
 * fault_stop is 0). Every call arrives at payments 10 ms after its invocation; a call
 * invoked during the fault is tried `attempts` times, retry_gap_ms apart. */
typedef struct scenario {
    int seconds;
    int64_t fault_start, fault_stop, fail_from, fail_until;
    int attempts;
    int64_t retry_gap_ms;
    int64_t backlog_until; /* > 0: arrivals during the fault land by this time instead */
    int64_t fault2_start, fault2_stop; /* > 0: a second pause (events only) */
} scenario;

typedef struct run {
    fl_history *h;
    fl_rs_arrival *a;
    size_t n, cap;
    json_t *result;
} run;

static void arrive(run *r, int64_t at_ms, int64_t call, int attempt, uint8_t outcome) {
    assert_int_equal(fl_grow((void **)&r->a, &r->cap, r->n + 1, sizeof *r->a), 0);
    r->a[r->n++] = (fl_rs_arrival){.arrived_ns = ORIGIN + at_ms * MS,
                                   .done_ns = ORIGIN + at_ms * MS + 5 * MS, .call = call,
                                   .attempt = attempt, .outcome = outcome};
}

static void nemesis(text_buf *t, const char *f, int64_t ms) {
    text_put(t, "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"%s\",\"time\":%lld}\n", f,
             (long long)(ms * MS));
}

static run generate(const scenario *s) {
    run r = {0};
    text_buf t = {0};
    bool started = false, stopped = false;
    int64_t slots = (int64_t)s->seconds * 10;
    for (int64_t slot = 0; slot < slots; slot++) {
        int64_t at = slot * 100;
        if (s->fault_stop && !started && at >= s->fault_start) nemesis(&t, "pause-start", s->fault_start), started = true;
        if (s->fault_stop && !stopped && at >= s->fault_stop) nemesis(&t, "pause-stop", s->fault_stop), stopped = true;
        if (s->fault2_stop && at == s->fault2_start) nemesis(&t, "pause-start", at);
        if (s->fault2_stop && at == s->fault2_stop) nemesis(&t, "pause-stop", at);
        bool failed = at >= s->fail_from && at < s->fail_until;
        text_put(&t, "{\"process\":%lld,\"type\":\"invoke\",\"f\":\"order\",\"key\":%lld,\"time\":%lld}\n"
                 "{\"process\":%lld,\"type\":\"%s\",\"f\":\"order\",\"key\":%lld,\"time\":%lld}\n",
                 (long long)(slot % 5), (long long)slot, (long long)(at * MS), (long long)(slot % 5),
                 failed ? "fail" : "ok", (long long)slot, (long long)((at + 50) * MS));
        bool in_fault = s->fault_stop && at >= s->fault_start && at < s->fault_stop;
        int attempts = in_fault ? s->attempts : 1;
        for (int k = 0; k < attempts; k++) {
            int64_t when = at + 10 + k * s->retry_gap_ms;
            /* A paused service reads what queued up in the kernel when it resumes. */
            if (in_fault && s->backlog_until)
                when = s->fault_stop + (at - s->fault_start) * (s->backlog_until - s->fault_stop) /
                                           (s->fault_stop - s->fault_start);
            arrive(&r, when, slot, k + 1, failed ? FL_RS_OVERLOADED : FL_RS_OK);
        }
    }
    r.h = history_paired(t.s, t.len);
    free(t.s);
    return r;
}

static void check(run *r) {
    r->result = fl_check_retry_storm(r->h, r->a, r->n, ORIGIN);
    assert_non_null(r->result);
}

static void run_free(run *r) {
    fl_history_free(r->h);
    free(r->a);
    json_decref(r->result);
}

static const json_t *window(const run *r, size_t i) {
    return json_array_get(result_field(r->result, "windows"), i);
}

static double number(const json_t *o, const char *name) {
    const json_t *v = json_object_get(o, name);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* The window's one flag on measure, naming the window. */
static const json_t *flag_on(const run *r, size_t i, const char *measure) {
    const json_t *flags = json_object_get(window(r, i), "flags"), *f;
    size_t k;
    json_array_foreach(flags, k, f) {
        if (strcmp(json_string_value(json_object_get(f, "measure")), measure)) continue;
        assert_string_equal(json_string_value(json_object_get(f, "kind")), "pause");
        assert_int_equal(json_integer_value(json_object_get(f, "window")), (json_int_t)i + 1);
        assert_non_null(strstr(json_string_value(json_object_get(f, "explanation")), "pause window"));
        return f;
    }
    fail_msg("window %zu has no %s flag", i, measure);
    return NULL;
}

static bool has_flag(const run *r, size_t i, const char *measure) {
    const json_t *flags = json_object_get(window(r, i), "flags"), *f;
    size_t k;
    json_array_foreach(flags, k, f)
        if (!strcmp(json_string_value(json_object_get(f, "measure")), measure)) return true;
    return false;
}

/* A 10 s pause, calls failing during it; jittered retries within the budget: 1 in 10
 * calls retried once, 0–2 s later; goodput back at the stop. */
static void correct_policy_is_valid(void **state) {
    (void)state;
    scenario s = {.seconds = 40, .fault_start = 10000, .fault_stop = 20000, .fail_from = 10000,
                  .fail_until = 20000, .attempts = 1};
    run r = generate(&s);
    for (int64_t slot = 100; slot < 200; slot += 10) arrive(&r, slot * 100 + 10 + (slot * 37) % 2000, slot, 2, FL_RS_OK);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 1);
    const json_t *w = window(&r, 0);
    assert_int_equal(result_count(w, "calls"), 110); /* hit: 100 in the pause, 10 in the 1 s after */
    assert_int_equal(result_count(w, "arrivals"), 210);
    assert_true(number(w, "amplification") < 1.1);
    assert_true(number(w, "wave_ratio") <= 2);
    assert_int_equal(result_count(w, "recovery_s"), 0);
    const json_t *base = result_field(r.result, "baseline");
    assert_true(number(base, "goodput_per_s") == 10);
    assert_true(number(base, "arrivals_per_100ms") == 1);
    assert_int_equal(result_count(base, "steady_buckets"), 8 + 8); /* [2,10) and [31,39) */
    const json_t *series = result_field(r.result, "series");
    assert_int_equal(result_count(series, "bucket_s"), 1);
    assert_int_equal(json_array_size(json_object_get(series, "arrivals")), 40);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(series, "goodput"), 5)), 10);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(series, "goodput"), 12)), 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(series, "shed"), 12)), 10);
    run_free(&r);
}

/* fixed-retry: 6 attempts 1 s apart for every call of a 15 s pause; with the 10 s after
 * it, 150 × 6 + 100 arrivals; the calls it hit, those of the pause and the 1 s after it,
 * made 150 × 6 + 10 attempts. */
static void fixed_retry_amplifies(void **state) {
    (void)state;
    scenario s = {.seconds = 60, .fault_start = 10000, .fault_stop = 25000, .fail_from = 10000,
                  .fail_until = 25000, .attempts = 6, .retry_gap_ms = 1000};
    run r = generate(&s);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 0);
    const json_t *w = window(&r, 0);
    assert_int_equal(result_count(w, "arrivals"), 1000);
    assert_int_equal(result_count(w, "calls"), 160);
    assert_true(number(w, "amplification") == 910.0 / 160);
    const json_t *f = flag_on(&r, 0, "amplification");
    assert_true(number(f, "value") == 910.0 / 160);
    assert_true(number(f, "threshold") == 2.0);
    assert_true(number(f, "start_s") == 10.0);
    assert_true(number(f, "stop_s") == 25.0);
    assert_non_null(strstr(json_string_value(json_object_get(f, "explanation")),
                           "pause window 1 (10.00 s to 25.00 s): amplification 5.688 above 2: "
                           "910 attempts by the 160 calls it hit"));
    assert_true(number(result_field(r.result, "summary"), "max_amplification") == 910.0 / 160);
    run_free(&r);
}

/* Every call of a 5 s pause retried in step once a second after the stop: 10 calls in
 * the same 100 ms, five times; each retried once, so amplification stays under 2. */
static void periodic_waves(void **state) {
    (void)state;
    scenario s = {.seconds = 40, .fault_start = 10000, .fault_stop = 15000, .fail_from = 10000,
                  .fail_until = 15000, .attempts = 1};
    run r = generate(&s);
    for (int wave = 1; wave <= 5; wave++)
        for (int64_t c = 0; c < 10; c++) arrive(&r, 15000 + wave * 1000 + 20 + c, 100 + c + 10 * wave, 2, FL_RS_OK);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 0);
    const json_t *w = window(&r, 0);
    assert_true(number(w, "amplification") < 2);
    assert_false(has_flag(&r, 0, "amplification"));
    const json_t *f = flag_on(&r, 0, "wave_ratio");
    assert_true(number(f, "value") == 10.0); /* the 10 retries; the bucket's own first call is load */
    assert_true(number(w, "peak_bucket_s") > 15.9 && number(w, "peak_bucket_s") < 16.1);
    run_free(&r);
}

/* A second pause starts 3 s after the first stops; its backlog lands at once when it
 * resumes: that is the second window's (in its first 0.5 s, not a wave), not a wave of
 * the first, whose search ends where the next fault starts. */
static void next_fault_backlog_is_its_own(void **state) {
    (void)state;
    scenario s = {.seconds = 60, .fault_start = 10000, .fault_stop = 15000, .fail_from = 10000,
                  .fail_until = 15000, .attempts = 1, .fault2_start = 18000, .fault2_stop = 20000};
    run r = generate(&s);
    for (int64_t c = 0; c < 50; c++) arrive(&r, 20000 + c, 1000 + c, 1, FL_RS_OVERLOADED);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 1);
    assert_true(number(window(&r, 0), "wave_ratio") <= 2);
    assert_true(number(window(&r, 1), "wave_ratio") <= 2);
    run_free(&r);
}

/* The pause ends at 15 s but the clients see nothing succeed until 30 s. */
static void slow_recovery(void **state) {
    (void)state;
    scenario s = {.seconds = 60, .fault_start = 10000, .fault_stop = 15000, .fail_from = 10000,
                  .fail_until = 30000, .attempts = 1};
    run r = generate(&s);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 0);
    assert_int_equal(result_count(window(&r, 0), "recovery_s"), 15);
    const json_t *f = flag_on(&r, 0, "recovery_s");
    assert_int_equal(json_integer_value(json_object_get(f, "value")), 15);
    assert_false(has_flag(&r, 0, "amplification"));
    assert_false(has_flag(&r, 0, "wave_ratio"));
    run_free(&r);
}

/* Never recovered: nothing succeeds after the pause, for the 20 s left (the steady
 * seconds before it, more than those after, keep the baseline at 10 ok ops/s). */
static void never_recovered(void **state) {
    (void)state;
    scenario s = {.seconds = 45, .fault_start = 20000, .fault_stop = 25000, .fail_from = 20000,
                  .fail_until = 45000, .attempts = 1};
    run r = generate(&s);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 0);
    assert_string_equal(json_string_value(json_object_get(window(&r, 0), "recovery_s")), "not-recovered");
    flag_on(&r, 0, "recovery_s");
    assert_string_equal(json_string_value(json_object_get(result_field(r.result, "summary"),
                                                          "max_recovery_s")), "not-recovered");
    run_free(&r);
}

/* The 50 calls of a 5 s pause, queued in the kernel, all read in the 300 ms after it:
 * a burst, not a retry wave. */
static void pause_backlog_is_not_a_wave(void **state) {
    (void)state;
    scenario s = {.seconds = 40, .fault_start = 10000, .fault_stop = 15000, .fail_from = 10000,
                  .fail_until = 15000, .attempts = 1, .backlog_until = 15300};
    run r = generate(&s);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 1);
    const json_t *w = window(&r, 0);
    assert_true(number(w, "amplification") == 1.0);
    assert_true(number(w, "wave_ratio") <= 1.0);
    run_free(&r);
}

/* An 8 s run with a fault at 3 s: one steady second. */
static void no_steady_state(void **state) {
    (void)state;
    scenario s = {.seconds = 8, .fault_start = 3000, .fault_stop = 4000, .attempts = 1};
    run r = generate(&s);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), -1);
    assert_non_null(strstr(json_string_value(result_field(r.result, "reason")),
                           "no steady state to compare with"));
    assert_int_equal(result_count(result_field(r.result, "baseline"), "steady_buckets"), 1);
    run_free(&r);
}

static void no_faults(void **state) {
    (void)state;
    scenario s = {.seconds = 10, .attempts = 1};
    run r = generate(&s);
    check(&r);
    assert_int_equal(verdict_of(json_object_get(r.result, "valid")), 1);
    assert_non_null(strstr(json_string_value(result_field(r.result, "note")), "no fault windows"));
    assert_int_equal(json_array_size(result_field(r.result, "windows")), 0);
    run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* The loader                                                                           */

static char run_dir[64];

static int fresh_dir(void **state) {
    (void)state;
    return temp_dir_make(run_dir, sizeof run_dir, "fl_retry_storm");
}

static int drop_dir(void **state) {
    (void)state;
    return temp_dir_remove(run_dir);
}

static void put(const char *name, const char *text) {
    temp_dir_write(run_dir, name, text, strlen(text));
}

#define LINE(ms, call, outcome)                                                           \
    "{\"arrived_ns\":" #ms "000000,\"done_ns\":" #ms "000001,\"call\":\"" call           \
    "\",\"attempt\":1,\"order\":1,\"kind\":\"charge\",\"outcome\":\"" outcome "\"}"
#define ORIGIN_JSON "{\"history_origin_mono_ns\":1000000000}"

static json_t *check_dir(const char *dir) {
    checker_run r = checker_run_on("{\"process\":0,\"type\":\"invoke\",\"f\":\"order\",\"key\":1,\"time\":0}\n"
                                   "{\"process\":0,\"type\":\"ok\",\"f\":\"order\",\"key\":1,\"time\":1000}\n");
    json_t *result = fl_check_retry_storm_run_dir(r.h, dir, &r.err);
    assert_non_null(result);
    checker_run_free(&r);
    return result;
}

static const char *error_of(const json_t *result) {
    assert_int_equal(verdict_of(json_object_get(result, "valid")), -1);
    const char *e = json_string_value(json_object_get(result, "error"));
    assert_non_null(e);
    return e;
}

static void no_request_log(void **state) {
    (void)state;
    put("test.json", ORIGIN_JSON);
    json_t *r = check_dir(run_dir);
    assert_non_null(strstr(error_of(r), "no request log"));
    json_decref(r);
}

static void no_clock_mapping(void **state) {
    (void)state;
    put("test.json", "{\"config\":{}}");
    put("nodes/n1/payments-requests.jsonl", LINE(1000, "c1", "ok") "\n");
    json_t *r = check_dir(run_dir);
    assert_non_null(strstr(error_of(r), "has no history_origin_mono_ns"));
    json_decref(r);
}

static void torn_last_line_skipped(void **state) {
    (void)state;
    put("test.json", ORIGIN_JSON);
    put("nodes/n1/payments-requests.jsonl",
        LINE(1000, "c1", "ok") "\n" LINE(1001, "c1", "repeat") "\n{\"arrived_ns\":10");
    json_t *r = check_dir(run_dir);
    assert_int_equal(result_count(r, "torn_lines_skipped"), 1);
    assert_int_equal(result_count(r, "arrival_count"), 2);
    assert_json(json_object_get(r, "logs"), "[\"nodes/n1/payments-requests.jsonl\"]");
    json_decref(r);
}

static void bad_middle_line(void **state) {
    (void)state;
    put("test.json", ORIGIN_JSON);
    put("nodes/n1/payments-requests.jsonl",
        LINE(1000, "c1", "ok") "\n{\"arrived_ns\":10\n" LINE(1001, "c2", "ok") "\n");
    json_t *r = check_dir(run_dir);
    assert_non_null(strstr(error_of(r), "nodes/n1/payments-requests.jsonl:2: malformed"));
    json_decref(r);
    put("nodes/n1/payments-requests.jsonl", LINE(1000, "c1", "ok") "\n" LINE(1001, "c2", "lost") "\n");
    r = check_dir(run_dir);
    assert_non_null(strstr(error_of(r), "payments-requests.jsonl:2: malformed request log line: "));
    json_decref(r);
}

static void registry_needs_run_dir(void **state) {
    (void)state;
    const fl_checker_def *def = fl_checker_find("retry-storm");
    assert_non_null(def);
    checker_run r = checker_run_on("{\"process\":0,\"type\":\"invoke\",\"f\":\"order\",\"key\":1,\"time\":0}\n");
    fl_checker_options o = {0};
    r.result = def->run(r.h, &o, &r.err);
    assert_checked(&r);
    assert_non_null(strstr(error_of(r.result), "needs a run directory"));
    checker_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(correct_policy_is_valid),
        cmocka_unit_test(fixed_retry_amplifies),
        cmocka_unit_test(periodic_waves),
        cmocka_unit_test(next_fault_backlog_is_its_own),
        cmocka_unit_test(slow_recovery),
        cmocka_unit_test(never_recovered),
        cmocka_unit_test(pause_backlog_is_not_a_wave),
        cmocka_unit_test(no_steady_state),
        cmocka_unit_test(no_faults),
        cmocka_unit_test_setup_teardown(no_request_log, fresh_dir, drop_dir),
        cmocka_unit_test_setup_teardown(no_clock_mapping, fresh_dir, drop_dir),
        cmocka_unit_test_setup_teardown(torn_last_line_skipped, fresh_dir, drop_dir),
        cmocka_unit_test_setup_teardown(bad_middle_line, fresh_dir, drop_dir),
        cmocka_unit_test(registry_needs_run_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
