/* One-line summaries of a checker's result for JUnit messages (see junit.h): what a CI
 * page shows before anyone opens results.json, so it names the ops and the counts. */
#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "junit.h"

#define KEYS_NAMED_MAX 5     /* invalid keys named in a linearizable summary */
#define ELEMENTS_SHOWN_MAX 3 /* first elements of a set checker category */
#define COUNTS_SHOWN_MAX 8   /* *_count fields in the last-resort summary */
#define JSON_SHOWN_BYTES 200 /* a value or an entry shown as JSON */

/* A bounded line: text past the end is cut at a character boundary and marked "…". */
typedef struct line {
    char *buf;
    size_t bytes, len;
    bool full;
    int parts;
} line;

static void add(line *l, const char *s, size_t n) {
    if (l->full || l->bytes == 0) return;
    size_t room = l->bytes - 1 - l->len, keep = n;
    if (n > room) {
        keep = room >= 3 ? room - 3 : 0; /* room for the "…" */
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) keep--;
        l->full = true;
    }
    for (size_t i = 0; i < keep; i++) { /* one line: no newlines or tabs; no NULs */
        if (s[i] == '\0') continue;
        l->buf[l->len++] = (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ? ' ' : s[i];
    }
    if (l->full && room >= 3) {
        memcpy(l->buf + l->len, "\xE2\x80\xA6", 3);
        l->len += 3;
    }
    l->buf[l->len] = '\0';
}

static void addf(line *l, const char *fmt, ...) {
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n > 0) add(l, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

#define add_literal(l, s) add(l, s, sizeof(s) - 1)

/* Starts a new part of the summary: "; " between parts. */
static void part(line *l) {
    if (l->parts++ > 0) add_literal(l, "; ");
}

static void add_json(line *l, const json_t *v) {
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        add_literal(l, "?");
        return;
    }
    size_t n = strlen(text);
    if (n > JSON_SHOWN_BYTES) {
        n = JSON_SHOWN_BYTES;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--;
        add(l, text, n);
        add_literal(l, "\xE2\x80\xA6");
    } else {
        add(l, text, n);
    }
    free(text);
}

static bool add_string_field(line *l, const json_t *result, const char *name) {
    const json_t *v = json_object_get(result, name);
    if (!json_is_string(v) || json_string_length(v) == 0) return false;
    part(l);
    add(l, json_string_value(v), json_string_length(v));
    return true;
}

/* "op 17 (process 3, read, value null, output 4, ok, line 35)" */
static void add_op(line *l, const json_t *op) {
    addf(l, "op %lld (process %lld, ", (long long)json_integer_value(json_object_get(op, "index")),
         (long long)json_integer_value(json_object_get(op, "process")));
    const char *f = json_string_value(json_object_get(op, "f"));
    add(l, f ? f : "?", strlen(f ? f : "?"));
    add_literal(l, ", value ");
    add_json(l, json_object_get(op, "value"));
    if (json_object_get(op, "output")) {
        add_literal(l, ", output ");
        add_json(l, json_object_get(op, "output"));
    }
    const char *type = json_string_value(json_object_get(op, "type"));
    if (type) addf(l, ", %s", type);
    if (json_is_integer(json_object_get(op, "line")))
        addf(l, ", line %lld", (long long)json_integer_value(json_object_get(op, "line")));
    add_literal(l, ")");
}

static bool linearizable_summary(line *l, const json_t *result) {
    const json_t *invalid = json_object_get(result, "invalid_keys");
    const json_t *keys = json_object_get(result, "keys");
    if (!json_is_array(invalid) || json_array_size(invalid) == 0) return false;
    size_t n = json_array_size(invalid);
    json_int_t total = json_is_integer(json_object_get(result, "key_count"))
                           ? json_integer_value(json_object_get(result, "key_count"))
                           : (json_int_t)json_object_size(keys);
    part(l);
    if (total >= (json_int_t)n)
        addf(l, "%zu of %lld key%s not linearizable: ", n, (long long)total, total == 1 ? "" : "s");
    else
        addf(l, "%zu key%s not linearizable: ", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < KEYS_NAMED_MAX; i++) {
        if (i) add_literal(l, ", ");
        add_json(l, json_array_get(invalid, i));
    }
    if (n > KEYS_NAMED_MAX) addf(l, " and %zu more", n - KEYS_NAMED_MAX);
    const json_t *first = json_array_get(invalid, 0);
    const json_t *key = json_is_string(first) ? json_object_get(keys, json_string_value(first)) : NULL;
    const json_t *op = json_object_get(key, "failing_op");
    if (json_is_object(op)) {
        part(l);
        add_literal(l, "key ");
        add_json(l, first);
        add_literal(l, " failing ");
        add_op(l, op);
    }
    add_string_field(l, key, "explanation");
    return true;
}

/* The set checker's anomaly categories (checkers/set/set.h). */
static void set_categories(line *l, const json_t *result) {
    static const char *const names[] = {"lost", "unexpected", "failed_but_present", "duplicated"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char count_name[64];
        snprintf(count_name, sizeof count_name, "%s_count", names[i]);
        json_int_t count = json_integer_value(json_object_get(result, count_name));
        if (count <= 0) continue;
        part(l);
        addf(l, "%s %lld", names[i], (long long)count);
        const json_t *list = json_object_get(result, names[i]);
        if (!json_is_array(list) || json_array_size(list) == 0) continue;
        add_literal(l, " (first: ");
        for (size_t k = 0; k < json_array_size(list) && k < ELEMENTS_SHOWN_MAX; k++) {
            if (k) add_literal(l, ", ");
            add_json(l, json_array_get(list, k));
        }
        add_literal(l, ")");
    }
}

/* Elle-style anomaly type lists and generic violation lists. */
static void anomaly_lists(line *l, const json_t *result) {
    static const char *const type_fields[] = {"anomaly_types", "anomaly-types"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *types = json_object_get(result, type_fields[i]);
        if (!json_is_array(types) || json_array_size(types) == 0) continue;
        part(l);
        add_literal(l, "anomalies: ");
        for (size_t k = 0; k < json_array_size(types); k++) {
            const json_t *t = json_array_get(types, k);
            if (k) add_literal(l, ", ");
            if (json_is_string(t)) add(l, json_string_value(t), json_string_length(t));
            else add_json(l, t);
        }
    }
    static const char *const list_fields[] = {"violations", "anomalies"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *list = json_object_get(result, list_fields[i]);
        size_t n = json_is_array(list) ? json_array_size(list) : json_object_size(list);
        if (n == 0) continue;
        part(l);
        addf(l, "%s %zu, first: ", list_fields[i], n);
        if (json_is_array(list)) {
            add_json(l, json_array_get(list, 0));
        } else {
            void *it = json_object_iter((json_t *)list);
            add(l, json_object_iter_key(it), strlen(json_object_iter_key(it)));
            add_literal(l, " ");
            add_json(l, json_object_iter_value(it));
        }
    }
}

static void nonzero_counts(line *l, const json_t *result) {
    const char *name;
    const json_t *v;
    int shown = 0;
    json_object_foreach((json_t *)result, name, v) {
        size_t n = strlen(name);
        if (n <= 6 || strcmp(name + n - 6, "_count") != 0) continue;
        if (!json_is_integer(v) || json_integer_value(v) <= 0) continue;
        if (shown++ == COUNTS_SHOWN_MAX) break;
        part(l);
        add(l, name, n - 6);
        addf(l, " %lld", (long long)json_integer_value(v));
    }
}

void fl_junit_anomaly_summary(const json_t *result, char *out, size_t bytes) {
    assert(out && bytes > 0);
    line l = {out, bytes, 0, false, 0};
    out[0] = '\0';
    if (linearizable_summary(&l, result)) return;
    add_string_field(&l, result, "explanation");
    add_string_field(&l, result, "error");
    set_categories(&l, result);
    anomaly_lists(&l, result);
    if (l.parts == 0) nonzero_counts(&l, result);
    if (l.parts == 0) add_string_field(&l, result, "reason");
    if (l.parts == 0) addf(&l, "verdict false; the result explains nothing more (see results.json)");
}

void fl_junit_unknown_reason(const json_t *result, char *out, size_t bytes) {
    assert(out && bytes > 0);
    line l = {out, bytes, 0, false, 0};
    out[0] = '\0';
    const json_t *valid = json_object_get(result, "valid");
    if (!json_is_boolean(valid) && !(json_is_string(valid) && !strcmp(json_string_value(valid), "unknown"))) {
        part(&l);
        addf(&l, "no verdict (\"valid\" is missing or not true, false or \"unknown\")");
    }
    if (!add_string_field(&l, result, "reason") && !add_string_field(&l, result, "error"))
        add_string_field(&l, result, "explanation");
    const json_t *undecided = json_object_get(result, "unknown_keys");
    if (json_is_array(undecided) && json_array_size(undecided) > 0) {
        const json_t *first = json_array_get(undecided, 0);
        part(&l);
        addf(&l, "%zu key%s undecided, first ", json_array_size(undecided),
             json_array_size(undecided) == 1 ? "" : "s");
        add_json(&l, first);
        const json_t *key = json_is_string(first)
                                ? json_object_get(json_object_get(result, "keys"), json_string_value(first))
                                : NULL;
        const char *why = json_string_value(json_object_get(key, "reason"));
        if (why) {
            add_literal(&l, ": ");
            add(&l, why, strlen(why));
        }
    }
    if (l.parts == 0) addf(&l, "verdict unknown; the result gives no reason");
}
