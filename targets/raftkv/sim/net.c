/* The simulated network (see net.h). */
#include "net.h"

#include <stdlib.h>
#include <string.h>

void net_init(sim_net *net) { memset(net, 0, sizeof *net); }

void net_free(sim_net *net) {
    for (size_t i = 0; i < net->n; i++) raft_msg_free(&net->q[i].m);
    free(net->q);
    memset(net, 0, sizeof *net);
}

void net_put(sim_net *net, raft_msg *m, uint64_t due) {
    if (net->n == net->cap) {
        net->cap = net->cap ? net->cap * 2 : 64;
        net->q = raft_xrealloc(net->q, net->cap * sizeof *net->q);
    }
    net_msg *slot = &net->q[net->n++];
    raft_msg_move(&slot->m, m);
    slot->due = due;
}

size_t net_take_due(sim_net *net, uint64_t now, net_msg *out) {
    size_t k = 0, keep = 0;
    for (size_t i = 0; i < net->n; i++) {
        if (net->q[i].due <= now)
            out[k++] = net->q[i];
        else
            net->q[keep++] = net->q[i];
    }
    net->n = keep;
    return k;
}
