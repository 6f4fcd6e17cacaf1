/* Whole-file history reading: format detection (DESIGN.md "Format detection"),
 * parsing and pairing. */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int fl_format_detect(const char *path, const char *head, size_t head_bytes, fl_format *out) {
    if (path && (ends_with(path, ".jsonl") || ends_with(path, ".json"))) {
        *out = FL_FORMAT_JSONL;
        return 0;
    }
    if (path && ends_with(path, ".edn")) {
        *out = FL_FORMAT_EDN;
        return 0;
    }
    /* By the first token: '[' is EDN; after '{', '"' means JSON and ':' means EDN. */
    size_t i = 0;
    while (i < head_bytes) {
        char c = head[i];
        if (c == ';') { /* an EDN comment */
            *out = FL_FORMAT_EDN;
            return 0;
        }
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',') break;
        i++;
    }
    if (i == head_bytes) return -1;
    if (head[i] == '[' || head[i] == '(') {
        *out = FL_FORMAT_EDN;
        return 0;
    }
    if (head[i] != '{') return -1;
    for (i++; i < head_bytes; i++) {
        char c = head[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') continue;
        if (c == '"' || c == '}') *out = FL_FORMAT_JSONL;
        else if (c == ':') *out = FL_FORMAT_EDN;
        else return -1;
        return 0;
    }
    return -1;
}

static char *slurp(const char *path, size_t *len, fl_error *err) {
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in) {
        fl_error_set(err, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t capacity = 1 << 16, used = 0;
    char *buf = malloc(capacity + 1);
    while (buf) {
        size_t n = fread(buf + used, 1, capacity - used, in);
        used += n;
        if (used < capacity) break;
        capacity *= 2;
        char *bigger = realloc(buf, capacity + 1);
        if (!bigger) {
            free(buf);
            buf = NULL;
        } else {
            buf = bigger;
        }
    }
    bool failed = ferror(in);
    if (in != stdin) fclose(in);
    if (!buf || failed) {
        fl_error_set(err, path, 0, 0, "cannot read: %s", buf ? strerror(errno) : "out of memory");
        free(buf);
        return NULL;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

/* Nothing but white space: an empty history in any format. */
static bool blank(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            return false;
    return true;
}

int fl_history_read_file(const char *path, const fl_read_options *opt, fl_history **out,
                         fl_error *err) {
    static const fl_read_options defaults = {.allow_truncated = false, .independent = -1};
    if (!opt) opt = &defaults;
    *out = NULL;
    size_t len = 0;
    char *text = slurp(path, &len, err);
    if (!text) return FL_READ_IO;
    /* An empty file is the empty history (a test that recorded nothing), which every
     * checker accepts (DESIGN.md "Checkers"); a file that is not one is malformed. */
    bool empty = blank(text, len);
    fl_format format = FL_FORMAT_JSONL;
    if (!empty && fl_format_detect(path, text, len < 4096 ? len : 4096, &format) != 0) {
        free(text);
        fl_error_set(err, path, 1, 1, "not a history: expected JSON Lines ({\"index\":…}) "
                     "or EDN ({:index …} or [{…}]); name the file .jsonl or .edn");
        return FL_READ_MALFORMED;
    }
    fl_history *h = fl_history_new(path);
    if (!h) {
        free(text);
        fl_error_set(err, path, 0, 0, "out of memory");
        return FL_READ_IO;
    }
    int rc = empty                   ? FL_READ_OK
             : format == FL_FORMAT_EDN ? fl_edn_read(text, len, path, h, opt, err)
                                       : fl_jsonl_read_buffer(text, len, path, h,
                                                              opt->allow_truncated, err);
    free(text);
    if (rc == FL_READ_OK) rc = fl_history_pair(h, err);
    if (rc != FL_READ_OK) {
        fl_history_free(h);
        return rc;
    }
    *out = h;
    return FL_READ_OK;
}
