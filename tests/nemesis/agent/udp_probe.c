/* A UDP probe for partition tests, run inside a node's namespace:
 *   udp_probe recv PORT MS          count datagrams per source address for MS ms or until
 *                                   SIGTERM, then print "ADDR COUNT" lines (says "ready"
 *                                   on stderr once bound)
 *   udp_probe send PORT N ADDR...   send N datagrams to each ADDR */
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SOURCES_MAX 64

/* SIGTERM ends the count: the test stops receivers once its senders are done, so a
 * loaded machine that starts a sender late cannot make a reachable pair look cut. */
static volatile sig_atomic_t stop;
static void on_term(int sig) {
    (void)sig;
    stop = 1;
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int receive(int port, long ms) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) != 0) return perror("bind"), 1;
    struct in_addr from[SOURCES_MAX];
    int count[SOURCES_MAX] = {0}, sources = 0;
    struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "ready\n");
    for (long end = now_ms() + ms; !stop && now_ms() < end;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(end - now_ms())) <= 0) continue;
        char buf[64];
        struct sockaddr_in src;
        socklen_t len = sizeof src;
        if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&src, &len) < 0) continue;
        int i = 0;
        while (i < sources && from[i].s_addr != src.sin_addr.s_addr) i++;
        if (i == sources && sources < SOURCES_MAX) from[sources++] = src.sin_addr;
        if (i < SOURCES_MAX) count[i]++;
    }
    for (int i = 0; i < sources; i++) printf("%s %d\n", inet_ntoa(from[i]), count[i]);
    return 0;
}

static int send_to(int port, int n, char **addrs, int count) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    for (int a = 0; a < count; a++) {
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (inet_pton(AF_INET, addrs[a], &to.sin_addr) != 1) return fprintf(stderr, "bad %s\n", addrs[a]), 1;
        for (int i = 0; i < n; i++) {
            sendto(fd, "probe", 5, 0, (struct sockaddr *)&to, sizeof to);
            usleep(1000);
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "recv")) return receive(atoi(argv[2]), atol(argv[3]));
    if (argc >= 5 && !strcmp(argv[1], "send"))
        return send_to(atoi(argv[2]), atoi(argv[3]), argv + 4, argc - 4);
    fprintf(stderr, "usage: udp_probe recv PORT MS | send PORT N ADDR...\n");
    return 2;
}
