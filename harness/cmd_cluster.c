/* `faultline cluster up|down|status`: the local cluster of namespace nodes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "commands.h"
#include "exit_codes.h"
#include "node_status.h"

static const char usage_text[] =
    "usage: faultline cluster up [--nodes N] [--subnet CIDR] [--dir DIR]\n"
    "       faultline cluster down [--dir DIR]\n"
    "       faultline cluster status [--dir DIR]\n"
    "  up: one network namespace per node (fl-n1 …) with its own PID, UTS and mount\n"
    "  namespaces and an sshd; the bridge and the controller's address in fl-net. The\n"
    "  host's network is untouched. Defaults: 5 nodes, " FL_CLUSTER_SUBNET ", " FL_CLUSTER_DIR ".\n"
    "  down: removes everything up made. status: logs in to every node over SSH.\n";

int fl_cmd_cluster(int argc, char **argv) {
    static const struct option options[] = {
        {"nodes", required_argument, NULL, 'n'}, {"subnet", required_argument, NULL, 's'},
        {"dir", required_argument, NULL, 'd'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fl_cluster_options o = {.nodes = 5, .subnet = FL_CLUSTER_SUBNET, .dir = FL_CLUSTER_DIR};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'n') o.nodes = (size_t)strtoul(optarg, NULL, 10);
        else if (c == 's') o.subnet = optarg;
        else if (c == 'd') o.dir = optarg;
        else if (c == 'h') return printf("%s", usage_text) < 0;
        else return fputs(usage_text, stderr), FL_EXIT_USAGE;
    }
    const char *what = optind < argc ? argv[optind] : "";
    char err[1024], nodes_file[4096], known[4096];
    fl_cluster_paths(o.dir, nodes_file, known, sizeof nodes_file);
    int rc;
    if (!strcmp(what, "up")) {
        bool already;
        rc = fl_cluster_up(&o, &already, err, sizeof err);
        if (rc == 0)
            printf("%s\nnodes file: %s\nknown_hosts: %s\n",
                   already ? "the cluster is already up" : "cluster up", nodes_file, known);
    } else if (!strcmp(what, "down")) {
        rc = fl_cluster_down(o.dir, err, sizeof err);
        if (rc == 0) printf("cluster down\n");
    } else if (!strcmp(what, "status")) {
        return fl_node_status(nodes_file);
    } else {
        fputs(usage_text, stderr);
        return FL_EXIT_USAGE;
    }
    if (rc != 0) fprintf(stderr, "faultline cluster %s: %s\n", what, err);
    return rc;
}
