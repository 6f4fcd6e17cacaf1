/* The controller side of faults against a fake set of agents: the requests each node
 * gets match the event the nemesis reports (grudge, offsets, nodes), stop undoes what
 * start did, and refusals become errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nemesis.h"

typedef struct fake {
    json_t *requests[5];   /* per node, every request it got */
    const char *refuse;    /* a cmd every agent refuses */
    uint64_t refuse_on;    /* … only these nodes (bits; 0: every node) */
    int runs;
    uint64_t primaries;    /* what the target says */
} fake;

static int fake_call(void *ctx, size_t node, json_t *request, json_t **reply, char *err,
                     size_t bytes) {
    (void)err;
    (void)bytes;
    fake *f = ctx;
    json_array_append(f->requests[node], request);
    const char *cmd = json_string_value(json_object_get(request, "cmd"));
    *reply = f->refuse && !strcmp(cmd, f->refuse) && (!f->refuse_on || (f->refuse_on >> node & 1))
                 ? json_pack("{s:b,s:s}", "ok", 0, "error", "netem unsupported by this kernel")
                 : json_pack("{s:b,s:i}", "ok", 1, "mono_ns", 1000 + (int)node);
    return 0;
}

static int fake_run(void *ctx, size_t node, const char *command, char *err, size_t bytes) {
    (void)node, (void)command, (void)err, (void)bytes;
    ((fake *)ctx)->runs++;
    return 0;
}

static int fake_primaries(void *ctx, uint64_t *nodes, char *err, size_t bytes) {
    (void)err, (void)bytes;
    *nodes = ((fake *)ctx)->primaries;
    return 0;
}

static const char *const names[] = {"n1", "n2", "n3", "n4", "n5"};
static const char *const addrs[] = {"10.213.0.11", "10.213.0.12", "10.213.0.13", "10.213.0.14",
                                    "10.213.0.15"};

static void setup_nemesis(fl_nemesis *n, fake *f, const char *spec_text,
                          const fl_nemesis_process *p, size_t count) {
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 5; i++) f->requests[i] = json_array();
    fl_nemesis_io io = {f, 5, names, addrs, fake_call, fake_run, fake_primaries, NULL};
    fl_fault_spec spec;
    char err[256];
    assert_int_equal(fl_fault_spec_parse(spec_text, &spec, err, sizeof err), 0);
    fl_nemesis_init(n, &io, &spec, 42, p, count);
}

static void fake_free(fake *f) {
    for (int i = 0; i < 5; i++) json_decref(f->requests[i]);
}

static bool has(const json_t *list, const char *s) {
    for (size_t i = 0; i < json_array_size(list); i++)
        if (!strcmp(json_string_value(json_array_get(list, i)), s)) return true;
    return false;
}

/* Node j drops its packets to node i exactly when i's grudge names j. */
static void partition_requests_match_the_grudge(void **state) {
    (void)state;
    static const char *const shapes[] = {"partition:halves", "partition:one", "partition:bridge",
                                         "partition:majorities-ring", "partition:one-way"};
    for (size_t s = 0; s < 5; s++) {
        fl_nemesis n;
        fake f;
        char err[512];
        setup_nemesis(&n, &f, shapes[s], NULL, 0);
        json_t *event = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(event);
        const json_t *grudge = json_object_get(event, "grudge");
        for (size_t j = 0; j < 5; j++) {
            const json_t *req = json_array_get(f.requests[j], 0);
            assert_string_equal(json_string_value(json_object_get(req, "cmd")), "partition");
            for (size_t i = 0; i < 5; i++)
                assert_int_equal(has(json_object_get(req, "drop"), addrs[i]),
                                 has(json_object_get(grudge, names[i]), names[j]));
        }
        assert_int_equal(json_object_size(json_object_get(event, "applied_ns")), 5);
        json_decref(event);
        event = fl_nemesis_stop(&n, err, sizeof err);
        assert_non_null(event);
        for (size_t j = 0; j < 5; j++) {
            const json_t *heal = json_array_get(f.requests[j], 1);
            assert_string_equal(json_string_value(json_object_get(heal, "cmd")), "heal");
            /* only the partition: a netem in force at the same time stays */
            assert_string_equal(json_string_value(json_object_get(heal, "only")), "partition");
        }
        json_decref(event);
        fake_free(&f);
    }
}

/* A fault that took effect on some of its nodes only is in the history all the same,
 * with where it applied and what failed (a kill applied but left out of the history is a
 * fault nobody can see); one that took effect nowhere is no event and nothing in force.
 * (A target that runs on the first node only, as postgres does, had its server killed by
 * `kill` while the event was dropped.) */
static void partly_applied(void **state) {
    (void)state;
    fl_nemesis_process p = {"db", "/w/db.pid", "start-db", false};
    fl_nemesis n;
    fake f;
    char err[512];
    setup_nemesis(&n, &f, "kill:primaries", &p, 1);
    f.primaries = 3;       /* n1 and n2 */
    f.refuse = "signal";
    f.refuse_on = 2;       /* n2 has no such process */
    json_t *event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    assert_non_null(json_object_get(json_object_get(event, "applied_ns"), "n1"));
    assert_null(json_object_get(json_object_get(event, "applied_ns"), "n2"));
    assert_true(json_is_string(json_object_get(event, "error")));
    assert_int_equal(n.active_count, 1);
    json_decref(event);
    json_decref(fl_nemesis_stop(&n, err, sizeof err));
    fake_free(&f);

    setup_nemesis(&n, &f, "kill:primaries", &p, 1);
    f.primaries = 2;       /* n2 only: nothing applies */
    f.refuse = "signal";
    f.refuse_on = 2;
    assert_null(fl_nemesis_start(&n, err, sizeof err));
    assert_int_equal(n.active_count, 0);
    fake_free(&f);
}

static void kill_pause_and_clock(void **state) {
    (void)state;
    fl_nemesis_process p = {"db", "/w/db.pid", "start-db", false};
    fl_nemesis n;
    fake f;
    char err[512];
    setup_nemesis(&n, &f, "kill:majority", &p, 1);
    json_t *event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    assert_int_equal(json_array_size(json_object_get(event, "nodes")), 3);
    json_decref(event);
    event = fl_nemesis_stop(&n, err, sizeof err);
    assert_int_equal(f.runs, 3); /* restarted where it was killed */
    json_decref(event);
    fake_free(&f);

    setup_nemesis(&n, &f, "clock:bump", NULL, 0);
    n.io.primaries = NULL; /* a random subset of the nodes */
    event = fl_nemesis_start(&n, err, sizeof err);
    const json_t *offsets = json_object_get(event, "offset_ms");
    assert_true(json_object_size(offsets) >= 1);
    const char *name;
    json_t *ms;
    json_object_foreach((json_t *)offsets, name, ms) {
        int64_t v = json_integer_value(ms);
        assert_true((v >= 100 && v < 5000) || (v <= -100 && v > -5000));
    }
    json_decref(event);
    fake_free(&f);
}

static void refusals(void **state) {
    (void)state;
    fl_nemesis n;
    fake f;
    char err[512] = "";
    setup_nemesis(&n, &f, "kill", NULL, 0);
    assert_null(fl_nemesis_start(&n, err, sizeof err));
    assert_non_null(strstr(err, "--process"));
    fake_free(&f);
    setup_nemesis(&n, &f, "netem:delay", NULL, 0);
    f.refuse = "netem";
    assert_null(fl_nemesis_start(&n, err, sizeof err));
    assert_non_null(strstr(err, "n1: netem unsupported by this kernel"));
    fake_free(&f);
}

/* netem:VARIANT:all: every node sends to all the others through netem, with the
 * parameters the event names; stop lifts netem only. */
static void netem_requests(void **state) {
    (void)state;
    static const char *const variants[] = {"netem:delay:all", "netem:loss:all",
                                           "netem:duplicate:all", "netem:reorder:all",
                                           "netem:corrupt:all", "netem:slow-flows:all"};
    static const char *const fields[] = {"delay_ms", "loss_pct", "duplicate_pct", "reorder_pct",
                                         "corrupt_pct", "flow_bit"};
    for (size_t v = 0; v < 6; v++) {
        fl_nemesis n;
        fake f;
        char err[512];
        setup_nemesis(&n, &f, variants[v], NULL, 0);
        json_t *event = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(event);
        const json_t *params = json_object_get(event, "params");
        double x = json_number_value(json_object_get(params, fields[v]));
        assert_true(x >= 1 && x <= 250);
        if (v == 0 || v == 3 || v == 5) { /* delay; reordered packets and fast flows overtake it */
            double ms = json_number_value(json_object_get(params, "delay_ms"));
            assert_true(ms >= 50 && ms <= 250);
        }
        if (v == 5) { /* a port bit the agent takes, and no jitter to reorder within a flow */
            assert_true(x >= 1 && x <= 12);
            assert_null(json_object_get(params, "jitter_ms"));
        }
        for (size_t j = 0; j < 5; j++) {
            const json_t *req = json_array_get(f.requests[j], 0);
            assert_string_equal(json_string_value(json_object_get(req, "cmd")), "netem");
            assert_true(json_equal(json_object_get(req, fields[v]), json_object_get(params, fields[v])));
            const json_t *peers = json_object_get(req, "peers");
            assert_int_equal(json_array_size(peers), 4);
            for (size_t i = 0; i < 5; i++) assert_int_equal(has(peers, addrs[i]), i != j);
        }
        json_decref(event);
        event = fl_nemesis_stop(&n, err, sizeof err);
        assert_non_null(event);
        for (size_t j = 0; j < 5; j++)
            assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(f.requests[j], 1), "only")), "netem");
        json_decref(event);
        fake_free(&f);
    }
}

/* The nodes whose netem request went out (each sends to all the others), as a mask. */
static uint32_t netem_senders(const fake *f) {
    uint32_t mask = 0;
    for (size_t j = 0; j < 5; j++) {
        const json_t *req = json_array_get(f->requests[j], 0);
        if (!req || strcmp(json_string_value(json_object_get(req, "cmd")), "netem")) continue;
        assert_int_equal(json_array_size(json_object_get(req, "peers")), 4);
        mask |= 1u << j;
    }
    return mask;
}

/* netem acts on the nodes its targets name (the event says which), on a random subset
 * without them; its stop heals netem on every node. */
static void netem_targets(void **state) {
    (void)state;
    static const struct { const char *spec; int count; } named[] = {
        {"netem:delay:one", 1}, {"netem:loss:minority", 2}, {"netem:reorder:majority", 3},
        {"netem:corrupt:all", 5}};
    for (size_t t = 0; t < 4; t++) {
        fl_nemesis n;
        fake f;
        char err[512];
        setup_nemesis(&n, &f, named[t].spec, NULL, 0);
        json_t *event = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(event);
        uint32_t senders = netem_senders(&f);
        assert_int_equal(__builtin_popcount(senders), named[t].count);
        const json_t *nodes = json_object_get(event, "nodes");
        assert_int_equal(json_array_size(nodes), (size_t)named[t].count);
        for (size_t i = 0; i < 5; i++) assert_int_equal(has(nodes, names[i]), senders >> i & 1);
        assert_string_equal(json_string_value(json_object_get(event, "targets")),
                            strrchr(named[t].spec, ':') + 1);
        json_decref(event);
        event = fl_nemesis_stop(&n, err, sizeof err);
        assert_non_null(event);
        assert_int_equal(json_object_size(json_object_get(event, "applied_ns")), 5);
        for (size_t j = 0; j < 5; j++) {
            const json_t *heal = json_array_get(f.requests[j], json_array_size(f.requests[j]) - 1);
            assert_string_equal(json_string_value(json_object_get(heal, "only")), "netem");
        }
        json_decref(event);
        fake_free(&f);
    }
    /* the primaries, when named */
    fl_nemesis n;
    fake f;
    char err[512];
    setup_nemesis(&n, &f, "netem:reorder:primaries", NULL, 0);
    f.primaries = 1u << 2; /* n3 */
    json_t *event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    assert_int_equal(netem_senders(&f), 1u << 2);
    json_decref(event);
    fake_free(&f);
    /* without targets: subsets of every size over the seeds, the event naming each */
    uint32_t sizes_seen = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        setup_nemesis(&n, &f, "netem:delay", NULL, 0);
        n.rng.s = seed;
        event = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(event);
        uint32_t senders = netem_senders(&f);
        assert_true(senders != 0);
        assert_int_equal(json_array_size(json_object_get(event, "nodes")),
                         (size_t)__builtin_popcount(senders));
        assert_null(json_object_get(event, "targets"));
        sizes_seen |= 1u << __builtin_popcount(senders);
        json_decref(event);
        fake_free(&f);
    }
    assert_int_equal(sizes_seen, 0x3e); /* 1, 2, 3, 4 and 5 nodes */
}

/* partition:primaries isolates exactly the nodes the target names; kill:primaries hits
 * them; no primary, or no way to ask, is an error. */
static void primaries(void **state) {
    (void)state;
    fl_nemesis n;
    fake f;
    char err[512];
    setup_nemesis(&n, &f, "partition:primaries", NULL, 0);
    f.primaries = 1u << 2; /* n3 */
    json_t *event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    assert_true(has(json_object_get(event, "primaries"), "n3"));
    for (size_t j = 0; j < 5; j++) {
        const json_t *drop = json_object_get(json_array_get(f.requests[j], 0), "drop");
        if (j == 2) assert_int_equal(json_array_size(drop), 4);
        else assert_true(json_array_size(drop) == 1 && has(drop, addrs[2]));
    }
    json_decref(event);
    fake_free(&f);

    fl_nemesis_process p = {"db", "/w/db.pid", NULL, false};
    setup_nemesis(&n, &f, "kill:primaries", &p, 1);
    f.primaries = 1u << 4;
    event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    assert_int_equal(json_array_size(json_object_get(event, "nodes")), 1);
    assert_true(has(json_object_get(event, "nodes"), "n5"));
    assert_int_equal(json_array_size(f.requests[4]), 1);
    assert_int_equal(json_array_size(f.requests[0]), 0);
    json_decref(event);
    fake_free(&f);

    /* A process whose descendants go with it (a server's forked workers): its stop and
     * its resume both ask for the tree; one without does not say so. */
    fl_nemesis_process tree = {"pg", "/w/pg.pid", NULL, true};
    setup_nemesis(&n, &f, "pause:primaries", &tree, 1);
    f.primaries = 1u << 0;
    event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    const json_t *stop = json_array_get(f.requests[0], 0);
    assert_string_equal(json_string_value(json_object_get(stop, "sig")), "STOP");
    assert_true(json_is_true(json_object_get(stop, "tree")));
    json_decref(event);
    event = fl_nemesis_stop(&n, err, sizeof err);
    assert_non_null(event);
    const json_t *cont = json_array_get(f.requests[0], 1);
    assert_string_equal(json_string_value(json_object_get(cont, "sig")), "CONT");
    assert_true(json_is_true(json_object_get(cont, "tree")));
    json_decref(event);
    fake_free(&f);
    setup_nemesis(&n, &f, "pause:primaries", &p, 1);
    f.primaries = 1u << 0;
    event = fl_nemesis_start(&n, err, sizeof err);
    assert_null(json_object_get(json_array_get(f.requests[0], 0), "tree"));
    json_decref(event);
    fake_free(&f);

    /* One way: the primary drops what it sends to everyone; nobody drops what it sends
     * to the primary. */
    setup_nemesis(&n, &f, "partition:mute-primaries", NULL, 0);
    f.primaries = 1u << 0;
    event = fl_nemesis_start(&n, err, sizeof err);
    assert_non_null(event);
    assert_true(has(json_object_get(event, "primaries"), "n1"));
    for (size_t j = 0; j < 5; j++) {
        const json_t *drop = json_object_get(json_array_get(f.requests[j], 0), "drop");
        assert_int_equal(json_array_size(drop), j == 0 ? 4 : 0);
    }
    json_decref(event);
    fake_free(&f);

    setup_nemesis(&n, &f, "partition:primaries", NULL, 0);
    f.primaries = 0;
    assert_null(fl_nemesis_start(&n, err, sizeof err));
    assert_non_null(strstr(err, "no node is primary"));
    fake_free(&f);

    setup_nemesis(&n, &f, "partition:primaries", NULL, 0);
    n.io.primaries = NULL;
    assert_null(fl_nemesis_start(&n, err, sizeof err));
    assert_non_null(strstr(err, "who is primary"));
    fake_free(&f);
}

/* A package starts its faults one right after another, counts once for --at-once, and
 * stops together, oldest first; other steps start only when their kinds are free. */
static void packages(void **state) {
    (void)state;
    fl_nemesis_process p = {"db", "/w/db.pid", "start-db", false};
    fl_nemesis n;
    fake f;
    char err[512];
    setup_nemesis(&n, &f, "clock:strobe:primaries+partition:primaries,kill:one", &p, 1);
    f.primaries = 1u << 1;
    json_t *a = NULL, *b = NULL;
    /* the first step drawn may be the kill: then the package is the next one */
    for (int tries = 0; tries < 2 && !b; tries++) {
        json_t *e = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(e);
        if (!strcmp(json_string_value(json_object_get(e, "kind")), "kill")) {
            assert_null(json_object_get(e, "package"));
            assert_false(fl_nemesis_package_starting(&n));
            json_decref(e);
            continue;
        }
        a = e;
        assert_string_equal(json_string_value(json_object_get(a, "kind")), "clock");
        assert_true(fl_nemesis_package_starting(&n));
        b = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(b);
        assert_string_equal(json_string_value(json_object_get(b, "kind")), "partition");
        assert_true(has(json_object_get(b, "primaries"), "n2"));
        assert_true(json_equal(json_object_get(a, "package"), json_object_get(b, "package")));
        assert_false(fl_nemesis_package_starting(&n));
    }
    assert_non_null(b);
    size_t before = fl_nemesis_packages_in_force(&n);
    assert_true(before == 1 || before == 2);
    /* stop until the package is gone: its two faults leave together */
    json_t *e;
    while ((e = fl_nemesis_stop(&n, err, sizeof err))) {
        bool clock = !strcmp(json_string_value(json_object_get(e, "kind")), "clock");
        json_decref(e);
        if (clock) {
            assert_true(fl_nemesis_package_stopping(&n));
            e = fl_nemesis_stop(&n, err, sizeof err);
            assert_string_equal(json_string_value(json_object_get(e, "kind")), "partition");
            json_decref(e);
            break;
        }
    }
    assert_false(fl_nemesis_package_stopping(&n));
    json_decref(a);
    json_decref(b);
    fake_free(&f);
}

/* Holds vary from half to one and a half intervals, the same from the same seed. */
static void holds_vary(void **state) {
    (void)state;
    fl_nemesis n, m;
    fake f, g;
    setup_nemesis(&n, &f, "kill", NULL, 0);
    setup_nemesis(&m, &g, "kill", NULL, 0);
    long lo = 1L << 40, hi = 0;
    for (int i = 0; i < 200; i++) {
        long h = fl_nemesis_hold_ms(&n, 4);
        assert_int_equal(h, fl_nemesis_hold_ms(&m, 4));
        lo = h < lo ? h : lo;
        hi = h > hi ? h : hi;
    }
    assert_true(lo >= 2000 && lo < 2400 && hi <= 6000 && hi > 5600);
    fake_free(&f);
    fake_free(&g);
}

/* A fault told nothing of its nodes looks at the primaries about half the time, and at
 * random nodes while there is no primary (not an error). */
static void favours_primaries(void **state) {
    (void)state;
    fl_nemesis n;
    fake f;
    char err[512];
    setup_nemesis(&n, &f, "partition", NULL, 0);
    f.primaries = 1u << 3;
    int isolated = 0;
    for (int i = 0; i < 200; i++) {
        json_t *e = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(e);
        isolated += !strcmp(json_string_value(json_object_get(e, "variant")), "primaries");
        json_decref(e);
        json_decref(fl_nemesis_stop(&n, err, sizeof err));
    }
    assert_true(isolated > 70 && isolated < 130);
    f.primaries = 0;
    for (int i = 0; i < 50; i++) {
        json_t *e = fl_nemesis_start(&n, err, sizeof err);
        assert_non_null(e);
        assert_string_not_equal(json_string_value(json_object_get(e, "variant")), "primaries");
        json_decref(e);
        json_decref(fl_nemesis_stop(&n, err, sizeof err));
    }
    fake_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partition_requests_match_the_grudge),
        cmocka_unit_test(kill_pause_and_clock),
        cmocka_unit_test(partly_applied),
        cmocka_unit_test(refusals),
        cmocka_unit_test(netem_requests),
        cmocka_unit_test(netem_targets),
        cmocka_unit_test(primaries),
        cmocka_unit_test(packages),
        cmocka_unit_test(holds_vary),
        cmocka_unit_test(favours_primaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
