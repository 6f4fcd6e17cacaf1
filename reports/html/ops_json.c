/* Embedded ops and fault windows as JSON for the page (see ops_json.h). */
#include "ops_json.h"

#include <stdint.h>
#include <string.h>

#include "history.h"

static const char *const fields[] = {
    "index", "process", "invoke_ns", "complete_ns", "type", "f", "value", "output",
    "key", "node", "error", "complete_index", "line", "complete_line", NULL};

static json_t *or_null(json_t *v) { return v ? json_incref(v) : json_null(); }

/* The completion's time and index: any integer (-1 too), so "never completed" is told
 * by the outcome, not by a sentinel value. */
static json_t *completed_or_null(const rp_op *op, int64_t v) {
    return op->outcome == RP_OPEN ? json_null() : json_integer(v);
}

/* A field of the completion when it has it, else of the invocation. */
static json_t *either(json_t *done, json_t *inv, const char *name) {
    json_t *v = done ? json_object_get(done, name) : NULL;
    return or_null(v ? v : json_object_get(inv, name));
}

static json_t *row(const rp_history *h, const rp_op *op) {
    json_t *inv = rp_history_line(h, op->invoke_off);
    json_t *done = op->complete_off != SIZE_MAX ? rp_history_line(h, op->complete_off) : NULL;
    json_t *value = json_object_get(inv, "value");
    json_t *result = done ? json_object_get(done, "value") : NULL;
    json_t *output = result && !(value && json_equal(value, result)) ? result : NULL;
    const char *type = op->outcome == RP_OPEN ? "open" : fl_op_type_name(op->outcome);
    json_t *r = json_array();
    json_array_append_new(r, json_integer(op->index));
    json_array_append_new(r, json_integer(op->process));
    json_array_append_new(r, json_integer(op->invoke_ns));
    json_array_append_new(r, completed_or_null(op, op->complete_ns));
    json_array_append_new(r, json_string(type));
    json_array_append_new(r, json_string(h->fs[op->f]));
    json_array_append_new(r, or_null(value));
    json_array_append_new(r, or_null(output));
    json_array_append_new(r, either(done, inv, "key"));
    json_array_append_new(r, either(done, inv, "node"));
    json_array_append_new(r, either(done, inv, "error"));
    json_array_append_new(r, completed_or_null(op, op->complete_index));
    json_array_append_new(r, json_integer(op->line));
    json_array_append_new(r, op->complete_line ? json_integer(op->complete_line) : json_null());
    json_decref(inv);
    json_decref(done);
    return r;
}

json_t *rp_ops_json(const rp_history *h) {
    json_t *names = json_array(), *rows = json_array();
    for (size_t i = 0; fields[i]; i++) json_array_append_new(names, json_string(fields[i]));
    for (size_t i = 0; i < h->op_count; i++)
        if (h->ops[i].selected && json_array_append_new(rows, row(h, &h->ops[i])) != 0) {
            json_decref(names);
            json_decref(rows);
            return NULL;
        }
    return json_pack("{s:o,s:o}", "fields", names, "rows", rows);
}

json_t *rp_faults_json(const rp_history *h) {
    json_t *windows = json_array(), *events = json_array();
    for (size_t i = 0; i < h->window_count; i++) {
        const rp_window *w = &h->windows[i];
        const rp_event *start = &h->events[w->start_event];
        const rp_event *stop = w->stop_event != RP_NONE ? &h->events[w->stop_event] : NULL;
        json_array_append_new(windows, json_pack(
            "{s:s,s:I,s:o,s:I,s:o,s:o,s:o,s:o}", "kind", w->kind, "start_ns",
            (json_int_t)start->time_ns, "stop_ns", stop ? json_integer(stop->time_ns) : json_null(),
            "start_index", (json_int_t)start->index, "stop_index",
            stop ? json_integer(stop->index) : json_null(), "stop_f",
            stop ? json_string(stop->f) : json_null(), "value", or_null(start->value),
            "stop_value", stop ? or_null(stop->value) : json_null()));
    }
    for (size_t i = 0; i < h->event_count && i < RP_EVENTS_MAX; i++) {
        const rp_event *e = &h->events[i];
        json_array_append_new(events, json_pack("{s:I,s:I,s:s,s:o,s:I}", "index",
                                                (json_int_t)e->index, "time_ns",
                                                (json_int_t)e->time_ns, "f", e->f, "value",
                                                or_null(e->value), "line", (json_int_t)e->line));
    }
    return json_pack("{s:o,s:o,s:I}", "windows", windows, "events", events, "event_count",
                     (json_int_t)h->event_count);
}
