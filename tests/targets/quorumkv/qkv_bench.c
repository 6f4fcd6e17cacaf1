/* A closed-loop load generator for fl-quorumkv (and any in-tree server speaking
 * read/write JSON lines): C clients, each with one connection (spread over the addresses)
 * and one request outstanding, for S seconds; prints ops/s, outcomes and latency.
 *   qkv_bench --addrs HOST:PORT,... [--clients 10] [--seconds 3] [--f write|read|mixed]
 *             [--keys 100]
 * Not a test: a measuring tool (numbers quoted in the quorumkv notes). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS_MAX 256
#define ADDRS_MAX 16
#define BUCKET_US 50
#define BUCKETS 200000 /* 10 s */

typedef struct client {
    int fd;
    char in[65536];
    size_t used;
    long long sent_us;
    int is_write;
} client;

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int connect_to(const char *text) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static unsigned long long rng = 88172645463325252ull;
static unsigned long long next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int issue(client *c, const char *f, int keys, long long id) {
    char line[256];
    int is_write = !strcmp(f, "write") || (!strcmp(f, "mixed") && next_random() % 2);
    int key = (int)(next_random() % (unsigned)keys);
    int n = is_write ? snprintf(line, sizeof line,
                                "{\"id\":%lld,\"f\":\"write\",\"key\":%d,\"value\":%lld}\n", id, key, id)
                     : snprintf(line, sizeof line, "{\"id\":%lld,\"f\":\"read\",\"key\":%d}\n", id, key);
    c->is_write = is_write;
    c->sent_us = now_us();
    return send(c->fd, line, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

static unsigned hist[2][BUCKETS];
static long long count[2][3]; /* [read/write][ok/fail/info] */

static void record(const client *c, const char *reply) {
    long long us = now_us() - c->sent_us;
    long long b = us / BUCKET_US;
    hist[c->is_write][b >= BUCKETS ? BUCKETS - 1 : b]++;
    int outcome = strstr(reply, "\"type\":\"ok\"") ? 0 : strstr(reply, "\"type\":\"fail\"") ? 1 : 2;
    count[c->is_write][outcome]++;
}

static double quantile(const unsigned *h, long long total, double q) {
    long long want = (long long)(q * (double)total), seen = 0;
    for (int b = 0; b < BUCKETS; b++)
        if ((seen += h[b]) > want) return (b + 0.5) * BUCKET_US / 1000.0;
    return BUCKETS * BUCKET_US / 1000.0;
}

static void report(double seconds) {
    for (int w = 0; w < 2; w++) {
        long long total = count[w][0] + count[w][1] + count[w][2];
        if (!total) continue;
        printf("%-5s %8.0f ops/s  ok %lld fail %lld info %lld  latency ms p50 %.2f p99 %.2f max<=%.2f\n",
               w ? "write" : "read", (double)total / seconds, count[w][0], count[w][1], count[w][2],
               quantile(hist[w], total, 0.5), quantile(hist[w], total, 0.99),
               quantile(hist[w], total, 0.999999));
    }
}

int main(int argc, char **argv) {
    const char *addrs[ADDRS_MAX], *f = "write";
    int n_addrs = 0, clients = 10, seconds = 3, keys = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--addrs")) {
            for (char *t = strtok(argv[i + 1], ","); t && n_addrs < ADDRS_MAX; t = strtok(NULL, ","))
                addrs[n_addrs++] = t;
        } else if (!strcmp(argv[i], "--clients")) clients = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--f")) f = argv[i + 1];
        else if (!strcmp(argv[i], "--keys")) keys = atoi(argv[i + 1]);
    }
    if (!n_addrs || clients < 1 || clients > CLIENTS_MAX || keys < 1 || seconds < 1) {
        fputs("usage: qkv_bench --addrs HOST:PORT,... [--clients N] [--seconds S] "
              "[--f write|read|mixed] [--keys K]\n", stderr);
        return 64;
    }
    static client cs[CLIENTS_MAX];
    struct pollfd ps[CLIENTS_MAX];
    long long id = 0;
    for (int i = 0; i < clients; i++) {
        cs[i].fd = connect_to(addrs[i % n_addrs]);
        if (cs[i].fd < 0 || issue(&cs[i], f, keys, ++id) != 0) {
            fprintf(stderr, "qkv_bench: cannot connect to %s\n", addrs[i % n_addrs]);
            return 2;
        }
        ps[i] = (struct pollfd){cs[i].fd, POLLIN, 0};
    }
    long long start = now_us(), end = start + (long long)seconds * 1000000;
    while (now_us() < end) {
        if (poll(ps, (nfds_t)clients, 100) < 0) return 2;
        for (int i = 0; i < clients; i++) {
            if (!(ps[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            client *c = &cs[i];
            ssize_t n = read(c->fd, c->in + c->used, sizeof c->in - c->used);
            if (n <= 0) return fprintf(stderr, "qkv_bench: a server closed\n"), 2;
            c->used += (size_t)n;
            char *nl;
            while ((nl = memchr(c->in, '\n', c->used))) {
                *nl = '\0';
                record(c, c->in);
                c->used -= (size_t)(nl - c->in) + 1;
                memmove(c->in, nl + 1, c->used);
                if (issue(c, f, keys, ++id) != 0) return 2;
            }
        }
    }
    report((double)(now_us() - start) / 1e6);
    return 0;
}
