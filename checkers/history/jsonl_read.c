/* JSON Lines reader: one op object per line, streamed, with errors that name the
 * file, line and column, and a truncated last line (a crashed writer) told apart. */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fl_jsonl_reader {
    FILE *in;
    const char *name;
    fl_history *into;
    bool allow_truncated;
    char *line;
    size_t line_capacity;
    uint32_t line_number;
};

static bool is_blank(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

/* Parse one line. `last_unterminated`: the line ends the input without a newline,
 * so if it does not parse it is a truncated write rather than bad data. */
static int parse_line(fl_history *h, const char *name, const char *text, size_t len,
                      uint32_t line_number, bool last_unterminated, bool allow_truncated,
                      fl_error *err) {
    if (is_blank(text, len)) return 0;
    if (fl_jsonl_fast_line(h, text, len, line_number)) return 1;
    json_error_t jerr;
    json_t *obj = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!obj) {
        if (last_unterminated) {
            if (allow_truncated) {
                snprintf(h->warning, sizeof h->warning,
                         "%s:%u: last line is truncated (%zu bytes, no newline; a writer "
                         "crashed?) and was skipped", name, line_number, len);
                return 0;
            }
            fl_error_set(err, name, line_number, (uint32_t)jerr.column,
                         "last line is truncated (no newline; a writer crashed?): %s; "
                         "rerun with --allow-truncated to check the ops before it",
                         jerr.text);
            return FL_READ_MALFORMED;
        }
        fl_error_set(err, name, line_number, jerr.column > 0 ? (uint32_t)jerr.column : 1,
                     "expected one JSON op object per line: %s", jerr.text);
        return FL_READ_MALFORMED;
    }
    int rc = fl_history_add_object(h, obj, line_number, false, err);
    json_decref(obj);
    return rc == FL_READ_OK ? 1 : rc;
}

fl_jsonl_reader *fl_jsonl_reader_open(FILE *in, const char *name, fl_history *into,
                                      bool allow_truncated) {
    fl_jsonl_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->in = in;
    r->name = name;
    r->into = into;
    r->allow_truncated = allow_truncated;
    return r;
}

int fl_jsonl_reader_next(fl_jsonl_reader *r, fl_error *err) {
    for (;;) {
        errno = 0;
        ssize_t n = getline(&r->line, &r->line_capacity, r->in);
        if (n < 0) {
            if (ferror(r->in)) {
                fl_error_set(err, r->name, r->line_number, 0, "read failed: %s",
                             strerror(errno));
                return FL_READ_IO;
            }
            return 0;
        }
        r->line_number++;
        bool unterminated = n == 0 || r->line[n - 1] != '\n';
        int rc = parse_line(r->into, r->name, r->line, (size_t)n, r->line_number,
                            unterminated, r->allow_truncated, err);
        if (rc != 0) return rc;
    }
}

void fl_jsonl_reader_close(fl_jsonl_reader *r) {
    if (!r) return;
    free(r->line);
    free(r);
}

int fl_jsonl_read(FILE *in, const char *name, fl_history *into, bool allow_truncated,
                  fl_error *err) {
    fl_jsonl_reader *r = fl_jsonl_reader_open(in, name, into, allow_truncated);
    if (!r) {
        fl_error_set(err, name, 0, 0, "out of memory");
        return FL_READ_IO;
    }
    int rc;
    while ((rc = fl_jsonl_reader_next(r, err)) == 1) {
    }
    fl_jsonl_reader_close(r);
    return rc;
}

/* The same over a buffer already in memory (whole-file reads avoid getline's copy). */
int fl_jsonl_read_buffer(const char *text, size_t len, const char *name, fl_history *into,
                         bool allow_truncated, fl_error *err) {
    uint32_t line_number = 0;
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) + 1 : len;
        line_number++;
        int rc = parse_line(into, name, text + start, end - start, line_number, !nl,
                            allow_truncated, err);
        if (rc < 0) return rc;
        start = end;
    }
    return FL_READ_OK;
}
