/* Bringing the local cluster up and down (see cluster.h): keys, one sshd per node in
 * its own PID, UTS, mount and network namespaces, the nodes file and known_hosts.
 *
 * Layout under DIR (default /var/lib/faultline/cluster): id_ed25519{,.pub},
 * authorized_keys, known_hosts, nodes.json, hosts (the nodes' /etc/hosts), and node-<n>/ with the node's host key,
 * sshd_config, sshd.log, node.pid (the host pid of the node's `unshare`) and root/
 * (bind-mounted over /root inside the node). Work directories: /var/lib/faultline/nodes/<n>
 * (or DIR/nodes/<n> for another DIR). */
#include "cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster_net.h"
#include "cluster_sshd.h"
#include "exit_codes.h"
#include "nodes.h"
#include "process.h"

#define PATH_BYTES 4096

void fl_cluster_paths(const char *dir, char *nodes_file, char *known_hosts, size_t bytes) {
    snprintf(nodes_file, bytes, "%s/nodes.json", dir);
    snprintf(known_hosts, bytes, "%s/known_hosts", dir);
}

static void nodes_root(const char *dir, char *out, size_t bytes) {
    if (!strcmp(dir, FL_CLUSTER_DIR)) snprintf(out, bytes, "/var/lib/faultline/nodes");
    else snprintf(out, bytes, "%s/nodes", dir);
}

static int mkdirs(const char *path) {
    char buf[PATH_BYTES];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Which Debian package to install when a program is missing. */
static int check_tools(char *err, size_t err_bytes) {
    static const char *const tools[][2] = {
        {"/usr/sbin/sshd", "openssh-server"}, {"/usr/bin/ssh-keygen", "openssh-client"},
        {"/usr/bin/unshare", "util-linux"},   {"/usr/bin/nsenter", "util-linux"},
    };
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++)
        if (access(tools[i][0], X_OK) != 0) {
            snprintf(err, err_bytes, "%s is missing: install the Debian package %s "
                     "(apt-get install %s)", tools[i][0], tools[i][1], tools[i][1]);
            return -1;
        }
    if (access("/sbin/ip", X_OK) != 0 && access("/usr/sbin/ip", X_OK) != 0 &&
        access("/bin/ip", X_OK) != 0) {
        snprintf(err, err_bytes, "ip is missing: install the Debian package iproute2 "
                 "(apt-get install iproute2)");
        return -1;
    }
    if (geteuid() != 0) {
        snprintf(err, err_bytes, "the local cluster needs root (network namespaces, sshd)");
        return -1;
    }
    return 0;
}

/* Is every node's sshd (its unshare) still running? */
static int nodes_alive(const fl_nodes *n, const char *dir) {
    for (size_t i = 0; i < n->count; i++)
        if (!fl_node_sshd_running(dir, n->nodes[i].name)) return 0;
    return 1;
}

static int already_up(const char *dir) {
    char nodes_file[PATH_BYTES], known[PATH_BYTES], err[FL_NODES_ERR_BYTES];
    fl_cluster_paths(dir, nodes_file, known, sizeof nodes_file);
    fl_nodes n;
    int up = fl_cluster_net_exists() && fl_nodes_read(nodes_file, &n, err) == 0;
    if (up) {
        up = nodes_alive(&n, dir);
        fl_nodes_free(&n);
    }
    return up;
}

static int write_nodes_file(const fl_cluster_options *o, char node_addr[][16],
                            char *err, size_t err_bytes) {
    char nodes_file[PATH_BYTES], known[PATH_BYTES], root[PATH_BYTES], key[PATH_BYTES];
    fl_cluster_paths(o->dir, nodes_file, known, sizeof nodes_file);
    nodes_root(o->dir, root, sizeof root);
    snprintf(key, sizeof key, "%s/id_ed25519", o->dir);
    fl_nodes n = {.netns = FL_NET_NETNS, .subnet = (char *)o->subnet, .known_hosts = known};
    char names[FL_CLUSTER_NODES_MAX][32], workdirs[FL_CLUSTER_NODES_MAX][PATH_BYTES + 64];
    for (size_t i = 0; i < o->nodes; i++) {
        snprintf(names[i], sizeof names[i], "n%u", (unsigned)(i + 1));
        snprintf(workdirs[i], sizeof workdirs[i], "%s/%s", root, names[i]);
        n.nodes[n.count++] = (fl_node){names[i], node_addr[i], 22, "root", key, workdirs[i],
                                       FL_CLOCK_FAKETIME, false};
    }
    char nerr[FL_NODES_ERR_BYTES];
    if (fl_nodes_write(&n, nodes_file, nerr) != 0) {
        snprintf(err, err_bytes, "%s", nerr);
        return -1;
    }
    return 0;
}

static int make_dirs(const fl_cluster_options *o, char *err, size_t err_bytes) {
    char path[PATH_BYTES + 64], root[PATH_BYTES];
    nodes_root(o->dir, root, sizeof root);
    for (size_t i = 0; i < o->nodes; i++) {
        snprintf(path, sizeof path, "%s/node-n%zu/root", o->dir, i + 1);
        int rc = mkdirs(path);
        snprintf(path, sizeof path, "%s/n%zu", root, i + 1);
        if (rc != 0 || mkdirs(path) != 0) {
            snprintf(err, err_bytes, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int build(const fl_cluster_options *o, char *err, size_t err_bytes) {
    char controller[16], node_addr[FL_CLUSTER_NODES_MAX][16];
    int prefix;
    if (fl_cluster_addresses(o->subnet, o->nodes, controller, node_addr, &prefix, err,
                             err_bytes) != 0)
        return FL_EXIT_USAGE;
    if (make_dirs(o, err, err_bytes) != 0 || fl_cluster_keys(o->dir, o->nodes, err, err_bytes) ||
        fl_cluster_net_up(o->nodes, controller, node_addr, prefix, err, err_bytes) ||
        fl_cluster_start_sshds(o->dir, o->nodes, node_addr, err, err_bytes) ||
        fl_cluster_known_hosts(o->dir, o->nodes, node_addr, err, err_bytes) ||
        write_nodes_file(o, node_addr, err, err_bytes) ||
        fl_cluster_wait_ready(o->nodes, node_addr, err, err_bytes))
        return FL_EXIT_HARNESS;
    return 0;
}

/* Which folder's cluster owns the fixed namespace names now: one local cluster at a
 * time, and neither up nor down of another folder may take it apart. */
#define OWNER_FILE "/run/faultline/cluster-dir"

static void owner_read(char *out, size_t bytes) {
    FILE *f = fopen(OWNER_FILE, "r");
    out[0] = '\0';
    if (f && fgets(out, (int)bytes, f)) out[strcspn(out, "\n")] = '\0';
    if (f) fclose(f);
}

static void owner_write(const char *dir) {
    mkdir("/run/faultline", 0755);
    FILE *f = fopen(OWNER_FILE, "w");
    if (f) fprintf(f, "%s\n", dir);
    if (f) fclose(f);
}

/* The folder of another cluster that is up and running, or NULL. */
static const char *other_owner(const char *dir, char *owner, size_t bytes) {
    owner_read(owner, bytes);
    return owner[0] && strcmp(owner, dir) && already_up(owner) ? owner : NULL;
}

int fl_cluster_up(const fl_cluster_options *o, bool *already, char *err, size_t err_bytes) {
    *already = false;
    if (o->nodes < 1 || o->nodes > FL_CLUSTER_NODES_MAX) {
        snprintf(err, err_bytes, "--nodes must be from 1 to %d", FL_CLUSTER_NODES_MAX);
        return FL_EXIT_USAGE;
    }
    if (check_tools(err, err_bytes) != 0) return FL_EXIT_HARNESS;
    if (already_up(o->dir)) {
        *already = true;
        return 0;
    }
    char owner[PATH_BYTES];
    if (other_owner(o->dir, owner, sizeof owner)) {
        snprintf(err, err_bytes, "another local cluster is up (from %s): only one can be, "
                 "its namespaces have fixed names; `faultline cluster down --dir %s` first",
                 owner, owner);
        return FL_EXIT_HARNESS;
    }
    /* Whatever is left of an earlier cluster (its sshd gone with a session or a reboot)
     * goes first. */
    int rc = fl_cluster_down(o->dir, err, err_bytes);
    if (rc != 0) return rc;
    owner_write(o->dir);
    rc = build(o, err, err_bytes);
    if (rc != 0) {
        char ignored[256];
        fl_cluster_down(o->dir, ignored, sizeof ignored); /* leave nothing half made */
    }
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *path) {
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The files up made: the node folders, keys, known_hosts, nodes file, work dirs. */
static void remove_files(const char *dir) {
    static const char *const files[] = {"id_ed25519", "id_ed25519.pub", "authorized_keys",
                                        "known_hosts", "nodes.json", "nodes.json.tmp",
                                        "hosts"};
    char path[PATH_BYTES + 64], root[PATH_BYTES];
    for (size_t i = 0; i < FL_CLUSTER_NODES_MAX; i++) {
        snprintf(path, sizeof path, "%s/node-n%zu", dir, i + 1);
        remove_tree(path);
    }
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    nodes_root(dir, root, sizeof root);
    for (size_t i = 0; i < FL_CLUSTER_NODES_MAX; i++) {
        snprintf(path, sizeof path, "%s/n%zu", root, i + 1);
        remove_tree(path);
    }
    rmdir(root);
    rmdir(dir); /* only when empty: never anything of the user's */
    if (!strcmp(dir, FL_CLUSTER_DIR)) rmdir("/var/lib/faultline"); /* up made it; if empty */
}

int fl_cluster_down(const char *dir, char *err, size_t err_bytes) {
    char owner[PATH_BYTES];
    if (other_owner(dir, owner, sizeof owner)) { /* not ours to take down */
        remove_files(dir);
        return 0;
    }
    for (size_t i = 0; i < FL_CLUSTER_NODES_MAX; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%u", (unsigned)(i + 1));
        fl_node_sshd_stop(dir, name);
    }
    if (fl_cluster_net_down(err, err_bytes) != 0) return FL_EXIT_HARNESS;
    remove_files(dir);
    unlink(OWNER_FILE);
    rmdir("/run/faultline");
    return 0;
}
