/* A hash map from (64-bit number, 32-bit tag) to a 32-bit id, for the session checker:
 * (value, key) -> append, (process, key) -> session state, (value id, session) -> fact.
 * Open addressing with linear probing, at most half full; ids are what the caller
 * numbers its records by, so the map holds 16 bytes per entry and nothing else. */
#ifndef FL_SESSION_PAIRMAP_H
#define FL_SESSION_PAIRMAP_H

#include <stddef.h>
#include <stdint.h>

#define FL_PAIRMAP_OOM (-2)
#define FL_PAIRMAP_ID_MAX (UINT32_MAX - 1)

typedef struct fl_pairmap_slot {
    int64_t number;
    uint32_t tag;
    uint32_t id_plus_one; /* 0: the slot is empty */
} fl_pairmap_slot;

typedef struct fl_pairmap {
    fl_pairmap_slot *slots;
    size_t capacity; /* a power of two, or 0 before the first put */
    size_t count;
} fl_pairmap;

/* The id stored for (number, tag), or -1. */
int64_t fl_pairmap_get(const fl_pairmap *m, int64_t number, uint32_t tag);
/* Store (number, tag) -> id (at most FL_PAIRMAP_ID_MAX) unless present; returns the id
 * stored (the old one when present), or FL_PAIRMAP_OOM. */
int64_t fl_pairmap_put(fl_pairmap *m, int64_t number, uint32_t tag, uint32_t id);
/* Replace the id of a present (number, tag); nothing when absent. */
void fl_pairmap_set(fl_pairmap *m, int64_t number, uint32_t tag, uint32_t id);
void fl_pairmap_free(fl_pairmap *m);

#endif
