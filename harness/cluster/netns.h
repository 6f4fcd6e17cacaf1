/* Network namespaces for the controller: entering the local cluster's namespace, and
 * the guard that keeps anything addressed to a test node from leaving the machine
 * (DESIGN.md "Nodes"): a cluster address is only ever dialled from inside the
 * cluster's own namespace. */
#ifndef FL_NETNS_H
#define FL_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#include "nodes.h"

/* Enter /run/netns/<name> (the calling thread; call before starting any thread). */
int fl_netns_enter(const char *name, char *err, size_t err_bytes);
/* Is this thread in /run/netns/<name>? */
bool fl_netns_is_current(const char *name);
/* Is the IPv4 address inside the CIDR subnet? -1 when the CIDR does not parse (a host
 * name or IPv6 address is never inside: 0). */
int fl_addr_in_subnet(const char *addr, const char *cidr);
/* Do two IPv4 CIDRs overlap? -1 when either does not parse. */
int fl_subnets_overlap(const char *a, const char *b);
/* 0 when the controller may dial host now; else an error saying why not: host is in
 * the nodes file's subnet or any local cluster's (cluster_registry.h) and this process
 * is not in that cluster's namespace. */
int fl_netns_guard(const fl_nodes *n, const char *host, char *err, size_t err_bytes);
/* Enter the nodes file's namespace if it names one, then check every node with the
 * guard. */
int fl_netns_prepare(const fl_nodes *n, char *err, size_t err_bytes);

#endif
