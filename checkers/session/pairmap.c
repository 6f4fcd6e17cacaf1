/* The session checker's (number, tag) -> id hash map (see pairmap.h). */
#include "pairmap.h"

#include <assert.h>
#include <stdlib.h>

#define INITIAL_CAPACITY 64

/* splitmix64's finaliser: every input bit moves every output bit, so sequential
 * numbers (append values, process ids) spread over the table. */
static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t home(const fl_pairmap *m, int64_t number, uint32_t tag) {
    uint64_t h = mix((uint64_t)number ^ ((uint64_t)tag * 0x9e3779b97f4a7c15ULL));
    return (size_t)h & (m->capacity - 1);
}

/* The slot holding (number, tag), or the empty slot where it would go. */
static fl_pairmap_slot *find(const fl_pairmap *m, int64_t number, uint32_t tag) {
    size_t i = home(m, number, tag);
    /* At most half full: the probe always meets an empty slot within capacity steps. */
    for (size_t step = 0; step < m->capacity; step++) {
        fl_pairmap_slot *s = &m->slots[i];
        if (!s->id_plus_one || (s->number == number && s->tag == tag)) return s;
        i = (i + 1) & (m->capacity - 1);
    }
    assert(!"pairmap full");
    return NULL;
}

static int grow(fl_pairmap *m) {
    size_t capacity = m->capacity ? m->capacity * 2 : INITIAL_CAPACITY;
    fl_pairmap_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    fl_pairmap old = *m;
    m->slots = slots;
    m->capacity = capacity;
    for (size_t i = 0; i < old.capacity; i++) {
        const fl_pairmap_slot *s = &old.slots[i];
        if (s->id_plus_one) *find(m, s->number, s->tag) = *s;
    }
    free(old.slots);
    return 0;
}

int64_t fl_pairmap_get(const fl_pairmap *m, int64_t number, uint32_t tag) {
    if (!m->capacity) return -1;
    const fl_pairmap_slot *s = find(m, number, tag);
    return s->id_plus_one ? (int64_t)s->id_plus_one - 1 : -1;
}

int64_t fl_pairmap_put(fl_pairmap *m, int64_t number, uint32_t tag, uint32_t id) {
    assert(id <= FL_PAIRMAP_ID_MAX);
    if (2 * (m->count + 1) > m->capacity && grow(m) != 0) return FL_PAIRMAP_OOM;
    fl_pairmap_slot *s = find(m, number, tag);
    if (s->id_plus_one) return (int64_t)s->id_plus_one - 1;
    s->number = number;
    s->tag = tag;
    s->id_plus_one = id + 1;
    m->count++;
    return id;
}

void fl_pairmap_set(fl_pairmap *m, int64_t number, uint32_t tag, uint32_t id) {
    assert(id <= FL_PAIRMAP_ID_MAX);
    if (!m->capacity) return;
    fl_pairmap_slot *s = find(m, number, tag);
    if (s->id_plus_one) s->id_plus_one = id + 1;
}

void fl_pairmap_free(fl_pairmap *m) {
    free(m->slots);
    m->slots = NULL;
    m->capacity = m->count = 0;
}
