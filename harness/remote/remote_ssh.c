/* The remote table over SSH (libssh2, ssh.h): each entry is the fl_ssh_* call it names. */
#include "remote.h"

#include "ssh.h"

_Static_assert(FL_SSH_ERR_BYTES == FL_REMOTE_ERR_BYTES, "ssh errors fill remote err buffers");

static int ssh_connect(const fl_remote_target *t, void **handle, char err[FL_REMOTE_ERR_BYTES]) {
    fl_ssh *s = NULL;
    int rc = fl_ssh_connect(t, &s, err);
    *handle = s;
    return rc;
}

static void ssh_close(void *handle) {
    fl_ssh_close(handle);
}

static int ssh_exec(void *handle, const char *command, int timeout_ms, fl_exec_result *r,
                    char err[FL_REMOTE_ERR_BYTES]) {
    return fl_ssh_exec(handle, command, timeout_ms, r, err);
}

static int ssh_upload(void *handle, const char *local_path, const char *remote_path,
                      char err[FL_REMOTE_ERR_BYTES]) {
    return fl_ssh_upload(handle, local_path, remote_path, err);
}

static int ssh_download(void *handle, const char *remote_path, const char *local_path,
                        char err[FL_REMOTE_ERR_BYTES]) {
    return fl_ssh_download(handle, remote_path, local_path, err);
}

static int ssh_stream_open(void *handle, const char *command, void **stream,
                           char err[FL_REMOTE_ERR_BYTES]) {
    fl_ssh_stream *st = NULL;
    int rc = fl_ssh_stream_open(handle, command, &st, err);
    *stream = st;
    return rc;
}

static int ssh_stream_write_line(void *stream, const char *line, int timeout_ms,
                                 char err[FL_REMOTE_ERR_BYTES]) {
    return fl_ssh_stream_write_line(stream, line, timeout_ms, err);
}

static int ssh_stream_read_line(void *stream, int timeout_ms, char **line,
                                char err[FL_REMOTE_ERR_BYTES]) {
    return fl_ssh_stream_read_line(stream, timeout_ms, line, err);
}

static const char *ssh_stream_stderr(void *stream) {
    return fl_ssh_stream_stderr(stream);
}

static int ssh_stream_close(void *stream, int timeout_ms) {
    return fl_ssh_stream_close(stream, timeout_ms);
}

const fl_remote_ops fl_remote_ssh = {
    .kind = "ssh",
    .connect = ssh_connect,
    .close = ssh_close,
    .exec = ssh_exec,
    .upload = ssh_upload,
    .download = ssh_download,
    .stream_open = ssh_stream_open,
    .stream_write_line = ssh_stream_write_line,
    .stream_read_line = ssh_stream_read_line,
    .stream_stderr = ssh_stream_stderr,
    .stream_close = ssh_stream_close,
};
