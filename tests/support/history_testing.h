/* Test helpers (cmocka assertions) shared by the unit tests of the history readers,
 * writers and checkers: reading text into histories, writing them out, comparing them. */
#ifndef FL_HISTORY_TESTING_H
#define FL_HISTORY_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

/* Read text as EDN named t.edn, or as JSON Lines named t.jsonl; rc and err say how it
 * went (err is cleared first). */
fl_history *edn_read(const char *text, int independent, bool allow_truncated, int *rc,
                     fl_error *err);
fl_history *jsonl_read(const char *text, bool allow_truncated, int *rc, fl_error *err);

/* Read text that must be good; on an error show it before failing. */
fl_history *edn_read_ok(const char *text, int independent);
fl_history *jsonl_ok(const char *text);

/* A read of text that must have failed as malformed at line:column with a message
 * containing needle; on a mismatch show what came instead before failing. */
void assert_read_error(const char *text, int rc, const fl_error *err, uint32_t line,
                       uint32_t column, const char *needle);

/* got equals the JSON of want_text. */
void assert_json(const json_t *got, const char *want_text);

/* The whole history written out; the caller frees it. */
char *write_history(const fl_history *h, fl_format format);

/* Everything the model keeps, and with flags also how f and error were spelled (else
 * only whether the op had a time). */
void assert_same_ops(const fl_history *a, const fl_history *b, bool flags);

/* A whole file, NUL-terminated, its length in *len; NULL when it cannot be opened. */
char *slurp(const char *path, size_t *len);

/* A checker's "valid": 1 true, 0 false, -1 "unknown"; anything else fails the test. */
int verdict_of(const json_t *v);

#endif
