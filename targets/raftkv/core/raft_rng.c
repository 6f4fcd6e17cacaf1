/* xoshiro256** (Blackman and Vigna), seeded by splitmix64 so that nearby seeds give
 * unrelated streams (see raft_rng.h). */
#include "raft_rng.h"

#include <assert.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void raft_rng_seed(raft_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t raft_rng_next(raft_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t raft_rng_below(raft_rng *r, uint64_t n) {
    assert(n >= 1);
    /* Lemire's multiply-shift: the bias (< n / 2^64) does not matter here. */
    return (uint64_t)(((unsigned __int128)raft_rng_next(r) * n) >> 64);
}

int raft_rng_chance(raft_rng *r, uint32_t per_million) {
    return raft_rng_below(r, 1000000) < per_million;
}
