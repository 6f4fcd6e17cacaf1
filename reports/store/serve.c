/* `faultline serve` (see serve.h): a libmicrohttpd daemon on one internal thread (one
 * request at a time: the index is rebuilt in place and nothing else is shared), a
 * socket bound here so that a refusal or a port in use names itself, and the main
 * thread waiting in sigwait for SIGINT/SIGTERM to stop it cleanly. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_index.h"
#include "store_paths.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result; /* before 0.9.71 handlers returned int */
#else
typedef enum MHD_Result mhd_result;
#endif

#define CONNECTIONS_MAX 64
#define CONNECTION_TIMEOUT_S 30
#define LISTEN_BACKLOG 64

/* Pages we write ourselves need nothing from the network; reports are self-contained. */
#define HTML_POLICY "default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; " \
                    "script-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'"

typedef struct server {
    char root[PATH_MAX]; /* the store's realpath: every file served is below it */
    bool said_index_unwritable;
} server;

/* One line per request on stderr, the path with its control bytes shown as '?'. */
static void log_request(const char *method, const char *url, unsigned status, const char *why) {
    char shown[512];
    size_t i = 0;
    for (; url[i] && i + 1 < sizeof shown; i++)
        shown[i] = (unsigned char)url[i] < 0x20 || url[i] == 0x7f ? '?' : url[i];
    shown[i] = '\0';
    fprintf(stderr, "%s %s %u%s%s\n", method, shown, status, why && why[0] ? " " : "", why ? why : "");
}

static mhd_result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                        const char *type) {
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (!strncmp(type, "text/html", 9)) MHD_add_response_header(r, "Content-Security-Policy", HTML_POLICY);
    mhd_result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static mhd_result send_text(struct MHD_Connection *c, unsigned status, const char *text) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                              MHD_RESPMEM_MUST_COPY);
    return queue(c, status, r, "text/plain; charset=utf-8");
}

static mhd_result send_file(struct MHD_Connection *c, const char *real, const char *method,
                            const char *url) {
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        log_request(method, url, MHD_HTTP_NOT_FOUND, "(vanished)");
        return send_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
    }
    log_request(method, url, MHD_HTTP_OK, NULL);
    /* MHD owns fd from here and closes it */
    return queue(c, MHD_HTTP_OK, MHD_create_response_from_fd64((uint64_t)st.st_size, fd),
                 fl_serve_content_type(real));
}

/* "/": the index rebuilt now, from memory when the store is not writable. */
static mhd_result send_index(server *s, struct MHD_Connection *c, const char *method) {
    char err[1024], path[PATH_MAX + 16];
    if (fl_store_index_write(s->root, err, sizeof err) == 0) {
        snprintf(path, sizeof path, "%s/index.html", s->root);
        return send_file(c, path, method, "/");
    }
    if (!s->said_index_unwritable)
        fprintf(stderr, "faultline serve: %s; serving the index from memory\n", err);
    s->said_index_unwritable = true;
    char *page = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&page, &size);
    int rc = out ? fl_store_index_render(out, s->root, err, sizeof err) : -1;
    if (out && fclose(out) != 0) rc = -1;
    if (rc != 0) {
        free(page);
        log_request(method, "/", MHD_HTTP_INTERNAL_SERVER_ERROR, err);
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 cannot read the store\n");
    }
    log_request(method, "/", MHD_HTTP_OK, NULL);
    return queue(c, MHD_HTTP_OK, MHD_create_response_from_buffer(size, page, MHD_RESPMEM_MUST_FREE),
                 "text/html; charset=utf-8");
}

static mhd_result send_directory(struct MHD_Connection *c, const char *real, const char *method,
                                 const char *url) {
    size_t n = strlen(url);
    if (url[n - 1] != '/') { /* relative links need the slash: ./x must mean dir/x */
        char *location = malloc(n + 2);
        if (!location) return MHD_NO;
        snprintf(location, n + 2, "%s/", url);
        struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
        free(location);
        log_request(method, url, MHD_HTTP_MOVED_PERMANENTLY, NULL);
        return queue(c, MHD_HTTP_MOVED_PERMANENTLY, r, "text/plain; charset=utf-8");
    }
    size_t size = 0;
    char *page = fl_serve_listing(real, url, &size);
    if (!page) {
        log_request(method, url, MHD_HTTP_FORBIDDEN, "(unreadable directory)");
        return send_text(c, MHD_HTTP_FORBIDDEN, "403 forbidden: the directory cannot be read\n");
    }
    log_request(method, url, MHD_HTTP_OK, NULL);
    return queue(c, MHD_HTTP_OK, MHD_create_response_from_buffer(size, page, MHD_RESPMEM_MUST_FREE),
                 "text/html; charset=utf-8");
}

static mhd_result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                         const char *version, const char *upload, size_t *upload_bytes, void **state) {
    static int seen; /* marks a request whose headers have arrived */
    (void)version, (void)upload;
    if (*state != &seen) { /* first call: headers only; answer on the next */
        *state = &seen;
        return MHD_YES;
    }
    if (*upload_bytes) { /* a body we do not want: drop it */
        *upload_bytes = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        log_request(method, url, MHD_HTTP_METHOD_NOT_ALLOWED, NULL);
        struct MHD_Response *r = MHD_create_response_from_buffer(
            strlen("405 read-only: GET and HEAD only\n"), "405 read-only: GET and HEAD only\n",
            MHD_RESPMEM_PERSISTENT);
        if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r, "text/plain; charset=utf-8");
    }
    server *s = cls;
    if (!strcmp(url, "/")) return send_index(s, c, method);
    char real[PATH_MAX], why[256], text[320];
    switch (fl_store_path_resolve(s->root, url, real, sizeof real, why, sizeof why)) {
    case FL_PATH_FILE: return send_file(c, real, method, url);
    case FL_PATH_DIR: return send_directory(c, real, method, url);
    case FL_PATH_NOT_FOUND:
        log_request(method, url, MHD_HTTP_NOT_FOUND, NULL);
        return send_text(c, MHD_HTTP_NOT_FOUND, "404 not found\n");
    case FL_PATH_BAD:
        log_request(method, url, MHD_HTTP_BAD_REQUEST, why);
        snprintf(text, sizeof text, "400 bad request: %s\n", why);
        return send_text(c, MHD_HTTP_BAD_REQUEST, text);
    case FL_PATH_FORBIDDEN: break;
    }
    log_request(method, url, MHD_HTTP_FORBIDDEN, why);
    snprintf(text, sizeof text, "403 forbidden: %s\n", why);
    return send_text(c, MHD_HTTP_FORBIDDEN, text);
}

/* URLs reach the handler as sent: fl_store_path_resolve decodes them itself, once, and
 * checks what it decoded. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls, (void)c;
    return strlen(s);
}

static int listen_on(const char *bind_text, const struct sockaddr_storage *addr, socklen_t len,
                     char *err, size_t bytes) {
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0) return snprintf(err, bytes, "socket: %s", strerror(errno)), -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (addr->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, (const struct sockaddr *)addr, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, bytes, "bind %s: %s%s", bind_text, strerror(errno),
                 errno == EADDRINUSE ? " (pick another port with --bind)" : "");
        close(fd);
        return -1;
    }
    return fd;
}

static void print_url(int fd, const char *store) {
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    socklen_t len = sizeof a;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&a, &len) == 0) {
        const struct sockaddr_in *v4 = (const void *)&a;
        const struct sockaddr_in6 *v6 = (const void *)&a;
        if (a.ss_family == AF_INET) {
            inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
            port = ntohs(v4->sin_port);
        } else {
            inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
            port = ntohs(v6->sin6_port);
        }
    }
    bool v6 = a.ss_family == AF_INET6;
    printf("faultline serve: %s at http://%s%s%s:%d/ (Ctrl-C stops)\n", store, v6 ? "[" : "", host,
           v6 ? "]" : "", port);
    fflush(stdout);
}

/* The store and the address, checked before anything listens. 0, or 64 with err. */
static int check_options(const fl_serve_options *o, server *s, struct sockaddr_storage *addr,
                         socklen_t *len, char *err, size_t bytes) {
    struct stat st;
    if (!realpath(o->store, s->root) || stat(s->root, &st) != 0)
        return snprintf(err, bytes, "--store %s: %s", o->store, strerror(errno)), 64;
    if (!S_ISDIR(st.st_mode)) return snprintf(err, bytes, "--store %s: not a directory", o->store), 64;
    if (!strcmp(s->root, "/"))
        return snprintf(err, bytes, "--store %s: serving / would serve the whole file system", o->store), 64;
    if (fl_serve_parse_bind(o->bind, addr, len, err, bytes) != 0) return 64;
    if (!o->allow_remote && !fl_serve_is_loopback((const struct sockaddr *)addr))
        return snprintf(err, bytes,
                        "--bind %s is not a loopback address: the store's histories, logs and "
                        "configs would be readable, without a password, by anyone who can reach "
                        "this machine. Add --allow-remote to serve them there anyway.", o->bind), 64;
    return 0;
}

int fl_serve_run(const fl_serve_options *o, char *err, size_t bytes) {
    static server s; /* read by the daemon's thread until it is stopped */
    memset(&s, 0, sizeof s);
    struct sockaddr_storage addr;
    socklen_t len;
    int rc = check_options(o, &s, &addr, &len, err, bytes);
    if (rc != 0) return rc;
    int fd = listen_on(o->bind, &addr, len, err, bytes);
    if (fd < 0) return 3;
    char index_err[1024];
    if (fl_store_index_write(s.root, index_err, sizeof index_err) != 0)
        fprintf(stderr, "faultline serve: %s\n", index_err);
    /* Block the stop signals before the daemon's thread exists: it inherits the mask, so
     * only sigwait below ever takes them. */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, &s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (!d) {
        close(fd);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return snprintf(err, bytes, "libmicrohttpd could not start (see above)"), 3;
    }
    print_url(fd, o->store);
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d); /* waits for the thread; closes the listening socket */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(stderr, "faultline serve: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
}
