/* Who is primary, watched while a run's workload runs (DESIGN.md "History"): a thread
 * of its own asks the target about once a second and records an event whenever the
 * answer changes — the first answer, a failover, a split brain (two at once), and an
 * error as "unknown" once (not every second) — and an end event when it stops, so the
 * report can show which node was primary when beside the ops. Events are the
 * primaries events of checkers/history/primaries.h.
 *
 * The adapter's call cannot be interrupted, so a stop waits for the poll in flight:
 * the run's end waits at most one poll, which the adapters' own timeouts bound (a few
 * seconds); a stop between polls is at once. */
#ifndef FL_PRIMARIES_WATCH_H
#define FL_PRIMARIES_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct fl_primaries_watch_io {
    void *ctx;
    /* Which nodes are primary now (bit i: node i); 0, or -1 with err. */
    int (*ask)(void *ctx, uint64_t *nodes, char *err, size_t bytes);
    /* Record one event's value (borrowed) under f "primaries". Called from the watcher's
     * thread: it must be thread-safe against the run's other writers. */
    void (*record)(void *ctx, const json_t *value);
    /* The history's time now, in ns (for asked_ns). */
    int64_t (*now_ns)(void *ctx);
    const char *const *names;  /* node i's name */
    size_t node_count;
} fl_primaries_watch_io;

typedef struct fl_primaries_watch {
    fl_primaries_watch_io io;
    long period_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* signalled by stop, so a sleep between polls ends at once */
    bool stop;                 /* under mu */
    bool started;
    int last;                  /* what was last recorded: 0 nothing, 1 nodes, 2 unknown */
    uint64_t last_nodes;
    long polls, events;        /* read after stop */
    int64_t longest_poll_ns;
} fl_primaries_watch;

/* Start watching (period_ms between the starts of two polls; 1000 in a run). 0, or
 * -1 with err. */
int fl_primaries_watch_start(fl_primaries_watch *w, const fl_primaries_watch_io *io,
                             long period_ms, char *err, size_t bytes);
/* Stop: waits for the poll in flight (if any), records the end event when anything was
 * recorded, joins. Safe on a watch never started. */
void fl_primaries_watch_stop(fl_primaries_watch *w);

#endif
