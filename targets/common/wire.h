/* What every in-tree server says to clients the same way (DESIGN.md "Targets": JSON lines
 * over TCP): a key's canonical text (the map key a store files it under) and the reply
 * lines {"id":…,"type":"ok","value":…,"node":…} and {"id":…,"type":"fail"|"info",
 * "error":…,"detail":…,"leader":…}. Encoders append a whole line or nothing. */
#ifndef FL_TARGET_WIRE_H
#define FL_TARGET_WIRE_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

#define FL_KEY_TEXT_MAX 1024 /* canonical key text, without its NUL */

/* A key as text: an integer in decimal, a string as compact JSON (so "1" and 1 differ).
 * 0, or -1 with err (not a string or integer, or longer than FL_KEY_TEXT_MAX). */
int fl_key_text(const json_t *key, char out[FL_KEY_TEXT_MAX + 1], char *err, size_t err_bytes);

/* A JSON string of text that may not be valid UTF-8 (an error may quote the bytes of a bad
 * line, or cut a character in two): bytes past ASCII become '?' when jansson refuses it.
 * New reference, NULL only when memory ran out. */
json_t *fl_wire_text(const char *text);

/* Close the line begun at start ("}\n") when rc is 0; else cut the buffer back to start.
 * 0, or -1 (nothing appended). */
int fl_wire_finish(fl_buf *b, size_t start, int rc);

/* ,"name":"text" (text as fl_wire_text makes it). 0, or -1. */
int fl_wire_text_field(fl_buf *b, const char *name, const char *text);

/* An ok reply; value and node may be NULL (not sent). 0, or -1 (nothing appended). */
int fl_reply_ok(fl_buf *b, const json_t *id, const json_t *value, const char *node);

/* A fail or info reply; detail and leader (a follower's hint) may be NULL. 0, or -1. */
int fl_reply_error(fl_buf *b, const json_t *id, const char *type, const char *error,
                   const char *detail, const char *leader);

#endif
