/* SSH control of one node over libssh2: a session kept for the whole run, commands
 * with their output and exit status, files up and down over SFTP. The only place in
 * faultline that speaks SSH. */
#ifndef FL_SSH_H
#define FL_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FL_SSH_ERR_BYTES 512
#define FL_SSH_CHANNELS_MAX 6 /* at once per session; OpenSSH's MaxSessions is 10 */

/* Where and how to log in. Strings are borrowed for the duration of fl_ssh_connect. */
typedef struct fl_ssh_target {
    const char *name;          /* node name, for messages ("n3") */
    const char *host;          /* address or host name */
    int port;
    const char *user;
    const char *key_path;      /* private key; the public key is key_path + ".pub" */
    const char *known_hosts;   /* file of known host keys */
    bool trust_new_hosts;      /* an unknown host key is added to known_hosts (TOFU) */
    bool sudo;                 /* run commands through `sudo -n` */
    int connect_timeout_ms;
} fl_ssh_target;

typedef struct fl_ssh fl_ssh;

typedef struct fl_exec_result {
    int exit_status;           /* -1 when a signal ended the command */
    char exit_signal[32];      /* e.g. "KILL" when a signal ended it, else "" */
    char *out;                 /* stdout, NUL-terminated (malloc'd) */
    size_t out_len;
    char *err;                 /* stderr, NUL-terminated (malloc'd) */
    size_t err_len;
} fl_exec_result;

/* Connect, check the host key against known_hosts and log in with the key. Errors name
 * the node, address and what to do ("n3 (10.213.0.13:22): no answer in 5 s"). */
int fl_ssh_connect(const fl_ssh_target *t, fl_ssh **out, char err[FL_SSH_ERR_BYTES]);
/* Run a shell command line (already quoted; see fl_shell_quote). Thread-safe: up to
 * FL_SSH_CHANNELS_MAX commands run at once on one session, more wait. timeout_ms <= 0:
 * none. Returns 0 when the command ran (whatever its exit status), -1 on an SSH
 * failure or timeout (err says which). */
/* The timeout also covers waiting for a free channel. On -1 r holds nothing to free (and
 * fl_exec_result_free is harmless). With sudo the node runs `sudo -n -- sh -c '<command>'`.
 * A timed-out command is not killed: SSH in libssh2 1.10 cannot signal it; its channel is
 * closed and freed once the node reports the command ended. */
int fl_ssh_exec(fl_ssh *s, const char *command, int timeout_ms, fl_exec_result *r,
                char err[FL_SSH_ERR_BYTES]);
void fl_exec_result_free(fl_exec_result *r);
/* Copy a local file to the node (and back), keeping its mode. */
/* Over SFTP as the login user (sudo does not apply). Thread-safe; transfers on one session
 * take turns. A download goes to a temporary file beside local_path, renamed when complete.
 * A transfer fails after 30 s without progress, and the session is then unusable. */
int fl_ssh_upload(fl_ssh *s, const char *local_path, const char *remote_path,
                  char err[FL_SSH_ERR_BYTES]);
int fl_ssh_download(fl_ssh *s, const char *remote_path, const char *local_path,
                    char err[FL_SSH_ERR_BYTES]);
const char *fl_ssh_name(const fl_ssh *s);
/* NULL is fine. No other thread may be using s. */
void fl_ssh_close(fl_ssh *s);

/* POSIX shell quoting: the argument as one word, whatever it holds (malloc'd). */
/* Always single quotes ('' for the empty string; NULL counts as empty), ' as '\''. NULL
 * only when out of memory. */
char *fl_shell_quote(const char *arg);
/* argv quoted and joined with spaces (malloc'd). */
char *fl_shell_join(const char *const *argv, size_t argc);

#endif
