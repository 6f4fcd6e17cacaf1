/* The ledger checker (checkers/ledger/ledger.h) on hand-written saga histories: a correct
 * run (orders charged once, acknowledged cancellations refunded once, balances adding
 * up) valid; a refund paid twice (no idempotency key), a lost compensation, a double
 * charge, a refund without a cancellation, money that does not add up, each named with
 * the order or account, its ops and entries; a cancellation in doubt may or may not be
 * refunded; no final ledger read: unknown; a malformed ledger refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "history_testing.h"
#include "ledger.h"

#define OP(p, type, f, key, ms, rest)                                                       \
    "{\"process\":" #p ",\"type\":\"" type "\",\"f\":\"" f "\",\"key\":" #key              \
    ",\"time\":" #ms "000000" rest "}\n"
#define ORDER(p, o, t, ms0, ms1)                                                           \
    OP(p, "invoke", "order", o, ms0, ",\"value\":{\"account\":\"a\",\"amount\":10}")      \
    OP(p, t, "order", o, ms1, "")
#define CANCEL(p, o, t, ms0, ms1) OP(p, "invoke", "cancel", o, ms0, "") OP(p, t, "cancel", o, ms1, "")
#define CHARGE(o) "{\"order\":" #o ",\"account\":\"a\",\"kind\":\"charge\",\"amount\":10,\"key\":\"c" #o "\"}"
#define REFUND(o, k) "{\"order\":" #o ",\"account\":\"a\",\"kind\":\"refund\",\"amount\":10,\"key\":\"" k "\"}"
#define LEDGER(entries, balance)                                                           \
    "{\"process\":99,\"type\":\"invoke\",\"f\":\"ledger\",\"time\":9000000000}\n"           \
    "{\"process\":99,\"type\":\"ok\",\"f\":\"ledger\",\"time\":9100000000,\"value\":"         \
    "{\"entries\":[" entries "],\"balances\":{\"a\":" #balance "},\"initial\":{\"a\":100}}}\n"

static checker_run check(const char *text) {
    checker_run r = checker_run_on(text);
    r.result = fl_check_ledger(r.h, &r.err);
    assert_checked(&r);
    return r;
}

static const char *explanation(const checker_run *r, size_t i) {
    const json_t *a = json_array_get(result_field(r->result, "anomalies"), i);
    return json_string_value(json_object_get(a, "explanation"));
}

/* Orders 1 and 2 charged; 2 cancelled and refunded once: 100 - 20 + 10 = 90. */
static void correct_run_is_valid(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 1, "ok", 100, 110) ORDER(2, 2, "ok", 120, 130)
                          CANCEL(2, 2, "ok", 200, 210)
                          LEDGER(CHARGE(1) "," CHARGE(2) "," REFUND(2, "r2"), 90));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(r.result, "charge_count"), 2);
    assert_int_equal(result_count(r.result, "refund_count"), 1);
    assert_int_equal(result_count(r.result, "cancellations_acknowledged"), 1);
    checker_run_free(&r);
}

/* The retry re-sent the refund without its key: two refunds of one cancellation. */
static void refund_paid_twice(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 7, "ok", 100, 110) CANCEL(1, 7, "ok", 200, 1210)
                          LEDGER(CHARGE(7) "," REFUND(7, "r7a") "," REFUND(7, "r7b"), 110));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(result_field(r.result, "anomaly-types"), "[\"over-refund\"]");
    const json_t *a = json_array_get(result_field(r.result, "anomalies"), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "order")), 7);
    assert_int_equal(json_array_size(json_object_get(a, "entries")), 2);
    assert_int_equal(json_array_size(json_object_get(a, "ops")), 2);
    assert_non_null(strstr(explanation(&r, 0), "order 7 was refunded 20 in 2 refund(s) against 10"));
    checker_run_free(&r);
}

static void lost_compensation(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 3, "ok", 100, 110) CANCEL(1, 3, "ok", 200, 210)
                          LEDGER(CHARGE(3), 90));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(result_field(r.result, "anomaly-types"), "[\"lost-compensation\"]");
    assert_non_null(strstr(explanation(&r, 0), "p1's cancel (op 2, ok at 0.21 s) was acknowledged"));
    checker_run_free(&r);
}

#define READ_ORDER(o, state)                                                               \
    OP(98, "invoke", "read-order", o, 8000, "")                                             \
    OP(98, "ok", "read-order", o, 8001, ",\"value\":{\"state\":\"" state "\"}")
#define LEDGER_PENDING(entries, balance, pending)                                          \
    "{\"process\":99,\"type\":\"invoke\",\"f\":\"ledger\",\"time\":9000000000}\n"           \
    "{\"process\":99,\"type\":\"ok\",\"f\":\"ledger\",\"time\":9100000000,\"value\":"         \
    "{\"entries\":[" entries "],\"balances\":{\"a\":" #balance "},\"initial\":{\"a\":100},"   \
    "\"pending\":" pending "}}\n"

/* The orders service had not settled when the ledger was read and says order 3's refund is
 * still pending: owed, not lost (unknown). Had it settled, or did it call the order
 * cancelled, the refund is lost. */
static void refund_still_owed(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 3, "ok", 100, 110) CANCEL(1, 3, "ok", 200, 210)
                          READ_ORDER(3, "refunding")
                          LEDGER_PENDING(CHARGE(3), 90, "{\"n2\":1,\"n3\":0}"));
    assert_int_equal(run_verdict(&r), -1);
    assert_int_equal(result_count(r.result, "anomaly_count"), 0);
    assert_json(json_object_get(result_field(r.result, "refunds-owed"), "orders"), "[\"3\"]");
    checker_run_free(&r);

    r = check(ORDER(1, 3, "ok", 100, 110) CANCEL(1, 3, "ok", 200, 210) READ_ORDER(3, "refunding")
              LEDGER_PENDING(CHARGE(3), 90, "{\"n2\":0,\"n3\":0}"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(result_field(r.result, "anomaly-types"), "[\"lost-compensation\"]");
    checker_run_free(&r);

    r = check(ORDER(1, 3, "ok", 100, 110) CANCEL(1, 3, "ok", 200, 210) READ_ORDER(3, "cancelled")
              LEDGER_PENDING(CHARGE(3), 90, "{\"n2\":\"timed out\"}"));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(result_field(r.result, "anomaly-types"), "[\"lost-compensation\"]");
    checker_run_free(&r);
}

static void double_charge_and_refund_without_cancel(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 4, "ok", 100, 110) ORDER(2, 5, "ok", 120, 130)
                          CANCEL(2, 5, "fail", 200, 210)
                          LEDGER(CHARGE(4) "," CHARGE(4) "," CHARGE(5) "," REFUND(5, "r5"), 80));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(result_field(r.result, "anomaly-types"),
                "[\"double-charge\", \"refund-without-cancel\"]");
    assert_non_null(strstr(explanation(&r, 1), "order 5 was refunded 10 though every cancel failed"));
    checker_run_free(&r);
}

static void money_not_conserved(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 1, "ok", 100, 110) LEDGER(CHARGE(1), 95));
    assert_int_equal(run_verdict(&r), 0);
    assert_json(result_field(r.result, "anomaly-types"), "[\"money-not-conserved\"]");
    const json_t *a = json_array_get(result_field(r.result, "anomalies"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "account")), "a");
    assert_non_null(strstr(explanation(&r, 0), "account a holds 95, but its initial balance 100 "
                                               "less its charges plus its refunds is 90"));
    checker_run_free(&r);
}

/* A cancellation in doubt may have been refunded or not; an order in doubt may have been
 * charged (information). */
static void doubt_allows_either(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 1, "info", 100, 1110) ORDER(2, 2, "ok", 120, 130)
                          CANCEL(2, 2, "info", 200, 1210) ORDER(3, 3, "ok", 220, 230)
                          CANCEL(3, 3, "info", 300, 1310)
                          LEDGER(CHARGE(1) "," CHARGE(2) "," REFUND(2, "r2") "," CHARGE(3), 80));
    assert_int_equal(run_verdict(&r), 1);
    assert_int_equal(result_count(result_field(r.result, "charged-unacknowledged"), "count"), 1);
    checker_run_free(&r);
}

static void no_ledger_read_is_unknown(void **state) {
    (void)state;
    checker_run r = check(ORDER(1, 1, "ok", 100, 110));
    assert_int_equal(run_verdict(&r), -1);
    checker_run_free(&r);
}

static void malformed_ledger_refused(void **state) {
    (void)state;
    checker_run r = checker_run_on(ORDER(1, 1, "ok", 100, 110)
                                   "{\"process\":9,\"type\":\"invoke\",\"f\":\"ledger\"}\n"
                                   "{\"process\":9,\"type\":\"ok\",\"f\":\"ledger\",\"value\":"
                                   "{\"entries\":[{\"order\":1,\"kind\":\"charge\"}]}}\n");
    r.result = fl_check_ledger(r.h, &r.err);
    assert_null(r.result);
    assert_non_null(strstr(r.err.message, "an entry is not"));
    checker_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(correct_run_is_valid),
        cmocka_unit_test(refund_paid_twice),
        cmocka_unit_test(lost_compensation),
        cmocka_unit_test(refund_still_owed),
        cmocka_unit_test(double_charge_and_refund_without_cancel),
        cmocka_unit_test(money_not_conserved),
        cmocka_unit_test(doubt_allows_either),
        cmocka_unit_test(no_ledger_read_is_unknown),
        cmocka_unit_test(malformed_ledger_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
