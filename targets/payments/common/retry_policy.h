/* The retry layer's policy (DESIGN.md "Targets", payments): when a call that timed out
 * or was shed is tried again, decided from the attempt number, the call's start, the
 * time now and a retry budget shared by every call of the service — pure logic over a
 * clock and a random source the caller gives, so the orders service and the unit tests
 * (a fake clock) run the same code.
 *
 * Correct mode, as the field's practice has it: exponential backoff with full jitter (the
 * delay before attempt n+1 is uniform in [0, min(cap, base × 2^(n-1))], so callers that
 * failed together spread out instead of coming back in a wave), an overall deadline per
 * call (no attempt starts once it would end past it), and a retry budget (retries at most
 * `budget_ratio` of the first attempts over a sliding window, plus a small allowance so a
 * quiet service can still retry), so that a failing downstream sees at most ~1.1 × its
 * normal load instead of N ×. Bug `fixed-retry` (the reference code): six attempts, a
 * fixed 1 s apart, no jitter, no budget, no deadline. */
#ifndef PAY_RETRY_POLICY_H
#define PAY_RETRY_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define PAY_BUDGET_BUCKETS 20 /* the window in 20 slices */

typedef struct pay_retry_config {
    bool fixed;                 /* the fixed-retry bug: the fields below are ignored */
    int max_attempts;           /* first attempt included */
    int64_t base_ms, cap_ms;    /* backoff: base × 2^(n-1), at most cap */
    int64_t deadline_ms;        /* per call, from its first attempt */
    double budget_ratio;        /* retries ≤ ratio × first attempts in the window … */
    int budget_allowance;       /* … + this many */
    int64_t budget_window_ms;
} pay_retry_config;

/* The defaults of correct mode: 6 attempts, 50 ms base, 2 s cap, 5 s deadline, 10 %
 * budget + 5 over 10 s. */
pay_retry_config pay_retry_defaults(void);
/* The fixed-retry bug's policy. */
pay_retry_config pay_retry_fixed(void);

/* First attempts and retries over a sliding window, in PAY_BUDGET_BUCKETS slices. */
typedef struct pay_retry_budget {
    int64_t window_ms;
    int64_t slice_start[PAY_BUDGET_BUCKETS]; /* ms; -1: unused */
    int firsts[PAY_BUDGET_BUCKETS], retries[PAY_BUDGET_BUCKETS];
} pay_retry_budget;

void pay_budget_init(pay_retry_budget *b, int64_t window_ms);
/* A call's first attempt at now_ms. */
void pay_budget_first(pay_retry_budget *b, int64_t now_ms);
/* The first attempts and retries in the window ending at now_ms. */
void pay_budget_counts(const pay_retry_budget *b, int64_t now_ms, int *firsts, int *retries);

typedef enum {
    PAY_RETRY_AGAIN,             /* *delay_ms from now, then attempt + 1 */
    PAY_RETRY_NO_ATTEMPTS_LEFT,
    PAY_RETRY_PAST_DEADLINE,
    PAY_RETRY_NO_BUDGET,
} pay_retry_verdict;

/* Attempt `attempt` (1 = the first) of a call that began at started_ms failed in a way
 * worth retrying, at now_ms: whether to try again and after how long. A retry granted is
 * counted in the budget. rng: the caller's splitmix64 state. */
pay_retry_verdict pay_retry_next(const pay_retry_config *c, pay_retry_budget *b, uint64_t *rng,
                                 int attempt, int64_t started_ms, int64_t now_ms,
                                 int64_t *delay_ms);
const char *pay_retry_verdict_name(pay_retry_verdict v);

#endif
