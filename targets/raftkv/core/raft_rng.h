/* A small seeded random number generator (xoshiro256** seeded through splitmix64): the
 * core's only source of randomness (election timeouts), and the simulator's. Same seed,
 * same sequence, on every machine. */
#ifndef RAFT_RNG_H
#define RAFT_RNG_H

#include <stdint.h>

typedef struct raft_rng {
    uint64_t s[4];
} raft_rng;

void raft_rng_seed(raft_rng *r, uint64_t seed);
uint64_t raft_rng_next(raft_rng *r);
/* Uniform in [0, n); n >= 1. */
uint64_t raft_rng_below(raft_rng *r, uint64_t n);
/* True with probability per_million / 10^6. */
int raft_rng_chance(raft_rng *r, uint32_t per_million);

#endif
