/* The local cluster: one network namespace per node (NAME-n1 …) with its own PID, UTS
 * and mount namespaces and an sshd inside, and one more namespace, NAME-net, holding the
 * bridge and the controller's address. The host's own network is never touched. Each
 * cluster folder has its own NAME and subnet (cluster_registry.h), so clusters of
 * different folders coexist; the default folder's cluster is "fl" on 10.213.0.0/24. */
#ifndef FL_CLUSTER_H
#define FL_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cluster_vm.h"

#define FL_CLUSTER_DIR "/var/lib/faultline/cluster"
#define FL_VM_CLUSTER_DIR "/var/lib/faultline/vm-cluster" /* --vm's default folder */
#define FL_CLUSTER_SUBNET "10.213.0.0/24"
#define FL_CLUSTER_NODES_MAX 32

typedef struct fl_cluster_options {
    size_t nodes;        /* 1..FL_CLUSTER_NODES_MAX */
    const char *subnet;  /* IPv4 CIDR wide enough for .1 and .11..; NULL: derived from dir */
    const char *name;    /* the namespaces' prefix; NULL: derived from dir */
    const char *dir;     /* keys, configs, nodes.json, known_hosts; node work dirs in
                            /var/lib/faultline/nodes, or DIR/nodes for another DIR */
    bool vm;             /* qemu guests (cluster_vm.h) instead of namespace nodes */
    fl_vm_options vm_options;
} fl_cluster_options;

/* Bring the cluster up; *already says it was up (then nothing changed). A cluster whose
 * namespaces exist but whose sshd processes are gone is rebuilt. Returns an exit code. */
int fl_cluster_up(const fl_cluster_options *o, bool *already, char *err, size_t err_bytes);
/* Remove every namespace, link, process, key and file that up made; safe when nothing
 * is up. Returns an exit code. */
int fl_cluster_down(const char *dir, char *err, size_t err_bytes);
/* Print every local cluster on this machine (name, state, nodes, subnet, namespace,
 * folder). Returns an exit code. */
int fl_cluster_list(FILE *out, char *err, size_t err_bytes);
/* Paths of what up wrote; -1 when they do not fit in bytes. */
int fl_cluster_paths(const char *dir, char *nodes_file, char *known_hosts, size_t bytes);

#endif
