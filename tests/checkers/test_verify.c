/* The certificate verifier must reject every wrong certificate: a linearization that
 * breaks real-time order, skips an ok op, repeats an op or applies an illegal step;
 * a window that leaves out an op that can change the state, or that is linearizable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "verify.h"

/* Positions:           0: inv w1    1: ok w1     2: inv r     3: ok r=1
 *                      4: inv w2    5: inv r'    6: ok w2     7: ok r'=1   8: inv w3 (open) */
static const char register_history[] =
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":2}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":2}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n"
    "{\"process\":2,\"type\":\"invoke\",\"f\":\"write\",\"value\":3}\n";

static fl_history *load(const char *text) {
    fl_history *h = fl_history_new("test");
    fl_error err;
    assert_non_null(h);
    assert_int_equal(fl_jsonl_read_buffer(text, strlen(text), "test", h, false, &err), FL_READ_OK);
    assert_int_equal(fl_history_pair(h, &err), FL_READ_OK);
    return h;
}

static const char *lin(fl_history *h, const int64_t *order, size_t n) {
    static char buf[256];
    return fl_verify_linearization(h, "register", FL_NO_KEY, order, n, buf, sizeof buf);
}

static void good_linearization_holds(void **state) {
    (void)state;
    fl_history *h = load(register_history);
    const int64_t order[] = {0, 2, 5, 4};        /* w1, r=1, r'=1, w2 */
    assert_null(lin(h, order, 4));
    const int64_t with_info[] = {0, 2, 5, 4, 8}; /* the open write may take effect last */
    assert_null(lin(h, with_info, 5));
    fl_history_free(h);
}

static void bad_linearizations_are_rejected(void **state) {
    (void)state;
    fl_history *h = load(register_history);
    const int64_t illegal[] = {0, 2, 4, 5};     /* r' after w2 would read 2 */
    assert_non_null(lin(h, illegal, 4));
    const int64_t realtime[] = {2, 0, 5, 4};    /* r before w1: reads nil, and r' is fine */
    assert_non_null(lin(h, realtime, 4));
    const int64_t order_breaks_time[] = {0, 5, 4, 2}; /* r completed before w2 was invoked */
    assert_non_null(lin(h, order_breaks_time, 4));
    const int64_t missing[] = {0, 2, 5};        /* w2 is ok: it must be there */
    assert_non_null(lin(h, missing, 3));
    const int64_t twice[] = {0, 2, 2, 5, 4};
    assert_non_null(lin(h, twice, 5));
    const int64_t not_an_invoke[] = {0, 1, 2, 5, 4};
    assert_non_null(lin(h, not_an_invoke, 5));
    fl_history_free(h);
}

/* w1 ok, then read nil: invalid. The window must keep the write. */
static const char stale_history[] =
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n"
    "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":null}\n";

static const char *win(fl_history *h, int64_t cut, const int64_t *ops, size_t n) {
    static char buf[256];
    bool undecided;
    const char *why =
        fl_verify_window(h, "register", FL_NO_KEY, cut, ops, n, 0, &undecided, buf, sizeof buf);
    assert_false(undecided);
    return why;
}

static void windows(void **state) {
    (void)state;
    fl_history *h = load(stale_history);
    const int64_t smallest[] = {0, 4};          /* the write and the stale read */
    assert_null(win(h, 5, smallest, 2));
    const int64_t whole[] = {0, 2, 4};
    assert_null(win(h, 5, whole, 3));
    const int64_t without_write[] = {4};        /* leaves out a write: unsound */
    assert_non_null(win(h, 5, without_write, 1));
    const int64_t linearizable[] = {0, 2};      /* cut before the stale read completes */
    assert_non_null(win(h, 3, linearizable, 2));
    const int64_t wrong_key_op[] = {0, 4, 99};
    assert_non_null(win(h, 5, wrong_key_op, 3));
    fl_history_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_linearization_holds),
        cmocka_unit_test(bad_linearizations_are_rejected),
        cmocka_unit_test(windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
