/* Partition shapes as data (Jepsen's grudge): for each node, the nodes whose packets
 * it must not receive. Pure: no network, no clock; the agent applies a grudge as egress
 * drops on the senders (DESIGN.md "Conventions", Grudge), so a one-way cut A↛B is a
 * filter on A only. */
#ifndef FL_GRUDGE_H
#define FL_GRUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define FL_GRUDGE_NODES_MAX 64

typedef struct fl_grudge {
    size_t n;
    /* Bit j of drops_from[i]: node i does not receive packets from node j. Never i. */
    uint64_t drops_from[FL_GRUDGE_NODES_MAX];
} fl_grudge;

typedef enum {
    FL_SHAPE_HALVES,          /* two random halves, cut both ways */
    FL_SHAPE_ONE,             /* one random node cut off from all others */
    FL_SHAPE_MAJORITIES_RING, /* every node sees a majority, no two the same one */
    FL_SHAPE_BRIDGE,          /* two halves joined by one node that sees both */
    FL_SHAPE_ONE_WAY,         /* one random node receives from nobody, sends to all */
    FL_SHAPE_COUNT,
} fl_shape;

const char *fl_shape_name(fl_shape s);
int fl_shape_parse(const char *name); /* -1 when unknown */

/* Each node cut off from every node outside its own group (group[i] for node i). */
fl_grudge fl_grudge_from_groups(size_t n, const uint32_t *group);
/* The grudge of a shape on n nodes, random choices from rng. */
fl_grudge fl_grudge_make(fl_shape s, size_t n, fl_rng *rng);
/* Isolate these nodes (the primaries, say) from all the others, both ways. */
fl_grudge fl_grudge_isolate(size_t n, uint64_t nodes);
/* One way: nothing these nodes send reaches the others; they still hear everyone. */
fl_grudge fl_grudge_mute(size_t n, uint64_t nodes);
/* The destinations sender must drop its packets to. */
uint64_t fl_grudge_egress(const fl_grudge *g, size_t sender);
bool fl_grudge_reaches(const fl_grudge *g, size_t from, size_t to);

#endif
