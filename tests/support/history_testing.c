/* Test helpers shared by the unit tests of histories (see history_testing.h), failing the
 * running cmocka test when something is off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history_testing.h"

fl_history *edn_read(const char *text, int independent, bool allow_truncated, int *rc,
                     fl_error *err) {
    fl_history *h = fl_history_new("t.edn");
    assert_non_null(h);
    fl_read_options opt = {.allow_truncated = allow_truncated, .independent = independent};
    memset(err, 0, sizeof *err);
    *rc = fl_edn_read(text, strlen(text), "t.edn", h, &opt, err);
    return h;
}

fl_history *jsonl_read(const char *text, bool allow_truncated, int *rc, fl_error *err) {
    fl_history *h = fl_history_new("t.jsonl");
    assert_non_null(h);
    memset(err, 0, sizeof *err);
    *rc = fl_jsonl_read_buffer(text, strlen(text), "t.jsonl", h, allow_truncated, err);
    return h;
}

/* Fail unless rc is FL_READ_OK, showing err first: cmocka's own message would only say
 * that two numbers differ. */
static void assert_read_ok(int rc, const fl_error *err) {
    if (rc != FL_READ_OK)
        print_error("unexpected error %u:%u: %s\n", err->line, err->column, err->message);
    assert_int_equal(rc, FL_READ_OK);
}

fl_history *edn_read_ok(const char *text, int independent) {
    int rc;
    fl_error err;
    fl_history *h = edn_read(text, independent, false, &rc, &err);
    assert_read_ok(rc, &err);
    return h;
}

fl_history *jsonl_ok(const char *text) {
    int rc;
    fl_error err;
    fl_history *h = jsonl_read(text, false, &rc, &err);
    assert_read_ok(rc, &err);
    return h;
}

void assert_read_error(const char *text, int rc, const fl_error *err, uint32_t line,
                       uint32_t column, const char *needle) {
    if (rc == FL_READ_OK || err->line != line || err->column != column ||
        !strstr(err->message, needle))
        print_error("input: %s\ngot rc %d at %u:%u: %s\nwanted %u:%u: ...%s...\n", text, rc,
                    err->line, err->column, err->message, line, column, needle);
    assert_int_equal(rc, FL_READ_MALFORMED);
    assert_int_equal(err->line, line);
    assert_int_equal(err->column, column);
    assert_non_null(strstr(err->message, needle));
}

void assert_json(const json_t *got, const char *want_text) {
    json_error_t jerr;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &jerr);
    if (!want) fail_msg("bad expected JSON in the test: %s", jerr.text);
    if (!json_equal(got, want)) {
        char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        fail_msg("got %s\nwanted %s", text ? text : "(null)", want_text);
    }
    json_decref(want);
}

char *write_history(const fl_history *h, fl_format format) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(fl_history_write(out, h, format), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

static bool same_json(const json_t *a, const json_t *b) {
    return (!a && !b) || (a && b && json_equal(a, b));
}

static bool same_text(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void assert_same_ops(const fl_history *a, const fl_history *b, bool flags) {
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const fl_op *x = &a->ops[i], *y = &b->ops[i];
        assert_int_equal(x->index, y->index);
        assert_int_equal(x->time_ns, y->time_ns);
        assert_int_equal(x->process, y->process);
        assert_int_equal(x->type, y->type);
        assert_string_equal(x->f, y->f);
        assert_true(same_text(x->node, y->node));
        assert_true(same_text(x->error, y->error));
        assert_true(same_json(x->value, y->value));
        assert_true(same_json(x->extra, y->extra));
        assert_int_equal(x->key == FL_NO_KEY, y->key == FL_NO_KEY);
        if (x->key != FL_NO_KEY) assert_true(json_equal(a->keys[x->key], b->keys[y->key]));
        /* An f or error that is no keyword name goes to EDN as a string, and reads back
         * marked as one; JSON never marks it. So across formats callers ask only the
         * time flag to agree. */
        if (flags) assert_int_equal(x->flags, y->flags);
        else assert_int_equal(x->flags & FL_OP_HAS_TIME, y->flags & FL_OP_HAS_TIME);
    }
}

char *slurp(const char *path, size_t *len) {
    FILE *in = fopen(path, "rb");
    if (!in) return NULL;
    char *text = NULL;
    size_t capacity = 0;
    *len = 0;
    for (;;) {
        if (*len + 4096 + 1 > capacity) {
            capacity = capacity ? capacity * 2 : 65536;
            text = realloc(text, capacity);
            assert_non_null(text);
        }
        size_t n = fread(text + *len, 1, capacity - *len - 1, in);
        *len += n;
        if (n == 0) break;
    }
    fclose(in);
    text[*len] = '\0';
    return text;
}

int verdict_of(const json_t *v) {
    if (json_is_true(v)) return 1;
    if (json_is_false(v)) return 0;
    if (json_is_string(v) && !strcmp(json_string_value(v), "unknown")) return -1;
    fail_msg("\"valid\" is neither true, false nor \"unknown\"");
    return -2;
}
