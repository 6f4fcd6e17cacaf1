/* The remote table over SSH (libssh2, ssh.h): each entry is the fl_ssh_* call it names,
 * except that with sudo (a non-root login) files pass through a staging file. */
#include "remote.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "shell_quote.h"
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

/* SFTP runs as the login user, but with sudo the node's directories are root's (every
 * command made them as root). So, as Jepsen's control does: an upload goes to a file in
 * /tmp that the login user owns and is then moved into place as root; a download is
 * first copied to /tmp by root and handed to the login user ($SUDO_UID). The staging
 * name is unique to this controller process and transfer. */
static void staging_path(char out[96]) {
    static atomic_uint seq;
    static unsigned tag;
    if (!tag && getrandom(&tag, sizeof tag, 0) != (ssize_t)sizeof tag) tag = (unsigned)getpid();
    snprintf(out, 96, "/tmp/.fl-stage-%08x-%d-%u", tag, (int)getpid(), atomic_fetch_add(&seq, 1));
}

/* Run a staging command as root; 0 when it exited 0, else -1 with err naming it. */
static int run_as_root(fl_ssh *s, const char *command, char err[FL_REMOTE_ERR_BYTES]) {
    fl_exec_result r;
    if (fl_ssh_exec(s, command, 30000, &r, err) != 0) return -1;
    int rc = r.exit_status == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(err, FL_REMOTE_ERR_BYTES, "%s: `%.160s` (through sudo) exited %d: %.200s",
                 fl_ssh_name(s), command, r.exit_status, r.err ? r.err : "");
    fl_exec_result_free(&r);
    return rc;
}

static int ssh_upload(void *handle, const char *local_path, const char *remote_path,
                      char err[FL_REMOTE_ERR_BYTES]) {
    fl_ssh *s = handle;
    if (!fl_ssh_sudo(s)) return fl_ssh_upload(s, local_path, remote_path, err);
    char stage[96], command[8400];
    staging_path(stage);
    if (fl_ssh_upload(s, local_path, stage, err) != 0) return -1;
    char *dest_q = fl_shell_quote(remote_path);
    if (!dest_q) return snprintf(err, FL_REMOTE_ERR_BYTES, "out of memory"), -1;
    int n = snprintf(command, sizeof command, "mv -f -- %s %s || { rm -f -- %s; exit 1; }",
                     stage, dest_q, stage);
    free(dest_q);
    if (n >= (int)sizeof command)
        return snprintf(err, FL_REMOTE_ERR_BYTES, "%s: path too long", remote_path), -1;
    return run_as_root(s, command, err);
}

static int ssh_download(void *handle, const char *remote_path, const char *local_path,
                        char err[FL_REMOTE_ERR_BYTES]) {
    fl_ssh *s = handle;
    if (!fl_ssh_sudo(s)) return fl_ssh_download(s, remote_path, local_path, err);
    char stage[96], command[8400];
    staging_path(stage);
    char *src_q = fl_shell_quote(remote_path);
    if (!src_q) return snprintf(err, FL_REMOTE_ERR_BYTES, "out of memory"), -1;
    int n = snprintf(command, sizeof command, "cp -- %s %s && chown \"$SUDO_UID\" %s", src_q,
                     stage, stage);
    free(src_q);
    if (n >= (int)sizeof command)
        return snprintf(err, FL_REMOTE_ERR_BYTES, "%s: path too long", remote_path), -1;
    int rc = run_as_root(s, command, err);
    if (rc == 0) rc = fl_ssh_download(s, stage, local_path, err);
    char ignored[FL_REMOTE_ERR_BYTES];
    snprintf(command, sizeof command, "rm -f -- %s", stage);
    run_as_root(s, command, ignored);
    return rc;
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
