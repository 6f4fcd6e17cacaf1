/* TCP helpers for the loop (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void fl_addr_format(const struct sockaddr_in *a, char *out, size_t out_bytes) {
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(out, out_bytes, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
}

static void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* best effort */
}

int fl_tcp_listen(const struct sockaddr_in *a, int backlog, char *err, size_t err_bytes) {
    char where[64];
    fl_addr_format(a, where, sizeof where);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_bytes, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    const char *call = "setsockopt(SO_REUSEADDR)";
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) goto err;
    call = "bind";
    if (bind(fd, (const struct sockaddr *)a, sizeof *a) != 0) goto err;
    call = "listen";
    if (listen(fd, backlog) != 0) goto err;
    return fd;
err:
    snprintf(err, err_bytes, "%s %s: %s", call, where, strerror(errno));
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int fl_tcp_accept(int listen_fd, char *err, size_t err_bytes) {
    int fd;
    do fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int saved = errno;
        if (saved != EAGAIN && saved != EWOULDBLOCK)
            snprintf(err, err_bytes, "accept: %s", strerror(saved));
        errno = saved;
        return -1;
    }
    set_nodelay(fd);
    return fd;
}

int fl_tcp_connect(const struct sockaddr_in *a, int *in_progress, char *err, size_t err_bytes) {
    char where[64];
    fl_addr_format(a, where, sizeof where);
    *in_progress = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_bytes, "socket: %s", strerror(errno));
        return -1;
    }
    set_nodelay(fd);
    int rc = connect(fd, (const struct sockaddr *)a, sizeof *a);
    if (rc != 0 && errno != EINPROGRESS) {
        snprintf(err, err_bytes, "connect %s: %s", where, strerror(errno));
        close(fd);
        return -1;
    }
    *in_progress = rc != 0;
    return fd;
}

int fl_tcp_connect_result(int fd) {
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) return errno;
    return e;
}

void fl_tcp_user_timeout(int fd, unsigned ms) {
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms); /* best effort */
}
