/* fl-orders' calls to fl-payments through the retry layer (targets/payments/common/
 * retry_policy.h): one logical call (a charge or a refund of an order) is one call id and
 * up to six attempts, each a JSON-lines request with a per-attempt timeout; an attempt
 * that timed out, broke its connection or was shed (`overloaded`) is retried when the
 * policy says so. Under --bug no-idempotency-key the attempts carry no key, so a retry
 * of a request that took effect is a second charge or refund. */
#ifndef OR_PAY_CALL_H
#define OR_PAY_CALL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "options.h"
#include "retry_policy.h"

/* What every thread of the service shares: where payments is, the policy and its budget
 * (the budget is the service's, not a call's: that is what bounds a storm). */
typedef struct or_caller {
    const or_options *o;
    pay_retry_config policy;
    pthread_mutex_t mu;       /* guards budget */
    pay_retry_budget budget;
    atomic_long calls;        /* call ids: <node>-<pid>-<n> */
    atomic_long attempts, retries, shed, timeouts, gave_up;
} or_caller;

/* A thread's connection to payments, reused while it stays usable. */
typedef struct or_pay_conn {
    struct fl_line_client *client;
    uint64_t rng;             /* the thread's jitter */
} or_pay_conn;

typedef enum {
    OR_PAY_OK,        /* the reply's value in *value */
    OR_PAY_FAILED,    /* certainly not done: every attempt shed or refused */
    OR_PAY_IN_DOUBT,  /* some attempt may have taken effect (a timeout, a broken reply) */
} or_pay_outcome;

void or_caller_init(or_caller *c, const or_options *o);
void or_pay_conn_init(or_pay_conn *p, uint64_t seed);
void or_pay_conn_close(or_pay_conn *p);

/* kind "charge" or "refund" of the order (its canonical key text) for amount on account,
 * through the retry layer. *value (new reference) on OK; why in err otherwise. */
or_pay_outcome or_pay(or_caller *c, or_pay_conn *p, const char *kind, const char *ckey,
                      const char *account, int64_t amount, json_t **value, char *err,
                      size_t err_bytes);

#endif
