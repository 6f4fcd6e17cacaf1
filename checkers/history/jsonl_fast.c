/* The fast path of the JSON Lines reader: an op line in the shape faultline itself
 * writes (a flat object of the known fields; integers, plain ASCII strings, null,
 * booleans; composite values handed to jansson) becomes an op without building a
 * jansson object for the line, which is most of the cost of reading 10^6 ops. Any
 * line it is not sure about — an escape, a float, a non-ASCII byte, an unknown or
 * repeated field, anything malformed — is left untouched for jansson (the reference
 * path), so both paths accept exactly the same lines and give the same ops; the fuzz
 * target fuzz_jsonl checks that they agree. */
#include <stdlib.h>
#include <string.h>

#include "history.h"

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static bool eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A string of printable ASCII without escapes; *s and *len exclude the quotes. */
static bool plain_string(cursor *c, const char **s, size_t *len) {
    if (c->p >= c->end || *c->p != '"') return false;
    const char *start = ++c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20 || ch >= 0x7f || ch == '\\') return false;
        c->p++;
    }
    if (c->p >= c->end) return false;
    *s = start;
    *len = (size_t)(c->p++ - start);
    return true;
}

/* -?(0|[1-9][0-9]*) with at most 18 digits (no overflow), not followed by . e E. */
static bool plain_integer(cursor *c, long long *out) {
    const char *p = c->p;
    bool negative = p < c->end && *p == '-';
    if (negative) p++;
    const char *digits = p;
    long long v = 0;
    while (p < c->end && *p >= '0' && *p <= '9' && p - digits < 18) v = v * 10 + (*p++ - '0');
    size_t n = (size_t)(p - digits);
    if (n == 0 || n > 18 || (n > 1 && digits[0] == '0')) return false;
    if (p < c->end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')))
        return false;
    c->p = p;
    *out = negative ? -v : v;
    return true;
}

static bool literal(cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return false;
    c->p += n;
    return true;
}

/* The extent of an array or object (strings and escapes respected), for jansson. */
static bool composite_span(cursor *c, const char **start, size_t *len) {
    if (c->p >= c->end || (*c->p != '[' && *c->p != '{')) return false;
    *start = c->p;
    int depth = 0;
    bool in_string = false;
    for (; c->p < c->end; c->p++) {
        char ch = *c->p;
        if (in_string) {
            if (ch == '\\') c->p++;
            else if (ch == '"') in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > 64) return false;
        } else if ((ch == ']' || ch == '}') && --depth == 0) {
            *len = (size_t)(++c->p - *start);
            return true;
        }
    }
    return false;
}

/* Any value the fast path reads, as a new jansson reference; NULL: not sure. */
static json_t *value(cursor *c) {
    const char *s;
    size_t len;
    long long n;
    if (plain_string(c, &s, &len)) return json_stringn_nocheck(s, len);
    if (plain_integer(c, &n)) return json_integer(n);
    if (literal(c, "null")) return json_null();
    if (literal(c, "true")) return json_true();
    if (literal(c, "false")) return json_false();
    if (composite_span(c, &s, &len)) return json_loadb(s, len, JSON_DECODE_ANY, NULL);
    return NULL;
}

static const char *const fields[] = {"index", "time", "process", "type", "f",
                                     "key",   "value", "node",   "error"};
enum { F_INDEX, F_TIME, F_PROCESS, F_TYPE, F_F, F_KEY, F_VALUE, F_NODE, F_ERROR, F_COUNT };

static int field_id(const char *s, size_t len) {
    for (int i = 0; i < F_COUNT; i++)
        if (strlen(fields[i]) == len && memcmp(fields[i], s, len) == 0) return i;
    return -1;
}

/* Set one field of op from the value v (consumed); false: leave it to jansson. */
static bool set(fl_history *h, fl_op *op, int field, json_t *v) {
    bool ok = true;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (field == F_INDEX || field == F_TIME) {
        ok = json_is_integer(v);
        if (ok && field == F_INDEX) op->index = json_integer_value(v);
        if (ok && field == F_TIME) op->time_ns = json_integer_value(v), op->flags |= FL_OP_HAS_TIME;
    } else if (field == F_PROCESS) {
        ok = (json_is_integer(v) && json_integer_value(v) >= 0) || (s && !strcmp(s, "nemesis"));
        if (ok) op->process = s ? FL_PROCESS_NEMESIS : json_integer_value(v);
    } else if (field == F_TYPE) {
        int t = s ? fl_op_type_parse(s) : -1;
        ok = t >= 0;
        if (ok) op->type = (uint8_t)t;
    } else if (field == F_KEY) { /* null is the nil key, not "no key" (DESIGN.md) */
        op->key = fl_history_intern_key(h, v);
        ok = op->key >= 0;
    } else if (field == F_VALUE) {
        op->value = v;
        return true;
    } else { /* f, node, error: strings */
        ok = s != NULL;
        const char *interned = ok ? fl_strpool_intern(h->pool, s, strlen(s)) : NULL;
        ok = interned != NULL;
        if (field == F_F) op->f = interned;
        else if (field == F_NODE) op->node = interned;
        else op->error = interned;
    }
    json_decref(v);
    return ok;
}

/* Fill op from the line's fields; false as soon as the line needs jansson. */
static bool read_fields(fl_history *h, cursor *c, fl_op *op, unsigned *seen) {
    if (!eat(c, '{')) return false;
    if (eat(c, '}')) return true;
    do {
        skip_ws(c);
        const char *name;
        size_t name_len;
        if (!plain_string(c, &name, &name_len) || !eat(c, ':')) return false;
        int field = field_id(name, name_len);
        if (field < 0 || (*seen & (1u << field))) return false;
        *seen |= 1u << field;
        skip_ws(c);
        json_t *v = value(c);
        if (!v || !set(h, op, field, v)) return false;
    } while (eat(c, ','));
    return eat(c, '}');
}

int fl_jsonl_fast_line(fl_history *h, const char *text, size_t len, uint32_t line_number) {
    cursor c = {text, text + len};
    fl_op op = {.pair = FL_NO_PAIR, .key = FL_NO_KEY, .f = "", .line = line_number};
    unsigned seen = 0;
    bool ok = read_fields(h, &c, &op, &seen);
    skip_ws(&c);
    ok = ok && c.p == c.end && (seen & (1u << F_TYPE)) && (seen & (1u << F_PROCESS));
    fl_op *slot = ok ? fl_history_append(h) : NULL;
    if (!slot) {
        json_decref(op.value);
        return 0;
    }
    if (!(seen & (1u << F_INDEX))) op.index = (int64_t)h->count - 1;
    *slot = op;
    return 1;
}
