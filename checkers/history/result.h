/* What every checker's result is made of (DESIGN.md "Checkers"): a verdict — true, false
 * or "unknown" — folded with others, and ops shown the one way every checker and the
 * report show them. Part of the history model, so a checker needs no other checker's
 * header to build its result. */
#ifndef FL_RESULT_H
#define FL_RESULT_H

#include <stdint.h>

#include <jansson.h>

#include "history.h"

/* The worst of two verdicts: false beats "unknown" beats true (new reference). */
json_t *fl_verdict_worst(const json_t *a, const json_t *b);

/* A history op pair as JSON for explanations: {"index", "process", "f", "value", "type"
 * (its outcome; info when it has none), "output" (the completion's value when it differs),
 * "complete_index", "line"} (new reference). */
json_t *fl_op_pair_json(const fl_history *h, int64_t invoke_pos);

/* Append the string s to the array list unless it is there already: a result's
 * "anomaly-types", in the order first found. */
void fl_json_note_string(json_t *list, const char *s);

#endif
