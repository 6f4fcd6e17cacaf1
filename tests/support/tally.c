/* Failures counted by the plain test programs (see tally.h). */
#include "tally.h"

#include <stdarg.h>
#include <stdio.h>

static int failures;

void tally_fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "FAIL ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
}

int tally_failures(void) { return failures; }
