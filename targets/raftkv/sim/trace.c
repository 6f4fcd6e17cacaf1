/* The trace hash (see trace.h). */
#include "trace.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

void trace_init(sim_trace *t) {
    t->hash = FNV_OFFSET;
    t->events = 0;
}

static void mix(sim_trace *t, uint64_t x) {
    for (int i = 0; i < 8; i++) {
        t->hash ^= (x >> (8 * i)) & 0xff;
        t->hash *= FNV_PRIME;
    }
}

void trace_event(sim_trace *t, uint64_t step, const char *kind, uint64_t a, uint64_t b, uint64_t c,
                 uint64_t d, uint64_t e) {
    mix(t, step);
    for (const char *p = kind; *p; p++) {
        t->hash ^= (unsigned char)*p;
        t->hash *= FNV_PRIME;
    }
    mix(t, a);
    mix(t, b);
    mix(t, c);
    mix(t, d);
    mix(t, e);
    t->events++;
}
