/* Timestamped log lines on stderr (see log.h). The timestamp is CLOCK_REALTIME, so under
 * the clock shim it shows the node's skewed clock, as the node itself sees it. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FL_LOG_LINE_BYTES 1024

static char log_prog[64] = "fl-target";
static char log_who[64];

void fl_log_init(const char *prog, const char *who) {
    snprintf(log_prog, sizeof log_prog, "%s", prog ? prog : "fl-target");
    snprintf(log_who, sizeof log_who, "%s", who ? who : "");
}

void fl_log(const char *fmt, ...) {
    char line[FL_LOG_LINE_BYTES];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, sizeof line - n, ".%03ldZ %s%s%s: ", ts.tv_nsec / 1000000,
                     log_prog, log_who[0] ? " " : "", log_who);
    if (k > 0 && (size_t)k < sizeof line - n) n += (size_t)k;
    va_list ap;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    /* A message longer than the line is cut; the newline always fits. */
    n = k < 0 ? n : n + (size_t)k < sizeof line - 1 ? n + (size_t)k : sizeof line - 2;
    line[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t w = write(2, line + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break; /* nowhere else to say it */
        off += (size_t)w;
    }
}
