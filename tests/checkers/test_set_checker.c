/* The set / durability checker (checkers/set/set.h) on hand-written histories: lost,
 * recovered, unexpected, failed-but-present and duplicated elements, the final-read
 * rule, sets per key, "unknown" without a final read, malformed histories refused
 * with their line, and a large history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "history_testing.h"
#include "set.h"

/* JSONL op lines; ops are indexed by position (line number - 1). v is JSON text. */
#define ADD(p, t, v) "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"add\",\"value\":" v "}\n"
#define RINV(p) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"read\"}\n"
#define ROK(p, node, v) \
    "{\"process\":" #p ",\"type\":\"ok\",\"f\":\"read\",\"node\":\"" node "\",\"value\":" v "}\n"
#define NEMESIS(f) "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"" f "\"}\n"

typedef checker_run run; /* history_testing.h */

static run check_text(const char *text) {
    run r = checker_run_on(text);
    r.result = fl_check_set(r.h, &r.err);
    return r;
}

static run check(const char *text) {
    run r = check_text(text);
    assert_checked(&r);
    return r;
}

static const json_t *final_read(const run *r, size_t i) {
    const json_t *reads = json_object_get(r->result, "final_reads");
    assert_true(i < json_array_size(reads));
    return json_array_get(reads, i);
}

/* Three adds acknowledged (0..5), one info (6..7), one failed (8..9), a nemesis event,
 * then final reads by two processes on n1 and n2 (11..14), whose lists are given. */
#define PREFIX                                                                         \
    ADD(0, invoke, "1") ADD(0, ok, "1") ADD(1, invoke, "2") ADD(1, ok, "2")            \
    ADD(2, invoke, "10") ADD(2, ok, "10") ADD(3, invoke, "4") ADD(3, info, "4")        \
    ADD(4, invoke, "5") ADD(4, fail, "5") NEMESIS("partition-stop")
#define READS(a, b) RINV(0) ROK(0, "n1", a) RINV(1) ROK(1, "n2", b)

static void all_acknowledged_present_is_valid(void **state) {
    (void)state;
    run r = check(PREFIX READS("[10,2,1]", "[1,2,10]"));
    assert_int_equal(run_verdict(&r), 1);
    assert_null(json_object_get(r.result, "reason"));
    assert_int_equal(result_count(r.result, "add_count"), 5);
    assert_int_equal(result_count(r.result, "attempted_count"), 5);
    assert_int_equal(result_count(r.result, "acknowledged_count"), 3);
    assert_int_equal(result_count(r.result, "indeterminate_count"), 1);
    assert_int_equal(result_count(r.result, "failed_count"), 1);
    assert_int_equal(result_count(r.result, "final_read_count"), 2);
    assert_int_equal(result_count(r.result, "ignored_read_count"), 0);
    assert_int_equal(result_count(r.result, "lost_count"), 0);
    assert_int_equal(result_count(r.result, "recovered_count"), 0);
    const json_t *r0 = final_read(&r, 0);
    assert_json(r0, "{\"index\":11,\"complete_index\":12,\"process\":0,\"node\":\"n1\","
                    "\"line\":13,\"element_count\":3,\"lost\":[],\"lost_count\":0,"
                    "\"unexpected\":[],\"unexpected_count\":0,\"failed_but_present\":[],"
                    "\"failed_but_present_count\":0,\"duplicated\":[],"
                    "\"duplicated_count\":0,\"recovered_count\":0}");
    assert_string_equal(json_string_value(json_object_get(final_read(&r, 1), "node")), "n2");
    checker_run_free(&r);
}

static void lost_ack_names_element_and_ops(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2,10]", "[1,10]"));
    assert_int_equal(run_verdict(&r), 0);
    assert_int_equal(result_count(final_read(&r, 0), "lost_count"), 0);
    const json_t *r1 = final_read(&r, 1);
    assert_json(json_object_get(r1, "lost"), "[2]");
    assert_int_equal(result_count(r1, "lost_count"), 1);
    assert_json(json_object_get(r.result, "lost"), "[2]");
    assert_int_equal(result_count(r.result, "lost_count"), 1);
    assert_int_equal(result_count(r.result, "never_read_count"), 0);
    const json_t *ops = json_object_get(r.result, "lost_ops");
    assert_int_equal(json_array_size(ops), 1);
    assert_json(json_array_get(ops, 0),
                "{\"element\":2,\"add\":{\"index\":2,\"process\":1,\"f\":\"add\",\"value\":2,"
                "\"type\":\"ok\",\"complete_index\":3,\"line\":3},"
                "\"missing_from\":[{\"index\":13,\"node\":\"n2\"}]}");
    checker_run_free(&r);
}

static void lost_everywhere_is_never_read(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2]", "[2,1]"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(json_object_get(r.result, "lost"), "[10]");
    assert_int_equal(result_count(r.result, "never_read_count"), 1);
    const json_t *d = json_array_get(json_object_get(r.result, "lost_ops"), 0);
    assert_json(json_object_get(d, "missing_from"),
                "[{\"index\":11,\"node\":\"n1\"},{\"index\":13,\"node\":\"n2\"}]");
    checker_run_free(&r);
}

static void info_add_present_is_recovered(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2,4,10]", "[1,2,10]"));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(final_read(&r, 0), "recovered_count"), 1);
    assert_int_equal(result_count(final_read(&r, 1), "recovered_count"), 0);
    assert_json(json_object_get(r.result, "recovered"), "[4]");
    assert_int_equal(result_count(r.result, "recovered_count"), 1);
    checker_run_free(&r);
}

static void info_add_absent_is_valid(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2,10]", "[10,1,2]"));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "recovered_count"), 0);
    checker_run_free(&r);
}

static void open_add_is_indeterminate(void **state) {
    (void)state;
    /* Process 5 never completes its add; the read after its invocation is final. */
    run r = check(ADD(0, invoke, "1") ADD(0, ok, "1") ADD(5, invoke, "7")
                  RINV(0) ROK(0, "n1", "[1,7]"));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "indeterminate_count"), 1);
    assert_json(json_object_get(r.result, "recovered"), "[7]");
    checker_run_free(&r);
}

static void failed_add_present_is_invalid(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2,10]", "[1,2,5,10]"));
    assert_int_equal(run_verdict(&r), 0);
    assert_int_equal(result_count(r.result, "lost_count"), 0);
    assert_json(json_object_get(final_read(&r, 1), "failed_but_present"), "[5]");
    assert_json(json_object_get(r.result, "failed_but_present"), "[5]");
    const json_t *d = json_array_get(json_object_get(r.result, "failed_but_present_ops"), 0);
    assert_json(d, "{\"element\":5,\"add\":{\"index\":8,\"process\":4,\"f\":\"add\","
                   "\"value\":5,\"type\":\"fail\",\"complete_index\":9,\"line\":9},"
                   "\"present_in\":[{\"index\":13,\"node\":\"n2\"}]}");
    checker_run_free(&r);
}

static void failed_then_ok_is_acknowledged(void **state) {
    (void)state;
    /* The same element failed once and then was acknowledged: present is fine. */
    run r = check(ADD(0, invoke, "3") ADD(0, fail, "3") ADD(0, invoke, "3") ADD(0, ok, "3")
                  RINV(0) ROK(0, "n1", "[3]"));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "add_count"), 2);
    assert_int_equal(result_count(r.result, "attempted_count"), 1);
    assert_int_equal(result_count(r.result, "acknowledged_count"), 1);
    assert_int_equal(result_count(r.result, "failed_count"), 0);
    checker_run_free(&r);
}

static void unexpected_element_is_invalid(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2,10,\"x\",99]", "[1,2,10]"));
    assert_int_equal(run_verdict(&r), 0);
    const json_t *r0 = final_read(&r, 0);
    assert_json(json_object_get(r0, "unexpected"), "[99,\"x\"]");
    assert_int_equal(result_count(r0, "unexpected_count"), 2);
    assert_int_equal(result_count(final_read(&r, 1), "unexpected_count"), 0);
    assert_json(json_object_get(r.result, "unexpected"), "[99,\"x\"]");
    /* Attempted counts only what was added. */
    assert_int_equal(result_count(r.result, "attempted_count"), 5);
    checker_run_free(&r);
}

static void duplicated_element_is_invalid(void **state) {
    (void)state;
    run r = check(PREFIX READS("[1,2,10,2]", "[1,2,10]"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(json_object_get(final_read(&r, 0), "duplicated"), "[2]");
    assert_int_equal(result_count(r.result, "duplicated_count"), 1);
    assert_int_equal(result_count(r.result, "lost_count"), 0);
    checker_run_free(&r);
}

static void elements_compare_by_canonical_text(void **state) {
    (void)state;
    /* Objects with keys in another order are the same element; 1.0 is not 1. */
    run r = check(ADD(0, invoke, "{\"a\":1,\"b\":2}") ADD(0, ok, "{\"a\":1,\"b\":2}")
                  ADD(0, invoke, "1") ADD(0, ok, "1")
                  RINV(0) ROK(0, "n1", "[{\"b\":2,\"a\":1},1.0]"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(json_object_get(r.result, "lost"), "[1]");
    assert_json(json_object_get(r.result, "unexpected"), "[1.0]");
    checker_run_free(&r);
}

static void lists_sorted_numbers_before_strings(void **state) {
    (void)state;
    run r = check(ADD(0, invoke, "\"b\"") ADD(0, ok, "\"b\"") ADD(0, invoke, "100")
                  ADD(0, ok, "100") ADD(0, invoke, "9") ADD(0, ok, "9") ADD(0, invoke, "\"a\"")
                  ADD(0, ok, "\"a\"") ADD(0, invoke, "-3") ADD(0, ok, "-3")
                  RINV(0) ROK(0, "n1", "[]"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(json_object_get(r.result, "lost"), "[-3,9,100,\"a\",\"b\"]");
    checker_run_free(&r);
}

static void reads_during_adds_are_not_final(void **state) {
    (void)state;
    /* The first read is invoked before process 1's add completed: ignored, though it
     * misses the add. The second comes after every add ended: final. */
    run r = check(ADD(0, invoke, "1") ADD(0, ok, "1") ADD(1, invoke, "2")
                  RINV(0) ROK(0, "n1", "[1]") ADD(1, ok, "2")
                  RINV(0) ROK(0, "n1", "[1,2]"));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "final_read_count"), 1);
    assert_int_equal(result_count(r.result, "ignored_read_count"), 1);
    assert_int_equal(result_count(final_read(&r, 0), "index"), 6);
    checker_run_free(&r);
}

static void no_final_read_is_unknown(void **state) {
    (void)state;
    run r = check(PREFIX);
    assert_int_equal(run_verdict(&r), -1);
    assert_string_equal(json_string_value(json_object_get(r.result, "reason")),
                        "no final read: no read completed ok");
    assert_int_equal(result_count(r.result, "final_read_count"), 0);
    checker_run_free(&r);

    /* Ok reads, but only while adds were running; failed and info reads never count. */
    r = check(ADD(0, invoke, "1") RINV(1) ROK(1, "n1", "[]") ADD(0, ok, "1")
              RINV(1) "{\"process\":1,\"type\":\"fail\",\"f\":\"read\"}\n");
    assert_int_equal(run_verdict(&r), -1);
    assert_string_equal(json_string_value(json_object_get(r.result, "reason")),
                        "no final read: 1 ok read, none invoked after every add had ended "
                        "(the last add ended at index 3)");
    assert_int_equal(result_count(r.result, "ignored_read_count"), 1);
    checker_run_free(&r);
}

static void sets_per_key(void **state) {
    (void)state;
    /* Key x is read in full, key y misses 1, key z has no final read: false wins. */
    const char *text = KADD(0, invoke, "x", "1") KADD(0, ok, "x", "1")
        KADD(0, invoke, "y", "1") KADD(0, ok, "y", "1") KADD(0, invoke, "z", "1")
        KADD(0, ok, "z", "1") KRI(0, "x") KRO(0, "x", "[1]") KRI(0, "y")
        KRO(0, "y", "[]");
    run r = check(text);
    assert_int_equal(run_verdict(&r), 0);
    assert_json(json_object_get(r.result, "lost"), "[1]");
    const json_t *d = json_array_get(json_object_get(r.result, "lost_ops"), 0);
    assert_string_equal(json_string_value(json_object_get(d, "key")), "y");
    assert_string_equal(json_string_value(json_object_get(final_read(&r, 1), "key")), "y");
    assert_json(json_object_get(final_read(&r, 1), "node"), "null");
    assert_json(json_object_get(r.result, "keys_without_final_read"), "[\"z\"]");
    assert_null(json_object_get(r.result, "reason"));
    checker_run_free(&r);

    /* Without the anomaly, z's missing final read makes it unknown. */
    const char *text2 = KADD(0, invoke, "x", "1") KADD(0, ok, "x", "1")
        KADD(0, invoke, "z", "1") KADD(0, ok, "z", "1") KRI(0, "x") KRO(0, "x", "[1]");
    r = check(text2);
    assert_int_equal(run_verdict(&r), -1);
    assert_json(json_object_get(r.result, "keys_without_final_read"), "[\"z\"]");
    assert_non_null(strstr(json_string_value(json_object_get(r.result, "reason")),
                           "no final read of 1 of the 2 sets"));
    checker_run_free(&r);
}

static void malformed_histories_are_refused(void **state) {
    (void)state;
    /* A final read whose value is not a list. */
    run r = check_text(ADD(0, invoke, "1") ADD(0, ok, "1") RINV(0) ROK(0, "n1", "{\"a\":1}"));
    assert_null(r.result);
    assert_int_equal(r.err.line, 4);
    assert_non_null(strstr(r.err.message, "not the list of elements read"));
    assert_non_null(strstr(r.err.message, "an object"));
    checker_run_free(&r);

    r = check_text(ADD(0, invoke, "1") ADD(0, ok, "1") RINV(0)
                   "{\"process\":0,\"type\":\"ok\",\"f\":\"read\"}\n");
    assert_null(r.result);
    assert_int_equal(r.err.line, 4);
    assert_non_null(strstr(r.err.message, "its value is absent"));
    checker_run_free(&r);

    /* An add without a value. */
    r = check_text(ADD(0, invoke, "1") ADD(0, ok, "1")
                   "{\"process\":1,\"type\":\"invoke\",\"f\":\"add\"}\n"
                   "{\"process\":1,\"type\":\"ok\",\"f\":\"add\"}\n");
    assert_null(r.result);
    assert_int_equal(r.err.line, 3);
    assert_non_null(strstr(r.err.message, "add (index 2) of process 1 has no value"));
    checker_run_free(&r);

    /* A history that was never paired. */
    const char *text = ADD(0, invoke, "1") ADD(0, ok, "1");
    fl_history *h = fl_history_new("test.jsonl");
    fl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fl_jsonl_read_buffer(text, strlen(text), "test.jsonl", h, false, &err),
                     FL_READ_OK);
    assert_null(fl_check_set(h, &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "fl_history_pair"));
    fl_history_free(h);
}

static void large_history(void **state) {
    (void)state;
    enum { ADDS = 100000, READS = 5, PROCESSES = 10 };
    text_buf t = {0};
    t.cap = 1 << 20;
    t.s = malloc(t.cap);
    assert_non_null(t.s);
    for (int i = 0; i < ADDS; i++) {
        text_put(&t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":%d}\n",
            i % PROCESSES, i);
        text_put(&t, "{\"process\":%d,\"type\":\"%s\",\"f\":\"add\",\"value\":%d}\n",
            i % PROCESSES, i % 100 == 7 ? "info" : "ok", i);
    }
    for (int k = 0; k < READS; k++) {
        text_put(&t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\"}\n", 1000 + k);
        text_put(&t, "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"node\":\"n%d\",\"value\":[",
            1000 + k, k + 1);
        /* Read k misses element k*7+1 (acknowledged) and lists everything else backwards. */
        bool first = true;
        for (int i = ADDS - 1; i >= 0; i--) {
            if (i == k * 7 + 1) continue;
            text_put(&t, first ? "%d" : ",%d", i);
            first = false;
        }
        text_put(&t, "]}\n");
    }
    fl_history *h = history_paired(t.s, t.len);
    free(t.s);
    fl_error err;
    memset(&err, 0, sizeof err);
    json_t *result = fl_check_set(h, &err);
    assert_non_null(result);
    assert_int_equal(verdict_of(json_object_get(result, "valid")), 0);
    assert_int_equal(json_integer_value(json_object_get(result, "attempted_count")), ADDS);
    assert_int_equal(json_integer_value(json_object_get(result, "indeterminate_count")),
                     ADDS / 100);
    assert_int_equal(json_integer_value(json_object_get(result, "final_read_count")), READS);
    assert_int_equal(json_integer_value(json_object_get(result, "lost_count")), READS);
    assert_json(json_object_get(result, "lost"), "[1,8,15,22,29]");
    assert_int_equal(json_integer_value(json_object_get(result, "recovered_count")), ADDS / 100);
    json_decref(result);
    fl_history_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_acknowledged_present_is_valid),
        cmocka_unit_test(lost_ack_names_element_and_ops),
        cmocka_unit_test(lost_everywhere_is_never_read),
        cmocka_unit_test(info_add_present_is_recovered),
        cmocka_unit_test(info_add_absent_is_valid),
        cmocka_unit_test(open_add_is_indeterminate),
        cmocka_unit_test(failed_add_present_is_invalid),
        cmocka_unit_test(failed_then_ok_is_acknowledged),
        cmocka_unit_test(unexpected_element_is_invalid),
        cmocka_unit_test(duplicated_element_is_invalid),
        cmocka_unit_test(elements_compare_by_canonical_text),
        cmocka_unit_test(lists_sorted_numbers_before_strings),
        cmocka_unit_test(reads_during_adds_are_not_final),
        cmocka_unit_test(no_final_read_is_unknown),
        cmocka_unit_test(sets_per_key),
        cmocka_unit_test(malformed_histories_are_refused),
        cmocka_unit_test(large_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
