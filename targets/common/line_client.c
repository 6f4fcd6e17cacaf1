/* A blocking client of the in-tree servers' JSON-lines protocol (see line_client.h). */
#include "line_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 4096
#define LINE_MAX_BYTES (16 << 20)

struct fl_line_client {
    int fd;
    int64_t next_id;
    char *buf;          /* bytes read and not yet consumed */
    size_t len, cap;
    char peer[64];
};

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

fl_line_client *fl_line_client_open(const char *host, int port, int timeout_ms, char *err,
                                    size_t bytes) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        snprintf(err, bytes, "%s is not an IPv4 address", host);
        return NULL;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, bytes, "socket: %s", strerror(errno));
        return NULL;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        rc = poll(&p, 1, timeout_ms);
        if (rc == 1) {
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            errno = soerr;
            rc = soerr ? -1 : 0;
        } else {
            errno = rc == 0 ? ETIMEDOUT : errno;
            rc = -1;
        }
    }
    if (rc != 0) {
        snprintf(err, bytes, "connect %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return NULL;
    }
    fl_line_client *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        snprintf(err, bytes, "out of memory");
        return NULL;
    }
    c->fd = fd;
    c->next_id = 1;
    snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
    return c;
}

bool fl_line_client_alive(const fl_line_client *c) { return c && c->fd >= 0; }

static void broken(fl_line_client *c, fl_line_reply *out, const char *what) {
    out->type = FL_LINE_INFO;
    snprintf(out->error, sizeof out->error, "%s", what);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static int send_all(fl_line_client *c, const char *data, size_t n, int64_t deadline) {
    while (n > 0) {
        ssize_t k = send(c->fd, data, n, MSG_NOSIGNAL);
        if (k > 0) {
            data += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EINTR) return -1;
        int left = (int)(deadline - now_ms());
        struct pollfd p = {c->fd, POLLOUT, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0) return -2;
    }
    return 0;
}

/* The next line (without '\n'), NUL-terminated in place; its length in *n. 0, -1 error
 * or closed, -2 timeout. */
static int read_line(fl_line_client *c, int64_t deadline, char **line, size_t *n) {
    for (;;) {
        char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            *nl = '\0';
            *line = c->buf;
            *n = (size_t)(nl - c->buf);
            return 0;
        }
        if (c->len + READ_CHUNK > c->cap) {
            if (c->cap > LINE_MAX_BYTES) return -1;
            size_t cap = c->cap ? c->cap * 2 : 2 * READ_CHUNK;
            char *b = realloc(c->buf, cap);
            if (!b) return -1;
            c->buf = b;
            c->cap = cap;
        }
        ssize_t k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (k > 0) {
            c->len += (size_t)k;
            continue;
        }
        if (k == 0 || (errno != EAGAIN && errno != EINTR)) return -1;
        int left = (int)(deadline - now_ms());
        struct pollfd p = {c->fd, POLLIN, 0};
        if (left <= 0) return -2;
        int r = poll(&p, 1, left);
        if (r == 0) return -2;
        if (r < 0 && errno != EINTR) return -1;
    }
}

static void consume(fl_line_client *c, size_t n) {
    memmove(c->buf, c->buf + n + 1, c->len - n - 1);
    c->len -= n + 1;
}

void fl_line_client_call(fl_line_client *c, const char *f, const json_t *key,
                         const json_t *value, int timeout_ms, fl_line_reply *out) {
    memset(out, 0, sizeof *out);
    if (c->fd < 0) return broken(c, out, "connection closed");
    int64_t id = c->next_id++, deadline = now_ms() + timeout_ms;
    json_t *msg = json_pack("{s:I,s:s}", "id", (json_int_t)id, "f", f);
    if (key) json_object_set(msg, "key", (json_t *)key);
    if (value) json_object_set(msg, "value", (json_t *)value);
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text) return broken(c, out, "cannot encode the request");
    size_t tn = strlen(text);
    text[tn] = '\n'; /* the NUL becomes the line end; tn + 1 bytes go out */
    int rc = send_all(c, text, tn + 1, deadline);
    free(text);
    if (rc == -2) return broken(c, out, "timeout");
    if (rc != 0) return broken(c, out, "connection lost while sending");
    for (;;) {
        char *line;
        size_t n;
        rc = read_line(c, deadline, &line, &n);
        if (rc == -2) return broken(c, out, "timeout");
        if (rc != 0) return broken(c, out, "connection closed before the reply");
        json_t *reply = json_loadb(line, n, 0, NULL);
        consume(c, n);
        const json_t *rid = json_object_get(reply, "id");
        if (!reply || !json_is_integer(rid)) {
            json_decref(reply);
            return broken(c, out, "malformed reply");
        }
        if (json_integer_value(rid) != id) { /* a late reply to an earlier request */
            json_decref(reply);
            continue;
        }
        const char *type = json_string_value(json_object_get(reply, "type"));
        const char *error = json_string_value(json_object_get(reply, "error"));
        out->type = type && !strcmp(type, "ok")     ? FL_LINE_OK
                    : type && !strcmp(type, "fail") ? FL_LINE_FAIL
                                                    : FL_LINE_INFO;
        out->value = json_incref(json_object_get(reply, "value"));
        const char *leader = json_string_value(json_object_get(reply, "leader"));
        if (leader) snprintf(out->leader, sizeof out->leader, "%s", leader);
        if (error) snprintf(out->error, sizeof out->error, "%s", error);
        else if (!type || out->type == FL_LINE_INFO)
            snprintf(out->error, sizeof out->error, "%s", type ? "info" : "reply without a type");
        json_decref(reply);
        return;
    }
}

void fl_line_client_close(fl_line_client *c) {
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    free(c->buf);
    free(c);
}
