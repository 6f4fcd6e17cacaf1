/* The payments retry layer's policy (targets/payments/common/retry_policy.h) on a fake
 * clock: full jitter spreads delays over [0, bound]; bounds double up to the cap; no
 * attempt past the deadline or the attempt limit; the budget stops retries at 10 % of
 * first attempts (+ allowance) over its window and frees them as the window slides; a
 * thousand callers that failed at once come back spread out, where the fixed-retry bug
 * brings all of them back in the same millisecond, six times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "retry_policy.h"

/* A budget that never says no: the tests of delays alone. */
static pay_retry_config unbudgeted(void) {
    pay_retry_config c = pay_retry_defaults();
    c.budget_allowance = 1 << 30;
    c.deadline_ms = 1 << 30;
    c.max_attempts = 100;
    return c;
}

static void jitter_spreads_over_the_bound(void **state) {
    (void)state;
    pay_retry_config c = unbudgeted();
    pay_retry_budget b;
    pay_budget_init(&b, c.budget_window_ms);
    uint64_t rng = 1;
    int64_t sum = 0, lo = 1 << 30, hi = -1;
    int seen[201] = {0}, distinct = 0;
    for (int i = 0; i < 10000; i++) {
        int64_t d;
        assert_int_equal(pay_retry_next(&c, &b, &rng, 3, 0, 0, &d), PAY_RETRY_AGAIN);
        assert_in_range(d, 0, 200); /* attempt 3: 50 × 2^2 */
        sum += d;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        distinct += !seen[d]++;
    }
    assert_in_range(sum / 10000, 90, 110); /* uniform: the mean is half the bound */
    assert_in_range(lo, 0, 5);
    assert_in_range(hi, 195, 200);
    assert_true(distinct > 190);
}

static void bounds_double_up_to_the_cap(void **state) {
    (void)state;
    static const int64_t bound[] = {0, 50, 100, 200, 400, 800, 1600, 2000, 2000};
    pay_retry_config c = unbudgeted();
    pay_retry_budget b;
    pay_budget_init(&b, c.budget_window_ms);
    uint64_t rng = 7;
    for (int attempt = 1; attempt <= 8; attempt++) {
        int64_t hi = 0;
        for (int i = 0; i < 2000; i++) {
            int64_t d;
            assert_int_equal(pay_retry_next(&c, &b, &rng, attempt, 0, 0, &d), PAY_RETRY_AGAIN);
            assert_in_range(d, 0, bound[attempt]);
            hi = d > hi ? d : hi;
        }
        assert_true(hi >= bound[attempt] * 9 / 10);
    }
}

static void deadline_and_attempts(void **state) {
    (void)state;
    pay_retry_config c = pay_retry_defaults();
    pay_retry_budget b;
    pay_budget_init(&b, c.budget_window_ms);
    for (int i = 0; i < 100; i++) pay_budget_first(&b, 0);
    uint64_t rng = 3;
    int64_t d;
    assert_int_equal(pay_retry_next(&c, &b, &rng, 1, 0, 5000, &d), PAY_RETRY_PAST_DEADLINE);
    assert_int_equal(d, 0);
    assert_int_equal(pay_retry_next(&c, &b, &rng, 1, 1000, 5999, &d), PAY_RETRY_PAST_DEADLINE);
    assert_int_equal(pay_retry_next(&c, &b, &rng, 1, 1000, 1000, &d), PAY_RETRY_AGAIN);
    assert_int_equal(pay_retry_next(&c, &b, &rng, 6, 1000, 1000, &d), PAY_RETRY_NO_ATTEMPTS_LEFT);
    assert_string_equal(pay_retry_verdict_name(PAY_RETRY_PAST_DEADLINE), "past-deadline");
}

static void budget_caps_retries_and_slides(void **state) {
    (void)state;
    pay_retry_config c = pay_retry_defaults(); /* 10 % + 5 over 10 s */
    pay_retry_budget b;
    pay_budget_init(&b, c.budget_window_ms);
    uint64_t rng = 5;
    int64_t d, t = 100000;
    for (int i = 0; i < 100; i++) pay_budget_first(&b, t);
    int granted = 0;
    while (pay_retry_next(&c, &b, &rng, 1, t, t, &d) == PAY_RETRY_AGAIN) granted++;
    assert_int_equal(granted, 15);
    assert_int_equal(pay_retry_next(&c, &b, &rng, 1, t, t, &d), PAY_RETRY_NO_BUDGET);
    int firsts, retries;
    pay_budget_counts(&b, t, &firsts, &retries);
    assert_int_equal(firsts, 100);
    assert_int_equal(retries, 15);
    /* Half a window on, still spent; a whole window on, only the allowance is left. */
    assert_int_equal(pay_retry_next(&c, &b, &rng, 1, t + 5000, t + 5000, &d), PAY_RETRY_NO_BUDGET);
    t += c.budget_window_ms + 1;
    pay_budget_counts(&b, t, &firsts, &retries);
    assert_int_equal(firsts + retries, 0);
    for (granted = 0; pay_retry_next(&c, &b, &rng, 1, t, t, &d) == PAY_RETRY_AGAIN;) granted++;
    assert_int_equal(granted, 5);
}

static void fixed_retry_is_the_reference_code(void **state) {
    (void)state;
    pay_retry_config c = pay_retry_fixed();
    pay_retry_budget b;
    pay_budget_init(&b, 10000);
    uint64_t rng = 9;
    int64_t d;
    for (int attempt = 1; attempt < 6; attempt++) {
        /* no budget (nothing first), no deadline (an hour in), no jitter */
        assert_int_equal(pay_retry_next(&c, &b, &rng, attempt, 0, 3600000, &d), PAY_RETRY_AGAIN);
        assert_int_equal(d, 1000);
    }
    assert_int_equal(pay_retry_next(&c, &b, &rng, 6, 0, 0, &d), PAY_RETRY_NO_ATTEMPTS_LEFT);
}

/* 1000 callers fail at once (a blip) and come back: the largest number landing in one
 * 10 ms slot, correct vs fixed. */
static int largest_wave(pay_retry_config c) {
    pay_retry_budget b;
    pay_budget_init(&b, 10000);
    for (int i = 0; i < 100000; i++) pay_budget_first(&b, 0); /* a busy service */
    static int slots[1000];
    for (int i = 0; i < 1000; i++) slots[i] = 0;
    uint64_t rng = 11;
    for (int caller = 0; caller < 1000; caller++) {
        int64_t d;
        if (pay_retry_next(&c, &b, &rng, 3, 0, 0, &d) == PAY_RETRY_AGAIN && d / 10 < 1000)
            slots[d / 10]++;
    }
    int most = 0;
    for (int i = 0; i < 1000; i++) most = slots[i] > most ? slots[i] : most;
    return most;
}

static void a_blip_comes_back_spread_or_as_one_wave(void **state) {
    (void)state;
    assert_true(largest_wave(pay_retry_defaults()) <= 100); /* 20 slots of 200 ms: ~50 each */
    assert_int_equal(largest_wave(pay_retry_fixed()), 1000); /* all at 1000 ms */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jitter_spreads_over_the_bound),
        cmocka_unit_test(bounds_double_up_to_the_cap),
        cmocka_unit_test(deadline_and_attempts),
        cmocka_unit_test(budget_caps_retries_and_slides),
        cmocka_unit_test(fixed_retry_is_the_reference_code),
        cmocka_unit_test(a_blip_comes_back_spread_or_as_one_wave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
