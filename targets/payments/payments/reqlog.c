/* The request log's lines and their file (see reqlog.h). */
#include "reqlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int64_t pay_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int pay_reqlog_encode(fl_buf *b, const pay_request *m, int64_t arrived_ns, int64_t done_ns,
                      const char *outcome) {
    if (!m->money) return -1; /* only charges and refunds are logged */
    json_t *j = json_pack("{s:I, s:I, s:o, s:o, s:O, s:s, s:s}", "arrived_ns",
                          (json_int_t)arrived_ns, "done_ns", (json_int_t)done_ns, "call",
                          m->call ? json_string(m->call) : json_null(), "attempt",
                          m->attempt ? json_integer((json_int_t)m->attempt) : json_null(),
                          "order", m->op.order ? m->op.order : json_null(), "kind",
                          m->f == PAY_F_CHARGE ? "charge" : "refund", "outcome", outcome);
    if (!j) return -1;
    size_t start = fl_buf_len(b);
    int rc = fl_buf_append_json(b, j) || fl_buf_append(b, "\n", 1);
    json_decref(j);
    if (rc) fl_buf_truncate(b, start);
    return rc ? -1 : 0;
}

int pay_reqlog_open(pay_reqlog *log, const char *path, char *err, size_t err_bytes) {
    *log = (pay_reqlog){.fd = -1, .path = path};
    fl_buf_init(&log->pending, PAY_REQLOG_PENDING_BYTES_MAX);
    log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log->fd < 0) {
        snprintf(err, err_bytes, "request log %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

void pay_reqlog_close(pay_reqlog *log) {
    pay_reqlog_flush(log);
    if (log->fd >= 0) close(log->fd);
    fl_buf_free(&log->pending);
    log->fd = -1;
}

void pay_reqlog_add(pay_reqlog *log, const pay_request *m, int64_t arrived_ns,
                    const char *outcome) {
    if (pay_reqlog_encode(&log->pending, m, arrived_ns, pay_mono_ns(), outcome) != 0)
        log->dropped++;
}

void pay_reqlog_flush(pay_reqlog *log) {
    size_t n = fl_buf_len(&log->pending);
    const char *p = fl_buf_bytes(&log->pending);
    while (n > 0 && log->fd >= 0) {
        ssize_t w = write(log->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            /* a diagnostic: serving goes on without it (the lines are counted lost) */
            fl_log("request log %s: %s; dropping this turn's lines", log->path,
                   w < 0 ? strerror(errno) : "nothing written");
            log->dropped++;
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    fl_buf_clear(&log->pending);
}
