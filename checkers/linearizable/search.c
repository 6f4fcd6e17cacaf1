/* Wing–Gong linearizability search with Lowe's memoisation (as Porcupine does it).
 *
 * Method: the calls' invocation and completion events form one doubly linked list in
 * history order; completions of calls whose outcome is unknown (info, or never
 * completed) go last. Scanning from the head, a call entry whose step is legal in the
 * current state is linearized: it and its completion are unlinked (dancing links) and
 * pushed on an explicit stack, unless the configuration (set of linearized calls,
 * state) was seen before. Reaching a completion entry means the call it completes
 * must already have taken effect: backtrack. The history is linearizable once every
 * call with a known outcome is linearized; unknown calls left over never took effect.
 *
 * The linearized set is stored compactly as (M, holes): M is one past the highest
 * linearized call, holes are the calls below M not linearized. Calls are numbered in
 * invocation order and the search linearizes nearly in that order, so holes are the
 * few calls concurrent with the frontier plus unknown calls not (yet) applied. */
#include "search.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NIL (-1)

int64_t fl_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct cache_slot {
    uint64_t hash;       /* 0: empty */
    fl_state state;
    uint64_t holes_at;   /* offset into holes arena */
    uint32_t top;        /* M */
    uint32_t hole_count;
} cache_slot;

typedef struct frame {
    uint32_t call;
    uint32_t prev_top : 31;
    uint32_t forced : 1;   /* a read-only call: no alternative to it needs trying */
    fl_state prev_state;
} frame;

#define EXHAUSTED (-2)     /* scan position: the top configuration has nothing left */
#define SCAN_FAILED (-3)   /* scan position: out of memory */
#define NO_ROOM (-2)       /* a table may not grow: the memory budget is spent */

typedef struct search {
    const fl_model *model;
    fl_interner *in;
    const fl_call *calls;
    size_t n;
    const fl_budget *budget;
    int32_t *next, *prev;      /* entries 0..2n-1 (2c: call c, 2c+1: its completion); head 2n */
    uint64_t *zobrist;         /* per call, XORed into the set's hash */
    frame *stack;
    size_t depth;
    cache_slot *slots;
    size_t mask, entries;
    uint32_t *holes;           /* arena of hole lists */
    size_t holes_used, holes_capacity;
    uint32_t *scratch;         /* candidate hole list */
    size_t accounted_bytes;    /* what this search added to budget->memory_used */
    /* Where the loop stands, so that it can stop after a slice of steps and go on. */
    fl_search_result *out;
    int64_t watch;
    fl_state state;            /* the model's state after the stack's calls */
    uint64_t set_hash;         /* Zobrist hash of the stack's calls */
    uint32_t top;              /* one past the highest call on the stack */
    int32_t e;                 /* the entry the scan is at */
    size_t remaining;          /* calls with a known outcome not on the stack */
    uint64_t slice_end;        /* out->steps at which to suspend */
    int verdict;               /* a fl_verdict once decided, SEARCHING, or -1: out of memory */
} search;

#define SEARCHING (-4)

static uint64_t splitmix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static int cmp_return(const void *a, const void *b, void *calls_) {
    const fl_call *calls = calls_;
    int64_t x = calls[*(const uint32_t *)a].return_pos, y = calls[*(const uint32_t *)b].return_pos;
    return (x > y) - (x < y);
}

/* Link every entry in history order. */
static int build_list(search *s) {
    size_t n = s->n, known = 0;
    uint32_t *by_return = malloc((n ? n : 1) * sizeof *by_return);
    if (!by_return) return -1;
    for (size_t c = 0; c < n; c++)
        if (fl_call_known(&s->calls[c])) by_return[known++] = (uint32_t)c;
    qsort_r(by_return, known, sizeof *by_return, cmp_return, (void *)s->calls);
    for (size_t c = 0, k = known; c < n; c++) /* unknown completions last, in call order */
        if (!fl_call_known(&s->calls[c])) by_return[k++] = (uint32_t)c;
    int32_t last = (int32_t)(2 * n);
    size_t ci = 0, ri = 0;
    while (ci < n || ri < n) {
        bool take_call = ci < n && (ri == n || s->calls[ci].invoke_pos <
                                                   s->calls[by_return[ri]].return_pos);
        int32_t e = take_call ? (int32_t)(2 * ci++) : (int32_t)(2 * by_return[ri++] + 1);
        s->next[last] = e;
        s->prev[e] = last;
        last = e;
    }
    s->next[last] = NIL;
    /* every call and every completion linked exactly once */
    assert(ci == n);
    assert(ri == n);
    free(by_return);
    return 0;
}

static void unlink_entry(search *s, int32_t e) {
    s->next[s->prev[e]] = s->next[e];
    if (s->next[e] != NIL) s->prev[s->next[e]] = s->prev[e];
}

static void relink_entry(search *s, int32_t e) {
    s->next[s->prev[e]] = e;
    if (s->next[e] != NIL) s->prev[s->next[e]] = e;
}

static void lift(search *s, uint32_t c) {
    assert(c < s->n);
    unlink_entry(s, (int32_t)(2 * c));
    unlink_entry(s, (int32_t)(2 * c + 1));
}

static void unlift(search *s, uint32_t c) {
    assert(c < s->n);
    relink_entry(s, (int32_t)(2 * c + 1));
    relink_entry(s, (int32_t)(2 * c));
}

/* The holes of (linearized set + c) below top, read off the list. */
static uint32_t collect_holes(search *s, uint32_t c, uint32_t top) {
    uint32_t count = 0;
    for (int32_t e = s->next[2 * s->n]; e != NIL; e = s->next[e]) {
        if (e & 1) continue;
        uint32_t call = (uint32_t)e / 2;
        if (call >= top) break;
        if (call != c) s->scratch[count++] = call;
    }
    assert(count < top || top == 0);
    return count;
}

static size_t search_bytes(const search *s) {
    return (s->mask + 1) * sizeof(cache_slot) + s->holes_capacity * sizeof(uint32_t) +
           fl_interner_bytes(s->in);
}

/* Whether extra_bytes more stay within the memory budget: asked before a table grows,
 * so that the old and the new table, briefly both live, never overshoot it. */
static bool room_for(const search *s, size_t extra_bytes) {
    const fl_budget *b = s->budget;
    if (!b->memory_limit_bytes) return true;
    size_t used = b->memory_used ? atomic_load(b->memory_used) : s->accounted_bytes;
    return used <= b->memory_limit_bytes && extra_bytes <= b->memory_limit_bytes - used;
}

static int cache_grow(search *s) {
    size_t capacity = (s->mask + 1) * 2;
    if (!room_for(s, capacity * sizeof(cache_slot))) return NO_ROOM;
    cache_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i <= s->mask; i++) {
        if (!s->slots[i].hash) continue;
        size_t j = s->slots[i].hash & (capacity - 1);
        while (slots[j].hash) j = (j + 1) & (capacity - 1);
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->mask = capacity - 1;
    return 0;
}

static int holes_reserve(search *s, uint32_t count) {
    if (s->holes_used + count <= s->holes_capacity) return 0;
    size_t capacity = s->holes_capacity ? s->holes_capacity * 2 : 4096;
    while (capacity < s->holes_used + count) capacity *= 2;
    if (s->holes_capacity && !room_for(s, (capacity - s->holes_capacity) * sizeof *s->holes))
        return NO_ROOM;
    uint32_t *holes = realloc(s->holes, capacity * sizeof *holes);
    if (!holes) return -1;
    s->holes = holes;
    s->holes_capacity = capacity;
    return 0;
}

/* Add the configuration unless present: 1 added, 0 seen before, -1 out of memory,
 * NO_ROOM past the memory budget. */
static int cache_add(search *s, uint64_t hash, fl_state state, uint32_t top, uint32_t count) {
    assert(top <= s->n);
    assert(count <= top);
    hash |= 1; /* 0 marks an empty slot */
    size_t i = hash & s->mask;
    for (; s->slots[i].hash; i = (i + 1) & s->mask) {
        const cache_slot *slot = &s->slots[i];
        if (slot->hash == hash && slot->top == top && slot->hole_count == count &&
            fl_model_equal(s->model, slot->state, state) &&
            (count == 0 ||
             memcmp(s->holes + slot->holes_at, s->scratch, count * sizeof(uint32_t)) == 0))
            return 0;
    }
    int rc = holes_reserve(s, count);
    if (rc != 0) return rc;
    if (count) memcpy(s->holes + s->holes_used, s->scratch, count * sizeof(uint32_t));
    s->slots[i] = (cache_slot){hash, state, s->holes_used, top, count};
    s->holes_used += count;
    s->entries++;
    if (s->entries * 2 > s->mask + 1 && (rc = cache_grow(s)) != 0) return rc;
    return 1;
}

/* Keep budget->memory_used in step with what this search holds. */
static void account(search *s) {
    if (!s->budget->memory_used) return;
    size_t now = search_bytes(s);
    if (now > s->accounted_bytes)
        atomic_fetch_add(s->budget->memory_used, now - s->accounted_bytes);
    else
        atomic_fetch_sub(s->budget->memory_used, s->accounted_bytes - now);
    s->accounted_bytes = now;
}

static const char memory_limit_reached[] = "check memory limit reached";

static const char *over_budget(search *s, uint64_t steps) {
    const fl_budget *b = s->budget;
    if (b->max_steps && steps > b->max_steps) return "step limit reached";
    if (b->cancel && atomic_load(b->cancel)) return "cancelled";
    if (b->deadline_ns && fl_now_ns() > b->deadline_ns) return "check time limit reached";
    account(s);
    if (b->memory_limit_bytes && b->memory_used &&
        atomic_load(b->memory_used) > b->memory_limit_bytes)
        return memory_limit_reached;
    if (b->memory_limit_bytes && !b->memory_used && s->accounted_bytes > b->memory_limit_bytes)
        return memory_limit_reached;
    return NULL;
}

static void note_watch(search *s, fl_state state, fl_search_result *out) {
    for (size_t i = 0; i < out->watch_state_count; i++)
        if (out->watch_states[i] == state) return;
    if (out->watch_state_count < FL_WATCH_STATES)
        out->watch_states[out->watch_state_count++] = state;
    if (out->watch_prefix || !s->depth) return;
    out->watch_prefix = malloc(s->depth * sizeof *out->watch_prefix);
    if (!out->watch_prefix) return;
    for (size_t i = 0; i < s->depth; i++) out->watch_prefix[i] = s->stack[i].call;
    out->watch_prefix_len = s->depth;
}

static int search_init(search *s) {
    size_t n = s->n;
    s->next = malloc((2 * n + 1) * sizeof *s->next);
    s->prev = malloc((2 * n + 1) * sizeof *s->prev);
    s->zobrist = malloc((n ? n : 1) * sizeof *s->zobrist);
    s->stack = malloc((n ? n : 1) * sizeof *s->stack);
    s->scratch = malloc((n ? n : 1) * sizeof *s->scratch);
    s->mask = 1023;
    s->slots = calloc(s->mask + 1, sizeof *s->slots);
    if (!s->next || !s->prev || !s->zobrist || !s->stack || !s->scratch || !s->slots ||
        holes_reserve(s, 1) != 0)
        return -1;
    for (size_t c = 0; c < n; c++) s->zobrist[c] = splitmix(c);
    return build_list(s);
}

static void search_free(search *s) {
    if (s->budget->memory_used) atomic_fetch_sub(s->budget->memory_used, s->accounted_bytes);
    free(s->next);
    free(s->prev);
    free(s->zobrist);
    free(s->stack);
    free(s->scratch);
    free(s->slots);
    free(s->holes);
}

/* Where the scan starts: a read-only call that is legal in this state, if any may go
 * next (reads never hurt later ops and, linearized first, prune the most), else the
 * head. Returns SCAN_FAILED when memory ran out. */
static int32_t scan_start(search *s, fl_state state) {
    const int32_t head = (int32_t)(2 * s->n);
    for (int32_t e = s->next[head]; e != NIL && !(e & 1); e = s->next[e]) {
        const fl_call *c = &s->calls[e / 2];
        if (!c->read_only) continue;
        fl_state next;
        int legal = s->model->step(s->in, state, c, &next);
        if (legal < 0) return SCAN_FAILED;
        if (legal) return e;
    }
    return s->next[head];
}

/* The search loop proper, from where it stood: the verdict, SEARCHING when the slice
 * is used up, or -1 when memory ran out. */
static int run(search *s) {
    fl_search_result *out = s->out;
    fl_state state = s->state;
    uint64_t set_hash = s->set_hash;
    uint32_t top = s->top;
    int32_t e = s->e;
    size_t remaining = s->remaining;
    int verdict = FL_VERDICT_VALID;
    while (remaining > 0) {
        if (out->steps == s->slice_end) {
            verdict = SEARCHING;
            break;
        }
        if ((++out->steps & 1023) == 0 && (out->unknown_reason = over_budget(s, out->steps)))
            return FL_VERDICT_UNKNOWN;
        if (e >= 0 && !(e & 1)) { /* a call: try to linearize it here */
            uint32_t c = (uint32_t)e / 2;
            fl_state next;
            int legal = s->model->step(s->in, state, &s->calls[c], &next);
            if (legal < 0) return -1;
            /* A read-only call legal now can go first in any linearization that
             * exists from here (moving it earlier breaks no real-time order and no
             * state), so when it leads nowhere, neither does anything else here. */
            bool forced = legal && s->calls[c].read_only && fl_model_equal(s->model, next, state);
            if (legal) {
                uint32_t new_top = c + 1 > top ? c + 1 : top;
                uint64_t hash = (set_hash ^ s->zobrist[c]) ^
                                fl_model_hash(s->model, next) * 0x9E3779B97F4A7C15ULL;
                /* The memo's slot is a cache miss once the table outgrows the cache:
                 * fetch it while the holes are collected. */
                __builtin_prefetch(&s->slots[(hash | 1) & s->mask]);
                uint32_t count = collect_holes(s, c, new_top);
                int added = cache_add(s, hash, next, new_top, count);
                if (added == NO_ROOM) {
                    out->unknown_reason = memory_limit_reached;
                    return FL_VERDICT_UNKNOWN;
                }
                if (added < 0) return -1;
                if (added) {
                    assert(s->depth < s->n); /* each call is on the stack at most once */
                    s->stack[s->depth++] = (frame){c, top, forced, state};
                    state = next;
                    set_hash ^= s->zobrist[c];
                    top = new_top;
                    remaining -= fl_call_known(&s->calls[c]);
                    lift(s, c);
                    e = scan_start(s, state);
                    if (e == SCAN_FAILED) return -1;
                    continue;
                }
            }
            e = forced ? EXHAUSTED : s->next[e];
            continue;
        }
        /* A completion (or the end): its call must have been linearized by now. */
        if (e >= 0) {
            uint32_t blocked = (uint32_t)e / 2;
            if (out->blocked_call < 0 ||
                s->calls[blocked].return_pos > s->calls[out->blocked_call].return_pos)
                out->blocked_call = blocked;
            if (s->watch >= 0 && blocked == (uint32_t)s->watch) note_watch(s, state, out);
        }
        if (s->depth == 0) return FL_VERDICT_INVALID;
        frame f = s->stack[--s->depth];
        assert(f.call < s->n);
        assert(f.prev_top <= top);
        unlift(s, f.call);
        state = f.prev_state;
        top = f.prev_top;
        set_hash ^= s->zobrist[f.call];
        remaining += fl_call_known(&s->calls[f.call]);
        e = f.forced ? EXHAUSTED : s->next[2 * f.call];
    }
    s->state = state;
    s->set_hash = set_hash;
    s->top = top;
    s->e = e;
    s->remaining = remaining;
    /* Valid: every call with a known outcome is on the stack, in an order the model took. */
    assert(verdict == SEARCHING || s->depth <= s->n);
    return verdict;
}

struct fl_search_task {
    search s;
};

fl_search_task *fl_search_begin(const fl_model *m, fl_interner *in, const fl_call *calls,
                                size_t n, const fl_budget *budget, int64_t watch,
                                fl_search_result *out) {
    static const fl_budget unlimited = {0};
    memset(out, 0, sizeof *out);
    out->blocked_call = -1;
    if (n >= INT32_MAX / 2) return NULL;
    fl_search_task *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    search *s = &t->s;
    *s = (search){.model = m, .in = in, .calls = calls, .n = n,
                  .budget = budget ? budget : &unlimited, .out = out, .watch = watch,
                  .verdict = SEARCHING};
    if (search_init(s) != 0) {
        s->verdict = -1;
        return t;
    }
    for (size_t c = 0; c < n; c++) s->remaining += fl_call_known(&calls[c]);
    s->state = m->init(in);
    s->e = scan_start(s, s->state);
    if (s->e == SCAN_FAILED) s->verdict = -1;
    return t;
}

bool fl_search_resume(fl_search_task *t, uint64_t steps) {
    search *s = &t->s;
    if (s->verdict != SEARCHING) return true;
    s->slice_end = steps && steps < UINT64_MAX - s->out->steps ? s->out->steps + steps
                                                                : UINT64_MAX;
    s->verdict = run(s);
    if (s->verdict != SEARCHING) return true;
    account(s); /* a suspended search keeps its tables */
    return false;
}

void fl_search_end(fl_search_task *t, const char *undecided_reason) {
    if (!t) return;
    search *s = &t->s;
    fl_search_result *out = s->out;
    int verdict = s->verdict;
    out->cache_entries = s->entries;
    out->peak_bytes = search_bytes(s);
    if (verdict == FL_VERDICT_VALID) {
        out->order = malloc((s->depth ? s->depth : 1) * sizeof *out->order);
        if (!out->order) verdict = -1;
        for (size_t i = 0; out->order && i < s->depth; i++) out->order[i] = s->stack[i].call;
        out->order_len = s->depth;
    }
    search_free(s);
    free(t);
    if (verdict == SEARCHING) {
        out->verdict = FL_VERDICT_UNKNOWN;
        out->unknown_reason = undecided_reason;
    } else if (verdict < 0) {
        fl_search_result_free(out);
        out->verdict = FL_VERDICT_UNKNOWN;
        out->unknown_reason = "out of memory";
    } else {
        out->verdict = (fl_verdict)verdict;
    }
}

int fl_search(const fl_model *m, fl_interner *in, const fl_call *calls, size_t n,
              const fl_budget *budget, int64_t watch, fl_search_result *out) {
    fl_search_task *t = fl_search_begin(m, in, calls, n, budget, watch, out);
    if (!t) {
        if (n >= INT32_MAX / 2) return -1;
        out->verdict = FL_VERDICT_UNKNOWN;
        out->unknown_reason = "out of memory";
        return 0;
    }
    fl_search_resume(t, 0);
    fl_search_end(t, NULL);
    return 0;
}

void fl_search_result_free(fl_search_result *r) {
    free(r->order);
    free(r->watch_prefix);
    r->order = NULL;
    r->watch_prefix = NULL;
}
