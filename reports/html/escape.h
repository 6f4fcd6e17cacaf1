/* Escaping for the report: history bytes made valid UTF-8, and JSON text made safe to
 * sit inside an HTML <script type="application/json"> element. */
#ifndef FL_REPORT_ESCAPE_H
#define FL_REPORT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* True when bytes are well-formed UTF-8 (no overlongs, surrogates or code points past
 * U+10FFFF). */
bool fl_utf8_valid(const char *bytes, size_t len);

/* Copy bytes to out, replacing each byte that is not part of a well-formed UTF-8
 * sequence by U+FFFD (EF BF BD). out must hold 3 * len bytes; returns the bytes
 * written (no NUL is added). */
size_t fl_utf8_sanitize(const char *bytes, size_t len, char *out);

/* A JSON string value for bytes that may not be UTF-8 (sanitized first); NULL on OOM. */
json_t *fl_json_string_lossy(const char *bytes, size_t len);

/* Streams JSON text to a FILE so that no value can end the enclosing <script>
 * element or be read as HTML: '<', '>' and '&' become \u003c, \u003e, \u0026, and
 * U+2028 / U+2029 (line ends to old JavaScript parsers) become \u2028 / \u2029. These
 * characters can only occur inside JSON strings, where the escapes mean the same
 * characters, so the JSON still parses to the same value. Input may arrive in chunks
 * split anywhere (a 3-byte U+2028 may straddle two chunks). */
typedef struct fl_script_escaper {
    FILE *out;
    unsigned char held[2]; /* a possible prefix of U+2028/2029 (E2, E2 80) */
    size_t held_count;
    bool failed;           /* a write failed */
} fl_script_escaper;

void fl_script_escaper_init(fl_script_escaper *e, FILE *out);
void fl_script_escaper_put(fl_script_escaper *e, const char *bytes, size_t len);
/* Flush what is held; 0, or -1 when a write failed. */
int fl_script_escaper_finish(fl_script_escaper *e);

/* Dump v as compact JSON through the escaper: 0, or -1 on a write error or OOM. */
int fl_json_write_script_safe(FILE *out, const json_t *v);

/* One <script type="application/json" id="ID"> element holding v. */
int fl_json_write_script_element(FILE *out, const char *id, const json_t *v);

#endif
