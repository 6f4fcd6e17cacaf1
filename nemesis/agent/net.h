/* The agent's network faults, through libnl-route-3 (DESIGN.md "The agent"; the
 * Grudge convention). A partition is egress drops on this host: an htb root qdisc
 * (handle 1:) whose default class 1:fa11 does not exist, so unclassified packets go
 * htb's direct path untouched; one htb class 1:2 whose leaf is `pfifo limit 0` (a
 * black hole); and one u32 filter per dropped IPv4 destination (ip dst /32 -> 1:2).
 * Only kernel features every kernel has: no prio, gact or netem needed.
 *
 * The netlink socket lives in the network namespace of the thread that called
 * fl_net_open, whatever namespace the process enters later. A handle is not
 * thread-safe. Every call that can fail writes a message naming the failing call and
 * libnl's reason (nl_geterror) into the caller's buffer. */
#ifndef FL_AGENT_NET_H
#define FL_AGENT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

typedef struct fl_net fl_net;

/* Most destinations one partition may drop. */
#define FL_NET_DROP_MAX 256
/* The qdisc, class and leaf this layer installs. */
#define FL_NET_ROOT_HANDLE 0x00010000u  /* 1: */
#define FL_NET_DEFCLS 0xfa11u           /* 1:fa11, a class that never exists */
#define FL_NET_HOLE_CLASS 0x00010002u   /* 1:2 */
#define FL_NET_HOLE_LEAF 0x00020000u    /* 2:, pfifo limit 0 */
#define FL_NET_NETEM_CLASS 0x00010003u  /* 1:3 */
#define FL_NET_NETEM_LEAF 0x00030000u   /* 3:, netem */
/* Partition filters use priorities 1, 2, … (make before break); netem's filters sit at
 * this one, after them, so a dropped destination is dropped, not delayed. */
#define FL_NET_NETEM_PRIO 0x4000u

/* Port bits a flow selection may use: bit 0 is left out because Linux gives connect()
 * even ephemeral ports, so it would select every connection to a given port or none;
 * bits 13 and up because the ephemeral range (32768-60999) fixes or skews them. */
#define FL_NET_FLOW_BIT_MIN 1
#define FL_NET_FLOW_BIT_MAX 12

/* What a netem leaf does (0 = off). Percentages are of packets. flow_bit selects the
 * packets: -1, every packet to the destinations; 1-12, only TCP and UDP packets (IPv4
 * headers without options) whose source and destination ports differ in that bit, so
 * about half the connections, each one whole: its packets keep their order, and its
 * messages overtake, or fall behind, the other connections' (a path that some flows
 * hash onto, as with ECMP, and others not). Read back from the filters. */
typedef struct fl_net_netem_params {
    uint32_t delay_us, jitter_us;
    double loss_pct, duplicate_pct, reorder_pct, corrupt_pct;
    int flow_bit;
} fl_net_netem_params;

/* What is in force on one link, read back from the kernel. */
typedef struct fl_net_state {
    char ifname[16];
    int ifindex;
    char root_kind[16];     /* kind of the link's root qdisc, "" when none is listed */
    uint32_t root_handle;
    bool installed;         /* the root qdisc is this layer's htb */
    bool blackhole;         /* class 1:2 ends in a pfifo of limit 0 */
    uint64_t dropped;       /* packets the black hole dropped since it was made */
    size_t drop_count;      /* destinations dropped now (sorted, no repeats) */
    struct in_addr drop[FL_NET_DROP_MAX];
    bool netem;             /* class 1:3 ends in this layer's netem leaf */
    fl_net_netem_params netem_params; /* as the kernel reports them */
    size_t netem_count;     /* destinations sent through netem (sorted, no repeats) */
    struct in_addr netem_to[FL_NET_DROP_MAX];
} fl_net_state;

/* A netlink route socket in the calling thread's network namespace. 0, or -1 with err. */
int fl_net_open(fl_net **out, char *err, size_t err_bytes);
void fl_net_close(fl_net *n);

/* Drop this host's outgoing IPv4 packets to these destinations on ifname (dotted quads;
 * repeats are fine). Replaces any earlier partition: the new filters are added before
 * the old ones go, so a destination in both sets is never let through, and a set equal
 * to the one in force changes nothing. An empty set lifts the partition (and removes
 * the root qdisc when no netem is in force either). Any root qdisc that is not this
 * layer's is replaced (heal then leaves the kernel's default root qdisc). A netem in
 * force is left as it is. 0, or -1 with err; on failure the earlier partition is still
 * in force. */
int fl_net_partition(fl_net *n, const char *ifname, const char *const *drop_ipv4,
                     size_t count, char *err, size_t err_bytes);

/* Send this host's outgoing IPv4 packets to these destinations through a netem qdisc
 * with these parameters on ifname (class 1:3, leaf 3:, u32 filters at
 * FL_NET_NETEM_PRIO), replacing any netem in force; a partition in force stays and
 * still wins. p == NULL or an empty set lifts netem (and removes the root qdisc when no
 * partition is in force). Needs a kernel with netem (fl_net_probe_netem); the kernel's
 * refusal is passed on in err. 0, or -1 with err. */
int fl_net_netem(fl_net *n, const char *ifname, const fl_net_netem_params *p,
                 const char *const *to_ipv4, size_t count, char *err, size_t err_bytes);

/* Remove everything this layer installed on ifname (its root qdisc, with the class,
 * leaf and filters under it). 0 when nothing of it is there; a root qdisc that is not
 * this layer's is left alone. 0, or -1 with err (no such link, say). */
int fl_net_heal(fl_net *n, const char *ifname, char *err, size_t err_bytes);

/* What is in force on ifname. 0, or -1 with err. */
int fl_net_state_get(fl_net *n, const char *ifname, fl_net_state *st, char *err,
                     size_t err_bytes);
/* The same as one JSON object, e.g.
 * {"ifname":"eth0","root_qdisc":"htb","installed":true,"blackhole":true,
 *  "drop":["10.213.0.12"],"dropped_packets":3,"netem":null,"netem_to":[]}
 * ("netem": {"delay_us":…,"jitter_us":…,"loss_pct":…,…,"flow_bit":-1} when one is in force)
 * 0, or -1 with the error message in buf instead. */
int fl_net_status(fl_net *n, const char *ifname, char *buf, size_t bytes);
/* Format a state as that JSON object; -1 when buf is too small. */
int fl_net_state_json(const fl_net_state *st, char *buf, size_t bytes);

/* 1 when this kernel has netem (a netem qdisc could be added, and was removed); 0 with
 * the reason ("netem unsupported by this kernel: ...") when it has not; -1 when the
 * probe itself could not run, with the reason. Probes in a private network namespace
 * of a short-lived thread, so nothing the host or node uses is touched; falls back to
 * FL_NET_PROBE_LO when that namespace cannot be made. */
int fl_net_probe_netem(fl_net *n, char *why, size_t bytes);

typedef enum {
    FL_NET_PROBE_PRIVATE_NETNS, /* lo of a fresh namespace, made and dropped by a thread */
    FL_NET_PROBE_LO,            /* lo of n's namespace, only while its root qdisc is the
                                   kernel's default noqueue (restored after) */
} fl_net_probe_where;
int fl_net_probe_netem_at(fl_net *n, fl_net_probe_where where, char *why, size_t bytes);

#endif
