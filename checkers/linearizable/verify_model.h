/* The verifier's reference models: step functions over plain JSON values, written
 * apart from the checker's models so the two can disagree when one is wrong. */
#ifndef FL_VERIFY_MODEL_H
#define FL_VERIFY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "history.h"

typedef struct ref_op {
    const fl_op *inv;
    const fl_op *ok;  /* NULL: outcome unknown */
    int64_t inv_pos;
    int64_t ret_pos;  /* INT64_MAX when unknown */
} ref_op;

bool ref_read_only(const char *model, const fl_op *inv);
/* 1: legal in s, *next is the new state (new reference); 0: not legal. */
int ref_step(const char *model, const json_t *s, const ref_op *o, json_t **next);
json_t *ref_init(const char *model);
/* An op of unknown outcome whose effect no op of known outcome among ops observes
 * (a value no read returns and no cas expects; an element no read or dequeue shows):
 * leaving it out cannot lose a linearization. */
bool ref_unobservable(const char *model, const ref_op *o, const ref_op *ops, size_t count);
/* The key's client ops invoked before `before`, failed ones left out, by position. */
ref_op *key_ops(const fl_history *h, int32_t key, int64_t before, size_t *count);
ref_op *find_op(ref_op *ops, size_t count, int64_t pos);

#endif
