/* Bytes from logs and file names as JSON strings: jansson refuses invalid UTF-8, and
 * logs hold whatever a crashing process wrote. */
#ifndef FL_LP_UTF8_TEXT_H
#define FL_LP_UTF8_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The length of the valid UTF-8 sequence at s (n bytes available), or 0 when the byte
 * at s starts none (a stray continuation byte, an overlong form, a surrogate, a code
 * point past U+10FFFF, or a sequence cut short). */
size_t utf8_sequence_length(const unsigned char *s, size_t n);

/* A JSON string of the first bytes of s (len bytes) that fit max_bytes without cutting
 * a character, every byte that starts no valid sequence replaced by U+FFFD.
 * *truncated says whether bytes were left out. NULL when out of memory. */
json_t *utf8_text_json(const char *s, size_t len, size_t max_bytes, bool *truncated);

#endif
