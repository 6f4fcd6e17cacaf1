/* Shared by net.c (partitions, status) and net_netem.c (netem probe and apply); not
 * part of the API. */
#ifndef FL_AGENT_NET_INTERNAL_H
#define FL_AGENT_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "net.h"

struct nl_sock;
struct rtnl_link;
struct rtnl_tc;
struct rtnl_qdisc;

struct fl_net {
    struct nl_sock *sk; /* NETLINK_ROUTE, bound to the opener's network namespace */
};

/* Distinct partition filter priorities read back at most (this layer uses one or two). */
#define FL_NET_PRIOS_MAX 64

/* Everything read back from the kernel for one link. */
typedef struct fl_net_snapshot {
    fl_net_state st;
    uint16_t prios[FL_NET_PRIOS_MAX]; /* priorities of the partition filters under 1: */
    size_t prio_count;
    bool netem_filters;               /* some filter sits at FL_NET_NETEM_PRIO */
} fl_net_snapshot;

void fl_net_seterr(char *err, size_t bytes, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct rtnl_link *fl_net_get_link(fl_net *n, const char *ifname, char *err, size_t bytes);
int fl_net_take_snapshot(fl_net *n, struct rtnl_link *link, fl_net_snapshot *s, char *err,
                         size_t bytes);
/* Sorts and drops repeats; returns the new count. */
size_t fl_net_sort_unique(struct in_addr *a, size_t count);
/* Dotted quads to addresses, sorted without repeats; -1 with err naming the bad one. */
int fl_net_parse_ipv4(const char *what, const char *const *text, size_t count,
                      struct in_addr *out, size_t *out_count, char *err, size_t bytes);
int fl_net_tc_init(struct rtnl_tc *tc, struct rtnl_link *link, uint32_t parent,
                   uint32_t handle, const char *kind);
int fl_net_add_root(fl_net *n, struct rtnl_link *link, char *err, size_t bytes);
int fl_net_delete_root(fl_net *n, struct rtnl_link *link, const char *kind, char *err,
                       size_t bytes);
/* u32 filters under 1: at prio sending packets to a -> classid: every packet to a
 * (flow_bit -1: one filter), or only its TCP and UDP flows whose ports differ in
 * flow_bit (FL_NET_FLOW_BIT_MIN..MAX: four filters, two protocols by two halves). */
int fl_net_add_filter(fl_net *n, struct rtnl_link *link, uint16_t prio, struct in_addr a,
                      int flow_bit, uint32_t classid, char *err, size_t bytes);
int fl_net_delete_prio(fl_net *n, struct rtnl_link *link, uint16_t prio, char *err,
                       size_t bytes);
/* Removes the root qdisc when it is ours and neither partition nor netem uses it. */
int fl_net_drop_root_if_unused(fl_net *n, struct rtnl_link *link, char *err, size_t bytes);
/* Whether leaf is this layer's netem (handle 3:), and its parameters. */
bool fl_net_read_netem(struct rtnl_qdisc *leaf, fl_net_netem_params *p);

#endif
