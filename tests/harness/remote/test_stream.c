/* Long-lived stream channels (the agent's way in) on every node of a running cluster:
 * lines in and out in order on two streams at once while fl_remote_exec runs on the same
 * session, a command that ends by itself (last line, end of stream, exit status, stderr),
 * a read and a write that time out, writes after the command ended or after a cut line.
 * Exit 0 when all hold; otherwise each failure is printed.
 * usage: test_stream NODES_FILE (a running cluster, e.g. `faultline cluster up`) */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"

#ifndef LINES
#define LINES 100
#endif
#ifndef EXECS
#define EXECS 20
#endif
#define LONG_LINE 50          /* this one is 100 000 bytes: several SSH packets */
#define LONG_BYTES 100000
#define IO_MS 10000

static const char *node;      /* for messages */
static int failures;
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...) {
    va_list ap;
    pthread_mutex_lock(&fail_mu);
    fprintf(stderr, "FAIL %s: ", node);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
    pthread_mutex_unlock(&fail_mu);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Line i as written ("line 7"), the long one padded; odd ones carry their own '\n'. */
static char *line_for(int i, const char *prefix, bool newline) {
    size_t pad = i == LONG_LINE ? LONG_BYTES : 0;
    char *p = malloc(pad + 64);
    int n = snprintf(p, 64, "%sline %d", prefix, i);
    memset(p + n, 'x', pad);
    strcpy(p + n + pad, newline && i % 2 ? "\n" : "");
    return p;
}

typedef struct pump {
    fl_remote_stream *st;
    const char *what;         /* "cat" */
    const char *reply_prefix; /* what the command puts before each line it echoes */
} pump;

static void *write_lines(void *arg) {
    pump *p = arg;
    char err[FL_REMOTE_ERR_BYTES];
    for (int i = 0; i < LINES; i++) {
        char *line = line_for(i, "", true);
        int rc = fl_remote_stream_write_line(p->st, line, IO_MS, err);
        free(line);
        if (rc != 0) {
            fail("%s: write of line %d: %s", p->what, i, err);
            break;
        }
    }
    return NULL;
}

static void *read_lines(void *arg) {
    pump *p = arg;
    char err[FL_REMOTE_ERR_BYTES], *line;
    for (int i = 0; i < LINES; i++) {
        int rc = fl_remote_stream_read_line(p->st, IO_MS, &line, err);
        if (rc != 0) {
            fail("%s: read of reply %d returned %d: %s", p->what, i, rc, err);
            break;
        }
        char *want = line_for(i, p->reply_prefix, false);
        if (strcmp(line, want) != 0)
            fail("%s: reply %d is \"%.60s\" (%zu bytes), expected \"%.60s\" (%zu bytes)",
                 p->what, i, line, strlen(line), want, strlen(want));
        free(want);
        free(line);
    }
    return NULL;
}

static void *run_execs(void *arg) {
    fl_remote *s = arg;
    char err[FL_REMOTE_ERR_BYTES];
    for (int i = 0; i < EXECS; i++) {
        fl_exec_result r;
        if (fl_remote_exec(s, "true", IO_MS, &r, err) != 0) {
            fail("exec true #%d during the streams: %s", i, err);
            return NULL;
        }
        if (r.exit_status != 0)
            fail("exec true #%d exited %d", i, r.exit_status);
        fl_exec_result_free(&r);
    }
    return NULL;
}

/* Two streams at once, each with a writer and a reader thread, and a thread running
 * fl_remote_exec on the same session. */
static void echo_streams(fl_remote *s) {
    char err[FL_REMOTE_ERR_BYTES];
    pump p[2] = {{NULL, "cat", ""},
                 {NULL, "while-read", "got "}};
    const char *cmds[2] = {"cat",
                           "echo started >&2; while IFS= read -r l; do echo \"got $l\"; done"};
    pthread_t execer, w[2], r[2];
    for (int k = 0; k < 2; k++) {
        if (fl_remote_stream_open(s, cmds[k], &p[k].st, err) != 0) {
            fail("open %s: %s", p[k].what, err);
            if (k)
                fl_remote_stream_close(p[0].st, IO_MS);
            return;
        }
    }
    pthread_create(&execer, NULL, run_execs, s);
    for (int k = 0; k < 2; k++) {
        pthread_create(&w[k], NULL, write_lines, &p[k]);
        pthread_create(&r[k], NULL, read_lines, &p[k]);
    }
    pthread_join(execer, NULL);
    for (int k = 0; k < 2; k++) {
        pthread_join(w[k], NULL);
        pthread_join(r[k], NULL);
    }
    if (!strstr(fl_remote_stream_stderr(p[1].st), "started"))
        fail("while-read: stderr is \"%s\", expected \"started\"", fl_remote_stream_stderr(p[1].st));
    if (strlen(fl_remote_stream_stderr(p[0].st)) != 0)
        fail("cat: stderr is \"%s\", expected nothing", fl_remote_stream_stderr(p[0].st));
    for (int k = 0; k < 2; k++) {
        int status = fl_remote_stream_close(p[k].st, IO_MS);
        if (status != 0)
            fail("%s: close returned %d, expected exit status 0", p[k].what, status);
    }
}

/* A command that prints, complains and exits by itself. */
static void ends_by_itself(fl_remote *s) {
    char err[FL_REMOTE_ERR_BYTES], *line = NULL;
    fl_remote_stream *st;
    if (fl_remote_stream_open(s, "echo hi; echo warn >&2; exit 3", &st, err) != 0) {
        fail("open echo hi; exit 3: %s", err);
        return;
    }
    int rc = fl_remote_stream_read_line(st, IO_MS, &line, err);
    if (rc != 0 || strcmp(line, "hi") != 0)
        fail("exit 3: first read returned %d, \"%s\", expected 0, \"hi\" (%s)", rc,
             line ? line : "(null)", err);
    free(line);
    rc = fl_remote_stream_read_line(st, IO_MS, &line, err);
    if (rc != 1 || line)
        fail("exit 3: second read returned %d, expected 1 (end of stream) (%s)", rc, err);
    rc = fl_remote_stream_read_line(st, IO_MS, &line, err);
    if (rc != 1)
        fail("exit 3: a read after the end returned %d, expected 1 again (%s)", rc, err);
    if (strcmp(fl_remote_stream_stderr(st), "warn\n") != 0)
        fail("exit 3: stderr is \"%s\", expected \"warn\\n\"", fl_remote_stream_stderr(st));
    if (fl_remote_stream_write_line(st, "anyone?", IO_MS, err) == 0)
        fail("exit 3: a write after the command ended succeeded");
    else if (!strstr(err, "ended"))
        fail("exit 3: the write after the end says \"%s\", expected \"ended\"", err);
    int status = fl_remote_stream_close(st, IO_MS);
    if (status != 3)
        fail("exit 3: close returned %d, expected 3", status);
}

/* A command that says nothing: the read times out, the stream and session stay usable. */
static void read_timeout(fl_remote *s) {
    char err[FL_REMOTE_ERR_BYTES], *line = NULL;
    fl_remote_stream *st;
    if (fl_remote_stream_open(s, "sleep 5", &st, err) != 0) {
        fail("open sleep 5: %s", err);
        return;
    }
    double t0 = now_ms();
    int rc = fl_remote_stream_read_line(st, 200, &line, err);
    double took = now_ms() - t0;
    if (rc != -1 || line)
        fail("sleep 5: read with 200 ms returned %d, expected -1", rc);
    else if (!strstr(err, "timed out"))
        fail("sleep 5: the timeout says \"%s\", expected \"timed out\"", err);
    if (took < 190 || took > 1500)
        fail("sleep 5: read with 200 ms took %.0f ms", took);
    /* Nobody reads its stdin: once the node's window (2 MiB for OpenSSH) and the pipe are
     * full a write times out, and every later write refuses (the last line is cut). */
    char *big = malloc(65537);
    memset(big, 'y', 65536);
    big[65536] = '\0';
    int writes = 0;
    while (writes < 64 && fl_remote_stream_write_line(st, big, 300, err) == 0)
        writes++;
    free(big);
    if (writes == 64)
        fail("sleep 5: 4 MiB written to a command that reads nothing, expected a timeout");
    else if (!strstr(err, "timed out"))
        fail("sleep 5: write %d failed with \"%s\", expected \"timed out\"", writes, err);
    else if (fl_remote_stream_write_line(st, "more", 300, err) == 0 || !strstr(err, "earlier"))
        fail("sleep 5: a write after a cut line says \"%s\", expected \"earlier\"", err);
    t0 = now_ms();
    rc = fl_remote_stream_close(st, 300);
    took = now_ms() - t0;
    if (rc != -1)
        fail("sleep 5: close with 300 ms returned %d, expected -1 (still running)", rc);
    if (took > 2500)
        fail("sleep 5: close with 300 ms took %.0f ms", took);
    fl_exec_result r;
    if (fl_remote_exec(s, "echo ok", IO_MS, &r, err) != 0) {
        fail("exec after the abandoned stream: %s", err);
        return;
    }
    if (strcmp(r.out, "ok\n") != 0)
        fail("exec after the abandoned stream printed \"%s\"", r.out);
    fl_exec_result_free(&r);
}

int main(int argc, char **argv) {
    if (argc != 2)
        return fprintf(stderr, "usage: test_stream NODES_FILE\n"), 2;
    fl_nodes nodes;
    fl_control ctl;
    char err[1024];
    if (fl_nodes_read(argv[1], &nodes, err) != 0)
        return fprintf(stderr, "%s\n", err), 1;
    if (fl_control_open(&ctl, &nodes, false, 5000, err, sizeof err) != 0) {
        fprintf(stderr, "cannot reach every node: %s\n", err);
        for (size_t i = 0; i < nodes.count; i++)
            if (ctl.errors[i][0])
                fprintf(stderr, "  %s\n", ctl.errors[i]);
        fl_control_close(&ctl);
        fl_nodes_free(&nodes);
        return 1;
    }
    for (size_t i = 0; i < nodes.count; i++) {
        node = nodes.nodes[i].name;
        double t0 = now_ms();
        int before = failures;
        echo_streams(ctl.remotes[i]);
        ends_by_itself(ctl.remotes[i]);
        read_timeout(ctl.remotes[i]);
        printf("%s %s (%.0f ms)\n", failures == before ? "ok  " : "FAIL", node, now_ms() - t0);
    }
    fl_control_close(&ctl);
    fl_nodes_free(&nodes);
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    return failures != 0;
}
