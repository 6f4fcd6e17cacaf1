/* `faultline cluster up|down|status|list`: local clusters of namespace nodes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "commands.h"
#include "exit_codes.h"
#include "node_status.h"
#include "nodes.h"

static const char usage_text[] =
    "usage: faultline cluster up [--nodes N] [--dir DIR] [--name NAME] [--subnet CIDR]\n"
    "       faultline cluster down [--dir DIR]\n"
    "       faultline cluster status [--dir DIR]\n"
    "       faultline cluster list\n"
    "  up: one network namespace per node (NAME-n1 …) with its own PID, UTS and mount\n"
    "  namespaces and an sshd; the bridge and the controller's address in NAME-net. The\n"
    "  host's network is untouched. Defaults: 5 nodes, DIR " FL_CLUSTER_DIR " (NAME fl,\n"
    "  " FL_CLUSTER_SUBNET "); another DIR gets its own NAME and a free 10.213.X.0/24, so\n"
    "  clusters of different folders coexist.\n"
    "  down: removes everything up made, and nothing of another cluster.\n"
    "  status: logs in to every node over SSH. list: every local cluster on this machine.\n";

/* What up made, read back from its nodes file: the name, subnet and namespaces a user
 * needs for `ip netns exec NAME-net ssh …`. */
static void print_up(bool already, const char *nodes_file, const char *known) {
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES];
    printf("%s", already ? "the cluster is already up" : "cluster up");
    if (fl_nodes_read(nodes_file, &n, err) == 0) {
        if (n.cluster)
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fl_cluster_options o = {.nodes = 5, .dir = FL_CLUSTER_DIR};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'n') o.nodes = (size_t)strtoul(optarg, NULL, 10);
        else if (c == 's') o.subnet = optarg;
        else if (c == 'd') o.dir = optarg;
        else if (c == 'N') o.name = optarg;
        else if (c == 'h') return printf("%s", usage_text) < 0;
        else return fputs(usage_text, stderr), FL_EXIT_USAGE;
    }
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
        if (rc == 0) print_up(already, nodes_file, known);
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
