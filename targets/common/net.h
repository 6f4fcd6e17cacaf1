/* TCP sockets for an event loop: non-blocking listen, accept and connect, with the
 * options a request/reply service over JSON lines wants (TCP_NODELAY). Errors name the
 * failing call and the address. */
#ifndef FL_TARGET_NET_H
#define FL_TARGET_NET_H

#include <netinet/in.h>
#include <stddef.h>

/* A non-blocking listening socket (SO_REUSEADDR): fd, or -1 with err. */
int fl_tcp_listen(const struct sockaddr_in *a, int backlog, char *err, size_t err_bytes);
/* One pending connection, non-blocking, TCP_NODELAY: fd; -1 with errno EAGAIN when none
 * is waiting; -1 with err (and errno kept) on a real failure (EMFILE, …). */
int fl_tcp_accept(int listen_fd, char *err, size_t err_bytes);
/* Starts a non-blocking connect: fd, with *in_progress = 1 when the result comes later
 * (the fd turns writable; then ask fl_tcp_connect_result), or -1 with err. */
int fl_tcp_connect(const struct sockaddr_in *a, int *in_progress, char *err, size_t err_bytes);
/* After a non-blocking connect turned writable: 0 if connected, else the errno. */
int fl_tcp_connect_result(int fd);
/* Give up on unacknowledged data after ms (TCP_USER_TIMEOUT): a partitioned peer's
 * connection then fails instead of queueing for minutes. */
void fl_tcp_user_timeout(int fd, unsigned ms);
/* "a.b.c.d:port" */
void fl_addr_format(const struct sockaddr_in *a, char *out, size_t out_bytes);

#endif
