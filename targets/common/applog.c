/* The append-only line log: replay with torn-tail truncation, batches, group commit (see
 * applog.h). */
#include "applog.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int fl_applog_scan(const char *bytes, size_t len, fl_applog_line_fn *fn, void *arg,
                   fl_applog_scan_result *r) {
    memset(r, 0, sizeof *r);
    size_t off = 0, line_no = 0, first_bad = 0;
    char err[FL_APPLOG_ERR_BYTES];
    while (off < len) {
        const char *nl = memchr(bytes + off, '\n', len - off);
        line_no++;
        if (!nl) { /* torn: its write never finished, so it was never acknowledged */
            r->tail_lines++;
            break;
        }
        err[0] = '\0';
        int ok = fn(arg, bytes + off, (size_t)(nl - (bytes + off)), err, sizeof err) == 0;
        if (ok && first_bad) {
            r->bad_line = first_bad;
            return -1;
        }
        if (ok) {
            r->records++;
            r->good_bytes = (size_t)(nl + 1 - bytes);
            r->tail_lines = 0;
        } else {
            if (!first_bad) snprintf(r->err, sizeof r->err, "%s", err[0] ? err : "invalid");
            if (!first_bad) first_bad = line_no;
            r->tail_lines++;
        }
        off = (size_t)(nl + 1 - bytes);
    }
    r->err[0] = '\0'; /* invalid lines in the tail only: no corruption to explain */
    return 0;
}

/* The whole file, malloc'd (*len bytes), or NULL with err. */
static char *read_all(int fd, const char *path, size_t *len, char *err, size_t err_bytes) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, err_bytes, "fstat %s: %s", path, strerror(errno));
        return NULL;
    }
    char *bytes = malloc((size_t)st.st_size + 1);
    if (!bytes) abort();
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, bytes + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, err_bytes, "read %s: %s", path, n < 0 ? strerror(errno) : "file shrank");
            free(bytes);
            return NULL;
        }
        got += (size_t)n;
    }
    *len = got;
    return bytes;
}

static int open_locked(fl_applog *w, const char *dir, const char *name, char *err,
                       size_t err_bytes) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_bytes, "data dir %s: mkdir: %s", dir, strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(w->path, sizeof w->path, "%s/%s", dir, name) >= sizeof w->path) {
        snprintf(err, err_bytes, "data dir %s: path too long", dir);
        return -1;
    }
    w->fd = open(w->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, err_bytes, "data dir %s: open %s: %s", dir, w->path, strerror(errno));
        return -1;
    }
    if (flock(w->fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, err_bytes, "data dir %s: %s is locked by another process (%s): "
                 "is another daemon using this data dir?", dir, w->path, strerror(errno));
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* make the file's name durable */
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int truncate_tail(fl_applog *w, const fl_applog_scan_result *r, size_t len, char *err,
                         size_t err_bytes) {
    if (ftruncate(w->fd, (off_t)r->good_bytes) != 0 || fdatasync(w->fd) != 0) {
        snprintf(err, err_bytes, "truncate %s to %zu bytes: %s", w->path, r->good_bytes,
                 strerror(errno));
        return -1;
    }
    fl_log("replay: %s: truncated a torn tail of %zu bytes (%zu line%s) after record %zu",
           w->path, len - r->good_bytes, r->tail_lines, r->tail_lines == 1 ? "" : "s",
           r->records);
    return 0;
}

int fl_applog_open(fl_applog *w, const char *dir, const char *name, size_t pending_bytes_max,
                   fl_applog_line_fn *fn, void *arg, fl_applog_scan_result *r, char *err,
                   size_t err_bytes) {
    w->fd = -1;
    w->pending_records = 0;
    fl_buf_init(&w->pending, pending_bytes_max);
    memset(r, 0, sizeof *r);
    if (open_locked(w, dir, name, err, err_bytes) != 0) return -1;
    size_t len = 0;
    char *bytes = read_all(w->fd, w->path, &len, err, err_bytes);
    if (!bytes) return -1;
    int rc = fl_applog_scan(bytes, len, fn, arg, r);
    free(bytes);
    if (rc != 0) {
        snprintf(err, err_bytes, "%s line %zu: %s; a valid record follows it, so this is "
                 "corruption, not a torn write: move the file away to start empty",
                 w->path, r->bad_line, r->err);
        return -1;
    }
    if (r->tail_lines > 0 && truncate_tail(w, r, len, err, err_bytes) != 0) return -1;
    return 0;
}

void fl_applog_close(fl_applog *w) {
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    fl_buf_free(&w->pending);
}

int fl_applog_commit(fl_applog *w, char *err, size_t err_bytes) {
    assert(w->fd >= 0);
    while (fl_buf_len(&w->pending) > 0) {
        ssize_t n = write(w->fd, fl_buf_bytes(&w->pending), fl_buf_len(&w->pending));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(err, err_bytes, "write %s: %s", w->path,
                     n < 0 ? strerror(errno) : "no progress");
            return -1;
        }
        fl_buf_consume(&w->pending, (size_t)n);
    }
    if (fdatasync(w->fd) != 0) {
        snprintf(err, err_bytes, "fdatasync %s: %s", w->path, strerror(errno));
        return -1;
    }
    w->pending_records = 0;
    return 0;
}
