/* Certificate verifier (see verify.h). Slow on purpose: states are JSON values,
 * configurations are remembered as text. */
#include "verify.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strpool.h"
#include "verify_model.h"

const char *fl_verify_linearization(const fl_history *h, const char *model, int32_t key,
                                    const int64_t *order, size_t n, char *buf,
                                    size_t buf_bytes) {
    size_t count;
    ref_op *ops = key_ops(h, key, INT64_MAX, &count);
    uint8_t *seen = calloc(count ? count : 1, 1);
    json_t *state = ref_init(model);
    const char *why = NULL;
    int64_t latest_invoke = -1;
    for (size_t i = 0; !why && i < n; i++) {
        ref_op *o = find_op(ops, count, order[i]);
        if (!o) {
            snprintf(buf, buf_bytes, "position %lld is not an op of this key that can take effect",
                     (long long)order[i]);
            why = buf;
        } else if (seen[o - ops]++) {
            snprintf(buf, buf_bytes, "op %lld appears twice", (long long)o->inv->index);
            why = buf;
        } else if (o->ret_pos < latest_invoke) {
            snprintf(buf, buf_bytes, "op %lld completed before an op ordered ahead of it was invoked",
                     (long long)o->inv->index);
            why = buf;
        } else {
            json_t *next;
            if (!ref_step(model, state, o, &next)) {
                snprintf(buf, buf_bytes, "op %lld (%s) is not legal where the order puts it",
                         (long long)o->inv->index, o->inv->f);
                why = buf;
            }
            json_decref(state);
            state = next;
            if (o->inv_pos > latest_invoke) latest_invoke = o->inv_pos;
        }
    }
    for (size_t i = 0; !why && i < count; i++) {
        if (!seen[i] && ops[i].ok) {
            snprintf(buf, buf_bytes, "ok op %lld is missing from the order",
                     (long long)ops[i].inv->index);
            why = buf;
        }
    }
    json_decref(state);
    free(seen);
    free(ops);
    return why;
}

#define VERIFY_MEMORY_MAX_BYTES ((size_t)1 << 30)

/* Exhaustive search over configurations (ops done, state), each remembered as text
 * so none is explored twice. */
typedef struct wframe {
    uint8_t *done;
    json_t *state;
    size_t next_candidate;
    int64_t earliest_return; /* of the known ops not yet done */
} wframe;

typedef struct wsearch {
    const char *model;
    ref_op *ops;
    size_t count;
    fl_strmap *seen;
    wframe *stack;
    size_t depth;
} wsearch;

static int64_t earliest_return(const wsearch *w, const uint8_t *done) {
    int64_t earliest = INT64_MAX;
    for (size_t i = 0; i < w->count; i++)
        if (!done[i] && w->ops[i].ret_pos < earliest) earliest = w->ops[i].ret_pos;
    return earliest;
}

/* 1: pushed a new configuration; 0: seen before; -1: out of memory. */
static int push_config(wsearch *w, const uint8_t *done, json_t *state) {
    char *text = state ? json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
                       : strdup("null");
    size_t text_len = text ? strlen(text) : 0;
    char *key = malloc(w->count + text_len + 1);
    if (!text || !key) {
        free(text);
        free(key);
        return -1;
    }
    memcpy(key, done, w->count);
    memcpy(key + w->count, text, text_len);
    free(text);
    int64_t before = fl_strmap_get(w->seen, key, w->count + text_len);
    int rc = before >= 0 ? 0 : fl_strmap_put(w->seen, key, w->count + text_len, 0) < 0 ? -1 : 1;
    free(key);
    if (rc != 1) return rc;
    uint8_t *copy = malloc(w->count ? w->count : 1);
    if (!copy) return -1;
    memcpy(copy, done, w->count);
    w->stack[w->depth++] = (wframe){copy, state ? json_incref(state) : json_null(), 0,
                                    earliest_return(w, copy)};
    return 1;
}

static void pop_config(wsearch *w) {
    wframe *f = &w->stack[--w->depth];
    free(f->done);
    json_decref(f->state);
}

/* 1: some order works; 0: none does; -1: out of memory; -2: out of time; -3: past the
 * memory bound. */
static int any_order_works(wsearch *w, int64_t deadline_ns) {
    uint8_t *none = calloc(w->count ? w->count : 1, 1);
    json_t *init = ref_init(w->model);
    int rc = none ? push_config(w, none, init) : -1;
    json_decref(init);
    free(none);
    for (uint64_t steps = 0; rc >= 0 && w->depth > 0; steps++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (deadline_ns && (steps & 255) == 0 &&
            (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec > deadline_ns)
            return -2;
        if ((steps & 255) == 0 && fl_strmap_bytes(w->seen) > VERIFY_MEMORY_MAX_BYTES) return -3;
        wframe *f = &w->stack[w->depth - 1];
        if (f->earliest_return == INT64_MAX) return 1; /* every known op is done */
        size_t i = f->next_candidate;
        while (i < w->count && (f->done[i] || w->ops[i].inv_pos > f->earliest_return)) i++;
        if (i == w->count) {
            pop_config(w);
            continue;
        }
        f->next_candidate = i + 1;
        json_t *next;
        if (!ref_step(w->model, f->state, &w->ops[i], &next)) {
            json_decref(next);
            continue;
        }
        f->done[i] = 1;
        rc = push_config(w, f->done, next);
        f->done[i] = 0; /* the stack never moves: it holds every op at most once */
        json_decref(next);
        if (rc > 0) rc = 0;
    }
    return rc < 0 ? rc : 0;
}

/* Check that the window leaves out only ops that cannot matter, and collect its ops
 * (ops still open at the cut lose their outcome). */
static const char *window_ops(const fl_history *h, const char *model, int32_t key,
                              int64_t cut_pos, const int64_t *window, size_t n,
                              wsearch *w, char *buf, size_t buf_bytes) {
    size_t count;
    ref_op *all = key_ops(h, key, cut_pos, &count);
    uint8_t *kept = calloc(count ? count : 1, 1);
    const char *why = NULL;
    for (size_t i = 0; all && kept && !why && i < n; i++) {
        ref_op *o = find_op(all, count, window[i]);
        if (!o) {
            snprintf(buf, buf_bytes, "window position %lld is not an op of this key invoked "
                     "before the cut", (long long)window[i]);
            why = buf;
        } else {
            kept[o - all] = 1;
        }
    }
    for (size_t i = 0; all && i < count; i++) {
        if (all[i].ret_pos > cut_pos) { /* still open at the cut: the outcome is unknown */
            all[i].ok = NULL;
            all[i].ret_pos = INT64_MAX;
        }
    }
    w->ops = malloc((count ? count : 1) * sizeof *w->ops);
    for (size_t i = 0; all && kept && w->ops && !why && i < count; i++) {
        const ref_op *o = &all[i];
        bool read_only = ref_read_only(model, o->inv);
        bool unseen = !o->ok && !read_only && ref_unobservable(model, o, all, count);
        if (!kept[i] && !read_only && !unseen) {
            snprintf(buf, buf_bytes, "the window leaves out op %lld (%s), which can change "
                     "the state", (long long)o->inv->index, o->inv->f);
            why = buf;
        } else if (kept[i] && !(read_only && !o->ok)) {
            w->ops[w->count++] = *o;
        }
    }
    if (!all || !kept || !w->ops) why = "out of memory";
    free(all);
    free(kept);
    return why;
}

const char *fl_verify_window(const fl_history *h, const char *model, int32_t key,
                             int64_t cut_pos, const int64_t *window, size_t n,
                             int64_t deadline_ns, bool *undecided, char *buf,
                             size_t buf_bytes) {
    wsearch w = {.model = model};
    *undecided = false;
    const char *why = window_ops(h, model, key, cut_pos, window, n, &w, buf, buf_bytes);
    if (!why) {
        w.seen = fl_strmap_new();
        w.stack = malloc((w.count + 1) * sizeof *w.stack);
        int rc = w.seen && w.stack ? any_order_works(&w, deadline_ns) : -1;
        if (rc == 1) why = "the window is linearizable: an order of its ops works";
        else if (rc == -1) why = "out of memory while verifying the window";
        else if (rc == -2) why = "could not verify the window in the time allowed";
        else if (rc == -3) why = "could not verify the window within the verifier's memory bound";
        *undecided = rc == -2 || rc == -3;
    }
    while (w.depth > 0) pop_config(&w);
    fl_strmap_free(w.seen);
    free(w.stack);
    free(w.ops);
    return why;
}
