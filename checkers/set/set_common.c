/* Shared pieces of the set checkers (see set_common.h). */
#include "set_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Element identity and order                                                           */

int fl_set_ids_init(fl_set_ids *ids) {
    memset(ids, 0, sizeof *ids);
    ids->map = fl_strmap_new();
    return ids->map ? 0 : -1;
}

void fl_set_ids_free(fl_set_ids *ids) {
    fl_strmap_free(ids->map);
    free(ids->buf);
    memset(ids, 0, sizeof *ids);
}

int64_t fl_set_ids_get(fl_set_ids *ids, int64_t group, json_t *value, fl_set_value *out,
                       bool *is_new) {
    char number[32];
    char *dumped = NULL;
    const char *text;
    size_t len;
    *is_new = false;
    /* Integers are most elements: print them without a jansson round trip. */
    if (json_is_integer(value)) {
        len = (size_t)snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT,
                               json_integer_value(value));
        text = number;
    } else {
        dumped = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!dumped) return -1;
        text = dumped;
        len = strlen(dumped);
    }
    if (fl_grow((void **)&ids->buf, &ids->buf_cap, len + 8, 1) != 0) {
        free(dumped);
        return -1;
    }
    memcpy(ids->buf, &group, 8);
    memcpy(ids->buf + 8, text, len);
    free(dumped);
    const char *stored;
    int64_t id = fl_strmap_put_copy(ids->map, ids->buf, len + 8, (int64_t)ids->count, &stored);
    if (id < 0) return -1;
    if ((size_t)id == ids->count) {
        ids->count++;
        *is_new = true;
        out->value = value;
        out->text = stored + 8;
        out->text_len = len;
        out->group = group;
    }
    return id;
}

static int type_rank(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_NULL: return 0;
    case JSON_FALSE:
    case JSON_TRUE: return 1;
    case JSON_INTEGER:
    case JSON_REAL: return 2;
    case JSON_STRING: return 3;
    case JSON_ARRAY: return 4;
    default: return 5;
    }
}

static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    int d = memcmp(a, b, alen < blen ? alen : blen);
    if (d) return d < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

int fl_set_value_compare(const fl_set_value *a, const fl_set_value *b) {
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    int ra = type_rank(a->value), rb = type_rank(b->value);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra == 1 && json_is_true(a->value) != json_is_true(b->value))
        return json_is_true(a->value) ? 1 : -1;
    if (ra == 2) {
        if (json_is_integer(a->value) && json_is_integer(b->value)) {
            json_int_t x = json_integer_value(a->value), y = json_integer_value(b->value);
            if (x != y) return x < y ? -1 : 1;
        } else {
            double x = json_number_value(a->value), y = json_number_value(b->value);
            if (x != y) return x < y ? -1 : 1;
        }
    }
    if (ra == 3) {
        int d = compare_bytes(json_string_value(a->value), json_string_length(a->value),
                              json_string_value(b->value), json_string_length(b->value));
        if (d) return d;
    }
    return compare_bytes(a->text, a->text_len, b->text, b->text_len);
}

/* ------------------------------------------------------------------------------------ */
/* Ops                                                                                  */

int64_t fl_set_op_key(const fl_history *h, const fl_op *op) {
    if (op->key != FL_NO_KEY || op->pair == FL_NO_PAIR) return op->key;
    return h->ops[op->pair].key;
}

const char *fl_set_op_node(const fl_history *h, const fl_op *op) {
    if (op->node) return op->node;
    return op->pair == FL_NO_PAIR ? NULL : h->ops[op->pair].node;
}

json_t *fl_set_key_json(const fl_history *h, int64_t group) {
    return group == 0 ? json_null() : json_incref(h->keys[group - 1]);
}

static const char *json_kind(const json_t *v) {
    if (!v) return "absent";
    switch (json_typeof(v)) {
    case JSON_NULL: return "null";
    case JSON_OBJECT: return "an object";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "an array";
    }
}

int fl_set_require_paired(const fl_history *h, const fl_op *op, const char *checker,
                          fl_error *err) {
    if (op->type == FL_INVOKE || op->pair != FL_NO_PAIR) return 0;
    fl_error_set(err, h->source, op->line, 0,
                 "%s completion (index %lld) of process %lld has no paired invocation: the "
                 "history must be paired (fl_history_pair) before the %s checker runs",
                 fl_op_type_name(op->type), (long long)op->index, (long long)op->process,
                 checker);
    return -1;
}

int fl_set_require_same_f(const fl_history *h, const fl_op *op, fl_error *err) {
    if (op->type == FL_INVOKE || !op->f[0]) return 0;
    const fl_op *inv = &h->ops[op->pair];
    if (!strcmp(op->f, inv->f)) return 0;
    fl_error_set(err, h->source, op->line, 0,
                 "%s completion (index %lld) of process %lld has f \"%s\" but its invocation "
                 "(index %lld) has f \"%s\"",
                 fl_op_type_name(op->type), (long long)op->index, (long long)op->process,
                 op->f, (long long)inv->index, inv->f);
    return -1;
}

int fl_set_require_add_value(const fl_history *h, const fl_op *op, fl_error *err) {
    if (op->value && !json_is_null(op->value)) return 0;
    fl_error_set(err, h->source, op->line, 0,
                 "add (index %lld) of process %lld has %s: an add's value is the element to "
                 "add",
                 (long long)op->index, (long long)op->process,
                 op->value ? "null as its value" : "no value");
    return -1;
}

int fl_set_require_read_list(const fl_history *h, const fl_op *op, fl_error *err) {
    if (json_is_array(op->value)) return 0;
    fl_error_set(err, h->source, op->line, 0,
                 "ok read (index %lld) of process %lld: its value is %s, not the list of "
                 "elements read",
                 (long long)op->index, (long long)op->process, json_kind(op->value));
    return -1;
}

/* ------------------------------------------------------------------------------------ */
/* Results                                                                              */

void fl_set_list_init(fl_set_list *l) {
    l->shown = json_array();
    l->count = 0;
}

void fl_set_list_add(fl_set_list *l, json_t *value) {
    if (l->count++ < FL_SET_LIST_MAX) json_array_append(l->shown, value);
}

void fl_set_list_put(json_t *o, const char *name, const char *count_name, fl_set_list *l) {
    json_object_set_new(o, name, l->shown);
    json_object_set_new(o, count_name, json_integer((json_int_t)l->count));
    l->shown = NULL;
}

json_t *fl_set_unknown_reason(const fl_history *h, const fl_set_group *groups,
                              size_t n_groups, size_t n_final_reads, size_t n_ok_reads,
                              json_t *result) {
    if (n_final_reads == 0) {
        if (n_ok_reads == 0) return json_string("no final read: no read completed ok");
        /* Name the latest-ending add of a set that has ok reads. */
        int64_t last = -1;
        for (size_t g = 0; g < n_groups; g++)
            if (groups[g].ok_reads && groups[g].last_add_end > last)
                last = groups[g].last_add_end;
        char text[256];
        snprintf(text, sizeof text,
                 "no final read: %zu ok read%s, none invoked after every add had ended "
                 "(the last add ended at index %lld)",
                 n_ok_reads, n_ok_reads == 1 ? "" : "s",
                 last >= 0 ? (long long)h->ops[last].index : -1LL);
        return json_string(text);
    }
    size_t with_adds = 0, without = 0;
    json_t *keys = json_array();
    for (size_t g = 0; g < n_groups; g++) {
        if (!groups[g].adds) continue;
        with_adds++;
        if (groups[g].final_reads) continue;
        if (without++ < FL_SET_LIST_MAX)
            json_array_append_new(keys, fl_set_key_json(h, (int64_t)g));
    }
    if (!without) {
        json_decref(keys);
        return NULL;
    }
    json_object_set_new(result, "keys_without_final_read", keys);
    char text[256];
    snprintf(text, sizeof text,
             "no final read of %zu of the %zu sets with adds (keys_without_final_read)",
             without, with_adds);
    return json_string(text);
}
