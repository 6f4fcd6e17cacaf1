/* A connection's reply slots, released in request order (see replies.h). */
#include "replies.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void pay_replies_init(pay_replies *r) { *r = (pay_replies){0}; }

void pay_replies_free(pay_replies *r) {
    for (size_t i = 0; i < r->count; i++) free(r->slot[(r->head + i) % r->size].text);
    free(r->slot);
    *r = (pay_replies){0};
}

/* Doubles the ring, its open slots moved to the start in order. */
static void grow(pay_replies *r) {
    size_t size = r->size ? r->size * 2 : 16;
    pay_reply_slot *slot = calloc(size, sizeof *slot);
    if (!slot) abort();
    for (size_t i = 0; i < r->count; i++) slot[i] = r->slot[(r->head + i) % r->size];
    free(r->slot);
    r->slot = slot;
    r->size = size;
    r->head = 0;
}

int pay_replies_open(pay_replies *r, uint64_t *no) {
    if (r->count >= PAY_REPLIES_MAX) return -1;
    if (r->count == r->size) grow(r);
    r->slot[(r->head + r->count) % r->size] = (pay_reply_slot){0};
    *no = r->first + r->count++;
    return 0;
}

void pay_replies_answer(pay_replies *r, uint64_t no, const char *text, size_t len) {
    assert(no >= r->first && no - r->first < r->count);
    pay_reply_slot *s = &r->slot[(r->head + (no - r->first)) % r->size];
    assert(!s->text); /* answered once */
    s->text = malloc(len ? len : 1);
    if (!s->text) abort();
    memcpy(s->text, text, len);
    s->len = len;
    r->bytes += len;
}

int pay_replies_release(pay_replies *r, fl_buf *out) {
    while (r->count > 0 && r->slot[r->head].text) {
        pay_reply_slot *s = &r->slot[r->head];
        if (fl_buf_append(out, s->text, s->len) != 0) return -1;
        r->bytes -= s->len;
        free(s->text);
        *s = (pay_reply_slot){0};
        r->head = (r->head + 1) % r->size;
        r->count--;
        r->first++;
    }
    return 0;
}
