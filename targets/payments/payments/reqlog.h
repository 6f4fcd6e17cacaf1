/* fl-payments' request log (README.md; the `retry-storm` checker reads it): one JSON line
 * per charge or refund received, written when its outcome is decided:
 *     {"arrived_ns":T0,"done_ns":T1,"call":C,"attempt":N,"order":O,"kind":K,"outcome":X}
 * T0 (the line read) and T1 (the outcome) are CLOCK_MONOTONIC nanoseconds: the daemon runs
 * under a clock shim that shifts only the realtime clocks, and the monotonic clock is the
 * host's, shared with the controller. A diagnostic, not durable state: the lines of a turn
 * are written at its end with one write, never fsync'd; a crash may lose the last turn's. */
#ifndef PAY_REQLOG_H
#define PAY_REQLOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "request.h"

#define PAY_REQLOG_PENDING_BYTES_MAX ((size_t)64 << 20)

typedef struct pay_reqlog {
    int fd;                 /* O_APPEND; -1 when closed */
    const char *path;       /* borrowed */
    fl_buf pending;         /* this turn's lines */
    uint64_t dropped;       /* lines lost (the buffer full, a write failed) */
} pay_reqlog;

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t pay_mono_ns(void);

/* Pure: m's line (m->money: a charge or refund, parsed or malformed) with its outcome
 * ("ok", "repeat", "overloaded", "idem-mismatch", "full", "malformed"). C, N and O are
 * null when m had none that parsed. 0, or -1 (nothing appended). */
int pay_reqlog_encode(fl_buf *b, const pay_request *m, int64_t arrived_ns, int64_t done_ns,
                      const char *outcome);

/* Opens path for appending (created if missing): 0, or -1 with err. Sets every field first:
 * pay_reqlog_close is safe after a failure. */
int pay_reqlog_open(pay_reqlog *log, const char *path, char *err, size_t err_bytes);
void pay_reqlog_close(pay_reqlog *log);
/* Queues m's line, decided now. */
void pay_reqlog_add(pay_reqlog *log, const pay_request *m, int64_t arrived_ns,
                    const char *outcome);
/* Writes the queued lines (the end of a turn); a failure is logged and the lines dropped. */
void pay_reqlog_flush(pay_reqlog *log);

#endif
