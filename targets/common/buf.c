/* The capped byte buffer of buf.h. */
#include "buf.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_BUF_CAP_MIN 256

void fl_buf_init(fl_buf *b, size_t cap_max) {
    assert(cap_max > 0);
    *b = (fl_buf){.cap_max = cap_max};
}

void fl_buf_free(fl_buf *b) {
    free(b->data);
    b->data = NULL;
    b->head = b->used = b->cap = 0;
}

int fl_buf_reserve(fl_buf *b, size_t n) {
    assert(b->head <= b->used && b->used <= b->cap);
    size_t live = b->used - b->head;
    if (n > b->cap_max || live > b->cap_max - n) return -1;
    if (b->cap - b->used >= n) return 0;
    if (b->head > 0) { /* reclaim the consumed front first */
        memmove(b->data, b->data + b->head, live);
        b->head = 0;
        b->used = live;
        if (b->cap - b->used >= n) return 0;
    }
    size_t cap = b->cap ? b->cap : FL_BUF_CAP_MIN;
    while (cap - live < n) cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    char *data = realloc(b->data, cap);
    if (!data) abort(); /* a server out of memory cannot keep its promises */
    b->data = data;
    b->cap = cap;
    return 0;
}

int fl_buf_append(fl_buf *b, const void *bytes, size_t n) {
    if (n == 0) return 0;
    if (fl_buf_reserve(b, n) != 0) return -1;
    memcpy(b->data + b->used, bytes, n);
    b->used += n;
    return 0;
}

int fl_buf_printf(fl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || fl_buf_reserve(b, (size_t)n + 1) != 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->used, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->used += (size_t)n;
    return 0;
}

int fl_buf_append_json(fl_buf *b, const json_t *j) {
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t guess = 64;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (fl_buf_reserve(b, guess) != 0) return -1;
        size_t n = json_dumpb(j, b->data + b->used, b->cap - b->used, flags);
        if (n == 0) return -1; /* jansson could not encode it */
        if (n <= b->cap - b->used) {
            b->used += n;
            return 0;
        }
        guess = n; /* too small: now we know the size */
    }
    return -1;
}

void fl_buf_consume(fl_buf *b, size_t n) {
    assert(n <= b->used - b->head);
    b->head += n;
    if (b->head == b->used) b->head = b->used = 0;
}

void fl_buf_truncate(fl_buf *b, size_t len) {
    assert(len <= b->used - b->head);
    b->used = b->head + len;
    if (b->head == b->used) b->head = b->used = 0;
}
