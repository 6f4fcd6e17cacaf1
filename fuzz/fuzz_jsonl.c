/* libFuzzer target: any bytes through the JSON Lines reader, pairing, and both
 * writers, checking that what the writers write reads back as the same ops, and that
 * the reader's fast path agrees with jansson on every line it takes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The EDN reader stops at this nesting (JSON allows more), so deeper values cannot go
 * through EDN and back; the op map itself is one level. */
#define EDN_MAX_VALUE_DEPTH 255

/* Stop the fuzzer with the reason: libFuzzer saves the input that got here. */
static void broken(const char *what, const fl_error *err) {
    fprintf(stderr, "fuzz_jsonl: %s: %u:%u: %s\n", what, err ? err->line : 0,
            err ? err->column : 0, err ? err->message : "");
    abort();
}

static char *write_all(const fl_history *h, fl_format format, size_t *len) {
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    if (!out) abort();
    if (fl_history_write(out, h, format) != 0) broken("a writer failed", NULL);
    if (fclose(out) != 0) abort();
    return text;
}

static bool same_json(const json_t *a, const json_t *b) {
    return (!a && !b) || (a && b && json_equal(a, b));
}

static bool same_name(const char *a, const char *b) {
    if (!a || !b) return !a && !b;
    return strcmp(a, b) == 0;
}

/* Everything but the keyword flags: JSON never sets them, and a name that is no valid
 * keyword (e.g. a:b) gains one on the way through EDN, written as a string. */
static bool same_op(const fl_history *ha, const fl_op *a, const fl_history *hb, const fl_op *b) {
    return a->index == b->index && a->time_ns == b->time_ns && a->process == b->process &&
           a->type == b->type && same_name(a->f, b->f) &&
           same_name(a->node, b->node) &&
           same_name(a->error, b->error) && same_json(a->value, b->value) &&
           same_json(a->extra, b->extra) &&
           (a->flags & FL_OP_HAS_TIME) == (b->flags & FL_OP_HAS_TIME) &&
           (a->key == FL_NO_KEY) == (b->key == FL_NO_KEY) &&
           (a->key == FL_NO_KEY || json_equal(ha->keys[a->key], hb->keys[b->key]));
}

static size_t depth(const json_t *v) {
    size_t deepest = 0;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            size_t d = depth(json_array_get(v, i));
            if (d > deepest) deepest = d;
        }
        return deepest + 1;
    }
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            size_t d = depth(item);
            if (d > deepest) deepest = d;
        }
        return deepest + 1;
    }
    return 0;
}

static bool fits_edn(const fl_history *h) {
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (depth(op->value) > EDN_MAX_VALUE_DEPTH ||
            depth(op->extra) > EDN_MAX_VALUE_DEPTH + 1 ||
            (op->key != FL_NO_KEY && depth(h->keys[op->key]) > EDN_MAX_VALUE_DEPTH))
            return false;
    }
    return true;
}

/* Read back what was written and compare it op by op with the original. */
static void check_reads_back(const fl_history *h, fl_format format) {
    size_t len = 0;
    char *text = write_all(h, format, &len);
    fl_history *again = fl_history_new("again");
    if (!again) abort();
    fl_error err;
    const fl_read_options opt = {.allow_truncated = false, .independent = 0};
    int rc = format == FL_FORMAT_EDN ? fl_edn_read(text, len, "again", again, &opt, &err)
                                     : fl_jsonl_read_buffer(text, len, "again", again, false, &err);
    if (rc != FL_READ_OK)
        broken(format == FL_FORMAT_EDN ? "written EDN does not read back"
                                       : "written JSONL does not read back", &err);
    if (again->count != h->count) broken("a different number of ops read back", NULL);
    for (size_t i = 0; i < h->count; i++) {
        if (same_op(h, &h->ops[i], again, &again->ops[i])) continue;
        fprintf(stderr, "op %zu, before and after going through %s:\n", i,
                format == FL_FORMAT_EDN ? "EDN" : "JSONL");
        fl_jsonl_write_op(stderr, h, &h->ops[i]);
        fl_jsonl_write_op(stderr, again, &again->ops[i]);
        broken("an op changed on the way", NULL);
    }
    fl_history_free(again);
    free(text);
}

/* Each line through the fast path and through jansson (what jsonl_read.c does without
 * the fast path): where the fast path takes a line, jansson must take it too and make
 * the same op of it. */
static void check_fast_path(const char *text, size_t size) {
    fl_history *fast = fl_history_new("fast"), *slow = fl_history_new("slow");
    if (!fast || !slow) abort();
    uint32_t line = 0;
    for (size_t start = 0; start < size;) {
        const char *nl = memchr(text + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - text) + 1 : size, before = fast->count;
        line++;
        if (!fl_jsonl_fast_line(fast, text + start, end - start, line)) {
            if (fast->count != before) broken("the fast path refused a line but added an op", NULL);
            start = end;
            continue;
        }
        json_t *obj = json_loadb(text + start, end - start, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        fl_error err;
        if (!obj) broken("the fast path took a line that jansson rejects", NULL);
        if (fl_history_add_object(slow, obj, line, false, &err) != FL_READ_OK)
            broken("the fast path took a line that makes no op", &err);
        json_decref(obj);
        fl_op *a = &fast->ops[fast->count - 1], *b = &slow->ops[slow->count - 1];
        if (fast->count != slow->count || !same_op(fast, a, slow, b) ||
            a->flags != b->flags || a->line != b->line) {
            fprintf(stderr, "line %u, fast path and jansson:\n", line);
            fl_jsonl_write_op(stderr, fast, a);
            fl_jsonl_write_op(stderr, slow, b);
            broken("the fast path and jansson disagree", NULL);
        }
        start = end;
    }
    fl_history_free(fast);
    fl_history_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    check_fast_path(text, size);
    for (int allow = 0; allow <= 1; allow++) {
        fl_history *h = fl_history_new("fuzz.jsonl");
        if (!h) abort();
        fl_error err;
        if (fl_jsonl_read_buffer(text, size, "fuzz.jsonl", h, allow, &err) == FL_READ_OK) {
            (void)fl_history_pair(h, &err);
            check_reads_back(h, FL_FORMAT_JSONL);
            if (fits_edn(h)) check_reads_back(h, FL_FORMAT_EDN);
        }
        fl_history_free(h);
    }
    return 0;
}
