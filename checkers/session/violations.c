/* The session checker's violation lists: every violation is counted, the first
 * VIOLATIONS_SHOWN_MAX of each guarantee are shown with their ops and a sentence. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "session_internal.h"

#define VALUE_TEXT_MAX 48 /* characters of a value shown in an explanation */

bool violation_count(checker *c, int g) {
    violation_list *v = &c->violations[g];
    v->count++;
    return v->count <= VIOLATIONS_SHOWN_MAX;
}

static json_t *key_json(const fl_history *h, int64_t group) {
    return group == 0 ? json_null() : json_incref(h->keys[group - 1]);
}

/* A JSON string of text cut by vsnprintf, which may have split a UTF-8 sequence at its
 * end: the incomplete tail is dropped. */
static json_t *utf8_string(char *text) {
    size_t n = strlen(text);
    json_t *s = json_stringn(text, n);
    while (!s && n > 0) {
        size_t lead = n - 1;
        while (lead > 0 && ((unsigned char)text[lead] & 0xC0) == 0x80) lead--;
        n = lead;
        s = json_stringn(text, n);
    }
    return s ? s : json_string("");
}

void violation_show(checker *c, int g, const char *rule, int64_t group, int64_t process,
                    const int64_t *invoke_pos, size_t n_ops, const char *fmt, ...) {
    char explanation[EXPLANATION_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(explanation, sizeof explanation, fmt, ap);
    va_end(ap);
    json_t *ops = json_array();
    for (size_t i = 0; i < n_ops && i < OPS_PER_VIOLATION_MAX; i++)
        json_array_append_new(ops, fl_op_pair_json(c->h, invoke_pos[i]));
    json_t *v = json_object();
    json_object_set_new(v, "rule", json_string(rule));
    json_object_set_new(v, "explanation", utf8_string(explanation));
    json_object_set_new(v, "key", key_json(c->h, group));
    json_object_set_new(v, "session", json_integer(process));
    json_object_set_new(v, "ops", ops);
    json_array_append_new(c->violations[g].shown, v);
}

void value_text(const json_t *v, char *out, size_t out_bytes) {
    if (!v) {
        snprintf(out, out_bytes, "(none)");
        return;
    }
    /* ASCII only, so that cutting it below never splits a UTF-8 sequence */
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    if (!text) {
        snprintf(out, out_bytes, "?");
        return;
    }
    if (strlen(text) > VALUE_TEXT_MAX) snprintf(out, out_bytes, "%.*s…", VALUE_TEXT_MAX, text);
    else snprintf(out, out_bytes, "%s", text);
    free(text);
}

void key_text(const checker *c, int64_t group, char *out, size_t out_bytes) {
    if (group == 0) snprintf(out, out_bytes, "null");
    else value_text(c->h->keys[group - 1], out, out_bytes);
}

long long op_index(const checker *c, int64_t pos) { return (long long)c->h->ops[pos].index; }
