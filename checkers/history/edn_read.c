/* Jepsen history.edn reader: EDN text to jansson values, each top-level op map (one
 * per line, or all inside one vector) to an op, and jepsen.independent tuples split. */
#include "history.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any real op value; shallow enough that recursion cannot exhaust
 * the stack on hostile input. */
#define MAX_DEPTH 256
#define KEYWORD_CACHE 256 /* a power of two */
#define SMALL_INTS 256

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    uint32_t line;       /* 1-based line of text[pos] */
    size_t line_start;   /* offset of that line's first byte */
    const char *name;
    fl_error *err;
    int depth;
    bool allow_truncated;
    bool at_eof;         /* the error being unwound is "the input ended" */
    bool eof_claimed;    /* the innermost open form has already named itself */
    bool truncated;      /* a truncated tail was skipped: stop reading */
    char *scratch;       /* unescaped strings and number copies */
    size_t scratch_cap;
    /* Histories repeat a few keywords (:invoke, :ok, :read) and small integers
     * (processes, register values) on every line: sharing one immutable json_t for
     * each halves the allocations of a parse. */
    json_t *keywords[KEYWORD_CACHE];
    json_t *small_ints[SMALL_INTS];
    json_t *op_map;      /* reused for every top-level op map */
} parser;

/* Bytes that end a symbol, keyword, number or character token. Control bytes end one
 * too, so that they are reported as unexpected rather than swallowed into a name. */
static bool is_delimiter(unsigned char c) {
    /* One bit per byte: 0x00-0x20, 0x7f and , " \ ; ( ) [ ] { } @ ^ ` ~ */
    static const uint64_t bits[4] = {0x08001305ffffffffULL, 0xe800000178000001ULL, 0, 0};
    return bits[c >> 6] >> (c & 63) & 1;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static uint32_t column(const parser *p) { return (uint32_t)(p->pos - p->line_start + 1); }

static size_t token_length(const parser *p, size_t from) {
    size_t i = from;
    while (i < p->len && !is_delimiter((unsigned char)p->text[i])) i++;
    return i - from;
}

static void *fail_at(parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void *fail_at(parser *p, uint32_t line, uint32_t col, const char *fmt, ...) {
    char message[FL_ERR_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fl_error_set(p->err, p->name, line, col, "%s", message);
    return NULL;
}

static void *out_of_memory(parser *p) {
    return fail_at(p, p->line, column(p), "out of memory");
}

/* The input ran out where a form was expected; the innermost open form, if any,
 * replaces this message with one naming itself (see unclosed). */
static void *at_end(parser *p) {
    p->at_eof = true;
    return fail_at(p, p->line, column(p), "expected a value, found the end of the input");
}

static void unclosed(parser *p, const char *what, char close, uint32_t line, uint32_t col) {
    p->at_eof = true;
    if (p->eof_claimed) return;
    p->eof_claimed = true;
    fail_at(p, line, col, "unterminated %s: the input ends (line %u) before its closing '%c'",
            what, p->line, close);
}

static bool enter(parser *p, uint32_t line, uint32_t col) {
    if (++p->depth <= MAX_DEPTH) return true;
    fail_at(p, line, col, "forms are nested more than %d deep", MAX_DEPTH);
    return false;
}

static bool reserve(parser *p, size_t bytes) {
    if (bytes <= p->scratch_cap) return true;
    size_t cap = p->scratch_cap ? p->scratch_cap : 256;
    while (cap < bytes) cap *= 2;
    char *bigger = realloc(p->scratch, cap);
    if (!bigger) return false;
    p->scratch = bigger;
    p->scratch_cap = cap;
    return true;
}

/* Whitespace, commas and ; comments. */
static void skip_blank(parser *p) {
    const char *t = p->text;
    size_t i = p->pos;
    while (i < p->len) {
        char c = t[i];
        if (c == '\n') {
            i++;
            p->line++;
            p->line_start = i;
        } else if (c == ' ' || c == ',' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
        } else if (c == ';') {
            const char *nl = memchr(t + i, '\n', p->len - i);
            i = nl ? (size_t)(nl - t) : p->len;
        } else {
            break;
        }
    }
    p->pos = i;
}

static json_t *parse_value(parser *p);

/* Blanks and #_ discards. `discard_at`, when given, receives the offset of the first
 * discard, so a caller can tell where an unfinished one began. */
static int skip_ws(parser *p, size_t *discard_at) {
    for (;;) {
        skip_blank(p);
        if (p->pos + 1 >= p->len || p->text[p->pos] != '#' || p->text[p->pos + 1] != '_')
            return 0;
        if (discard_at) {
            *discard_at = p->pos;
            discard_at = NULL;
        }
        if (!enter(p, p->line, column(p))) return -1;
        p->pos += 2;
        json_t *v = parse_value(p);
        p->depth--;
        if (!v) return -1;
        json_decref(v);
    }
}

static json_t *parse_integer(parser *p, const char *t, size_t digits_end, uint32_t line,
                             uint32_t col) {
    bool negative = t[0] == '-';
    size_t i = t[0] == '-' || t[0] == '+';
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (; i < digits_end; i++) {
        uint64_t digit = (uint64_t)(t[i] - '0');
        if (magnitude > (limit - digit) / 10)
            return fail_at(p, line, col, "integer %.*s does not fit in 64 bits",
                           (int)(digits_end < 40 ? digits_end : 40), t);
        magnitude = magnitude * 10 + digit;
    }
    int64_t value = !negative ? (int64_t)magnitude
                    : magnitude == limit ? INT64_MIN : -(int64_t)magnitude;
    json_t **cached = value >= 0 && value < SMALL_INTS ? &p->small_ints[value] : NULL;
    if (cached && *cached) return json_incref(*cached);
    json_t *j = json_integer(value);
    if (!j) return out_of_memory(p);
    if (cached) *cached = json_incref(j);
    return j;
}

/* Integers (N: bigint, kept if it fits 64 bits) and floats (M: bigdecimal, read as a
 * double, which is what JSON can carry). Ratios, radixes and hex are not EDN. */
static json_t *parse_number(parser *p, const char *t, size_t n, uint32_t line, uint32_t col) {
    size_t i = t[0] == '-' || t[0] == '+';
    while (i < n && is_digit(t[i])) i++;
    if (i == n || (i + 1 == n && t[i] == 'N')) return parse_integer(p, t, i, line, col);
    bool fractional = false;
    if (t[i] == '.') {
        fractional = true;
        for (i++; i < n && is_digit(t[i]);) i++;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        size_t exponent = ++i;
        if (i < n && (t[i] == '+' || t[i] == '-')) exponent = ++i;
        while (i < n && is_digit(t[i])) i++;
        if (i > exponent) fractional = true;
        else i = n + 1; /* "1e" is no number */
    }
    bool decimal = i < n && t[i] == 'M';
    if (i + decimal != n || !(fractional || decimal))
        return fail_at(p, line, col, "invalid number '%.*s'", (int)(n < 40 ? n : 40), t);
    if (!reserve(p, i + 1)) return out_of_memory(p);
    memcpy(p->scratch, t, i);
    p->scratch[i] = '\0';
    double d = strtod(p->scratch, NULL);
    if (!isfinite(d))
        return fail_at(p, line, col, "number '%.*s' is out of range", (int)(n < 40 ? n : 40), t);
    json_t *j = json_real(d);
    return j ? j : out_of_memory(p);
}

/* A bare token: a number, nil, true, false, or a symbol (kept as its text). */
static json_t *parse_token(parser *p, uint32_t line, uint32_t col) {
    const char *t = p->text + p->pos;
    size_t n = token_length(p, p->pos);
    if (n == 0) {
        unsigned char c = (unsigned char)*t;
        if (c >= 0x20 && c < 0x7f) return fail_at(p, line, col, "expected a value, found '%c'", c);
        return fail_at(p, line, col, "expected a value, found byte 0x%02x", c);
    }
    json_t *j;
    if (is_digit(t[0]) || (n > 1 && (t[0] == '-' || t[0] == '+') && is_digit(t[1])))
        j = parse_number(p, t, n, line, col);
    else if (n == 3 && memcmp(t, "nil", 3) == 0)
        j = json_null();
    else if (n == 4 && memcmp(t, "true", 4) == 0)
        j = json_true();
    else if (n == 5 && memcmp(t, "false", 5) == 0)
        j = json_false();
    else if (!(j = json_stringn(t, n)))
        return fail_at(p, line, col, "symbol is not valid UTF-8");
    if (j) p->pos += n;
    return j;
}

static void *bad_keyword(parser *p, uint32_t line, uint32_t col) {
    if (p->pos + 1 < p->len && p->text[p->pos + 1] == ':')
        return fail_at(p, line, col, "EDN keywords cannot begin with '::'");
    return fail_at(p, line, col, "expected a keyword name after ':'");
}

/* :name becomes the JSON string ":name"; the colon tells keywords from strings. */
static json_t *parse_keyword(parser *p, uint32_t line, uint32_t col) {
    const char *t = p->text + p->pos;
    size_t n = 1 + token_length(p, p->pos + 1);
    if (n == 1 || t[1] == ':') return bad_keyword(p, line, col);
    json_t **slot = &p->keywords[fl_hash_bytes(t, n) & (KEYWORD_CACHE - 1)];
    if (*slot && json_string_length(*slot) == n && memcmp(json_string_value(*slot), t, n) == 0) {
        p->pos += n;
        return json_incref(*slot);
    }
    json_t *j = json_stringn(t, n);
    if (!j) return fail_at(p, line, col, "keyword is not valid UTF-8");
    json_decref(*slot);
    *slot = json_incref(j);
    p->pos += n;
    return j;
}

static int hex4(const char *s, size_t available) {
    if (available < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* \uXXXX at text[*i] (just past the 'u'), joining a UTF-16 surrogate pair if one
 * follows; -1 when malformed. */
static int64_t unicode_escape(const parser *p, size_t *i) {
    int hi = hex4(p->text + *i, p->len - *i);
    if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff)) return -1;
    *i += 4;
    if (hi < 0xd800 || hi > 0xdbff) return hi;
    if (*i + 2 > p->len || p->text[*i] != '\\' || p->text[*i + 1] != 'u') return -1;
    int lo = hex4(p->text + *i + 2, p->len - *i - 2);
    if (lo < 0xdc00 || lo > 0xdfff) return -1;
    *i += 6;
    return 0x10000 + ((int64_t)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

static char simple_escape(char c) {
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'b': return '\b';
    case 'f': return '\f';
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    default: return 0;
    }
}

/* Advance the line count over raw newlines in text[from, to). */
static void count_lines(parser *p, size_t from, size_t to) {
    const char *nl = p->text + from, *end = p->text + to;
    while ((nl = memchr(nl, '\n', (size_t)(end - nl)))) {
        p->line++;
        p->line_start = (size_t)(++nl - p->text);
    }
}

/* The slow path of parse_string, from the first backslash at text[i] to the closing
 * quote at text[end]; the unescaped bytes are never longer than the escaped ones. */
static json_t *unescape_string(parser *p, size_t i, size_t end) {
    if (!reserve(p, end - p->pos + 1)) return out_of_memory(p);
    size_t n = i - p->pos;
    memcpy(p->scratch, p->text + p->pos, n);
    count_lines(p, p->pos, i);
    while (i < end) {
        char c = p->text[i];
        if (c == '\n') {
            p->line++;
            p->line_start = i + 1;
        }
        if (c != '\\') {
            p->scratch[n++] = c;
            i++;
            continue;
        }
        uint32_t col = (uint32_t)(i - p->line_start + 1);
        char e = p->text[i + 1];
        i += 2;
        if (e == 'u') {
            int64_t cp = unicode_escape(p, &i);
            if (cp < 0) return fail_at(p, p->line, col, "invalid \\u escape in string");
            n += put_utf8(p->scratch + n, (uint32_t)cp);
        } else if ((p->scratch[n] = simple_escape(e)) != 0) {
            n++;
        } else {
            return fail_at(p, p->line, col, "unknown escape '\\%c' in string",
                           e >= 0x20 && e < 0x7f ? e : '?');
        }
    }
    p->pos = end + 1;
    return json_stringn(p->scratch, n);
}

static json_t *parse_string(parser *p, uint32_t line, uint32_t col) {
    size_t start = ++p->pos, i = start, first_escape = 0;
    bool escaped = false;
    /* Find the closing quote first, so the slow path knows how much room it needs. */
    while (i < p->len && p->text[i] != '"') {
        if (p->text[i] == '\\') {
            if (!escaped) first_escape = i;
            escaped = true;
            i++;
        }
        i++;
    }
    if (i >= p->len) {
        p->pos = p->len;
        unclosed(p, "string", '"', line, col);
        return NULL;
    }
    json_t *j;
    if (escaped) {
        j = unescape_string(p, first_escape, i);
        if (!j && p->pos != i + 1) return NULL; /* a bad escape, already reported */
    } else {
        count_lines(p, start, i);
        j = json_stringn(p->text + start, i - start);
        p->pos = i + 1;
    }
    return j ? j : fail_at(p, line, col, "string is not valid UTF-8");
}

static bool is_named(const char *t, size_t n, const char *name) {
    return n == strlen(name) && memcmp(t, name, n) == 0;
}

/* \c, \newline, \space, \tab, \return, \formfeed, \backspace, \uXXXX: a one-character
 * string, as JSON has no characters. */
static json_t *parse_char(parser *p, uint32_t line, uint32_t col) {
    size_t at = p->pos + 1;
    if (at >= p->len) return at_end(p);
    const char *t = p->text + at;
    size_t first = 1; /* bytes of the first character: keep a multi-byte one whole */
    if ((unsigned char)t[0] >= 0xc0)
        while (at + first < p->len && ((unsigned char)t[first] & 0xc0) == 0x80) first++;
    size_t n = first + token_length(p, at + first);
    char buf[4];
    size_t len = 0;
    int hex = n == 5 && t[0] == 'u' ? hex4(t + 1, 4) : -1;
    if (n == first && n <= 4) {
        memcpy(buf, t, n);
        len = n;
    } else if (is_named(t, n, "newline")) buf[len++] = '\n';
    else if (is_named(t, n, "space")) buf[len++] = ' ';
    else if (is_named(t, n, "tab")) buf[len++] = '\t';
    else if (is_named(t, n, "return")) buf[len++] = '\r';
    else if (is_named(t, n, "formfeed")) buf[len++] = '\f';
    else if (is_named(t, n, "backspace")) buf[len++] = '\b';
    else if (hex >= 0 && (hex < 0xd800 || hex > 0xdfff))
        len = put_utf8(buf, (uint32_t)hex);
    else
        return fail_at(p, line, col, "unknown character literal '\\%.*s'",
                       (int)(n < 20 ? n : 20), t);
    json_t *j = json_stringn(buf, len);
    if (!j) return fail_at(p, line, col, "character literal is not valid UTF-8");
    if (t[0] == '\n') { /* a raw newline after the backslash */
        p->line++;
        p->line_start = at + 1;
    }
    p->pos = at + n;
    return j;
}

static json_t *parse_seq(parser *p, char close, const char *what, uint32_t line, uint32_t col) {
    if (!enter(p, line, col)) return NULL;
    p->pos++;
    json_t *array = json_array();
    if (!array) return out_of_memory(p);
    for (;;) {
        if (skip_ws(p, NULL) != 0) goto child_failed;
        if (p->pos >= p->len) {
            unclosed(p, what, close, line, col);
            goto failed;
        }
        char c = p->text[p->pos];
        if (c == close) break;
        if (c == ']' || c == ')' || c == '}') {
            fail_at(p, p->line, column(p), "expected '%c' to close the %s at line %u, column %u, "
                    "found '%c'", close, what, line, col, c);
            goto failed;
        }
        json_t *v = parse_value(p);
        if (!v) goto child_failed;
        if (json_array_append_new(array, v) != 0) {
            out_of_memory(p);
            goto failed;
        }
    }
    p->pos++;
    p->depth--;
    return array;
child_failed:
    if (p->at_eof) unclosed(p, what, close, line, col);
failed:
    json_decref(array);
    return NULL;
}

/* The JSON object key for a map key that is not a keyword: a string's own text, else
 * the compact JSON text of the key (e.g. 5 -> "5", [1 2] -> "[1,2]"). */
static char *key_text(json_t *key, size_t *len) {
    if (!json_is_string(key)) {
        char *text = json_dumps(key, JSON_COMPACT | JSON_ENCODE_ANY);
        *len = text ? strlen(text) : 0;
        return text;
    }
    *len = json_string_length(key);
    char *text = malloc(*len + 1);
    if (text) memcpy(text, json_string_value(key), *len + 1);
    return text;
}

/* One key and its value into obj; -1 with the error set. */
static int parse_entry(parser *p, json_t *obj, uint32_t line, uint32_t col) {
    uint32_t key_line = p->line, key_col = column(p);
    const char *key;
    size_t key_len;
    char *owned = NULL;
    if (p->text[p->pos] == ':') { /* the common case: no allocation for keyword keys */
        key = p->text + p->pos + 1;
        key_len = token_length(p, p->pos + 1);
        if (key_len == 0 || key[0] == ':') return bad_keyword(p, key_line, key_col), -1;
        p->pos += key_len + 1;
    } else {
        json_t *k = parse_value(p);
        if (!k) return -1;
        key = owned = key_text(k, &key_len);
        json_decref(k);
        if (!owned) return out_of_memory(p), -1;
    }
    int rc = -1;
    if (skip_ws(p, NULL) != 0) goto done;
    if (p->pos >= p->len) {
        p->at_eof = true;
        goto done;
    }
    if (p->text[p->pos] == '}') {
        fail_at(p, line, col, "map has an odd number of forms: the key at line %u, column %u "
                "has no value", key_line, key_col);
        goto done;
    }
    json_t *v = parse_value(p);
    if (!v) goto done;
    size_t size = json_object_size(obj);
    if (memchr(key, '\0', key_len)) {
        json_decref(v);
        fail_at(p, key_line, key_col, "map key contains a NUL character");
    } else if (json_object_setn_new(obj, key, key_len, v) != 0) { /* takes v, even on failure */
        fail_at(p, key_line, key_col, "map key is not valid UTF-8");
    } else if (json_object_size(obj) == size) { /* it replaced an earlier value */
        fail_at(p, key_line, key_col, "duplicate key \"%.*s\" in map",
                (int)(key_len < 40 ? key_len : 40), key);
    } else {
        rc = 0;
    }
done:
    free(owned);
    return rc;
}

/* The entries of the map at text[pos] into obj, which is empty; -1 with the error set. */
static int parse_map_into(parser *p, json_t *obj, uint32_t line, uint32_t col) {
    if (!enter(p, line, col)) return -1;
    p->pos++;
    for (;;) {
        if (skip_ws(p, NULL) != 0) break;
        if (p->pos >= p->len) {
            p->at_eof = true;
            break;
        }
        char c = p->text[p->pos];
        if (c == '}') {
            p->pos++;
            p->depth--;
            return 0;
        }
        if (c == ']' || c == ')') {
            fail_at(p, p->line, column(p), "expected '}' to close the map at line %u, column %u, "
                    "found '%c'", line, col, c);
            return -1;
        }
        if (parse_entry(p, obj, line, col) != 0) break;
    }
    if (p->at_eof) unclosed(p, "map", '}', line, col);
    return -1;
}

static json_t *parse_map(parser *p, uint32_t line, uint32_t col) {
    json_t *obj = json_object();
    if (!obj) return out_of_memory(p);
    if (parse_map_into(p, obj, line, col) == 0) return obj;
    json_decref(obj);
    return NULL;
}

/* #{set}, or #tag value (e.g. #inst "…", #jepsen.history.Op{…}): the tag is dropped,
 * as JSON has nowhere to keep it. #_ never arrives here: skip_ws took it. */
static json_t *parse_dispatch(parser *p, uint32_t line, uint32_t col) {
    if (p->pos + 1 >= p->len) {
        p->pos = p->len;
        return at_end(p);
    }
    char c = p->text[p->pos + 1];
    if (c == '{') {
        p->pos++;
        return parse_seq(p, '}', "set", line, col);
    }
    if (!is_alpha(c))
        return fail_at(p, line, col, "unsupported form '#%c' (EDN has #{…} sets, #_ discards "
                       "and #tag values)", c >= 0x20 && c < 0x7f ? c : '?');
    if (!enter(p, line, col)) return NULL;
    p->pos += 1 + token_length(p, p->pos + 1);
    json_t *v = parse_value(p);
    p->depth--;
    return v;
}

static json_t *parse_value(parser *p) {
    if (skip_ws(p, NULL) != 0) return NULL;
    if (p->pos >= p->len) return at_end(p);
    uint32_t line = p->line, col = column(p);
    char c = p->text[p->pos];
    switch (c) {
    case '{': return parse_map(p, line, col);
    case '[': return parse_seq(p, ']', "vector", line, col);
    case '(': return parse_seq(p, ')', "list", line, col);
    case '"': return parse_string(p, line, col);
    case ':': return parse_keyword(p, line, col);
    case '\\': return parse_char(p, line, col);
    case '#': return parse_dispatch(p, line, col);
    case ']':
    case ')':
    case '}': return fail_at(p, line, col, "expected a value, found '%c'", c);
    default: return parse_token(p, line, col);
    }
}

/* The input ended inside the form that began at text[start]. A crashed writer leaves
 * a partial last line; a form left open across lines is more likely a missing bracket
 * that swallowed the rest of the file, so that stays an error (already reported by the
 * innermost open form) even with allow_truncated. */
static int ended_inside(parser *p, fl_history *h, size_t start, const char *what,
                        bool skipped) {
    if (start < p->len && memchr(p->text + start, '\n', p->len - start))
        return FL_READ_MALFORMED;
    p->truncated = true;
    if (p->allow_truncated) {
        snprintf(h->warning, sizeof h->warning, "%s:%u: %s is truncated (the input ends inside "
                 "it; a writer crashed?)%s", p->name, p->line, what,
                 skipped ? " and was skipped" : "; the ops in it were read");
        return FL_READ_OK;
    }
    fl_error_set(p->err, p->name, p->line, column(p), "%s is truncated (the input ends inside "
                 "it; a writer crashed?); rerun with --allow-truncated to check the ops before "
                 "it", what);
    return FL_READ_MALFORMED;
}

static const char *describe(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_ARRAY: return "a vector";
    case JSON_STRING: return json_string_value(v)[0] == ':' ? "a keyword" : "a string";
    case JSON_NULL: return "nil";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_OBJECT: return "a map";
    default: return "a number";
    }
}

/* One op map, starting at text[pos] (after blanks), into h. */
static int read_op(parser *p, fl_history *h) {
    uint32_t line = p->line, col = column(p);
    size_t start = p->pos;
    if (p->text[start] != '{') { /* not a map: say what it is instead */
        json_t *v = parse_value(p);
        if (!v)
            return p->at_eof ? ended_inside(p, h, start, "the last op", true) : FL_READ_MALFORMED;
        fail_at(p, line, col, "expected an op map {…}, found %s", describe(v));
        json_decref(v);
        return FL_READ_MALFORMED;
    }
    /* One object serves every op: add_object copies what it keeps out of it. */
    if (!p->op_map && !(p->op_map = json_object())) return out_of_memory(p), FL_READ_IO;
    json_object_clear(p->op_map);
    if (parse_map_into(p, p->op_map, line, col) != 0)
        return p->at_eof ? ended_inside(p, h, start, "the last op", true) : FL_READ_MALFORMED;
    int rc = fl_history_add_object(h, p->op_map, line, true, p->err);
    /* add_object knows the line, not where on it the map began. */
    if (rc == FL_READ_MALFORMED && p->err->line == line && p->err->column == 1)
        p->err->column = col;
    /* Clearing costs as much as the table has buckets: never keep a huge one. */
    if (json_object_size(p->op_map) > 64) {
        json_decref(p->op_map);
        p->op_map = NULL;
    }
    return rc;
}

/* Older Jepsen and Knossos files: one vector (or list) holding every op. Ops are
 * added as they are read, so a truncated file keeps the ops before its break. */
static int read_op_vector(parser *p, fl_history *h) {
    char close = p->text[p->pos] == '[' ? ']' : ')';
    uint32_t line = p->line, col = column(p);
    p->pos++;
    while (!p->truncated) {
        size_t discard_at = 0;
        if (skip_ws(p, &discard_at) != 0)
            return p->at_eof ? ended_inside(p, h, discard_at, "the last form", true)
                             : FL_READ_MALFORMED;
        if (p->pos >= p->len) return ended_inside(p, h, p->len, "the vector of ops", false);
        char c = p->text[p->pos];
        if (c == close) {
            p->pos++;
            return FL_READ_OK;
        }
        if (c == ']' || c == ')' || c == '}') {
            fail_at(p, p->line, column(p), "expected '%c' to close the vector of ops at line %u, "
                    "column %u, found '%c'", close, line, col, c);
            return FL_READ_MALFORMED;
        }
        int rc = read_op(p, h);
        if (rc != FL_READ_OK) return rc;
    }
    return FL_READ_OK;
}

static int read_ops(parser *p, fl_history *h) {
    while (!p->truncated) {
        skip_blank(p);
        if (p->pos >= p->len) return FL_READ_OK;
        size_t start = p->pos;
        char c = p->text[start];
        int rc;
        if (c == '{') {
            rc = read_op(p, h);
        } else if (c == '[' || c == '(') {
            rc = read_op_vector(p, h);
        } else if (c == '#' && start + 1 < p->len && p->text[start + 1] == '_') {
            rc = skip_ws(p, NULL) == 0 ? FL_READ_OK
                 : p->at_eof ? ended_inside(p, h, start, "the last form", true) : FL_READ_MALFORMED;
        } else {
            uint32_t line = p->line, col = column(p);
            json_t *v = parse_value(p);
            if (!v)
                return p->at_eof ? ended_inside(p, h, start, "the last form", true)
                                 : FL_READ_MALFORMED;
            fail_at(p, line, col, "expected an op map {…} or a vector of them, found %s",
                    describe(v));
            json_decref(v);
            rc = FL_READ_MALFORMED;
        }
        if (rc != FL_READ_OK) return rc;
    }
    return FL_READ_OK;
}

static bool is_tuple(const json_t *v) { return json_is_array(v) && json_array_size(v) == 2; }

/* jepsen.independent wraps every client value as [key value]. Keys are scalars in
 * practice; asking for one keeps e.g. two-micro-op transactions from looking like
 * tuples. An explicit key field means the history is already split. */
static bool looks_independent(const fl_history *h) {
    bool any = false;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->key != FL_NO_KEY) return false;
        if (op->process == FL_PROCESS_NEMESIS || !op->value) continue;
        if (!is_tuple(op->value)) return false;
        const json_t *k = json_array_get(op->value, 0);
        if (json_is_array(k) || json_is_object(k)) return false;
        any = true;
    }
    return any;
}

static int split_tuples(fl_history *h, int independent, const char *name, fl_error *err) {
    if (independent == 0 || (independent < 0 && !looks_independent(h))) return FL_READ_OK;
    for (size_t i = 0; i < h->count; i++) {
        fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS || op->key != FL_NO_KEY || !op->value) continue;
        if (!is_tuple(op->value)) {
            char *text = json_dumps(op->value, JSON_COMPACT | JSON_ENCODE_ANY);
            fl_error_set(err, name, op->line, 0, "op %lld: value %.60s is not a [key value] "
                         "tuple, as every client op of a jepsen.independent history must have",
                         (long long)op->index, text ? text : "?");
            free(text);
            return FL_READ_MALFORMED;
        }
        int32_t key = fl_history_intern_key(h, json_array_get(op->value, 0));
        if (key < 0) {
            fl_error_set(err, name, op->line, 0, "out of memory");
            return FL_READ_IO;
        }
        json_t *value = json_incref(json_array_get(op->value, 1));
        json_decref(op->value);
        op->value = value;
        op->key = key;
    }
    return FL_READ_OK;
}

int fl_edn_read(const char *text, size_t len, const char *name, fl_history *into,
                const fl_read_options *opt, fl_error *err) {
    static const fl_read_options defaults = {.allow_truncated = false, .independent = -1};
    if (!opt) opt = &defaults;
    fl_error ignored;
    if (!err) err = &ignored;
    parser p = {.text = text, .len = len, .line = 1, .name = name ? name : "-", .err = err,
                .allow_truncated = opt->allow_truncated};
    int rc = read_ops(&p, into);
    free(p.scratch);
    json_decref(p.op_map);
    for (size_t i = 0; i < KEYWORD_CACHE; i++) json_decref(p.keywords[i]);
    for (size_t i = 0; i < SMALL_INTS; i++) json_decref(p.small_ints[i]);
    if (rc != FL_READ_OK) return rc;
    return split_tuples(into, opt->independent, p.name, err);
}
