/* netem: does this kernel have it (add a netem qdisc somewhere harmless and take it
 * away), and applying it to some destinations, or to a half of the flows to them
 * (class 1:3 of the agent's htb root, whose leaf is a netem qdisc, fed by u32 filters
 * at FL_NET_NETEM_PRIO). */
#include "net.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "net_internal.h"

#define PROBE_HANDLE 0xfa120000u /* fa12: */
/* Class 1:3 must not shape: 10 Gbit/s in bytes, and a quantum in the kernel's range. */
#define NETEM_CLASS_RATE 1250000000u
#define NETEM_CLASS_QUANTUM 60000u
#define NETEM_LIMIT 10000
#define PROB_ONE 4294967295.0 /* the kernel's 100% */

static int pct_to_prob(double pct) {
    return (int)(uint32_t)llround(pct / 100.0 * PROB_ONE);
}

static double prob_to_pct(int prob) {
    return round((double)(uint32_t)prob / PROB_ONE * 100.0 * 1000.0) / 1000.0;
}

bool fl_net_read_netem(struct rtnl_qdisc *leaf, fl_net_netem_params *p) {
    const char *kind = rtnl_tc_get_kind(TC_CAST(leaf));
    if (!kind || strcmp(kind, "netem") != 0 || rtnl_tc_get_handle(TC_CAST(leaf)) != FL_NET_NETEM_LEAF)
        return false;
    int v;
    p->flow_bit = -1; /* until the filters say otherwise */
    p->delay_us = (v = rtnl_netem_get_delay(leaf)) > 0 ? (uint32_t)v : 0;
    p->jitter_us = (v = rtnl_netem_get_jitter(leaf)) > 0 ? (uint32_t)v : 0;
    p->loss_pct = (v = rtnl_netem_get_loss(leaf)) != -NLE_NOATTR ? prob_to_pct(v) : 0;
    p->duplicate_pct = (v = rtnl_netem_get_duplicate(leaf)) != -NLE_NOATTR ? prob_to_pct(v) : 0;
    p->reorder_pct =
        (v = rtnl_netem_get_reorder_probability(leaf)) != -NLE_NOATTR ? prob_to_pct(v) : 0;
    p->corrupt_pct =
        (v = rtnl_netem_get_corruption_probability(leaf)) != -NLE_NOATTR ? prob_to_pct(v) : 0;
    return true;
}

static int add_netem_class(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    struct rtnl_class *c = rtnl_class_alloc();
    if (!c) {
        fl_net_seterr(err, bytes, "rtnl_class_alloc: out of memory");
        return -1;
    }
    int rc = fl_net_tc_init(TC_CAST(c), link, FL_NET_ROOT_HANDLE, FL_NET_NETEM_CLASS, "htb");
    if (rc == 0) rc = rtnl_htb_set_rate(c, NETEM_CLASS_RATE);
    if (rc == 0) rc = rtnl_htb_set_ceil(c, NETEM_CLASS_RATE);
    if (rc == 0) rc = rtnl_htb_set_quantum(c, NETEM_CLASS_QUANTUM);
    if (rc == 0) rc = rtnl_class_add(n->sk, c, NLM_F_CREATE | NLM_F_REPLACE);
    rtnl_class_put(c);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_class_add(%s classid 1:3 htb): %s",
                      rtnl_link_get_name(link), nl_geterror(rc));
        return -1;
    }
    return 0;
}

static int add_netem_leaf(fl_net *n, struct rtnl_link *link, const fl_net_netem_params *p,
                          char *err, size_t bytes) {
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();
    if (!q) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_alloc: out of memory");
        return -1;
    }
    int rc = fl_net_tc_init(TC_CAST(q), link, FL_NET_NETEM_CLASS, FL_NET_NETEM_LEAF, "netem");
    if (rc == 0) {
        rtnl_netem_set_limit(q, NETEM_LIMIT);
        if (p->delay_us) rtnl_netem_set_delay(q, (int)p->delay_us);
        if (p->jitter_us) rtnl_netem_set_jitter(q, (int)p->jitter_us);
        if (p->loss_pct > 0) rtnl_netem_set_loss(q, pct_to_prob(p->loss_pct));
        if (p->duplicate_pct > 0) rtnl_netem_set_duplicate(q, pct_to_prob(p->duplicate_pct));
        if (p->corrupt_pct > 0)
            rtnl_netem_set_corruption_probability(q, pct_to_prob(p->corrupt_pct));
        if (p->reorder_pct > 0) {
            /* As tc does: every packet but the reordered ones waits the delay. */
            rtnl_netem_set_reorder_probability(q, pct_to_prob(p->reorder_pct));
            rtnl_netem_set_gap(q, 1);
        }
        rc = rtnl_qdisc_add(n->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
    }
    rtnl_qdisc_put(q);
    if (rc < 0) {
        fl_net_seterr(err, bytes, "rtnl_qdisc_add(%s parent 1:3 handle 3: netem): %s%s",
                      rtnl_link_get_name(link), nl_geterror(rc),
                      rc == -NLE_OBJ_NOTFOUND ? " (netem unsupported by this kernel)" : "");
        return -1;
    }
    return 0;
}

static int clear_netem(fl_net *n, struct rtnl_link *link, char *err, size_t bytes) {
    fl_net_snapshot s;
    if (fl_net_take_snapshot(n, link, &s, err, bytes) < 0) return -1;
    if (!s.st.installed) return 0;
    if (s.netem_filters && fl_net_delete_prio(n, link, FL_NET_NETEM_PRIO, err, bytes) < 0)
        return -1;
    return fl_net_drop_root_if_unused(n, link, err, bytes);
}

static int apply_netem(fl_net *n, struct rtnl_link *link, const fl_net_netem_params *p,
                       const struct in_addr *to, size_t count, char *err, size_t bytes) {
    if (p->flow_bit != -1 &&
        (p->flow_bit < FL_NET_FLOW_BIT_MIN || p->flow_bit > FL_NET_FLOW_BIT_MAX)) {
        fl_net_seterr(err, bytes, "netem: flow_bit %d: -1 (every packet) or %d-%d", p->flow_bit,
                      FL_NET_FLOW_BIT_MIN, FL_NET_FLOW_BIT_MAX);
        return -1;
    }
    if (p->reorder_pct > 0 && p->delay_us == 0) {
        fl_net_seterr(err, bytes, "netem: reordering needs a delay (packets not reordered "
                      "wait it)");
        return -1;
    }
    fl_net_snapshot s;
    if (fl_net_take_snapshot(n, link, &s, err, bytes) < 0) return -1;
    if (!s.st.installed) {
        if (s.st.root_handle == FL_NET_ROOT_HANDLE &&
            fl_net_delete_root(n, link, s.st.root_kind, err, bytes) < 0)
            return -1;
        if (fl_net_add_root(n, link, err, bytes) < 0) return -1;
    }
    if (add_netem_class(n, link, err, bytes) < 0 || add_netem_leaf(n, link, p, err, bytes) < 0)
        return -1;
    if (s.netem_filters && fl_net_delete_prio(n, link, FL_NET_NETEM_PRIO, err, bytes) < 0)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (fl_net_add_filter(n, link, FL_NET_NETEM_PRIO, to[i], p->flow_bit,
                              FL_NET_NETEM_CLASS, err, bytes) < 0)
            return -1;
    return 0;
}

int fl_net_netem(fl_net *n, const char *ifname, const fl_net_netem_params *p,
                 const char *const *to_ipv4, size_t count, char *err, size_t err_bytes) {
    struct in_addr to[FL_NET_DROP_MAX];
    if (fl_net_parse_ipv4("netem", to_ipv4, count, to, &count, err, err_bytes) < 0) return -1;
    struct rtnl_link *link = fl_net_get_link(n, ifname, err, err_bytes);
    if (!link) return -1;
    int rc = !p || count == 0 ? clear_netem(n, link, err, err_bytes)
                              : apply_netem(n, link, p, to, count, err, err_bytes);
    rtnl_link_put(link);
    return rc;
}

/* Tries netem as the root qdisc of lo in n's namespace. 1, 0 or -1 as the API says. */
static int try_netem_on_lo(fl_net *n, char *why, size_t bytes) {
    struct rtnl_link *lo = NULL;
    int rc = rtnl_link_get_kernel(n->sk, 0, "lo", &lo);
    if (rc < 0) {
        fl_net_seterr(why, bytes, "netem probe: rtnl_link_get_kernel(lo): %s", nl_geterror(rc));
        return -1;
    }
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();
    if (!q) {
        rtnl_link_put(lo);
        fl_net_seterr(why, bytes, "netem probe: rtnl_qdisc_alloc: out of memory");
        return -1;
    }
    rtnl_tc_set_link(TC_CAST(q), lo);
    rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
    rtnl_tc_set_handle(TC_CAST(q), PROBE_HANDLE);
    int result;
    if ((rc = rtnl_tc_set_kind(TC_CAST(q), "netem")) < 0) {
        fl_net_seterr(why, bytes, "netem probe: rtnl_tc_set_kind(netem): %s", nl_geterror(rc));
        result = -1;
    } else {
        rtnl_netem_set_limit(q, 1000);
        rc = rtnl_qdisc_add(n->sk, q, NLM_F_CREATE | NLM_F_EXCL);
        if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_OPNOTSUPP) {
            /* The kernel answers ENOENT for a qdisc kind it does not know. */
            fl_net_seterr(why, bytes,
                          "netem unsupported by this kernel: rtnl_qdisc_add(lo root netem): %s"
                          " (no sch_netem built in or loadable)",
                          nl_geterror(rc));
            result = 0;
        } else if (rc < 0) {
            fl_net_seterr(why, bytes, "netem probe: rtnl_qdisc_add(lo root netem): %s",
                          nl_geterror(rc));
            result = -1;
        } else {
            struct rtnl_qdisc *del = rtnl_qdisc_alloc();
            if (del) {
                rtnl_tc_set_link(TC_CAST(del), lo);
                rtnl_tc_set_parent(TC_CAST(del), TC_H_ROOT);
                rtnl_tc_set_handle(TC_CAST(del), PROBE_HANDLE);
                rtnl_tc_set_kind(TC_CAST(del), "netem");
                rc = rtnl_qdisc_delete(n->sk, del);
                rtnl_qdisc_put(del);
            } else {
                rc = -NLE_NOMEM;
            }
            if (rc < 0) {
                fl_net_seterr(why, bytes,
                              "netem is supported, but removing the probe qdisc failed: "
                              "rtnl_qdisc_delete(lo root fa12: netem): %s", nl_geterror(rc));
            } else {
                fl_net_seterr(why, bytes, "netem supported by this kernel");
            }
            result = 1;
        }
    }
    rtnl_qdisc_put(q);
    rtnl_link_put(lo);
    return result;
}

struct probe_job {
    int result;     /* 1, 0, -1; -2 when the private namespace could not be made */
    char why[512];
};

static void *probe_in_private_netns(void *arg) {
    struct probe_job *job = arg;
    /* Only this thread moves: the namespace dies with it (and with its socket). */
    if (unshare(CLONE_NEWNET) < 0) {
        fl_net_seterr(job->why, sizeof job->why, "netem probe: unshare(CLONE_NEWNET): %s",
                      strerror(errno));
        job->result = -2;
        return NULL;
    }
    fl_net *n = NULL;
    if (fl_net_open(&n, job->why, sizeof job->why) < 0) {
        job->result = -1;
        return NULL;
    }
    job->result = try_netem_on_lo(n, job->why, sizeof job->why);
    fl_net_close(n);
    return NULL;
}

static int probe_private(char *why, size_t bytes) {
    struct probe_job job = {.result = -1};
    pthread_t t;
    int rc = pthread_create(&t, NULL, probe_in_private_netns, &job);
    if (rc != 0) {
        fl_net_seterr(why, bytes, "netem probe: pthread_create: %s", strerror(rc));
        return -2;
    }
    pthread_join(t, NULL);
    fl_net_seterr(why, bytes, "%s", job.why);
    return job.result;
}

static int probe_lo(fl_net *n, char *why, size_t bytes) {
    fl_net_state st;
    if (fl_net_state_get(n, "lo", &st, why, bytes) < 0) return -1;
    if (st.root_kind[0] && strcmp(st.root_kind, "noqueue") != 0) {
        fl_net_seterr(why, bytes,
                      "netem probe: lo has root qdisc %s, not the default noqueue; not "
                      "probing there", st.root_kind);
        return -1;
    }
    return try_netem_on_lo(n, why, bytes);
}

int fl_net_probe_netem_at(fl_net *n, fl_net_probe_where where, char *why, size_t bytes) {
    if (where == FL_NET_PROBE_LO) return probe_lo(n, why, bytes);
    int r = probe_private(why, bytes);
    return r == -2 ? -1 : r;
}

int fl_net_probe_netem(fl_net *n, char *why, size_t bytes) {
    int r = probe_private(why, bytes);
    if (r != -2) return r;
    char first[256];
    snprintf(first, sizeof first, "%s", why);
    r = probe_lo(n, why, bytes);
    if (r < 0) {
        char second[512];
        snprintf(second, sizeof second, "%s", why);
        fl_net_seterr(why, bytes, "%s; then %s", first, second);
    }
    return r;
}
