/* The local cluster's network namespaces, bridge and veth pairs (see cluster_net.c). */
#ifndef FL_CLUSTER_NET_H
#define FL_CLUSTER_NET_H

#include <stdbool.h>
#include <stddef.h>

/* A cluster NAME's namespaces: NAME-net (the bridge and the controller's address) and
 * NAME-n1 … (the nodes). */
#define FL_NETNS_NAME_BYTES 40
/* node 0: NAME-net; node i ≥ 1: NAME-ni. */
void fl_cluster_netns_names(const char *cluster, size_t node, char out[FL_NETNS_NAME_BYTES]);

/* The controller's address (.1) and the nodes' (.11, .12, …) in subnet. */
int fl_cluster_addresses(const char *subnet, size_t nodes, char controller[16],
                         char node_addr[][16], int *prefix, char *err, size_t err_bytes);
/* NAME-net with the bridge and the controller's address; then per node either a
 * namespace NAME-nI joined by a veth (its address set inside), or, for VMs (taps), a tap
 * fl-tI on the bridge that qemu opens (the guest sets its own address). */
int fl_cluster_net_up(const char *cluster, size_t nodes, const char *controller,
                      char node_addr[][16], int prefix, bool taps,
                      char *err, size_t err_bytes);
/* Delete NAME-net and every NAME-n<digits> namespace, and with them every link in them;
 * no other cluster's. */
int fl_cluster_net_down(const char *cluster, char *err, size_t err_bytes);
int fl_cluster_net_exists(const char *cluster);

#endif
