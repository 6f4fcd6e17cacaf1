/* The put log: replay with torn-tail truncation, batched appends, group commit (see wal.h). */
#include "wal.h"

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

int qkv_wal_scan(const char *bytes, size_t len, qkv_record_fn *fn, void *arg,
                 qkv_wal_scan_result *r) {
    memset(r, 0, sizeof *r);
    size_t off = 0, line_no = 0, first_bad = 0;
    char first_err[QKV_ERR_BYTES] = "";
    while (off < len) {
        const char *nl = memchr(bytes + off, '\n', len - off);
        line_no++;
        if (!nl) { /* torn: its write never finished, so it was never acknowledged */
            r->tail_lines++;
            break;
        }
        qkv_msg m;
        char err[QKV_ERR_BYTES];
        int ok = qkv_parse_record(bytes + off, (size_t)(nl - (bytes + off)), &m, err,
                                  sizeof err) == 0;
        if (ok && first_bad) {
            qkv_msg_release(&m);
            r->bad_line = first_bad;
            snprintf(r->err, sizeof r->err, "%s", first_err);
            return -1;
        }
        if (ok) {
            fn(arg, &m);
            r->records++;
            r->good_bytes = (size_t)(nl + 1 - bytes);
            r->tail_lines = 0;
        } else {
            if (!first_bad) snprintf(first_err, sizeof first_err, "%s", err);
            if (!first_bad) first_bad = line_no;
            r->tail_lines++;
        }
        qkv_msg_release(&m);
        off = (size_t)(nl + 1 - bytes);
    }
    return 0;
}

static void apply_record(void *arg, const qkv_msg *m) {
    qkv_store *store = arg;
    if (qkv_store_put(store, m->ckey, m->ver, m->value) == QKV_FULL)
        fl_log("replay: key %s not restored: more than %u keys", m->ckey, QKV_STORE_KEYS_MAX);
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

static int open_locked(qkv_wal *w, const char *dir, char *err, size_t err_bytes) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_bytes, "data dir %s: mkdir: %s", dir, strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(w->path, sizeof w->path, "%s/%s", dir, QKV_WAL_NAME) >= sizeof w->path) {
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
                 "is another fl-quorumkv using this data dir?", dir, w->path, strerror(errno));
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* make the file's name durable */
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int truncate_tail(qkv_wal *w, const qkv_wal_scan_result *r, size_t len, char *err,
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

int qkv_wal_open(qkv_wal *w, const char *dir, qkv_store *store, char *err, size_t err_bytes) {
    w->fd = -1;
    w->pending_records = 0;
    fl_buf_init(&w->pending, QKV_WAL_PENDING_BYTES_MAX);
    if (open_locked(w, dir, err, err_bytes) != 0) return -1;
    size_t len = 0;
    char *bytes = read_all(w->fd, w->path, &len, err, err_bytes);
    if (!bytes) return -1;
    qkv_wal_scan_result r;
    int rc = qkv_wal_scan(bytes, len, apply_record, store, &r);
    free(bytes);
    if (rc != 0) {
        snprintf(err, err_bytes, "%s line %zu: %s; a valid record follows it, so this is "
                 "corruption, not a torn write: move the file away to start empty",
                 w->path, r.bad_line, r.err);
        return -1;
    }
    if (r.tail_lines > 0 && truncate_tail(w, &r, len, err, err_bytes) != 0) return -1;
    fl_log("recovered %zu key%s from %zu record%s in %s", store->count,
           store->count == 1 ? "" : "s", r.records, r.records == 1 ? "" : "s", w->path);
    return 0;
}

void qkv_wal_close(qkv_wal *w) {
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    fl_buf_free(&w->pending);
}

int qkv_wal_append(qkv_wal *w, const char *ckey, qkv_version v, const json_t *value) {
    if (qkv_encode_record(&w->pending, ckey, v, value) != 0) return -1;
    w->pending_records++;
    return 0;
}

int qkv_wal_commit(qkv_wal *w, char *err, size_t err_bytes) {
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
