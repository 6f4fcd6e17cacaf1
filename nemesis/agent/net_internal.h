/* Shared by net.c and net_netem.c; not part of the API. */
#ifndef FL_AGENT_NET_INTERNAL_H
#define FL_AGENT_NET_INTERNAL_H

#include <stddef.h>

struct nl_sock;

struct fl_net {
    struct nl_sock *sk; /* NETLINK_ROUTE, bound to the opener's network namespace */
};

void fl_net_seterr(char *err, size_t bytes, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
