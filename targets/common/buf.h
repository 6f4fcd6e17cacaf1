/* A growable byte buffer with a hard cap: partial input lines and queued output of a
 * connection, a batch of log records. Bytes [head, used) are live; consuming from the
 * front only moves head, and space is reclaimed when the buffer next grows. */
#ifndef FL_TARGET_BUF_H
#define FL_TARGET_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include <jansson.h>

typedef struct fl_buf {
    char *data;       /* owned; NULL until the first append */
    size_t head;      /* first live byte */
    size_t used;      /* one past the last live byte; head <= used <= cap */
    size_t cap;       /* bytes allocated */
    size_t cap_max;   /* live bytes never exceed this: appends past it fail */
} fl_buf;

void fl_buf_init(fl_buf *b, size_t cap_max);
void fl_buf_free(fl_buf *b);
static inline size_t fl_buf_len(const fl_buf *b) { return b->used - b->head; }
static inline char *fl_buf_bytes(const fl_buf *b) { return b->data + b->head; }
static inline void fl_buf_clear(fl_buf *b) { b->head = b->used = 0; }

/* Room for n more bytes at data + used: 0, or -1 when the live bytes would pass cap_max
 * (then nothing changes). Aborts when memory runs out. */
int fl_buf_reserve(fl_buf *b, size_t n);
int fl_buf_append(fl_buf *b, const void *bytes, size_t n);
int fl_buf_printf(fl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* j as compact JSON (any value, not only objects and arrays): never holds a newline. */
int fl_buf_append_json(fl_buf *b, const json_t *j);
/* Drop n live bytes from the front. */
void fl_buf_consume(fl_buf *b, size_t n);
/* Cut the live bytes back to len (to undo a partly appended line). */
void fl_buf_truncate(fl_buf *b, size_t len);

#endif
