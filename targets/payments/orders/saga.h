/* The orders saga (DESIGN.md "Targets", payments): `order` places an order and charges
 * it; `cancel` acknowledges the cancellation and runs its compensation, the refund; both
 * steps go to fl-payments through the retry layer (pay_call.h). A step whose retries ran
 * out while its outcome is in doubt stays pending and a resumer thread runs it again (same
 * idempotency key) until it is settled — and a refund out of retries too: the refund is
 * owed once the cancel is acknowledged. Under --bug lost-compensation a refund out of
 * retries is given up and the order recorded cancelled anyway. */
#ifndef OR_SAGA_H
#define OR_SAGA_H

#include <jansson.h>

#include "order_table.h"
#include "pay_call.h"

typedef struct or_saga {
    or_table *table;
    or_caller *caller;
    or_bug bug;
} or_saga;

/* A reply: type "ok" with value (new reference or NULL), or "fail"/"info" with error. */
typedef struct or_answer {
    const char *type;
    json_t *value;
    char error[64];
    char detail[512];
} or_answer;

void or_saga_order(or_saga *s, or_pay_conn *p, const char *ckey, const char *account,
                   int64_t amount, or_answer *a);
void or_saga_cancel(or_saga *s, or_pay_conn *p, const char *ckey, or_answer *a);
void or_saga_read(or_saga *s, const char *ckey, or_answer *a);
/* Runs every pending step once: the number run. */
size_t or_saga_resume(or_saga *s, or_pay_conn *p);

#endif
