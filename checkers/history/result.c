/* Verdicts and op pairs as checkers' results show them (see result.h). */
#include "result.h"

#include <assert.h>
#include <string.h>

json_t *fl_verdict_worst(const json_t *a, const json_t *b) {
    if (json_is_false(a) || json_is_false(b)) return json_false();
    if (json_is_string(a) || json_is_string(b)) return json_string("unknown");
    return json_true();
}

json_t *fl_op_pair_json(const fl_history *h, int64_t invoke_pos) {
    assert(invoke_pos >= 0);
    assert((size_t)invoke_pos < h->count);
    const fl_op *inv = &h->ops[invoke_pos];
    const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(inv->index));
    json_object_set_new(o, "process", json_integer(inv->process));
    json_object_set_new(o, "f", json_string(inv->f));
    json_object_set_new(o, "value", inv->value ? json_incref(inv->value) : json_null());
    json_object_set_new(o, "type", json_string(done ? fl_op_type_name(done->type) : "info"));
    if (done && done->value && !(inv->value && json_equal(inv->value, done->value)))
        json_object_set_new(o, "output", json_incref(done->value));
    json_object_set_new(o, "complete_index", done ? json_integer(done->index) : json_null());
    if (inv->line) json_object_set_new(o, "line", json_integer(inv->line));
    return o;
}

void fl_json_note_string(json_t *list, const char *s) {
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t)
        if (!strcmp(json_string_value(t), s)) return;
    json_array_append_new(list, json_string(s));
}
