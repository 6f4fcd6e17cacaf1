/* Property tests of the txn checker (checkers/txn): random histories of a store that runs
 * each transaction atomically between its invocation and completion (some fail, some
 * crash with their effects applied or not) are valid at strict-serializable, for
 * list-append and rw-register alike; and with one anomaly planted among them — a few
 * transactions on keys of their own, at random places — the checker finds that anomaly
 * (or one that implies it), says invalid, and certifies what it reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "history_testing.h"
#include "txn.h"

#define KEYS 3
#define PROCS 4
#define TXNS 30

static uint64_t rng;
static unsigned rnd(unsigned n) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng >> 33) % n);
}

typedef struct mop { char f; int key; int value; } mop; /* f: 'a' append, 'w' write, 'r' read */

typedef struct store {
    bool list;
    int elems[KEYS][64], len[KEYS]; /* list-append */
    int reg[KEYS];                  /* rw-register: 0 = nil */
    int next[KEYS];
} store;

typedef struct proc {
    int state; /* 0 idle, 1 invoked, 2 executed */
    int process, n, fate; /* fate: 0 ok, 1 fail, 2 crash-applied, 3 crash-not-applied */
    mop m[4];
    char reads[4][512];
} proc;

/* A read's value as JSON: the list, or the register (nil: null). */
static void read_now(const store *s, const proc *p, int i, char *out, size_t cap) {
    int k = p->m[i].key;
    if (!s->list) {
        /* its own last write first */
        int v = s->reg[k];
        for (int j = 0; j < i; j++) if (p->m[j].f == 'w' && p->m[j].key == k) v = p->m[j].value;
        if (v) snprintf(out, cap, "%d", v);
        else snprintf(out, cap, "null");
        return;
    }
    size_t len = (size_t)snprintf(out, cap, "[");
    int n = 0;
    for (int e = 0; e < s->len[k]; e++) len += (size_t)snprintf(out + len, cap - len, "%s%d", n++ ? "," : "", s->elems[k][e]);
    for (int j = 0; j < i; j++)
        if (p->m[j].f == 'a' && p->m[j].key == k) len += (size_t)snprintf(out + len, cap - len, "%s%d", n++ ? "," : "", p->m[j].value);
    snprintf(out + len, cap - len, "]");
    if (!n) snprintf(out, cap, "null");
}

static void execute(store *s, proc *p) {
    for (int i = 0; i < p->n; i++)
        if (p->m[i].f == 'r') read_now(s, p, i, p->reads[i], sizeof p->reads[i]);
    for (int i = 0; i < p->n; i++) {
        int k = p->m[i].key;
        if (p->m[i].f == 'a' && s->len[k] < 64) s->elems[k][s->len[k]++] = p->m[i].value;
        if (p->m[i].f == 'w') s->reg[k] = p->m[i].value;
    }
}

static void emit(text_buf *t, int process, const char *type, const proc *p, bool reads) {
    text_put(t, "{\"process\":%d,\"type\":\"%s\",\"f\":\"txn\",\"value\":[", process, type);
    for (int i = 0; i < p->n; i++) {
        const mop *m = &p->m[i];
        if (m->f == 'r') text_put(t, "%s[\"r\",\"k%d\",%s]", i ? "," : "", m->key, reads ? p->reads[i] : "null");
        else text_put(t, "%s[\"%s\",\"k%d\",%d]", i ? "," : "", m->f == 'a' ? "append" : "w", m->key, m->value);
    }
    text_put(t, "]}\n");
}

/* One serial history into lines (each line a NUL-separated piece of t, starts[] its
 * offsets), so planted txns can go between any two lines. */
static size_t serial_history(bool list, text_buf *t, size_t *starts, size_t max_lines) {
    store s = {.list = list};
    proc ps[PROCS] = {{0}};
    for (int i = 0; i < PROCS; i++) ps[i].process = i;
    int started = 0, done = 0;
    size_t lines = 0;
    while (done < TXNS && lines + 2 < max_lines) {
        proc *p = &ps[rnd(PROCS)];
        if (p->state == 0) {
            if (started == TXNS) continue;
            started++;
            p->n = 1 + (int)rnd(4);
            for (int i = 0; i < p->n; i++) {
                p->m[i].key = (int)rnd(KEYS);
                p->m[i].f = rnd(2) ? 'r' : list ? 'a' : 'w';
                if (p->m[i].f != 'r') p->m[i].value = ++s.next[p->m[i].key];
            }
            unsigned r = rnd(20);
            p->fate = r < 2 ? 1 : r == 2 ? 2 : r == 3 ? 3 : 0;
            starts[lines++] = t->len;
            emit(t, p->process, "invoke", p, false);
            p->state = 1;
        } else if (p->state == 1) {
            if (p->fate == 0 || p->fate == 2) execute(&s, p);
            p->state = 2;
        } else {
            starts[lines++] = t->len;
            const char *type = p->fate == 0 ? "ok" : p->fate == 1 ? "fail" : "info";
            emit(t, p->process, type, p, p->fate == 0);
            if (p->fate >= 2) p->process += PROCS; /* a crashed process comes back anew */
            p->state = 0;
            done++;
        }
    }
    return lines;
}

/* A planted anomaly: its transactions (JSON values), each line "TYPE|VALUE". */
typedef struct gadget {
    const char *name;   /* the anomaly the checker must find */
    bool list;
    const char *txns[5];
} gadget;

static const gadget gadgets[] = {
    {"G0", true, {"ok|[[\"append\",\"ga\",1],[\"append\",\"gb\",1]]", "ok|[[\"append\",\"ga\",2],[\"append\",\"gb\",2]]",
                  "ok|[[\"r\",\"ga\",[1,2]]]", "ok|[[\"r\",\"gb\",[2,1]]]"}},
    {"G1c", true, {"ok|[[\"append\",\"ga\",1],[\"r\",\"gb\",[1]]]", "ok|[[\"append\",\"gb\",1],[\"r\",\"ga\",[1]]]"}},
    {"G-single-item", true, {"ok|[[\"append\",\"ga\",1]]", "ok|[[\"r\",\"ga\",[1]],[\"append\",\"gb\",1]]",
                             "ok|[[\"r\",\"gb\",[1]],[\"r\",\"ga\",null]]"}},
    {"G2-item", true, {"ok|[[\"r\",\"ga\",null],[\"append\",\"gb\",1]]", "ok|[[\"r\",\"gb\",null],[\"append\",\"ga\",1]]",
                       "ok|[[\"r\",\"ga\",[1]],[\"r\",\"gb\",[1]]]"}},
    {"G1a", true, {"fail|[[\"append\",\"ga\",1]]", "ok|[[\"r\",\"ga\",[1]]]"}},
    {"G1b", true, {"ok|[[\"append\",\"ga\",1],[\"append\",\"ga\",2]]", "ok|[[\"r\",\"ga\",[1]]]"}},
    {"internal", true, {"ok|[[\"append\",\"ga\",1],[\"r\",\"ga\",null]]"}},
    {"future-read", true, {"ok|[[\"r\",\"ga\",[1]],[\"append\",\"ga\",1]]"}},
    {"duplicate-elements", true, {"ok|[[\"append\",\"ga\",1]]", "ok|[[\"r\",\"ga\",[1,1]]]"}},
    {"lost-update", true, {"ok|[[\"r\",\"ga\",null],[\"append\",\"ga\",1]]", "ok|[[\"r\",\"ga\",null],[\"append\",\"ga\",2]]",
                           "ok|[[\"r\",\"ga\",[1,2]]]"}},
    {"dirty-update", true, {"fail|[[\"append\",\"ga\",1]]", "ok|[[\"append\",\"ga\",2]]", "ok|[[\"r\",\"ga\",[1,2]]]"}},
    {"incompatible-order", true, {"ok|[[\"append\",\"ga\",1]]", "ok|[[\"append\",\"ga\",2]]", "ok|[[\"r\",\"ga\",[1,2]]]",
                                  "ok|[[\"r\",\"ga\",[2,1]]]"}},
    {"garbage-read", true, {"ok|[[\"r\",\"ga\",[7]]]"}},
    {"G1a", false, {"fail|[[\"w\",\"ga\",1]]", "ok|[[\"r\",\"ga\",1]]"}},
    {"G1b", false, {"ok|[[\"w\",\"ga\",1],[\"w\",\"ga\",2]]", "ok|[[\"r\",\"ga\",1]]"}},
    {"lost-update", false, {"ok|[[\"r\",\"ga\",null],[\"w\",\"ga\",1]]", "ok|[[\"r\",\"ga\",null],[\"w\",\"ga\",2]]"}},
    {"G-single-item", false, {"ok|[[\"w\",\"ga\",1],[\"w\",\"gb\",1]]", "ok|[[\"r\",\"ga\",1],[\"r\",\"gb\",null]]"}},
    {"internal", false, {"ok|[[\"w\",\"ga\",1],[\"r\",\"ga\",null]]"}},
    {"garbage-read", false, {"ok|[[\"r\",\"ga\",9]]"}},
};

/* The serial history with the gadget's txns put between random lines, each its own
 * process (a value with reads for the invocation: nulls in place of read values would
 * need a parser here; the checker takes a txn's reads from its completion). */
static json_t *check(bool list, const gadget *g, bool certify) {
    text_buf t = {0};
    size_t starts[4 * TXNS + 8];
    size_t lines = serial_history(list, &t, starts, sizeof starts / sizeof starts[0]);
    text_buf out = {0};
    size_t at[5] = {0};
    size_t n = 0;
    if (g)
        for (; n < 5 && g->txns[n]; n++) at[n] = rnd((unsigned)lines + 1);
    for (size_t line = 0; line <= lines; line++) {
        for (size_t j = 0; j < n; j++) {
            if (at[j] != line) continue;
            const char *bar = strchr(g->txns[j], '|');
            text_put(&out, "{\"process\":%zu,\"type\":\"invoke\",\"f\":\"txn\",\"value\":%s}\n", 1000 + j, bar + 1);
            text_put(&out, "{\"process\":%zu,\"type\":\"%.*s\",\"f\":\"txn\",\"value\":%s}\n", 1000 + j,
                (int)(bar - g->txns[j]), g->txns[j], bar + 1);
        }
        if (line < lines) {
            size_t end = line + 1 < lines ? starts[line + 1] : t.len;
            text_put(&out, "%.*s", (int)(end - starts[line]), t.s + starts[line]);
        }
    }
    fl_history *h = history_paired(out.s, out.len);
    fl_txn_options o = {.workload = list ? FL_TXN_LIST_APPEND : FL_TXN_RW_REGISTER, .certify = certify};
    fl_error err;
    json_t *r = fl_check_txn(h, &o, &err);
    if (!r) {
        char msg[600];
        fl_error_format(&err, msg, sizeof msg);
        fail_msg("%s\n%s", msg, out.s);
    }
    fl_history_free(h);
    free(t.s);
    free(out.s);
    return r;
}

static unsigned sweeps(unsigned long_sweep) { return FL_LONG_SWEEPS ? long_sweep : long_sweep / 10; }

static void test_serial_histories_are_valid(void **state) {
    (void)state;
    for (int list = 0; list < 2; list++)
        for (unsigned seed = 1; seed <= sweeps(2000); seed++) {
            rng = seed * 7919u + (unsigned)list;
            json_t *r = check(list, NULL, seed % 10 == 0);
            if (!json_is_true(json_object_get(r, "valid"))) {
                char *text = json_dumps(json_object_get(r, "anomalies"), JSON_COMPACT);
                fail_msg("seed %u (%s): %s", seed, list ? "list-append" : "rw-register", text);
            }
            json_decref(r);
        }
}

static void test_planted_anomalies_are_found(void **state) {
    (void)state;
    for (size_t gi = 0; gi < sizeof gadgets / sizeof gadgets[0]; gi++) {
        const gadget *g = &gadgets[gi];
        for (unsigned seed = 1; seed <= sweeps(200); seed++) {
            rng = seed * 104729u + gi;
            json_t *r = check(g->list, g, true);
            bool found = false;
            size_t i;
            const json_t *t;
            json_array_foreach(json_object_get(r, "anomaly-types"), i, t)
                found |= fl_txn_anomaly_implies(json_string_value(t), g->name);
            char *text = json_dumps(json_object_get(r, "anomaly-types"), JSON_COMPACT);
            if (!found || !json_is_false(json_object_get(r, "valid")))
                fail_msg("%s (%s), seed %u: found %s", g->name, g->list ? "list-append" : "rw-register", seed, text);
            if (!json_is_true(json_object_get(r, "certified"))) {
                char *errs = json_dumps(json_object_get(r, "certify-errors"), JSON_COMPACT);
                fail_msg("%s, seed %u: not certified: %s", g->name, seed, errs);
            }
            free(text);
            json_decref(r);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_histories_are_valid),
        cmocka_unit_test(test_planted_anomalies_are_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
