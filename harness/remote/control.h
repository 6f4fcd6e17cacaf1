/* The controller's way into all nodes at once: one remote (remote.h: SSH, or "local") per
 * node, opened in parallel and kept for the whole run,
 * and the same command on every node at once. */
#ifndef FL_CONTROL_H
#define FL_CONTROL_H

#include <stdbool.h>

#include "nodes.h"
#include "remote.h"

typedef struct fl_control {
    const fl_nodes *nodes;
    fl_remote *remotes[FL_NODES_MAX];        /* NULL where the node could not be reached */
    char errors[FL_NODES_MAX][FL_REMOTE_ERR_BYTES];
    double connect_ms[FL_NODES_MAX];
} fl_control;

/* How long each step of an SSH connection (TCP connect, handshake, authentication) may
 * take before the node counts as unreachable. Generous: a qemu guest without KVM, on a
 * host busy with other work, can take seconds to finish a key exchange, and a node
 * wrongly called unreachable fails the whole run. */
#define FL_CONNECT_TIMEOUT_MS 15000

/* Enter the cluster's namespace (when the nodes file names one; before any thread),
 * check the guard, then connect to every node in parallel. Returns how many nodes
 * could not be reached (their errors are in c->errors), or -1 when the guard or the
 * namespace refused (err). */
int fl_control_open(fl_control *c, const fl_nodes *nodes, bool trust_new_hosts,
                    int timeout_ms, char *err, size_t err_bytes);
void fl_control_close(fl_control *c);

/* Run fn on every node at once: one thread per node, each given its own element of tasks
 * (nodes->count elements of task_bytes each; fn must touch only its node's remote), and
 * wait for all. */
void fl_control_each(const fl_control *c, void *(*fn)(void *), void *tasks, size_t task_bytes);

typedef struct fl_node_result {
    int rc;                  /* 0 ran (see r), -1 transport error or timeout (error) */
    fl_exec_result r;
    char error[FL_REMOTE_ERR_BYTES];
    double ms;
} fl_node_result;

/* Run command on every reachable node at once; results[i] for node i. */
void fl_control_exec_all(fl_control *c, const char *command, int timeout_ms,
                         fl_node_result *results);

#endif
