/* The session checker (checkers/session/session.h) on hand-written histories: a valid
 * register history and a valid list-append history; one history per rule of each
 * guarantee, with the exact violation expected (rule, sentence, key, session, ops);
 * rules that need two guarantees claimed; crashed processes starting new sessions;
 * info and fail appends; "not-checked" and "unknown"; the cap on violations shown;
 * malformed histories refused with their line; and the guarantee-list parser. */
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
#include "session.h"

/* JSONL op lines on string keys; ops are indexed by position (line number - 1). */
#define OP(p, t, f, k, rest) \
    "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"" f "\",\"key\":\"" k "\"" rest "}\n"
#define APPEND(p, t, k, v) OP(p, t, "append", k, ",\"value\":" #v)
#define WRITE(p, t, k, v) OP(p, t, "write", k, ",\"value\":" #v)
#define CAS(p, t, k, old, new) OP(p, t, "cas", k, ",\"value\":[" #old "," #new "]")
#define RINV(p, k) OP(p, invoke, "read", k, "")
#define ROK(p, k, v) OP(p, ok, "read", k, ",\"value\":" v)
/* A whole ok read, invocation and completion. */
#define READ(p, k, v) RINV(p, k) ROK(p, k, v)

typedef checker_run run; /* history_testing.h */

static run check_text(const char *text, unsigned guarantees) {
    run r = checker_run_on(text);
    r.result = fl_check_session(r.h, guarantees, &r.err);
    return r;
}

static run check(const char *text, unsigned guarantees) {
    run r = check_text(text, guarantees);
    assert_checked(&r);
    return r;
}

static const json_t *guarantee(const run *r, const char *name) {
    const json_t *g = json_object_get(json_object_get(r->result, "guarantees"), name);
    if (!g) fail_msg("no guarantee %s in the result", name);
    return g;
}

static json_int_t violations(const run *r, const char *name) {
    return result_count(guarantee(r, name), "violation_count");
}

static const json_t *violation(const run *r, const char *name, size_t i) {
    const json_t *shown = json_object_get(guarantee(r, name), "violations");
    assert_true(i < json_array_size(shown));
    return json_array_get(shown, i);
}

/* Only the one guarantee has violations, exactly n of them; the verdict is false. */
static void assert_only(const run *r, const char *name, json_int_t n) {
    assert_int_equal(run_verdict(r), 0);
    const char *all[] = {"ryw", "mr", "mw", "wfr"};
    for (size_t i = 0; i < 4; i++) {
        const json_t *g = json_object_get(json_object_get(r->result, "guarantees"), all[i]);
        if (!g) continue;
        assert_int_equal(result_count(g, "violation_count"), strcmp(all[i], name) ? 0 : n);
    }
    assert_true(json_is_false(json_object_get(guarantee(r, name), "valid")));
}

/* ------------------------------------------------------------------------------------ */
/* Valid histories                                                                      */

static void valid_register_history(void **state) {
    (void)state;
    /* Two sessions write, cas and read x and y; process 1 crashes (info) and continues
     * as process 3, whose first read may see the initial value again. */
    const char *text = WRITE(0, invoke, "x", 1) WRITE(0, ok, "x", 1) READ(0, "x", "1")
        READ(1, "x", "null") READ(1, "x", "1") CAS(1, invoke, "x", 1, 2) CAS(1, ok, "x", 1, 2)
        READ(1, "x", "2") READ(0, "x", "1") READ(0, "x", "2") WRITE(1, invoke, "y", 3)
        WRITE(1, info, "y", 3) READ(3, "y", "null") READ(3, "x", "1")
        CAS(0, invoke, "x", 7, 8) CAS(0, fail, "x", 7, 8) READ(0, "x", "2")
        "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"partition-start\"}\n";
    run r = check(text, FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    assert_null(json_object_get(r.result, "reason"));
    assert_int_equal(result_count(r.result, "sessions"), 3);
    assert_int_equal(result_count(r.result, "reads"), 9);
    assert_int_equal(result_count(r.result, "keys"), 2);
    assert_int_equal(result_count(r.result, "register_keys"), 2);
    assert_int_equal(result_count(r.result, "list_keys"), 0);
    assert_json(guarantee(&r, "ryw"),
                "{\"valid\":true,\"violation_count\":0,\"violations\":[],\"rules\":["
                "\"initial-after-own-write\",\"own-cas-overwritten\",\"own-write-overwritten\","
                "\"read-value-overwritten\"],\"checked_keys\":2}");
    assert_json(guarantee(&r, "mr"),
                "{\"valid\":true,\"violation_count\":0,\"violations\":[],\"rules\":["
                "\"initial-after-read\",\"read-value-reverted\"],\"checked_keys\":2}");
    const json_t *mw = guarantee(&r, "mw");
    assert_string_equal(json_string_value(json_object_get(mw, "valid")), "not-checked");
    assert_int_equal(result_count(mw, "checked_keys"), 0);
    assert_int_equal(result_count(mw, "not_checked_keys"), 2);
    assert_non_null(strstr(json_string_value(json_object_get(mw, "reason")),
                           "not checked on the 2 register keys: no rule for mw is sound"));
    assert_string_equal(json_string_value(json_object_get(guarantee(&r, "wfr"), "valid")),
                        "not-checked");
    checker_run_free(&r);
}

static void valid_list_history(void **state) {
    (void)state;
    /* Process 0 appends 1, 2 (ok) and 5 (fail); process 1 reads, then appends 3 (info:
     * it crashed, continuing as process 3); 3 shows up after 2 in later reads; process
     * 2 reads x and y throughout; on y only process 2 appends. */
    const char *text = APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(1, "x", "[1]")
        READ(0, "x", "[1]") APPEND(0, invoke, "x", 2) APPEND(0, ok, "x", 2)
        READ(2, "x", "[1]") APPEND(0, invoke, "x", 5) APPEND(0, fail, "x", 5)
        READ(0, "x", "[1,2]") READ(1, "x", "[1,2]") APPEND(1, invoke, "x", 3)
        APPEND(1, info, "x", 3) READ(3, "x", "null") READ(2, "x", "[1,2]")
        READ(2, "x", "[1,2,3]") READ(0, "x", "[1,2,3]") READ(3, "x", "[1,2,3]")
        APPEND(2, invoke, "y", 1) APPEND(2, ok, "y", 1) APPEND(2, invoke, "y", 2)
        APPEND(2, ok, "y", 2) READ(2, "y", "[1,2]") READ(0, "y", "[1,2]");
    run r = check(text, FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "sessions"), 4);
    assert_int_equal(result_count(r.result, "reads"), 12);
    assert_int_equal(result_count(r.result, "list_keys"), 2);
    assert_int_equal(result_count(r.result, "duplicate_element_reads"), 0);
    assert_json(guarantee(&r, "ryw"),
                "{\"valid\":true,\"violation_count\":0,\"violations\":[],"
                "\"rules\":[\"own-append-missing\"],\"checked_keys\":2}");
    assert_json(guarantee(&r, "mr"),
                "{\"valid\":true,\"violation_count\":0,\"violations\":[],"
                "\"rules\":[\"read-not-extended\"],\"checked_keys\":2}");
    assert_json(guarantee(&r, "mw"),
                "{\"valid\":true,\"violation_count\":0,\"violations\":[],\"rules\":["
                "\"missing-earlier-append\",\"session-order-reversed\"],\"checked_keys\":2}");
    assert_json(guarantee(&r, "wfr"),
                "{\"valid\":true,\"violation_count\":0,\"violations\":[],"
                "\"rules\":[\"read-not-prefix-before-append\"],\"checked_keys\":2}");
    checker_run_free(&r);
}

static void crashed_process_is_a_new_session(void **state) {
    (void)state;
    /* Process 0 appends 1 and then crashes appending 2; as process 5 it reads an empty
     * list and then [2] (its own appends of the old session do not count; 2 may have
     * happened after 1 was lost). The same holds for a register. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(0, invoke, "x", 2)
                  APPEND(0, info, "x", 2) READ(5, "x", "[]") READ(5, "x", "[]")
                  WRITE(0, invoke, "r", 1) WRITE(0, info, "r", 1) READ(5, "r", "null"),
                  FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);
    /* The same process continuing would be read-your-writes violated. */
    r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(0, "x", "[]"),
              FL_SESSION_ALL);
    assert_only(&r, "ryw", 1);
    checker_run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* List-append violations                                                               */

static void list_ryw_own_append_missing(void **state) {
    (void)state;
    /* Process 0's own ok append of 1 is missing from its later read. Then: appends that
     * failed or ended info may be missing. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(1, invoke, "x", 9)
                  APPEND(1, ok, "x", 9) READ(0, "x", "[9]"),
                  FL_SESSION_ALL);
    assert_only(&r, "ryw", 1);
    assert_json(violation(&r, "ryw", 0),
                "{\"rule\":\"own-append-missing\",\"explanation\":\"Process 0 appended 1 to key "
                "\\\"x\\\" (index 0, ok), but its later read of the key (index 4) does not list "
                "it.\",\"key\":\"x\",\"session\":0,\"ops\":["
                "{\"index\":0,\"process\":0,\"f\":\"append\",\"value\":1,\"type\":\"ok\","
                "\"complete_index\":1,\"line\":1},"
                "{\"index\":4,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[9],\"complete_index\":5,\"line\":5}]}");
    checker_run_free(&r);
    r = check(APPEND(0, invoke, "x", 1) APPEND(0, fail, "x", 1) APPEND(1, invoke, "x", 2)
              APPEND(1, info, "x", 2) READ(0, "x", "[]") READ(1, "x", "[]"),
              FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);
}

static void list_mr_read_not_extended(void **state) {
    (void)state;
    /* Process 1 reads [1,2], then [1]: shorter. Then [1,3], which extends [1] (each
     * read is compared with the session's previous one). Then [4]: differs. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(0, invoke, "x", 2)
                  APPEND(0, ok, "x", 2) READ(1, "x", "[1,2]") READ(1, "x", "[1]")
                  READ(1, "x", "[1,3]") READ(1, "x", "[4]"),
                  FL_SESSION_MR);
    assert_only(&r, "mr", 2);
    assert_json(violation(&r, "mr", 0),
                "{\"rule\":\"read-not-extended\",\"explanation\":\"Process 1's read of key "
                "\\\"x\\\" (index 6) does not extend its previous read of the key (index 4): it "
                "lists 1 elements, the previous read 2, and lacks 2 at position 1.\","
                "\"key\":\"x\",\"session\":1,\"ops\":["
                "{\"index\":4,\"process\":1,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[1,2],\"complete_index\":5,\"line\":5},"
                "{\"index\":6,\"process\":1,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[1],\"complete_index\":7,\"line\":7}]}");
    assert_string_equal(json_string_value(json_object_get(violation(&r, "mr", 1), "explanation")),
                        "Process 1's read of key \"x\" (index 10) does not extend its previous "
                        "read of the key (index 8): at position 0 it lists 4 where the previous "
                        "read listed 1.");
    checker_run_free(&r);
}

static void list_mw_missing_earlier_append(void **state) {
    (void)state;
    /* Process 0 appends 1 then 2 (both ok); process 1 reads [2]: 2 without 1. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(0, invoke, "x", 2)
                  APPEND(0, ok, "x", 2) READ(1, "x", "[2]") READ(2, "x", "[1]"),
                  FL_SESSION_MW);
    assert_only(&r, "mw", 1);
    assert_json(violation(&r, "mw", 0),
                "{\"rule\":\"missing-earlier-append\",\"explanation\":\"The read of key "
                "\\\"x\\\" by process 1 (index 4) lists 2, appended by process 0 (index 2), but "
                "not 1, though process 0 appended 1 earlier (index 0, ok).\",\"key\":\"x\","
                "\"session\":0,\"ops\":["
                "{\"index\":0,\"process\":0,\"f\":\"append\",\"value\":1,\"type\":\"ok\","
                "\"complete_index\":1,\"line\":1},"
                "{\"index\":2,\"process\":0,\"f\":\"append\",\"value\":2,\"type\":\"ok\","
                "\"complete_index\":3,\"line\":3},"
                "{\"index\":4,\"process\":1,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[2],\"complete_index\":5,\"line\":5}]}");
    checker_run_free(&r);
    /* An earlier append that ended info or failed may be missing. */
    r = check(APPEND(0, invoke, "x", 1) APPEND(0, fail, "x", 1) APPEND(0, invoke, "x", 2)
              APPEND(0, ok, "x", 2) APPEND(0, invoke, "x", 3) APPEND(0, info, "x", 3)
              READ(1, "x", "[2]") READ(1, "x", "[2,3]"),
              FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);
}

static void list_mw_session_order_reversed(void **state) {
    (void)state;
    /* Process 0 appends 1 then 2; process 1 reads [2,1]: one violation, not two. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(0, invoke, "x", 2)
                  APPEND(0, ok, "x", 2) READ(1, "x", "[2,1]"),
                  FL_SESSION_ALL);
    assert_only(&r, "mw", 1);
    assert_json(violation(&r, "mw", 0),
                "{\"rule\":\"session-order-reversed\",\"explanation\":\"The read of key "
                "\\\"x\\\" by process 1 (index 4) lists 2, appended by process 0 (index 2), at "
                "position 0, before 1 at position 1, though process 0 appended 1 earlier "
                "(index 0, ok).\",\"key\":\"x\",\"session\":0,\"ops\":["
                "{\"index\":0,\"process\":0,\"f\":\"append\",\"value\":1,\"type\":\"ok\","
                "\"complete_index\":1,\"line\":1},"
                "{\"index\":2,\"process\":0,\"f\":\"append\",\"value\":2,\"type\":\"ok\","
                "\"complete_index\":3,\"line\":3},"
                "{\"index\":4,\"process\":1,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[2,1],\"complete_index\":5,\"line\":5}]}");
    checker_run_free(&r);
    /* Process 0's own read in reverse order breaks mw too (not ryw: both are there). */
    r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(0, invoke, "x", 2)
              APPEND(0, ok, "x", 2) READ(0, "x", "[2,1]"),
              FL_SESSION_ALL);
    assert_only(&r, "mw", 1);
    checker_run_free(&r);
}

static void list_wfr_read_not_prefix(void **state) {
    (void)state;
    /* Process 1 reads [1] and then appends 2; process 2 reads [2] (lacking 1) and
     * process 3 reads [4,2] (a different prefix). */
    const char *text = APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(1, "x", "[1]")
        APPEND(1, invoke, "x", 2) APPEND(1, ok, "x", 2) APPEND(5, invoke, "x", 4)
        APPEND(5, ok, "x", 4) READ(2, "x", "[2]") READ(3, "x", "[4,2]")
        READ(2, "x", "[1,2,4]");
    run r = check(text, FL_SESSION_WFR);
    assert_only(&r, "wfr", 2);
    assert_json(violation(&r, "wfr", 0),
                "{\"rule\":\"read-not-prefix-before-append\",\"explanation\":\"Process 1 read "
                "key \\\"x\\\" (index 2, 1 elements) before appending 2 (index 4), but the read "
                "by process 2 (index 8) lists only 0 elements before 2, lacking 1.\","
                "\"key\":\"x\",\"session\":1,\"ops\":["
                "{\"index\":2,\"process\":1,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[1],\"complete_index\":3,\"line\":3},"
                "{\"index\":4,\"process\":1,\"f\":\"append\",\"value\":2,\"type\":\"ok\","
                "\"complete_index\":5,\"line\":5},"
                "{\"index\":8,\"process\":2,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":[2],\"complete_index\":9,\"line\":9}]}");
    assert_string_equal(json_string_value(json_object_get(violation(&r, "wfr", 1), "explanation")),
                        "Process 1 read key \"x\" (index 2, 1 elements) before appending 2 "
                        "(index 4), but the read by process 3 (index 10) lists 4 at position 0 "
                        "where that earlier read listed 1.");
    checker_run_free(&r);
    /* The same history under all four: process 2's two reads also break mr ([2] then
     * [1,2,4]), nothing else. */
    r = check(text, FL_SESSION_ALL);
    assert_int_equal(violations(&r, "wfr"), 2);
    assert_int_equal(violations(&r, "mr"), 1);
    assert_int_equal(violations(&r, "ryw"), 0);
    assert_int_equal(violations(&r, "mw"), 0);
    checker_run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Register violations                                                                  */

static void register_ryw_initial_after_own_write(void **state) {
    (void)state;
    run r = check(WRITE(0, invoke, "x", 1) WRITE(0, ok, "x", 1) READ(0, "x", "null"),
                  FL_SESSION_ALL);
    assert_only(&r, "ryw", 1);
    assert_json(violation(&r, "ryw", 0),
                "{\"rule\":\"initial-after-own-write\",\"explanation\":\"Process 0 wrote 1 to "
                "key \\\"x\\\" (write, index 0, ok), then read null, the initial value (index "
                "2).\",\"key\":\"x\",\"session\":0,\"ops\":["
                "{\"index\":0,\"process\":0,\"f\":\"write\",\"value\":1,\"type\":\"ok\","
                "\"complete_index\":1,\"line\":1},"
                "{\"index\":2,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":null,\"complete_index\":3,\"line\":3}]}");
    checker_run_free(&r);
}

static void register_ryw_own_cas_overwritten(void **state) {
    (void)state;
    /* Sound for ryw alone: the cas replaced 1, so a read that sees it cannot return 1. */
    run r = check(WRITE(1, invoke, "x", 1) WRITE(1, ok, "x", 1) CAS(0, invoke, "x", 1, 2)
                  CAS(0, ok, "x", 1, 2) READ(0, "x", "1"),
                  FL_SESSION_RYW);
    assert_only(&r, "ryw", 1);
    assert_json(violation(&r, "ryw", 0),
                "{\"rule\":\"own-cas-overwritten\",\"explanation\":\"Process 0's cas from 1 to "
                "2 on key \\\"x\\\" (index 2) succeeded, then it read 1 (index 4), the value its "
                "cas replaced.\",\"key\":\"x\",\"session\":0,\"ops\":["
                "{\"index\":2,\"process\":0,\"f\":\"cas\",\"value\":[1,2],\"type\":\"ok\","
                "\"complete_index\":3,\"line\":3},"
                "{\"index\":4,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":1,\"complete_index\":5,\"line\":5}]}");
    checker_run_free(&r);
}

static void register_ryw_own_write_overwritten_needs_mw(void **state) {
    (void)state;
    const char *text = WRITE(0, invoke, "x", 1) WRITE(0, ok, "x", 1) WRITE(0, invoke, "x", 2)
        WRITE(0, ok, "x", 2) READ(0, "x", "1");
    /* With ryw alone the store may have ordered 2 before 1: no violation. */
    run r = check(text, FL_SESSION_RYW);
    assert_int_equal(run_verdict(&r), 1);
    assert_json(json_object_get(guarantee(&r, "ryw"), "rules"),
                "[\"initial-after-own-write\",\"own-cas-overwritten\"]");
    checker_run_free(&r);
    r = check(text, FL_SESSION_RYW | FL_SESSION_MW);
    assert_only(&r, "ryw", 1);
    assert_json(violation(&r, "ryw", 0),
                "{\"rule\":\"own-write-overwritten\",\"explanation\":\"Process 0 wrote 1 to key "
                "\\\"x\\\" (index 0), then wrote 2 (index 2), then read 1 (index 4): the read "
                "missed its write of 2 (ryw) or that write was ordered before 1 (mw).\","
                "\"key\":\"x\",\"session\":0,\"ops\":["
                "{\"index\":0,\"process\":0,\"f\":\"write\",\"value\":1,\"type\":\"ok\","
                "\"complete_index\":1,\"line\":1},"
                "{\"index\":2,\"process\":0,\"f\":\"write\",\"value\":2,\"type\":\"ok\","
                "\"complete_index\":3,\"line\":3},"
                "{\"index\":4,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":1,\"complete_index\":5,\"line\":5}]}");
    assert_string_equal(json_string_value(json_object_get(guarantee(&r, "mw"), "valid")),
                        "not-checked");
    checker_run_free(&r);
}

static void register_ryw_read_value_overwritten_needs_wfr(void **state) {
    (void)state;
    const char *text = WRITE(1, invoke, "x", 1) WRITE(1, ok, "x", 1) READ(0, "x", "1")
        WRITE(0, invoke, "x", 2) WRITE(0, ok, "x", 2) READ(0, "x", "1");
    run r = check(text, FL_SESSION_RYW | FL_SESSION_MR);
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);
    r = check(text, FL_SESSION_RYW | FL_SESSION_WFR);
    assert_only(&r, "ryw", 1);
    const json_t *v = violation(&r, "ryw", 0);
    assert_string_equal(json_string_value(json_object_get(v, "rule")), "read-value-overwritten");
    assert_string_equal(json_string_value(json_object_get(v, "explanation")),
                        "Process 0 read 1 from key \"x\" (index 2), then wrote 2 (index 4), then "
                        "read 1 (index 6): the read missed its write of 2 (ryw) or that write was "
                        "ordered before 1 (wfr).");
    const json_t *ops = json_object_get(v, "ops");
    assert_int_equal(json_array_size(ops), 3);
    assert_int_equal(result_count(json_array_get(ops, 0), "index"), 2);
    assert_int_equal(result_count(json_array_get(ops, 1), "index"), 4);
    assert_int_equal(result_count(json_array_get(ops, 2), "index"), 6);
    checker_run_free(&r);
}

static void register_mr_initial_after_read(void **state) {
    (void)state;
    run r = check(WRITE(1, invoke, "x", 1) WRITE(1, ok, "x", 1) READ(0, "x", "null")
                  READ(0, "x", "1") READ(0, "x", "null"),
                  FL_SESSION_ALL);
    assert_only(&r, "mr", 1);
    assert_json(violation(&r, "mr", 0),
                "{\"rule\":\"initial-after-read\",\"explanation\":\"Process 0 read 1 from key "
                "\\\"x\\\" (index 4), then null, the initial value (index 6).\",\"key\":\"x\","
                "\"session\":0,\"ops\":["
                "{\"index\":4,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":1,\"complete_index\":5,\"line\":5},"
                "{\"index\":6,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":null,\"complete_index\":7,\"line\":7}]}");
    checker_run_free(&r);
}

static void register_mr_read_value_reverted(void **state) {
    (void)state;
    /* 1, 2, 1: violation; 1, 1, 2, 2 by another process: fine. String values too. */
    run r = check(WRITE(1, invoke, "x", "a") WRITE(1, ok, "x", "a") WRITE(2, invoke, "x", "b")
                  WRITE(2, ok, "x", "b") READ(0, "x", "\"a\"") READ(0, "x", "\"b\"")
                  READ(0, "x", "\"a\"") READ(3, "x", "\"a\"") READ(3, "x", "\"a\"")
                  READ(3, "x", "\"b\"") READ(3, "x", "\"b\""),
                  FL_SESSION_ALL);
    assert_only(&r, "mr", 1);
    assert_json(violation(&r, "mr", 0),
                "{\"rule\":\"read-value-reverted\",\"explanation\":\"Process 0 read \\\"a\\\" "
                "from key \\\"x\\\" (index 4), then \\\"b\\\" (index 6), then \\\"a\\\" again "
                "(index 8).\",\"key\":\"x\",\"session\":0,\"ops\":["
                "{\"index\":4,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":\"a\",\"complete_index\":5,\"line\":5},"
                "{\"index\":6,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":\"b\",\"complete_index\":7,\"line\":7},"
                "{\"index\":8,\"process\":0,\"f\":\"read\",\"value\":null,\"type\":\"ok\","
                "\"output\":\"a\",\"complete_index\":9,\"line\":9}]}");
    checker_run_free(&r);
}

/* ------------------------------------------------------------------------------------ */
/* Claims, verdicts and limits                                                          */

static void only_claimed_guarantees_are_reported(void **state) {
    (void)state;
    /* A ryw violation, but only mr and mw claimed: valid, and no ryw entry. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(0, "x", "[]"),
                  FL_SESSION_MR | FL_SESSION_MW);
    assert_int_equal(run_verdict(&r), 1);
    const json_t *g = json_object_get(r.result, "guarantees");
    assert_int_equal(json_object_size(g), 2);
    assert_non_null(json_object_get(g, "mr"));
    assert_non_null(json_object_get(g, "mw"));
    checker_run_free(&r);
    /* 0 claims all four. */
    r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(0, "x", "[]"), 0);
    assert_int_equal(json_object_size(json_object_get(r.result, "guarantees")), 4);
    assert_only(&r, "ryw", 1);
    checker_run_free(&r);
}

static void unknown_without_reads_or_checkable_claims(void **state) {
    (void)state;
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) RINV(0, "x")
                  OP(0, fail, "read", "x", ""),
                  FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), -1);
    assert_string_equal(json_string_value(json_object_get(r.result, "reason")),
                        "no ok read of a register or list-append key");
    assert_int_equal(result_count(r.result, "reads"), 0);
    checker_run_free(&r);
    /* Only mw claimed, on a register history: nothing could be checked. */
    r = check(WRITE(0, invoke, "x", 1) WRITE(0, ok, "x", 1) READ(0, "x", "null"), FL_SESSION_MW);
    assert_int_equal(run_verdict(&r), -1);
    assert_non_null(strstr(json_string_value(json_object_get(r.result, "reason")),
                           "none of the claimed guarantees can be checked"));
    checker_run_free(&r);
    /* No key of either kind (a set history): every guarantee is not checked. */
    r = check("{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
              "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n"
              "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
              "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":[1]}\n",
              FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), -1);
    assert_int_equal(result_count(r.result, "keys"), 0);
    assert_string_equal(json_string_value(json_object_get(guarantee(&r, "mr"), "reason")),
                        "no register or list-append key in the history");
    checker_run_free(&r);
}

static void mixed_keys_check_mw_on_lists_only(void **state) {
    (void)state;
    run r = check(WRITE(0, invoke, "r", 1) WRITE(0, ok, "r", 1) READ(0, "r", "1")
                  APPEND(0, invoke, "l", 1) APPEND(0, ok, "l", 1) READ(0, "l", "[1]"),
                  FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    const json_t *mw = guarantee(&r, "mw");
    assert_true(json_is_true(json_object_get(mw, "valid")));
    assert_int_equal(result_count(mw, "checked_keys"), 1);
    assert_int_equal(result_count(mw, "not_checked_keys"), 1);
    assert_int_equal(result_count(guarantee(&r, "ryw"), "checked_keys"), 2);
    checker_run_free(&r);
}

static void duplicate_elements_skip_mw_and_wfr(void **state) {
    (void)state;
    /* [2,1,2] would read as reversed order; with a duplicate it is left out of mw. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(0, invoke, "x", 2)
                  APPEND(0, ok, "x", 2) READ(1, "x", "[2,1,2]"),
                  FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "duplicate_element_reads"), 1);
    checker_run_free(&r);
}

static void ops_without_key_form_one_key(void **state) {
    (void)state;
    run r = check("{\"process\":0,\"type\":\"invoke\",\"f\":\"append\",\"value\":1}\n"
                  "{\"process\":0,\"type\":\"ok\",\"f\":\"append\",\"value\":1}\n"
                  "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                  "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":null}\n",
                  FL_SESSION_ALL);
    assert_only(&r, "ryw", 1);
    assert_int_equal(result_count(r.result, "list_keys"), 1);
    const json_t *v = violation(&r, "ryw", 0);
    assert_true(json_is_null(json_object_get(v, "key")));
    assert_string_equal(json_string_value(json_object_get(v, "explanation")),
                        "Process 0 appended 1 to key null (index 0, ok), but its later read of "
                        "the key (index 2) does not list it.");
    checker_run_free(&r);
}

static void violations_shown_are_capped(void **state) {
    (void)state;
    /* 150 sessions each append and then read nothing: 150 ryw violations, 100 shown. */
    text_buf t = {0};
    for (int p = 0; p < 150; p++) {
        text_put(&t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"append\",\"key\":\"x\",\"value\":%d}\n"
                "{\"process\":%d,\"type\":\"ok\",\"f\":\"append\",\"key\":\"x\",\"value\":%d}\n",
            p, p, p, p);
        text_put(&t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\"}\n"
                "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"key\":\"x\",\"value\":[]}\n",
            p, p);
    }
    run r = check(t.s, FL_SESSION_RYW);
    assert_int_equal(violations(&r, "ryw"), 150);
    assert_int_equal(json_array_size(json_object_get(guarantee(&r, "ryw"), "violations")), 100);
    assert_int_equal(result_count(violation(&r, "ryw", 99), "session"), 99);
    checker_run_free(&r);
    free(t.s);
}

/* ------------------------------------------------------------------------------------ */
/* Refusals                                                                             */

static void assert_refused(const char *history, uint32_t line, const char *needle) {
    run r = check_text(history, FL_SESSION_ALL);
    if (r.result) fail_msg("the checker accepted a malformed history (wanted: %s)", needle);
    assert_int_equal(r.err.line, line);
    if (!strstr(r.err.message, needle))
        fail_msg("error \"%s\" does not contain \"%s\"", r.err.message, needle);
    checker_run_free(&r);
}

static void malformed_histories_are_refused(void **state) {
    (void)state;
    assert_refused(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) WRITE(1, invoke, "x", 2), 3,
                   "write (index 2) of process 1 is on key \"x\", which the append at index 0 "
                   "used too");
    assert_refused(APPEND(0, invoke, "x", "a") APPEND(0, ok, "x", "a"), 1,
                   "append (index 0) of process 0 has a string as its value");
    assert_refused(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(0, "x", "[1,\"b\"]"), 4,
                   "ok read (index 3) of process 0 lists a string at position 1");
    assert_refused(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) READ(0, "x", "5"), 4,
                   "has an integer as its value, not the list read");
    assert_refused(APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1) APPEND(1, invoke, "x", 1), 3,
                   "appends 1, which the append at index 0 already appended");
    assert_refused(WRITE(0, invoke, "x", 1) WRITE(0, ok, "x", 1) CAS(1, invoke, "x", 1, 1), 3,
                   "writes 1, which the write at index 0 already wrote");
    assert_refused(OP(0, invoke, "cas", "x", ",\"value\":3"), 1,
                   "cas (index 0) of process 0 has a value that is not [old, new]");
    assert_refused(WRITE(0, invoke, "x", null), 1, "writes null");
    assert_refused(WRITE(0, invoke, "x", 1) WRITE(0, ok, "x", 1) RINV(0, "x")
                   OP(0, ok, "read", "x", ""), 4, "has no value");
    /* A value appended twice is fine when one of the appends failed. */
    run r = check(APPEND(0, invoke, "x", 1) APPEND(0, fail, "x", 1) APPEND(0, invoke, "x", 1)
                  APPEND(0, ok, "x", 1) READ(0, "x", "[1]"),
                  FL_SESSION_ALL);
    assert_int_equal(run_verdict(&r), 1);
    checker_run_free(&r);
    /* A history that was never paired. */
    const char *text = APPEND(0, invoke, "x", 1) APPEND(0, ok, "x", 1);
    fl_history *h = fl_history_new("test.jsonl");
    fl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fl_jsonl_read_buffer(text, strlen(text), "test.jsonl", h, false, &err),
                     FL_READ_OK);
    assert_null(fl_check_session(h, FL_SESSION_ALL, &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "fl_history_pair"));
    fl_history_free(h);
}

static void guarantee_lists_parse(void **state) {
    (void)state;
    unsigned bits = 0;
    char why[256];
    assert_int_equal(fl_session_guarantees_parse("ryw,mr,mw,wfr", &bits, why, sizeof why), 0);
    assert_int_equal(bits, FL_SESSION_ALL);
    assert_int_equal(fl_session_guarantees_parse(" MR , read-your-writes", &bits, why, sizeof why),
                     0);
    assert_int_equal(bits, FL_SESSION_MR | FL_SESSION_RYW);
    assert_int_equal(fl_session_guarantees_parse("", &bits, why, sizeof why), 0);
    assert_int_equal(bits, FL_SESSION_ALL);
    assert_int_equal(fl_session_guarantees_parse("all", &bits, why, sizeof why), 0);
    assert_int_equal(bits, FL_SESSION_ALL);
    assert_int_equal(fl_session_guarantees_parse("writes-follow-reads", &bits, why, sizeof why), 0);
    assert_int_equal(bits, FL_SESSION_WFR);
    assert_int_equal(fl_session_guarantees_parse("ryw,linearizable", &bits, why, sizeof why), -1);
    assert_non_null(strstr(why, "unknown session guarantee \"linearizable\""));
    assert_int_equal(fl_session_guarantees_parse("ryw,,mr", &bits, why, sizeof why), -1);
    assert_int_equal(fl_session_guarantees_parse("ryw,", &bits, why, sizeof why), -1);
    assert_string_equal(fl_session_guarantee_name(FL_SESSION_MW), "mw");
    assert_null(fl_session_guarantee_name(3));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_register_history),
        cmocka_unit_test(valid_list_history),
        cmocka_unit_test(crashed_process_is_a_new_session),
        cmocka_unit_test(list_ryw_own_append_missing),
        cmocka_unit_test(list_mr_read_not_extended),
        cmocka_unit_test(list_mw_missing_earlier_append),
        cmocka_unit_test(list_mw_session_order_reversed),
        cmocka_unit_test(list_wfr_read_not_prefix),
        cmocka_unit_test(register_ryw_initial_after_own_write),
        cmocka_unit_test(register_ryw_own_cas_overwritten),
        cmocka_unit_test(register_ryw_own_write_overwritten_needs_mw),
        cmocka_unit_test(register_ryw_read_value_overwritten_needs_wfr),
        cmocka_unit_test(register_mr_initial_after_read),
        cmocka_unit_test(register_mr_read_value_reverted),
        cmocka_unit_test(only_claimed_guarantees_are_reported),
        cmocka_unit_test(unknown_without_reads_or_checkable_claims),
        cmocka_unit_test(mixed_keys_check_mw_on_lists_only),
        cmocka_unit_test(duplicate_elements_skip_mw_and_wfr),
        cmocka_unit_test(ops_without_key_form_one_key),
        cmocka_unit_test(violations_shown_are_capped),
        cmocka_unit_test(malformed_histories_are_refused),
        cmocka_unit_test(guarantee_lists_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
