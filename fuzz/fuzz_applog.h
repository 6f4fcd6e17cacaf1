/* What every fuzzer of a daemon's append-only log (common/applog.h) checks of a scan,
 * whatever the records hold: a refusal names the bad line and why; an accepted image keeps
 * whole lines up to the last valid record, and has a tail exactly when bytes are left. */
#ifndef FUZZ_APPLOG_H
#define FUZZ_APPLOG_H

#include <stdlib.h>

#include "applog.h"

/* rc and r: fl_applog_scan's verdict on bytes[0, len). Aborts when it does not fit. */
static inline void fuzz_check_scan(const char *bytes, size_t len, int rc,
                                   const fl_applog_scan_result *r) {
    if (rc != 0) {
        if (r->bad_line == 0 || !r->err[0]) abort();
        return;
    }
    if (r->good_bytes > len || r->bad_line != 0) abort();
    if (r->good_bytes > 0 && bytes[r->good_bytes - 1] != '\n') abort();
    if ((r->good_bytes < len) != (r->tail_lines > 0)) abort();
}

#endif
