/* How `faultline test` checks a run, without a cluster: the workload's options it
 * builds (run_resolve.c) check every key within --check-time-limit, so a report counts
 * every broken key, where `faultline check` still stops at the first; and the "stats"
 * entry (run_results.c) makes a run in which no client op succeeded unknown, although
 * every checker calls the empty history valid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "history_testing.h"
#include "target.h"
#include "run_config.h"
#include "run_resolve.h"
#include "run_results.h"
#include "workload.h"

/* One register op on key k (JSON text v). */
#define KOP(p, t, f, k, v)                                                                 \
    "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"" #f "\",\"key\":" #k ",\"value\":" v \
    "}\n"
#define NEMESIS(f) "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"" f "\"}\n"

/* A read of null after the write of 1 completed: key k cannot be linearized. */
#define STALE(k)                                                                           \
    KOP(0, invoke, write, k, "1") KOP(0, ok, write, k, "1") KOP(1, invoke, read, k, "null") \
    KOP(1, ok, read, k, "null")
#define FINE(k)                                                                            \
    KOP(0, invoke, write, k, "1") KOP(0, ok, write, k, "1") KOP(1, invoke, read, k, "null") \
    KOP(1, ok, read, k, "1")

/* Three keys, two of them broken. */
static const char three_keys[] = STALE(1) FINE(2) STALE(3);

static fl_history *history(const char *text) {
    fl_history *h = jsonl_ok(text);
    fl_error err;
    if (fl_history_pair(h, &err) != FL_READ_OK) fail_msg("does not pair: %s", err.message);
    return h;
}

/* `faultline test`'s settings from flags, as the CLI parses them. */
static void config(fl_test_config *c, int argc, const char **argv) {
    bool help;
    assert_int_equal(fl_test_config_parse(argc, (char **)argv, c, &help), 0);
}

/* The register workload's check of text with the options `faultline test` gives it. */
static json_t *run_check(const fl_test_config *c, const char *text) {
    const fl_target *t = fl_target_find(c->target);
    assert_non_null(t);
    fl_workload_options wo = fl_test_workload_options(c, 1, t, NULL);
    const fl_workload_def *def = fl_workload_find(c->workload);
    char msg[256];
    fl_workload *w = def->create(&wo, msg, sizeof msg);
    assert_non_null(w);
    fl_history *h = history(text);
    fl_error err;
    size_t refused = 0;
    json_t *r = fl_workload_check(def, w, h, NULL, &refused, &err);
    assert_non_null(r);
    assert_int_equal(refused, 0);
    def->free(w);
    fl_history_free(h);
    return r;
}

static const json_t *linearizable(const json_t *results) {
    return json_object_get(json_object_get(results, "checkers"), "linearizable");
}

static const char *reason_of_key(const json_t *lin, const char *key) {
    return json_string_value(json_object_get(json_object_get(json_object_get(lin, "keys"), key),
                                             "reason"));
}

static void test_checks_every_key(void **state) {
    (void)state;
    fl_test_config c;
    const char *argv[] = {"test"};
    config(&c, 1, argv);
    fl_workload_options wo = fl_test_workload_options(&c, 1, fl_target_find(c.target), NULL);
    assert_true(wo.all_keys);
    assert_true(wo.check_time_limit_s == 120);
    json_t *r = run_check(&c, three_keys);
    const json_t *lin = linearizable(r);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 0);
    assert_int_equal(json_array_size(json_object_get(lin, "invalid_keys")), 2);
    assert_int_equal(json_array_size(json_object_get(lin, "unknown_keys")), 0);
    assert_int_equal(json_integer_value(json_object_get(lin, "valid_keys")), 1);
    json_decref(r);
    fl_test_config_free(&c);
}

/* `faultline check` keeps its shortcut: with one thread, the second broken key is
 * not checked once the first is found. */
static void test_check_still_stops_at_first(void **state) {
    (void)state;
    fl_history *h = history(three_keys);
    fl_lin_options o = {.model = fl_model_find("register"), .threads = 1};
    fl_error err;
    json_t *r = fl_check_linearizable(h, &o, &err);
    assert_non_null(r);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 0);
    assert_int_equal(json_array_size(json_object_get(r, "invalid_keys")), 1);
    const char *found = json_string_value(json_array_get(json_object_get(r, "invalid_keys"), 0));
    assert_true(!strcmp(found, "1") || !strcmp(found, "3"));
    const char *other = !strcmp(found, "1") ? "3" : "1"; /* broken too, but not checked */
    assert_non_null(strstr(reason_of_key(r, other), "not checked"));
    json_decref(r);
    o.all_keys = true; /* --all-keys */
    r = fl_check_linearizable(h, &o, &err);
    assert_int_equal(json_array_size(json_object_get(r, "invalid_keys")), 2);
    json_decref(r);
    fl_history_free(h);
}

/* The budget bounds the whole check: the keys whose turn comes after it ran out are
 * unknown, not checked past it. */
static void test_budget_bounds_every_key(void **state) {
    (void)state;
    fl_test_config c;
    const char *argv[] = {"test", "--check-time-limit", "1e-9"};
    config(&c, 3, argv);
    json_t *r = run_check(&c, three_keys);
    const json_t *lin = linearizable(r);
    assert_int_equal(verdict_of(json_object_get(lin, "valid")), -1);
    assert_int_equal(json_array_size(json_object_get(lin, "unknown_keys")), 3);
    assert_string_equal(reason_of_key(lin, "1"), "check time limit reached");
    assert_string_equal(reason_of_key(lin, "2"), "check time limit reached");
    json_decref(r);
    fl_test_config_free(&c);
}

/* The run's results for text as run.c composes them: the workload's checks, then
 * the stats entry. */
static json_t *run_results(const char *text) {
    fl_test_config c;
    const char *argv[] = {"test"};
    config(&c, 1, argv);
    json_t *results = run_check(&c, text);
    fl_history *h = history(text);
    fl_test_results_add_stats(results, json_pack("{s:i}", "ok", 0), h);
    fl_history_free(h);
    fl_test_config_free(&c);
    return results;
}

static const json_t *stats(const json_t *results) {
    return json_object_get(json_object_get(results, "checkers"), "stats");
}

static void test_nothing_ok_is_unknown(void **state) {
    (void)state;
    /* No client op at all: every checker says valid, the run says unknown. */
    json_t *r = run_results(NEMESIS("partition-start") NEMESIS("partition-stop"));
    assert_int_equal(verdict_of(json_object_get(linearizable(r), "valid")), 1);
    assert_string_equal(json_string_value(json_object_get(linearizable(r), "note")),
                        "no client ops");
    assert_int_equal(verdict_of(json_object_get(stats(r), "valid")), -1);
    assert_string_equal(json_string_value(json_object_get(stats(r), "reason")),
                        FL_REASON_NOTHING_OK);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    assert_string_equal(json_string_value(json_object_get(r, "reason")), FL_REASON_NOTHING_OK);
    assert_int_equal(json_integer_value(json_object_get(stats(r), "ok")), 0); /* kept */
    json_decref(r);

    /* Client ops that all failed or never returned: nothing succeeded either. */
    r = run_results(KOP(0, invoke, write, 1, "1") KOP(0, fail, write, 1, "1")
                        KOP(1, invoke, read, 1, "null") KOP(1, info, read, 1, "null"));
    assert_int_equal(verdict_of(json_object_get(linearizable(r), "valid")), 1);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    assert_string_equal(json_string_value(json_object_get(r, "reason")), FL_REASON_NOTHING_OK);
    json_decref(r);
}

static void test_something_ok_keeps_the_verdict(void **state) {
    (void)state;
    json_t *r = run_results(FINE(1));
    assert_int_equal(verdict_of(json_object_get(stats(r), "valid")), 1);
    assert_null(json_object_get(stats(r), "reason"));
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_null(json_object_get(r, "reason"));
    json_decref(r);
    r = run_results(three_keys);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 0);
    json_decref(r);
}

/* An anomaly found elsewhere (say a panic in a node's log) stays an anomaly. */
static void test_anomaly_beats_nothing_ok(void **state) {
    (void)state;
    json_t *results = json_pack("{s:b,s:{s:{s:b}}}", "valid", 0, "checkers", "log-pattern",
                                "valid", 0);
    fl_history *h = history(NEMESIS("kill-start"));
    fl_test_results_add_stats(results, json_object(), h);
    assert_int_equal(verdict_of(json_object_get(results, "valid")), 0);
    assert_null(json_object_get(results, "reason"));
    assert_int_equal(verdict_of(json_object_get(stats(results), "valid")), -1);
    fl_history_free(h);
    json_decref(results);
}

/* Every workload names checkers the registry has, at least one. */
static void test_workload_checkers(void **state) {
    (void)state;
    for (size_t i = 0; fl_workloads[i]; i++) {
        const fl_workload_def *def = fl_workloads[i];
        assert_non_null(def->checkers);
        assert_non_null(def->checkers[0]);
        for (size_t k = 0; def->checkers[k]; k++)
            if (!fl_checker_find(def->checkers[k]))
                fail_msg("workload %s names checker %s, which the registry lacks", def->name,
                         def->checkers[k]);
    }
}

/* A checker that refuses the history (an op its model cannot take) is recorded as unknown
 * with its error, and the workload's other checkers still give their verdicts. */
static void test_refusal_recorded_others_stand(void **state) {
    (void)state;
    fl_test_config c;
    const char *argv[] = {"test", "--target", "quorumkv", "--seed", "1"};
    config(&c, 5, argv);
    const fl_target *t = fl_target_find(c.target);
    fl_workload_options wo = fl_test_workload_options(&c, 1, t, NULL);
    const fl_workload_def *def = fl_workload_find("register");
    char msg[256];
    fl_workload *w = def->create(&wo, msg, sizeof msg);
    assert_non_null(w);
    /* an append: no register model takes it */
    fl_history *h = history("{\"type\":\"invoke\",\"f\":\"append\",\"key\":1,\"value\":3,\"process\":0}\n"
                            "{\"type\":\"ok\",\"f\":\"append\",\"key\":1,\"value\":3,\"process\":0}\n");
    fl_error err;
    size_t refused = 0;
    json_t *r = fl_workload_check(def, w, h, NULL, &refused, &err);
    assert_int_equal(refused, 1);
    const json_t *checkers = json_object_get(r, "checkers");
    const json_t *lin = json_object_get(checkers, "linearizable");
    assert_string_equal(json_string_value(json_object_get(lin, "valid")), "unknown");
    assert_non_null(json_string_value(json_object_get(lin, "error")));
    assert_non_null(json_object_get(checkers, "session"));
    assert_string_equal(json_string_value(json_object_get(r, "valid")), "unknown");
    json_decref(r);
    def->free(w);
    fl_history_free(h);
    fl_test_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_every_key),
        cmocka_unit_test(test_check_still_stops_at_first),
        cmocka_unit_test(test_budget_bounds_every_key),
        cmocka_unit_test(test_nothing_ok_is_unknown),
        cmocka_unit_test(test_something_ok_keeps_the_verdict),
        cmocka_unit_test(test_anomaly_beats_nothing_ok),
        cmocka_unit_test(test_workload_checkers),
        cmocka_unit_test(test_refusal_recorded_others_stand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
