/* `faultline serve`: the store over HTTP (libmicrohttpd), read-only. "/" regenerates and
 * shows store/index.html; every other path is a file or a directory of the store,
 * resolved by fl_store_path_resolve (store_paths.h), which refuses anything outside it.
 * Loopback only unless allow_remote: the store holds every history, log and config of
 * every run, and the server has no authentication. Runs until SIGINT or SIGTERM. */
#ifndef FL_SERVE_H
#define FL_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define FL_SERVE_DEFAULT_HOST "127.0.0.1"
#define FL_SERVE_DEFAULT_PORT 8080

typedef struct fl_serve_options {
    const char *store;  /* the store's directory */
    const char *bind;   /* HOST:PORT, [IPV6]:PORT or PORT (host 127.0.0.1); port 0: any */
    bool allow_remote;  /* allow a non-loopback address */
} fl_serve_options;

/* Serves until SIGINT/SIGTERM. 0 when stopped by a signal; 64 with err for a bad
 * --bind, a non-loopback address without allow_remote, or a store that is not a
 * directory; 3 with err when the socket or the server cannot start. */
int fl_serve_run(const fl_serve_options *o, char *err, size_t bytes);

/* --bind's address (resolved with getaddrinfo, so "localhost" works). 0, or -1 with
 * err. */
int fl_serve_parse_bind(const char *bind, struct sockaddr_storage *addr, socklen_t *len,
                        char *err, size_t bytes);
/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
bool fl_serve_is_loopback(const struct sockaddr *addr);

/* The Content-Type for a file name: html, json, jsonl (as text/plain, so browsers show
 * it), xml, log/txt, png; anything else application/octet-stream. */
const char *fl_serve_content_type(const char *name);
/* A simple HTML listing of the directory dir (a resolved path), titled with
 * request_path: names escaped, links percent-encoded, directories first, hidden names
 * left out. A malloc'd page with its size, or NULL when the directory cannot be read. */
char *fl_serve_listing(const char *dir, const char *request_path, size_t *size);

#endif
