/* How the controller reaches a node: a small table of functions (connect, close, exec,
 * stream, upload, download) over an opaque per-node handle, as wrk's `struct sock` and
 * Jepsen's Remote. SSH is one implementation (remote_ssh.c over ssh.h); everything above
 * it (control, agents, daemons, the nemesis link, `faultline exec`) uses only this. */
#ifndef FL_REMOTE_H
#define FL_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#define FL_REMOTE_ERR_BYTES 512

/* Where and how to reach a node. Strings are borrowed for the duration of connect. An
 * implementation uses what it needs (SSH: all of it). */
typedef struct fl_remote_target {
    const char *name;          /* node name, for messages ("n3") */
    const char *host;          /* address or host name */
    int port;
    const char *user;
    const char *key_path;      /* private key; the public key is key_path + ".pub" */
    const char *known_hosts;   /* file of known host keys */
    bool trust_new_hosts;      /* an unknown host key is added to known_hosts (TOFU) */
    bool sudo;                 /* run commands through `sudo -n` */
    int connect_timeout_ms;
    const char *netns;         /* local: the network namespace to run in (setns), or NULL */
} fl_remote_target;

/* What a finished command left. */
typedef struct fl_exec_result {
    int exit_status;           /* -1 when a signal ended the command */
    char exit_signal[32];      /* e.g. "KILL" when a signal ended it, else "" */
    char *out;                 /* stdout, NUL-terminated (malloc'd) */
    size_t out_len;
    char *err;                 /* stderr, NUL-terminated (malloc'd) */
    size_t err_len;
} fl_exec_result;

void fl_exec_result_free(fl_exec_result *r);

/* One transport. Every function that can fail returns 0 or -1 with err filled, and an
 * err always starts with the node ("n3 (10.213.0.13:22): no answer in 5 s"). The
 * contracts are those of the wrappers below; the wrappers check the arguments, so an
 * implementation may assume them (non-NULL handle and command, a live stream). */
typedef struct fl_remote_ops {
    const char *kind;          /* the nodes file's "remote": "ssh" or "local" */
    int (*connect)(const fl_remote_target *t, void **handle, char err[FL_REMOTE_ERR_BYTES]);
    void (*close)(void *handle);
    int (*exec)(void *handle, const char *command, int timeout_ms, fl_exec_result *r,
                char err[FL_REMOTE_ERR_BYTES]);
    int (*upload)(void *handle, const char *local_path, const char *remote_path,
                  char err[FL_REMOTE_ERR_BYTES]);
    int (*download)(void *handle, const char *remote_path, const char *local_path,
                    char err[FL_REMOTE_ERR_BYTES]);
    int (*stream_open)(void *handle, const char *command, void **stream,
                       char err[FL_REMOTE_ERR_BYTES]);
    int (*stream_write_line)(void *stream, const char *line, int timeout_ms,
                             char err[FL_REMOTE_ERR_BYTES]);
    int (*stream_read_line)(void *stream, int timeout_ms, char **line,
                            char err[FL_REMOTE_ERR_BYTES]);
    const char *(*stream_stderr)(void *stream);
    int (*stream_close)(void *stream, int timeout_ms);
} fl_remote_ops;

extern const fl_remote_ops fl_remote_ssh;   /* remote_ssh.c */
extern const fl_remote_ops fl_remote_local; /* remote_local.c: this machine, no login */

/* The ops named kind ("ssh", "local"), or NULL. */
const fl_remote_ops *fl_remote_ops_named(const char *kind);

/* One node, reached through ops; opaque. */
typedef struct fl_remote fl_remote;
/* A long-lived command with its stdin and stdout open (the agent's channel). */
typedef struct fl_remote_stream fl_remote_stream;

/* Connect to the node (SSH: check its host key, log in). 0, or -1 with err and *out NULL. */
int fl_remote_connect(const fl_remote_ops *ops, const fl_remote_target *t, fl_remote **out,
                      char err[FL_REMOTE_ERR_BYTES]);
/* NULL is fine. Every stream of r must be closed first; no other thread may be using r. */
void fl_remote_close(fl_remote *r);
/* The node's name ("n3"). */
const char *fl_remote_name(const fl_remote *r);

/* Run a shell command line (already quoted: shell_quote.h) and wait. Thread-safe. 0 when
 * it ran, whatever its exit status (r filled, free with fl_exec_result_free); -1 when it
 * could not run or timed out (err; r holds nothing to free). timeout_ms <= 0: none. A
 * timed-out command is not killed. With sudo it runs as `sudo -n -- sh -c '<command>'`. */
int fl_remote_exec(fl_remote *r, const char *command, int timeout_ms, fl_exec_result *res,
                   char err[FL_REMOTE_ERR_BYTES]);
/* As fl_remote_exec, with argv quoted word by word (argc >= 1). */
int fl_remote_exec_argv(fl_remote *r, const char *const *argv, size_t argc, int timeout_ms,
                        fl_exec_result *res, char err[FL_REMOTE_ERR_BYTES]);
/* Run on the node and fail with its stderr and exit status: 0 when the command exited 0;
 * 1 when it exited otherwise, with err "<node>: `<what>` exited <N>: <stderr><stdout>"
 * ("killed by signal <S>" for a signal); -1 when it could not run, with the transport's
 * error (which names the node). So `!= 0` is "failed", `< 0` "did not run". what labels the command in that message (NULL: the command itself). *status
 * (may be NULL) gets the exit status, -1 when it did not run or a signal ended it; out
 * (may be NULL) gets stdout, truncated to out_bytes. err may be NULL with err_bytes 0. */
int fl_remote_run(fl_remote *r, const char *command, const char *what, int timeout_ms,
                  int *status, char *out, size_t out_bytes, char *err, size_t err_bytes);

/* Copy a local file to the node (and back), keeping its mode. Thread-safe; transfers on
 * one node take turns. A download goes to a temporary file beside local_path, renamed
 * when complete. SSH: over SFTP as the login user (sudo does not apply); a transfer
 * fails after 30 s without progress. */
int fl_remote_upload(fl_remote *r, const char *local_path, const char *remote_path,
                     char err[FL_REMOTE_ERR_BYTES]);
int fl_remote_download(fl_remote *r, const char *remote_path, const char *local_path,
                       char err[FL_REMOTE_ERR_BYTES]);

/* Start command on the node with its stdin/stdout kept open, while exec and other streams
 * run on the same node. One thread may read while another writes. 0, or -1 (err) with
 * *out NULL. */
int fl_remote_stream_open(fl_remote *r, const char *command, fl_remote_stream **out,
                          char err[FL_REMOTE_ERR_BYTES]);
/* Write one line (a '\n' is added if missing); all of it or an error. */
int fl_remote_stream_write_line(fl_remote_stream *st, const char *line, int timeout_ms,
                                char err[FL_REMOTE_ERR_BYTES]);
/* Read one line of stdout (without the '\n'), malloc'd into *line; 0 ok, 1 end of stream
 * (the command exited), -1 error or timeout ("timed out" in err: the stream is intact). */
int fl_remote_stream_read_line(fl_remote_stream *st, int timeout_ms, char **line,
                               char err[FL_REMOTE_ERR_BYTES]);
/* The command's stderr so far (the last MiB at most), never NULL; valid until the next
 * read or close on st: call it from the reading thread. */
const char *fl_remote_stream_stderr(fl_remote_stream *st);
/* Send EOF on stdin, wait up to timeout_ms for the command to exit, close: its exit
 * status, or -1. st is freed whatever happens (NULL is fine). */
int fl_remote_stream_close(fl_remote_stream *st, int timeout_ms);

#endif
