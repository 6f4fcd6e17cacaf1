/* What the files of the SSH remote share (ssh_op.c, ssh_session.c, ssh_exec.c,
 * ssh_stream.c, ssh_sftp.c): the session's state, one caller's run of libssh2 calls, and
 * the helpers they all use. Nothing outside harness/ssh_*.c includes it. */
#ifndef FL_SSH_INTERNAL_H
#define FL_SSH_INTERNAL_H

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "ssh.h"

/* How one session is shared. libssh2 is not thread-safe within a session, so every call on
 * it is made under s->mu. The session is non-blocking: a call that would block returns
 * LIBSSH2_ERROR_EAGAIN, the thread drops the lock and waits for the socket, and meanwhile
 * other threads drive their own channels. Three pieces of libssh2 state belong to the whole
 * session rather than to a channel, so they are handed to one operation at a time:
 *  - the channel-open state machine (s->opener): two opens at once would share one reply;
 *  - a half-sent packet (s->send_owner): until the very call that started it is repeated,
 *    libssh2 refuses every other packet with LIBSSH2_ERROR_BAD_USE;
 *  - SFTP request state, kept per LIBSSH2_SFTP (s->sftp_mu: one transfer at a time).
 * Threads waiting for input share one poll(): whichever thread reads from the socket may
 * queue data for another thread's channel, so every read (ssh_recv) wakes the waiters. */

#define DEFAULT_CONNECT_MS 10000
#define SLICE_MS 1000                  /* longest sleep before looking again */
#define OUTBOUND_SLICE_MS 50           /* a send-blocked op also rechecks its deadline */
#define OUTPUT_CAP ((size_t)64 << 20)  /* per stream; a runaway command must not eat RAM */
#define CLOSE_GRACE_MS 1000            /* for closing the channel of a timed-out command */
#define SFTP_STALL_MS 30000            /* a transfer fails after this long without progress */
#define SFTP_CHUNK (256 * 1024)
#define ZOMBIES_MAX 64

/* Failures of ours, kept apart from libssh2's codes (which run from -1 to about -50). */
#define FL_E_TIMEOUT (-1000)
#define FL_E_BROKEN (-1001)
#define FL_E_TOOBIG (-1002)

struct fl_ssh {
    char *name;              /* "n3" */
    char *where;             /* "n3 (10.213.0.13:22)", the start of every SSH error */
    bool sudo;
    int sock;
    int wake_fd;             /* eventfd that interrupts the thread in poll() */
    LIBSSH2_SESSION *session;
    LIBSSH2_SFTP *sftp;      /* started on the first transfer */
    pthread_mutex_t mu;      /* held for every libssh2 call on session, and for what follows */
    pthread_cond_t io_cv;    /* bytes came in, or the polling thread woke */
    pthread_cond_t state_cv; /* a channel slot, the opener or the send owner was let go */
    pthread_mutex_t sftp_mu; /* one SFTP transfer at a time */
    unsigned long rx_gen;    /* bumped by every recv() that got bytes */
    bool polling;            /* a thread is in poll() on sock and will wake the others */
    int channels;            /* commands running, at most FL_SSH_CHANNELS_MAX */
    const void *opener;      /* the op inside libssh2's channel-open state machine */
    const void *send_owner;  /* the op whose packet libssh2 has only partly sent */
    bool up;                 /* handshake done: a disconnect message is worth sending */
    char broken[160];        /* set when the session can no longer be used */
    LIBSSH2_CHANNEL *zombies[ZOMBIES_MAX]; /* timed-out channels not yet closed by the node */
    int nzombies;
};

/* One caller's run of libssh2 calls, with its deadline and the last libssh2 error. */
typedef struct op {
    fl_ssh *s;
    int64_t deadline;   /* CLOCK_MONOTONIC ms; 0: none */
    int stall_ms;       /* > 0: the deadline moves on after every call that did something */
    int dirs;           /* libssh2_session_block_directions after the last call */
    unsigned long gen;  /* s->rx_gen after the last call */
    int lib_rc;         /* the last failure: a libssh2 code or FL_E_* */
    char lib_msg[200];  /* its text, copied under the lock before another thread's call */
    unsigned long sftp_status;
} op;

typedef struct obuf {
    char *p;
    size_t len, cap;
} obuf;

/* Makes one libssh2 call (an expression evaluated under the session lock) until it stops
 * saying EAGAIN; rc gets its result, or FL_E_* when the op ran out of time. */
#define OP_CALL(o, rc, call)                                        \
    for (;;) {                                                      \
        if (((rc) = ssh_op_lock(o)) < 0)                                \
            break;                                                  \
        if (((rc) = ssh_op_unlock((o), (call))) != LIBSSH2_ERROR_EAGAIN) \
            break;                                                  \
        if (((rc) = ssh_op_wait(o)) < 0)                                \
            break;                                                  \
    }

/* ---- ssh_op.c: one libssh2 call at a time under the lock, waiting on EAGAIN ---- */

__attribute__((format(printf, 2, 3))) void ssh_set_err(char *err, const char *fmt, ...);
int64_t ssh_now_ms(void);
const char *ssh_fmt_ms(char buf[32], int ms);
void ssh_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms);
const char *ssh_sftp_status_text(unsigned long st);
void ssh_op_init(op *o, fl_ssh *s, int ms, bool stall);
int ssh_op_slice(const op *o);
int ssh_op_fail(op *o, int rc);
int ssh_op_lock(op *o);
int ssh_op_unlock(op *o, int rc);
int ssh_op_wait(op *o);
void ssh_op_end(op *o);
void ssh_op_err(const op *o, char *err, const char *what);
LIBSSH2_RECV_FUNC(ssh_recv);
int ssh_take_turn(op *o, const void **slot);
void ssh_give_turn(op *o, const void **slot);

/* ---- ssh_exec.c: channels, shared with ssh_stream.c ---- */

int ssh_slot_take(op *o);
void ssh_slot_give(fl_ssh *s);
int ssh_finish_channel(op *o, LIBSSH2_CHANNEL *ch, fl_exec_result *r);
void ssh_abandon_channel(fl_ssh *s, LIBSSH2_CHANNEL *ch);
void ssh_reap_zombies(fl_ssh *s);
LIBSSH2_CHANNEL *ssh_start_command(op *o, const char *line, const char **call);
char *ssh_remote_line(const fl_ssh *s, const char *command);

#endif
