/* A small JSON-lines client for the target tests: sends lines to a server and prints its
 * reply lines, so a shell script can check them.
 *   qkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...
 *     One connection (retried for up to W ms while refused: a daemon coming up). Default:
 *     each line is sent after the previous one's reply; --pipeline sends them all at once.
 *     Prints one reply line per line sent, in arrival order. Exit 0 when all came, 2 when
 *     the timeout (per reply, default 5000 ms) passed or the server closed, 64 for usage.
 *     A LINE written @FILE is the contents of FILE (a line too long for the command line).
 *   qkv_client free-ports N
 *     Prints N TCP ports free on 127.0.0.1, below the ephemeral range (so no outgoing
 *     connection takes one meanwhile), starting from a place derived from the pid. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_addr(const char *text, struct sockaddr_in *a) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int free_ports(int n) {
    int found = 0;
    int span = PORT_HIGH - PORT_LOW;
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

static int connect_retrying(const struct sockaddr_in *a, int wait_ms) {
    long long deadline = now_ms() + wait_ms;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0) return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (const struct sockaddr *)a, sizeof *a) == 0) return fd;
        int e = errno;
        close(fd);
        if (now_ms() >= deadline) {
            fprintf(stderr, "qkv_client: connect: %s\n", strerror(e));
            return -1;
        }
        usleep(20000);
    }
}

/* The contents of path, malloc'd, without a final newline; NULL if unreadable. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + n, 1, cap - n - 1, f)) > 0)
        if ((n += got) == cap - 1) text = realloc(text, cap *= 2);
    fclose(f);
    if (!text) return NULL;
    while (n > 0 && text[n - 1] == '\n') n--;
    text[n] = '\0';
    return text;
}

static int send_all(int fd, const char *arg) {
    char *from_file = arg[0] == '@' ? slurp(arg + 1) : NULL;
    if (arg[0] == '@' && !from_file) {
        fprintf(stderr, "qkv_client: cannot read %s\n", arg + 1);
        return -1;
    }
    const char *line = from_file ? from_file : arg;
    size_t n = strlen(line);
    char *framed = malloc(n + 1);
    if (!framed) return -1;
    memcpy(framed, line, n);
    framed[n] = '\n';
    size_t off = 0;
    while (off < n + 1) {
        ssize_t w = send(fd, framed + off, n + 1 - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    free(framed);
    free(from_file);
    return off == n + 1 ? 0 : -1;
}

/* Reads until `lines` reply lines have been printed; 0, or -1 on timeout or EOF. */
static int print_replies(int fd, int lines, int timeout_ms) {
    static char buf[1 << 20];
    size_t used = 0;
    while (lines > 0) {
        char *nl = memchr(buf, '\n', used);
        if (nl) {
            fwrite(buf, 1, (size_t)(nl - buf) + 1, stdout);
            used -= (size_t)(nl - buf) + 1;
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

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "free-ports")) return free_ports(atoi(argv[2]));
    int timeout_ms = 5000, wait_ms = 0, pipeline = 0, i = 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--pipeline")) pipeline = 1;
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) timeout_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) wait_ms = atoi(argv[++i]);
        else break;
    }
    struct sockaddr_in a;
    if (i >= argc || parse_addr(argv[i], &a) != 0) {
        fputs("usage: qkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...\n"
              "       qkv_client free-ports N\n", stderr);
        return 64;
    }
    int fd = connect_retrying(&a, wait_ms);
    if (fd < 0) return 2;
    int rc = 0, first = i + 1;
    if (pipeline) {
        for (int k = first; k < argc && rc == 0; k++) rc = send_all(fd, argv[k]);
        if (rc == 0) rc = print_replies(fd, argc - first, timeout_ms);
    } else {
        for (int k = first; k < argc && rc == 0; k++)
            rc = send_all(fd, argv[k]) == 0 ? print_replies(fd, 1, timeout_ms) : -1;
    }
    close(fd);
    if (rc != 0) fprintf(stderr, "qkv_client: %s: no reply in time or connection closed\n", argv[i]);
    return rc == 0 ? 0 : 2;
}
