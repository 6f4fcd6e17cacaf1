/* What the daemon tests' JSON-lines clients share (see line_client.h). */
#include "line_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORT_LOW 20000
#define PORT_HIGH 32000 /* Linux's ephemeral range starts at 32768 */

long long lc_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lc_parse_addr(const char *text, struct sockaddr_in *a) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int lc_free_ports(int n) {
    int found = 0, span = PORT_HIGH - PORT_LOW;
    int start = (int)(((unsigned)getpid() * 7919u) % (unsigned)span);
    for (int k = 0; k < span && found < n; k++) {
        int port = PORT_LOW + (start + k) % span;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            printf("%d\n", port);
            found++;
        }
        if (fd >= 0) close(fd);
    }
    return found == n ? 0 : 2;
}

int lc_connect_retrying(const struct sockaddr_in *a, int wait_ms, int quiet) {
    long long deadline = lc_now_ms() + wait_ms;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0) return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (const struct sockaddr *)a, sizeof *a) == 0) return fd;
        int e = errno;
        close(fd);
        if (lc_now_ms() >= deadline) {
            if (!quiet) fprintf(stderr, "%s: connect: %s\n", lc_prog, strerror(e));
            return -1;
        }
        usleep(20000);
    }
}

/* The contents of path, malloc'd, without a final newline; NULL if unreadable. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + n, 1, cap - n - 1, f)) > 0)
        if ((n += got) == cap - 1) text = realloc(text, cap *= 2);
    fclose(f);
    if (!text) return NULL;
    while (n > 0 && text[n - 1] == '\n') n--;
    text[n] = '\0';
    return text;
}

int lc_send_line(int fd, const char *arg) {
    char *from_file = arg[0] == '@' ? slurp(arg + 1) : NULL;
    if (arg[0] == '@' && !from_file) {
        fprintf(stderr, "%s: cannot read %s\n", lc_prog, arg + 1);
        return -1;
    }
    const char *line = from_file ? from_file : arg;
    size_t n = strlen(line), off = 0;
    char *framed = malloc(n + 1);
    if (!framed) return -1;
    memcpy(framed, line, n);
    framed[n] = '\n';
    while (off < n + 1) {
        ssize_t w = send(fd, framed + off, n + 1 - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(framed);
    free(from_file);
    return off == n + 1 ? 0 : -1;
}

int lc_read_replies(int fd, int lines, int timeout_ms, char *out, size_t out_bytes) {
    static char buf[1 << 20];
    size_t used = 0;
    while (lines > 0) {
        char *nl = memchr(buf, '\n', used);
        if (nl) {
            size_t n = (size_t)(nl - buf) + 1;
            if (out) snprintf(out, out_bytes, "%.*s", (int)n - 1, buf);
            else fwrite(buf, 1, n, stdout);
            used -= n;
            memmove(buf, nl + 1, used);
            lines--;
            continue;
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (used == sizeof buf || poll(&p, 1, timeout_ms) != 1) return -1;
        ssize_t n = read(fd, buf + used, sizeof buf - used);
        if (n <= 0) return -1;
        used += (size_t)n;
    }
    fflush(stdout);
    return 0;
}

int lc_requests(int argc, char **argv, int i, int timeout_ms, int wait_ms, int pipeline) {
    struct sockaddr_in a;
    if (lc_parse_addr(argv[i], &a) != 0) return 64;
    int fd = lc_connect_retrying(&a, wait_ms, 0);
    if (fd < 0) return 2;
    int rc = 0, first = i + 1;
    if (pipeline) {
        for (int k = first; k < argc && rc == 0; k++) rc = lc_send_line(fd, argv[k]);
        if (rc == 0) rc = lc_read_replies(fd, argc - first, timeout_ms, NULL, 0);
    } else {
        for (int k = first; k < argc && rc == 0; k++)
            rc = lc_send_line(fd, argv[k]) == 0 ? lc_read_replies(fd, 1, timeout_ms, NULL, 0) : -1;
    }
    close(fd);
    if (rc != 0)
        fprintf(stderr, "%s: %s: no reply in time or connection closed\n", lc_prog, argv[i]);
    return rc == 0 ? 0 : 2;
}

int lc_parse_flags(int argc, char **argv, int i, lc_flags *f, int allow_all) {
    *f = (lc_flags){.timeout_ms = 5000};
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--pipeline")) f->pipeline = 1;
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) f->timeout_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) f->wait_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--all") && allow_all) f->all = 1;
        else break;
    }
    return i;
}
