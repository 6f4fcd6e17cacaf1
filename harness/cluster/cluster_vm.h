/* The VM cluster's nodes (`faultline cluster up --vm`): qemu guests booting Debian's
 * stock kernel and a cached Debian root disk (vm/vm-image.sh builds both once), each
 * NIC a tap on the cluster's bridge inside NAME-net, so the controller reaches them as
 * it reaches namespace nodes and no guest packet can reach the host's own network. */
#ifndef FL_CLUSTER_VM_H
#define FL_CLUSTER_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FL_VM_CACHE_DIR "/var/cache/faultline/vm"
#define FL_VM_USER "faultline"             /* the guests' login user, with sudo */
#define FL_VM_WORKDIR "/var/lib/faultline/work"
#define FL_VM_MEMORY_MB 512
#define FL_VM_READY_TIMEOUT_MS 300000      /* TCG boots in ~10 s a guest; 2 cores, many guests */

typedef struct fl_vm_options {
    size_t memory_mb;  /* per guest */
    const char *cache; /* the image cache (NULL: FL_VM_CACHE_DIR) */
} fl_vm_options;

/* Build or reuse the cached image, then start one qemu per node inside NAME-net (its tap
 * fl-tI made by fl_cluster_net_up), each with its own small cpio (name, address, host
 * key from DIR/node-nI/, the controller's public key, /etc/hosts) after the boot image.
 * node.pid holds qemu's pid. Prints what it does to stderr (a cold cache takes a minute).
 * 0, or -1 with err (77-worthy reasons say what to install). */
int fl_cluster_vm_start(const char *dir, const char *cluster, size_t nodes,
                        char node_addr[][16], int prefix, const fl_vm_options *o,
                        char *err, size_t err_bytes);
/* Set every guest's clock to the host's, as NTP would on a real machine (a guest starts
 * from the emulated RTC, whole seconds only): over SSH, from inside NAME-net (in a child,
 * so the caller's namespace is untouched), measured, set, measured again and set once
 * more to take out the set's own delay. Prints each guest's remaining offset to stderr.
 * 0, or -1 with err. */
int fl_cluster_vm_sync_clocks(const char *nodes_file, char *err, size_t err_bytes);
/* After a node did not come up: "qemu exited" or "still booting", and the last lines of
 * its serial console (DIR/node-nI/console.log), appended to err. */
void fl_cluster_vm_explain(const char *dir, size_t node, char *err, size_t err_bytes);
/* Is this folder's cluster made of VMs (DIR/vm.env, written by up)? */
bool fl_cluster_is_vm(const char *dir);

#endif
