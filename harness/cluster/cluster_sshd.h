/* The local cluster's nodes: keys, sshd per node, known_hosts, readiness (see .c). */
#ifndef FL_CLUSTER_SSHD_H
#define FL_CLUSTER_SSHD_H

#include <stddef.h>
#include <sys/types.h>

int fl_cluster_keys(const char *dir, size_t nodes, char *err, size_t err_bytes);
/* One sshd per node in the namespaces of cluster (NAME-nI). */
int fl_cluster_start_sshds(const char *dir, const char *cluster, size_t nodes,
                           char node_addr[][16], char *err, size_t err_bytes);
int fl_cluster_known_hosts(const char *dir, size_t nodes, char node_addr[][16], char *err,
                           size_t err_bytes);
/* Wait until every node's sshd answers with its banner, from inside NAME-net, for at most
 * timeout_ms in all. 0; or -1 with err and *late the index of the first node that did
 * not answer (SIZE_MAX when the namespace could not be entered). */
int fl_cluster_wait_ready(const char *cluster, size_t nodes, char node_addr[][16],
                          int timeout_ms, size_t *late, char *err, size_t err_bytes);
int fl_node_sshd_running(const char *dir, const char *name);
/* DIR/node-n<i+1>/node.pid: the pid that is the node (its unshare, or its qemu). */
int fl_node_pid_write(const char *dir, size_t i, pid_t pid, char *err, size_t err_bytes);
/* DIR/hosts: localhost and every node by name (the nodes' /etc/hosts). */
int fl_cluster_hosts_file(const char *dir, size_t nodes, char node_addr[][16], char *err,
                          size_t err_bytes);
void fl_node_sshd_stop(const char *dir, const char *name);

#endif
