/* The controller's agents: one faultline-agent per node on a kept stream (remote.h). */
#ifndef FL_AGENTS_H
#define FL_AGENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "control.h"

typedef struct fl_agents {
    fl_control *control;
    fl_remote_stream *streams[FL_NODES_MAX];
    /* The first call that got no answer (the agent exited — its watchdog, a crash — or
     * its channel broke): every fault after it on that node was not applied. "" none. */
    char lost[512];
    /* A node whose agent once got no answer is not asked again: a late reply would be
     * read as the answer to the next request, and a node that is gone (a VM powered
     * off, rebooted) would cost every later call its full timeout. */
    bool gone[FL_NODES_MAX];
} fl_agents;

/* Upload faultline-agent to every node and start it, all nodes at once, each agent
 * answering a first heartbeat as soon as it runs; 0, or -1 with err naming the node (the
 * agents that did start are stopped). */
int fl_agents_start(fl_agents *a, fl_control *c, int watchdog_s, char *err, size_t err_bytes);
/* One request to node's agent, its reply (new reference). After a failed call the node's
 * agent is gone: later calls fail at once, naming the first failure. */
int fl_agents_call(fl_agents *a, size_t node, json_t *request, json_t **reply, char *err,
                   size_t err_bytes);
/* Close every channel: each agent heals everything it did and exits. */
void fl_agents_stop(fl_agents *a);

#endif
