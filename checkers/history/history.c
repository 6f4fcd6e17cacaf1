/* The op model: building ops from decoded maps, interning, and pairing. */
#include "history.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"invoke", "ok", "fail", "info"};

const char *fl_op_type_name(int type) {
    assert(type >= FL_INVOKE && type <= FL_INFO);
    return type_names[type];
}

int fl_op_type_parse(const char *name) {
    for (int t = FL_INVOKE; t <= FL_INFO; t++)
        if (strcmp(name, type_names[t]) == 0) return t;
    return -1;
}

fl_history *fl_history_new(const char *source) {
    fl_history *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->pool = fl_strpool_new();
    h->key_ids = fl_strmap_new();
    h->source = strdup(source ? source : "-");
    if (!h->pool || !h->key_ids || !h->source) {
        fl_history_free(h);
        return NULL;
    }
    return h;
}

int fl_grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

void fl_history_free(fl_history *h) {
    if (!h) return;
    for (size_t i = 0; i < h->count; i++) {
        json_decref(h->ops[i].value);
        json_decref(h->ops[i].extra);
    }
    for (size_t i = 0; i < h->key_count; i++) json_decref(h->keys[i]);
    free(h->ops);
    free(h->keys);
    fl_strmap_free(h->key_ids);
    fl_strpool_free(h->pool);
    free(h->source);
    free(h);
}

void fl_error_set(fl_error *e, const char *file, uint32_t line, uint32_t column,
                  const char *fmt, ...) {
    snprintf(e->file, sizeof e->file, "%s", file ? file : "-");
    e->line = line;
    e->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void fl_error_format(const fl_error *e, char *out, size_t out_bytes) {
    if (e->line && e->column)
        snprintf(out, out_bytes, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
    else if (e->line)
        snprintf(out, out_bytes, "%s:%u: %s", e->file, e->line, e->message);
    else
        snprintf(out, out_bytes, "%s: %s", e->file, e->message);
}

fl_op *fl_history_append(fl_history *h) {
    if (h->count == h->capacity) {
        size_t capacity = h->capacity ? h->capacity * 2 : 1024;
        fl_op *ops = realloc(h->ops, capacity * sizeof *ops);
        if (!ops) return NULL;
        h->ops = ops;
        h->capacity = capacity;
    }
    fl_op *op = &h->ops[h->count++];
    memset(op, 0, sizeof *op);
    op->index = (int64_t)h->count - 1;
    op->pair = FL_NO_PAIR;
    op->key = FL_NO_KEY;
    op->f = "";
    return op;
}

int32_t fl_history_intern_key(fl_history *h, json_t *key) {
    char *text = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!text) return -1;
    size_t len = strlen(text);
    int64_t id = fl_strmap_get(h->key_ids, text, len);
    if (id < 0) {
        if (h->key_count == h->key_capacity) {
            size_t capacity = h->key_capacity ? h->key_capacity * 2 : 64;
            json_t **keys = realloc(h->keys, capacity * sizeof *keys);
            if (!keys) goto oom;
            h->keys = keys;
            h->key_capacity = capacity;
        }
        id = fl_strmap_put(h->key_ids, text, len, (int64_t)h->key_count);
        if (id < 0) goto oom;
        h->keys[h->key_count++] = json_incref(key);
    }
    free(text);
    return (int32_t)id;
oom:
    free(text);
    return -1;
}

/* A keyword from an EDN map arrives as ":name"; JSON has no keywords, so a JSON
 * string keeps every character. */
static const char *strip_keyword(const char *s, bool edn, bool *was_keyword) {
    *was_keyword = edn && s[0] == ':' && s[1] != '\0';
    return *was_keyword ? s + 1 : s;
}

static int set_process(fl_op *op, json_t *v, bool edn) {
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        op->process = json_integer_value(v);
        return 0;
    }
    bool kw;
    if (json_is_string(v) && strcmp(strip_keyword(json_string_value(v), edn, &kw), "nemesis") == 0) {
        op->process = FL_PROCESS_NEMESIS;
        return 0;
    }
    return -1;
}

static const char *intern(fl_history *h, const char *s) {
    return fl_strpool_intern(h->pool, s, strlen(s));
}

/* One named field of an op; returns NULL or what was wrong. */
static const char *set_field(fl_history *h, fl_op *op, const char *name, json_t *v,
                             bool edn, bool *has_type, bool *has_process) {
    bool kw;
    if (strcmp(name, "index") == 0) {
        if (!json_is_integer(v)) return "\"index\" must be an integer";
        op->index = json_integer_value(v);
    } else if (strcmp(name, "time") == 0) {
        if (!json_is_number(v)) return "\"time\" must be a number (nanoseconds)";
        double real = json_is_real(v) ? json_real_value(v) : 0;
        if (json_is_real(v) && !(real > -9.2e18 && real < 9.2e18))
            return "\"time\" is out of range (nanoseconds since the run started)";
        op->time_ns = json_is_integer(v) ? json_integer_value(v) : (int64_t)real;
        op->flags |= FL_OP_HAS_TIME;
    } else if (strcmp(name, "process") == 0) {
        if (set_process(op, v, edn) != 0)
            return "\"process\" must be a non-negative integer or \"nemesis\"";
        *has_process = true;
    } else if (strcmp(name, "type") == 0) {
        int t = json_is_string(v) ? fl_op_type_parse(strip_keyword(json_string_value(v), edn, &kw)) : -1;
        if (t < 0) return "\"type\" must be one of invoke, ok, fail, info";
        op->type = (uint8_t)t;
        *has_type = true;
    } else if (strcmp(name, "f") == 0) {
        if (!json_is_string(v)) return "\"f\" must be a string or keyword";
        op->f = intern(h, strip_keyword(json_string_value(v), edn, &kw));
        if (!op->f) return "out of memory";
        if (edn && !kw) op->flags |= FL_OP_F_STRING;
    } else if (strcmp(name, "key") == 0) {
        /* null is the nil key (a jepsen.independent [nil v] tuple), not "no key". */
        op->key = fl_history_intern_key(h, v);
        if (op->key < 0) return "out of memory";
    } else if (strcmp(name, "value") == 0) {
        op->value = json_incref(v);
    } else if (strcmp(name, "node") == 0 && json_is_string(v)) {
        op->node = intern(h, strip_keyword(json_string_value(v), edn, &kw));
        if (!op->node) return "out of memory";
    } else if (strcmp(name, "error") == 0 && json_is_string(v)) {
        op->error = intern(h, strip_keyword(json_string_value(v), edn, &kw));
        if (!op->error) return "out of memory";
        if (edn && !kw) op->flags |= FL_OP_ERROR_STRING;
    } else {
        if (!op->extra && !(op->extra = json_object())) return "out of memory";
        if (json_object_set(op->extra, name, v) != 0) return "out of memory";
    }
    return NULL;
}

/* Undo an op that was appended but could not be completed. */
static int drop_last(fl_history *h, int rc) {
    fl_op *op = &h->ops[--h->count];
    json_decref(op->value);
    json_decref(op->extra);
    return rc;
}

int fl_history_add_object(fl_history *h, json_t *obj, uint32_t line, bool edn, fl_error *err) {
    if (!json_is_object(obj)) {
        fl_error_set(err, h->source, line, 1, "expected an op map, found %s",
                     json_is_array(obj) ? "an array" : "a scalar");
        return FL_READ_MALFORMED;
    }
    fl_op *op = fl_history_append(h);
    if (!op) {
        fl_error_set(err, h->source, line, 0, "out of memory");
        return FL_READ_IO;
    }
    op->line = line;
    bool has_type = false, has_process = false;
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        const char *problem = set_field(h, op, name, v, edn, &has_type, &has_process);
        if (problem) {
            fl_error_set(err, h->source, line, 1, "%s", problem);
            return drop_last(h, FL_READ_MALFORMED);
        }
    }
    if (!has_type || !has_process) {
        fl_error_set(err, h->source, line, 1, "op is missing \"%s\"",
                     has_type ? "process" : "type");
        return drop_last(h, FL_READ_MALFORMED);
    }
    return FL_READ_OK;
}
