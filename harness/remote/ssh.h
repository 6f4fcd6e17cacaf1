/* SSH control of one node over libssh2: a session kept for the whole run, commands
 * with their output and exit status, files up and down over SFTP. The only place in
 * faultline that speaks SSH; the rest of the controller reaches it through the remote
 * table (remote.h, remote_ssh.c). */
#ifndef FL_SSH_H
#define FL_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "remote.h"

#define FL_SSH_ERR_BYTES FL_REMOTE_ERR_BYTES
#define FL_SSH_CHANNELS_MAX 6 /* at once per session; OpenSSH's MaxSessions is 10 */

/* Where and how to log in (remote.h). Strings are borrowed for the duration of
 * fl_ssh_connect. */
typedef fl_remote_target fl_ssh_target;

typedef struct fl_ssh fl_ssh;

/* Connect, check the host key against known_hosts and log in with the key. Errors name
 * the node, address and what to do ("n3 (10.213.0.13:22): no answer in 5 s"). */
int fl_ssh_connect(const fl_ssh_target *t, fl_ssh **out, char err[FL_SSH_ERR_BYTES]);
/* Run a shell command line (already quoted; see shell_quote.h). Thread-safe: up to
 * FL_SSH_CHANNELS_MAX commands run at once on one session, more wait. timeout_ms <= 0:
 * none. Returns 0 when the command ran (whatever its exit status), -1 on an SSH
 * failure or timeout (err says which). */
/* The timeout also covers waiting for a free channel. On -1 r holds nothing to free (and
 * fl_exec_result_free is harmless). With sudo the node runs `sudo -n -- sh -c '<command>'`.
 * A timed-out command is not killed: SSH in libssh2 1.10 cannot signal it; its channel is
 * closed and freed once the node reports the command ended. */
int fl_ssh_exec(fl_ssh *s, const char *command, int timeout_ms, fl_exec_result *r,
                char err[FL_SSH_ERR_BYTES]);
/* Copy a local file to the node (and back), keeping its mode. */
/* Over SFTP as the login user (sudo does not apply here: the remote table stages a sudo
 * node's transfers through /tmp, remote_ssh.c). Thread-safe; transfers on one session
 * take turns. A download goes to a temporary file beside local_path, renamed when complete.
 * A transfer fails after 30 s without progress, and the session is then unusable. */
int fl_ssh_upload(fl_ssh *s, const char *local_path, const char *remote_path,
                  char err[FL_SSH_ERR_BYTES]);
int fl_ssh_download(fl_ssh *s, const char *remote_path, const char *local_path,
                    char err[FL_SSH_ERR_BYTES]);
const char *fl_ssh_name(const fl_ssh *s);
/* Does the node run commands through sudo (a non-root login)? */
bool fl_ssh_sudo(const fl_ssh *s);

/* A long-lived command with its stdin and stdout open, e.g. `faultline-agent serve`
 * (DESIGN.md "The agent"): lines in, lines out, while fl_ssh_exec and other streams run
 * on the same session. */
/* It takes one of the session's FL_SSH_CHANNELS_MAX channels until it is closed. One thread
 * may read while another writes; two reads (or two writes) at once on one stream are
 * serialized. timeout_ms <= 0: none. Errors name the node and the command. */
typedef struct fl_ssh_stream fl_ssh_stream;

/* Start command on the node with its stdin/stdout kept open (counts as one of the
 * session's channels for its whole life). */
/* Through `sudo -n -- sh -c` as fl_ssh_exec when the target says sudo. Waits up to 30 s for
 * a free channel and the node's answer. Returns 0, or -1 (err) with *out NULL. */
int fl_ssh_stream_open(fl_ssh *s, const char *command, fl_ssh_stream **out,
                       char err[FL_SSH_ERR_BYTES]);
/* Write one line (a '\n' is added if missing); all of it or an error. */
/* Fails once the command has ended. After a write that failed part-way (a timeout with some
 * of the line sent) every later write fails too: the other side would see a broken line. */
int fl_ssh_stream_write_line(fl_ssh_stream *st, const char *line, int timeout_ms,
                             char err[FL_SSH_ERR_BYTES]);
/* Read one line from the command's stdout (without the '\n'), malloc'd into *line; 0 ok,
 * 1 end of stream (command exited or channel closed), -1 error or timeout. stderr of the
 * command is collected separately (fl_ssh_stream_stderr returns what arrived so far). */
/* A last line without '\n' counts as a line. After a timeout ("timed out" in err) the
 * stream is intact and the next read goes on where this one stopped; after any other -1
 * reads keep failing. *line is NULL unless 0. Lines longer than 16 MiB are an error. */
int fl_ssh_stream_read_line(fl_ssh_stream *st, int timeout_ms, char **line,
                            char err[FL_SSH_ERR_BYTES]);
/* stderr is read along with stdout, by fl_ssh_stream_read_line and fl_ssh_stream_close.
 * Never NULL; the last MiB at most (older bytes are dropped). The pointer stays valid until
 * the next read or close on st: call it from the reading thread. All of it is there once a
 * read returned 1 (end of stream). */
const char *fl_ssh_stream_stderr(fl_ssh_stream *st);
/* Send EOF on stdin, wait up to timeout_ms for the command to exit, close; exit status if
 * it exited (else -1). */
/* -1 also when a signal ended it or on an SSH failure. Unread stdout is discarded. st is
 * freed whatever happens (NULL is fine); no other thread may be using it. A command still
 * running at the deadline is not killed (see fl_ssh_exec); its channel is freed once it
 * ends. Every stream of a session must be closed before fl_ssh_close. */
int fl_ssh_stream_close(fl_ssh_stream *st, int timeout_ms);

/* NULL is fine. No other thread may be using s. */
void fl_ssh_close(fl_ssh *s);

#endif
