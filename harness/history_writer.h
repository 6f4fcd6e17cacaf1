/* The run's history.jsonl as it happens (DESIGN.md "History writing"): an invoke is
 * written (write(2)) before its request is sent, so a crashed controller never leaves
 * an effect without its invocation; completions wait at most 10 ms in a buffer; the
 * file is fsynced at close. File order is real-time order: a completion is appended
 * after its reply arrived, an invoke before its request leaves. Thread-safe. */
#ifndef FL_HISTORY_WRITER_H
#define FL_HISTORY_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

typedef struct fl_hwriter {
    int fd;
    pthread_mutex_t mu;
    char *buf;                /* events not yet written */
    size_t len, cap;
    int64_t pending_since_ns; /* when the oldest buffered event was added; -1 none */
    int64_t next_index;
    struct timespec start;    /* time 0 of the run (CLOCK_MONOTONIC) */
    pthread_t flusher;
    atomic_bool stop;
    atomic_long events;       /* events recorded */
    int error;                /* errno of the first failed write, 0 if none */
} fl_hwriter;

/* Create path (it must not exist); 0, or -1 with err. */
int fl_hwriter_open(fl_hwriter *w, const char *path, const struct timespec *start, char *err,
                    size_t bytes);
int64_t fl_hwriter_now_ns(const fl_hwriter *w);
/* process < 0 is "nemesis". key/value/node/error may be NULL. */
void fl_hwriter_invoke(fl_hwriter *w, int64_t process, const char *f, const json_t *key,
                       const json_t *value);
void fl_hwriter_complete(fl_hwriter *w, int64_t process, const char *type, const char *f,
                         const json_t *key, const json_t *value, const char *node,
                         const char *error);
/* A nemesis event (process "nemesis", type info), written at once. */
void fl_hwriter_nemesis(fl_hwriter *w, const char *f, const json_t *value);
/* Write what is buffered, fsync, close; 0, or -1 with err. */
int fl_hwriter_close(fl_hwriter *w, char *err, size_t bytes);

#endif
