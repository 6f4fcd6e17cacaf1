/* Checks shared by the libFuzzer targets: stopping with a reason, comparing ops, and
 * making sure what the writers write reads back as the same ops. */
#ifndef FL_FUZZ_COMMON_H
#define FL_FUZZ_COMMON_H

#include <stdbool.h>

#include "history.h"

/* Each target defines its name, which starts every message of broken(), so a crash
 * report says which fuzzer found it. */
extern const char fuzz_target_name[];

/* Stop the fuzzer with the reason: libFuzzer saves the input that got here. */
_Noreturn void broken(const char *what, const fl_error *err);

/* Everything but the keyword flags: JSON never sets them, and a name that is no valid
 * keyword (e.g. a:b) gains one on the way through EDN, written as a string. */
bool same_op(const fl_history *ha, const fl_op *a, const fl_history *hb, const fl_op *b);

/* Write h in format, read it back and compare it op by op with the original. */
void check_reads_back(const fl_history *h, fl_format format);

#endif
