/* The run's trace: an FNV-1a hash over every event (same seed, same hash: the simulator
 * is deterministic), and, for the seed being replayed with --verbose, one line per event. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>

typedef struct sim_trace {
    uint64_t hash;
    uint64_t events;
} sim_trace;

void trace_init(sim_trace *t);
/* Mix one event: its kind and up to five numbers. */
void trace_event(sim_trace *t, uint64_t step, const char *kind, uint64_t a, uint64_t b, uint64_t c,
                 uint64_t d, uint64_t e);

#endif
