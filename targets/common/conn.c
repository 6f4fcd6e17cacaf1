/* Line-splitting reads and queued writes on a non-blocking socket (see conn.h). */
#include "conn.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FL_CONN_READ_BYTES 65536
#define FL_CONN_READS_PER_CALL 8 /* then let other descriptors have a turn */

void fl_conn_init(fl_conn *c, int fd, size_t line_bytes_max, size_t out_bytes_max) {
    assert(fd >= 0);
    assert(line_bytes_max > 0 && out_bytes_max > 0);
    c->fd = fd;
    c->line_bytes_max = line_bytes_max;
    fl_buf_init(&c->in, line_bytes_max + FL_CONN_READ_BYTES);
    fl_buf_init(&c->out, out_bytes_max);
}

void fl_conn_close(fl_conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    fl_buf_free(&c->in);
    fl_buf_free(&c->out);
}

/* Hands every whole line in c->in to fn; keeps the partial rest. */
static int take_lines(fl_conn *c, fl_line_fn *fn, void *arg, int *stop) {
    char *start = fl_buf_bytes(&c->in);
    size_t len = fl_buf_len(&c->in), off = 0;
    char *nl;
    while (!*stop && (nl = memchr(start + off, '\n', len - off))) {
        size_t n = (size_t)(nl - (start + off));
        *nl = '\0';
        if (n > 0 && start[off + n - 1] == '\r') start[off + --n] = '\0';
        *stop = fn(arg, start + off, n);
        off = (size_t)(nl - start) + 1;
    }
    fl_buf_consume(&c->in, off);
    return !*stop && fl_buf_len(&c->in) > c->line_bytes_max ? -1 : 0;
}

fl_conn_status fl_conn_read(fl_conn *c, fl_line_fn *fn, void *arg, char *err, size_t err_bytes) {
    int stop = 0;
    if (fl_buf_len(&c->in) > 0 && take_lines(c, fn, arg, &stop) != 0) { /* left by a stop */
        snprintf(err, err_bytes, "a line longer than %zu bytes", c->line_bytes_max);
        return FL_CONN_ERROR;
    }
    for (int i = 0; i < FL_CONN_READS_PER_CALL && !stop; i++) {
        if (fl_buf_reserve(&c->in, FL_CONN_READ_BYTES) != 0) {
            snprintf(err, err_bytes, "a line longer than %zu bytes", c->line_bytes_max);
            return FL_CONN_ERROR;
        }
        ssize_t n = read(c->fd, c->in.data + c->in.used, FL_CONN_READ_BYTES);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FL_CONN_OK;
        if (n < 0) {
            snprintf(err, err_bytes, "read: %s", strerror(errno));
            return FL_CONN_ERROR;
        }
        if (n == 0) return FL_CONN_EOF;
        c->in.used += (size_t)n;
        if (take_lines(c, fn, arg, &stop) != 0) {
            snprintf(err, err_bytes, "a line longer than %zu bytes", c->line_bytes_max);
            return FL_CONN_ERROR;
        }
        if ((size_t)n < FL_CONN_READ_BYTES) return FL_CONN_OK; /* drained, most likely */
    }
    return FL_CONN_OK;
}

int fl_conn_send(fl_conn *c, const void *bytes, size_t n) {
    return fl_buf_append(&c->out, bytes, n);
}

int fl_conn_flush(fl_conn *c, char *err, size_t err_bytes) {
    while (fl_buf_len(&c->out) > 0) {
        ssize_t n = send(c->fd, fl_buf_bytes(&c->out), fl_buf_len(&c->out), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        if (n < 0) {
            snprintf(err, err_bytes, "send: %s", strerror(errno));
            return -1;
        }
        fl_buf_consume(&c->out, (size_t)n);
    }
    return 0;
}
