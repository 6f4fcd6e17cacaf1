/* Checks shared by the libFuzzer targets (see fuzz_common.h), linked into each one. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void broken(const char *what, const fl_error *err) {
    fprintf(stderr, "%s: %s: %u:%u: %s\n", fuzz_target_name, what, err ? err->line : 0,
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

bool same_op(const fl_history *ha, const fl_op *a, const fl_history *hb, const fl_op *b) {
    return a->index == b->index && a->time_ns == b->time_ns && a->process == b->process &&
           a->type == b->type && same_name(a->f, b->f) &&
           same_name(a->node, b->node) &&
           same_name(a->error, b->error) && same_json(a->value, b->value) &&
           same_json(a->extra, b->extra) &&
           (a->flags & FL_OP_HAS_TIME) == (b->flags & FL_OP_HAS_TIME) &&
           (a->key == FL_NO_KEY) == (b->key == FL_NO_KEY) &&
           (a->key == FL_NO_KEY || json_equal(ha->keys[a->key], hb->keys[b->key]));
}

void check_reads_back(const fl_history *h, fl_format format) {
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
