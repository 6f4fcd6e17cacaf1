/* The nodes file (DESIGN.md "Conventions"): which machines a test runs on and how to
 * reach them, written by `faultline cluster up` or by hand for real VMs. */
#ifndef FL_NODES_H
#define FL_NODES_H

#include <stdbool.h>
#include <stddef.h>

#define FL_NODES_ERR_BYTES 512
#define FL_NODES_MAX 64
#define FL_DEFAULT_NODES_FILE "/var/lib/faultline/cluster/nodes.json"

typedef enum { FL_CLOCK_FAKETIME, FL_CLOCK_SYSTEM } fl_clock_mode;

typedef struct fl_node {
    char *name;
    char *host;
    int port;
    char *user;
    char *key;        /* private key path */
    char *workdir;
    fl_clock_mode clock;
    bool sudo;        /* run commands through sudo -n (a non-root user) */
    char *netns;      /* "local" remote: the network namespace its commands run in, or NULL */
} fl_node;

typedef struct fl_nodes {
    char *path;        /* where it was read from */
    char *cluster;     /* the local cluster's name (namespaces NAME-net, NAME-nI), or NULL */
    char *netns;       /* the controller's namespace (local cluster), or NULL */
    char *subnet;      /* the cluster's subnet, CIDR, or NULL */
    char *known_hosts; /* NULL only with the "local" remote */
    char *remote;      /* how nodes are reached (remote.h): "ssh" (the default) or "local" */
    fl_node nodes[FL_NODES_MAX];
    size_t count;
} fl_nodes;

/* Read and validate; errors name the file, the line when the JSON is bad, the node
 * and the field, and what to do. Returns 0, or 65 (malformed) / 3 (cannot read); on an
 * error *out holds nothing (fl_nodes_free on it is harmless). */
int fl_nodes_read(const char *path, fl_nodes *out, char err[FL_NODES_ERR_BYTES]);
/* Write atomically (temporary file, then rename). */
int fl_nodes_write(const fl_nodes *n, const char *path, char err[FL_NODES_ERR_BYTES]);
void fl_nodes_free(fl_nodes *n);
/* --nodes-file, else the default file when it exists; NULL when there is none. */
const char *fl_nodes_default_path(const char *given);

#endif
