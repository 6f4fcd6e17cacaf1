/* The primaries timeline from a history's primaries events (see primaries.h). */
#include "primaries.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool fl_is_primaries_event(int64_t process, int type, const char *f) {
    return process == FL_PROCESS_NEMESIS && type == FL_INFO && f && !strcmp(f, FL_PRIMARIES_F);
}

/* An answer's nodes: the array when it is a list of names, else NULL (unknown). */
static const json_t *known_nodes(const json_t *value) {
    const json_t *nodes = json_object_get(value, "nodes");
    if (!json_is_array(nodes)) return NULL;
    size_t i;
    const json_t *n;
    json_array_foreach(nodes, i, n) if (!json_is_string(n)) return NULL;
    return nodes;
}

static bool same_answer(const json_t *a, const json_t *b) {
    return (!a && !b) || (a && b && json_equal(a, b));
}

static json_t *segment(int64_t from_ns, const json_t *nodes, const json_t *value) {
    json_t *s = json_pack("{s:f,s:n,s:O?}", "from_s", (double)from_ns / 1e9, "to_s",
                          "nodes", nodes);
    const json_t *error = json_object_get(value, "error");
    if (s && !nodes && json_is_string(error)) json_object_set(s, "error", (json_t *)error);
    return s;
}

static void close_segment(json_t *s, int64_t to_ns) {
    json_object_set_new(s, "to_s", json_real((double)to_ns / 1e9));
}

json_t *fl_primaries_timeline(const fl_primaries_event *events, size_t count, int64_t end_ns) {
    if (count == 0) return NULL;
    json_t *timeline = json_array();
    if (!timeline) return NULL;
    json_t *open = NULL;          /* the segment not yet closed (borrowed from timeline) */
    const json_t *open_nodes = NULL;
    size_t changes = 0, split = 0, segments = 0;
    int64_t t = INT64_MIN;
    for (size_t i = 0; i < count; i++) {
        const json_t *v = events[i].value;
        /* A history from elsewhere may go back in time: a segment never ends before it
         * begins, nor the next one before it. */
        if (events[i].time_ns > t) t = events[i].time_ns;
        if (json_is_true(json_object_get(v, "end"))) {
            if (open) close_segment(open, t);
            open = NULL;
            continue;
        }
        const json_t *nodes = known_nodes(v);
        if (open && same_answer(open_nodes, nodes)) continue;
        if (open) close_segment(open, t);
        json_t *s = segment(t, nodes, v);
        if (!s || json_array_append_new(timeline, s) != 0) {
            json_decref(timeline);
            return NULL;
        }
        changes += segments++ > 0;
        split += nodes && json_array_size(nodes) >= 2;
        open = s;
        open_nodes = nodes;
    }
    if (open) close_segment(open, end_ns > t ? end_ns : t);
    if (segments == 0) { /* only end events */
        json_decref(timeline);
        return NULL;
    }
    return json_pack("{s:I,s:I,s:o}", "changes", (json_int_t)changes, "split_brains",
                     (json_int_t)split, "timeline", timeline);
}

json_t *fl_history_primaries(const fl_history *h) {
    size_t n = 0;
    int64_t end_ns = 0;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->time_ns > end_ns) end_ns = op->time_ns;
        n += fl_is_primaries_event(op->process, op->type, op->f);
    }
    if (n == 0) return NULL;
    fl_primaries_event *ev = malloc(n * sizeof *ev);
    if (!ev) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (fl_is_primaries_event(op->process, op->type, op->f))
            ev[k++] = (fl_primaries_event){op->time_ns, op->value};
    }
    json_t *out = fl_primaries_timeline(ev, n, end_ns);
    free(ev);
    return out;
}
