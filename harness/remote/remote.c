/* The remote table's handles and the checks every implementation shares (see remote.h). */
#include "remote.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell_quote.h"

/* A live handle carries LIVE; close writes DEAD before freeing, so a handle used after
 * close trips an assertion as long as its memory has not been reused. */
#define REMOTE_LIVE 0x52454d31u /* "REM1" */
#define STREAM_LIVE 0x53545231u /* "STR1" */
#define HANDLE_DEAD 0xdeadc105u
#define STREAMS_MAX 64          /* open at once on one node; the agent needs one */

struct fl_remote {
    uint32_t magic;             /* REMOTE_LIVE until fl_remote_close */
    const fl_remote_ops *ops;   /* never NULL; every entry filled */
    void *handle;               /* the implementation's; never NULL while live */
    char name[64];              /* the node's, for messages */
    _Atomic int streams_open;   /* must be 0 at close: a stream lives on its node's handle */
};

struct fl_remote_stream {
    uint32_t magic;             /* STREAM_LIVE until fl_remote_stream_close */
    fl_remote *r;               /* the node it runs on; outlives the stream */
    void *handle;               /* the implementation's */
};

static const fl_remote_ops *const all_ops[] = {&fl_remote_ssh, &fl_remote_local};

const fl_remote_ops *fl_remote_ops_named(const char *kind) {
    assert(kind);
    for (size_t i = 0; i < sizeof all_ops / sizeof all_ops[0]; i++)
        if (strcmp(all_ops[i]->kind, kind) == 0) return all_ops[i];
    return NULL;
}

static void assert_live(const fl_remote *r) {
    (void)r; /* only asserts use it */
    assert(r);
    assert(r->magic == REMOTE_LIVE); /* used after fl_remote_close? */
    assert(r->handle);
    assert(r->streams_open >= 0);
    assert(r->streams_open <= STREAMS_MAX);
}

static void assert_stream_live(const fl_remote_stream *st) {
    (void)st;
    assert(st);
    assert(st->magic == STREAM_LIVE); /* read or written after fl_remote_stream_close? */
    assert(st->handle);
    assert_live(st->r);
}

int fl_remote_connect(const fl_remote_ops *ops, const fl_remote_target *t, fl_remote **out,
                      char err[FL_REMOTE_ERR_BYTES]) {
    assert(ops);
    assert(ops->connect);
    assert(t);
    assert(t->name);
    *out = NULL;
    fl_remote *r = calloc(1, sizeof *r);
    if (!r) return snprintf(err, FL_REMOTE_ERR_BYTES, "%s: out of memory", t->name), -1;
    if (ops->connect(t, &r->handle, err) != 0) {
        free(r);
        return -1;
    }
    assert(r->handle);
    r->magic = REMOTE_LIVE;
    r->ops = ops;
    snprintf(r->name, sizeof r->name, "%s", t->name);
    *out = r;
    return 0;
}

void fl_remote_close(fl_remote *r) {
    if (!r) return;
    assert_live(r);
    assert(r->streams_open == 0); /* every stream is closed before its node */
    r->ops->close(r->handle);
    r->magic = HANDLE_DEAD;
    r->handle = NULL;
    free(r);
}

const char *fl_remote_name(const fl_remote *r) {
    assert_live(r);
    return r->name;
}

int fl_remote_exec(fl_remote *r, const char *command, int timeout_ms, fl_exec_result *res,
                   char err[FL_REMOTE_ERR_BYTES]) {
    assert_live(r);
    assert(command);  /* an exec with no command */
    assert(command[0]);
    assert(res);
    return r->ops->exec(r->handle, command, timeout_ms, res, err);
}

int fl_remote_exec_argv(fl_remote *r, const char *const *argv, size_t argc, int timeout_ms,
                        fl_exec_result *res, char err[FL_REMOTE_ERR_BYTES]) {
    assert(argv);
    assert(argc >= 1);
    char *line = fl_shell_join(argv, argc);
    if (!line) return snprintf(err, FL_REMOTE_ERR_BYTES, "%s: out of memory", r->name), -1;
    int rc = fl_remote_exec(r, line, timeout_ms, res, err);
    free(line);
    return rc;
}

int fl_remote_run(fl_remote *r, const char *command, const char *what, int timeout_ms,
                  int *status, char *out, size_t out_bytes, char *err, size_t err_bytes) {
    assert_live(r);
    assert(err || err_bytes == 0);
    fl_exec_result res;
    char why[FL_REMOTE_ERR_BYTES];
    if (status) *status = -1;
    if (out && out_bytes) out[0] = '\0';
    if (fl_remote_exec(r, command, timeout_ms, &res, why) != 0) {
        if (err_bytes) snprintf(err, err_bytes, "%s", why);
        return -1;
    }
    if (status) *status = res.exit_status;
    if (out && out_bytes) snprintf(out, out_bytes, "%s", res.out);
    int rc = res.exit_status == 0 && !res.exit_signal[0] ? 0 : 1;
    if (rc != 0 && err_bytes && res.exit_signal[0])
        snprintf(err, err_bytes, "%s: `%s` killed by signal %s: %s%s", r->name,
                 what ? what : command, res.exit_signal, res.err, res.out);
    else if (rc != 0 && err_bytes)
        snprintf(err, err_bytes, "%s: `%s` exited %d: %s%s", r->name, what ? what : command,
                 res.exit_status, res.err, res.out);
    fl_exec_result_free(&res);
    return rc;
}

int fl_remote_upload(fl_remote *r, const char *local_path, const char *remote_path,
                     char err[FL_REMOTE_ERR_BYTES]) {
    assert_live(r);
    assert(local_path);
    assert(remote_path);
    return r->ops->upload(r->handle, local_path, remote_path, err);
}

int fl_remote_download(fl_remote *r, const char *remote_path, const char *local_path,
                       char err[FL_REMOTE_ERR_BYTES]) {
    assert_live(r);
    assert(remote_path);
    assert(local_path);
    return r->ops->download(r->handle, remote_path, local_path, err);
}

int fl_remote_stream_open(fl_remote *r, const char *command, fl_remote_stream **out,
                          char err[FL_REMOTE_ERR_BYTES]) {
    assert_live(r);
    assert(command);
    assert(command[0]);
    *out = NULL;
    if (r->streams_open >= STREAMS_MAX)
        return snprintf(err, FL_REMOTE_ERR_BYTES, "%s: %d streams open already", r->name,
                        STREAMS_MAX), -1;
    fl_remote_stream *st = calloc(1, sizeof *st);
    if (!st) return snprintf(err, FL_REMOTE_ERR_BYTES, "%s: out of memory", r->name), -1;
    if (r->ops->stream_open(r->handle, command, &st->handle, err) != 0) {
        free(st);
        return -1;
    }
    assert(st->handle);
    st->magic = STREAM_LIVE;
    st->r = r;
    r->streams_open++;
    *out = st;
    return 0;
}

int fl_remote_stream_write_line(fl_remote_stream *st, const char *line, int timeout_ms,
                                char err[FL_REMOTE_ERR_BYTES]) {
    assert_stream_live(st);
    assert(line);
    return st->r->ops->stream_write_line(st->handle, line, timeout_ms, err);
}

int fl_remote_stream_read_line(fl_remote_stream *st, int timeout_ms, char **line,
                               char err[FL_REMOTE_ERR_BYTES]) {
    assert_stream_live(st); /* a read on a closed stream */
    assert(line);
    return st->r->ops->stream_read_line(st->handle, timeout_ms, line, err);
}

const char *fl_remote_stream_stderr(fl_remote_stream *st) {
    assert_stream_live(st);
    const char *text = st->r->ops->stream_stderr(st->handle);
    assert(text);
    return text;
}

int fl_remote_stream_close(fl_remote_stream *st, int timeout_ms) {
    if (!st) return -1;
    assert_stream_live(st);
    assert(st->r->streams_open > 0);
    int status = st->r->ops->stream_close(st->handle, timeout_ms);
    st->r->streams_open--;
    st->magic = HANDLE_DEAD;
    st->handle = NULL;
    free(st);
    return status;
}

void fl_exec_result_free(fl_exec_result *r) {
    if (!r) return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
    r->out_len = r->err_len = 0;
}
