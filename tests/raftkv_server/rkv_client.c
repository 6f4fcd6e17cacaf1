/* A small JSON-lines client for the fl-raftkv tests.
 *   rkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...
 *     One connection (retried for up to W ms while refused: a daemon coming up). Default:
 *     each line is sent after the previous one's reply; --pipeline sends them all at once.
 *     Prints one reply line per line sent, in arrival order. Exit 0 when all came, 2 when
 *     the timeout (per reply, default 5000 ms) passed or the server closed, 64 for usage.
 *     A LINE written @FILE is the contents of FILE.
 *   rkv_client leader [--timeout-ms T] [--all] HOST:PORT,...
 *     Asks every node for its status (every 50 ms) until one leads a term in which a
 *     majority of the list (itself included) follows it — with --all, every node that
 *     answers too; prints its name and the term. Exit 2 (with the last statuses on
 *     stderr) after T ms (default 5000).
 *   rkv_client free-ports N
 *     Prints N TCP ports free on 127.0.0.1, below the ephemeral range. */
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

#include <jansson.h>

#define PORT_LOW 20000
#define PORT_HIGH 32000 /* Linux's ephemeral range starts at 32768 */
#define NODES_MAX 15

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

static int connect_retrying(const struct sockaddr_in *a, int wait_ms, int quiet) {
    long long deadline = now_ms() + wait_ms;
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        if (fd < 0) return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (const struct sockaddr *)a, sizeof *a) == 0) return fd;
        int e = errno;
        close(fd);
        if (now_ms() >= deadline) {
            if (!quiet) fprintf(stderr, "rkv_client: connect: %s\n", strerror(e));
            return -1;
        }
        usleep(20000);
    }
}

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

static int send_line(int fd, const char *arg) {
    char *from_file = arg[0] == '@' ? slurp(arg + 1) : NULL;
    if (arg[0] == '@' && !from_file) {
        fprintf(stderr, "rkv_client: cannot read %s\n", arg + 1);
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

/* Reads `lines` reply lines into out (or stdout when out is NULL): 0, or -1 on timeout/EOF. */
static int read_replies(int fd, int lines, int timeout_ms, char *out, size_t out_bytes) {
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

/* One status request to addr: the reply's value object (a new reference), or NULL. */
static json_t *status_of(const char *addr, char *raw, size_t raw_bytes) {
    struct sockaddr_in a;
    snprintf(raw, raw_bytes, "(no answer)");
    if (parse_addr(addr, &a) != 0) return NULL;
    int fd = connect_retrying(&a, 0, 1);
    if (fd < 0) return NULL;
    json_t *v = NULL;
    if (send_line(fd, "{\"id\":0,\"f\":\"status\"}") == 0 && read_replies(fd, 1, 300, raw, raw_bytes) == 0) {
        json_t *reply = json_loads(raw, 0, NULL);
        v = json_incref(json_object_get(reply, "value"));
        json_decref(reply);
    }
    close(fd);
    return v;
}

static int find_leader(char *list, int timeout_ms, int all) {
    char *addrs[NODES_MAX], raw[NODES_MAX][512];
    int n = 0;
    for (char *t = strtok(list, ","); t && n < NODES_MAX; t = strtok(NULL, ",")) addrs[n++] = t;
    long long deadline = now_ms() + timeout_ms;
    do {
        json_t *st[NODES_MAX];
        for (int i = 0; i < n; i++) st[i] = status_of(addrs[i], raw[i], sizeof raw[i]);
        for (int i = 0; i < n; i++) {
            const char *role = json_string_value(json_object_get(st[i], "role"));
            if (!role || strcmp(role, "leader")) continue;
            const char *name = json_string_value(json_object_get(st[i], "node"));
            json_int_t term = json_integer_value(json_object_get(st[i], "term"));
            int agree = 0, answered = 0;
            for (int k = 0; k < n; k++) {
                const char *l = json_string_value(json_object_get(st[k], "leader"));
                answered += st[k] != NULL;
                agree += l && !strcmp(l, name) &&
                         json_integer_value(json_object_get(st[k], "term")) == term;
            }
            if (agree * 2 > n && (!all || agree == answered)) {
                printf("%s %lld\n", name, (long long)term);
                for (int k = 0; k < n; k++) json_decref(st[k]);
                return 0;
            }
        }
        for (int i = 0; i < n; i++) json_decref(st[i]);
        usleep(50000);
    } while (now_ms() < deadline);
    fprintf(stderr, "rkv_client: no leader with a majority within %d ms:\n", timeout_ms);
    for (int i = 0; i < n; i++) fprintf(stderr, "  %s: %s\n", addrs[i], raw[i]);
    return 2;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "free-ports")) return free_ports(atoi(argv[2]));
    int timeout_ms = 5000, wait_ms = 0, pipeline = 0, leader = 0, all = 0, i = 1;
    if (argc > 1 && !strcmp(argv[1], "leader")) leader = i = 2;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--pipeline")) pipeline = 1;
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) timeout_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) wait_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--all") && leader) all = 1;
        else break;
    }
    if (leader && i + 1 == argc) return find_leader(argv[i], timeout_ms, all);
    struct sockaddr_in a;
    if (leader || i >= argc || parse_addr(argv[i], &a) != 0) {
        fputs("usage: rkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...\n"
              "       rkv_client leader [--timeout-ms T] [--all] HOST:PORT,...\n"
              "       rkv_client free-ports N\n", stderr);
        return 64;
    }
    int fd = connect_retrying(&a, wait_ms, 0);
    if (fd < 0) return 2;
    int rc = 0, first = i + 1;
    if (pipeline) {
        for (int k = first; k < argc && rc == 0; k++) rc = send_line(fd, argv[k]);
        if (rc == 0) rc = read_replies(fd, argc - first, timeout_ms, NULL, 0);
    } else {
        for (int k = first; k < argc && rc == 0; k++)
            rc = send_line(fd, argv[k]) == 0 ? read_replies(fd, 1, timeout_ms, NULL, 0) : -1;
    }
    close(fd);
    if (rc != 0) fprintf(stderr, "rkv_client: %s: no reply in time or connection closed\n", argv[i]);
    return rc == 0 ? 0 : 2;
}
