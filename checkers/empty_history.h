/* What every checker says about a history with no client ops (only nemesis events, or
 * nothing at all): valid, with the note "no client ops" (DESIGN.md "Checkers"). */
#ifndef FL_EMPTY_HISTORY_H
#define FL_EMPTY_HISTORY_H

#include <stdbool.h>

#include <jansson.h>

#include "history.h"

#define FL_NOTE_NO_CLIENT_OPS "no client ops"

/* True when h holds at least one op of a client process (not the nemesis). */
bool fl_history_has_client_ops(const fl_history *h);

/* When h has no client op, make result (a checker's result object) valid: drop the
 * reason it gave for being unknown and add "note": "no client ops". Every property the
 * checkers prove is about client ops, so the empty history has it (Knossos and Porcupine
 * call it linearizable; nothing was lost, read stale or out of order). Whether a run
 * that did nothing passes is another question, answered by `faultline test`. Returns
 * result (NULL stays NULL). */
json_t *fl_empty_history_valid(const fl_history *h, json_t *result);

#endif
