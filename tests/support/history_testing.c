/* Test helpers shared by the unit tests of histories (see history_testing.h), failing the
 * running cmocka test when something is off. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

fl_history *history_paired(const char *text, size_t len) {
    fl_history *h = fl_history_new("test.jsonl");
    assert_non_null(h);
    fl_error err;
    memset(&err, 0, sizeof err);
    char msg[1024];
    if (fl_jsonl_read_buffer(text, len, "test.jsonl", h, false, &err) != FL_READ_OK) {
        fl_error_format(&err, msg, sizeof msg);
        fail_msg("history does not parse: %s", msg);
    }
    if (fl_history_pair(h, &err) != FL_READ_OK) {
        fl_error_format(&err, msg, sizeof msg);
        fail_msg("history does not pair: %s", msg);
    }
    return h;
}

void text_put(text_buf *t, const char *fmt, ...) {
    for (;;) {
        if (t->s) {
            va_list ap;
            va_start(ap, fmt);
            int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
            va_end(ap);
            assert_true(n >= 0);
            if ((size_t)n < t->cap - t->len) {
                t->len += (size_t)n;
                return;
            }
        }
        t->cap = t->cap ? 2 * t->cap : 1 << 16;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

checker_run checker_run_on(const char *text) {
    checker_run r;
    memset(&r, 0, sizeof r);
    r.h = history_paired(text, strlen(text));
    return r;
}

void assert_checked(const checker_run *r) {
    if (!r->result) {
        char msg[1024];
        fl_error_format(&r->err, msg, sizeof msg);
        fail_msg("the checker refused the history: %s", msg);
    }
}

void checker_run_free(checker_run *r) {
    json_decref(r->result);
    fl_history_free(r->h);
}

int run_verdict(const checker_run *r) { return verdict_of(json_object_get(r->result, "valid")); }

const json_t *result_field(const json_t *result, const char *name) {
    const json_t *v = json_object_get(result, name);
    if (!v) fail_msg("no %s in the result", name);
    return v;
}

json_int_t result_count(const json_t *o, const char *name) {
    const json_t *v = json_object_get(o, name);
    if (!json_is_integer(v)) fail_msg("no integer %s in the result", name);
    return json_integer_value(v);
}

int temp_dir_make(char *dir, size_t bytes, const char *prefix) {
    snprintf(dir, bytes, "/tmp/%s_XXXXXX", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int temp_dir_remove(const char *dir) {
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void temp_dir_write(const char *dir, const char *rel, const char *text, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(path, 0755); /* may exist */
        *slash = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}
