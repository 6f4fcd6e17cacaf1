/* The local cluster's network: namespaces, bridge and veth pairs, made and removed with
 * iproute2's `ip` in a few batches. Every link lives inside NAME-net or a node's
 * namespace (the veth is created inside NAME-net with its peer moved straight into the
 * node), so the root namespace never sees a link, address or route of ours, and the
 * link names (fl-br, fl-vI, eth0) can be the same in every cluster. */
#include "cluster_net.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"

int fl_cluster_addresses(const char *subnet, size_t nodes, char controller[16],
                         char node_addr[][16], int *prefix, char *err, size_t err_bytes) {
    char net[32];
    const char *slash = strchr(subnet, '/');
    struct in_addr base;
    if (!slash || (size_t)(slash - subnet) >= sizeof net) goto bad;
    memcpy(net, subnet, (size_t)(slash - subnet));
    net[slash - subnet] = '\0';
    *prefix = atoi(slash + 1);
    if (inet_pton(AF_INET, net, &base) != 1 || *prefix < 8 || *prefix > 30) goto bad;
    uint32_t host_bits = 32u - (uint32_t)*prefix;
    if ((1u << host_bits) < 11 + nodes + 1) {
        snprintf(err, err_bytes, "subnet %s is too small for %zu nodes (.1 is the controller, "
                 "nodes start at .11)", subnet, nodes);
        return -1;
    }
    uint32_t first = ntohl(base.s_addr) & ~((1u << host_bits) - 1);
    struct in_addr a = {htonl(first + 1)};
    inet_ntop(AF_INET, &a, controller, 16);
    for (size_t i = 0; i < nodes; i++) {
        a.s_addr = htonl(first + 11 + (uint32_t)i);
        inet_ntop(AF_INET, &a, node_addr[i], 16);
    }
    return 0;
bad:
    snprintf(err, err_bytes, "--subnet %s: expected an IPv4 CIDR such as 10.213.0.0/24", subnet);
    return -1;
}

/* Append one formatted line to a batch. */
static void line(char *batch, size_t bytes, const char *fmt, const char *a, const char *b,
                 const char *c) {
    size_t used = strlen(batch);
    snprintf(batch + used, bytes - used, fmt, a, b, c);
}

static int batch(const char *netns, const char *commands, char *err, size_t err_bytes) {
    const char *root_argv[] = {"ip", "-batch", "-", NULL};
    const char *ns_argv[] = {"ip", "-n", netns, "-batch", "-", NULL};
    return fl_run(netns ? ns_argv : root_argv, commands, err, err_bytes);
}

void fl_cluster_netns_names(const char *cluster, size_t node, char out[FL_NETNS_NAME_BYTES]) {
    /* A registry name (≤ 16 letters and digits) and a node number of at most three
     * digits always fit: a cut name would name another namespace. */
    assert(strlen(cluster) <= 16 && node < 1000);
    int n = node == 0 ? snprintf(out, FL_NETNS_NAME_BYTES, "%s-net", cluster)
                      : snprintf(out, FL_NETNS_NAME_BYTES, "%s-n%zu", cluster, node);
    assert(n > 0 && n < FL_NETNS_NAME_BYTES);
    (void)n;
}

int fl_cluster_net_up(const char *cluster, size_t nodes, const char *controller,
                      char node_addr[][16], int prefix, bool taps, char *err,
                      size_t err_bytes) {
    char text[8192] = "", pfx[8], veth[16], net[FL_NETNS_NAME_BYTES], ns[FL_NETNS_NAME_BYTES],
         addr[32];
    snprintf(pfx, sizeof pfx, "%d", prefix);
    fl_cluster_netns_names(cluster, 0, net);
    line(text, sizeof text, "netns add %s\n", net, "", "");
    for (size_t i = 0; i < nodes && !taps; i++) {
        fl_cluster_netns_names(cluster, i + 1, ns);
        line(text, sizeof text, "netns add %s\n", ns, "", "");
    }
    if (batch(NULL, text, err, err_bytes) != 0) return -1;
    text[0] = '\0';
    snprintf(addr, sizeof addr, "%s/%s", controller, pfx);
    line(text, sizeof text, "link set lo up\nlink add fl-br type bridge\n%s%s%s", "", "", "");
    line(text, sizeof text, "addr add %s dev fl-br\nlink set fl-br up\n", addr, "", "");
    for (size_t i = 0; i < nodes && taps; i++) {
        snprintf(veth, sizeof veth, "fl-t%u", (unsigned)(i + 1));
        line(text, sizeof text, "tuntap add dev %s mode tap\nlink set %s master fl-br up\n",
             veth, veth, "");
    }
    for (size_t i = 0; i < nodes && !taps; i++) {
        snprintf(veth, sizeof veth, "fl-v%u", (unsigned)(i + 1));
        fl_cluster_netns_names(cluster, i + 1, ns);
        line(text, sizeof text, "link add %s type veth peer name eth0 netns %s\n", veth, ns, "");
        line(text, sizeof text, "link set %s master fl-br up\n", veth, "", "");
    }
    if (batch(net, text, err, err_bytes) != 0) return -1;
    for (size_t i = 0; i < nodes && !taps; i++) {
        fl_cluster_netns_names(cluster, i + 1, ns);
        snprintf(addr, sizeof addr, "%s/%s", node_addr[i], pfx);
        text[0] = '\0';
        line(text, sizeof text, "link set lo up\naddr add %s dev eth0\nlink set eth0 up\n", addr,
             "", "");
        if (batch(ns, text, err, err_bytes) != 0) return -1;
    }
    return 0;
}

/* This cluster's: NAME-net and NAME-n<digits>. Names hold no '-', so another
 * cluster's namespaces never match. */
static int is_ours(const char *cluster, const char *ns) {
    size_t len = strlen(cluster);
    if (strncmp(ns, cluster, len) != 0) return 0;
    const char *rest = ns + len;
    if (!strcmp(rest, "-net")) return 1;
    if (strncmp(rest, "-n", 2) != 0 || !rest[2]) return 0;
    for (const char *p = rest + 2; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

int fl_cluster_net_exists(const char *cluster) {
    char net[FL_NETNS_NAME_BYTES], path[FL_NETNS_NAME_BYTES + 16];
    fl_cluster_netns_names(cluster, 0, net);
    snprintf(path, sizeof path, "/run/netns/%s", net);
    return access(path, F_OK) == 0;
}

int fl_cluster_net_down(const char *cluster, char *err, size_t err_bytes) {
    DIR *d = opendir("/run/netns");
    if (!d) return 0; /* no namespaces at all */
    char text[8192] = "";
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_ours(cluster, e->d_name)) line(text, sizeof text, "netns del %s\n", e->d_name, "", "");
    closedir(d);
    /* Deleting a namespace removes its links: the bridge and both ends of each veth. */
    return text[0] ? batch(NULL, text, err, err_bytes) : 0;
}
