/* A connection's replies in request order (README.md: replies come in order even when
 * pipelined). A charge or refund is answered when its service ends, a ping or a ledger
 * read at once, so answers are made out of order: each request takes the connection's
 * next slot when its line is read, its answer fills that slot, and only the filled slots
 * at the front may leave, in order. Pure: no I/O. */
#ifndef PAY_REPLIES_H
#define PAY_REPLIES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define PAY_REPLIES_MAX 65536 /* slots open at once per connection */

typedef struct pay_reply_slot {
    char *text;             /* owned; NULL until answered */
    size_t len;
} pay_reply_slot;

typedef struct pay_replies {
    pay_reply_slot *slot;   /* a ring: count open slots from head, the oldest first */
    size_t head, count, size;
    uint64_t first;         /* the number of the slot at head */
    size_t bytes;           /* answered and not yet released */
} pay_replies;

void pay_replies_init(pay_replies *r);
void pay_replies_free(pay_replies *r);
/* Opens the next slot: 0 and its number, or -1 when PAY_REPLIES_MAX are open. */
int pay_replies_open(pay_replies *r, uint64_t *no);
/* Answers slot no (open, not yet answered) with a copy of len bytes. */
void pay_replies_answer(pay_replies *r, uint64_t no, const char *text, size_t len);
/* Moves the answered slots at the front to out, in order, until one is not answered yet.
 * 0, or -1 when out is full (the slot that did not fit stays). */
int pay_replies_release(pay_replies *r, fl_buf *out);

#endif
