/* Naming a linearizability anomaly in the field's words, read off the history around
 * the failing op, before any model-state detail. Shapes (register models; the value a
 * read returns, or a cas expects, is what the op "sees"):
 *   never-written  the op sees a value no write (nor cas) of the key wrote;
 *   lost-write     an acknowledged write, completed before the op began, is never seen
 *                  by any op, and every read begun after it sees an older value;
 *   stale-read     the op sees a value older than a write that completed before it
 *                  began ("older": every write of it completed before that write began;
 *                  nil, the initial value, is older than any write);
 *   back-in-time   the op sees a value older than one an op that completed before it
 *                  began had already seen (the same process first when there is one).
 * Each is certain, not a guess: it alone rules out every linearization. Anything else
 * (concurrent writes, unknown outcomes, values written twice) has no shape here, and
 * the explanation falls back to the model's states. */
#ifndef FL_ANOMALY_H
#define FL_ANOMALY_H

#include "model.h"

/* The fl_model.anomaly hook of register and cas-register (and kv on a key with no
 * appends): {"shape", "sentence", "ops": [indices]} or NULL. */
json_t *fl_register_anomaly(const fl_history *h, const int64_t *invokes, size_t n,
                            int64_t failing_pos);

/* ns since the history start as the report writes it (report.js fmtMs): "0 s",
 * "812.5 µs", "9.00 ms", "984.8 ms", "1.250 s". */
void fl_format_ms(int64_t ns, char *buf, size_t len);

#endif
