/* The VM cluster's guests (see cluster_vm.h). Per node, under DIR/node-nI/: initrd.img
 * (the cached boot image, then the node's own cpio), console.log (its serial console),
 * qemu.log (qemu's own messages) and node.pid (qemu's pid, so `down`, `list` and
 * `status` treat a guest as they treat a namespace node's sshd). DIR/vm.env records what
 * the image script printed: the kernel, boot image, root disk and accelerator. */
#include "cluster_vm.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster_net.h"
#include "control.h"
#include "cluster_sshd.h"
#include "cpio_newc.h"
#include "file_text.h"
#include "libexec.h"
#include "nodes.h"
#include "process.h"

#define PATH_BYTES 4096
#define QEMU "qemu-system-x86_64"

typedef struct vm_image {
    char kernel[PATH_BYTES], initrd[PATH_BYTES], rootfs[PATH_BYTES], accel[8];
} vm_image;

bool fl_cluster_is_vm(const char *dir) {
    char path[PATH_BYTES + 16];
    snprintf(path, sizeof path, "%s/vm.env", dir);
    return access(path, F_OK) == 0;
}

/* Run the image script with its stdout into DIR/vm.env and its stderr on ours (a cold
 * build says what it is doing). Its exit code, or -1 when it could not be run. */
static int run_image_script(const char *script, const char *cache, const char *env_path) {
    int fd = open(env_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, STDIN_FILENO);
        execl("/bin/bash", "bash", script, cache, (char *)NULL);
        _exit(127);
    }
    close(fd);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* KEY=VALUE lines as the script prints them (printf %q: a plain path stays plain; one
 * that needed quoting is refused rather than half understood). */
static int read_image_env(const char *path, vm_image *img, char *err, size_t err_bytes) {
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "r");
    char line[PATH_BYTES + 64];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        const char *value = eq + 1;
        if (strpbrk(value, "'\"\\$ ")) {
            fclose(f);
            snprintf(err, err_bytes, "%s: %s has characters the cluster does not take: %s",
                     path, line, value);
            return -1;
        }
        if (!strcmp(line, "FL_VM_KERNEL")) snprintf(img->kernel, sizeof img->kernel, "%s", value);
        else if (!strcmp(line, "FL_VM_INITRD")) snprintf(img->initrd, sizeof img->initrd, "%s", value);
        else if (!strcmp(line, "FL_VM_ROOTFS")) snprintf(img->rootfs, sizeof img->rootfs, "%s", value);
        else if (!strcmp(line, "FL_VM_ACCEL")) snprintf(img->accel, sizeof img->accel, "%s", value);
    }
    if (f) fclose(f);
    if (!img->kernel[0] || !img->initrd[0] || !img->rootfs[0] ||
        (strcmp(img->accel, "kvm") && strcmp(img->accel, "tcg"))) {
        snprintf(err, err_bytes, "%s: the image script did not name a kernel, boot image, "
                 "root disk and accelerator", path);
        return -1;
    }
    return 0;
}

static int build_image(const char *dir, const fl_vm_options *o, vm_image *img, char *err,
                       size_t err_bytes) {
    if (access("/usr/bin/" QEMU, X_OK) != 0) {
        snprintf(err, err_bytes, "/usr/bin/" QEMU " is missing: install the Debian package "
                 "qemu-system-x86 (apt-get install qemu-system-x86)");
        return -1;
    }
    char script[PATH_BYTES], env[PATH_BYTES + 16];
    if (fl_libexec_path("vm/vm-image.sh", script, sizeof script, err, err_bytes) != 0) return -1;
    snprintf(env, sizeof env, "%s/vm.env", dir);
    const char *cache = o->cache ? o->cache : FL_VM_CACHE_DIR;
    int rc = run_image_script(script, cache, env);
    if (rc != 0) {
        snprintf(err, err_bytes, "building the VM image in %s failed (%s exited %d; its "
                 "message is above)%s", cache, script, rc,
                 rc == 77 ? ": this machine lacks what it needs" : "");
        return -1;
    }
    return read_image_env(env, img, err, err_bytes);
}

/* The node's boot image: the cached one, zeros to a 4-byte boundary (the kernel looks
 * for the next archive only there), then the node's own files. */
static int write_node_initrd(const char *dir, size_t i, const char *addr, int prefix,
                             const char *hosts, size_t hosts_len, const vm_image *img,
                             char *err, size_t err_bytes) {
    char path[PATH_BYTES + 64], key[PATH_BYTES + 64], pub[PATH_BYTES + 64],
        auth[PATH_BYTES + 64], env[256];
    snprintf(path, sizeof path, "%s/node-n%zu/initrd.img", dir, i + 1);
    snprintf(key, sizeof key, "%s/node-n%zu/ssh_host_ed25519_key", dir, i + 1);
    snprintf(pub, sizeof pub, "%s/node-n%zu/ssh_host_ed25519_key.pub", dir, i + 1);
    snprintf(auth, sizeof auth, "%s/authorized_keys", dir);
    snprintf(env, sizeof env, "FL_NODE=n%zu\nFL_ADDR=%s/%d\nFL_USER=%s\n", i + 1, addr, prefix,
             FL_VM_USER);
    size_t base_len = 0, key_len = 0, pub_len = 0, auth_len = 0;
    char *base = fl_file_text(img->initrd, &base_len), *key_data = fl_file_text(key, &key_len),
         *pub_data = fl_file_text(pub, &pub_len), *auth_data = fl_file_text(auth, &auth_len);
    FILE *out = base && key_data && pub_data && auth_data ? fopen(path, "wb") : NULL;
    int rc = -1;
    if (out) {
        static const char zeros[4] = {0};
        rc = fwrite(base, 1, base_len, out) == base_len &&
                     fwrite(zeros, 1, (4 - base_len % 4) % 4, out) == (4 - base_len % 4) % 4 &&
                     fl_cpio_add(out, "fl-node", S_IFDIR | 0755, NULL, 0) == 0 &&
                     fl_cpio_add(out, "fl-node/node.env", S_IFREG | 0644, env, strlen(env)) == 0 &&
                     fl_cpio_add(out, "fl-node/ssh_host_ed25519_key", S_IFREG | 0600, key_data,
                                 key_len) == 0 &&
                     fl_cpio_add(out, "fl-node/ssh_host_ed25519_key.pub", S_IFREG | 0644,
                                 pub_data, pub_len) == 0 &&
                     fl_cpio_add(out, "fl-node/authorized_keys", S_IFREG | 0644, auth_data,
                                 auth_len) == 0 &&
                     fl_cpio_add(out, "fl-node/hosts", S_IFREG | 0644, hosts, hosts_len) == 0 &&
                     fl_cpio_end(out) == 0
                 ? 0 : -1;
        if (fclose(out) != 0) rc = -1;
    }
    if (rc != 0)
        snprintf(err, err_bytes, "cannot write %s from %s and the node's keys: %s", path,
                 img->initrd, strerror(errno));
    free(base);
    free(key_data);
    free(pub_data);
    free(auth_data);
    return rc;
}

static pid_t start_qemu(const char *dir, const char *cluster, size_t i, const vm_image *img,
                        size_t memory_mb, char *err, size_t err_bytes) {
    char net[FL_NETNS_NAME_BYTES], mem[32], name[64], netdev[96], device[96], drive[PATH_BYTES + 64],
        serial[PATH_BYTES + 64], initrd[PATH_BYTES + 64], log[PATH_BYTES + 64];
    fl_cluster_netns_names(cluster, 0, net);
    snprintf(mem, sizeof mem, "%zu", memory_mb);
    snprintf(name, sizeof name, "%s-n%zu", cluster, i + 1);
    snprintf(netdev, sizeof netdev, "tap,id=n0,ifname=fl-t%zu,script=no,downscript=no", i + 1);
    /* The MAC only has to be unique on this cluster's bridge. */
    snprintf(device, sizeof device, "virtio-net-pci,netdev=n0,mac=52:54:00:d5:%02zx:%02zx",
             (i + 1) >> 8, (i + 1) & 0xff);
    /* snapshot=on: the guest's writes go to a temporary file qemu deletes; the cached
     * disk is shared by every guest and never changes. */
    snprintf(drive, sizeof drive, "file=%s,if=virtio,format=raw,snapshot=on", img->rootfs);
    snprintf(serial, sizeof serial, "file:%s/node-n%zu/console.log", dir, i + 1);
    snprintf(initrd, sizeof initrd, "%s/node-n%zu/initrd.img", dir, i + 1);
    snprintf(log, sizeof log, "%s/node-n%zu/qemu.log", dir, i + 1);
    bool kvm = !strcmp(img->accel, "kvm");
    const char *argv[] = {"ip", "netns", "exec", net, QEMU, "-name", name,
                          "-accel", img->accel, "-cpu", kvm ? "host" : "max",
                          "-machine", "pc", "-m", mem, "-smp", "1", "-nodefaults",
                          "-display", "none", "-no-reboot", "-serial", serial,
                          "-netdev", netdev, "-device", device, "-drive", drive,
                          "-kernel", img->kernel, "-initrd", initrd,
                          "-append", "console=ttyS0 panic=-1 quiet clocksource=hpet", NULL};
    return fl_spawn_detached(argv, log, err, err_bytes);
}

int fl_cluster_vm_start(const char *dir, const char *cluster, size_t nodes,
                        char node_addr[][16], int prefix, const fl_vm_options *o,
                        char *err, size_t err_bytes) {
    assert(nodes >= 1 && o->memory_mb >= 128);
    vm_image img;
    if (build_image(dir, o, &img, err, err_bytes) != 0) return -1;
    char hosts_path[PATH_BYTES + 16];
    snprintf(hosts_path, sizeof hosts_path, "%s/hosts", dir);
    size_t hosts_len = 0;
    if (fl_cluster_hosts_file(dir, nodes, node_addr, err, err_bytes) != 0) return -1;
    char *hosts = fl_file_text(hosts_path, &hosts_len);
    if (!hosts) return snprintf(err, err_bytes, "cannot read %s", hosts_path), -1;
    fprintf(stderr, "cluster up --vm: starting %zu guests (%s, %zu MiB each)\n", nodes,
            img.accel, o->memory_mb);
    for (size_t i = 0; i < nodes; i++) {
        pid_t pid = -1;
        if (write_node_initrd(dir, i, node_addr[i], prefix, hosts, hosts_len, &img, err,
                              err_bytes) != 0 ||
            (pid = start_qemu(dir, cluster, i, &img, o->memory_mb, err, err_bytes)) < 0 ||
            fl_node_pid_write(dir, i, pid, err, err_bytes) != 0) {
            free(hosts);
            return -1;
        }
    }
    free(hosts);
    return 0;
}

void fl_cluster_vm_explain(const char *dir, size_t node, char *err, size_t err_bytes) {
    char path[PATH_BYTES + 64], tail[1024] = "";
    snprintf(path, sizeof path, "%s/node-n%zu/console.log", dir, node + 1);
    FILE *f = fopen(path, "r");
    if (f) {
        /* The last ~600 bytes, from a line start, without the firmware's escapes. */
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, size > 600 ? size - 600 : 0, SEEK_SET);
        size_t n = fread(tail, 1, sizeof tail - 1, f);
        tail[n] = '\0';
        fclose(f);
        for (char *p = tail; *p; p++)
            if ((unsigned char)*p < 32 && *p != '\n') *p = ' ';
    }
    char *start = strchr(tail, '\n');
    start = start && start[1] ? start + 1 : tail;
    char pidfile[PATH_BYTES + 64], needle[PATH_BYTES + 64];
    snprintf(pidfile, sizeof pidfile, "%s/node-n%zu/node.pid", dir, node + 1);
    snprintf(needle, sizeof needle, "%s/node-n%zu/", dir, node + 1);
    int pid = -1;
    FILE *p = fopen(pidfile, "r");
    if (p) {
        if (fscanf(p, "%d", &pid) != 1) pid = -1;
        fclose(p);
    }
    size_t used = strlen(err);
    snprintf(err + used, err_bytes - used, " (qemu %s; see node-n%zu/qemu.log); its console "
             "(%s) ends:\n%s", fl_pid_running(pid, needle) ? "still running" : "has exited",
             node + 1, path, start[0] ? start : "(nothing: the kernel never printed)");
}

static double realtime_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The guest's clock minus the host's, in seconds: the quickest of a few round trips to a
 * loop on the guest that prints its clock for each line it reads (started once, so
 * sudo's start-up is not inside a round trip; bash's $EPOCHREALTIME, so no program
 * starts inside one either: under TCG that takes a tenth of a second), the reading
 * taken as made half way. */
static int guest_offset(fl_remote *r, double *offset, char *err, size_t err_bytes) {
    fl_remote_stream *st;
    char why[FL_REMOTE_ERR_BYTES];
    if (fl_remote_stream_open(r, "exec bash -c 'while read x; do echo $EPOCHREALTIME; done'", &st, why) != 0)
        return snprintf(err, err_bytes, "%s", why), -1;
    double best_rtt = 1e9;
    int rc = 0;
    for (int k = 0; k < 6 && rc == 0; k++) {
        char *line = NULL;
        double t0 = realtime_s();
        rc = fl_remote_stream_write_line(st, "x", 10000, why) == 0 &&
                     fl_remote_stream_read_line(st, 10000, &line, why) == 0
                 ? 0 : -1;
        double t1 = realtime_s(), guest = line ? strtod(line, NULL) : 0;
        if (rc == 0 && guest <= 0) {
            snprintf(why, sizeof why, "the clock loop printed %s", line);
            rc = -1;
        }
        if (rc == 0 && t1 - t0 < best_rtt) {
            best_rtt = t1 - t0;
            *offset = guest - (t0 + t1) / 2;
        }
        free(line);
    }
    fl_remote_stream_close(st, 5000);
    if (rc != 0) snprintf(err, err_bytes, "%s", why);
    return rc;
}

typedef struct sync_job {
    fl_remote *remote;
    const char *name;
    double offset_before, offset_after;
    int rc;
    char err[1024];
} sync_job;

/* Measure, set relative to the guest's own reading (so sudo's start-up does not count),
 * twice: the second pass takes out the time the set itself took (a pipeline under TCG,
 * ~0.1 s); then measure again. */
static void *sync_node(void *arg) {
    sync_job *j = arg;
    double offset = 0;
    j->rc = 0;
    for (int pass = 0; pass < 2 && j->rc == 0; pass++) {
        j->rc = guest_offset(j->remote, &offset, j->err, sizeof j->err);
        if (pass == 0) j->offset_before = offset;
        char command[256];
        /* In microseconds, by bash's arithmetic: date's own start is the only delay. */
        snprintf(command, sizeof command,
                 "exec bash -c 't=$(( ${EPOCHREALTIME/./} - (%lld) )); printf -v us %%06d "
                 "$((t %% 1000000)); exec date -u -s @$((t / 1000000)).$us >/dev/null'",
                 (long long)(offset * 1e6));
        if (j->rc == 0)
            j->rc = fl_remote_run(j->remote, command, "set the clock", 10000, NULL, NULL, 0,
                                  j->err, sizeof j->err) == 0 ? 0 : -1;
    }
    if (j->rc == 0) j->rc = guest_offset(j->remote, &j->offset_after, j->err, sizeof j->err);
    return NULL;
}

int fl_cluster_vm_sync_clocks(const char *nodes_file, char *err, size_t err_bytes) {
    pid_t pid = fork();
    if (pid == 0) {
        static fl_nodes nodes;
        static fl_control c;
        static sync_job jobs[FL_NODES_MAX];
        static pthread_t threads[FL_NODES_MAX];
        char why[1024];
        if (fl_nodes_read(nodes_file, &nodes, why) != 0 ||
            fl_control_open(&c, &nodes, false, 30000, why, sizeof why) != 0) {
            fprintf(stderr, "%s\n", why);
            _exit(1);
        }
        for (size_t i = 0; i < nodes.count; i++) {
            jobs[i] = (sync_job){.remote = c.remotes[i], .name = nodes.nodes[i].name};
            if (pthread_create(&threads[i], NULL, sync_node, &jobs[i]) != 0) _exit(1);
        }
        int rc = 0;
        for (size_t i = 0; i < nodes.count; i++) {
            pthread_join(threads[i], NULL);
            if (jobs[i].rc != 0) {
                fprintf(stderr, "%s: %s\n", jobs[i].name, jobs[i].err);
                rc = 1;
            } else {
                fprintf(stderr, "cluster up --vm: %s's clock was %+.3f s off the host's, now "
                        "%+.3f s\n", jobs[i].name, jobs[i].offset_before, jobs[i].offset_after);
            }
        }
        _exit(rc);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        snprintf(err, err_bytes, "setting the guests' clocks to the host's failed (the "
                 "reason is above)");
        return -1;
    }
    return 0;
}
