/* The controller's agents: one faultline-agent per node on a kept stream (remote.h). */
#ifndef FL_AGENTS_H
#define FL_AGENTS_H

#include <jansson.h>

#include "control.h"

typedef struct fl_agents {
    fl_control *control;
    fl_remote_stream *streams[FL_NODES_MAX];
    /* The first call that got no answer (the agent exited — its watchdog, a crash — or
     * its channel broke): every fault after it on that node was not applied. "" none. */
    char lost[512];
} fl_agents;

/* Upload faultline-agent to every node and start it; 0, or -1 with err naming the node. */
int fl_agents_start(fl_agents *a, fl_control *c, int watchdog_s, char *err, size_t err_bytes);
/* One request to node's agent, its reply (new reference). */
int fl_agents_call(fl_agents *a, size_t node, json_t *request, json_t **reply, char *err,
                   size_t err_bytes);
/* Close every channel: each agent heals everything it did and exits. */
void fl_agents_stop(fl_agents *a);

#endif
