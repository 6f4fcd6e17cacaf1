/* Partitions as egress drops: htb root 1: (default class 1:fa11, which never exists, so
 * unclassified packets take htb's direct path), class 1:2 -> pfifo limit 0, and one u32
 * filter per dropped destination. See net.h. */
#include "net.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/class.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>

#include "net_internal.h"

/* The black hole class's rate: never reached (its leaf holds nothing), kept small so
 * htb's quantum (rate / r2q) stays in range and the kernel does not warn. */
#define HOLE_RATE_BYTES 125000u
/* Where u32 finds what it matches in an IPv4 packet: the word holding the header's
 * length (in its low nibble of the first byte: 5 words when there are no options), the
 * word holding the protocol, the destination address, and (when there are no options)
 * a TCP or UDP packet's source and destination ports. */
#define IPV4_IHL_OFFSET 0
#define IPV4_IHL_MASK 0x0f000000u
#define IPV4_IHL_NO_OPTIONS 0x05000000u
#define IPV4_PROTO_OFFSET 8
#define IPV4_PROTO_MASK 0x00ff0000u
#define IPV4_DST_OFFSET 16
#define IPV4_PORTS_OFFSET 20

void fl_net_seterr(char *err, size_t bytes, const char *fmt, ...) {
    if (!err || bytes == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, bytes, fmt, ap);
    va_end(ap);
}

int fl_net_open(fl_net **out, char *err, size_t err_bytes) {
    *out = NULL;
    fl_net *n = calloc(1, sizeof *n);
    if (!n) {
        fl_net_seterr(err, err_bytes, "fl_net_open: out of memory");
        return -1;
    }
    n->sk = nl_socket_alloc();
    if (!n->sk) {
        fl_net_seterr(err, err_bytes, "nl_socket_alloc: out of memory");
        free(n);
        return -1;
    }
    int rc = nl_connect(n->sk, NETLINK_ROUTE);
    if (rc < 0) {
        fl_net_seterr(err, err_bytes, "nl_connect(NETLINK_ROUTE): %s", nl_geterror(rc));
        nl_socket_free(n->sk);
        free(n);
        return -1;
    }
    *out = n;
    return 0;
}

void fl_net_close(fl_net *n) {
    if (!n) return;
    nl_socket_free(n->sk); /* closes the socket */
    free(n);
}

/* The link named ifname, or NULL with err. */
struct rtnl_link *fl_net_get_link(fl_net *n, const char *ifname, char *err, size_t bytes) {
    if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ) {
        fl_net_seterr(err, bytes, "bad interface name \"%s\"", ifname ? ifname : "(null)");
        return NULL;
    }
    struct rtnl_link *link = NULL;
    int rc = rtnl_link_get_kernel(n->sk, 0, ifname, &link);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_link_get_kernel(%s): %s", ifname, nl_geterror(rc));
        return NULL;
    }
    return link;
}


static int cmp_addr(const void *a, const void *b) {
    uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
    uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);
    return (x > y) - (x < y);
}

/* Sorts and drops repeats; returns the new count. */
size_t fl_net_sort_unique(struct in_addr *a, size_t count) {
    if (count == 0) return 0;
    qsort(a, count, sizeof a[0], cmp_addr);
    size_t k = 1;
    for (size_t i = 1; i < count; i++)
        if (a[i].s_addr != a[k - 1].s_addr) a[k++] = a[i];
    return k;
}

/* The mask of a flow filter's ports key: bit b of the source and of the destination
 * port (the source is the word's high half). */
static uint32_t ports_mask(int bit) { return (1u << (16 + bit)) | (1u << bit); }

/* One of our filters: u32 to `to` whose key 0 is the whole ip dst, alone (every packet
 * to it: *flow_bit = -1) or followed by a flow filter's header-length, protocol and
 * ports keys (*flow_bit = the port bit). */
static int filter_addr(struct rtnl_cls *cls, uint32_t to, struct in_addr *addr, int *flow_bit) {
    const char *kind = rtnl_tc_get_kind(TC_CAST(cls));
    if (!kind || strcmp(kind, "u32") != 0) return 0;
    if (rtnl_cls_get_protocol(cls) != ETH_P_IP) return 0;
    uint32_t classid = 0;
    if (rtnl_u32_get_classid(cls, &classid) < 0 || classid != to) return 0;
    uint32_t val[5], mask[5];
    int off[5], offmask[5], keys = 0;
    while (keys < 5 && rtnl_u32_get_key(cls, (uint8_t)keys, &val[keys], &mask[keys], &off[keys],
                                        &offmask[keys]) == 0)
        keys++;
    if (keys == 0 || off[0] != IPV4_DST_OFFSET || offmask[0] != 0 || mask[0] != 0xffffffffu)
        return 0;
    addr->s_addr = val[0]; /* network order, as the kernel keeps it */
    *flow_bit = -1;
    if (keys == 1) return 1;
    if (keys != 4 || off[1] != IPV4_IHL_OFFSET || ntohl(mask[1]) != IPV4_IHL_MASK ||
        ntohl(val[1]) != IPV4_IHL_NO_OPTIONS || off[2] != IPV4_PROTO_OFFSET ||
        ntohl(mask[2]) != IPV4_PROTO_MASK || off[3] != IPV4_PORTS_OFFSET)
        return 0;
    for (int b = FL_NET_FLOW_BIT_MIN; b <= FL_NET_FLOW_BIT_MAX; b++)
        if (ntohl(mask[3]) == ports_mask(b)) *flow_bit = b;
    return *flow_bit >= 0;
}

struct cls_walk {
    fl_net_snapshot *s;
    int overflow;
};

static void walk_cls(struct nl_object *obj, void *arg) {
    struct cls_walk *w = arg;
    struct rtnl_cls *cls = (struct rtnl_cls *)obj;
    uint16_t prio = rtnl_cls_get_prio(cls);
    struct in_addr a;
    int flow_bit;
    if (prio >= FL_NET_NETEM_PRIO) {
        if (filter_addr(cls, FL_NET_NETEM_CLASS, &a, &flow_bit)) {
            if (w->s->st.netem_count < FL_NET_DROP_MAX)
                w->s->st.netem_to[w->s->st.netem_count++] = a;
            w->s->st.netem_params.flow_bit = flow_bit; /* one netem: one selection */
        }
        w->s->netem_filters = true;
        return;
    }
    size_t i;
    for (i = 0; i < w->s->prio_count; i++)
        if (w->s->prios[i] == prio) break;
    if (i == w->s->prio_count) {
        if (w->s->prio_count == FL_NET_PRIOS_MAX) w->overflow = 1;
        else w->s->prios[w->s->prio_count++] = prio;
    }
    /* A partition drops whole destinations; a filter of another shape is not ours. */
    if (filter_addr(cls, FL_NET_HOLE_CLASS, &a, &flow_bit) && flow_bit < 0 &&
        w->s->st.drop_count < FL_NET_DROP_MAX)
        w->s->st.drop[w->s->st.drop_count++] = a;
}

int fl_net_take_snapshot(fl_net *n, struct rtnl_link *link, fl_net_snapshot *s, char *err,
                         size_t bytes) {
    memset(s, 0, sizeof *s);
    const char *ifname = rtnl_link_get_name(link);
    snprintf(s->st.ifname, sizeof s->st.ifname, "%s", ifname ? ifname : "");
    s->st.ifindex = rtnl_link_get_ifindex(link);

    struct nl_cache *qc = NULL;
    int rc = rtnl_qdisc_alloc_cache(n->sk, &qc);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_alloc_cache: %s", nl_geterror(rc));
        return -1;
    }
    struct rtnl_qdisc *root = rtnl_qdisc_get_by_parent(qc, s->st.ifindex, TC_H_ROOT);
    if (root) {
        const char *kind = rtnl_tc_get_kind(TC_CAST(root));
        snprintf(s->st.root_kind, sizeof s->st.root_kind, "%s", kind ? kind : "");
        s->st.root_handle = rtnl_tc_get_handle(TC_CAST(root));
        s->st.installed = strcmp(s->st.root_kind, "htb") == 0 &&
                          s->st.root_handle == FL_NET_ROOT_HANDLE &&
                          rtnl_htb_get_defcls(root) == FL_NET_DEFCLS;
        rtnl_qdisc_put(root);
    }
    if (s->st.installed) {
        struct rtnl_qdisc *leaf = rtnl_qdisc_get_by_parent(qc, s->st.ifindex, FL_NET_HOLE_CLASS);
        if (leaf) {
            const char *kind = rtnl_tc_get_kind(TC_CAST(leaf));
            s->st.blackhole = kind && strcmp(kind, "pfifo") == 0 &&
                              rtnl_tc_get_handle(TC_CAST(leaf)) == FL_NET_HOLE_LEAF &&
                              rtnl_qdisc_fifo_get_limit(leaf) == 0;
            if (s->st.blackhole) s->st.dropped = rtnl_tc_get_stat(TC_CAST(leaf), RTNL_TC_DROPS);
            rtnl_qdisc_put(leaf);
        }
        leaf = rtnl_qdisc_get_by_parent(qc, s->st.ifindex, FL_NET_NETEM_CLASS);
        if (leaf) {
            s->st.netem = fl_net_read_netem(leaf, &s->st.netem_params);
            rtnl_qdisc_put(leaf);
        }
    }
    nl_cache_free(qc);
    if (!s->st.installed) return 0;

    struct nl_cache *cc = NULL;
    rc = rtnl_cls_alloc_cache(n->sk, s->st.ifindex, FL_NET_ROOT_HANDLE, &cc);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_cls_alloc_cache(%s, parent 1:): %s", s->st.ifname,
                      nl_geterror(rc));
        return -1;
    }
    struct cls_walk w = {s, 0};
    nl_cache_foreach(cc, walk_cls, &w);
    nl_cache_free(cc);
    if (w.overflow) {
        fl_net_seterr(err, bytes, "%s: more than %d filter priorities under 1:", s->st.ifname,
                      FL_NET_PRIOS_MAX);
        return -1;
    }
    s->st.drop_count = fl_net_sort_unique(s->st.drop, s->st.drop_count);
    s->st.netem_count = fl_net_sort_unique(s->st.netem_to, s->st.netem_count);
    return 0;
}

int fl_net_state_get(fl_net *n, const char *ifname, fl_net_state *st, char *err,
                     size_t err_bytes) {
    struct rtnl_link *link = fl_net_get_link(n, ifname, err, err_bytes);
    if (!link) return -1;
    fl_net_snapshot s;
    int rc = fl_net_take_snapshot(n, link, &s, err, err_bytes);
    rtnl_link_put(link);
    if (rc == 0) *st = s.st;
    return rc;
}

/* A qdisc/class object on link with the given parent, handle and kind. */
int fl_net_tc_init(struct rtnl_tc *tc, struct rtnl_link *link, uint32_t parent,
                   uint32_t handle, const char *kind) {
    rtnl_tc_set_link(tc, link);
    rtnl_tc_set_parent(tc, parent);
    if (handle) rtnl_tc_set_handle(tc, handle);
    return rtnl_tc_set_kind(tc, kind);
}

int fl_net_delete_root(fl_net *n, struct rtnl_link *link, const char *kind, char *err,
                       size_t bytes) {
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();
    if (!q) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_alloc: out of memory");
        return -1;
    }
    int rc = fl_net_tc_init(TC_CAST(q), link, TC_H_ROOT, FL_NET_ROOT_HANDLE, kind);
    if (rc == 0) rc = rtnl_qdisc_delete(n->sk, q);
    rtnl_qdisc_put(q);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_delete(%s root 1: %s): %s",
                      rtnl_link_get_name(link), kind, nl_geterror(rc));
        return -1;
    }
    return 0;
}

int fl_net_add_root(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();
    if (!q) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_alloc: out of memory");
        return -1;
    }
    int rc = fl_net_tc_init(TC_CAST(q), link, TC_H_ROOT, FL_NET_ROOT_HANDLE, "htb");
    if (rc == 0) rc = rtnl_htb_set_defcls(q, FL_NET_DEFCLS);
    if (rc == 0) rc = rtnl_qdisc_add(n->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
    rtnl_qdisc_put(q);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_add(%s root 1: htb default fa11): %s",
                      rtnl_link_get_name(link), nl_geterror(rc));
        return -1;
    }
    return 0;
}

static int add_hole(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    struct rtnl_class *c = rtnl_class_alloc();
    if (!c) {
        fl_net_seterr(err, bytes, "rtnl_class_alloc: out of memory");
        return -1;
    }
    int rc = fl_net_tc_init(TC_CAST(c), link, FL_NET_ROOT_HANDLE, FL_NET_HOLE_CLASS, "htb");
    if (rc == 0) rc = rtnl_htb_set_rate(c, HOLE_RATE_BYTES);
    if (rc == 0) rc = rtnl_class_add(n->sk, c, NLM_F_CREATE);
    rtnl_class_put(c);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_class_add(%s classid 1:2 htb): %s",
                      rtnl_link_get_name(link), nl_geterror(rc));
        return -1;
    }
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();
    if (!q) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_alloc: out of memory");
        return -1;
    }
    rc = fl_net_tc_init(TC_CAST(q), link, FL_NET_HOLE_CLASS, FL_NET_HOLE_LEAF, "pfifo");
    if (rc == 0) rc = rtnl_qdisc_fifo_set_limit(q, 0);
    if (rc == 0) rc = rtnl_qdisc_add(n->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
    rtnl_qdisc_put(q);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_add(%s parent 1:2 handle 2: pfifo limit 0): %s",
                      rtnl_link_get_name(link), nl_geterror(rc));
        return -1;
    }
    return 0;
}

static struct rtnl_cls *cls_at(struct rtnl_link *link, uint16_t prio) {
    struct rtnl_cls *cls = rtnl_cls_alloc();
    if (!cls) return NULL;
    rtnl_tc_set_link(TC_CAST(cls), link);
    rtnl_tc_set_parent(TC_CAST(cls), FL_NET_ROOT_HANDLE);
    rtnl_cls_set_prio(cls, prio);
    rtnl_cls_set_protocol(cls, ETH_P_IP);
    if (rtnl_tc_set_kind(TC_CAST(cls), "u32") < 0) {
        rtnl_cls_put(cls);
        return NULL;
    }
    return cls;
}

static int add_one_filter(fl_net *n, struct rtnl_link *link, uint16_t prio, struct in_addr a,
                          int flow_bit, int proto, uint32_t ports, uint32_t classid, char *err,
                          size_t bytes) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, text, sizeof text);
    struct rtnl_cls *cls = cls_at(link, prio);
    if (!cls) {
        fl_net_seterr(err, bytes, "rtnl_cls_alloc: out of memory");
        return -1;
    }
    int rc = rtnl_u32_add_key_uint32(cls, ntohl(a.s_addr), 0xffffffffu, IPV4_DST_OFFSET, 0);
    if (rc == 0 && flow_bit >= 0) {
        rc = rtnl_u32_add_key_uint32(cls, IPV4_IHL_NO_OPTIONS, IPV4_IHL_MASK, IPV4_IHL_OFFSET, 0);
        if (rc == 0)
            rc = rtnl_u32_add_key_uint32(cls, (uint32_t)proto << 16, IPV4_PROTO_MASK,
                                         IPV4_PROTO_OFFSET, 0);
        if (rc == 0)
            rc = rtnl_u32_add_key_uint32(cls, ports, ports_mask(flow_bit), IPV4_PORTS_OFFSET, 0);
    }
    if (rc == 0) rc = rtnl_u32_set_cls_terminal(cls);
    if (rc == 0) rc = rtnl_u32_set_classid(cls, classid);
    if (rc == 0) rc = rtnl_cls_add(n->sk, cls, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_cls_put(cls);
    if (rc < 0) {
        char flows[64] = "";
        if (flow_bit >= 0)
            snprintf(flows, sizeof flows, " %s ports %08x/%08x", proto == IPPROTO_TCP ? "tcp" : "udp",
                     (unsigned)ports, (unsigned)ports_mask(flow_bit));
        fl_net_seterr(err, bytes, "rtnl_cls_add(%s parent 1: prio %u u32 ip dst %s/32%s -> 1:%x): %s",
                      rtnl_link_get_name(link), (unsigned)prio, text, flows,
                      (unsigned)(classid & 0xffffu), nl_geterror(rc));
        return -1;
    }
    return 0;
}

int fl_net_add_filter(fl_net *n, struct rtnl_link *link, uint16_t prio, struct in_addr a,
                      int flow_bit, uint32_t classid, char *err, size_t bytes) {
    assert(flow_bit == -1 || (flow_bit >= FL_NET_FLOW_BIT_MIN && flow_bit <= FL_NET_FLOW_BIT_MAX));
    if (flow_bit < 0) return add_one_filter(n, link, prio, a, -1, 0, 0, classid, err, bytes);
    /* Ports that differ in the bit: source 1 and destination 0, or source 0 and
     * destination 1. Both directions of a connection then fall in the same half. */
    static const int protos[] = {IPPROTO_TCP, IPPROTO_UDP};
    const uint32_t halves[] = {1u << (16 + flow_bit), 1u << flow_bit};
    for (size_t p = 0; p < 2; p++)
        for (size_t h = 0; h < 2; h++)
            if (add_one_filter(n, link, prio, a, flow_bit, protos[p], halves[h], classid, err,
                               bytes) < 0)
                return -1;
    return 0;
}

/* Deletes every u32 filter of one priority under 1:. */
int fl_net_delete_prio(fl_net *n, struct rtnl_link *link, uint16_t prio, char *err,
                       size_t bytes) {
    struct rtnl_cls *cls = cls_at(link, prio);
    if (!cls) {
        fl_net_seterr(err, bytes, "rtnl_cls_alloc: out of memory");
        return -1;
    }
    int rc = rtnl_cls_delete(n->sk, cls, 0);
    rtnl_cls_put(cls);
    if (rc < 0 && rc != -NLE_OBJ_NOTFOUND) {
        fl_net_seterr(err, bytes, "rtnl_cls_delete(%s parent 1: prio %u): %s",
                      rtnl_link_get_name(link), (unsigned)prio, nl_geterror(rc));
        return -1;
    }
    return 0;
}

int fl_net_drop_root_if_unused(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    fl_net_snapshot s;
    if (fl_net_take_snapshot(n, link, &s, err, bytes) < 0) return -1;
    if (!s.st.installed || s.prio_count > 0 || s.netem_filters) return 0;
    return fl_net_delete_root(n, link, "htb", err, bytes);
}

/* Lift the partition only: its filters go; a netem in force stays. */
static int clear_partition(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    fl_net_snapshot s;
    if (fl_net_take_snapshot(n, link, &s, err, bytes) < 0) return -1;
    if (!s.st.installed) return 0;
    for (size_t i = 0; i < s.prio_count; i++)
        if (fl_net_delete_prio(n, link, s.prios[i], err, bytes) < 0) return -1;
    return fl_net_drop_root_if_unused(n, link, err, bytes);
}

static int heal_link(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    fl_net_snapshot s;
    if (fl_net_take_snapshot(n, link, &s, err, bytes) < 0) return -1;
    if (!s.st.installed) return 0;
    return fl_net_delete_root(n, link, "htb", err, bytes);
}

int fl_net_heal(fl_net *n, const char *ifname, char *err, size_t err_bytes) {
    struct rtnl_link *link = fl_net_get_link(n, ifname, err, err_bytes);
    if (!link) return -1;
    int rc = heal_link(n, link, err, err_bytes);
    rtnl_link_put(link);
    return rc;
}

static int apply(fl_net *n, struct rtnl_link *link, const struct in_addr *want,
                 size_t count, char *err, size_t bytes) {
    fl_net_snapshot s;
    if (fl_net_take_snapshot(n, link, &s, err, bytes) < 0) return -1;

    if (s.st.installed && s.st.blackhole && s.prio_count == 1 && s.st.drop_count == count &&
        memcmp(s.st.drop, want, count * sizeof want[0]) == 0)
        return 0; /* already in force */

    if (!s.st.installed) {
        /* Some other root qdisc with our handle cannot be grafted over: remove it. */
        if (s.st.root_handle == FL_NET_ROOT_HANDLE &&
            fl_net_delete_root(n, link, s.st.root_kind, err, bytes) < 0)
            return -1;
        if (fl_net_add_root(n, link, err, bytes) < 0) return -1;
        s.prio_count = 0;
    }
    if (!s.st.blackhole && add_hole(n, link, err, bytes) < 0) return -1;

    /* Make before break: the new set goes in at a priority not in use, then every
     * other priority goes. Meanwhile the union of both sets is dropped. */
    uint16_t prio = 1;
    for (;;) {
        size_t i;
        for (i = 0; i < s.prio_count && s.prios[i] != prio; i++) {}
        if (i == s.prio_count) break;
        prio++;
    }
    for (size_t i = 0; i < count; i++) {
        if (fl_net_add_filter(n, link, prio, want[i], -1, FL_NET_HOLE_CLASS, err, bytes) < 0) {
            char ignored[256];
            fl_net_delete_prio(n, link, prio, ignored, sizeof ignored); /* the old set stays */
            return -1;
        }
    }
    for (size_t i = 0; i < s.prio_count; i++)
        if (fl_net_delete_prio(n, link, s.prios[i], err, bytes) < 0) return -1;
    return 0;
}

int fl_net_parse_ipv4(const char *what, const char *const *text, size_t count,
                      struct in_addr *out, size_t *out_count, char *err, size_t bytes) {
    if (count > FL_NET_DROP_MAX) {
        fl_net_seterr(err, bytes, "%s: %zu destinations, at most %d", what, count,
                      FL_NET_DROP_MAX);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (!text[i] || inet_pton(AF_INET, text[i], &out[i]) != 1) {
            fl_net_seterr(err, bytes, "%s: \"%s\" is not an IPv4 address", what,
                          text[i] ? text[i] : "(null)");
            return -1;
        }
    }
    *out_count = fl_net_sort_unique(out, count);
    return 0;
}

int fl_net_partition(fl_net *n, const char *ifname, const char *const *drop_ipv4,
                     size_t count, char *err, size_t err_bytes) {
    struct in_addr want[FL_NET_DROP_MAX];
    if (fl_net_parse_ipv4("partition", drop_ipv4, count, want, &count, err, err_bytes) < 0)
        return -1;
    struct rtnl_link *link = fl_net_get_link(n, ifname, err, err_bytes);
    if (!link) return -1;
    int rc = count == 0 ? clear_partition(n, link, err, err_bytes)
                        : apply(n, link, want, count, err, err_bytes);
    rtnl_link_put(link);
    return rc;
}

/* JSON string body: ifnames and qdisc kinds are short and printable, but escape anyway. */
static int put_json_string(char *buf, size_t bytes, size_t *at, const char *s) {
    if (*at < bytes) buf[(*at)++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        if (c == '"' || c == '\\') snprintf(tmp, sizeof tmp, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f) snprintf(tmp, sizeof tmp, "\\u%04x", c);
        else snprintf(tmp, sizeof tmp, "%c", c);
        for (const char *t = tmp; *t; t++)
            if (*at < bytes) buf[(*at)++] = *t;
            else return -1;
    }
    if (*at < bytes) buf[(*at)++] = '"';
    else return -1;
    return 0;
}

static int put_text(char *buf, size_t bytes, size_t *at, const char *fmt, ...) {
    if (*at >= bytes) return -1;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *at, bytes - *at, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= bytes - *at) return -1;
    *at += (size_t)k;
    return 0;
}

int fl_net_state_json(const fl_net_state *st, char *buf, size_t bytes) {
    if (!buf || bytes == 0) return -1;
    size_t at = 0;
    int bad = put_text(buf, bytes, &at, "{\"ifname\":");
    bad |= put_json_string(buf, bytes, &at, st->ifname);
    bad |= put_text(buf, bytes, &at, ",\"root_qdisc\":");
    bad |= put_json_string(buf, bytes, &at, st->root_kind);
    bad |= put_text(buf, bytes, &at, ",\"installed\":%s,\"blackhole\":%s,\"drop\":[",
                    st->installed ? "true" : "false", st->blackhole ? "true" : "false");
    for (size_t i = 0; i < st->drop_count && !bad; i++) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &st->drop[i], text, sizeof text);
        bad |= put_text(buf, bytes, &at, "%s\"%s\"", i ? "," : "", text);
    }
    bad |= put_text(buf, bytes, &at, "],\"dropped_packets\":%llu,\"netem\":",
                    (unsigned long long)st->dropped);
    const fl_net_netem_params *p = &st->netem_params;
    if (st->netem)
        bad |= put_text(buf, bytes, &at, "{\"delay_us\":%u,\"jitter_us\":%u,\"loss_pct\":%.3f,"
                        "\"duplicate_pct\":%.3f,\"reorder_pct\":%.3f,\"corrupt_pct\":%.3f,"
                        "\"flow_bit\":%d}",
                        p->delay_us, p->jitter_us, p->loss_pct, p->duplicate_pct,
                        p->reorder_pct, p->corrupt_pct, p->flow_bit);
    else
        bad |= put_text(buf, bytes, &at, "null");
    bad |= put_text(buf, bytes, &at, ",\"netem_to\":[");
    for (size_t i = 0; i < st->netem_count && !bad; i++) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &st->netem_to[i], text, sizeof text);
        bad |= put_text(buf, bytes, &at, "%s\"%s\"", i ? "," : "", text);
    }
    bad |= put_text(buf, bytes, &at, "]}");
    if (bad) {
        buf[bytes - 1] = '\0';
        return -1;
    }
    return 0;
}

int fl_net_status(fl_net *n, const char *ifname, char *buf, size_t bytes) {
    fl_net_state st;
    if (fl_net_state_get(n, ifname, &st, buf, bytes) < 0) return -1;
    if (fl_net_state_json(&st, buf, bytes) < 0) {
        fl_net_seterr(buf, bytes, "status: buffer of %zu bytes too small", bytes);
        return -1;
    }
    return 0;
}
