/* UTF-8 sanitising and script-safe JSON output for the report (see escape.h). */
#include "escape.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence starting at s (at most len bytes), or 0
 * when the byte at s does not start one (Unicode 15, table 3-7). */
static size_t sequence_length(const unsigned char *s, size_t len) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F; /* no surrogates */
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F; /* nothing past U+10FFFF */
    else return 0;
    if (len < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

bool fl_utf8_valid(const char *bytes, size_t len) {
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) { /* the common case: ASCII */
            i++;
            continue;
        }
        size_t n = sequence_length(s + i, len - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

size_t fl_utf8_sanitize(const char *bytes, size_t len, char *out) {
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = sequence_length(s + i, len - i);
        if (n == 0) { /* one replacement character per byte that fits no sequence */
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    assert(o <= 3 * len);
    return o;
}

json_t *fl_json_string_lossy(const char *bytes, size_t len) {
    if (fl_utf8_valid(bytes, len)) return json_stringn(bytes, len);
    char *clean = malloc(3 * len + 1);
    if (!clean) return NULL;
    size_t n = fl_utf8_sanitize(bytes, len, clean);
    json_t *s = json_stringn(clean, n);
    free(clean);
    return s;
}

void fl_script_escaper_init(fl_script_escaper *e, FILE *out) {
    memset(e, 0, sizeof *e);
    e->out = out;
}

static void emit(fl_script_escaper *e, const void *bytes, size_t len) {
    if (len && fwrite(bytes, 1, len, e->out) != len) e->failed = true;
}

/* One byte after the held prefix (if any) is resolved. Returns true when the byte was
 * consumed as part of a held U+2028/2029 prefix. */
static bool continue_held(fl_script_escaper *e, unsigned char c) {
    if (e->held_count == 1 && c == 0x80) {
        e->held[1] = c;
        e->held_count = 2;
        return true;
    }
    if (e->held_count == 2 && (c == 0xA8 || c == 0xA9)) {
        emit(e, c == 0xA8 ? "\\u2028" : "\\u2029", 6);
        e->held_count = 0;
        return true;
    }
    emit(e, e->held, e->held_count); /* not a line separator after all */
    e->held_count = 0;
    return false;
}

void fl_script_escaper_put(fl_script_escaper *e, const char *bytes, size_t len) {
    const unsigned char *s = (const unsigned char *)bytes;
    size_t run = 0; /* start of the bytes passed through unchanged */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (e->held_count) {
            if (continue_held(e, c)) {
                run = i + 1;
                continue;
            }
        }
        const char *escape = c == '<' ? "\\u003c" : c == '>' ? "\\u003e"
                           : c == '&' ? "\\u0026" : NULL;
        if (escape || c == 0xE2) {
            emit(e, s + run, i - run);
            run = i + 1;
            if (escape) emit(e, escape, 6);
            else e->held[0] = c, e->held_count = 1;
        }
    }
    emit(e, s + run, len - run);
}

int fl_script_escaper_finish(fl_script_escaper *e) {
    emit(e, e->held, e->held_count);
    e->held_count = 0;
    return e->failed ? -1 : 0;
}

static int dump_chunk(const char *buffer, size_t size, void *data) {
    fl_script_escaper_put(data, buffer, size);
    return 0;
}

int fl_json_write_script_safe(FILE *out, const json_t *v) {
    fl_script_escaper e;
    fl_script_escaper_init(&e, out);
    if (json_dump_callback(v, dump_chunk, &e, JSON_COMPACT | JSON_ENCODE_ANY) != 0) return -1;
    return fl_script_escaper_finish(&e);
}

int fl_json_write_script_element(FILE *out, const char *id, const json_t *v) {
    /* ids are the report's own constants: letters, digits and '-' only */
    for (const char *p = id; *p; p++)
        assert((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
    fprintf(out, "<script type=\"application/json\" id=\"%s\">", id);
    int rc = fl_json_write_script_safe(out, v);
    fputs("</script>\n", out);
    return rc == 0 && !ferror(out) ? 0 : -1;
}
