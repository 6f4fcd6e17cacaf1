/* The log-pattern checker on one log file (see log_pattern.h "Reading"): every line
 * against every pattern, matches recorded with their node, file and line. */
#include "log_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "line_reader.h"
#include "utf8_text.h"

json_t *lp_name_json(const char *name) {
    bool truncated;
    return utf8_text_json(name, strlen(name), SIZE_MAX, &truncated);
}

void lp_note(lp_scan *s, json_t *list, uint64_t *count, const char *rel, const char *field,
             const char *text) {
    if ((*count)++ >= LP_LIST_MAX) return;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "file", lp_name_json(rel)) != 0 ||
        json_object_set_new(o, field, lp_name_json(text)) != 0 ||
        json_array_append_new(list, o) != 0)
        s->out_of_memory = true;
}

static void record_match(lp_scan *s, size_t pattern, const char *node, const char *rel,
                         uint64_t line, const char *text, size_t len) {
    s->match_count++;
    s->patterns.list[pattern].matches++;
    if (json_array_size(s->matches) >= LP_LIST_MAX) return;
    bool truncated;
    json_t *o = json_object();
    json_t *shown = utf8_text_json(text, len, LP_TEXT_MAX, &truncated);
    if (!o || !shown) {
        json_decref(o);
        s->out_of_memory = true;
        return;
    }
    json_object_set_new(o, "pattern", json_string(s->patterns.list[pattern].name));
    json_object_set_new(o, "node", lp_name_json(node));
    json_object_set_new(o, "file", lp_name_json(rel));
    json_object_set_new(o, "line", json_integer((json_int_t)line));
    json_object_set_new(o, "text", shown);
    if (truncated) json_object_set_new(o, "text_truncated", json_true());
    json_array_append_new(s->matches, o);
}

static void record_match_error(lp_scan *s, size_t pattern, const char *rel, uint64_t line,
                               int code) {
    if (s->match_error_count++ > 0) return;
    PCRE2_UCHAR message[256];
    if (pcre2_get_error_message(code, message, sizeof message) < 0)
        snprintf((char *)message, sizeof message, "pcre2 error %d", code);
    s->match_error = json_object();
    json_object_set_new(s->match_error, "pattern", json_string(s->patterns.list[pattern].name));
    json_object_set_new(s->match_error, "file", lp_name_json(rel));
    json_object_set_new(s->match_error, "line", json_integer((json_int_t)line));
    json_object_set_new(s->match_error, "error", json_string((const char *)message));
}

/* Every line of the open file fd; 0, or -1 on a read error (errno set). */
static int scan_lines(lp_scan *s, int fd, const char *node, const char *rel,
                      uint64_t *read_bytes) {
    line_reader r;
    if (line_reader_init(&r, fd, s->max_file_bytes) != 0) {
        s->out_of_memory = true;
        return 0;
    }
    line_piece piece;
    uint64_t line = 0;
    bool line_start = true;
    int rc;
    while ((rc = line_reader_next(&r, &piece)) == 1) {
        if (line_start) line++;
        line_start = piece.line_ends;
        size_t len = piece.len;
        if (piece.line_ends && len > 0 && piece.text[len - 1] == '\r') len--;
        for (size_t p = 0; p < s->patterns.count; p++) {
            int m = lp_pattern_match(&s->patterns, p, piece.text, len);
            if (m > 0) record_match(s, p, node, rel, line, piece.text, len);
            else if (m < 0) record_match_error(s, p, rel, line, m);
        }
    }
    int saved = errno;
    *read_bytes = r.read_bytes;
    line_reader_free(&r);
    errno = saved;
    return rc < 0 ? -1 : 0;
}

static void note_truncated(lp_scan *s, const char *rel, uint64_t size, uint64_t scanned) {
    if (s->truncated_count++ >= LP_LIST_MAX) return;
    json_t *o = json_object();
    json_object_set_new(o, "file", lp_name_json(rel));
    json_object_set_new(o, "size_bytes", json_integer((json_int_t)size));
    json_object_set_new(o, "scanned_bytes", json_integer((json_int_t)scanned));
    json_array_append_new(s->truncated, o);
}

void lp_scan_file(lp_scan *s, const char *node, const char *rel) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", s->run_dir, rel) >= sizeof path) {
        lp_note(s, s->skipped, &s->skipped_count, rel, "reason", "path too long");
        return;
    }
    /* O_NOFOLLOW | O_NONBLOCK: the walk saw a regular file; should it have become a
     * symlink or a fifo since, fail rather than follow it or block. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    const char *why = NULL;
    if (fd < 0 || fstat(fd, &st) != 0) why = strerror(errno);
    else if (!S_ISREG(st.st_mode)) why = "not a regular file";
    if (why) {
        lp_note(s, s->unreadable, &s->unreadable_count, rel, "error", why);
        if (fd >= 0) close(fd);
        return;
    }
    uint64_t read_bytes = 0;
    int rc = scan_lines(s, fd, node, rel, &read_bytes);
    int saved = errno;
    close(fd);
    s->bytes_scanned += read_bytes;
    if (rc != 0) {
        lp_note(s, s->unreadable, &s->unreadable_count, rel, "error", strerror(saved));
        return;
    }
    s->files_scanned++;
    if ((uint64_t)st.st_size > s->max_file_bytes)
        note_truncated(s, rel, (uint64_t)st.st_size, read_bytes);
}
