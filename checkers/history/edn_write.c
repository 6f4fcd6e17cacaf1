/* Jepsen history.edn writer: one op map per line, in the field order of the JSON Lines
 * writer, with keywords wherever the op had them (or JSON cannot tell). */
#include "history.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A FILE that remembers whether any write to it failed, so the many small writes of
 * one op need no check each. */
typedef struct sink {
    FILE *out;
    bool failed;
} sink;

static void put(sink *s, const char *text) {
    if (fputs(text, s->out) == EOF) s->failed = true;
}

static void put_bytes(sink *s, const char *bytes, size_t n) {
    if (n && fwrite(bytes, 1, n, s->out) != n) s->failed = true;
}

static void put_char(sink *s, char c) {
    if (putc(c, s->out) == EOF) s->failed = true;
}

static void putf(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(sink *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(s->out, fmt, ap) < 0) s->failed = true;
    va_end(ap);
}

static bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Whether `name` reads back, after a colon, as the keyword it spells. Stricter than EDN
 * (ASCII only; no ':' or '#'), since a string is always a safe fallback. */
static bool keyword_name_ok(const char *name, size_t len) {
    static const char punctuation[] = "*+!-_?<>=$%&.";
    if (len == 0) return false;
    char c0 = name[0];
    bool letter = is_alnum(c0) && !(c0 >= '0' && c0 <= '9');
    if (!letter && (c0 == '\0' || c0 == '.' || !strchr(punctuation, c0))) return false;
    if ((c0 == '-' || c0 == '+') && len > 1 && name[1] >= '0' && name[1] <= '9') return false;
    bool slash = false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (c == '/' && !slash && i + 1 < len) slash = true;
        else if (!is_alnum(c) && !(c && strchr(punctuation, c))) return false;
    }
    return true;
}

/* An EDN string: ", \ and control bytes escaped; everything else (UTF-8) as is. */
static void put_string(sink *s, const char *text, size_t len) {
    put_char(s, '"');
    size_t run = 0; /* bytes copied unchanged, written in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put_bytes(s, text + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': put(s, "\\\""); break;
        case '\\': put(s, "\\\\"); break;
        case '\n': put(s, "\\n"); break;
        case '\t': put(s, "\\t"); break;
        case '\r': put(s, "\\r"); break;
        default: putf(s, "\\u%04x", c);
        }
    }
    put_bytes(s, text + run, len - run);
    put_char(s, '"');
}

/* f, node and error as strings. Reading strips one leading ':' from these fields
 * (keywords arrive as ":name"), so a text that itself starts with ':' gets one more
 * to lose. */
static void put_field_string(sink *s, const char *text) {
    size_t len = strlen(text);
    if (text[0] != ':') {
        put_string(s, text, len);
        return;
    }
    char *colon = malloc(len + 2);
    if (!colon) {
        s->failed = true;
        return;
    }
    colon[0] = ':';
    memcpy(colon + 1, text, len + 1);
    put_string(s, colon, len + 1);
    free(colon);
}

/* f and error: a keyword unless the source spelled it as a string. */
static void put_name(sink *s, const char *name, bool was_string) {
    size_t len = strlen(name);
    if (!was_string && keyword_name_ok(name, len)) {
        put_char(s, ':');
        put_bytes(s, name, len);
    } else {
        put_field_string(s, name);
    }
}

/* Shortest text that reads back as the same double, always with a '.' or an
 * exponent so that it reads back as a float, not an integer. */
static void put_real(sink *s, double d) {
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, d);
        if (strtod(text, NULL) == d) break;
    }
    if (!strpbrk(text, ".en")) strcat(text, ".0");
    put(s, text);
}

static void put_value(sink *s, const json_t *v);

/* key value pairs of obj, comma separated, without the braces. */
static void put_entries(sink *s, const json_t *obj) {
    const char *key;
    size_t key_len;
    json_t *v;
    bool first = true;
    json_object_keylen_foreach((json_t *)obj, key, key_len, v) {
        if (!first) put(s, ", ");
        first = false;
        if (keyword_name_ok(key, key_len)) {
            put_char(s, ':');
            put_bytes(s, key, key_len);
        } else {
            put_string(s, key, key_len);
        }
        put_char(s, ' ');
        put_value(s, v);
    }
}

static void put_value(sink *s, const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        put_char(s, '{');
        put_entries(s, v);
        put_char(s, '}');
        break;
    case JSON_ARRAY:
        put_char(s, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) put_char(s, ' ');
            put_value(s, json_array_get(v, i));
        }
        put_char(s, ']');
        break;
    case JSON_STRING: {
        /* The EDN reader turns keywords into ":name" strings; turn them back. */
        const char *text = json_string_value(v);
        size_t len = json_string_length(v);
        if (len > 1 && text[0] == ':' && keyword_name_ok(text + 1, len - 1))
            put_bytes(s, text, len);
        else
            put_string(s, text, len);
        break;
    }
    case JSON_INTEGER: putf(s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: put_real(s, json_real_value(v)); break;
    case JSON_TRUE: put(s, "true"); break;
    case JSON_FALSE: put(s, "false"); break;
    case JSON_NULL: put(s, "nil"); break;
    }
}

int fl_edn_write_op(FILE *out, const fl_history *h, const fl_op *op) {
    sink s = {.out = out, .failed = false};
    putf(&s, "{:index %lld", (long long)op->index);
    if (op->flags & FL_OP_HAS_TIME) putf(&s, ", :time %lld", (long long)op->time_ns);
    if (op->process == FL_PROCESS_NEMESIS)
        put(&s, ", :process :nemesis");
    else
        putf(&s, ", :process %lld", (long long)op->process);
    putf(&s, ", :type :%s", fl_op_type_name(op->type));
    /* An absent f is "" in the model; only an EDN "" string is written back. */
    if (op->f[0] || (op->flags & FL_OP_F_STRING)) {
        put(&s, ", :f ");
        put_name(&s, op->f, op->flags & FL_OP_F_STRING);
    }
    if (op->key != FL_NO_KEY) {
        put(&s, ", :key ");
        put_value(&s, h->keys[op->key]);
    }
    if (op->value) {
        put(&s, ", :value ");
        put_value(&s, op->value);
    }
    if (op->node) {
        put(&s, ", :node ");
        put_field_string(&s, op->node);
    }
    if (op->error) {
        put(&s, ", :error ");
        put_name(&s, op->error, op->flags & FL_OP_ERROR_STRING);
    }
    if (op->extra && json_object_size(op->extra)) {
        put(&s, ", ");
        put_entries(&s, op->extra);
    }
    put(&s, "}\n");
    return s.failed ? -1 : 0;
}
