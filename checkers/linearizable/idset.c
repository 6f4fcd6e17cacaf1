/* A set of 64-bit ids (see idset.h). */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT64_MAX

static size_t slot_of(const fl_idset *s, uint64_t id) {
    size_t i = (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 17) & s->mask;
    while (s->slots[i] != EMPTY && s->slots[i] != id) i = (i + 1) & s->mask;
    return i;
}

int fl_idset_init(fl_idset *s) {
    s->mask = 63;
    s->count = 0;
    s->slots = malloc((s->mask + 1) * sizeof *s->slots);
    if (!s->slots) return -1;
    memset(s->slots, 0xff, (s->mask + 1) * sizeof *s->slots);
    return 0;
}

void fl_idset_free(fl_idset *s) {
    free(s->slots);
    s->slots = NULL;
}

int fl_idset_add(fl_idset *s, uint64_t id) {
    if (id == EMPTY) return 0; /* never an id: interner ids are small */
    if ((s->count + 1) * 2 > s->mask + 1) {
        fl_idset bigger = {.mask = s->mask * 2 + 1};
        bigger.slots = malloc((bigger.mask + 1) * sizeof *bigger.slots);
        if (!bigger.slots) return -1;
        memset(bigger.slots, 0xff, (bigger.mask + 1) * sizeof *bigger.slots);
        for (size_t i = 0; i <= s->mask; i++)
            if (s->slots[i] != EMPTY) bigger.slots[slot_of(&bigger, s->slots[i])] = s->slots[i];
        bigger.count = s->count;
        free(s->slots);
        *s = bigger;
    }
    size_t i = slot_of(s, id);
    if (s->slots[i] == EMPTY) {
        s->slots[i] = id;
        s->count++;
    }
    return 0;
}

bool fl_idset_has(const fl_idset *s, uint64_t id) {
    return id != EMPTY && s->slots[slot_of(s, id)] == id;
}
