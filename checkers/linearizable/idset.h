/* A set of 64-bit ids (values a history observes), open addressing. */
#ifndef FL_IDSET_H
#define FL_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fl_idset {
    uint64_t *slots; /* UINT64_MAX: empty */
    size_t mask;
    size_t count;
} fl_idset;

int fl_idset_init(fl_idset *s);
void fl_idset_free(fl_idset *s);
int fl_idset_add(fl_idset *s, uint64_t id); /* 0, or -1 when memory ran out */
bool fl_idset_has(const fl_idset *s, uint64_t id);

#endif
