/* Unit tests of targets/common: addresses and peer lists, the capped buffer, line
 * connections over a socketpair, the event loop's timers, fds, hook and signals, pidfiles,
 * the servers' common flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conn.h"
#include "loop.h"
#include "net.h"
#include "node_flags.h"
#include "pidfile.h"

/* ---- addresses ---- */

static void test_addr_parse(void **state) {
    (void)state;
    struct sockaddr_in a;
    char err[256], text[64];
    assert_int_equal(fl_addr_parse("127.0.0.1:7001", &a, err, sizeof err), 0);
    fl_addr_format(&a, text, sizeof text);
    assert_string_equal(text, "127.0.0.1:7001");
    assert_int_equal(fl_addr_parse("localhost:80", &a, err, sizeof err), 0);
    assert_int_equal(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK);
    const char *bad[] = {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                         "127.0.0.1:8x", "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(fl_addr_parse(bad[i], &a, err, sizeof err), -1);
        assert_non_null(strstr(err, bad[i])); /* the message names the text */
    }
}

static void test_peers_parse(void **state) {
    (void)state;
    fl_peer_addr p[4];
    size_t n = 0;
    char err[256];
    assert_int_equal(fl_peers_parse("n2=10.0.0.2:7001,n1=10.0.0.1:7001", p, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "n2");
    assert_string_equal(p[1].text, "10.0.0.1:7001");
    assert_int_equal(ntohs(p[1].addr.sin_port), 7001);
    const char *bad[] = {"", "n1", "=1.2.3.4:5", "n 1=1.2.3.4:5", "n1=1.2.3.4:5,n1=1.2.3.4:6",
                         "n1=1.2.3.4", "a=1.1.1.1:1,b=1.1.1.1:1,c=1.1.1.1:1,d=1.1.1.1:1,e=1.1.1.1:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(fl_peers_parse(bad[i], p, 4, &n, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
    assert_true(fl_name_valid("n1.a-b_C"));
    assert_false(fl_name_valid("n/1"));
    assert_false(fl_name_valid(""));
}

/* ---- the buffer ---- */

static void test_buf(void **state) {
    (void)state;
    fl_buf b;
    fl_buf_init(&b, 1000);
    assert_int_equal(fl_buf_append(&b, "hello", 5), 0);
    assert_int_equal(fl_buf_printf(&b, " %d", 42), 0);
    assert_int_equal(fl_buf_len(&b), 8);
    assert_memory_equal(fl_buf_bytes(&b), "hello 42", 8);
    fl_buf_consume(&b, 6);
    assert_memory_equal(fl_buf_bytes(&b), "42", 2);
    json_t *j = json_pack("{s:[i,s,n]}", "a", 1, "x\ny");
    assert_int_equal(fl_buf_append_json(&b, j), 0);
    json_decref(j);
    assert_int_equal(fl_buf_len(&b), 2 + strlen("{\"a\":[1,\"x\\ny\",null]}"));
    assert_null(memchr(fl_buf_bytes(&b), '\n', fl_buf_len(&b)));
    fl_buf_truncate(&b, 1);
    assert_int_equal(fl_buf_len(&b), 1);
    /* the cap counts live bytes: consumed ones are reclaimed */
    char big[999];
    memset(big, 'x', sizeof big);
    assert_int_equal(fl_buf_append(&b, big, sizeof big), 0);
    assert_int_equal(fl_buf_append(&b, "y", 1), -1);
    assert_int_equal(fl_buf_len(&b), 1000);
    fl_buf_consume(&b, 500);
    assert_int_equal(fl_buf_append(&b, big, 500), 0);
    assert_int_equal(fl_buf_len(&b), 1000);
    fl_buf_clear(&b);
    assert_int_equal(fl_buf_len(&b), 0);
    fl_buf_free(&b);
}

/* ---- connections ---- */

typedef struct lines {
    char got[8][64];
    int n, stop_after;
} lines;

static int collect(void *arg, char *line, size_t len) {
    lines *l = arg;
    assert_int_equal(strlen(line), len);
    if (l->n < 8) snprintf(l->got[l->n], sizeof l->got[0], "%s", line);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static void test_conn_lines(void **state) {
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fl_conn c;
    fl_conn_init(&c, sv[0], 16, 32);
    lines l = {0};
    char err[128];
    assert_int_equal(fl_conn_read(&c, collect, &l, err, sizeof err), FL_CONN_OK); /* nothing */
    assert_int_equal(write(sv[1], "a\nbb\r\ncc", 8), 8);
    assert_int_equal(fl_conn_read(&c, collect, &l, err, sizeof err), FL_CONN_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.got[0], "a");
    assert_string_equal(l.got[1], "bb");
    assert_int_equal(write(sv[1], "c\n\n", 3), 3);
    assert_int_equal(fl_conn_read(&c, collect, &l, err, sizeof err), FL_CONN_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.got[2], "ccc");
    assert_string_equal(l.got[3], "");
    /* output: queued, flushed, capped */
    assert_int_equal(fl_conn_send(&c, "0123456789012345678901234567890", 31), 0);
    assert_int_equal(fl_conn_send(&c, "xy", 2), -1);
    assert_true(fl_conn_pending(&c));
    assert_int_equal(fl_conn_flush(&c, err, sizeof err), 0);
    assert_false(fl_conn_pending(&c));
    char back[64];
    assert_int_equal(read(sv[1], back, sizeof back), 31);
    /* a line past line_bytes_max, then the other side closing */
    assert_int_equal(write(sv[1], "0123456789abcdefghij", 20), 20);
    assert_int_equal(fl_conn_read(&c, collect, &l, err, sizeof err), FL_CONN_ERROR);
    assert_non_null(strstr(err, "longer than 16"));
    fl_conn_close(&c);
    close(sv[1]);
}

static void test_conn_eof_and_stop(void **state) {
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fl_conn c;
    fl_conn_init(&c, sv[0], 64, 64);
    lines l = {.stop_after = 1};
    char err[128];
    assert_int_equal(write(sv[1], "one\ntwo\nthr", 11), 11);
    assert_int_equal(fl_conn_read(&c, collect, &l, err, sizeof err), FL_CONN_OK);
    assert_int_equal(l.n, 1); /* stopped after the first */
    l.stop_after = 0;
    close(sv[1]);
    assert_int_equal(fl_conn_read(&c, collect, &l, err, sizeof err), FL_CONN_EOF);
    assert_int_equal(l.n, 2); /* "two" came with the EOF read; "thr" was torn */
    assert_string_equal(l.got[1], "two");
    fl_conn_close(&c);
}

/* ---- the loop ---- */

typedef struct fired {
    int order[8];
    int n;
    fl_timer *rearm;   /* re-armed once from its own callback, */
    int64_t rearm_at;  /* for this time: a fixed one, before the last timer's, so the order
                        * does not hang on how late a loaded machine runs the callback */
} fired;

static fired timers_fired;

static void on_timer(fl_loop *l, fl_timer *t) {
    fired *f = &timers_fired;
    if (f->n < 8) f->order[f->n] = (int)(intptr_t)t->arg;
    f->n++;
    if (f->rearm == t) {
        f->rearm = NULL;
        assert_int_equal(fl_timer_arm(l, t, f->rearm_at), 0);
    }
    if (f->n == 5) fl_loop_stop(l);
}

static void test_loop_timers(void **state) {
    (void)state;
    char err[128];
    fl_loop *l = fl_loop_new(64, 4, err, sizeof err);
    assert_non_null(l);
    fl_timer t[5];
    for (int i = 0; i < 5; i++) fl_timer_init(&t[i], on_timer, (void *)(intptr_t)i);
    int64_t now = fl_mono_ms();
    assert_int_equal(fl_timer_arm(l, &t[0], now + 30), 0);
    assert_int_equal(fl_timer_arm(l, &t[1], now + 10), 0);
    assert_int_equal(fl_timer_arm(l, &t[2], now + 20), 0);
    assert_int_equal(fl_timer_arm(l, &t[3], now + 5), 0);
    assert_int_equal(fl_timer_arm(l, &t[4], now + 1), -1); /* timers_max is 4 */
    fl_timer_disarm(l, &t[3]);
    assert_false(fl_timer_armed(&t[3]));
    assert_int_equal(fl_timer_arm(l, &t[4], now + 15), 0);
    assert_int_equal(fl_timer_arm(l, &t[0], now + 25), 0); /* re-arming moves it */
    memset(&timers_fired, 0, sizeof timers_fired);
    timers_fired.rearm = &t[2];
    timers_fired.rearm_at = now + 21;
    assert_int_equal(fl_loop_run(l, err, sizeof err), 0);
    int want[] = {1, 4, 2, 2, 0};
    assert_memory_equal(timers_fired.order, want, sizeof want);
    assert_true(fl_mono_ms() - now >= 25);
    fl_loop_free(l);
}

typedef struct pipe_state {
    int reads, hooks;
    int fds[2];    /* the two pipes' read ends */
    int write_end; /* any fd that is never readable */
    bool replaced; /* the first callback replaced the other pipe's fd */
    int stale;     /* callbacks on the fd that replaced it */
} pipe_state;

static void on_stale(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)l, (void)fd, (void)events;
    ((pipe_state *)arg)->stale++;
}

static void on_pipe(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)events;
    pipe_state *p = arg;
    char byte;
    assert_int_equal(read(fd, &byte, 1), 1);
    p->reads++;
    if (p->replaced) return;
    /* The other pipe's event is queued in this same batch: close its fd and put a never
     * readable one under the same number. Its queued event must not reach on_stale. */
    char err[64];
    int other = p->fds[0] == fd ? p->fds[1] : p->fds[0];
    fl_loop_del(l, other);
    assert_int_equal(dup2(p->write_end, other), other);
    assert_int_equal(fl_loop_add(l, other, EPOLLIN, on_stale, p, err, sizeof err), 0);
    p->replaced = true;
}

static bool hook(fl_loop *l, void *arg) {
    pipe_state *p = arg;
    p->hooks++;
    if (p->reads >= 2) fl_loop_stop(l);
    return p->hooks < 3; /* busy: the first turns must not sleep */
}

static void test_loop_fds_and_hook(void **state) {
    (void)state;
    char err[128];
    fl_loop *l = fl_loop_new(1024, 4, err, sizeof err);
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    pipe_state p = {.fds = {a[0], b[0]}, .write_end = a[1]};
    assert_int_equal(fl_loop_add(l, a[0], EPOLLIN, on_pipe, &p, err, sizeof err), 0);
    assert_int_equal(fl_loop_add(l, b[0], EPOLLIN, on_pipe, &p, err, sizeof err), 0);
    assert_int_equal(write(a[1], "xy", 2), 2);
    assert_int_equal(write(b[1], "zw", 2), 2);
    fl_loop_set_hook(l, hook, &p);
    assert_int_equal(fl_loop_run(l, err, sizeof err), 0);
    assert_int_equal(p.reads, 2); /* both from the pipe that kept its fd */
    assert_true(p.hooks >= 3);
    assert_int_equal(p.stale, 0);
    assert_int_equal(fl_loop_add(l, 2000, EPOLLIN, on_pipe, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "limit"));
    fl_loop_free(l);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

static void test_loop_signal(void **state) {
    (void)state;
    char err[128];
    fl_loop *l = fl_loop_new(64, 4, err, sizeof err);
    int sigs[] = {SIGUSR1};
    assert_int_equal(fl_loop_stop_on_signals(l, sigs, 1, err, sizeof err), 0);
    kill(getpid(), SIGUSR1); /* blocked: it waits in the signalfd */
    assert_int_equal(fl_loop_run(l, err, sizeof err), SIGUSR1);
    fl_loop_free(l);
}

/* ---- pidfile ---- */

static void test_pidfile(void **state) {
    (void)state;
    char dir[] = "/tmp/fl-pidfile-XXXXXX", path[128], err[256], text[32] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/d.pid", dir);
    assert_int_equal(fl_pidfile_write(path, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_int_equal(strtol(text, NULL, 10), getpid());
    fl_pidfile_remove(path);
    assert_int_not_equal(access(path, F_OK), 0);
    f = fopen(path, "w"); /* someone else's: left alone */
    fputs("1\n", f);
    fclose(f);
    fl_pidfile_remove(path);
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
    snprintf(path, sizeof path, "%s/missing/d.pid", dir);
    assert_int_equal(fl_pidfile_write(path, err, sizeof err), -1);
    assert_non_null(strstr(err, "missing"));
    rmdir(dir);
}

/* ---- the servers' common flags ---- */

typedef struct flags_under_test {
    const char *id;
    struct sockaddr_in listen;
    char listen_text[FL_ADDR_TEXT_BYTES];
    fl_peer_addr peers[4];
    size_t peer_count, self;
    const char *data_dir, *pidfile;
    long extra;
} flags_under_test;

static int own_flag(void *arg, int c, const char *value, char *err, size_t err_bytes) {
    flags_under_test *o = arg;
    if (c != 'x') return -1;
    return fl_flag_long("--extra", value, 1, 9, &o->extra, err, err_bytes);
}

static fl_flags_status parse_flags(flags_under_test *o, char *err, size_t err_bytes, ...) {
    static const struct option flags[] = {
        FL_NODE_FLAG_OPTIONS,
        {"extra", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char *argv[16] = {"server"};
    int argc = 1;
    va_list ap;
    va_start(ap, err_bytes);
    for (char *a; argc < 15 && (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    memset(o, 0, sizeof *o);
    fl_node_flags f = FL_NODE_FLAGS_OF(o);
    return fl_node_flags_parse(argc, argv, flags, 'h', &f, own_flag, o, err, err_bytes);
}

static void test_node_flags(void **state) {
    (void)state;
    flags_under_test o;
    char err[256] = "";
    /* the peers sorted by name whatever their order: this node's index is its rank */
    assert_int_equal(parse_flags(&o, err, sizeof err, "--id", "b", "--listen", "127.0.0.1:7002",
                                 "--peers", "c=127.0.0.1:7003,a=127.0.0.1:7001,b=127.0.0.1:7002",
                                 "--data-dir", "/d", "--pidfile", "/p", "--extra", "3", NULL),
                     FL_FLAGS_OK);
    assert_string_equal(o.id, "b");
    assert_int_equal(o.peer_count, 3);
    assert_string_equal(o.peers[0].name, "a");
    assert_string_equal(o.peers[2].name, "c");
    assert_int_equal(o.self, 1);
    assert_string_equal(o.listen_text, "127.0.0.1:7002");
    assert_string_equal(o.data_dir, "/d");
    assert_string_equal(o.pidfile, "/p");
    assert_int_equal(o.extra, 3);
    assert_int_equal(parse_flags(&o, err, sizeof err, "--help", NULL), FL_FLAGS_HELP);
    assert_int_equal(parse_flags(&o, err, sizeof err, "--id", "a", "--peers", "a=127.0.0.1:1",
                                 "--data-dir", "/d", NULL),
                     FL_FLAGS_BAD);
    assert_string_equal(err, "--listen is required");
    assert_int_equal(parse_flags(&o, err, sizeof err, "--id", "z", "--listen", "127.0.0.1:1",
                                 "--peers", "a=127.0.0.1:1", "--data-dir", "/d", NULL),
                     FL_FLAGS_BAD);
    assert_non_null(strstr(err, "--id z is not in --peers"));
    assert_int_equal(parse_flags(&o, err, sizeof err, "--id", "a", "--listen", "127.0.0.1:1",
                                 "--peers", "a=127.0.0.1:1,b=127.0.0.1:1", "--data-dir", "/d",
                                 NULL),
                     FL_FLAGS_BAD);
    assert_non_null(strstr(err, "have the same address"));
    assert_int_equal(parse_flags(&o, err, sizeof err, "--extra", "10", NULL), FL_FLAGS_BAD);
    assert_non_null(strstr(err, "--extra '10': expected an integer in 1..9"));
    assert_int_equal(parse_flags(&o, err, sizeof err, "--nope", NULL), FL_FLAGS_BAD);
    assert_non_null(strstr(err, "unknown flag"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_parse),       cmocka_unit_test(test_peers_parse),
        cmocka_unit_test(test_buf),              cmocka_unit_test(test_conn_lines),
        cmocka_unit_test(test_conn_eof_and_stop), cmocka_unit_test(test_loop_timers),
        cmocka_unit_test(test_loop_fds_and_hook), cmocka_unit_test(test_loop_signal),
        cmocka_unit_test(test_pidfile),          cmocka_unit_test(test_node_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
