/* The simulated network: messages in flight with a delivery step each, partitions as a
 * group per node (two nodes talk iff they are in the same group). Loss and duplication
 * happen at send time, partitions at delivery time (a link that goes down drops what is
 * in flight on it); reordering comes from the random delays. */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft_msg.h"

typedef struct net_msg {
    raft_msg m;   /* owned */
    uint64_t due; /* delivery step */
} net_msg;

typedef struct sim_net {
    net_msg *q; /* in send order */
    size_t n, cap;
    uint8_t group[16];
} sim_net;

void net_init(sim_net *net);
void net_free(sim_net *net);
/* Take ownership of *m (left empty) and deliver it at step due. */
void net_put(sim_net *net, raft_msg *m, uint64_t due);
/* Move the messages due at or before now into out (array of net->n capacity, owned by the
 * caller), in send order: returns how many. */
size_t net_take_due(sim_net *net, uint64_t now, net_msg *out);
static inline bool net_connected(const sim_net *net, int a, int b) {
    return net->group[a] == net->group[b];
}

#endif
