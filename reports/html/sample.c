/* Choosing the ops the page embeds (see sample.h for the rules). */
#include "sample.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define AROUND_FAULT_MAX 16

typedef struct frame {
    const json_t *node;
    bool op_list; /* an array whose integers are op indices */
} frame;

/* An op reference: an integer "index" and a field that says it is an op (the same rule
 * as isOpRef in assets/report.js, so the page finds every op it lists). */
static bool is_op_object(const json_t *o) {
    static const char *const op_fields[] = {"process", "f", "node", "complete_index", "type", NULL};
    if (!json_is_object(o) || !json_is_integer(json_object_get(o, "index"))) return false;
    for (size_t i = 0; op_fields[i]; i++)
        if (json_object_get(o, op_fields[i])) return true;
    return false;
}

static bool names_ops(const char *key) {
    return !strcmp(key, "ops") || !strcmp(key, "linearized_prefix");
}

/* The nodes still to visit: at most every node of the tree once. */
typedef struct walk {
    frame *frames;
    size_t count, capacity;
    bool failed;
} walk;

static void push(walk *w, const json_t *node, bool op_list) {
    if (!json_is_object(node) && !json_is_array(node)) return;
    if (w->count == w->capacity) {
        size_t capacity = w->capacity ? 2 * w->capacity : 256;
        frame *frames = realloc(w->frames, capacity * sizeof *frames);
        if (!frames) {
            w->failed = true;
            return;
        }
        w->frames = frames;
        w->capacity = capacity;
    }
    w->frames[w->count++] = (frame){node, op_list};
}

int rp_anomaly_indices(const json_t *results, void (*found)(int64_t, void *), void *data) {
    const json_t *checkers = json_object_get(results, "checkers");
    walk w = {0};
    push(&w, checkers, false);
    while (w.count > 0 && !w.failed) {
        frame fr = w.frames[--w.count];
        const json_t *node = fr.node;
        if (json_is_object(node)) {
            if (json_is_true(json_object_get(node, "valid"))) continue;
            if (is_op_object(node)) {
                found(json_integer_value(json_object_get(node, "index")), data);
                continue;
            }
            const char *key;
            json_t *child;
            json_object_foreach((json_t *)node, key, child) push(&w, child, names_ops(key));
        } else if (json_is_array(node)) {
            size_t i;
            json_t *child;
            json_array_foreach(node, i, child) {
                if (fr.op_list && json_is_integer(child)) found(json_integer_value(child), data);
                push(&w, child, false);
            }
        }
    }
    free(w.frames);
    return w.failed ? -1 : 0;
}

typedef struct mark_named {
    rp_history *h;
    rp_selection *sel;
} mark_named;

static void mark_index(int64_t index, void *data) {
    mark_named *m = data;
    int64_t id = rp_history_find(m->h, index);
    if (id == RP_NONE) {
        m->sel->named_missing++;
        return;
    }
    if (m->h->ops[id].selected) return;
    m->h->ops[id].selected = 1;
    m->sel->named++;
}

/* The first op invoked at or after event position pos. */
static size_t first_op_from(const rp_history *h, int64_t pos) {
    size_t lo = 0, hi = h->op_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->ops[mid].invoke_pos < pos) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static size_t mark_around(rp_history *h, int64_t pos, size_t each_side) {
    size_t at = first_op_from(h, pos), added = 0;
    size_t from = at > each_side ? at - each_side : 0;
    size_t to = at + each_side < h->op_count ? at + each_side : h->op_count;
    for (size_t i = from; i < to; i++) {
        if (h->ops[i].selected) continue;
        h->ops[i].selected = 1;
        added++;
    }
    return added;
}

static void mark_around_faults(rp_history *h, size_t max_ops, rp_selection *sel) {
    size_t boundaries = 2 * h->window_count;
    if (!boundaries) return;
    size_t each_side = max_ops / 4 / (2 * boundaries);
    if (each_side > AROUND_FAULT_MAX) each_side = AROUND_FAULT_MAX;
    for (size_t w = 0; w < h->window_count && each_side; w++) {
        const rp_window *win = &h->windows[w];
        sel->around_faults += mark_around(h, h->events[win->start_event].pos, each_side);
        if (win->stop_event != RP_NONE)
            sel->around_faults += mark_around(h, h->events[win->stop_event].pos, each_side);
    }
}

/* Picks `budget` of the unmarked ops at even spacing: the j-th unmarked op is taken
 * when floor((j+1) * budget / unmarked) steps past floor(j * budget / unmarked). */
static void mark_even_sample(rp_history *h, size_t budget, rp_selection *sel) {
    size_t unmarked = h->op_count - sel->named - sel->around_faults;
    if (budget > unmarked) budget = unmarked;
    if (budget == 0) return;
    uint64_t j = 0;
    for (size_t i = 0; i < h->op_count; i++) {
        if (h->ops[i].selected) continue;
        if ((j + 1) * budget / unmarked > j * budget / unmarked) {
            h->ops[i].selected = 1;
            sel->sampled++;
        }
        j++;
    }
    assert(sel->sampled == budget);
}

int rp_select(rp_history *h, const json_t *results, size_t max_ops, rp_selection *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < h->op_count; i++) h->ops[i].selected = 0;
    mark_named m = {h, out};
    if (results && rp_anomaly_indices(results, mark_index, &m) != 0) return -1;
    size_t left = max_ops > out->named ? max_ops - out->named : 0;
    if (left) mark_around_faults(h, left, out);
    size_t used = out->named + out->around_faults;
    mark_even_sample(h, max_ops > used ? max_ops - used : 0, out);
    out->selected = out->named + out->around_faults + out->sampled;
    out->left_out = h->op_count - out->selected;
    return 0;
}
