/* A non-blocking stream socket carrying lines (JSON lines, for the in-tree servers):
 * input is split at '\n', output is queued until the socket takes it. Both sides are
 * bounded: a line longer than line_bytes_max is an error, and so is queueing more than
 * out_bytes_max unsent bytes (a reader that stopped reading). The owner decides when to
 * close; nothing here closes behind its back. */
#ifndef FL_TARGET_CONN_H
#define FL_TARGET_CONN_H

#include <stddef.h>

#include "buf.h"

/* One line without its '\n' (nor a '\r' before it), NUL-terminated at line[len] for
 * convenience; writable. Return non-zero to stop: the whole lines still buffered are
 * handed over at the next fl_conn_read (which the loop makes only when more bytes come,
 * so stopping suits a connection its owner is about to close). */
typedef int fl_line_fn(void *arg, char *line, size_t len);

typedef struct fl_conn {
    int fd;      /* owned: closed by fl_conn_close */
    fl_buf in;   /* bytes read, not yet a whole line */
    fl_buf out;  /* bytes queued, not yet written */
    size_t line_bytes_max;
} fl_conn;

typedef enum { FL_CONN_OK = 0, FL_CONN_EOF = 1, FL_CONN_ERROR = -1 } fl_conn_status;

void fl_conn_init(fl_conn *c, int fd, size_t line_bytes_max, size_t out_bytes_max);
void fl_conn_close(fl_conn *c);
/* Reads what the socket has (a bounded amount per call: the loop is level-triggered) and
 * calls fn for each whole line. OK when the socket is drained or fn asked to stop; EOF
 * when the other side closed (a partial last line is dropped); ERROR with err. */
fl_conn_status fl_conn_read(fl_conn *c, fl_line_fn *fn, void *arg, char *err, size_t err_bytes);
/* Queues bytes: 0, or -1 when out_bytes_max would be passed (nothing queued). */
int fl_conn_send(fl_conn *c, const void *bytes, size_t n);
/* Writes what the socket takes: 0 when the queue is empty, 1 when bytes remain (wait for
 * EPOLLOUT), -1 with err. */
int fl_conn_flush(fl_conn *c, char *err, size_t err_bytes);
static inline int fl_conn_pending(const fl_conn *c) { return fl_buf_len(&c->out) > 0; }

#endif
