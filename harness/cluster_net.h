/* The local cluster's network namespaces, bridge and veth pairs (see cluster_net.c). */
#ifndef FL_CLUSTER_NET_H
#define FL_CLUSTER_NET_H

#include <stddef.h>

#define FL_NET_NETNS "fl-net"

/* The controller's address (.1) and the nodes' (.11, .12, …) in subnet. */
int fl_cluster_addresses(const char *subnet, size_t nodes, char controller[16],
                         char node_addr[][16], int *prefix, char *err, size_t err_bytes);
int fl_cluster_net_up(size_t nodes, const char *controller, char node_addr[][16], int prefix,
                      char *err, size_t err_bytes);
/* Delete fl-net and every fl-n<digits> namespace, and with them every link in them. */
int fl_cluster_net_down(char *err, size_t err_bytes);
int fl_cluster_net_exists(void);

#endif
