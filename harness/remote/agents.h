/* The controller's agents: one faultline-agent per node on a kept stream (remote.h). */
#ifndef FL_AGENTS_H
#define FL_AGENTS_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"

typedef struct fl_agents fl_agents;

/* What a node's heartbeat thread is given. */
typedef struct fl_agent_beat {
    fl_agents *agents;
    size_t node;
} fl_agent_beat;

struct fl_agents {
    fl_control *control;
    fl_remote_stream *streams[FL_NODES_MAX];
    /* One call at a time on a node's channel (a heartbeat beside a fault); calls to
     * different nodes go side by side, so a slow node never starves another's watchdog. */
    pthread_mutex_t node_mu[FL_NODES_MAX];
    /* Each agent is fed from its first answer to fl_agents_stop by a thread of its own,
     * which sends a heartbeat when no call has gone to it for 3 s. */
    pthread_t beat_threads[FL_NODES_MAX];
    fl_agent_beat beats[FL_NODES_MAX];
    bool beating[FL_NODES_MAX];
    atomic_llong last_call_ns[FL_NODES_MAX]; /* CLOCK_MONOTONIC */
    atomic_bool stopping;
    pthread_mutex_t lost_mu;
    /* The first call that got no answer (the agent exited — its watchdog, a crash — or
     * its channel broke): every fault after it on that node was not applied. "" none. */
    char lost[512];
    /* A node whose agent once got no answer is not asked again: a late reply would be
     * read as the answer to the next request, and a node that is gone (a VM powered
     * off, rebooted) would cost every later call its full timeout. */
    bool gone[FL_NODES_MAX]; /* under node_mu[node] */
};

/* Upload faultline-agent to every node and start it, all nodes at once, each agent
 * answering a first heartbeat as soon as it runs and fed by heartbeats from then on; 0,
 * or -1 with err naming the node (the agents that did start are stopped). */
int fl_agents_start(fl_agents *a, fl_control *c, int watchdog_s, char *err, size_t err_bytes);
/* One request to node's agent, its reply (new reference); any thread, one call per node
 * at a time. After a failed call the node's agent is gone: later calls fail at once,
 * naming the first failure. */
int fl_agents_call(fl_agents *a, size_t node, json_t *request, json_t **reply, char *err,
                   size_t err_bytes);
/* Stop the heartbeats, then close every channel: each agent heals everything it did and
 * exits. A second call does nothing. */
void fl_agents_stop(fl_agents *a);

#endif
