/* Network namespaces for the controller and the guard (see netns.h). */
#include "netns.h"

#include "cluster_registry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void netns_path(const char *name, char *path, size_t bytes) {
    snprintf(path, bytes, "/run/netns/%s", name);
}

int fl_netns_enter(const char *name, char *err, size_t err_bytes) {
    char path[512];
    netns_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_bytes, "cannot open network namespace %s: %s (is the cluster up? "
                 "`faultline cluster up`)", path, strerror(errno));
        return -1;
    }
    int rc = setns(fd, CLONE_NEWNET);
    if (rc != 0)
        snprintf(err, err_bytes, "setns(%s): %s (the controller must run as root)", path,
                 strerror(errno));
    close(fd);
    return rc;
}

bool fl_netns_is_current(const char *name) {
    char path[512];
    netns_path(name, path, sizeof path);
    struct stat mine, theirs;
    return stat("/proc/thread-self/ns/net", &mine) == 0 && stat(path, &theirs) == 0 &&
           mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev;
}

/* An IPv4 CIDR as host-order network and mask; -1 when it does not parse. */
static int parse_cidr(const char *cidr, uint32_t *net, uint32_t *mask) {
    char addr[64];
    const char *slash = strchr(cidr, '/');
    if (!slash || (size_t)(slash - cidr) >= sizeof addr) return -1;
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    struct in_addr a;
    if (!slash[1] || *end || bits < 0 || bits > 32 || inet_pton(AF_INET, addr, &a) != 1)
        return -1;
    *mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    *net = ntohl(a.s_addr) & *mask;
    return 0;
}

int fl_addr_in_subnet(const char *addr, const char *cidr) {
    uint32_t net, mask;
    struct in_addr a;
    if (parse_cidr(cidr, &net, &mask) != 0) return -1;
    if (inet_pton(AF_INET, addr, &a) != 1) return 0; /* a host name, or IPv6: not ours */
    return (ntohl(a.s_addr) & mask) == net;
}

int fl_subnets_overlap(const char *a, const char *b) {
    uint32_t na, ma, nb, mb;
    if (parse_cidr(a, &na, &ma) != 0 || parse_cidr(b, &nb, &mb) != 0) return -1;
    uint32_t common = ma & mb; /* the shorter prefix of the two */
    return (na & common) == (nb & common);
}

/* Is host in the subnet of a local cluster on this machine whose namespace this process
 * is not in? Then a packet to it would leave from the wrong place: from the root
 * namespace it would follow the default route off the machine. */
static int other_cluster_guard(const char *host, char *err, size_t err_bytes) {
    fl_cluster_entry live[64];
    size_t count = fl_registry_list(live, 64, false);
    for (size_t i = 0; i < count; i++) {
        char net[FL_CLUSTER_NAME_MAX + 8];
        /* The bound tells gcc what the registry already guarantees (-Os loses the
         * field's size through the variable index). */
        snprintf(net, sizeof net, "%.*s-net", FL_CLUSTER_NAME_MAX, live[i].name);
        if (fl_addr_in_subnet(host, live[i].subnet) == 1 && !fl_netns_is_current(net)) {
            snprintf(err, err_bytes, "refusing to connect to %s: it is in the subnet %s of "
                     "the local cluster %s (%s), and this process is not in that cluster's "
                     "network namespace %s", host, live[i].subnet, live[i].name, live[i].dir,
                     net);
            return -1;
        }
    }
    return 0;
}

/* The nodes file's own subnet first (its error names the namespace the file names),
 * then every local cluster's. */
int fl_netns_guard(const fl_nodes *n, const char *host, char *err, size_t err_bytes) {
    int inside = n->subnet ? fl_addr_in_subnet(host, n->subnet) : 0;
    if (inside < 0) {
        snprintf(err, err_bytes, "%s: \"subnet\" %s is not an IPv4 CIDR", n->path, n->subnet);
        return -1;
    }
    if (!inside || (n->netns && fl_netns_is_current(n->netns)))
        return other_cluster_guard(host, err, err_bytes);
    snprintf(err, err_bytes, "refusing to connect to %s: it is in the cluster subnet %s, and "
             "this process is not in the cluster's network namespace %s — from here the "
             "packets would leave the machine", host, n->subnet,
             n->netns ? n->netns : "(the nodes file names none)");
    return -1;
}

int fl_netns_prepare(const fl_nodes *n, char *err, size_t err_bytes) {
    if (n->netns && !fl_netns_is_current(n->netns) && fl_netns_enter(n->netns, err, err_bytes))
        return -1;
    bool local = n->remote && strcmp(n->remote, "local") == 0; /* dials no address */
    for (size_t i = 0; !local && i < n->count; i++)
        if (fl_netns_guard(n, n->nodes[i].host, err, err_bytes) != 0) return -1;
    return 0;
}
