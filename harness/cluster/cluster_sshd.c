/* The local cluster's nodes: keys, one sshd per node started inside its own network,
 * PID, UTS and mount namespaces, known_hosts, and waiting until every sshd answers.
 * A node is `ip netns exec fl-nI unshare --pid --fork --kill-child --mount-proc --uts
 * sh -c 'hostname nI; mount --bind …/root /root; exec sshd -D'`: sshd is the PID
 * namespace's init, so killing the unshare (whose pid is node.pid) ends the whole node. */
#include "cluster_sshd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "cluster_net.h"
#include "netns.h"
#include "process.h"

#define PATH_BYTES 4096

static int keygen(const char *path, const char *comment, char *err, size_t err_bytes) {
    unlink(path);
    char pub[PATH_BYTES + sizeof ".pub"];
    snprintf(pub, sizeof pub, "%s.pub", path);
    unlink(pub);
    const char *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                          "-f", path, NULL};
    return fl_run(argv, NULL, err, err_bytes);
}

static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    char buf[4096];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = -1;
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    return rc;
}

int fl_cluster_keys(const char *dir, size_t nodes, char *err, size_t err_bytes) {
    char path[PATH_BYTES], pub[PATH_BYTES], auth[PATH_BYTES];
    snprintf(path, sizeof path, "%s/id_ed25519", dir);
    snprintf(pub, sizeof pub, "%s/id_ed25519.pub", dir);
    snprintf(auth, sizeof auth, "%s/authorized_keys", dir);
    if (keygen(path, "faultline-controller", err, err_bytes) != 0) return -1;
    if (copy_file(pub, auth) != 0) {
        snprintf(err, err_bytes, "cannot write %s: %s", auth, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < nodes; i++) {
        char comment[32];
        snprintf(comment, sizeof comment, "faultline-n%u", (unsigned)(i + 1));
        snprintf(path, sizeof path, "%s/node-n%zu/ssh_host_ed25519_key", dir, i + 1);
        if (keygen(path, comment, err, err_bytes) != 0) return -1;
    }
    return 0;
}

static int write_config(const char *dir, size_t i, const char *addr, char *err,
                        size_t err_bytes) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/node-n%zu/sshd_config", dir, i + 1);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_bytes, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    /* StrictModes off: the key files live in the cluster folder, not a home. MaxSessions
     * above the controller's 6 channels per session. */
    fprintf(f, "ListenAddress %s:22\nHostKey %s/node-n%zu/ssh_host_ed25519_key\n"
               "AuthorizedKeysFile %s/authorized_keys\nPidFile none\nUsePAM no\n"
               "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
               "PermitRootLogin prohibit-password\nPrintMotd no\nPrintLastLog no\n"
               "Subsystem sftp internal-sftp\nMaxSessions 10\nMaxStartups 100\n"
               "LogLevel ERROR\n",
            addr, dir, i + 1, dir);
    return fclose(f) == 0 ? 0 : -1;
}

/* The nodes' /etc/hosts: every node by name, as on a real cluster (sudo, for one,
 * wants to resolve the host's own name). */
int fl_cluster_hosts_file(const char *dir, size_t nodes, char node_addr[][16], char *err,
                          size_t err_bytes) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/hosts", dir);
    FILE *f = fopen(path, "w");
    if (f) fprintf(f, "127.0.0.1 localhost\n::1 localhost\n");
    for (size_t i = 0; f && i < nodes; i++) fprintf(f, "%s n%zu\n", node_addr[i], i + 1);
    if (!f || fclose(f) != 0) {
        snprintf(err, err_bytes, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int fl_cluster_start_sshds(const char *dir, const char *cluster, size_t nodes,
                           char node_addr[][16], char *err, size_t err_bytes) {
    mkdir("/run/sshd", 0755); /* sshd's privilege separation directory */
    if (fl_cluster_hosts_file(dir, nodes, node_addr, err, err_bytes) != 0) return -1;
    for (size_t i = 0; i < nodes; i++) {
        if (write_config(dir, i, node_addr[i], err, err_bytes) != 0) return -1;
        char ns[FL_NETNS_NAME_BYTES], script[4 * PATH_BYTES + 256], log[PATH_BYTES + 64];
        fl_cluster_netns_names(cluster, i + 1, ns);
        snprintf(script, sizeof script,
                 "hostname n%zu && mount --bind '%s/node-n%zu/root' /root && "
                 "mount --bind '%s/hosts' /etc/hosts && "
                 "exec /usr/sbin/sshd -D -e -f '%s/node-n%zu/sshd_config'",
                 i + 1, dir, i + 1, dir, dir, i + 1);
        snprintf(log, sizeof log, "%s/node-n%zu/sshd.log", dir, i + 1);
        const char *argv[] = {"ip", "netns", "exec", ns, "unshare", "--pid", "--fork",
                              "--kill-child", "--mount-proc", "--uts", "sh", "-c", script,
                              NULL};
        pid_t pid = fl_spawn_detached(argv, log, err, err_bytes);
        if (pid < 0 || fl_node_pid_write(dir, i, pid, err, err_bytes) != 0) return -1;
    }
    return 0;
}

int fl_node_pid_write(const char *dir, size_t i, pid_t pid, char *err, size_t err_bytes) {
    char pidfile[PATH_BYTES + 64];
    snprintf(pidfile, sizeof pidfile, "%s/node-n%zu/node.pid", dir, i + 1);
    FILE *f = fopen(pidfile, "w");
    if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0) {
        if (f) fclose(f);
        snprintf(err, err_bytes, "cannot write %s", pidfile);
        return -1;
    }
    return 0;
}

static pid_t read_pid(const char *dir, const char *name) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/node-%s/node.pid", dir, name);
    FILE *f = fopen(path, "r");
    int pid = -1;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1) pid = -1;
        fclose(f);
    }
    return pid;
}

/* What the node's unshare has on its command line and no other process has: its own
 * folder's path (a pid reused by anything else, another cluster's node included, never
 * matches). */
static void node_needle(const char *dir, const char *name, char *out, size_t bytes) {
    snprintf(out, bytes, "%s/node-%s/", dir, name);
}

int fl_node_sshd_running(const char *dir, const char *name) {
    char needle[PATH_BYTES + 64];
    node_needle(dir, name, needle, sizeof needle);
    return fl_pid_running(read_pid(dir, name), needle);
}

void fl_node_sshd_stop(const char *dir, const char *name) {
    pid_t pid = read_pid(dir, name);
    char needle[PATH_BYTES + 64];
    node_needle(dir, name, needle, sizeof needle);
    if (!fl_pid_running(pid, needle)) {
        waitpid(pid, NULL, WNOHANG); /* a child of ours already dead: reap it */
        return;
    }
    kill(pid, SIGKILL); /* --kill-child takes sshd, the node's init, and all under it */
    /* Gone, or a zombie (its parent, an earlier `cluster up`, has exited; whoever
     * adopted it reaps it in its own time). */
    for (int i = 0; i < 200 && fl_pid_running(pid, needle); i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) break;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

int fl_cluster_known_hosts(const char *dir, size_t nodes, char node_addr[][16], char *err,
                           size_t err_bytes) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%s/known_hosts", dir);
    FILE *out = fopen(path, "w");
    for (size_t i = 0; out && i < nodes; i++) {
        char pub[PATH_BYTES], type[64], key[1024];
        snprintf(pub, sizeof pub, "%s/node-n%zu/ssh_host_ed25519_key.pub", dir, i + 1);
        FILE *in = fopen(pub, "r");
        int ok = in && fscanf(in, "%63s %1023s", type, key) == 2;
        if (in) fclose(in);
        if (!ok) {
            fclose(out);
            snprintf(err, err_bytes, "cannot read %s", pub);
            return -1;
        }
        fprintf(out, "%s %s %s\n", node_addr[i], type, key);
    }
    if (!out || fclose(out) != 0) {
        snprintf(err, err_bytes, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Does addr:22 answer with an SSH banner within the time left? */
static int answers(const char *addr, int64_t deadline_ms) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(22)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            struct pollfd p = {fd, POLLIN, 0};
            char banner[8] = "";
            if (poll(&p, 1, 1000) == 1 && read(fd, banner, 4) == 4 &&
                !memcmp(banner, "SSH-", 4)) {
                close(fd);
                return 1;
            }
        }
        if (fd >= 0) close(fd);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec * 1000 + now.tv_nsec / 1000000 > deadline_ms) return 0;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* In a child, so the caller stays in its own namespace: enter NAME-net, then wait for
 * every sshd to answer. The child's exit code is the index+1 of the first node that
 * did not, or 0. */
int fl_cluster_wait_ready(const char *cluster, size_t nodes, char node_addr[][16],
                          int timeout_ms, size_t *late, char *err, size_t err_bytes) {
    char net[FL_NETNS_NAME_BYTES];
    *late = SIZE_MAX;
    fl_cluster_netns_names(cluster, 0, net);
    pid_t pid = fork();
    if (pid == 0) {
        char ignored[256];
        if (fl_netns_enter(net, ignored, sizeof ignored) != 0) _exit(255);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t deadline = now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout_ms;
        for (size_t i = 0; i < nodes; i++)
            if (!answers(node_addr[i], deadline)) _exit((int)i + 1);
        _exit(0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        snprintf(err, err_bytes, "waiting for the nodes' sshd failed: %s", strerror(errno));
        return -1;
    }
    int code = WEXITSTATUS(status);
    if (code == 255) snprintf(err, err_bytes, "cannot enter network namespace %s", net);
    else if (code) {
        *late = (size_t)code - 1;
        snprintf(err, err_bytes, "n%d (%s:22): sshd did not answer in %d s", code,
                 node_addr[code - 1], timeout_ms / 1000);
    }
    return code ? -1 : 0;
}
