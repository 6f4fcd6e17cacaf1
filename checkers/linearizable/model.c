/* The model registry, model inference from a history's ops, and the defaults for
 * optional model functions. */
#include "model.h"

#include <assert.h>
#include <stdlib.h>

extern const fl_model fl_model_register, fl_model_cas_register, fl_model_kv,
    fl_model_list_append, fl_model_set, fl_model_counter, fl_model_fifo_queue,
    fl_model_mutex, fl_model_fenced_register;

static const fl_model *const all_models[] = {
    &fl_model_register, &fl_model_cas_register, &fl_model_kv,        &fl_model_list_append,
    &fl_model_set,      &fl_model_counter,      &fl_model_fifo_queue, &fl_model_mutex,
    &fl_model_fenced_register, NULL,
};

const fl_model *const *fl_models(void) { return all_models; }

const fl_model *fl_model_find(const char *name) {
    for (size_t i = 0; all_models[i]; i++)
        if (strcmp(all_models[i]->name, name) == 0) return all_models[i];
    return NULL;
}

bool fl_model_equal(const fl_model *m, fl_state a, fl_state b) {
    return m->equal ? m->equal(a, b) : a == b;
}

uint64_t fl_model_hash(const fl_model *m, fl_state s) {
    if (m->hash) return m->hash(s);
    s ^= s >> 31;
    s *= 0x7fb5d329728ea185ULL;
    s ^= s >> 27;
    return s;
}

/* What a history's client ops look like, for inference. */
typedef struct op_shapes {
    bool read, write, cas, append_string, append_other, add, increment, enqueue, acquire,
        read_array, read_integer, other;
} op_shapes;

static void note_op(op_shapes *s, const fl_op *op) {
    if (fl_f_is(op, "read") || fl_f_is(op, "get")) {
        s->read = true;
        if (op->type == FL_OK && json_is_array(op->value)) s->read_array = true;
        if (op->type == FL_OK && json_is_integer(op->value)) s->read_integer = true;
    } else if (fl_f_is(op, "write") || fl_f_is(op, "put")) {
        s->write = true;
    } else if (fl_f_is(op, "cas")) {
        s->cas = true;
    } else if (fl_f_is(op, "append")) {
        if (json_is_string(op->value)) s->append_string = true;
        else s->append_other = true;
    } else if (fl_f_is(op, "add")) {
        s->add = true;
    } else if (fl_f_is(op, "increment")) {
        s->increment = true;
    } else if (fl_f_is(op, "enqueue") || fl_f_is(op, "dequeue")) {
        s->enqueue = true;
    } else if (fl_f_is(op, "acquire") || fl_f_is(op, "release")) {
        s->acquire = true;
    } else {
        s->other = true;
    }
}

const fl_model *fl_model_infer(const fl_history *h) {
    op_shapes s = {0};
    for (size_t i = 0; i < h->count; i++)
        if (h->ops[i].process != FL_PROCESS_NEMESIS) note_op(&s, &h->ops[i]);
    if (s.other) return NULL;
    if (s.acquire) return &fl_model_mutex;
    if (s.enqueue) return &fl_model_fifo_queue;
    if (s.append_other) return &fl_model_list_append;
    if (s.append_string) return &fl_model_kv;
    if (s.increment || (s.add && s.read_integer)) return &fl_model_counter;
    if (s.add) return &fl_model_set;
    if (s.cas) return &fl_model_cas_register;
    if (s.read || s.write) return &fl_model_register;
    return NULL;
}

void fl_model_state_text(const fl_model *m, const fl_interner *in, fl_state s, char *buf,
                         size_t len) {
    assert(len >= 8);
    json_t *j = m->describe(in, s);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    const char *t = text ? text : "?";
    size_t n = strlen(t);
    if (n < len) {
        memcpy(buf, t, n + 1);
    } else { /* cut on a UTF-8 boundary, then an ellipsis */
        size_t cut = len - 4;
        while (cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80) cut--;
        memcpy(buf, t, cut);
        memcpy(buf + cut, "\xE2\x80\xA6", 4);
    }
    free(text);
}
