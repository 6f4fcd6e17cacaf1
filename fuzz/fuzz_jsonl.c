/* libFuzzer target: any bytes through the JSON Lines reader, pairing, and both
 * writers, checking that what the writers write reads back as the same ops, and that
 * the reader's fast path agrees with jansson on every line it takes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "fuzz_jsonl";

/* The EDN reader stops at this nesting (JSON allows more), so deeper values cannot go
 * through EDN and back; the op map itself is one level. */
#define EDN_MAX_VALUE_DEPTH 255

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
