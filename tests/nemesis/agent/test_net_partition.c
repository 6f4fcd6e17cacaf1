/* fl_agent_net on real namespaces: test_net_partition.sh makes three hosts A, B, C on a
 * bridge (their own namespaces) and runs this as
 *   test_net_partition NS_A NS_B NS_C ADDR_A ADDR_B ADDR_C IFNAME
 * Every claim is measured with UDP datagrams counted at the receiver (a one-way cut is
 * egress drops on the sender only), and with the kernel's own counters read by `tc`.
 * Prints "N passed, N failed"; exit 0 only when nothing failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "net_internal.h" /* fl_net_add_filter: flow filters on the black hole */

#include <netlink/route/link.h>

#define PROBE_COUNT 20
#define PROBE_WAIT_MS 800
#define ROUNDS 25

static int passed, failed;

static void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(ok ? stdout : stderr, ok ? "ok   " : "FAIL ");
    vfprintf(ok ? stdout : stderr, fmt, ap);
    fputc('\n', ok ? stdout : stderr);
    va_end(ap);
    if (ok) passed++;
    else failed++;
}

/* A call that returns 0, or says why not (its message is in err). */
#define CALL(expr) ((expr) == 0 ? 1 : (fprintf(stderr, "     %s: %s\n", #expr, err), 0))

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "test_net_partition: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(3);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The three hosts. */
typedef struct host {
    const char *ns, *addr;
    int fd; /* /run/netns/<ns> */
} host;
static host H[3];
enum { A, B, C };
static const char *ifname;

static void enter(int fd) {
    if (setns(fd, CLONE_NEWNET) < 0) die("setns: %s", strerror(errno));
}

/* Sends PROBE_COUNT datagrams from src (from source port sport; 0: any) to dst's
 * address, port `port`, and returns how many dst's receiver counted (each probe has
 * its own token). */
static int probe_ports(int src, int dst, uint16_t sport, uint16_t port) {
    static unsigned seq;
    seq++;
    char token[32];
    snprintf(token, sizeof token, "flprobe-%d-%u", (int)getpid(), seq);
    int ready[2], result[2];
    if (pipe(ready) < 0 || pipe(result) < 0) die("pipe: %s", strerror(errno));
    pid_t rx = fork();
    if (rx < 0) die("fork: %s", strerror(errno));
    if (rx == 0) {
        enter(H[dst].fd);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) _exit(2);
        if (write(ready[1], "r", 1) != 1) _exit(2);
        int count = 0;
        double deadline = now_us() + PROBE_WAIT_MS * 1000.0;
        while (count < PROBE_COUNT) {
            double left = (deadline - now_us()) / 1000.0;
            if (left <= 0) break;
            struct pollfd p = {.fd = s, .events = POLLIN};
            if (poll(&p, 1, (int)left + 1) <= 0) continue;
            char buf[64];
            ssize_t k = recv(s, buf, sizeof buf - 1, 0);
            if (k > 0) {
                buf[k] = '\0';
                if (strcmp(buf, token) == 0) count++;
            }
        }
        if (write(result[1], &count, sizeof count) != sizeof count) _exit(2);
        _exit(0);
    }
    char r;
    if (read(ready[0], &r, 1) != 1) die("probe receiver in %s did not start", H[dst].ns);
    pid_t tx = fork();
    if (tx < 0) die("fork: %s", strerror(errno));
    if (tx == 0) {
        enter(H[src].fd);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(sport)};
        if (s < 0 || (sport && bind(s, (struct sockaddr *)&from, sizeof from) < 0)) _exit(2);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        if (inet_pton(AF_INET, H[dst].addr, &sa.sin_addr) != 1) _exit(2);
        for (int i = 0; i < PROBE_COUNT; i++) {
            /* Errors (ENOBUFS from a drop, say) are what is measured: ignore them. */
            (void)!sendto(s, token, strlen(token), 0, (struct sockaddr *)&sa, sizeof sa);
            usleep(1000);
        }
        _exit(0);
    }
    int status;
    waitpid(tx, &status, 0);
    int count = -1;
    if (read(result[0], &count, sizeof count) != sizeof count) count = -1;
    waitpid(rx, &status, 0);
    close(ready[0]);
    close(ready[1]);
    close(result[0]);
    close(result[1]);
    return count;
}

/* A probe on a port of its own, from any source port. */
static int probe(int src, int dst) {
    static unsigned seq;
    seq++;
    return probe_ports(src, dst, 0, (uint16_t)(41000 + seq % 20000));
}

static const char *name(int h) { return h == A ? "A" : h == B ? "B" : "C"; }

static void expect(int src, int dst, int delivered) {
    int got = probe(src, dst);
    if (delivered)
        check(got == PROBE_COUNT, "%s->%s delivered: %d/%d", name(src), name(dst), got,
              PROBE_COUNT);
    else
        check(got == 0, "%s->%s lost: %d/%d arrived", name(src), name(dst), got, PROBE_COUNT);
}

/* cut[s][d]: packets from s to d must be lost. */
static void expect_matrix(const char *what, int cut[3][3]) {
    printf("-- %s\n", what);
    for (int s = 0; s < 3; s++)
        for (int d = 0; d < 3; d++)
            if (s != d) expect(s, d, !cut[s][d]);
}

/* Output of a command run in this process's namespace (A's). */
static void run(const char *cmd, char *out, size_t bytes) {
    FILE *p = popen(cmd, "r");
    if (!p) die("popen %s: %s", cmd, strerror(errno));
    size_t k = fread(out, 1, bytes - 1, p);
    out[k] = '\0';
    pclose(p);
}

/* The number after `key` in text (first occurrence after `after`, if given), or -1. */
static long long number_after(const char *text, const char *after, const char *key) {
    const char *t = after ? strstr(text, after) : text;
    if (!t) return -1;
    t = strstr(t, key);
    if (!t) return -1;
    return strtoll(t + strlen(key), NULL, 10);
}

static void tc_qdisc(char *out, size_t bytes) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "tc -s qdisc show dev %s 2>&1", ifname);
    run(cmd, out, bytes);
}

static int count_lines(const char *text, const char *needle) {
    int n = 0;
    for (const char *t = text; (t = strstr(t, needle)); t += strlen(needle)) n++;
    return n;
}

static int state_drops(fl_net *n, const char *const *want, size_t count) {
    fl_net_state st;
    char err[512];
    if (fl_net_state_get(n, ifname, &st, err, sizeof err) < 0) {
        fprintf(stderr, "state: %s\n", err);
        return 0;
    }
    if (!st.installed || !st.blackhole || st.drop_count != count) return 0;
    for (size_t i = 0; i < count; i++) {
        struct in_addr a;
        inet_pton(AF_INET, want[i], &a);
        int found = 0;
        for (size_t j = 0; j < st.drop_count; j++) found |= st.drop[j].s_addr == a.s_addr;
        if (!found) return 0;
    }
    return 1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary(const char *what, double *t, int n) {
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    printf("timing %-34s min %7.0f us  median %7.0f us  max %7.0f us  (%d runs)\n", what, t[0],
           t[n / 2], t[n - 1], n);
}

int main(int argc, char **argv) {
    if (argc != 8) die("usage: %s NS_A NS_B NS_C ADDR_A ADDR_B ADDR_C IFNAME", argv[0]);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep the log when killed */
    for (int i = 0; i < 3; i++) {
        H[i].ns = argv[1 + i];
        H[i].addr = argv[4 + i];
        char path[256];
        snprintf(path, sizeof path, "/run/netns/%s", H[i].ns);
        H[i].fd = open(path, O_RDONLY | O_CLOEXEC);
        if (H[i].fd < 0) die("open %s: %s", path, strerror(errno));
    }
    ifname = argv[7];
    char err[512], buf[4096], out[8192];
    double t0;

    /* One handle per side: a socket stays in the namespace it was opened in. */
    fl_net *nb = NULL, *na = NULL;
    enter(H[B].fd);
    if (fl_net_open(&nb, err, sizeof err) < 0) die("%s", err);
    enter(H[A].fd); /* from here on this process (and tc run from it) is A */
    if (fl_net_open(&na, err, sizeof err) < 0) die("%s", err);

    const char *only_b[] = {H[B].addr};
    const char *only_c[] = {H[C].addr};
    const char *only_a[] = {H[A].addr};
    int none[3][3] = {{0}};

    /* Nothing installed yet. */
    check(fl_net_status(na, ifname, buf, sizeof buf) == 0, "status before: %s", buf);
    check(strstr(buf, "\"installed\":false") && strstr(buf, "\"drop\":[]"),
          "status before says nothing is in force");
    check(CALL(fl_net_heal(na, ifname, err, sizeof err)), "heal with nothing installed");
    check(CALL(fl_net_heal(na, ifname, err, sizeof err)), "heal twice with nothing installed");

    /* netem on this kernel. */
    int r = fl_net_probe_netem(na, err, sizeof err);
    check(r == 0 && strstr(err, "netem unsupported by this kernel"),
          "netem probe: %d, \"%s\"", r, err);
    r = fl_net_probe_netem_at(na, FL_NET_PROBE_LO, err, sizeof err);
    check(r == 0 && strstr(err, "netem unsupported by this kernel"),
          "netem probe on A's lo: %d, \"%s\"", r, err);
    fl_net_state lo;
    check(CALL(fl_net_state_get(na, "lo", &lo, err, sizeof err)) &&
              strcmp(lo.root_kind, "noqueue") == 0,
          "A's lo keeps its noqueue root after the probe (%s)", lo.root_kind);

    expect_matrix("baseline, nothing installed", none);

    /* A drops its packets to B. */
    t0 = now_us();
    r = fl_net_partition(na, ifname, only_b, 1, err, sizeof err);
    double first_apply = now_us() - t0;
    check(r == 0, "partition A: drop B (%.0f us) %s", first_apply, r ? err : "");
    check(fl_net_status(na, ifname, buf, sizeof buf) == 0, "status: %s", buf);
    char want[128];
    snprintf(want, sizeof want, "\"drop\":[\"%s\"]", H[B].addr);
    check(strstr(buf, "\"installed\":true") && strstr(buf, "\"blackhole\":true") &&
              strstr(buf, want),
          "status says B is dropped");
    tc_qdisc(out, sizeof out);
    check(strstr(out, "qdisc htb 1: root") && strstr(out, "default 0xfa11") &&
              strstr(out, "qdisc pfifo 2: parent 1:2 limit 0p"),
          "tc sees htb 1: default 0xfa11 and pfifo 2: limit 0 under 1:2");
    char classes[4096];
    snprintf(buf, sizeof buf, "tc class show dev %s", ifname);
    run(buf, classes, sizeof classes);
    check(strstr(classes, "class htb 1:2") && !strstr(classes, "1:fa11"),
          "the default class 1:fa11 does not exist, 1:2 does");

    long long drop0 = number_after(out, "qdisc pfifo 2:", "dropped ");
    long long direct0 = number_after(out, "qdisc htb 1:", "direct_packets_stat ");
    expect(A, B, 0);
    tc_qdisc(out, sizeof out);
    long long drop1 = number_after(out, "qdisc pfifo 2:", "dropped ");
    check(drop1 - drop0 == PROBE_COUNT, "the black hole counted the %d lost: %lld -> %lld",
          PROBE_COUNT, drop0, drop1);
    expect(A, C, 1);
    tc_qdisc(out, sizeof out);
    printf("%s", out); /* the kernel's view, for the log */
    long long direct1 = number_after(out, "qdisc htb 1:", "direct_packets_stat ");
    check(direct1 - direct0 >= PROBE_COUNT,
          "unclassified packets (to C) took htb's direct path: direct_packets_stat %lld -> %lld",
          direct0, direct1);
    fl_net_state st;
    memset(&st, 0, sizeof st);
    r = fl_net_state_get(na, ifname, &st, err, sizeof err);
    check(r == 0 && st.dropped == (uint64_t)drop1,
          "state's dropped_packets = the kernel's pfifo drops (%llu)",
          (unsigned long long)st.dropped);
    int cut_ab[3][3] = {{0}};
    cut_ab[A][B] = 1;
    expect_matrix("A drops to B: one way only", cut_ab);

    /* The same set again (with a repeat) changes nothing. */
    const char *b_twice[] = {H[B].addr, H[B].addr};
    check(CALL(fl_net_partition(na, ifname, b_twice, 2, err, sizeof err)) &&
              state_drops(na, only_b, 1),
          "partition with the same set again");
    char filter_cmd[128];
    snprintf(filter_cmd, sizeof filter_cmd, "tc filter show dev %s", ifname);
    run(filter_cmd, out, sizeof out);
    check(count_lines(out, "match ") == 1, "one u32 filter in force (%d)",
          count_lines(out, "match "));

    /* Replace: now C instead of B. */
    t0 = now_us();
    r = fl_net_partition(na, ifname, only_c, 1, err, sizeof err);
    check(r == 0 && state_drops(na, only_c, 1), "partition A: drop C instead (%.0f us) %s",
          now_us() - t0, r ? err : "");
    run(filter_cmd, out, sizeof out);
    check(count_lines(out, "match ") == 1, "the old filter is gone (%d filters)",
          count_lines(out, "match "));
    int cut_ac[3][3] = {{0}};
    cut_ac[A][C] = 1;
    expect_matrix("A drops to C (replaced B)", cut_ac);

    /* Both ways between A and B: a filter on each sender. */
    check(CALL(fl_net_partition(na, ifname, only_b, 1, err, sizeof err)), "partition A: drop B");
    check(CALL(fl_net_partition(nb, ifname, only_a, 1, err, sizeof err)), "partition B: drop A");
    int cut_both[3][3] = {{0}};
    cut_both[A][B] = cut_both[B][A] = 1;
    expect_matrix("A and B cut both ways, C sees both", cut_both);
    check(CALL(fl_net_heal(nb, ifname, err, sizeof err)), "heal B");
    expect_matrix("only A drops to B again", cut_ab);

    /* Heal, twice. */
    t0 = now_us();
    r = fl_net_heal(na, ifname, err, sizeof err);
    check(r == 0, "heal A (%.0f us) %s", now_us() - t0, r ? err : "");
    check(fl_net_status(na, ifname, buf, sizeof buf) == 0 &&
              strstr(buf, "\"installed\":false") && strstr(buf, "\"root_qdisc\":\"noqueue\""),
          "status after heal: %s", buf);
    tc_qdisc(out, sizeof out);
    check(strstr(out, "qdisc noqueue 0: root") && !strstr(out, "htb"),
          "tc sees the default noqueue root again");
    expect_matrix("healed", none);
    check(CALL(fl_net_heal(na, ifname, err, sizeof err)), "heal again");

    /* Timing with 4 destinations. */
    const char *set1[] = {H[B].addr, "10.213.99.21", "10.213.99.22", "10.213.99.23"};
    const char *set2[] = {H[C].addr, "10.213.99.24", "10.213.99.25", "10.213.99.26"};
    double fresh[ROUNDS], replace[ROUNDS], same[ROUNDS], heal[ROUNDS], heal_none[ROUNDS];
    int timing_ok = 1;
    for (int i = 0; i < ROUNDS; i++) {
        t0 = now_us();
        timing_ok &= CALL(fl_net_partition(na, ifname, set1, 4, err, sizeof err));
        fresh[i] = now_us() - t0;
        t0 = now_us();
        timing_ok &= CALL(fl_net_partition(na, ifname, set2, 4, err, sizeof err));
        replace[i] = now_us() - t0;
        t0 = now_us();
        timing_ok &= CALL(fl_net_partition(na, ifname, set2, 4, err, sizeof err));
        same[i] = now_us() - t0;
        timing_ok &= state_drops(na, set2, 4);
        t0 = now_us();
        timing_ok &= CALL(fl_net_heal(na, ifname, err, sizeof err));
        heal[i] = now_us() - t0;
        t0 = now_us();
        timing_ok &= CALL(fl_net_heal(na, ifname, err, sizeof err));
        heal_none[i] = now_us() - t0;
    }
    check(timing_ok, "%d rounds of apply/replace/heal with 4 destinations", ROUNDS);
    summary("apply 4 (nothing installed)", fresh, ROUNDS);
    summary("apply 4 (replacing 4 others)", replace, ROUNDS);
    summary("apply 4 (same set: no change)", same, ROUNDS);
    summary("heal (4 installed)", heal, ROUNDS);
    summary("heal (nothing installed)", heal_none, ROUNDS);
    check(CALL(fl_net_partition(na, ifname, set1, 4, err, sizeof err)) &&
              CALL(fl_net_partition(na, ifname, set2, 4, err, sizeof err)),
          "partition 4, replaced by 4 others");
    int cut_c[3][3] = {{0}};
    cut_c[A][C] = 1;
    expect_matrix("after the rounds: A drops to C (and 3 absent addresses)",
                  cut_c);

    /* A broken black hole (someone replaced the leaf) is repaired by the next partition. */
    snprintf(buf, sizeof buf, "tc qdisc replace dev %s parent 1:2 handle 3: pfifo limit 100",
             ifname);
    run(buf, out, sizeof out);
    check(CALL(fl_net_state_get(na, ifname, &st, err, sizeof err)) && !st.blackhole,
          "state sees the leaf is no black hole any more");
    check(CALL(fl_net_partition(na, ifname, set2, 4, err, sizeof err)) &&
              state_drops(na, set2, 4),
          "partition with the same set repairs it");
    expect(A, C, 0);

    /* An empty set is a heal. */
    check(CALL(fl_net_partition(na, ifname, NULL, 0, err, sizeof err)) &&
              CALL(fl_net_state_get(na, ifname, &st, err, sizeof err)) && !st.installed,
          "partition with no destinations heals");

    /* Someone else's root qdisc: heal leaves it, partition replaces it. */
    snprintf(buf, sizeof buf, "tc qdisc add dev %s root handle 5: pfifo limit 1000", ifname);
    run(buf, out, sizeof out);
    r = fl_net_heal(na, ifname, err, sizeof err);
    if (r == 0) r = fl_net_state_get(na, ifname, &st, err, sizeof err);
    check(r == 0 && strcmp(st.root_kind, "pfifo") == 0 && st.root_handle == 0x50000,
          "heal leaves a foreign root qdisc alone (%s %x:)", st.root_kind,
          st.root_handle >> 16);
    r = fl_net_partition(na, ifname, only_b, 1, err, sizeof err);
    check(r == 0 && state_drops(na, only_b, 1), "partition replaces a foreign root qdisc %s",
          r ? err : "");
    expect(A, B, 0);
    expect(A, C, 1);
    check(CALL(fl_net_heal(na, ifname, err, sizeof err)), "heal");
    snprintf(buf, sizeof buf, "tc qdisc add dev %s root handle 1: pfifo limit 1000", ifname);
    run(buf, out, sizeof out);
    r = fl_net_partition(na, ifname, only_b, 1, err, sizeof err);
    check(r == 0 && state_drops(na, only_b, 1),
          "partition replaces a foreign root qdisc with our handle 1: %s", r ? err : "");
    expect(A, B, 0);
    check(CALL(fl_net_heal(na, ifname, err, sizeof err)), "heal");

    /* Flow filters (what netem's slow-flows variant feeds netem with), on the black hole,
     * since this kernel has no netem: only the flows whose ports differ in the bit are
     * caught, both ways of them, and the state's read-back tells them from a partition. */
    check(CALL(fl_net_partition(na, ifname, only_c, 1, err, sizeof err)), "partition A: drop C");
    struct in_addr b_addr;
    inet_pton(AF_INET, H[B].addr, &b_addr);
    struct rtnl_link *link = fl_net_get_link(na, ifname, err, sizeof err);
    r = link ? fl_net_add_filter(na, link, 0x200, b_addr, 3, FL_NET_HOLE_CLASS, err, sizeof err)
             : -1;
    check(r == 0, "flow filters to B, port bit 3, into the black hole %s", r ? err : "");
    r = link ? fl_net_add_filter(na, link, FL_NET_NETEM_PRIO, b_addr, 5, FL_NET_NETEM_CLASS, err,
                                 sizeof err)
             : -1;
    check(r == 0, "flow filters to B, port bit 5, at netem's priority %s", r ? err : "");
    if (link) rtnl_link_put(link);
    r = fl_net_state_get(na, ifname, &st, err, sizeof err);
    check(r == 0 && state_drops(na, only_c, 1) && st.netem_count == 1 &&
              st.netem_to[0].s_addr == b_addr.s_addr && st.netem_params.flow_bit == 5,
          "state: the partition still drops only C; netem's filters go to B, flow bit %d",
          st.netem_params.flow_bit);
    static const struct { uint16_t sport, dport; int lost; } flows[] = {
        {40000, 50000, 0}, /* bit 3 of both 0 */
        {40008, 50008, 0}, /* of both 1 */
        {40008, 50000, 1}, /* they differ */
        {40000, 50008, 1},
        {40016, 50008, 1}, /* other bits do not matter */
        {40024, 50016, 1},
    };
    for (size_t i = 0; i < sizeof flows / sizeof *flows; i++) {
        int got = probe_ports(A, B, flows[i].sport, flows[i].dport);
        check(got == (flows[i].lost ? 0 : PROBE_COUNT), "A:%u->B:%u %s: %d/%d arrived",
              flows[i].sport, flows[i].dport, flows[i].lost ? "lost" : "delivered", got,
              PROBE_COUNT);
    }
    expect(B, A, 1); /* the filters are A's egress only */
    check(CALL(fl_net_heal(na, ifname, err, sizeof err)) &&
              CALL(fl_net_state_get(na, ifname, &st, err, sizeof err)) && !st.installed,
          "heal removes the flow filters with the rest");
    check(probe_ports(A, B, 40008, 50000) == PROBE_COUNT, "A:40008->B:50000 delivered again");

    /* Errors name the call and the reason; nothing is left behind. */
    r = fl_net_partition(na, "fl-nosuch0", only_b, 1, err, sizeof err);
    check(r == -1 && strstr(err, "rtnl_link_get_kernel(fl-nosuch0)"),
          "partition on a missing link: %s", err);
    r = fl_net_heal(na, "fl-nosuch0", err, sizeof err);
    check(r == -1 && strstr(err, "rtnl_link_get_kernel(fl-nosuch0)"),
          "heal on a missing link: %s", err);
    r = fl_net_status(na, "fl-nosuch0", buf, sizeof buf);
    check(r == -1 && strstr(buf, "rtnl_link_get_kernel(fl-nosuch0)"),
          "status on a missing link: %s", buf);
    const char *bad[] = {H[B].addr, "10.213.99.300"};
    r = fl_net_partition(na, ifname, bad, 2, err, sizeof err);
    check(r == -1 && strstr(err, "10.213.99.300") &&
              fl_net_state_get(na, ifname, &st, buf, sizeof buf) == 0 && !st.installed,
          "a bad address changes nothing: %s", err);
    r = fl_net_partition(na, ifname, only_b, FL_NET_DROP_MAX + 1, err, sizeof err);
    check(r == -1 && strstr(err, "at most"), "too many destinations: %s", err);
    r = fl_net_status(na, ifname, buf, 20);
    check(r == -1, "status into a 20-byte buffer fails: %s", buf);

    fl_net_close(na);
    fl_net_close(nb);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
