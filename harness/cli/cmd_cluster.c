/* `faultline cluster up|down|status|list`: local clusters of namespace nodes, or of qemu
 * guests with --vm. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "commands.h"
#include "exit_codes.h"
#include "node_status.h"
#include "nodes.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const char usage_text[] =
    "usage: faultline cluster up [--vm [--memory MB] [--cache DIR]] [--nodes N] [--dir DIR]\n"
    "                            [--name NAME] [--subnet CIDR]\n"
    "       faultline cluster down [--vm] [--dir DIR]\n"
    "       faultline cluster status [--vm] [--dir DIR]\n"
    "       faultline cluster list\n"
    "  up: one network namespace per node (NAME-n1 …) with its own PID, UTS and mount\n"
    "  namespaces and an sshd; the bridge and the controller's address in NAME-net. The\n"
    "  host's network is untouched. Defaults: 5 nodes, DIR " FL_CLUSTER_DIR " (NAME fl,\n"
    "  " FL_CLUSTER_SUBNET "); another DIR gets its own NAME and a free 10.213.X.0/24, so\n"
    "  clusters of different folders coexist.\n"
    "  --vm: qemu guests instead (Debian's stock kernel and a Debian root disk, built once\n"
    "  into --cache, default " FL_VM_CACHE_DIR "; KVM when a probe boot works, else TCG),\n"
    "  each NIC a tap on the bridge in NAME-net; login user " FL_VM_USER " with sudo, clock\n"
    "  mode system. Defaults: 3 nodes, " STRINGIFY(FL_VM_MEMORY_MB) " MiB each, DIR "
    FL_VM_CLUSTER_DIR ".\n"
    "  down: removes everything up made, and nothing of another cluster.\n"
    "  status: logs in to every node over SSH. list: every local cluster on this machine.\n";

/* What up made, read back from its nodes file: the name, subnet and namespaces a user
 * needs for `ip netns exec NAME-net ssh …`. */
static void print_up(bool already, bool vm, const char *nodes_file, const char *known) {
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES];
    printf("%s", already ? "the cluster is already up" : "cluster up");
    if (fl_nodes_read(nodes_file, &n, err) == 0) {
        if (n.cluster && vm)
            printf(": %s, %zu qemu guests on %s (taps on the bridge in namespace %s)", n.cluster,
                   n.count, n.subnet ? n.subnet : "?", n.netns ? n.netns : "?");
        else if (n.cluster)
            printf(": %s, %zu nodes on %s (namespaces %s, %s-n1 … %s-n%zu)", n.cluster, n.count,
                   n.subnet ? n.subnet : "?", n.netns ? n.netns : "?", n.cluster, n.cluster,
                   n.count);
        fl_nodes_free(&n);
    }
    printf("\nnodes file: %s\nknown_hosts: %s\n", nodes_file, known);
}

int fl_cmd_cluster(int argc, char **argv) {
    static const struct option options[] = {
        {"nodes", required_argument, NULL, 'n'}, {"subnet", required_argument, NULL, 's'},
        {"dir", required_argument, NULL, 'd'},   {"name", required_argument, NULL, 'N'},
        {"vm", no_argument, NULL, 'v'},          {"memory", required_argument, NULL, 'm'},
        {"cache", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fl_cluster_options o = {.dir = NULL, .vm_options = {.memory_mb = FL_VM_MEMORY_MB}};
    bool nodes_given = false;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'n') {
            o.nodes = (size_t)strtoul(optarg, NULL, 10);
            nodes_given = true;
        } else if (c == 'v') o.vm = true;
        else if (c == 'm') {
            char *end;
            unsigned long mb = strtoul(optarg, &end, 10);
            if (*end || mb < 256 || mb > 65536) {
                fprintf(stderr, "faultline cluster: --memory %s: a number of MiB from 256 to "
                        "65536\n", optarg);
                return FL_EXIT_USAGE;
            }
            o.vm_options.memory_mb = mb;
        } else if (c == 'c') o.vm_options.cache = optarg;
        else if (c == 's') o.subnet = optarg;
        else if (c == 'd') o.dir = optarg;
        else if (c == 'N') o.name = optarg;
        else if (c == 'h') return printf("%s", usage_text) < 0;
        else return fputs(usage_text, stderr), FL_EXIT_USAGE;
    }
    if (!nodes_given) o.nodes = o.vm ? 3 : 5;
    if (!o.dir) o.dir = o.vm ? FL_VM_CLUSTER_DIR : FL_CLUSTER_DIR;
    const char *what = optind < argc ? argv[optind] : "";
    char err[1024], nodes_file[4096 + 64], known[4096 + 64];
    if (fl_cluster_paths(o.dir, nodes_file, known, sizeof nodes_file) != 0) {
        fprintf(stderr, "faultline cluster: --dir %s: path too long\n", o.dir);
        return FL_EXIT_USAGE;
    }
    int rc;
    if (!strcmp(what, "up")) {
        bool already;
        rc = fl_cluster_up(&o, &already, err, sizeof err);
        if (rc == 0) print_up(already, o.vm, nodes_file, known);
    } else if (!strcmp(what, "down")) {
        rc = fl_cluster_down(o.dir, err, sizeof err);
        if (rc == 0) printf("cluster down\n");
    } else if (!strcmp(what, "status")) {
        return fl_node_status(nodes_file);
    } else if (!strcmp(what, "list")) {
        rc = fl_cluster_list(stdout, err, sizeof err);
    } else {
        fputs(usage_text, stderr);
        return FL_EXIT_USAGE;
    }
    if (rc != 0) fprintf(stderr, "faultline cluster %s: %s\n", what, err);
    return rc;
}
