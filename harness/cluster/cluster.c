/* Bringing the local cluster up and down (see cluster.h): keys, one sshd per node in
 * its own PID, UTS, mount and network namespaces, the nodes file and known_hosts.
 *
 * Layout under DIR (default /var/lib/faultline/cluster): id_ed25519{,.pub},
 * authorized_keys, known_hosts, nodes.json, hosts (the nodes' /etc/hosts), and node-<n>/ with the node's host key,
 * sshd_config, sshd.log, node.pid (the host pid of the node's `unshare`) and root/
 * (bind-mounted over /root inside the node). Work directories: /var/lib/faultline/nodes/<n>
 * (or DIR/nodes/<n> for another DIR). */
#include "cluster.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster_net.h"
#include "cluster_registry.h"
#include "cluster_sshd.h"
#include "cluster_vm.h"
#include "exit_codes.h"
#include "netns.h"
#include "nodes.h"
#include "process.h"

#define PATH_BYTES 4096                  /* the cluster folder's path */
#define FILE_BYTES (PATH_BYTES + 64)     /* a path one or two names below it */
#define SUBFILE_BYTES (FILE_BYTES + 64)  /* a path below one of those */

int fl_cluster_paths(const char *dir, char *nodes_file, char *known_hosts, size_t bytes) {
    int a = snprintf(nodes_file, bytes, "%s/nodes.json", dir);
    int b = snprintf(known_hosts, bytes, "%s/known_hosts", dir);
    return a < (int)bytes && b < (int)bytes ? 0 : -1;
}

/* The nodes' work directories' parent. canonical_dir keeps DIR 256 bytes short of
 * PATH_BYTES, so this and every path below it fit. */
static void nodes_root(const char *dir, char *out, size_t bytes) {
    int n = !strcmp(dir, FL_CLUSTER_DIR) ? snprintf(out, bytes, "/var/lib/faultline/nodes")
                                         : snprintf(out, bytes, "%s/nodes", dir);
    assert(n < (int)bytes);
    (void)n;
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
    char nodes_file[FILE_BYTES], known[FILE_BYTES], err[FL_NODES_ERR_BYTES];
    fl_cluster_paths(dir, nodes_file, known, sizeof nodes_file);
    fl_cluster_entry e;
    fl_nodes n;
    int up = fl_registry_find_dir(dir, &e) && fl_cluster_net_exists(e.name) &&
             fl_nodes_read(nodes_file, &n, err) == 0;
    if (up) {
        up = nodes_alive(&n, dir);
        fl_nodes_free(&n);
    }
    return up;
}

static int write_nodes_file(const fl_cluster_options *o, const fl_cluster_entry *e,
                            char node_addr[][16], char *err, size_t err_bytes) {
    char nodes_file[FILE_BYTES], known[FILE_BYTES], root[FILE_BYTES], key[FILE_BYTES];
    char net[FL_NETNS_NAME_BYTES];
    fl_cluster_paths(o->dir, nodes_file, known, sizeof nodes_file);
    nodes_root(o->dir, root, sizeof root);
    snprintf(key, sizeof key, "%s/id_ed25519", o->dir);
    fl_cluster_netns_names(e->name, 0, net);
    fl_nodes n = {.cluster = (char *)e->name, .netns = net, .subnet = (char *)e->subnet,
                  .known_hosts = known};
    char names[FL_CLUSTER_NODES_MAX][32], workdirs[FL_CLUSTER_NODES_MAX][SUBFILE_BYTES];
    for (size_t i = 0; i < o->nodes; i++) {
        snprintf(names[i], sizeof names[i], "n%u", (unsigned)(i + 1));
        snprintf(workdirs[i], sizeof workdirs[i], "%s/%s", root, names[i]);
        /* A VM is a real machine: its own clock (system mode), a sudo user, a system
         * work directory. */
        n.nodes[n.count++] = o->vm ? (fl_node){names[i], node_addr[i], 22, FL_VM_USER, key,
                                               FL_VM_WORKDIR, FL_CLOCK_SYSTEM, true, NULL}
                                   : (fl_node){names[i], node_addr[i], 22, "root", key,
                                               workdirs[i], FL_CLOCK_FAKETIME, false, NULL};
    }
    char nerr[FL_NODES_ERR_BYTES];
    if (fl_nodes_write(&n, nodes_file, nerr) != 0) {
        snprintf(err, err_bytes, "%s", nerr);
        return -1;
    }
    return 0;
}

static int make_dirs(const fl_cluster_options *o, char *err, size_t err_bytes) {
    char path[SUBFILE_BYTES], root[FILE_BYTES];
    nodes_root(o->dir, root, sizeof root);
    for (size_t i = 0; i < o->nodes; i++) {
        snprintf(path, sizeof path, "%s/node-n%zu/%s", o->dir, i + 1, o->vm ? "" : "root");
        int rc = mkdirs(path);
        snprintf(path, sizeof path, "%s/n%zu", root, i + 1);
        if (rc != 0 || (!o->vm && mkdirs(path) != 0)) { /* a VM's work dir is its own */
            snprintf(err, err_bytes, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int wait_sshds(const fl_cluster_options *o, const char *name, char node_addr[][16],
                      char *err, size_t err_bytes) {
    size_t late;
    if (fl_cluster_wait_ready(name, o->nodes, node_addr, 5000, &late, err, err_bytes) == 0)
        return 0;
    if (late != SIZE_MAX) {
        size_t used = strlen(err);
        snprintf(err + used, err_bytes - used, "; see its log node-n%zu/sshd.log in the "
                 "cluster folder", late + 1);
    }
    return FL_EXIT_HARNESS;
}

/* Guests take seconds to boot (TCG): wait in short rounds, and stop at once when a
 * guest's qemu has exited (a failed boot powers off) rather than at the deadline. */
static int wait_vms(const fl_cluster_options *o, const char *name, char node_addr[][16],
                    char *err, size_t err_bytes) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        size_t late;
        if (fl_cluster_wait_ready(name, o->nodes, node_addr, 2000, &late, err, err_bytes) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            fprintf(stderr, "cluster up --vm: every guest's sshd answered %.1f s after start\n",
                    (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9);
            char nodes_file[FILE_BYTES], known[FILE_BYTES];
            fl_cluster_paths(o->dir, nodes_file, known, sizeof nodes_file);
            return fl_cluster_vm_sync_clocks(nodes_file, err, err_bytes) == 0 ? 0
                                                                               : FL_EXIT_HARNESS;
        }
        if (late == SIZE_MAX) return FL_EXIT_HARNESS;
        for (size_t i = 0; i < o->nodes; i++) {
            char node[32];
            snprintf(node, sizeof node, "n%zu", i + 1);
            if (!fl_node_sshd_running(o->dir, node)) {
                snprintf(err, err_bytes, "%s (%s): the guest stopped while booting", node,
                         node_addr[i]);
                fl_cluster_vm_explain(o->dir, i, err, err_bytes);
                return FL_EXIT_HARNESS;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 > FL_VM_READY_TIMEOUT_MS) {
            fl_cluster_vm_explain(o->dir, late, err, err_bytes);
            return FL_EXIT_HARNESS;
        }
    }
}

static int build(const fl_cluster_options *o, const fl_cluster_entry *e, char *err,
                 size_t err_bytes) {
    /* fl_cluster_up checked the count and chose the identity under the registry lock. */
    assert(o->nodes >= 1 && o->nodes <= FL_CLUSTER_NODES_MAX);
    assert(fl_cluster_name_valid(e->name) && !strcmp(e->dir, o->dir));
    char controller[16], node_addr[FL_CLUSTER_NODES_MAX][16];
    int prefix;
    if (fl_cluster_addresses(e->subnet, o->nodes, controller, node_addr, &prefix, err,
                             err_bytes) != 0)
        return FL_EXIT_USAGE;
    if (fl_registry_put(e, err, err_bytes) != 0) return FL_EXIT_HARNESS;
    if (make_dirs(o, err, err_bytes) != 0 || fl_cluster_keys(o->dir, o->nodes, err, err_bytes) ||
        fl_cluster_net_up(e->name, o->nodes, controller, node_addr, prefix, o->vm, err,
                          err_bytes) ||
        (o->vm ? fl_cluster_vm_start(o->dir, e->name, o->nodes, node_addr, prefix,
                                     &o->vm_options, err, err_bytes)
               : fl_cluster_start_sshds(o->dir, e->name, o->nodes, node_addr, err, err_bytes)) ||
        fl_cluster_known_hosts(o->dir, o->nodes, node_addr, err, err_bytes) ||
        write_nodes_file(o, e, node_addr, err, err_bytes))
        return FL_EXIT_HARNESS;
    return o->vm ? wait_vms(o, e->name, node_addr, err, err_bytes)
                 : wait_sshds(o, e->name, node_addr, err, err_bytes);
}

static int cluster_down_locked(const char *dir, char *err, size_t err_bytes);

/* The name and subnet this folder's cluster gets: the ones asked for, or derived from
 * the folder; refused when a live cluster of another folder holds either. */
static int choose_identity(const fl_cluster_options *o, fl_cluster_entry *e, char *err,
                           size_t err_bytes) {
    memset(e, 0, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "%s", o->dir);
    e->nodes = o->nodes;
    if (o->name) snprintf(e->name, sizeof e->name, "%s", o->name);
    else fl_cluster_name_for_dir(o->dir, e->name);
    fl_cluster_entry other;
    if (fl_registry_find_name(e->name, &other) && strcmp(other.dir, o->dir) &&
        fl_cluster_net_exists(other.name)) {
        snprintf(err, err_bytes, "the cluster name %s is held by the cluster in %s; give "
                 "another with --name", e->name, other.dir);
        return FL_EXIT_HARNESS;
    }
    if (!o->subnet)
        return fl_cluster_subnet_for_dir(o->dir, e->subnet, err, err_bytes) ? FL_EXIT_HARNESS : 0;
    if (strlen(o->subnet) >= sizeof e->subnet || fl_subnets_overlap(o->subnet, o->subnet) < 0) {
        snprintf(err, err_bytes, "--subnet %s: expected an IPv4 CIDR such as 10.213.0.0/24",
                 o->subnet);
        return FL_EXIT_USAGE;
    }
    snprintf(e->subnet, sizeof e->subnet, "%s", o->subnet);
    fl_cluster_entry holder;
    if (fl_registry_subnet_holder(e->subnet, o->dir, &holder)) {
        snprintf(err, err_bytes, "--subnet %s overlaps %s, held by the cluster %s in %s; "
                 "choose another", e->subnet, holder.subnet, holder.name, holder.dir);
        return FL_EXIT_HARNESS;
    }
    return 0;
}

/* A folder path the way the registry keeps it: absolute, symlinks resolved as far as
 * the path exists (a relative --dir and its absolute form are one cluster). */
static int canonical_dir(const char *dir, char out[PATH_BYTES], char *err, size_t err_bytes) {
    char abs[PATH_BYTES];
    if (dir[0] == '/') snprintf(abs, sizeof abs, "%s", dir);
    else {
        char cwd[PATH_BYTES];
        if (!getcwd(cwd, sizeof cwd) ||
            snprintf(abs, sizeof abs, "%s/%s", cwd, dir) >= (int)sizeof abs) {
            snprintf(err, err_bytes, "--dir %s: path too long", dir);
            return -1;
        }
    }
    if (!realpath(abs, out)) snprintf(out, PATH_BYTES, "%s", abs);
    /* Room for the longest path made below it (node-n32/ssh_host_ed25519_key.pub). */
    if (strlen(out) > PATH_BYTES - 256) {
        snprintf(err, err_bytes, "--dir %s: path too long (at most %d bytes)", dir,
                 PATH_BYTES - 256);
        return -1;
    }
    return 0;
}

int fl_cluster_up(const fl_cluster_options *given, bool *already, char *err, size_t err_bytes) {
    *already = false;
    fl_cluster_options o = *given;
    if (o.nodes < 1 || o.nodes > FL_CLUSTER_NODES_MAX) {
        snprintf(err, err_bytes, "--nodes must be from 1 to %d", FL_CLUSTER_NODES_MAX);
        return FL_EXIT_USAGE;
    }
    if (o.name && !fl_cluster_name_valid(o.name)) {
        snprintf(err, err_bytes, "--name %s: 1 to %d lower-case letters and digits, starting "
                 "with a letter", o.name, FL_CLUSTER_NAME_MAX);
        return FL_EXIT_USAGE;
    }
    if (check_tools(err, err_bytes) != 0) return FL_EXIT_HARNESS;
    char dir[PATH_BYTES];
    if (mkdirs(o.dir) != 0) {
        snprintf(err, err_bytes, "cannot create %s: %s", o.dir, strerror(errno));
        return FL_EXIT_HARNESS;
    }
    if (canonical_dir(o.dir, dir, err, err_bytes) != 0) return FL_EXIT_USAGE;
    o.dir = dir;
    int lock = fl_registry_lock(err, err_bytes);
    if (lock < 0) return FL_EXIT_HARNESS;
    fl_registry_list(NULL, 0, true); /* forget clusters whose namespaces are gone */
    int rc = 0;
    if (already_up(dir)) *already = true;
    else {
        /* Whatever is left of an earlier cluster of this folder (its sshd gone with a
         * session or a reboot) goes first. */
        rc = cluster_down_locked(dir, err, err_bytes);
        fl_cluster_entry e;
        if (rc == 0) rc = choose_identity(&o, &e, err, err_bytes);
        if (rc == 0) rc = build(&o, &e, err, err_bytes);
        if (rc != 0) {
            char ignored[256];
            cluster_down_locked(dir, ignored, sizeof ignored); /* leave nothing half made */
        }
    }
    fl_registry_unlock(lock);
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
                                        "hosts", "vm.env"};
    char path[SUBFILE_BYTES], root[FILE_BYTES];
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
    if (!strcmp(dir, FL_CLUSTER_DIR) || !strcmp(dir, FL_VM_CLUSTER_DIR))
        rmdir("/var/lib/faultline"); /* up made it; if empty */
}

/* Which cluster name is this folder's to take down: its registry entry's; else the
 * one its nodes file or its folder path gives, unless a live cluster of another folder
 * holds that name (then no namespace is this folder's). False when none is. */
static bool own_name(const char *dir, char name[FL_CLUSTER_NAME_MAX + 1]) {
    fl_cluster_entry e;
    if (fl_registry_find_dir(dir, &e)) {
        memcpy(name, e.name, sizeof e.name);
        return true;
    }
    char nodes_file[FILE_BYTES], known[FILE_BYTES], err[FL_NODES_ERR_BYTES];
    fl_cluster_paths(dir, nodes_file, known, sizeof nodes_file);
    fl_nodes n;
    fl_cluster_name_for_dir(dir, name);
    if (fl_nodes_read(nodes_file, &n, err) == 0) {
        if (n.cluster && fl_cluster_name_valid(n.cluster))
            snprintf(name, FL_CLUSTER_NAME_MAX + 1, "%s", n.cluster);
        fl_nodes_free(&n);
    }
    return !(fl_registry_find_name(name, &e) && strcmp(e.dir, dir) &&
             fl_cluster_net_exists(e.name));
}

static int cluster_down_locked(const char *dir, char *err, size_t err_bytes) {
    for (size_t i = 0; i < FL_CLUSTER_NODES_MAX; i++) {
        char node[32];
        snprintf(node, sizeof node, "n%u", (unsigned)(i + 1));
        fl_node_sshd_stop(dir, node); /* by pidfile, and only a process of this folder */
    }
    char name[FL_CLUSTER_NAME_MAX + 1];
    if (own_name(dir, name)) {
        if (fl_cluster_net_down(name, err, err_bytes) != 0) return FL_EXIT_HARNESS;
        fl_registry_remove(name);
    }
    remove_files(dir);
    return 0;
}

int fl_cluster_down(const char *given_dir, char *err, size_t err_bytes) {
    char dir[PATH_BYTES];
    if (canonical_dir(given_dir, dir, err, err_bytes) != 0) return FL_EXIT_USAGE;
    int lock = fl_registry_lock(err, err_bytes);
    if (lock < 0) return FL_EXIT_HARNESS;
    int rc = cluster_down_locked(dir, err, err_bytes);
    fl_registry_unlock(lock);
    return rc;
}

int fl_cluster_list(FILE *out, char *err, size_t err_bytes) {
    int lock = fl_registry_lock(err, err_bytes);
    if (lock < 0) return FL_EXIT_HARNESS;
    fl_cluster_entry all[64];
    size_t count = fl_registry_list(all, 64, true);
    fl_registry_unlock(lock);
    fprintf(out, "%-16s %-5s %5s  %-18s %-26s %s\n", "NAME", "STATE", "NODES", "SUBNET",
            "NAMESPACES", "DIR");
    for (size_t i = 0; i < count; i++) {
        /* up: every node's sshd runs; dead: the namespaces are there, an sshd is not
         * (`faultline cluster up --dir DIR` rebuilds it). */
        bool alive = true;
        for (size_t k = 0; k < all[i].nodes && alive; k++) {
            char node[32];
            snprintf(node, sizeof node, "n%zu", k + 1);
            alive = fl_node_sshd_running(all[i].dir, node);
        }
        char namespaces[FL_CLUSTER_NAME_MAX + 32];
        if (fl_cluster_is_vm(all[i].dir)) /* qemu guests on taps in NAME-net */
            snprintf(namespaces, sizeof namespaces, "%.16s-net (VMs)", all[i].name);
        else
            snprintf(namespaces, sizeof namespaces, "%.16s-net,%.16s-n*", all[i].name, all[i].name);
        fprintf(out, "%-16s %-5s %5zu  %-18s %-26s %s\n", all[i].name, alive ? "up" : "dead",
                all[i].nodes, all[i].subnet, namespaces, all[i].dir);
    }
    return 0;
}
