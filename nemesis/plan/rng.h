/* A small seeded random number generator (splitmix64): every random choice of a run —
 * fault shapes, targets, generated histories — comes from the run's seed, so a run can
 * be replayed. */
#ifndef FL_RNG_H
#define FL_RNG_H

#include <stdint.h>

typedef struct fl_rng {
    uint64_t s;
} fl_rng;

uint64_t fl_rng_next(fl_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint64_t fl_rng_below(fl_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double fl_rng_unit(fl_rng *r);
/* A uniformly random permutation of 0..n-1 into out. */
void fl_rng_shuffle(fl_rng *r, uint32_t *out, uint32_t n);

#endif
