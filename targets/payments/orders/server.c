/* fl-orders' threads and its request dispatch (see server.h). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "net.h"
#include "pidfile.h"
#include "request.h"
#include "saga.h"
#include "wire.h"

#define LINE_BYTES_MAX ((size_t)1 << 20)

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

typedef struct service {
    const or_options *o;
    or_table table;
    or_caller caller;
    or_saga saga;
    atomic_long connections, requests, malformed;
} service;

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *status_value(service *s) {
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node", s->o->id,
                     "mode", or_bug_name(s->o->bug), "orders", (json_int_t)s->table.count,
                     "pending", (json_int_t)ot_pending_count(&s->table), "calls",
                     (json_int_t)atomic_load(&s->caller.calls), "attempts",
                     (json_int_t)atomic_load(&s->caller.attempts), "retries",
                     (json_int_t)atomic_load(&s->caller.retries), "shed",
                     (json_int_t)atomic_load(&s->caller.shed), "timeouts",
                     (json_int_t)atomic_load(&s->caller.timeouts), "gave_up",
                     (json_int_t)atomic_load(&s->caller.gave_up));
}

/* One request line: its reply appended to out. */
static void handle(service *s, or_pay_conn *p, const char *line, size_t len, fl_buf *out) {
    atomic_fetch_add(&s->requests, 1);
    or_request q;
    or_request_parse(line, len, &q);
    or_answer a = {.type = "ok"};
    switch (q.f) {
    case OR_F_MALFORMED:
        atomic_fetch_add(&s->malformed, 1);
        a = (or_answer){.type = "fail", .error = "malformed"};
        snprintf(a.detail, sizeof a.detail, "%s", q.detail);
        break;
    case OR_F_UNKNOWN: a = (or_answer){.type = "fail", .error = "unknown-f"}; break;
    case OR_F_ORDER: or_saga_order(&s->saga, p, q.ckey, q.account, q.amount, &a); break;
    case OR_F_CANCEL: or_saga_cancel(&s->saga, p, q.ckey, &a); break;
    case OR_F_READ: or_saga_read(&s->saga, q.ckey, &a); break;
    case OR_F_SETTLE: {
        int64_t until = mono_ms() + q.wait_ms;
        size_t pending;
        while ((pending = ot_pending_count(&s->table)) > 0 && mono_ms() < until) usleep(50000);
        a.value = json_pack("{s:I}", "pending", (json_int_t)pending);
        break;
    }
    case OR_F_PING: break;
    case OR_F_STATUS: a.value = status_value(s); break;
    }
    int rc = !strcmp(a.type, "ok")
                 ? fl_reply_ok(out, q.id, a.value, s->o->id)
                 : fl_reply_error(out, q.id, a.type, a.error, a.detail[0] ? a.detail : NULL, NULL);
    if (rc != 0) fl_reply_error(out, q.id, "info", "reply-too-large", NULL, NULL);
    json_decref(a.value);
    or_request_free(&q);
}

static int send_all(int fd, const char *bytes, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, bytes, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        bytes += w, n -= (size_t)w;
    }
    return 0;
}

typedef struct conn_arg {
    service *s;
    int fd;
} conn_arg;

static void *conn_main(void *arg) {
    conn_arg c = *(conn_arg *)arg;
    free(arg);
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
    or_pay_conn p;
    or_pay_conn_init(&p, (uint64_t)mono_ms() ^ (uint64_t)c.fd * 0x9e3779b97f4a7c15ULL);
    fl_buf in, out;
    fl_buf_init(&in, LINE_BYTES_MAX + 4096);
    fl_buf_init(&out, 64u << 20);
    for (;;) {
        char *nl = fl_buf_len(&in) ? memchr(fl_buf_bytes(&in), '\n', fl_buf_len(&in)) : NULL;
        if (nl) {
            size_t len = (size_t)(nl - fl_buf_bytes(&in));
            handle(c.s, &p, fl_buf_bytes(&in), len, &out);
            fl_buf_consume(&in, len + 1);
            if (send_all(c.fd, fl_buf_bytes(&out), fl_buf_len(&out)) != 0) break;
            fl_buf_clear(&out);
            continue;
        }
        if (fl_buf_len(&in) > LINE_BYTES_MAX) break; /* a line too long: the connection goes */
        char chunk[65536];
        ssize_t r = recv(c.fd, chunk, sizeof chunk, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || fl_buf_append(&in, chunk, (size_t)r) != 0) break;
    }
    close(c.fd);
    fl_buf_free(&in);
    fl_buf_free(&out);
    or_pay_conn_close(&p);
    atomic_fetch_sub(&c.s->connections, 1);
    return NULL;
}

static void *resumer_main(void *arg) {
    service *s = arg;
    or_pay_conn p;
    or_pay_conn_init(&p, (uint64_t)mono_ms() * 0xbf58476d1ce4e5b9ULL);
    for (;;) { /* a pause after every batch too: a resumer must not hammer a payments
                  service that is down (its calls are first attempts, outside the budget) */
        or_saga_resume(&s->saga, &p);
        usleep((useconds_t)s->o->resume_ms * 1000);
    }
    return NULL;
}

static void start_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, fn, arg) != 0) {
        fl_log("cannot start a thread: %s; exiting", strerror(errno));
        _exit(1);
    }
    pthread_attr_destroy(&attr);
}

int or_serve(const or_options *o) {
    static service s; /* static: the threads outlive nothing but the process */
    char err[512];
    s.o = o;
    if (ot_open(&s.table, o->data_dir, err, sizeof err) != 0) {
        fl_log("cannot start: %s", err);
        return 1;
    }
    or_caller_init(&s.caller, o);
    s.saga = (or_saga){&s.table, &s.caller, o->bug};
    int lfd = fl_tcp_listen(&o->listen, 128, err, sizeof err);
    if (lfd < 0) {
        fl_log("cannot start: %s", err);
        return 1;
    }
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, sizeof err) != 0) {
        fl_log("cannot start: %s", err);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    start_thread(resumer_main, &s);
    fl_log("listening on %s; payments at %s:%d; %zu orders pending", o->listen_text,
           o->payments_host, o->payments_port, ot_pending_count(&s.table));
    while (!stopping) {
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};
        if (poll(&pfd, 1, 200) <= 0) continue;
        int fd = fl_tcp_accept(lfd, err, sizeof err);
        if (fd < 0) continue;
        conn_arg *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        *c = (conn_arg){&s, fd};
        atomic_fetch_add(&s.connections, 1);
        start_thread(conn_main, c);
    }
    close(lfd);
    fl_log("stopping: %zu orders, %zu pending", s.table.count, ot_pending_count(&s.table));
    return 0; /* the other threads end with the process; every state change is durable */
}
