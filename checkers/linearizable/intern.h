/* Hash-consing for model values and states: equal byte strings get equal ids, so a
 * model state is one 64-bit id and state equality is id equality. */
#ifndef FL_INTERN_H
#define FL_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strpool.h"

#define FL_INTERN_FAILED UINT64_MAX

typedef struct fl_interner {
    fl_strmap *map;      /* bytes -> id */
    const char **bytes;  /* id -> the map's copy */
    uint32_t *lengths;   /* id -> byte count */
    size_t count;        /* ids 1..count are used; 0 is reserved for "nothing" (nil, empty) */
    size_t capacity;
    /* Memo of derived states, (op tag, state, argument) -> state: a search applies the
     * same append to the same state over and over as it backtracks. */
    struct fl_derived *derived;
    size_t derived_mask;
    size_t derived_count;
} fl_interner;

int fl_interner_init(fl_interner *in);
void fl_interner_free(fl_interner *in);
/* The id of bytes, adding them if new; FL_INTERN_FAILED on OOM. */
uint64_t fl_intern(fl_interner *in, const void *bytes, size_t len);
/* Forget every id above mark (a count the interner had): what a finished search
 * interned, so that its memory goes back. Ids up to mark keep their bytes. Returns 0,
 * or -1 when out of memory (nothing changed). */
int fl_interner_truncate(fl_interner *in, size_t mark);
const void *fl_interned(const fl_interner *in, uint64_t id, size_t *len);
/* The id of a JSON value's canonical text, tagged 'j'; nil (NULL or null) is 0. */
uint64_t fl_intern_json(fl_interner *in, const json_t *v);
/* The JSON value an id from fl_intern_json stands for (new reference). */
json_t *fl_interned_json(const fl_interner *in, uint64_t id);
size_t fl_interner_bytes(const fl_interner *in);
/* The memoised result of deriving a state, or FL_INTERN_FAILED when not known. */
uint64_t fl_derived_get(const fl_interner *in, uint32_t tag, uint64_t state, uint64_t arg);
void fl_derived_put(fl_interner *in, uint32_t tag, uint64_t state, uint64_t arg, uint64_t result);

#endif
