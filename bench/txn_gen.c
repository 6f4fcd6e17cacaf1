/* txn_gen: list-append transaction histories for the txn checker's benchmarks, from a
 * simulated store. `serial` executes each txn atomically at a moment between its
 * invocation and completion (strict serializable: valid at every model); `si` gives
 * snapshot isolation — reads from the snapshot taken at invocation, first committer wins
 * on appended keys — whose write skew is G2-item noise; `--hide-g-single L` adds, on
 * keys of its own, one G-single-item whose dependency path is L transactions long (the
 * shape of Elle's `unfindable-g-single`). JSON Lines on stdout.
 *   txn_gen [--txns N] [--keys K] [--concurrency C] [--max-writes W] [--seed S]
 *           [--mode serial|si] [--hide-g-single L] [--stale S]
 * --stale S: serial, but every read sees the store as it was S steps earlier (a replica
 * that lags): realtime cycles everywhere, one component spanning most of the history. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct elem { int64_t value, ts; } elem;
typedef struct key_state { elem *e; size_t n, cap; int64_t planned, last_commit; } key_state;

typedef struct mop { char f; int64_t key, value; } mop; /* f: 'a' append, 'r' read */

typedef struct proc {
    int state;          /* 0 idle, 1 invoked, 2 executed */
    int64_t process;
    mop m[4];
    int nm;
    int64_t snapshot;
    bool failed;
    char reads[4][4096];
} proc;

static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static key_state *keys;
static size_t n_keys_cap;
static int64_t next_key, *active, now, index_;
static int n_active, max_writes;

static key_state *key(int64_t k) {
    if ((size_t)k >= n_keys_cap) {
        size_t cap = n_keys_cap ? n_keys_cap * 2 : 1024;
        while (cap <= (size_t)k) cap *= 2;
        keys = realloc(keys, cap * sizeof *keys);
        memset(keys + n_keys_cap, 0, (cap - n_keys_cap) * sizeof *keys);
        n_keys_cap = cap;
    }
    return &keys[k];
}

static void append_elem(int64_t k, int64_t v, int64_t ts) {
    key_state *s = key(k);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->e = realloc(s->e, s->cap * sizeof *s->e);
    }
    s->e[s->n++] = (elem){v, ts};
    s->last_commit = ts;
}

/* The list of k as of snapshot ts (every element committed at or before it). */
static int list_text(int64_t k, int64_t ts, char *out, size_t cap) {
    key_state *s = key(k);
    size_t len = 0;
    int n = 0;
    len += (size_t)snprintf(out + len, cap - len, "[");
    for (size_t i = 0; i < s->n && len + 24 < cap; i++)
        if (s->e[i].ts <= ts) len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64, n++ ? "," : "", s->e[i].value);
    snprintf(out + len, cap - len, "]");
    return n;
}

static int64_t pick_key(void) {
    int i = (int)(rnd() % (uint64_t)n_active);
    int64_t k = active[i];
    if (++key(k)->planned >= max_writes) active[i] = next_key++; /* retire it */
    return k;
}

static void emit(const proc *p, const char *type, bool with_reads) {
    printf("{\"index\":%" PRId64 ",\"time\":%" PRId64 ",\"process\":%" PRId64 ",\"type\":\"%s\","
           "\"f\":\"txn\",\"value\":[", index_++, now * 1000, p->process, type);
    for (int i = 0; i < p->nm; i++) {
        if (p->m[i].f == 'a') printf("%s[\"append\",%" PRId64 ",%" PRId64 "]", i ? "," : "", p->m[i].key, p->m[i].value);
        else printf("%s[\"r\",%" PRId64 ",%s]", i ? "," : "", p->m[i].key, with_reads ? p->reads[i] : "null");
    }
    printf("]}\n");
}

/* Run p's txn: reads as of ts_read (plus its own appends), appends committed at now. */
static void execute(proc *p, int64_t ts_read, bool si) {
    if (si)
        for (int i = 0; i < p->nm; i++)
            if (p->m[i].f == 'a' && key(p->m[i].key)->last_commit > p->snapshot) { p->failed = true; return; }
    int64_t commit = ++now;
    for (int i = 0; i < p->nm; i++) {
        if (p->m[i].f == 'r') {
            char *out = p->reads[i];
            int n = list_text(p->m[i].key, ts_read, out, sizeof p->reads[i]);
            /* its own earlier appends, not yet committed to the store */
            size_t len = strlen(out) - 1;
            for (int j = 0; j < i; j++)
                if (p->m[j].f == 'a' && p->m[j].key == p->m[i].key)
                    len += (size_t)snprintf(out + len, sizeof p->reads[i] - len, "%s%" PRId64, n++ ? "," : "", p->m[j].value);
            snprintf(out + len, sizeof p->reads[i] - len, "]");
            if (n == 0) strcpy(out, "null");
        }
    }
    for (int i = 0; i < p->nm; i++)
        if (p->m[i].f == 'a') append_elem(p->m[i].key, p->m[i].value, commit);
}

/* The hidden G-single: T1 appends to hx and c0; Ti reads c(i-2) and appends c(i-1); the
 * last reads c(L-1) but misses T1's append to hx (the injected stale read); then a
 * reader shows hx's order. The chain's keys are set aside at the start (hx, then c0…). */
static int64_t CHAIN_KEY;
static void chain_txn(proc *p, long step, long len) {
    int64_t hx = CHAIN_KEY - 1;
    if (step == 0) {
        p->nm = 2;
        p->m[0] = (mop){'a', hx, 1};
        p->m[1] = (mop){'a', CHAIN_KEY, 1};
    } else if (step < len) {
        p->nm = 2;
        p->m[0] = (mop){'r', CHAIN_KEY + step - 1, 0};
        p->m[1] = (mop){'a', CHAIN_KEY + step, 1};
    } else if (step == len) {
        p->nm = 2;
        p->m[0] = (mop){'r', CHAIN_KEY + step - 1, 0};
        p->m[1] = (mop){'r', hx, 0};
    } else {
        p->nm = 1;
        p->m[0] = (mop){'r', hx, 0};
    }
}

int main(int argc, char **argv) {
    long txns = 100000, concurrency = 10, hide = 0, stale = 0;
    int nkeys = 10;
    uint64_t seed = 1;
    bool si = false;
    max_writes = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--txns")) txns = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--keys")) nkeys = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--concurrency")) concurrency = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-writes")) max_writes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--mode")) si = !strcmp(argv[i + 1], "si");
        else if (!strcmp(argv[i], "--hide-g-single")) hide = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--stale")) stale = atol(argv[i + 1]);
        else { fprintf(stderr, "txn_gen: unknown option %s\n", argv[i]); return 64; }
    }
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    active = calloc((size_t)nkeys, sizeof *active);
    for (int i = 0; i < nkeys; i++) active[i] = next_key++;
    n_active = nkeys;
    if (hide) {
        CHAIN_KEY = next_key + 1;
        next_key += hide + 2;
    }
    proc chain = {.process = concurrency + 1000000};
    long chain_step = 0;
    proc *ps = calloc((size_t)concurrency, sizeof *ps);
    for (long i = 0; i < concurrency; i++) ps[i].process = i;
    long started = 0, done = 0;
    int64_t *values = NULL; /* per key: the next value to append */
    size_t values_cap = 0;
    while (done < txns) {
        if (hide && chain_step <= hide + 1 && rnd() % (uint64_t)txns < (uint64_t)(hide + 2) * 2) {
            now++;
            if (chain.state == 0) {
                chain_txn(&chain, chain_step, hide);
                emit(&chain, "invoke", false);
                chain.state = 1;
            } else if (chain.state == 1) {
                execute(&chain, now, false);
                if (chain_step == hide) strcpy(chain.reads[1], "null"); /* the stale read */
                chain.state = 2;
            } else {
                emit(&chain, "ok", true);
                chain.state = 0;
                chain_step++;
            }
            continue;
        }
        proc *p = &ps[rnd() % (uint64_t)concurrency];
        now++;
        if (p->state == 0) {
            if (started >= txns) continue;
            started++;
            p->nm = 1 + (int)(rnd() % 4);
            for (int i = 0; i < p->nm; i++) {
                p->m[i].f = rnd() % 2 ? 'a' : 'r';
                p->m[i].key = p->m[i].f == 'a' ? pick_key() : active[rnd() % (uint64_t)nkeys];
                if (p->m[i].f == 'a') {
                    if ((size_t)p->m[i].key >= values_cap) {
                        size_t cap = values_cap ? values_cap * 2 : 1024;
                        while (cap <= (size_t)p->m[i].key) cap *= 2;
                        values = realloc(values, cap * sizeof *values);
                        memset(values + values_cap, 0, (cap - values_cap) * sizeof *values);
                        values_cap = cap;
                    }
                    p->m[i].value = ++values[p->m[i].key];
                }
            }
            p->snapshot = now;
            p->failed = false;
            emit(p, "invoke", false);
            p->state = 1;
        } else if (p->state == 1) {
            execute(p, si ? p->snapshot : now - stale, si);
            p->state = 2;
        } else {
            emit(p, p->failed ? "fail" : "ok", !p->failed);
            p->state = 0;
            done++;
        }
    }
    while (hide && chain.state != 0) { /* let an open chain txn finish */
        now++;
        if (chain.state == 1) execute(&chain, now, false), chain.state = 2;
        else emit(&chain, "ok", true), chain.state = 0;
    }
    for (size_t k = 0; k < n_keys_cap; k++) free(keys[k].e);
    free(keys), free(values), free(ps), free(active);
    return 0;
}
