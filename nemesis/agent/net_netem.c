/* Does this kernel have netem? Add a netem qdisc somewhere harmless and take it away. */
#include "net.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "net_internal.h"

#define PROBE_HANDLE 0xfa120000u /* fa12: */

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
