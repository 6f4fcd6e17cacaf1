/* The history model: operations as recorded by a test, read from JSON Lines or
 * Jepsen's history.edn, paired invocation to completion, and written back out. */
#ifndef FL_HISTORY_H
#define FL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "strpool.h"

#define FL_PROCESS_NEMESIS (-1)
#define FL_NO_KEY (-1)
#define FL_NO_PAIR (-1)
#define FL_ERR_BYTES 512

typedef enum { FL_INVOKE = 0, FL_OK, FL_FAIL, FL_INFO } fl_op_type;

/* Flags remembering how an EDN op spelled a field, so EDN -> JSONL -> EDN gives back
 * the same op. JSON cannot mark keywords, so without a flag type, f and error are
 * written to EDN as keywords. */
enum {
    FL_OP_F_STRING = 1 << 0,     /* :f was an EDN string, not a keyword */
    FL_OP_ERROR_STRING = 1 << 1, /* :error was an EDN string, not a keyword */
    FL_OP_HAS_TIME = 1 << 2,     /* the source gave a time */
};

/* One event of a history. Strings (f, node, error) are interned in the history's
 * pool and live as long as it; value and extra are owned references. */
typedef struct fl_op {
    int64_t index;    /* the source's :index, else the position */
    int64_t time_ns;  /* nanoseconds since the run started; 0 when absent */
    int64_t process;  /* >= 0, or FL_PROCESS_NEMESIS */
    int64_t pair;     /* position of the matching invoke/completion, or FL_NO_PAIR */
    const char *f;    /* never NULL ("" when absent) */
    const char *node; /* NULL when absent */
    const char *error;/* NULL when absent; an error that is not a string stays in extra */
    json_t *value;    /* NULL when absent; json_null() for nil */
    json_t *extra;    /* fields the model does not name, or NULL */
    int32_t key;      /* index into fl_history.keys (a nil key is json_null()), or FL_NO_KEY */
    uint32_t line;    /* line in the source file where the op starts (1-based), 0 if made */
    uint8_t type;     /* fl_op_type */
    uint8_t flags;
} fl_op;

typedef struct fl_history {
    fl_op *ops;           /* in file order: the real-time order of events */
    size_t count;
    size_t capacity;
    json_t **keys;        /* distinct keys, in order of first appearance */
    size_t key_count;
    size_t key_capacity;
    fl_strmap *key_ids;   /* canonical JSON text of a key -> its index */
    fl_strpool *pool;     /* interned f, node and error strings */
    char *source;         /* file name, for messages */
    char warning[FL_ERR_BYTES]; /* e.g. a truncated last line that was skipped */
} fl_history;

/* Where and why input did not parse. */
typedef struct fl_error {
    char file[256];
    uint32_t line;
    uint32_t column;
    char message[FL_ERR_BYTES];
} fl_error;

/* Return codes of readers. */
enum { FL_READ_OK = 0, FL_READ_MALFORMED = -1, FL_READ_IO = -2 };

typedef enum { FL_FORMAT_JSONL, FL_FORMAT_EDN } fl_format;

typedef struct fl_read_options {
    bool allow_truncated;  /* a truncated last line is a warning, not an error */
    int independent;       /* EDN [k v] tuple values: -1 detect, 0 never, 1 always */
} fl_read_options;

fl_history *fl_history_new(const char *source);
void fl_history_free(fl_history *h);
const char *fl_op_type_name(int type);
int fl_op_type_parse(const char *name); /* -1 when unknown */
int32_t fl_history_intern_key(fl_history *h, json_t *key); /* -1 on bad key */
fl_op *fl_history_append(fl_history *h);
/* Make room for need elements of size bytes in the array *p of capacity *cap (doubling,
 * from 64): 0, or -1 when out of memory (the array is left as it was). */
int fl_grow(void **p, size_t *cap, size_t need, size_t size);
void fl_error_set(fl_error *e, const char *file, uint32_t line, uint32_t column,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "file:line:col: message" */
void fl_error_format(const fl_error *e, char *out, size_t out_bytes);

/* Build an op from a decoded map: a JSON object, or (edn) an EDN map decoded with
 * keyword keys as strings and keyword values as ":name" strings, whose colon is dropped
 * from type, f, node, error and process. Takes no reference to obj. On an error
 * nothing is added. */
int fl_history_add_object(fl_history *h, json_t *obj, uint32_t line, bool edn, fl_error *err);

/* Whole-file readers; the format comes from the extension or the first token. */
int fl_format_detect(const char *path, const char *head, size_t head_bytes, fl_format *out);
int fl_history_read_file(const char *path, const fl_read_options *opt, fl_history **out,
                         fl_error *err);

/* Streaming JSON Lines reader: one op per call. */
typedef struct fl_jsonl_reader fl_jsonl_reader;
fl_jsonl_reader *fl_jsonl_reader_open(FILE *in, const char *name, fl_history *into,
                                      bool allow_truncated);
/* 1: an op was appended; 0: end of input; FL_READ_MALFORMED / FL_READ_IO: see err. */
int fl_jsonl_reader_next(fl_jsonl_reader *r, fl_error *err);
void fl_jsonl_reader_close(fl_jsonl_reader *r);
int fl_jsonl_read(FILE *in, const char *name, fl_history *into, bool allow_truncated,
                  fl_error *err);

/* The reader's fast path for one line: 1 when it added the op, 0 when the line must go
 * through jansson instead (nothing was added). Exposed for the differential fuzzer. */
int fl_jsonl_fast_line(fl_history *h, const char *text, size_t len, uint32_t line_number);
int fl_jsonl_read_buffer(const char *text, size_t len, const char *name, fl_history *into,
                         bool allow_truncated, fl_error *err);

/* Parse a whole EDN history (one map per line, or one vector of maps). */
int fl_edn_read(const char *text, size_t len, const char *name, fl_history *into,
                const fl_read_options *opt, fl_error *err);

/* Writers: one op per line. Return 0, or -1 with errno on a write error. */
int fl_jsonl_write_op(FILE *out, const fl_history *h, const fl_op *op);
int fl_edn_write_op(FILE *out, const fl_history *h, const fl_op *op);
int fl_history_write(FILE *out, const fl_history *h, fl_format format);

/* Pair each invocation with its completion by process. An invocation left open at
 * the end stays unpaired (it is indeterminate, like info). Errors: a completion
 * without an invocation, a second invocation while one is open. */
int fl_history_pair(fl_history *h, fl_error *err);

#endif
