/* Sequential models for the linearizability checker: each is a small table of
 * functions (prepare, init, step, describe; equal and hash default to identity
 * because every state is a hash-consed id), so a new model costs a few dozen lines. */
#ifndef FL_MODEL_H
#define FL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "history.h"
#include "idset.h"
#include "intern.h"

typedef uint64_t fl_state;

#define FL_RETURN_NEVER INT64_MAX /* an info op, or one still open at the end */

/* One operation of one key, as the model sees it. Inputs and outputs are ids from the
 * partition's interner (or plain integers, as the model chooses). */
typedef struct fl_call {
    uint64_t arg[2];
    uint64_t out;
    int64_t invoke_pos;  /* position of the invocation in the history */
    int64_t return_pos;  /* position of the ok completion, or FL_RETURN_NEVER */
    uint16_t code;       /* the model's own op code */
    uint8_t read_only;   /* never changes the state: safe to leave out of a window */
    uint8_t pad;
} fl_call;

static inline bool fl_call_known(const fl_call *c) { return c->return_pos != FL_RETURN_NEVER; }

/* What prepare decided about an op. */
typedef enum { FL_PREPARE_USE, FL_PREPARE_SKIP, FL_PREPARE_ERROR } fl_prepare_rc;

typedef struct fl_model {
    const char *name;
    const char *summary;  /* ops it takes, for --help and errors */
    /* Encode an invocation and its ok completion (NULL when the outcome is unknown)
     * into c (positions are filled in by the caller). SKIP: an op with no effect to
     * check (an info read). ERROR: *why says what is wrong with the op. */
    fl_prepare_rc (*prepare)(fl_interner *in, const fl_op *invoke, const fl_op *ok,
                             fl_call *c, const char **why);
    fl_state (*init)(fl_interner *in);
    /* Is c legal in s (with its output, when known)? If so, *next is the new state.
     * Returns -1 only when memory ran out. */
    int (*step)(fl_interner *in, fl_state s, const fl_call *c, fl_state *next);
    /* The state as JSON, for explanations (new reference). */
    json_t *(*describe)(const fl_interner *in, fl_state s);
    bool (*equal)(fl_state a, fl_state b); /* optional */
    uint64_t (*hash)(fl_state s);          /* optional */
    /* Optional pair: an op whose outcome is unknown and whose effect no op of the key
     * can observe (a write of a value nobody reads, an append of an element no read
     * contains) may be assumed not to have happened without losing a linearization,
     * and leaving it out spares the search every order it could take. observe adds
     * what a call observes (a cas its old value, whatever its outcome); observable
     * says whether an unknown call's effect is among what all calls observe. */
    int (*observe)(const fl_interner *in, const fl_call *c, fl_idset *seen);
    bool (*observable)(const fl_interner *in, const fl_call *c, const fl_idset *seen);
    /* Optional: why c cannot take effect in s (step said no), in the model's words
     * ("read expects 4, the register holds null"), into buf. Without it
     * explain.c says it from describe and the op's fields. */
    void (*explain)(const fl_interner *in, fl_state s, const fl_call *c, char *buf,
                    size_t len);
    /* Optional: the anomaly's known shape, read off the history around the failing op
     * (invokes: the key's invocation positions, in order): {"shape", "sentence",
     * "ops"} (new reference), or NULL when it has none the model knows (anomaly.h). */
    json_t *(*anomaly)(const fl_history *h, const int64_t *invokes, size_t n,
                       int64_t failing_pos);
} fl_model;

const fl_model *fl_model_find(const char *name);
/* All models, NULL-terminated. */
const fl_model *const *fl_models(void);
/* Pick a model from the ops a history uses; NULL when nothing fits. */
const fl_model *fl_model_infer(const fl_history *h);
bool fl_model_equal(const fl_model *m, fl_state a, fl_state b);
uint64_t fl_model_hash(const fl_model *m, fl_state s);

/* A state or value as short JSON text for sentences (cut to len - 1 bytes, "…"-ended). */
void fl_model_state_text(const fl_model *m, const fl_interner *in, fl_state s, char *buf,
                         size_t len);

/* Shared by models: is this op's f one of these? */
static inline bool fl_f_is(const fl_op *op, const char *f) {
    return op->f[0] == f[0] && strcmp(op->f, f) == 0;
}

#endif
