/* The fencing checker (checkers/fencing/fencing.h) on hand-written lock histories:
 * correct runs (stale tokens rejected, a stalled holder fenced out), stale accesses
 * accepted (ordered by seq either way round, and by real time when replies carry no
 * seq), false rejections, lost and phantom increments, unknown writes widening the
 * bounds, no final value (unknown), malformed tokens refused, nemesis ops ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checkers.h"
#include "fencing.h"
#include "history.h"
#include "history_testing.h"

/* JSONL events of key K at ms milliseconds (a literal above 0); `rest` adds fields. */
#define EVK(p, type, f, k, ms, rest)                                                      \
    "{\"process\":" #p ",\"type\":\"" type "\",\"f\":\"" f "\",\"key\":\"" k              \
    "\",\"time\":" #ms "000000" rest "}\n"
#define EV(p, type, f, ms, rest) EVK(p, type, f, "x", ms, rest)
#define ACQ(p, tok, ms0, ms1)                                                              \
    EV(p, "invoke", "acquire", ms0, ",\"value\":{\"holder\":\"w" #p "\"}")                  \
    EV(p, "ok", "acquire", ms1,                                                            \
       ",\"value\":{\"token\":" #tok ",\"expires_ms\":9,\"node\":\"n1\",\"term\":2}")
#define R_I(p, tok, ms) EV(p, "invoke", "read", ms, ",\"value\":{\"token\":" #tok "}")
#define R_OK(p, tok, v, seq, ms)                                                           \
    EV(p, "ok", "read", ms, ",\"value\":{\"token\":" #tok ",\"value\":" #v                  \
       ",\"fence\":" #tok ",\"seq\":" #seq "}")
#define R_OK_NOSEQ(p, tok, v, ms)                                                          \
    EV(p, "ok", "read", ms, ",\"value\":{\"token\":" #tok ",\"value\":" #v "}")
#define W_I(p, tok, v, ms)                                                                 \
    EV(p, "invoke", "write", ms, ",\"value\":{\"token\":" #tok ",\"value\":" #v "}")
#define W_I_PAUSED(p, tok, v, paused, ms)                                                  \
    EV(p, "invoke", "write", ms,                                                           \
       ",\"value\":{\"token\":" #tok ",\"value\":" #v ",\"paused_ms\":" #paused "}")
#define W_OK(p, tok, v, seq, ms)                                                           \
    EV(p, "ok", "write", ms, ",\"value\":{\"token\":" #tok ",\"value\":" #v                 \
       ",\"fence\":" #tok ",\"seq\":" #seq "}")
#define W_OK_NOSEQ(p, tok, v, ms)                                                          \
    EV(p, "ok", "write", ms, ",\"value\":{\"token\":" #tok ",\"value\":" #v "}")
#define REJ(p, f, fence, seq, ms)                                                          \
    EV(p, "fail", f, ms,                                                                   \
       ",\"error\":\"stale-token\",\"value\":{\"fence\":" #fence ",\"seq\":" #seq "}")
#define INFO(p, f, ms) EV(p, "info", f, ms, "")
#define PEEK(p, v, ms0, ms1)                                                               \
    EV(p, "invoke", "peek", ms0, "") EV(p, "ok", "peek", ms1, ",\"value\":{\"value\":" #v "}")
#define NEMESIS(ms)                                                                        \
    "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-start\",\"time\":" #ms       \
    "000000,\"value\":{\"nodes\":[\"n1\"]}}\n"
/* A whole critical section of process p with token tok: read r (seq s0), write r + 1
 * = w (seq s1), release; at ms0 .. ms0 + 7 given as four pairs of literals. */
#define SECTION(p, tok, r, w, s0, s1, a0, a1, b0, b1, c0, c1, d0, d1)                      \
    ACQ(p, tok, a0, a1) R_I(p, tok, b0) R_OK(p, tok, r, s0, b1) W_I(p, tok, w, c0)          \
    W_OK(p, tok, w, s1, c1)                                                                \
    EV(p, "invoke", "release", d0, ",\"value\":{\"holder\":\"w\",\"token\":" #tok "}")      \
    EV(p, "ok", "release", d1, "")

typedef struct run {
    fl_history *h;
    json_t *result; /* NULL when the checker refused the history (err set) */
    fl_error err;
} run;

/* The checker on text (JSON Lines, paired); a refusal fails the test unless
 * refusal_expected, and then an acceptance does. */
static run check_as(const char *text, bool refusal_expected) {
    run r = {.h = jsonl_ok(text)};
    if (fl_history_pair(r.h, &r.err) != FL_READ_OK) fail_msg("does not pair: %s", r.err.message);
    r.result = fl_check_fencing(r.h, &r.err);
    char msg[1024];
    fl_error_format(&r.err, msg, sizeof msg);
    if (!r.result && !refusal_expected) fail_msg("the checker refused the history: %s", msg);
    if (r.result && refusal_expected) fail_msg("the checker took a history it should refuse");
    return r;
}

#define check(text) check_as(text, false)
#define refuse(text) check_as(text, true)

static void run_free(run *r) {
    json_decref(r->result);
    fl_history_free(r->h);
}

static const json_t *field(const json_t *o, const char *name) {
    const json_t *v = json_object_get(o, name);
    if (!v) {
        char *s = json_dumps(o, JSON_COMPACT);
        print_error("no %s in %s\n", name, s ? s : "?");
        free(s);
        fail();
    }
    return v;
}

static int verdict(const run *r) { return verdict_of(field(r->result, "valid")); }

static json_int_t num(const json_t *o, const char *name) {
    const json_t *v = field(o, name);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const json_t *key0(const run *r) { return json_array_get(field(r->result, "keys"), 0); }

static const json_t *anomaly(const run *r, size_t i) {
    const json_t *a = json_array_get(field(r->result, "anomalies"), i);
    if (!a) fail_msg("no anomaly %zu", i);
    return a;
}

static const char *explanation(const run *r, size_t i) {
    return json_string_value(field(anomaly(r, i), "explanation"));
}

static void assert_contains(const char *text, const char *needle) {
    if (!text || !strstr(text, needle))
        fail_msg("\"%s\" does not contain \"%s\"", text ? text : "(null)", needle);
}

/* The index (in the history) of the op i of anomaly a. */
static json_int_t anomaly_op(const run *r, size_t a, size_t i) {
    const json_t *op = json_array_get(field(anomaly(r, a), "ops"), i);
    if (!op) fail_msg("anomaly %zu has no op %zu", a, i);
    return num(op, "index");
}

/* Two holders in turn, and one (p2, token 4) that stalled past its lease: its write
 * comes after token 6 was granted and is rejected. Nemesis events in between, one of
 * them named like a client op, are ignored. */
static const char *const correct_run =
    SECTION(0, 3, null, 1, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8)
    ACQ(2, 4, 10, 11) R_I(2, 4, 12) R_OK(2, 4, 1, 3, 13)
    NEMESIS(14)
    "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"write\",\"time\":15000000}\n"
    SECTION(1, 6, 1, 2, 4, 5, 20, 21, 22, 23, 24, 25, 26, 27)
    W_I_PAUSED(2, 4, 2, 3000, 30) REJ(2, "write", 6, 6, 31)
    PEEK(3, 2, 40, 41);

static void correct_run_is_valid(void **state) {
    (void)state;
    run r = check(correct_run);
    assert_int_equal(verdict(&r), 1);
    assert_int_equal(num(r.result, "anomaly_count"), 0);
    assert_int_equal(json_array_size(field(r.result, "anomaly-types")), 0);
    assert_int_equal(num(r.result, "accepted_count"), 5);
    assert_int_equal(num(r.result, "rejected_count"), 1);
    assert_int_equal(num(r.result, "acquire_count"), 3);
    const json_t *k = key0(&r);
    assert_string_equal(json_string_value(field(k, "order")), "seq");
    assert_int_equal(num(k, "distinct_tokens"), 3);
    const json_t *inc = field(k, "increments");
    assert_int_equal(verdict_of(field(inc, "valid")), 1);
    assert_int_equal(num(inc, "acknowledged"), 2);
    assert_int_equal(num(inc, "unknown"), 0);
    assert_int_equal(num(inc, "final"), 2);
    const json_t *stalled = field(r.result, "stalled-holders");
    assert_int_equal(num(stalled, "count"), 1);
    assert_int_equal(num(stalled, "rejected"), 1);
    assert_int_equal(num(stalled, "accepted"), 0);
    const json_t *s0 = json_array_get(field(stalled, "accesses"), 0);
    assert_int_equal(num(s0, "token"), 4);
    assert_int_equal(num(s0, "newer_token"), 6);
    assert_int_equal(num(s0, "paused_ms"), 3000);
    assert_int_equal(num(field(s0, "op"), "index"), 22);
    run_free(&r);
}

/* The example of DESIGN.md's contract: p3 (token 7) read, stalled, and its write was
 * accepted after p5's token-12 read and write: p5's increment is undone. */
static void stale_write_accepted_by_seq(void **state) {
    (void)state;
    run r = check(ACQ(3, 7, 1000, 1100) R_I(3, 7, 1200) R_OK(3, 7, 0, 1, 1300)
                  ACQ(5, 12, 10500, 10600) R_I(5, 12, 10700) R_OK(5, 12, 0, 2, 10800)
                  W_I(5, 12, 1, 11500) W_OK(5, 12, 1, 3, 11900)
                  W_I(3, 7, 1, 12300) W_OK(3, 7, 1, 4, 12400) PEEK(9, 1, 13000, 13100));
    assert_int_equal(verdict(&r), 0);
    assert_int_equal(num(r.result, "anomaly_count"), 2);
    assert_json(field(r.result, "anomaly-types"), "[\"stale-accepted\", \"lost-increments\"]");
    assert_string_equal(json_string_value(field(anomaly(&r, 0), "type")), "stale-accepted");
    assert_string_equal(json_string_value(field(anomaly(&r, 0), "key")), "x");
    assert_string_equal(explanation(&r, 0),
                        "p3 wrote 1 with token 7 (op 10, invoked at 12.30 s, accepted at "
                        "12.40 s, fence 7, seq 4), after p5's token-12 write (op 8, 11.50 s "
                        "to 11.90 s) was accepted (seq 3 < 4): p5's increment was undone. "
                        "Why two holders: p3's token-7 lease had run out when token 12 was "
                        "granted: only the storage's fence could stop its late access");
    assert_string_equal(json_string_value(field(anomaly(&r, 0), "overlap")), "expired-lease");
    assert_int_equal(anomaly_op(&r, 0, 0), 10);
    assert_int_equal(anomaly_op(&r, 0, 1), 8);
    assert_contains(explanation(&r, 1), "below the 2 writes acknowledged before it began: "
                                        "at least 1 acknowledged increments were lost");
    assert_int_equal(num(field(r.result, "stalled-holders"), "accepted"), 1);
    run_free(&r);
}

/* A grant as lockd replies it: token, term, how long its leader had led, the lease. */
#define ACQ_AS(p, tok, term, led, ms0, ms1)                                                \
    EV(p, "invoke", "acquire", ms0, ",\"value\":{\"holder\":\"w" #p "\"}")                  \
    EV(p, "ok", "acquire", ms1,                                                            \
       ",\"value\":{\"token\":" #tok ",\"expires_ms\":9,\"node\":\"n" #term "\",\"term\":" #term \
       ",\"leader_for_ms\":" #led ",\"ttl_ms\":1000,\"granted_ms\":5}")
/* p3's token-7 lease (term 2) and p5's token-12 grant 300 ms later, its stale write after
 * p5's: the grant's term and leadership say why they overlapped. */
#define OVERLAP(term5, led5, paused)                                                       \
    ACQ_AS(3, 7, 2, 5000, 1000, 1100) R_I(3, 7, 1200) R_OK(3, 7, 0, 1, 1250)                \
    ACQ_AS(5, 12, term5, led5, 1300, 1400) R_I(5, 12, 1450) R_OK(5, 12, 0, 2, 1500)         \
    W_I(5, 12, 1, 1550) W_OK(5, 12, 1, 3, 1600)                                            \
    W_I_PAUSED(3, 7, 1, paused, 1700) W_OK(3, 7, 1, 4, 1750) PEEK(9, 1, 3000, 3100)

static const char *overlap_of(const char *text) {
    static char code[32];
    run r = check(text);
    snprintf(code, sizeof code, "%s", json_string_value(field(anomaly(&r, 0), "overlap")));
    assert_contains(explanation(&r, 0), "Why two holders: ");
    run_free(&r);
    return code;
}

/* Inside the old lease's ttl of real time: a new leader that had led for 200 ms granted
 * early; the same leader (or one that had led long) judged by its clock. Past the ttl, a
 * write that says it paused is the holder outliving its lease. */
static void overlap_explained(void **state) {
    (void)state;
    assert_string_equal(overlap_of(OVERLAP(3, 200, 0)), "early-grant");
    run r = check(OVERLAP(3, 200, 0));
    assert_contains(explanation(&r, 0), "token 12 was granted by n3 in term 3 only 200 ms "
                                        "after it became leader");
    /* The lock service's own fault, whatever the storage did: one grant inside a lease. */
    const json_t *overlaps = field(r.result, "lease-overlaps");
    assert_int_equal(num(overlaps, "count"), 1);
    assert_json(field(overlaps, "reasons"), "{\"early-grant\": 1}");
    run_free(&r);
    /* Given back before the next grant: no overlap. */
    run g = check(ACQ_AS(3, 7, 2, 5000, 1000, 1100)
                  EV(3, "invoke", "release", 1200, ",\"value\":{\"holder\":\"w3\",\"token\":7}")
                  EV(3, "ok", "release", 1250, "") ACQ_AS(5, 12, 3, 200, 1300, 1400)
                  PEEK(9, 0, 3000, 3100));
    assert_int_equal(num(field(g.result, "lease-overlaps"), "count"), 0);
    run_free(&g);
    assert_string_equal(overlap_of(OVERLAP(2, 9000, 0)), "clock-skew");
    assert_string_equal(overlap_of(OVERLAP(3, 5000, 0)), "clock-skew");
    run q = check(ACQ_AS(3, 7, 2, 5000, 1000, 1100) R_I(3, 7, 1200) R_OK(3, 7, 0, 1, 1250)
                  ACQ_AS(5, 12, 2, 9000, 2300, 2400) R_I(5, 12, 2450) R_OK(5, 12, 0, 2, 2500)
                  W_I(5, 12, 1, 2550) W_OK(5, 12, 1, 3, 2600)
                  W_I_PAUSED(3, 7, 1, 1400, 2700) W_OK(3, 7, 1, 4, 2750) PEEK(9, 1, 3000, 3100));
    assert_string_equal(json_string_value(field(anomaly(&q, 0), "overlap")), "paused-past-lease");
    assert_contains(explanation(&q, 0), "p3 stalled 1400 ms (past its lease)");
    run_free(&q);
}

/* Two concurrent writes: the storage's seq alone says which it decided first. */
#define CONCURRENT(seq_low, seq_high)                                                      \
    W_I(1, 4, 1, 10) W_I(2, 6, 1, 11) W_OK(1, 4, 1, seq_low, 12) W_OK(2, 6, 1, seq_high, 13) \
    PEEK(9, 2, 20, 21)

static void seq_decides_either_order(void **state) {
    (void)state;
    run r = check(CONCURRENT(4, 3)); /* token 6 first: token 4 accepted after it */
    assert_int_equal(verdict(&r), 0);
    assert_json(field(r.result, "anomaly-types"), "[\"stale-accepted\"]");
    assert_contains(explanation(&r, 0), "p1 wrote 1 with token 4");
    assert_contains(explanation(&r, 0), "after p2's token-6 write (op 1, 0.01 s to 0.01 s) was "
                                        "accepted (seq 3 < 4): p2's increment was undone");
    run_free(&r);
    r = check(CONCURRENT(3, 4)); /* token 4 first, then 6: as fencing wants */
    assert_int_equal(verdict(&r), 1);
    assert_string_equal(json_string_value(field(key0(&r), "order")), "seq");
    run_free(&r);
}

/* Replies without seq: only real time orders them, and only when one op completed
 * before the other began. */
static void real_time_without_seq(void **state) {
    (void)state;
    run r = check(W_I(1, 6, 1, 10) W_OK_NOSEQ(1, 6, 1, 20) W_I(2, 4, 2, 26)
                  W_OK_NOSEQ(2, 4, 2, 30) PEEK(9, 2, 40, 41));
    assert_int_equal(verdict(&r), 0);
    assert_json(field(r.result, "anomaly-types"), "[\"stale-accepted\"]");
    assert_string_equal(json_string_value(field(key0(&r), "order")), "real-time");
    assert_contains(explanation(&r, 0), "p2 wrote 2 with token 4 (op 2, invoked at 0.03 s, "
                                        "accepted at 0.03 s)");
    assert_contains(explanation(&r, 0), "(it completed before op 2 was invoked): p1's "
                                        "increment was undone");
    run_free(&r);
    /* Overlapping: the storage may have decided token 4 first. */
    r = check(W_I(1, 6, 1, 10) W_I(2, 4, 2, 15) W_OK_NOSEQ(1, 6, 1, 20)
              W_OK_NOSEQ(2, 4, 2, 30) PEEK(9, 2, 40, 41));
    assert_int_equal(verdict(&r), 1);
    assert_string_equal(json_string_value(field(key0(&r), "order")), "real-time");
    run_free(&r);
    /* One decision without seq is enough to fall back to real time. */
    r = check(W_I(1, 6, 1, 10) W_OK(1, 6, 1, 1, 20) W_I(2, 4, 2, 25)
              W_OK_NOSEQ(2, 4, 2, 30) PEEK(9, 2, 40, 41));
    assert_int_equal(verdict(&r), 0);
    assert_string_equal(json_string_value(field(key0(&r), "order")), "real-time");
    run_free(&r);
}

static void false_rejection_is_an_anomaly(void **state) {
    (void)state;
    run r = check(ACQ(1, 3, 1, 2) R_I(1, 3, 3) R_OK(1, 3, 0, 1, 4) W_I(1, 3, 1, 6)
                  W_OK(1, 3, 1, 2, 7) ACQ(2, 5, 10, 11) R_I(2, 5, 12)
                  REJ(2, "read", 3, 3, 13) R_I(4, 3, 14) REJ(4, "read", 3, 4, 15)
                  PEEK(9, 1, 20, 21));
    assert_int_equal(verdict(&r), 0);
    assert_int_equal(num(r.result, "anomaly_count"), 2);
    assert_json(field(r.result, "anomaly-types"), "[\"false-rejection\"]");
    assert_string_equal(explanation(&r, 0),
                        "p2 read with token 5 (op 8, invoked at 0.01 s, rejected at 0.01 s, "
                        "fence 3, seq 3), though no access with a higher token had been "
                        "accepted or was in doubt before it: the highest was p1's token-3 "
                        "write (op 4, 0.01 s to 0.01 s), accepted (seq 2 < 3)");
    assert_int_equal(anomaly_op(&r, 0, 0), 8);
    assert_int_equal(anomaly_op(&r, 0, 1), 4);
    /* A token equal to the fence passes it: rejecting it is false too. */
    assert_contains(explanation(&r, 1), "p4 read with token 3");
    run_free(&r);
    /* Nothing accepted before: no fence at all. */
    r = check(R_I(1, 2, 1) REJ(1, "read", 0, 1, 2) R_I(2, 3, 3) R_OK(2, 3, 0, 2, 4));
    assert_int_equal(verdict(&r), 0);
    assert_contains(explanation(&r, 0), "no access had been accepted or was in doubt");
    run_free(&r);
}

/* p1's token-7 write ended in doubt before p2's token-6 read was rejected: it may have
 * raised the fence, so the rejection stands; and it may have incremented. */
#define IN_DOUBT(final)                                                                    \
    W_I(1, 7, 1, 1) INFO(1, "write", 2) R_I(2, 6, 3) REJ(2, "read", 7, 1, 4)               \
    R_I(3, 8, 5) R_OK(3, 8, 1, 2, 6) W_I(3, 8, 2, 7) W_OK(3, 8, 2, 3, 8) PEEK(9, final, 10, 11)

static void unknown_writes_widen_the_bounds(void **state) {
    (void)state;
    run r = check(IN_DOUBT(2));
    assert_int_equal(verdict(&r), 1);
    const json_t *inc = field(key0(&r), "increments");
    assert_int_equal(num(inc, "acknowledged"), 1);
    assert_int_equal(num(inc, "unknown"), 1);
    assert_int_equal(num(key0(&r), "unknown"), 1);
    run_free(&r);
    r = check(IN_DOUBT(1)); /* the unknown write did not happen: fine too */
    assert_int_equal(verdict(&r), 1);
    run_free(&r);
}

static void lost_and_phantom_increments(void **state) {
    (void)state;
#define THREE_SECTIONS                                                                     \
    SECTION(0, 3, 0, 1, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8)                                      \
    SECTION(1, 5, 1, 2, 3, 4, 11, 12, 13, 14, 15, 16, 17, 18)                              \
    SECTION(2, 6, 2, 3, 5, 6, 21, 22, 23, 24, 25, 26, 27, 28)
    run r = check(THREE_SECTIONS PEEK(9, 2, 30, 31));
    assert_int_equal(verdict(&r), 0);
    assert_json(field(r.result, "anomaly-types"), "[\"lost-increments\"]");
    assert_string_equal(explanation(&r, 0),
                        "the final value of \"x\" is 2 (p9's peek, op 24, at 0.03 s), below "
                        "the 3 writes acknowledged before it began: at least 1 acknowledged "
                        "increments were lost");
    assert_int_equal(anomaly_op(&r, 0, 0), 24);
    run_free(&r);
    r = check(THREE_SECTIONS PEEK(9, 5, 30, 31));
    assert_int_equal(verdict(&r), 0);
    assert_json(field(r.result, "anomaly-types"), "[\"phantom-increments\"]");
    assert_contains(explanation(&r, 0), "above the 3 acknowledged writes plus 0 that may "
                                        "have taken effect: at least 2 increments");
    run_free(&r);
    r = check(IN_DOUBT(3)); /* one more than acknowledged + unknown */
    assert_int_equal(verdict(&r), 0);
    assert_json(field(r.result, "anomaly-types"), "[\"phantom-increments\"]");
    run_free(&r);
    /* Without a peek the last ok read is the final value. */
    r = check(THREE_SECTIONS R_I(4, 6, 30) R_OK(4, 6, 3, 7, 31));
    assert_int_equal(verdict(&r), 1);
    run_free(&r);
#undef THREE_SECTIONS
}

static void no_final_value_is_unknown(void **state) {
    (void)state;
    run r = check(ACQ(1, 3, 1, 2) W_I(1, 3, 1, 3) W_OK(1, 3, 1, 1, 4));
    assert_int_equal(verdict(&r), -1);
    assert_contains(json_string_value(field(r.result, "reason")), "could not be judged");
    const json_t *inc = field(key0(&r), "increments");
    assert_int_equal(verdict_of(field(inc, "valid")), -1);
    assert_true(json_is_null(field(inc, "final")));
    assert_contains(json_string_value(field(inc, "reason")), "final value is unknown");
    run_free(&r);
    /* Nothing accepted at all: nothing to judge. */
    r = check(ACQ(1, 3, 1, 2) R_I(1, 3, 3) INFO(1, "read", 4));
    assert_int_equal(verdict(&r), -1);
    assert_contains(json_string_value(field(r.result, "reason")), "no read or write was accepted");
    run_free(&r);
}

static void malformed_tokens_are_refused(void **state) {
    (void)state;
    run r = refuse(EV(1, "invoke", "read", 1, ",\"value\":{}")
                       EV(1, "ok", "read", 2, ",\"value\":{\"value\":1}"));
    assert_null(r.result);
    assert_contains(r.err.message, "read (index 0) of process 1 has no \"token\"");
    run_free(&r);
    r = refuse(R_I(1, 3, 1) R_OK(1, 3, 0, 1, 2) W_I(1, "3", 1, 3));
    assert_null(r.result);
    assert_contains(r.err.message, "write (index 2) of process 1: its \"token\" is not an "
                                   "integer");
    run_free(&r);
    r = refuse(W_I(1, 3, 1, 1) EV(1, "ok", "write", 2, ",\"value\":{\"seq\":\"x\"}"));
    assert_null(r.result);
    assert_contains(r.err.message, "(index 1) of process 1: its \"seq\" is not an integer");
    run_free(&r);
    r = refuse(W_I(1, 3, 1, 1) W_OK(1, 3, 1, 1, 2) EV(9, "invoke", "peek", 3, "")
                   EV(9, "ok", "peek", 4, ",\"value\":{\"value\":\"many\"}"));
    assert_null(r.result);
    assert_contains(r.err.message, "ok peek (index 3) of process 9: the value it read is "
                                   "not an integer");
    run_free(&r);
}

static void no_client_ops_is_valid(void **state) {
    (void)state;
    run r = check(NEMESIS(1) NEMESIS(2));
    assert_int_equal(verdict(&r), 1);
    assert_string_equal(json_string_value(field(r.result, "note")), "no client ops");
    run_free(&r);
    r = check("");
    assert_int_equal(verdict(&r), 1);
    run_free(&r);
}

/* Resources apart: a stale write on y says nothing about x. */
static void resources_apart(void **state) {
    (void)state;
    run r = check(W_I(1, 6, 1, 1) W_OK(1, 6, 1, 1, 2)
                  EVK(2, "invoke", "write", "y", 3, ",\"value\":{\"token\":9,\"value\":1}")
                  EVK(2, "ok", "write", "y", 4, ",\"value\":{\"token\":9,\"value\":1,\"seq\":1}")
                  EVK(3, "invoke", "write", "y", 5, ",\"value\":{\"token\":4,\"value\":2}")
                  EVK(3, "ok", "write", "y", 6, ",\"value\":{\"token\":4,\"value\":2,\"seq\":2}")
                  W_I(4, 4, 2, 7) W_OK(4, 4, 2, 2, 8) PEEK(9, 2, 10, 11)
                  EVK(9, "invoke", "peek", "y", 12, "")
                  EVK(9, "ok", "peek", "y", 13, ",\"value\":{\"value\":2}"));
    assert_int_equal(verdict(&r), 0);
    /* x: token 4 after 6 is stale too; y: token 4 after 9. One each. */
    assert_int_equal(num(r.result, "anomaly_count"), 2);
    assert_string_equal(json_string_value(field(anomaly(&r, 0), "key")), "x");
    assert_string_equal(json_string_value(field(anomaly(&r, 1), "key")), "y");
    assert_int_equal(num(r.result, "key_count"), 2);
    run_free(&r);
}

static void registered(void **state) {
    (void)state;
    const fl_checker_def *def = fl_checker_find("fencing");
    assert_non_null(def);
    assert_false(def->reads_logs);
    fl_history *h = jsonl_ok(correct_run);
    fl_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(fl_history_pair(h, &err), FL_READ_OK);
    fl_checker_options o;
    memset(&o, 0, sizeof o);
    json_t *results = json_object();
    assert_int_equal(fl_checker_run_into(def, h, &o, results, &err), 0);
    assert_true(json_is_true(json_object_get(results, "valid")));
    assert_non_null(json_object_get(json_object_get(results, "checkers"), "fencing"));
    json_decref(results);
    fl_history_free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(correct_run_is_valid),
        cmocka_unit_test(stale_write_accepted_by_seq),
        cmocka_unit_test(overlap_explained),
        cmocka_unit_test(seq_decides_either_order),
        cmocka_unit_test(real_time_without_seq),
        cmocka_unit_test(false_rejection_is_an_anomaly),
        cmocka_unit_test(unknown_writes_widen_the_bounds),
        cmocka_unit_test(lost_and_phantom_increments),
        cmocka_unit_test(no_final_value_is_unknown),
        cmocka_unit_test(malformed_tokens_are_refused),
        cmocka_unit_test(no_client_ops_is_valid),
        cmocka_unit_test(resources_apart),
        cmocka_unit_test(registered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
