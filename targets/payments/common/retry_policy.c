/* The retry layer's policy: backoff with full jitter, a deadline and a sliding-window
 * budget, or the fixed-retry bug (see retry_policy.h). */
#include "retry_policy.h"

#include <assert.h>

#define FIXED_ATTEMPTS 6
#define FIXED_DELAY_MS 1000

pay_retry_config pay_retry_defaults(void) {
    return (pay_retry_config){.max_attempts = 6, .base_ms = 50, .cap_ms = 2000,
                              .deadline_ms = 5000, .budget_ratio = 0.1,
                              .budget_allowance = 5, .budget_window_ms = 10000};
}

pay_retry_config pay_retry_fixed(void) { return (pay_retry_config){.fixed = true}; }

void pay_budget_init(pay_retry_budget *b, int64_t window_ms) {
    assert(window_ms >= PAY_BUDGET_BUCKETS);
    b->window_ms = window_ms;
    for (int i = 0; i < PAY_BUDGET_BUCKETS; i++) {
        b->slice_start[i] = -1;
        b->firsts[i] = b->retries[i] = 0;
    }
}

/* The slice now_ms falls in, emptied when it last held an older slice of time. */
static int slice_of(pay_retry_budget *b, int64_t now_ms) {
    assert(now_ms >= 0);
    int64_t width = b->window_ms / PAY_BUDGET_BUCKETS;
    int64_t start = now_ms - now_ms % width;
    int i = (int)((now_ms / width) % PAY_BUDGET_BUCKETS);
    if (b->slice_start[i] != start) {
        b->slice_start[i] = start;
        b->firsts[i] = b->retries[i] = 0;
    }
    return i;
}

void pay_budget_first(pay_retry_budget *b, int64_t now_ms) { b->firsts[slice_of(b, now_ms)]++; }

void pay_budget_counts(const pay_retry_budget *b, int64_t now_ms, int *firsts, int *retries) {
    *firsts = *retries = 0;
    for (int i = 0; i < PAY_BUDGET_BUCKETS; i++) {
        if (b->slice_start[i] < 0 || b->slice_start[i] <= now_ms - b->window_ms ||
            b->slice_start[i] > now_ms)
            continue;
        *firsts += b->firsts[i];
        *retries += b->retries[i];
    }
}

static uint64_t next_random(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The backoff bound before attempt + 1: base × 2^(attempt-1), at most cap. */
static int64_t bound_ms(const pay_retry_config *c, int attempt) {
    int64_t bound = c->base_ms;
    for (int i = 1; i < attempt && bound < c->cap_ms; i++) bound *= 2;
    return bound < c->cap_ms ? bound : c->cap_ms;
}

pay_retry_verdict pay_retry_next(const pay_retry_config *c, pay_retry_budget *b, uint64_t *rng,
                                 int attempt, int64_t started_ms, int64_t now_ms,
                                 int64_t *delay_ms) {
    assert(attempt >= 1);
    assert(now_ms >= started_ms);
    *delay_ms = 0;
    if (c->fixed) { /* the reference code: no jitter, no budget, no deadline */
        if (attempt >= FIXED_ATTEMPTS) return PAY_RETRY_NO_ATTEMPTS_LEFT;
        *delay_ms = FIXED_DELAY_MS;
        return PAY_RETRY_AGAIN;
    }
    if (attempt >= c->max_attempts) return PAY_RETRY_NO_ATTEMPTS_LEFT;
    int64_t bound = bound_ms(c, attempt);
    int64_t delay = (int64_t)(next_random(rng) % (uint64_t)(bound + 1)); /* full jitter */
    if (now_ms + delay >= started_ms + c->deadline_ms) return PAY_RETRY_PAST_DEADLINE;
    int firsts, retries;
    pay_budget_counts(b, now_ms, &firsts, &retries);
    if (retries >= (int)(c->budget_ratio * firsts) + c->budget_allowance) return PAY_RETRY_NO_BUDGET;
    b->retries[slice_of(b, now_ms)]++;
    *delay_ms = delay;
    return PAY_RETRY_AGAIN;
}

const char *pay_retry_verdict_name(pay_retry_verdict v) {
    switch (v) {
    case PAY_RETRY_AGAIN: return "again";
    case PAY_RETRY_NO_ATTEMPTS_LEFT: return "no-attempts-left";
    case PAY_RETRY_PAST_DEADLINE: return "past-deadline";
    case PAY_RETRY_NO_BUDGET: return "no-budget";
    }
    return "?";
}
