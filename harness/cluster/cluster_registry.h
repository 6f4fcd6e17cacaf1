/* Which local clusters this machine holds: one small JSON file per cluster in
 * /run/faultline/clusters/ naming its folder, namespaces and subnet. Several clusters
 * coexist because each has its own name (its namespaces are NAME-net and NAME-n1 …)
 * and its own subnet; the registry is how `up` picks both without colliding, how
 * `down` knows which namespaces are its own, how `cluster list` shows them, and how
 * the controller's guard knows every subnet that must never be dialled from outside
 * its cluster. /run is a tmpfs: the registry goes with a reboot, as the namespaces do. */
#ifndef FL_CLUSTER_REGISTRY_H
#define FL_CLUSTER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#define FL_REGISTRY_DIR "/run/faultline/clusters"
#define FL_CLUSTER_NAME_MAX 16 /* letters and digits; namespace names add "-net" */
#define FL_CLUSTER_DEFAULT_NAME "fl"

typedef struct fl_cluster_entry {
    char name[FL_CLUSTER_NAME_MAX + 1];
    char dir[4096];   /* the cluster folder, absolute */
    char subnet[32];  /* IPv4 CIDR */
    size_t nodes;
} fl_cluster_entry;

/* Hold the registry's lock (flock on FL_REGISTRY_DIR/.lock) while choosing a name and a
 * subnet and building, so two `up`s at once never pick the same. -1 on error. */
int fl_registry_lock(char *err, size_t err_bytes);
void fl_registry_unlock(int fd);

/* Every registered cluster whose controller namespace still exists (entries of clusters
 * that are gone are dropped on the way when the caller holds the lock: prune).
 * Returns how many were stored in out (at most max). */
size_t fl_registry_list(fl_cluster_entry *out, size_t max, bool prune);
/* The entry for folder dir (absolute), or false. */
bool fl_registry_find_dir(const char *dir, fl_cluster_entry *out);
/* The entry named name, or false. */
bool fl_registry_find_name(const char *name, fl_cluster_entry *out);
/* A live cluster of another folder than dir whose subnet overlaps subnet: true and *out. */
bool fl_registry_subnet_holder(const char *subnet, const char *dir, fl_cluster_entry *out);
int fl_registry_put(const fl_cluster_entry *e, char *err, size_t err_bytes);
void fl_registry_remove(const char *name);

/* A valid cluster name: 1..FL_CLUSTER_NAME_MAX lower-case letters and digits, starting
 * with a letter (no '-', so NAME-nI of one cluster is never another's namespace). */
bool fl_cluster_name_valid(const char *name);
/* The name a folder gets when none is given: "fl" for the default folder, otherwise
 * "fl" and 6 hex digits of a hash of its absolute path. */
void fl_cluster_name_for_dir(const char *dir, char out[FL_CLUSTER_NAME_MAX + 1]);
/* The subnet a folder gets when none is given: 10.213.0.0/24 for the default folder,
 * otherwise 10.213.X.0/24 with X from the same hash, moved on past any subnet a live
 * cluster holds. -1 when every /24 of 10.213.0.0/16 is taken. */
int fl_cluster_subnet_for_dir(const char *dir, char out[32], char *err, size_t err_bytes);

#endif
