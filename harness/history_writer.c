/* history.jsonl, written as the run goes (see history_writer.h). Events are formatted
 * by hand for the common cases (integers, null, plain strings) and by jansson for the
 * rest, since a fast null-client run records several hundred thousand events a second. */
#include "history_writer.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_NS (10 * 1000000LL)
#define FLUSH_TICK_NS (2 * 1000000L)

static int64_t since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 + (now.tv_nsec - start->tv_nsec);
}

int64_t fl_hwriter_now_ns(const fl_hwriter *w) { return since(&w->start); }

static int reserve(fl_hwriter *w, size_t more) {
    if (w->len + more <= w->cap) return 0;
    size_t cap = w->cap ? w->cap : 65536;
    while (cap < w->len + more) cap *= 2;
    char *b = realloc(w->buf, cap);
    if (!b) return -1;
    w->buf = b;
    w->cap = cap;
    return 0;
}

static void put(fl_hwriter *w, const char *s, size_t n) {
    if (reserve(w, n) != 0) {
        if (!w->error) w->error = ENOMEM;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void put_str(fl_hwriter *w, const char *s) { put(w, s, strlen(s)); }

/* A JSON string; plain printable ASCII is copied, anything else goes through jansson. */
static void put_string(fl_hwriter *w, const char *s) {
    bool plain = true;
    for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
        plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
    if (plain) {
        put(w, "\"", 1);
        put_str(w, s);
        put(w, "\"", 1);
        return;
    }
    json_t *j = json_string(s);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    put_str(w, text ? text : "\"?\"");
    free(text);
    json_decref(j);
}

static void put_json(fl_hwriter *w, const json_t *v) {
    char tmp[32];
    if (json_is_integer(v)) {
        int n = snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        put(w, tmp, (size_t)n);
    } else if (json_is_null(v)) {
        put_str(w, "null");
    } else if (json_is_string(v)) {
        put_string(w, json_string_value(v));
    } else {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        put_str(w, text ? text : "null");
        free(text);
    }
}

/* Appends one event line; the caller holds the lock. */
static void append(fl_hwriter *w, int64_t process, const char *type, const char *f,
                   const json_t *key, const json_t *value, const char *node, const char *error,
                   bool has_value) {
    assert(process >= -1); /* -1: the nemesis */
    assert(f && f[0]);
    assert(!strcmp(type, "invoke") || !strcmp(type, "ok") || !strcmp(type, "fail") ||
           !strcmp(type, "info"));
    char head[160];
    int n = snprintf(head, sizeof head, "{\"index\":%lld,\"time\":%lld,\"process\":",
                     (long long)w->next_index++, (long long)since(&w->start));
    put(w, head, (size_t)n);
    if (process < 0) {
        put_str(w, "\"nemesis\"");
    } else {
        n = snprintf(head, sizeof head, "%lld", (long long)process);
        put(w, head, (size_t)n);
    }
    put_str(w, ",\"type\":\"");
    put_str(w, type);
    put_str(w, "\",\"f\":");
    put_string(w, f);
    if (key) {
        put_str(w, ",\"key\":");
        put_json(w, key);
    }
    if (has_value) {
        put_str(w, ",\"value\":");
        put_json(w, value ? value : json_null());
    }
    if (node) {
        put_str(w, ",\"node\":");
        put_string(w, node);
    }
    if (error) {
        put_str(w, ",\"error\":");
        put_string(w, error);
    }
    put_str(w, "}\n");
    atomic_fetch_add(&w->events, 1);
}

/* Writes the buffer out; the caller holds the lock. */
static void flush_locked(fl_hwriter *w) {
    size_t at = 0;
    while (at < w->len) {
        ssize_t k = write(w->fd, w->buf + at, w->len - at);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (!w->error) w->error = k < 0 ? errno : EIO;
            break;
        }
        at += (size_t)k;
    }
    assert(at == w->len || w->error); /* all out, or the error says why not */
    w->len = 0;
    w->pending_since_ns = -1;
}

static void *flusher(void *arg) {
    fl_hwriter *w = arg;
    while (!atomic_load(&w->stop)) {
        struct timespec tick = {0, FLUSH_TICK_NS};
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&w->mu);
        if (w->pending_since_ns >= 0 && since(&w->start) - w->pending_since_ns >= BATCH_NS - FLUSH_TICK_NS)
            flush_locked(w);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

int fl_hwriter_open(fl_hwriter *w, const char *path, const struct timespec *start, char *err,
                    size_t bytes) {
    memset(w, 0, sizeof *w);
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        snprintf(err, bytes, "%s: %s", path, strerror(errno));
        return -1;
    }
    w->start = *start;
    w->pending_since_ns = -1;
    pthread_mutex_init(&w->mu, NULL);
    if (pthread_create(&w->flusher, NULL, flusher, w) != 0) {
        snprintf(err, bytes, "pthread_create: %s", strerror(errno));
        close(w->fd);
        return -1;
    }
    return 0;
}

void fl_hwriter_invoke(fl_hwriter *w, int64_t process, const char *f, const json_t *key,
                       const json_t *value) {
    pthread_mutex_lock(&w->mu);
    append(w, process, "invoke", f, key, value, NULL, NULL, value != NULL);
    flush_locked(w); /* before the request is sent */
    assert(w->len == 0);
    pthread_mutex_unlock(&w->mu);
}

void fl_hwriter_complete(fl_hwriter *w, int64_t process, const char *type, const char *f,
                         const json_t *key, const json_t *value, const char *node,
                         const char *error) {
    pthread_mutex_lock(&w->mu);
    if (w->pending_since_ns < 0) w->pending_since_ns = since(&w->start);
    append(w, process, type, f, key, value, node, error, value != NULL);
    pthread_mutex_unlock(&w->mu);
}

void fl_hwriter_nemesis(fl_hwriter *w, const char *f, const json_t *value) {
    pthread_mutex_lock(&w->mu);
    append(w, -1, "info", f, NULL, value, NULL, NULL, true);
    flush_locked(w);
    pthread_mutex_unlock(&w->mu);
}

int fl_hwriter_close(fl_hwriter *w, char *err, size_t bytes) {
    atomic_store(&w->stop, true);
    pthread_join(w->flusher, NULL);
    pthread_mutex_lock(&w->mu);
    flush_locked(w);
    pthread_mutex_unlock(&w->mu);
    int rc = 0;
    if (fsync(w->fd) != 0 && !w->error) w->error = errno;
    if (close(w->fd) != 0 && !w->error) w->error = errno;
    if (w->error) {
        snprintf(err, bytes, "writing the history: %s", strerror(w->error));
        rc = -1;
    }
    pthread_mutex_destroy(&w->mu);
    free(w->buf);
    w->buf = NULL;
    return rc;
}
