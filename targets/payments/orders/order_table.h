/* fl-orders' orders and their saga states, durable: every change of state is one record
 * in DIR/orders.log (targets/common applog + crc_record), made durable (fdatasync) before
 * the change is acted on or acknowledged:
 *     CRC SP {"o":CKEY,"s":STATE,"a":ACCOUNT,"m":AMOUNT}
 * the whole order each time, so replay keeps the last record per order. States:
 *   charging   placed; its charge not yet known to have happened (in progress, or in
 *              doubt after its retries: resumed with the same idempotency key)
 *   charged    the charge succeeded
 *   failed     the charge certainly did not happen (every attempt was shed)
 *   refunding  cancelled and acknowledged as such: the refund is owed (in progress, or
 *              resumed until it succeeds)
 *   cancelled  refunded — or, under --bug lost-compensation, given up on
 * Thread-safe: one mutex guards the table and the journal. A step of an order's saga is
 * run by one thread at a time (ot_claim), so the resumer never races a client's cancel. */
#ifndef OR_ORDER_TABLE_H
#define OR_ORDER_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applog.h"
#include "wire.h"

#define OR_ACCOUNT_BYTES 64
#define OR_ORDERS_MAX ((size_t)1 << 20)

typedef enum { OR_CHARGING, OR_CHARGED, OR_FAILED, OR_REFUNDING, OR_CANCELLED } or_state;

typedef struct or_order {
    char ckey[FL_KEY_TEXT_MAX + 1];   /* canonical key text (wire.h) */
    or_state state;
    char account[OR_ACCOUNT_BYTES];
    int64_t amount;
    bool busy;                        /* a thread runs a step of its saga now (not durable) */
} or_order;

typedef struct or_table {
    pthread_mutex_t mu;
    or_order *orders;                 /* in order of creation */
    size_t count, cap;
    size_t *index;                    /* open addressing: order number + 1, 0 empty */
    size_t index_cap;                 /* a power of two, > 2 × count */
    fl_applog journal;
} or_table;

const char *or_state_name(or_state s);
int or_state_parse(const char *name, or_state *out);

/* Opens DIR/orders.log and replays it. 0, or -1 with err naming the file. */
int ot_open(or_table *t, const char *dir, char *err, size_t err_bytes);
void ot_close(or_table *t);
/* Appends o's record line (with its newline): 0, or -1 (nothing appended). */
int ot_record_encode(fl_buf *b, const or_order *o);
/* Pure: one journal line (no newline) restored into t. 0, or -1 with err. */
int ot_apply_line(or_table *t, const char *line, size_t len, char *err, size_t err_bytes);

typedef enum { OT_CREATED, OT_EXISTS, OT_FULL } ot_create_result;
/* A new order in state charging, durable, claimed by the caller (busy); or the existing
 * one copied into *out. */
ot_create_result ot_create(or_table *t, const char *ckey, const char *account, int64_t amount,
                           or_order *out);
/* A copy of the order: false when there is none. */
bool ot_get(or_table *t, const char *ckey, or_order *out);
/* Claims the order for one saga step when it is in state `from` and not busy: true and
 * a copy in *out. */
bool ot_claim(or_table *t, const char *ckey, or_state from, or_order *out);
/* Makes the new state durable and, with release, ends the caller's claim. */
void ot_set_state(or_table *t, const char *ckey, or_state s, bool release);
void ot_release(or_table *t, const char *ckey);
/* Up to max orders in charging or refunding that nobody is working on, claimed for the
 * caller (copies in out). The number claimed. */
size_t ot_claim_pending(or_table *t, or_order *out, size_t max);
/* How many orders are in charging or refunding. */
size_t ot_pending_count(or_table *t);

#endif
