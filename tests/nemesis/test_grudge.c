/* Partition shapes as data: each shape cuts exactly what it names, on 5 nodes and on
 * other sizes, and the same seed gives the same grudge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "grudge.h"

static int popcount(uint64_t x) { return __builtin_popcountll(x); }

/* What node i can receive from, itself included. */
static uint64_t view(const fl_grudge *g, size_t i) {
    uint64_t v = 0;
    for (size_t j = 0; j < g->n; j++)
        if (fl_grudge_reaches(g, j, i)) v |= 1ULL << j;
    return v;
}

static void assert_symmetric(const fl_grudge *g) {
    for (size_t i = 0; i < g->n; i++)
        for (size_t j = 0; j < g->n; j++)
            assert_int_equal(fl_grudge_reaches(g, i, j), fl_grudge_reaches(g, j, i));
}

static void halves(void **state) {
    (void)state;
    for (uint64_t seed = 0; seed < 50; seed++) {
        fl_rng rng = {seed};
        fl_grudge g = fl_grudge_make(FL_SHAPE_HALVES, 5, &rng);
        assert_symmetric(&g);
        int twos = 0, threes = 0;
        for (size_t i = 0; i < 5; i++) {
            int seen = popcount(view(&g, i));
            twos += seen == 2;
            threes += seen == 3;
            for (size_t j = 0; j < 5; j++) /* a view is a group: reach is transitive */
                if (fl_grudge_reaches(&g, j, i)) assert_int_equal(view(&g, i), view(&g, j));
        }
        assert_int_equal(twos, 2);
        assert_int_equal(threes, 3);
    }
}

static void one(void **state) {
    (void)state;
    fl_rng rng = {7};
    fl_grudge g = fl_grudge_make(FL_SHAPE_ONE, 5, &rng);
    assert_symmetric(&g);
    int alone = 0;
    for (size_t i = 0; i < 5; i++) {
        int seen = popcount(view(&g, i));
        assert_true(seen == 1 || seen == 4);
        alone += seen == 1;
    }
    assert_int_equal(alone, 1);
}

static void majorities_ring(void **state) {
    (void)state;
    static const size_t sizes[] = {3, 5, 7, 9};
    for (size_t k = 0; k < 4; k++) {
        size_t n = sizes[k];
        fl_rng rng = {n};
        fl_grudge g = fl_grudge_make(FL_SHAPE_MAJORITIES_RING, n, &rng);
        assert_symmetric(&g);
        for (size_t i = 0; i < n; i++) {
            assert_true(popcount(view(&g, i)) >= (int)(n / 2 + 1));
            if (n == 5) assert_int_equal(popcount(view(&g, i)), 3);
            for (size_t j = 0; j < i; j++) /* no two nodes see the same majority */
                if (n > 3) assert_int_not_equal(view(&g, i), view(&g, j));
        }
    }
}

static void bridge(void **state) {
    (void)state;
    fl_rng rng = {3};
    fl_grudge g = fl_grudge_make(FL_SHAPE_BRIDGE, 5, &rng);
    assert_symmetric(&g);
    int bridges = 0, sides = 0;
    for (size_t i = 0; i < 5; i++) {
        int seen = popcount(view(&g, i));
        bridges += seen == 5;
        sides += seen == 3; /* itself, its half's other node, the bridge */
    }
    assert_int_equal(bridges, 1);
    assert_int_equal(sides, 4);
}

static void one_way(void **state) {
    (void)state;
    fl_rng rng = {11};
    fl_grudge g = fl_grudge_make(FL_SHAPE_ONE_WAY, 5, &rng);
    size_t deaf = 5;
    for (size_t i = 0; i < 5; i++)
        if (g.drops_from[i]) deaf = i;
    assert_true(deaf < 5);
    for (size_t j = 0; j < 5; j++) {
        if (j == deaf) continue;
        assert_false(fl_grudge_reaches(&g, j, deaf)); /* nobody reaches it */
        assert_true(fl_grudge_reaches(&g, deaf, j));  /* it reaches everybody */
        /* Applied on the senders: every other node drops its packets to the deaf one. */
        assert_int_equal(fl_grudge_egress(&g, j), 1ULL << deaf);
    }
    assert_int_equal(fl_grudge_egress(&g, deaf), 0);
}

static void isolate_named_and_seeds(void **state) {
    (void)state;
    fl_grudge g = fl_grudge_isolate(5, (1ULL << 0) | (1ULL << 3));
    assert_symmetric(&g);
    assert_true(fl_grudge_reaches(&g, 0, 3));
    assert_false(fl_grudge_reaches(&g, 0, 1));
    assert_true(fl_grudge_reaches(&g, 1, 4));
    for (int s = 0; s < FL_SHAPE_COUNT; s++) {
        fl_rng a = {99}, b = {99};
        fl_grudge x = fl_grudge_make((fl_shape)s, 5, &a), y = fl_grudge_make((fl_shape)s, 5, &b);
        assert_memory_equal(x.drops_from, y.drops_from, sizeof x.drops_from);
        assert_int_equal(fl_shape_parse(fl_shape_name((fl_shape)s)), s);
    }
    assert_int_equal(fl_shape_parse("triangle"), -1);
}

/* mute: the named nodes reach nobody and hear everybody; the others are untouched. */
static void mute_named(void **state) {
    (void)state;
    uint64_t muted = 1ULL << 1;
    fl_grudge g = fl_grudge_mute(4, muted);
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 4; b++)
            if (a != b) assert_int_equal(fl_grudge_reaches(&g, a, b), a != 1);
    assert_int_equal(fl_grudge_egress(&g, 1), 0xfULL & ~muted); /* dropped on the sender */
    assert_int_equal(fl_grudge_egress(&g, 0), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(halves),          cmocka_unit_test(one),
        cmocka_unit_test(majorities_ring), cmocka_unit_test(bridge),
        cmocka_unit_test(one_way),         cmocka_unit_test(isolate_named_and_seeds),
        cmocka_unit_test(mute_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
