/* Partition shapes as data (see grudge.h). */
#include "grudge.h"

#include <assert.h>
#include <string.h>

static const char *const shape_names[] = {"halves", "one", "majorities-ring", "bridge",
                                          "one-way"};
_Static_assert(sizeof shape_names / sizeof *shape_names == FL_SHAPE_COUNT, "a name per shape");

const char *fl_shape_name(fl_shape s) { return shape_names[s]; }

int fl_shape_parse(const char *name) {
    for (int s = 0; s < FL_SHAPE_COUNT; s++)
        if (!strcmp(name, shape_names[s])) return s;
    return -1;
}

static uint64_t all_but(size_t n, size_t i) {
    uint64_t all = n == 64 ? ~0ULL : (1ULL << n) - 1;
    return all & ~(1ULL << i);
}

fl_grudge fl_grudge_from_groups(size_t n, const uint32_t *group) {
    assert(n <= FL_GRUDGE_NODES_MAX);
    fl_grudge g = {.n = n};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (group[i] != group[j]) g.drops_from[i] |= 1ULL << j;
    return g;
}

fl_grudge fl_grudge_isolate(size_t n, uint64_t nodes) {
    uint32_t group[FL_GRUDGE_NODES_MAX];
    for (size_t i = 0; i < n; i++) group[i] = (nodes >> i) & 1;
    return fl_grudge_from_groups(n, group);
}

fl_grudge fl_grudge_mute(size_t n, uint64_t nodes) {
    assert(n <= FL_GRUDGE_NODES_MAX);
    fl_grudge g = {.n = n};
    for (size_t i = 0; i < n; i++)
        if (!(nodes >> i & 1)) g.drops_from[i] = nodes;
    return g;
}

/* Random halves: the first floor(n/2) of a shuffle, and the rest. */
static fl_grudge halves(size_t n, fl_rng *rng) {
    uint32_t order[FL_GRUDGE_NODES_MAX], group[FL_GRUDGE_NODES_MAX];
    fl_rng_shuffle(rng, order, (uint32_t)n);
    for (size_t k = 0; k < n; k++) group[order[k]] = k < n / 2 ? 0 : 1;
    return fl_grudge_from_groups(n, group);
}

/* A random ring; each node keeps its nearest ceil((m-1)/2) neighbours on each side
 * (m = a majority), so it sees a majority and its view is centred on itself: no two
 * nodes see the same set. Exact (exactly a majority) when m-1 is even, as for 5. */
static fl_grudge majorities_ring(size_t n, fl_rng *rng) {
    uint32_t ring[FL_GRUDGE_NODES_MAX];
    fl_rng_shuffle(rng, ring, (uint32_t)n);
    size_t majority = n / 2 + 1, reach = majority / 2; /* ceil((m-1)/2) = floor(m/2) */
    fl_grudge g = {.n = n};
    for (size_t a = 0; a < n; a++) {
        for (size_t b = 0; b < n; b++) {
            size_t d = a > b ? a - b : b - a;
            if (n - d < d) d = n - d;
            if (d > reach) g.drops_from[ring[a]] |= 1ULL << ring[b];
        }
    }
    return g;
}

/* Two halves and one bridge node in both: the halves cannot reach each other. */
static fl_grudge bridge(size_t n, fl_rng *rng) {
    uint32_t order[FL_GRUDGE_NODES_MAX];
    fl_rng_shuffle(rng, order, (uint32_t)n);
    fl_grudge g = {.n = n};
    size_t left = (n - 1) / 2; /* order[0..left) | order[left] bridge | the rest */
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            bool a_left = a < left, b_left = b < left;
            if (a != left && b != left && a_left != b_left)
                g.drops_from[order[a]] |= 1ULL << order[b];
        }
    return g;
}

fl_grudge fl_grudge_make(fl_shape s, size_t n, fl_rng *rng) {
    assert(n >= 1 && n <= FL_GRUDGE_NODES_MAX);
    size_t one = (size_t)fl_rng_below(rng, n);
    fl_grudge g = {.n = n};
    switch (s) {
    case FL_SHAPE_HALVES: return halves(n, rng);
    case FL_SHAPE_ONE: return fl_grudge_isolate(n, 1ULL << one);
    case FL_SHAPE_MAJORITIES_RING: return majorities_ring(n, rng);
    case FL_SHAPE_BRIDGE: return bridge(n, rng);
    case FL_SHAPE_ONE_WAY: g.drops_from[one] = all_but(n, one); return g;
    case FL_SHAPE_COUNT: break;
    }
    return g;
}

uint64_t fl_grudge_egress(const fl_grudge *g, size_t sender) {
    uint64_t to = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->drops_from[i] >> sender & 1) to |= 1ULL << i;
    return to;
}

bool fl_grudge_reaches(const fl_grudge *g, size_t from, size_t to) {
    return !(g->drops_from[to] >> from & 1);
}
