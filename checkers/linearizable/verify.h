/* Certificate verifier: re-checks the checker's verdicts with deliberately simple,
 * separate code — its own step functions over JSON values, its own scan of the
 * history, no shared search — so a bug in the fast search cannot vouch for itself. */
#ifndef FL_VERIFY_H
#define FL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

/* A linearization of one key: the invocation positions of the ops that took effect,
 * in order. Returns NULL when it holds, else why not (written to buf). */
const char *fl_verify_linearization(const fl_history *h, const char *model, int32_t key,
                                    const int64_t *order, size_t n, char *buf,
                                    size_t buf_bytes);

/* A failing window of one key: the ops invoked before cut_pos that it keeps (by
 * invocation position). Holds when every op it leaves out is read-only or failed and
 * an exhaustive search finds no order of the window that works. When the search ran
 * out of time or memory, *undecided is set: the certificate is neither confirmed nor
 * refuted. */
const char *fl_verify_window(const fl_history *h, const char *model, int32_t key,
                             int64_t cut_pos, const int64_t *window, size_t n,
                             int64_t deadline_ns, bool *undecided, char *buf,
                             size_t buf_bytes);

#endif
