/* Which node(s) were primary when: the timeline a run's primaries watcher recorded in
 * the history (DESIGN.md "History"). Part of the history model, so that `faultline
 * test` (results.json's "primaries") and the report (its "Primaries" band) read the
 * events one way.
 *
 * Events: process "nemesis", type info, f "primaries" (no "-start"/"-stop": they make
 * no fault window), one per change of the answer:
 *   {"nodes": ["n1"], "asked_ns": T}     the target named these nodes ([]: none, say
 *                                        mid-election); asked at history time T ns
 *   {"nodes": null, "error": "…", …}     the target could not say: unknown
 *   {"nodes": null, "end": true}         the watcher stopped: unknown from here on
 * Every checker of client ops ignores them (they are nemesis events).
 *
 * Timeline: a segment from each event's time to the next event's (the end event only
 * closes one); the last runs to end_ns when no end event closed it. Two events in a
 * row with the same answer make one segment. Times that go back (a history written
 * elsewhere) count as the latest before them, so segments follow each other. */
#ifndef FL_PRIMARIES_H
#define FL_PRIMARIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

#define FL_PRIMARIES_F "primaries"

typedef struct fl_primaries_event {
    int64_t time_ns;
    const json_t *value;  /* borrowed; may be NULL */
} fl_primaries_event;

/* Whether an event of this process, type and f is a primaries event. */
bool fl_is_primaries_event(int64_t process, int type, const char *f);

/* {"changes": segments after the first (each a change of answer), "split_brains":
 * segments naming two nodes or more, "timeline": [{"from_s", "to_s", "nodes": [names] |
 * null, "error" (when the target gave one)}]} from events in history order; NULL when
 * there are none (or out of memory). New reference. */
json_t *fl_primaries_timeline(const fl_primaries_event *events, size_t count, int64_t end_ns);

/* The same from a history's own events; its latest time is end_ns. */
json_t *fl_history_primaries(const fl_history *h);

#endif
