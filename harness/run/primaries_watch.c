/* The primaries watcher's thread (see primaries_watch.h). */
#include "primaries_watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "target.h"

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static json_t *names_of(const fl_primaries_watch *w, uint64_t nodes) {
    json_t *a = json_array();
    for (size_t i = 0; i < w->io.node_count && i < 64; i++)
        if (nodes & (1ULL << i)) json_array_append_new(a, json_string(w->io.names[i]));
    return a;
}

/* One poll: ask, and record the answer when it differs from the last one recorded. */
static void poll_once(fl_primaries_watch *w) {
    char err[FL_TARGET_ERR_BYTES] = "";
    uint64_t nodes = 0;
    int64_t asked = w->io.now_ns(w->io.ctx), began = mono_ns();
    int rc = w->io.ask(w->io.ctx, &nodes, err, sizeof err);
    int64_t took = mono_ns() - began;
    if (took > w->longest_poll_ns) w->longest_poll_ns = took;
    w->polls++;
    /* Bits past the node count name no node: such an answer is not one. */
    if (rc == 0 && w->io.node_count < 64 && (nodes >> w->io.node_count) != 0) {
        snprintf(err, sizeof err, "the target named node bits 0x%llx of %zu nodes",
                 (unsigned long long)nodes, w->io.node_count);
        rc = -1;
    }
    json_t *value;
    if (rc == 0) {
        if (w->last == 1 && w->last_nodes == nodes) return;
        value = json_pack("{s:o,s:I}", "nodes", names_of(w, nodes), "asked_ns", (json_int_t)asked);
        w->last = 1;
        w->last_nodes = nodes;
    } else {
        if (w->last == 2) return; /* unknown is recorded once, whatever the next error says */
        value = json_pack("{s:n,s:s,s:I}", "nodes", "error", err[0] ? err : "no answer",
                          "asked_ns", (json_int_t)asked);
        w->last = 2;
    }
    if (value) w->io.record(w->io.ctx, value), w->events++;
    json_decref(value);
}

static void *watch_main(void *arg) {
    fl_primaries_watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        pthread_mutex_unlock(&w->mu);
        int64_t began = mono_ns();
        poll_once(w);
        /* The next poll a period after this one began (at once when it took longer). */
        int64_t next = began + w->period_ms * 1000000;
        struct timespec until = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
        pthread_mutex_lock(&w->mu);
        while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&w->mu);
    if (w->last != 0) {
        json_t *end = json_pack("{s:n,s:b}", "nodes", "end", 1);
        if (end) w->io.record(w->io.ctx, end), w->events++;
        json_decref(end);
    }
    return NULL;
}

int fl_primaries_watch_start(fl_primaries_watch *w, const fl_primaries_watch_io *io,
                             long period_ms, char *err, size_t bytes) {
    memset(w, 0, sizeof *w);
    w->io = *io;
    w->period_ms = period_ms > 0 ? period_ms : 1000;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* the sleep ignores wall-clock steps */
    pthread_cond_init(&w->cv, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&w->mu, NULL);
    int rc = pthread_create(&w->thread, NULL, watch_main, w);
    if (rc != 0) {
        snprintf(err, bytes, "primaries watcher: pthread_create: %s", strerror(rc));
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    w->started = true;
    return 0;
}

void fl_primaries_watch_stop(fl_primaries_watch *w) {
    if (!w->started) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    w->started = false;
}
