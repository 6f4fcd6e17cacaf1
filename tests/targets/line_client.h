/* What the daemon tests' JSON-lines clients (qkv_client, ../raftkv_server/rkv_client) share:
 * free loopback ports, connecting while a daemon comes up, sending lines (@FILE: a file's
 * contents) and reading reply lines, and the command line "[--timeout-ms T] [--wait-ms W]
 * [--pipeline] HOST:PORT LINE..." that prints one reply per line sent. */
#ifndef FL_TEST_LINE_CLIENT_H
#define FL_TEST_LINE_CLIENT_H

#include <netinet/in.h>
#include <stddef.h>

/* The client's name, for its messages on stderr ("qkv_client"). */
extern const char *lc_prog;

long long lc_now_ms(void);
/* "a.b.c.d:port": 0, or -1. */
int lc_parse_addr(const char *text, struct sockaddr_in *a);
/* Prints n TCP ports free on 127.0.0.1, below the ephemeral range (so no outgoing
 * connection takes one meanwhile), starting from a place derived from the pid: exit code. */
int lc_free_ports(int n);
/* A connected socket (TCP_NODELAY), retried for up to wait_ms while refused, or -1 (said
 * on stderr unless quiet). */
int lc_connect_retrying(const struct sockaddr_in *a, int wait_ms, int quiet);
/* Sends arg (or, written @FILE, FILE's contents without final newlines) and a '\n'. */
int lc_send_line(int fd, const char *arg);
/* Reads `lines` reply lines into out (the last one, without its '\n'), or prints them to
 * stdout when out is NULL: 0, or -1 on timeout (per read) or EOF. */
int lc_read_replies(int fd, int lines, int timeout_ms, char *out, size_t out_bytes);
typedef struct lc_flags {
    int timeout_ms, wait_ms, pipeline, all;
} lc_flags;
/* Reads the flags from argv[i] on (--all too when allow_all): the index of the first
 * argument that is not one. Defaults: timeout 5000 ms, no wait. */
int lc_parse_flags(int argc, char **argv, int i, lc_flags *f, int allow_all);

/* The requests mode, argv[i] being HOST:PORT (flags already read): exit code 0, or 2 when
 * a reply did not come or the connection failed. */
int lc_requests(int argc, char **argv, int i, int timeout_ms, int wait_ms, int pipeline);

#endif
