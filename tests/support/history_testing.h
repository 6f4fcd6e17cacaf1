/* Test helpers (cmocka assertions) shared by the unit tests of the history readers,
 * writers and checkers: reading text into histories, writing them out, comparing them;
 * building history text; running a checker and reading its result. */
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

/* A fresh directory /tmp/<prefix>_XXXXXX into dir (bytes ≥ 64): 0, or -1. For the tests
 * of checkers that read a run directory. */
int temp_dir_make(char *dir, size_t bytes, const char *prefix);
/* Remove dir and everything in it (symbolic links not followed): 0, or -1. */
int temp_dir_remove(const char *dir);
/* Write dir/rel (its directories made first) with n bytes of text; fails the test when
 * it cannot. */
void temp_dir_write(const char *dir, const char *rel, const char *text, size_t n);

/* A whole file, NUL-terminated, its length in *len; NULL when it cannot be opened. */
char *slurp(const char *path, size_t *len);

/* A checker's "valid": 1 true, 0 false, -1 "unknown"; anything else fails the test. */
int verdict_of(const json_t *v);

/* JSON Lines text (len bytes, read as test.jsonl) that must parse and pair: the history,
 * or the test fails with the reader's message. */
fl_history *history_paired(const char *text, size_t len);

/* JSON Lines ops on a key, for the set and counter checkers' tests: an add (type t,
 * value v as JSON text), a read's invoke and its ok completion (value v). */
#define KADD(p, t, k, v) \
    "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"add\",\"key\":\"" k "\",\"value\":" v "}\n"
#define KRI(p, k) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"read\",\"key\":\"" k "\"}\n"
#define KRO(p, k, v) \
    "{\"process\":" #p ",\"type\":\"ok\",\"f\":\"read\",\"key\":\"" k "\",\"value\":" v "}\n"

/* A growing text buffer ({0} is an empty one; s may be allocated ahead with its cap). */
typedef struct text_buf {
    char *s;
    size_t len, cap;
} text_buf;

/* Append printf-style to t (always NUL-terminated). */
void text_put(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One checker run: the history and the checker's result, NULL when the checker refused
 * the history (err then says why). */
typedef struct checker_run {
    fl_history *h;
    json_t *result;
    fl_error err;
} checker_run;

/* A run on text that must parse and pair (history_paired), before its checker: no
 * result, err cleared. */
checker_run checker_run_on(const char *text);

/* Fail unless the checker took the history, with the checker's error. */
void assert_checked(const checker_run *r);

void checker_run_free(checker_run *r);

/* The result's "valid" as verdict_of gives it. */
int run_verdict(const checker_run *r);

/* A member of a result that must be there; an integer member that must be there. */
const json_t *result_field(const json_t *result, const char *name);
json_int_t result_count(const json_t *o, const char *name);

#endif
