/* A small seeded random number generator (see rng.h). */
#include "rng.h"

uint64_t fl_rng_next(fl_rng *r) {
    uint64_t x = (r->s += 0x9E3779B97F4A7C15ULL);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

uint64_t fl_rng_below(fl_rng *r, uint64_t n) { return n ? fl_rng_next(r) % n : 0; }

double fl_rng_unit(fl_rng *r) { return (double)(fl_rng_next(r) >> 11) / 9007199254740992.0; }

void fl_rng_shuffle(fl_rng *r, uint32_t *out, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) out[i] = i;
    for (uint32_t i = n; i > 1; i--) { /* Fisher–Yates */
        uint32_t j = (uint32_t)fl_rng_below(r, i);
        uint32_t t = out[i - 1];
        out[i - 1] = out[j];
        out[j] = t;
    }
}
