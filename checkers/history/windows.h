/* Fault windows: the stretches of a history during which the nemesis had a fault in
 * force, derived from its events. Part of the history model, so that every checker may use
 * them (the perf checker measures availability with them, retry-storm its windows of
 * fault and recovery) and the report shades them on its timelines.
 *
 * Events (DESIGN.md "History"): the nemesis writes one event per change, with process
 * "nemesis" (FL_PROCESS_NEMESIS) and type info:
 *   f "<kind>-start"  a fault of that kind (partition, kill, pause, clock, netem, or any
 *                     other name) is now in force; its value describes it;
 *   f "<kind>-stop"   it was undone;
 *   f "heal"          everything was undone (the end of every window).
 * Rules:
 *   - a window of kind K opens at a K-start and closes at the first later K-stop or heal;
 *   - when several windows of K are open (the harness never does this, but other tools
 *     may), a K-stop closes the oldest of them; a heal closes all open windows;
 *   - a K-stop with no open window of K is counted (unmatched_stop_count) and ignored;
 *   - a window never closed stays open to the end of the history (stop_pos -1);
 *   - nemesis events of another type are ignored: Jepsen's nemesis writes an invoke and
 *     then an info, and only the info says the fault took effect;
 *   - an f "-start" or "-stop" (no kind) is malformed.
 * A window is made of history positions, not times, so histories without times and
 * ops with equal times still fall on the right side: an op at position p is inside a
 * window when start_pos < p and (stop_pos == -1 or p < stop_pos).
 *
 * Cost: O(n) to find the windows of n ops (plus hashing of kinds); a cursor walks a
 * history in O(n + windows). */
#ifndef FL_FAULT_WINDOWS_H
#define FL_FAULT_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

typedef struct fl_fault_window {
    size_t kind;       /* index into fl_fault_windows.kinds */
    int64_t start_pos; /* position (in h->ops) of the K-start event */
    int64_t stop_pos;  /* position of the K-stop or heal that closed it, or -1 if none did */
    bool healed;       /* closed by a heal, not by a K-stop */
} fl_fault_window;

typedef struct fl_fault_windows {
    fl_fault_window *windows; /* in order of start_pos; owned */
    size_t count;
    size_t *by_stop;          /* ids of the closed windows, in order of stop_pos; owned */
    size_t closed_count;
    char **kinds;             /* distinct kinds, in order of first start; owned */
    size_t kind_count;
    size_t unmatched_stop_count;
    size_t heal_count;
} fl_fault_windows;

/* Fill out (zeroed first) with the windows of h. Returns 0, or -1 with err set: an
 * f "-start" without a kind (the event's line), or out of memory. */
int fl_fault_windows_find(const fl_history *h, fl_fault_windows *out, fl_error *err);
void fl_fault_windows_free(fl_fault_windows *w);

/* Window i as {"kind", "start_index", "start_ns", "stop_index", "stop_ns",
 * "closed_by": "stop" | "heal" | null, "value": the start event's value (null if
 * none)}; an index or time that does not exist is null (new reference). */
json_t *fl_fault_window_json(const fl_history *h, const fl_fault_windows *w, size_t i);

/* Which kinds are open at each position of a walk over the history in order. */
typedef struct fl_fault_cursor {
    const fl_fault_windows *w;
    size_t *open_by_kind;     /* windows of each kind open at the current position */
    size_t *open_kinds;       /* the kinds with open_by_kind > 0, in no order */
    size_t *slot_of_kind;     /* where each open kind sits in open_kinds */
    size_t open_kind_count;
    size_t next_start, next_stop;
    int64_t pos;              /* the current position; seeks never go back */
} fl_fault_cursor;

/* 0, or -1 when out of memory. */
int fl_fault_cursor_init(fl_fault_cursor *c, const fl_fault_windows *w);
/* Move to position pos (not before the current one). */
void fl_fault_cursor_seek(fl_fault_cursor *c, int64_t pos);
/* The kinds open at the current position: *kinds gets the list, the count is returned. */
size_t fl_fault_cursor_open_kinds(const fl_fault_cursor *c, const size_t **kinds);
void fl_fault_cursor_free(fl_fault_cursor *c);

#endif
