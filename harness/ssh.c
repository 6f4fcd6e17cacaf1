/* SSH control of a node over libssh2: one non-blocking session that threads share (see ssh.h). */
#include "ssh.h"

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

#include "shell_quote.h"

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
 * queue data for another thread's channel, so every read (fl_recv) wakes the waiters. */

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

/* ---- small helpers ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

/* libssh2_init is not thread-safe and libssh2_exit would pull the crypto library out
 * from under live sessions, so: once per process, never undone. */
static void init_libssh2(void) {
    init_rc = libssh2_init(0);
}

__attribute__((format(printf, 2, 3))) static void set_err(char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, FL_SSH_ERR_BYTES, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *fmt_ms(char buf[32], int ms) {
    if (ms >= 1000 && ms % 1000 == 0)
        snprintf(buf, 32, "%d s", ms / 1000);
    else
        snprintf(buf, 32, "%d ms", ms);
    return buf;
}

/* The condition variables run on CLOCK_MONOTONIC so that a clock step cannot stretch a wait. */
static void cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(cv, mu, &ts);
}

static const char *sftp_status_text(unsigned long st) {
    static const char *const names[] = {
        "ok", "end of file", "no such file", "permission denied", "failure", "bad message",
        "no connection", "connection lost", "operation unsupported", "invalid handle",
        "no such path", "file already exists", "write protected", "no media",
        "no space left on the file system", "quota exceeded", "unknown principal",
        "lock conflict", "directory not empty", "not a directory", "invalid file name",
        "too many symbolic links"};
    return st < sizeof names / sizeof names[0] ? names[st] : "unknown SFTP status";
}

/* ---- operations: one libssh2 call at a time under the lock, waiting on EAGAIN ---- */

static void op_init(op *o, fl_ssh *s, int ms, bool stall) {
    memset(o, 0, sizeof *o);
    o->s = s;
    o->stall_ms = stall ? ms : 0;
    o->deadline = ms > 0 ? now_ms() + ms : 0;
}

/* How long the op may sleep now: 0 when its time is up. */
static int op_slice(const op *o) {
    if (!o->deadline)
        return SLICE_MS;
    int64_t left = o->deadline - now_ms();
    return left <= 0 ? 0 : left < SLICE_MS ? (int)left : SLICE_MS;
}

static int op_fail(op *o, int rc) {
    o->lib_rc = rc;
    if (rc == FL_E_BROKEN)
        snprintf(o->lib_msg, sizeof o->lib_msg, "%s", o->s->broken);
    else if (rc == FL_E_TIMEOUT)
        snprintf(o->lib_msg, sizeof o->lib_msg, "no answer in time");
    return rc;
}

/* Takes the lock for a libssh2 call, first waiting while another op owns a half-sent
 * packet. Returns 0 with the lock held, or FL_E_* without it. */
static int op_lock(op *o) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    while (!s->broken[0] && s->send_owner && s->send_owner != o) {
        int ms = op_slice(o);
        if (!ms) {
            pthread_mutex_unlock(&s->mu);
            return op_fail(o, FL_E_TIMEOUT);
        }
        cond_wait_ms(&s->state_cv, &s->mu, ms);
    }
    if (s->broken[0]) {
        pthread_mutex_unlock(&s->mu);
        return op_fail(o, FL_E_BROKEN);
    }
    return 0;
}

/* Copies libssh2's text for a failed call now, while it is still about this call. */
static void note_error(op *o, int rc) {
    fl_ssh *s = o->s;
    char *msg = NULL;
    int code = libssh2_session_last_error(s->session, &msg, NULL, 0);
    o->lib_rc = rc;
    if (code == rc && msg && *msg)
        snprintf(o->lib_msg, sizeof o->lib_msg, "%s", msg);
    else
        snprintf(o->lib_msg, sizeof o->lib_msg, "libssh2 error %d", rc);
    o->sftp_status = rc == LIBSSH2_ERROR_SFTP_PROTOCOL && s->sftp
                         ? libssh2_sftp_last_error(s->sftp) : 0;
}

/* Ends a call made under op_lock: notes what libssh2 blocked on, hands the send lock to
 * this op while one of its packets is half-sent, and drops the lock. Returns rc. */
static int op_unlock(op *o, int rc) {
    fl_ssh *s = o->s;
    o->dirs = libssh2_session_block_directions(s->session);
    o->gen = s->rx_gen;
    if (o->dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) {
        if (!s->send_owner)
            s->send_owner = o;
    } else if (s->send_owner == o) {
        s->send_owner = NULL;
        pthread_cond_broadcast(&s->state_cv);
    }
    if (rc < 0 && rc > FL_E_TIMEOUT && rc != LIBSSH2_ERROR_EAGAIN)
        note_error(o, rc);
    else if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN)
        o->lib_rc = rc;
    else if (rc != LIBSSH2_ERROR_EAGAIN && o->stall_ms)
        o->deadline = now_ms() + o->stall_ms;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* After EAGAIN: waits until the socket may let the op go on. One thread polls the socket
 * and the others wait on io_cv, which every recv() that gets bytes signals. */
static int op_wait(op *o) {
    fl_ssh *s = o->s;
    int ms = op_slice(o);
    if (!ms)
        return op_fail(o, FL_E_TIMEOUT);
    pthread_mutex_lock(&s->mu);
    if (s->rx_gen != o->gen) {
        /* Another thread read from the socket since our call: maybe our data. */
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    if (o->dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) {
        pthread_mutex_unlock(&s->mu);
        struct pollfd p = {.fd = s->sock, .events = POLLOUT};
        poll(&p, 1, ms < OUTBOUND_SLICE_MS ? ms : OUTBOUND_SLICE_MS);
        return 0;
    }
    if (s->polling) {
        cond_wait_ms(&s->io_cv, &s->mu, ms);
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    s->polling = true;
    pthread_mutex_unlock(&s->mu);
    struct pollfd p[2] = {{.fd = s->sock, .events = POLLIN}, {.fd = s->wake_fd, .events = POLLIN}};
    poll(p, 2, ms);
    pthread_mutex_lock(&s->mu);
    uint64_t junk;
    if (read(s->wake_fd, &junk, sizeof junk) < 0) { /* EAGAIN: nobody woke us */
    }
    s->polling = false;
    pthread_cond_broadcast(&s->io_cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* Makes one libssh2 call (an expression evaluated under the session lock) until it stops
 * saying EAGAIN; rc gets its result, or FL_E_* when the op ran out of time. */
#define OP_CALL(o, rc, call)                                        \
    for (;;) {                                                      \
        if (((rc) = op_lock(o)) < 0)                                \
            break;                                                  \
        if (((rc) = op_unlock((o), (call))) != LIBSSH2_ERROR_EAGAIN) \
            break;                                                  \
        if (((rc) = op_wait(o)) < 0)                                \
            break;                                                  \
    }

/* Lets go of whatever the op still holds; a packet it left half-sent can only be finished
 * by libssh2's next read (a reply libssh2 sends by itself), so the lock is handed on. */
static void op_end(op *o) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    if (s->send_owner == o || s->opener == o) {
        if (s->send_owner == o)
            s->send_owner = NULL;
        if (s->opener == o)
            s->opener = NULL;
        pthread_cond_broadcast(&s->state_cv);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Sets errs for a failed call: "n1 (host:22): what: libssh2's text". */
static void op_err(const op *o, char *err, const char *what) {
    if (o->lib_rc == FL_E_TIMEOUT)
        set_err(err, "%s: %s: no answer in time", o->s->where, what);
    else if (o->sftp_status)
        set_err(err, "%s: %s: %s (SFTP status %lu)", o->s->where, what,
                sftp_status_text(o->sftp_status), o->sftp_status);
    else
        set_err(err, "%s: %s: %s", o->s->where, what, o->lib_msg);
}

/* Counts bytes in so that threads waiting for their channel look again (see the top). */
static LIBSSH2_RECV_FUNC(fl_recv) {
    fl_ssh *s = *abstract;
    ssize_t n;
    do
        n = recv(socket, buffer, length, flags);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n > 0) {
        s->rx_gen++;
        pthread_cond_broadcast(&s->io_cv);
        uint64_t one = 1;
        if (s->polling && write(s->wake_fd, &one, sizeof one) < 0) { /* already signalled */
        }
    }
    return n;
}

/* Waits on state_cv until *slot is free or ours, then takes it. */
static int take_turn(op *o, const void **slot) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    while (*slot && *slot != o) {
        int ms = op_slice(o);
        if (!ms) {
            pthread_mutex_unlock(&s->mu);
            return op_fail(o, FL_E_TIMEOUT);
        }
        cond_wait_ms(&s->state_cv, &s->mu, ms);
    }
    *slot = o;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void give_turn(op *o, const void **slot) {
    pthread_mutex_lock(&o->s->mu);
    if (*slot == o) {
        *slot = NULL;
        pthread_cond_broadcast(&o->s->state_cv);
    }
    pthread_mutex_unlock(&o->s->mu);
}

/* ---- connecting ---- */

static fl_ssh *ssh_alloc(const fl_ssh_target *t) {
    fl_ssh *s = calloc(1, sizeof *s);
    pthread_condattr_t ca;
    if (!s)
        return NULL;
    s->sock = s->wake_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->sftp_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->io_cv, &ca);
    pthread_cond_init(&s->state_cv, &ca);
    pthread_condattr_destroy(&ca);
    s->sudo = t->sudo;
    s->name = strdup(t->name);
    bool v6 = strchr(t->host, ':') != NULL;
    if (asprintf(&s->where, v6 ? "%s ([%s]:%d)" : "%s (%s:%d)", t->name, t->host, t->port) < 0)
        s->where = NULL;
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!s->name || !s->where || s->wake_fd < 0) {
        fl_ssh_close(s);
        return NULL;
    }
    return s;
}

/* One address: non-blocking connect, waited for with poll() up to the deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1, soerr = 0, saved;
    socklen_t len = sizeof soerr;
    if (fd < 0)
        return -1;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS)
            goto err;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int64_t left = deadline - now_ms();
        int n = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (n <= 0) {
            errno = n == 0 ? ETIMEDOUT : errno;
            goto err;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            goto err;
        if (soerr) {
            errno = soerr;
            goto err;
        }
    }
    /* Without it every command waits on Nagle and delayed ACK: `true` took 44 ms, now 1.5. */
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        goto err;
    return fd;
err:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int tcp_connect(fl_ssh *s, const fl_ssh_target *t, int timeout_ms, char *err) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL, *ai;
    char port[16], ms[32];
    int64_t deadline = now_ms() + timeout_ms;
    snprintf(port, sizeof port, "%d", t->port);
    int gai = getaddrinfo(t->host, port, &hints, &res);
    if (gai) {
        set_err(err, "%s: cannot resolve %s: %s", s->where, t->host,
                gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
        return -1;
    }
    errno = EADDRNOTAVAIL;
    for (ai = res; ai && s->sock < 0; ai = ai->ai_next)
        s->sock = connect_one(ai, deadline);
    freeaddrinfo(res);
    if (s->sock >= 0)
        return 0;
    if (errno == ETIMEDOUT)
        set_err(err, "%s: no answer in %s", s->where, fmt_ms(ms, timeout_ms));
    else
        set_err(err, "%s: connect: %s", s->where, strerror(errno));
    return -1;
}

static int knownhost_keybits(int hostkey_type) {
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
    case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
    default: return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
    }
}

/* OpenSSH's order of host key algorithms, with the libssh2 1.10 names. */
static const struct {
    const char *alg;
    int bits;
} host_algs[] = {
    {"ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519},
    {"ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256},
    {"ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384},
    {"ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521},
    {"ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA},
};

/* Asks for a host key of a type known_hosts already holds for this host, as OpenSSH does;
 * left to itself libssh2 prefers ECDSA and would call an ed25519-only line "not found".
 * A check with a dummy key tells MISMATCH exactly when a line of that type exists. */
static void prefer_known_types(fl_ssh *s, LIBSSH2_KNOWNHOSTS *kh, const fl_ssh_target *t) {
    char known[256] = "", rest[256] = "";
    int port = t->port == 22 ? -1 : t->port;
    for (size_t i = 0; i < sizeof host_algs / sizeof host_algs[0]; i++) {
        int type = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | host_algs[i].bits;
        bool have = libssh2_knownhost_checkp(kh, t->host, port, "?", 1, type, NULL) ==
                    LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
        char *list = have ? known : rest;
        size_t n = strlen(list);
        snprintf(list + n, sizeof known - n, "%s%s", n ? "," : "", host_algs[i].alg);
    }
    char prefs[520];
    snprintf(prefs, sizeof prefs, "%s%s%s", known, known[0] ? "," : "", rest);
    /* Failure only means this libssh2 knows none of them; its own default then stands. */
    libssh2_session_method_pref(s->session, LIBSSH2_METHOD_HOSTKEY, prefs);
}

/* "SHA256:..." as ssh-keygen -l prints it, for messages about a host key. */
static void fingerprint(LIBSSH2_SESSION *session, char out[64]) {
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *h =
        (const unsigned char *)libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
    size_t o = 0;
    if (!h) {
        snprintf(out, 64, "(no fingerprint)");
        return;
    }
    o += (size_t)snprintf(out, 64, "SHA256:");
    for (int i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)h[i] << 16 | (i + 1 < 32 ? (uint32_t)h[i + 1] << 8 : 0) |
                     (i + 2 < 32 ? h[i + 2] : 0);
        int chars = i + 2 < 32 ? 4 : 3; /* 32 bytes: 42 full chars + 1, no padding */
        for (int k = 0; k < chars; k++)
            out[o++] = b64[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
}

/* Appends the one line for this host rather than rewriting the file with
 * libssh2_knownhost_writefile: nodes connect in parallel, and each rewrite would drop the
 * lines the others added in the meantime. O_APPEND keeps each line whole. */
static int append_known_host(fl_ssh *s, LIBSSH2_KNOWNHOSTS *kh, struct libssh2_knownhost *entry,
                             const char *path, char *err) {
    char line[4096];
    size_t len = 0;
    struct stat st;
    char last = '\n';
    int rc = libssh2_knownhost_writeline(kh, entry, line, sizeof line, &len,
                                         LIBSSH2_KNOWNHOST_FILE_OPENSSH);
    if (rc) {
        char *msg = NULL;
        libssh2_session_last_error(s->session, &msg, NULL, 0);
        set_err(err, "%s: libssh2_knownhost_writeline: %s", s->where, msg ? msg : "?");
        return -1;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        goto err;
    /* A hand-edited file may lack its last newline; ours must not join that line. */
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        int rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (rfd >= 0 && pread(rfd, &last, 1, st.st_size - 1) != 1)
            last = '\n';
        if (rfd >= 0)
            close(rfd);
    }
    if (last != '\n' && write(fd, "\n", 1) != 1)
        goto err;
    if (write(fd, line, len) != (ssize_t)len || close(fd) < 0) {
        fd = -1;
        goto err;
    }
    return 0;
err:
    set_err(err, "%s: cannot add the host key to %s: %s", s->where, path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* The node's host key against known_hosts; an unknown one is added when new hosts are
 * trusted (TOFU), a different one is always refused. */
static int check_host_key(fl_ssh *s, LIBSSH2_KNOWNHOSTS *kh, const fl_ssh_target *t, char *err) {
    size_t len = 0;
    int type = 0;
    char fp[64], hostname[300];
    struct libssh2_knownhost *entry = NULL;
    const char *key = libssh2_session_hostkey(s->session, &len, &type);
    if (!key) {
        set_err(err, "%s: libssh2_session_hostkey: the node sent no host key", s->where);
        return -1;
    }
    int bits = knownhost_keybits(type);
    int mask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | bits;
    int rc = libssh2_knownhost_checkp(kh, t->host, t->port == 22 ? -1 : t->port, key, len, mask,
                                      NULL);
    fingerprint(s->session, fp);
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH)
        return 0;
    if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
        set_err(err, "%s: host key does not match the one in %s — the node was rebuilt or "
                     "someone is in the middle; remove its line if the change is expected "
                     "(the node now offers %s)",
                s->where, t->known_hosts, fp);
        return -1;
    }
    if (t->port == 22)
        snprintf(hostname, sizeof hostname, "%s", t->host);
    else
        snprintf(hostname, sizeof hostname, "[%s]:%d", t->host, t->port);
    if (rc != LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
        set_err(err, "%s: libssh2_knownhost_checkp failed on %s", s->where, t->known_hosts);
        return -1;
    }
    if (!t->trust_new_hosts) {
        /* No ssh-keyscan hint: run from the host's namespace it would send a cluster
         * address out of the machine. */
        set_err(err, "%s: host key %s is not in %s; check it and rerun with "
                     "--trust-new-hosts to record it (trust on first use)",
                s->where, fp, t->known_hosts);
        return -1;
    }
    char comment[128];
    snprintf(comment, sizeof comment, "faultline %s", t->name);
    if (libssh2_knownhost_addc(kh, hostname, NULL, key, len, comment, strlen(comment), mask,
                               &entry)) {
        set_err(err, "%s: libssh2_knownhost_addc refused the host key", s->where);
        return -1;
    }
    return append_known_host(s, kh, entry, t->known_hosts, err);
}

/* Reads known_hosts, orders the host key algorithms by it, shakes hands, checks the key. */
static int handshake(fl_ssh *s, const fl_ssh_target *t, int timeout_ms, char *err) {
    LIBSSH2_KNOWNHOSTS *kh = NULL;
    char ms[32];
    int rc = -1;
    op o;
    op_init(&o, s, timeout_ms, false);
    kh = libssh2_knownhost_init(s->session);
    if (!kh) {
        set_err(err, "%s: libssh2_knownhost_init failed", s->where);
        goto err;
    }
    /* A missing file is an empty one: the check below then names the file. */
    if (access(t->known_hosts, F_OK) == 0 &&
        libssh2_knownhost_readfile(kh, t->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
        char *msg = NULL;
        libssh2_session_last_error(s->session, &msg, NULL, 0);
        set_err(err, "%s: cannot read %s: libssh2_knownhost_readfile: %s", s->where,
                t->known_hosts, msg ? msg : "?");
        goto err;
    }
    prefer_known_types(s, kh, t);
    OP_CALL(&o, rc, libssh2_session_handshake(s->session, s->sock));
    if (rc == FL_E_TIMEOUT)
        set_err(err, "%s: no SSH handshake in %s (the port answers but says nothing)",
                s->where, fmt_ms(ms, timeout_ms));
    else if (rc < 0)
        op_err(&o, err, "SSH handshake: libssh2_session_handshake");
    else
        rc = check_host_key(s, kh, t, err);
    s->up = rc == 0;
err:
    op_end(&o);
    if (kh)
        libssh2_knownhost_free(kh);
    return rc < 0 ? -1 : 0;
}

static int authenticate(fl_ssh *s, const fl_ssh_target *t, int timeout_ms, char *err) {
    char *pub = NULL;
    int rc;
    op o;
    if (access(t->key_path, R_OK) < 0) {
        set_err(err, "%s: cannot read private key %s: %s", s->where, t->key_path,
                strerror(errno));
        return -1;
    }
    if (asprintf(&pub, "%s.pub", t->key_path) < 0) {
        set_err(err, "%s: out of memory", s->where);
        return -1;
    }
    op_init(&o, s, timeout_ms, false);
    /* Without the .pub file libssh2 (OpenSSL) derives the public key from the private one.
     * The passphrase is "" rather than NULL: NULL makes libssh2 call strlen(NULL) on an
     * encrypted PEM key. */
    const char *pubp = access(pub, R_OK) == 0 ? pub : NULL;
    OP_CALL(&o, rc, libssh2_userauth_publickey_fromfile_ex(s->session, t->user,
                                                           (unsigned)strlen(t->user), pubp,
                                                           t->key_path, ""));
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
        set_err(err, "%s: the node refused key %s for user %s "
                     "(libssh2_userauth_publickey_fromfile_ex: %s); is %s in ~%s/.ssh/authorized_keys "
                     "there?",
                s->where, t->key_path, t->user, o.lib_msg, pubp ? pub : "its public key",
                t->user);
    else if (rc == FL_E_TIMEOUT)
        set_err(err, "%s: no answer to the login of %s in %s", s->where, t->user,
                fmt_ms((char[32]){0}, timeout_ms));
    else if (rc < 0)
        set_err(err, "%s: cannot log in as %s with key %s: "
                     "libssh2_userauth_publickey_fromfile_ex: %s",
                s->where, t->user, t->key_path, o.lib_msg);
    op_end(&o);
    free(pub);
    return rc < 0 ? -1 : 0;
}

int fl_ssh_connect(const fl_ssh_target *t, fl_ssh **out, char err[FL_SSH_ERR_BYTES]) {
    fl_ssh *s = NULL;
    int timeout_ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms : DEFAULT_CONNECT_MS;
    *out = NULL;
    err[0] = '\0';
    if (!t->name || !t->host || !t->user || !t->key_path || !t->known_hosts || t->port <= 0 ||
        t->port > 65535) {
        set_err(err, "%s: fl_ssh_connect: name, host, port, user, key_path and known_hosts "
                     "are all needed",
                t->name ? t->name : "?");
        return -1;
    }
    pthread_once(&init_once, init_libssh2);
    if (init_rc) {
        set_err(err, "%s: libssh2_init failed (%d)", t->name, init_rc);
        return -1;
    }
    if (!(s = ssh_alloc(t))) {
        set_err(err, "%s: out of memory", t->name);
        return -1;
    }
    if (tcp_connect(s, t, timeout_ms, err) < 0)
        goto err;
    /* The session's abstract pointer is s, which is how fl_recv finds it. */
    s->session = libssh2_session_init_ex(NULL, NULL, NULL, s);
    if (!s->session) {
        set_err(err, "%s: libssh2_session_init_ex failed", s->where);
        goto err;
    }
    libssh2_session_callback_set(s->session, LIBSSH2_CALLBACK_RECV, (void *)fl_recv);
    libssh2_session_set_blocking(s->session, 0);
    /* Until *out is set no other thread can see s, so these calls need no turn-taking. */
    if (handshake(s, t, timeout_ms, err) < 0 || authenticate(s, t, timeout_ms, err) < 0)
        goto err;
    *out = s;
    return 0;
err:
    fl_ssh_close(s);
    return -1;
}

/* ---- commands ---- */

static int slot_take(op *o) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    while (s->channels >= FL_SSH_CHANNELS_MAX) {
        int ms = op_slice(o);
        if (!ms) {
            pthread_mutex_unlock(&s->mu);
            return op_fail(o, FL_E_TIMEOUT);
        }
        cond_wait_ms(&s->state_cv, &s->mu, ms);
    }
    s->channels++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void slot_give(fl_ssh *s) {
    pthread_mutex_lock(&s->mu);
    s->channels--;
    pthread_cond_broadcast(&s->state_cv);
    pthread_mutex_unlock(&s->mu);
}


/* Grows b so that a read has room, and one byte stays for the NUL. */
static int obuf_room(obuf *b) {
    if (b->cap - b->len > 16384)
        return 0;
    if (b->len >= OUTPUT_CAP)
        return FL_E_TOOBIG;
    size_t cap = b->cap ? b->cap * 2 : 65536;
    if (cap > OUTPUT_CAP + 16385)
        cap = OUTPUT_CAP + 16385;
    char *p = realloc(b->p, cap);
    if (!p)
        return LIBSSH2_ERROR_ALLOC;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Reads what is there of one stream; called under the lock. */
static int drain(LIBSSH2_CHANNEL *ch, int stream, obuf *b, bool *got) {
    for (;;) {
        int rc = obuf_room(b);
        if (rc < 0)
            return rc;
        size_t want = b->cap - b->len - 1;
        if (b->len + want > OUTPUT_CAP)
            want = OUTPUT_CAP - b->len + 1; /* one byte past the cap tells us it overflowed */
        ssize_t n = libssh2_channel_read_ex(ch, stream, b->p + b->len, want);
        if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
            return 0;
        if (n < 0)
            return (int)n;
        b->len += (size_t)n;
        *got = true;
        if (b->len > OUTPUT_CAP)
            return FL_E_TOOBIG;
    }
}

/* stdout and stderr until the command's EOF; both are read each round so that neither
 * fills its window while we wait on the other. */
static int read_output(op *o, LIBSSH2_CHANNEL *ch, obuf *out, obuf *errb) {
    for (;;) {
        bool got = false;
        int eof = 0, rc = op_lock(o);
        if (rc < 0)
            return rc;
        rc = drain(ch, 0, out, &got);
        if (rc == 0)
            rc = drain(ch, SSH_EXTENDED_DATA_STDERR, errb, &got);
        if (rc == 0)
            eof = libssh2_channel_eof(ch);
        rc = op_unlock(o, rc < 0 ? rc : got || eof ? 0 : LIBSSH2_ERROR_EAGAIN);
        if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN)
            return rc;
        if (eof)
            return 0;
        if (!got && (rc = op_wait(o)) < 0)
            return rc;
    }
}

/* Closes a finished command's channel and collects its exit status or signal. */
static int finish_channel(op *o, LIBSSH2_CHANNEL *ch, fl_exec_result *r) {
    fl_ssh *s = o->s;
    char *sig = NULL;
    size_t siglen = 0;
    int rc;
    OP_CALL(o, rc, libssh2_channel_close(ch));
    if (rc == 0)
        OP_CALL(o, rc, libssh2_channel_wait_closed(ch));
    if (rc < 0)
        return rc;
    if ((rc = op_lock(o)) < 0)
        return rc;
    r->exit_status = libssh2_channel_get_exit_status(ch);
    libssh2_channel_get_exit_signal(ch, &sig, &siglen, NULL, NULL, NULL, NULL);
    if (sig) {
        snprintf(r->exit_signal, sizeof r->exit_signal, "%.*s", (int)siglen, sig);
        r->exit_status = -1;
        libssh2_free(s->session, sig);
    }
    op_unlock(o, 0);
    OP_CALL(o, rc, libssh2_channel_free(ch));
    return rc;
}

/* Gives up on a channel (a timeout, or an error). The node confirms the close only once the
 * command has exited, which may be never, so we wait only until our EOF and CLOSE are sent;
 * the channel then joins the zombies that later calls free once the node lets go. */
static void abandon_channel(fl_ssh *s, LIBSSH2_CHANNEL *ch) {
    op o;
    int rc;
    op_init(&o, s, CLOSE_GRACE_MS, false);
    for (;;) {
        if ((rc = op_lock(&o)) < 0)
            break;
        if ((rc = op_unlock(&o, libssh2_channel_free(ch))) != LIBSSH2_ERROR_EAGAIN)
            break;
        if (!(o.dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND))
            break; /* all sent; waiting for the node's close */
        if ((rc = op_wait(&o)) < 0)
            break;
    }
    if (rc != LIBSSH2_ERROR_EAGAIN && rc != FL_E_TIMEOUT) {
        op_end(&o);
        return; /* freed, or the session is broken and fl_ssh_close frees it */
    }
    pthread_mutex_lock(&s->mu);
    if (s->send_owner == &o) {
        /* Our close is half-sent and nobody else may send until it is done: the link is
         * as good as dead. */
        snprintf(s->broken, sizeof s->broken,
                 "the session is stuck on a half-sent packet after a timeout; reconnect");
        s->send_owner = NULL;
        pthread_cond_broadcast(&s->state_cv);
    }
    if (s->nzombies < ZOMBIES_MAX)
        s->zombies[s->nzombies++] = ch; /* if full, libssh2_session_free frees it */
    pthread_mutex_unlock(&s->mu);
    op_end(&o);
}

/* Frees the zombies whose command has ended since (a non-blocking attempt each). */
static void reap_zombies(fl_ssh *s) {
    op o;
    op_init(&o, s, 0, false);
    if (op_lock(&o) < 0)
        return;
    for (int i = 0; i < s->nzombies;) {
        if (libssh2_channel_free(s->zombies[i]) == LIBSSH2_ERROR_EAGAIN)
            i++;
        else
            s->zombies[i] = s->zombies[--s->nzombies];
    }
    op_unlock(&o, 0);
    op_end(&o);
}


/* Opens a channel and starts the command. These take turns across the session (s->opener):
 * libssh2 keeps one channel-open state per session, and while it waits for the reply to an
 * exec request it takes any CHANNEL_SUCCESS it reads for its own, failing when the reply is
 * another channel's ("Failed waiting for channel success"). The commands then run at once. */
static LIBSSH2_CHANNEL *start_command(op *o, const char *line, const char **call) {
    LIBSSH2_SESSION *session = o->s->session;
    LIBSSH2_CHANNEL *ch = NULL;
    int rc;
    *call = "libssh2_channel_open_session";
    if (take_turn(o, &o->s->opener) < 0)
        return NULL;
    OP_CALL(o, rc, (ch = libssh2_channel_open_session(session)) ? 0
                                                                : libssh2_session_last_errno(session));
    if (rc == 0) {
        *call = "libssh2_channel_exec";
        OP_CALL(o, rc, libssh2_channel_exec(ch, line));
    }
    give_turn(o, &o->s->opener);
    if (rc < 0 && ch) {
        abandon_channel(o->s, ch);
        ch = NULL;
    }
    return ch;
}

/* The message for a failed command: timeouts and output limits are about the command, the
 * rest about the SSH link. */
static void exec_error(const op *o, const char *call, const char *command, int timeout_ms,
                       char *err) {
    char ms[32];
    if (o->lib_rc == FL_E_TIMEOUT)
        set_err(err, "%s: command timed out after %s: %s", o->s->name, fmt_ms(ms, timeout_ms),
                command);
    else if (o->lib_rc == FL_E_TOOBIG)
        set_err(err, "%s: command printed more than %zu MiB: %s", o->s->name, OUTPUT_CAP >> 20,
                command);
    else if (o->lib_rc == LIBSSH2_ERROR_ALLOC)
        set_err(err, "%s: out of memory for the output of: %s", o->s->name, command);
    else
        set_err(err, "%s: %s: %s (running: %s)", o->s->where, call, o->lib_msg, command);
}

/* Hands the output over NUL-terminated; never NULL, even when there was none. */
static int obuf_take(obuf *b, char **p, size_t *len) {
    if (!b->p && !(b->p = malloc(1)))
        return -1;
    if (b->len > OUTPUT_CAP)
        b->len = OUTPUT_CAP;
    b->p[b->len] = '\0';
    *p = b->p;
    *len = b->len;
    return 0;
}

/* Opens a channel, starts the command, reads it to the end, closes. */
static int run_on_channel(op *o, const char *line, const char *command, int timeout_ms,
                          fl_exec_result *r, char *err) {
    obuf out = {0}, errb = {0};
    const char *call;
    int rc;
    LIBSSH2_CHANNEL *ch = start_command(o, line, &call);
    if (!ch) {
        exec_error(o, call, command, timeout_ms, err);
        return -1;
    }
    call = "libssh2_channel_read_ex";
    rc = read_output(o, ch, &out, &errb);
    if (rc == 0) {
        call = "libssh2_channel_close";
        rc = finish_channel(o, ch, r); /* 0: the channel is freed */
    }
    if (rc < 0) {
        /* On failure r holds nothing: callers free it only after a 0. */
        exec_error(o, call, command, timeout_ms, err);
        abandon_channel(o->s, ch);
        free(out.p);
        free(errb.p);
        return -1;
    }
    if (obuf_take(&out, &r->out, &r->out_len) < 0 || obuf_take(&errb, &r->err, &r->err_len) < 0) {
        fl_exec_result_free(r);
        free(errb.p);
        set_err(err, "%s: out of memory for the output of: %s", o->s->name, command);
        return -1;
    }
    return 0;
}

/* What the node runs for command: itself, or through sudo (malloc'd; NULL: no memory). */
static char *remote_line(const fl_ssh *s, const char *command) {
    char *line = NULL;
    if (!s->sudo)
        return strdup(command);
    /* -n: fail rather than wait for a password prompt nobody will answer. */
    char *q = fl_shell_quote(command);
    if (q && asprintf(&line, "sudo -n -- sh -c %s", q) < 0)
        line = NULL;
    free(q);
    return line;
}

int fl_ssh_exec(fl_ssh *s, const char *command, int timeout_ms, fl_exec_result *r,
                char err[FL_SSH_ERR_BYTES]) {
    char *line, ms[32];
    int rc = -1;
    op o;
    memset(r, 0, sizeof *r);
    r->exit_status = -1;
    err[0] = '\0';
    line = remote_line(s, command);
    if (!line) {
        set_err(err, "%s: out of memory for: %s", s->name, command);
        return -1;
    }
    op_init(&o, s, timeout_ms, false);
    if (slot_take(&o) < 0) {
        set_err(err, "%s: no channel free within %s (%d commands running): %s", s->name,
                fmt_ms(ms, timeout_ms), FL_SSH_CHANNELS_MAX, command);
    } else {
        rc = run_on_channel(&o, line, command, timeout_ms, r, err);
        slot_give(s);
    }
    op_end(&o);
    reap_zombies(s);
    free(line);
    return rc;
}

/* ---- streams: a command kept running, lines in and out ---- */

#define STREAM_OPEN_MS 30000               /* a free channel, then the node's answer */
#define STREAM_LINE_MAX ((size_t)16 << 20) /* one line of stdout */
#define STREAM_STDERR_KEEP ((size_t)1 << 20)
#define STREAM_READ_CHUNK 16384
#define STREAM_DRAIN_MAX ((size_t)256 << 10) /* per stream and turn under the lock */

struct fl_ssh_stream {
    fl_ssh *s;
    LIBSSH2_CHANNEL *ch;
    char *command;           /* as the caller gave it, for messages */
    pthread_mutex_t rd_mu;   /* one read at a time; guards out, errb and the read state */
    pthread_mutex_t wr_mu;   /* one write at a time */
    obuf out;                /* stdout not yet handed out: bytes from out_pos on */
    size_t out_pos;
    size_t out_scan;         /* out.p[out_pos, out_scan) holds no '\n' */
    obuf errb;               /* stderr, NUL-terminated */
    bool eof;                /* the node sent EOF and out holds all that came before it */
    bool rd_failed;          /* a read failed other than by timing out */
    bool wr_failed;          /* a write failed part-way: the line on the node is broken */
};

/* Appends what channel stream id has (up to max bytes) to b; under the lock. b always
 * keeps one byte free for a NUL. */
static int stream_take(LIBSSH2_CHANNEL *ch, int id, obuf *b, size_t max, bool *got) {
    size_t took = 0;
    while (took < max) {
        if (b->cap - b->len < STREAM_READ_CHUNK + 1) {
            size_t cap = b->cap ? b->cap * 2 : 4 * STREAM_READ_CHUNK;
            while (cap - b->len < STREAM_READ_CHUNK + 1)
                cap *= 2;
            char *p = realloc(b->p, cap);
            if (!p)
                return LIBSSH2_ERROR_ALLOC;
            b->p = p;
            b->cap = cap;
        }
        ssize_t n = libssh2_channel_read_ex(ch, id, b->p + b->len, b->cap - b->len - 1);
        if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
            return 0;
        if (n < 0)
            return (int)n;
        b->len += (size_t)n;
        took += (size_t)n;
        *got = true;
    }
    return 0;
}

/* stderr kept to its last STREAM_STDERR_KEEP bytes, NUL-terminated. */
static void stream_trim_stderr(obuf *b) {
    if (b->len > STREAM_STDERR_KEEP) {
        size_t drop = b->len - STREAM_STDERR_KEEP / 2;
        memmove(b->p, b->p + drop, b->len - drop);
        b->len -= drop;
    }
    if (b->p)
        b->p[b->len] = '\0';
}

/* Drops the stdout bytes already handed out, before the buffer grows. */
static void stream_compact(fl_ssh_stream *st) {
    if (!st->out_pos)
        return;
    memmove(st->out.p, st->out.p + st->out_pos, st->out.len - st->out_pos);
    st->out.len -= st->out_pos;
    st->out_scan -= st->out_pos;
    st->out_pos = 0;
}

/* One turn under the lock: what stdout and stderr have, and whether the node sent EOF
 * (libssh2_channel_eof says so only once no data of the channel is left queued). With
 * discard the stdout bytes are thrown away. */
static int stream_pull(op *o, fl_ssh_stream *st, bool discard, bool *got, bool *eof) {
    int rc = op_lock(o);
    *got = *eof = false;
    if (rc < 0)
        return rc;
    if (discard)
        st->out.len = st->out_pos = st->out_scan = 0;
    else
        stream_compact(st);
    rc = stream_take(st->ch, 0, &st->out, STREAM_DRAIN_MAX, got);
    if (rc == 0)
        rc = stream_take(st->ch, SSH_EXTENDED_DATA_STDERR, &st->errb, STREAM_DRAIN_MAX, got);
    stream_trim_stderr(&st->errb);
    if (rc == 0)
        *eof = libssh2_channel_eof(st->ch) == 1;
    rc = op_unlock(o, rc < 0 ? rc : *got || *eof ? 0 : LIBSSH2_ERROR_EAGAIN);
    return rc == LIBSSH2_ERROR_EAGAIN ? 0 : rc;
}

static void stream_free(fl_ssh_stream *st) {
    pthread_mutex_destroy(&st->rd_mu);
    pthread_mutex_destroy(&st->wr_mu);
    free(st->command);
    free(st->out.p);
    free(st->errb.p);
    free(st);
}

int fl_ssh_stream_open(fl_ssh *s, const char *command, fl_ssh_stream **out,
                       char err[FL_SSH_ERR_BYTES]) {
    fl_ssh_stream *st = calloc(1, sizeof *st);
    char *line = remote_line(s, command), ms[32];
    const char *call;
    op o;
    *out = NULL;
    err[0] = '\0';
    if (!st || !line || !(st->command = strdup(command))) {
        set_err(err, "%s: out of memory for: %s", s->name, command);
        free(line);
        if (st)
            free(st->command);
        free(st);
        return -1;
    }
    st->s = s;
    pthread_mutex_init(&st->rd_mu, NULL);
    pthread_mutex_init(&st->wr_mu, NULL);
    op_init(&o, s, STREAM_OPEN_MS, false);
    if (slot_take(&o) < 0) {
        set_err(err, "%s: no channel free within %s (%d commands running): %s", s->name,
                fmt_ms(ms, STREAM_OPEN_MS), FL_SSH_CHANNELS_MAX, command);
    } else if (!(st->ch = start_command(&o, line, &call))) {
        if (o.lib_rc == FL_E_TIMEOUT)
            set_err(err, "%s: no answer in %s to starting: %s", s->where,
                    fmt_ms(ms, STREAM_OPEN_MS), command);
        else
            set_err(err, "%s: %s: %s (starting: %s)", s->where, call, o.lib_msg, command);
        slot_give(s);
    }
    op_end(&o);
    free(line);
    reap_zombies(s);
    if (!st->ch) {
        stream_free(st);
        return -1;
    }
    *out = st;
    return 0;
}

/* Sets err for a failed stream call: timeouts are about the command, the rest about SSH. */
static void stream_err(const op *o, const fl_ssh_stream *st, const char *what, int timeout_ms,
                       char *err) {
    char ms[32];
    if (o->lib_rc == FL_E_TIMEOUT)
        set_err(err, "%s: %s timed out after %s: %s", st->s->name, what,
                fmt_ms(ms, timeout_ms), st->command);
    else if (o->lib_rc == LIBSSH2_ERROR_ALLOC)
        set_err(err, "%s: %s: out of memory: %s", st->s->name, what, st->command);
    else
        set_err(err, "%s: %s: %s (stream: %s)", st->s->where, what, o->lib_msg, st->command);
}

/* A packet of ours half-sent when the op gave up can be finished only by repeating the same
 * call, which will not happen: as in abandon_channel, the session is then done for. */
static void stream_write_gave_up(op *o) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    if (s->send_owner == o) {
        snprintf(s->broken, sizeof s->broken,
                 "the session is stuck on a half-sent packet after a timeout; reconnect");
        s->send_owner = NULL;
        pthread_cond_broadcast(&s->state_cv);
    }
    pthread_mutex_unlock(&s->mu);
}

static int stream_write(op *o, fl_ssh_stream *st, const char *buf, size_t len, size_t *done) {
    int rc;
    /* Only a look at libssh2's queue, no call that sends or reads: the lock alone. */
    pthread_mutex_lock(&o->s->mu);
    bool ended = libssh2_channel_eof(st->ch) == 1;
    pthread_mutex_unlock(&o->s->mu);
    if (ended) {
        snprintf(o->lib_msg, sizeof o->lib_msg, "the command has ended (its output is closed)");
        return o->lib_rc = LIBSSH2_ERROR_CHANNEL_EOF_SENT;
    }
    while (*done < len) {
        /* The same buffer on every retry: libssh2 finishes a half-sent packet only when
         * called again with the same arguments. */
        OP_CALL(o, rc, (int)libssh2_channel_write(st->ch, buf + *done, len - *done));
        if (rc < 0)
            return rc;
        if (rc == 0 && (rc = op_wait(o)) < 0) /* the node's window is full */
            return rc;
        *done += (size_t)rc;
    }
    return 0;
}

int fl_ssh_stream_write_line(fl_ssh_stream *st, const char *line, int timeout_ms,
                             char err[FL_SSH_ERR_BYTES]) {
    size_t len = strlen(line), done = 0;
    bool add_nl = len == 0 || line[len - 1] != '\n';
    char *buf;
    int rc;
    op o;
    err[0] = '\0';
    if (!(buf = malloc(len + 2))) {
        set_err(err, "%s: write: out of memory: %s", st->s->name, st->command);
        return -1;
    }
    memcpy(buf, line, len);
    if (add_nl)
        buf[len++] = '\n';
    pthread_mutex_lock(&st->wr_mu);
    if (st->wr_failed) {
        set_err(err, "%s: write: an earlier write failed part-way: %s", st->s->name,
                st->command);
        rc = -1;
    } else {
        op_init(&o, st->s, timeout_ms, false);
        rc = stream_write(&o, st, buf, len, &done);
        if (rc < 0) {
            stream_err(&o, st, "write", timeout_ms, err);
            stream_write_gave_up(&o);
            if (done > 0 || rc != FL_E_TIMEOUT)
                st->wr_failed = true;
        }
        op_end(&o);
    }
    pthread_mutex_unlock(&st->wr_mu);
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* Hands out the next whole line, or at end of stream what is left: 1 when it did. */
static int stream_next_line(fl_ssh_stream *st, char **line) {
    size_t avail = st->out.len - st->out_pos, len;
    if (!avail)
        return 0;
    char *start = st->out.p + st->out_pos;
    char *nl = memchr(st->out.p + st->out_scan, '\n', st->out.len - st->out_scan);
    if (nl)
        len = (size_t)(nl - start);
    else if (st->eof && avail)
        len = avail;
    else {
        st->out_scan = st->out.len;
        return 0;
    }
    if (!(*line = malloc(len + 1)))
        return -1;
    memcpy(*line, start, len);
    (*line)[len] = '\0';
    st->out_pos += nl ? len + 1 : len;
    st->out_scan = st->out_pos;
    return 1;
}

int fl_ssh_stream_read_line(fl_ssh_stream *st, int timeout_ms, char **line,
                            char err[FL_SSH_ERR_BYTES]) {
    int ret = -1;
    op o;
    *line = NULL;
    err[0] = '\0';
    pthread_mutex_lock(&st->rd_mu);
    if (st->rd_failed) {
        set_err(err, "%s: read: an earlier read failed: %s", st->s->name, st->command);
        pthread_mutex_unlock(&st->rd_mu);
        return -1;
    }
    op_init(&o, st->s, timeout_ms, false);
    for (;;) {
        bool got, eof;
        int n = stream_next_line(st, line);
        if (n != 0) {
            ret = n > 0 ? 0 : op_fail(&o, LIBSSH2_ERROR_ALLOC);
            break;
        }
        if (st->eof) {
            ret = 1;
            break;
        }
        if (st->out.len - st->out_pos > STREAM_LINE_MAX) {
            ret = op_fail(&o, FL_E_TOOBIG);
            break;
        }
        if ((ret = stream_pull(&o, st, false, &got, &eof)) < 0)
            break;
        st->eof = eof;
        if (!got && !eof && (ret = op_wait(&o)) < 0)
            break;
    }
    op_end(&o);
    if (ret < 0) {
        if (o.lib_rc == FL_E_TOOBIG)
            set_err(err, "%s: read: a line of more than %zu MiB: %s", st->s->name,
                    STREAM_LINE_MAX >> 20, st->command);
        else
            stream_err(&o, st, "read", timeout_ms, err);
        /* A timeout leaves everything in place; the next read goes on from there. */
        if (o.lib_rc != FL_E_TIMEOUT)
            st->rd_failed = true;
    }
    pthread_mutex_unlock(&st->rd_mu);
    return ret < 0 ? -1 : ret;
}

const char *fl_ssh_stream_stderr(fl_ssh_stream *st) {
    return st->errb.p ? st->errb.p : "";
}

int fl_ssh_stream_close(fl_ssh_stream *st, int timeout_ms) {
    fl_exec_result r = {.exit_status = -1};
    bool got, eof = false;
    int rc;
    op o;
    if (!st)
        return -1;
    fl_ssh *s = st->s;
    op_init(&o, s, timeout_ms, false);
    OP_CALL(&o, rc, libssh2_channel_send_eof(st->ch));
    /* The node closes the channel only after the command's EOF; until then its output is
     * read (and stdout dropped) so that it cannot block on a full window. */
    while (rc == 0 && !eof) {
        if ((rc = stream_pull(&o, st, true, &got, &eof)) == 0 && !got && !eof)
            rc = op_wait(&o);
    }
    if (rc == 0)
        rc = finish_channel(&o, st->ch, &r); /* 0: the channel is freed */
    if (rc < 0)
        abandon_channel(s, st->ch);
    op_end(&o);
    slot_give(s);
    reap_zombies(s);
    stream_free(st);
    return rc < 0 ? -1 : r.exit_status;
}

/* ---- files over SFTP ---- */

#define FL_E_LOCAL (-1003) /* a local file call failed; lib_msg has the errno text */

static int local_fail(op *o, const char *what, const char *path) {
    snprintf(o->lib_msg, sizeof o->lib_msg, "%s %s: %s", what, path, strerror(errno));
    o->lib_rc = FL_E_LOCAL;
    return FL_E_LOCAL;
}

/* Starts SFTP on first use (the caller holds sftp_mu). */
static int sftp_start(op *o) {
    fl_ssh *s = o->s;
    LIBSSH2_SFTP *sftp = NULL;
    int rc;
    if (s->sftp)
        return 0;
    if ((rc = take_turn(o, &s->opener)) < 0) /* libssh2_sftp_init opens a channel */
        return rc;
    OP_CALL(o, rc, (sftp = libssh2_sftp_init(s->session)) ? 0
                                                          : libssh2_session_last_errno(s->session));
    give_turn(o, &s->opener);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&s->mu);
    s->sftp = sftp;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static LIBSSH2_SFTP_HANDLE *sftp_open(op *o, const char *path, unsigned long flags, long mode) {
    LIBSSH2_SFTP_HANDLE *h = NULL;
    int rc;
    OP_CALL(o, rc, (h = libssh2_sftp_open_ex(o->s->sftp, path, (unsigned)strlen(path), flags,
                                             mode, LIBSSH2_SFTP_OPENFILE))
                       ? 0 : libssh2_session_last_errno(o->s->session));
    (void)rc;
    return h;
}

/* Writes the whole file. libssh2_sftp_write pipelines: it returns once the first piece is
 * acknowledged and must be called again with the rest of the same bytes. */
static int send_file(op *o, int fd, LIBSSH2_SFTP_HANDLE *h, char *buf, const char *path) {
    for (;;) {
        ssize_t n = read(fd, buf, SFTP_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return local_fail(o, "reading", path);
        if (n == 0)
            return 0;
        for (size_t done = 0; done < (size_t)n;) {
            int rc;
            OP_CALL(o, rc, (int)libssh2_sftp_write(h, buf + done, (size_t)n - done));
            if (rc < 0)
                return rc;
            if (rc == 0 && (rc = op_wait(o)) < 0) /* nothing acknowledged yet */
                return rc;
            done += (size_t)rc;
        }
    }
}

static int recv_file(op *o, LIBSSH2_SFTP_HANDLE *h, int fd, char *buf, const char *path) {
    for (;;) {
        int rc;
        OP_CALL(o, rc, (int)libssh2_sftp_read(h, buf, SFTP_CHUNK));
        if (rc <= 0)
            return rc; /* 0: end of file */
        for (ssize_t done = 0, w; done < rc; done += w) {
            w = write(fd, buf + done, (size_t)(rc - done));
            if (w < 0 && errno == EINTR)
                w = 0;
            else if (w < 0)
                return local_fail(o, "writing", path);
        }
    }
}

/* Closes a handle even when the transfer failed, with a deadline of its own. */
static int sftp_close(fl_ssh *s, LIBSSH2_SFTP_HANDLE *h, op *result) {
    op o;
    int rc;
    op_init(&o, s, CLOSE_GRACE_MS * 5, false);
    OP_CALL(&o, rc, libssh2_sftp_close_handle(h));
    op_end(&o);
    if (rc < 0 && result)
        *result = o;
    return rc;
}

/* A transfer that stalled leaves libssh2's SFTP state mid-request; the link is as good as
 * dead anyway, so the session says so instead of failing strangely later. */
static void xfer_done(op *o, int rc) {
    op_end(o);
    if (rc != FL_E_TIMEOUT)
        return;
    pthread_mutex_lock(&o->s->mu);
    snprintf(o->s->broken, sizeof o->s->broken,
             "an SFTP transfer made no progress for %d s; reconnect", SFTP_STALL_MS / 1000);
    pthread_mutex_unlock(&o->s->mu);
}

static void xfer_err(const op *o, char *err, const char *dir, const char *from, const char *to,
                     const char *call) {
    char what[FL_SSH_ERR_BYTES];
    snprintf(what, sizeof what, "%s %s -> %s: %s", dir, from, to, call);
    if (o->lib_rc == FL_E_TIMEOUT)
        set_err(err, "%s: %s: no progress in %d s", o->s->where, what, SFTP_STALL_MS / 1000);
    else
        op_err(o, err, what);
}

/* Open, write, set the mode (the node's umask applied at open), close. */
static int upload_to(op *o, int fd, mode_t mode, const char *local_path, const char *remote_path,
                     char *buf, const char **call) {
    LIBSSH2_SFTP_ATTRIBUTES attrs = {.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS, .permissions = mode};
    LIBSSH2_SFTP_HANDLE *h;
    int rc;
    *call = "libssh2_sftp_init";
    if ((rc = sftp_start(o)) < 0)
        return rc;
    *call = "libssh2_sftp_open_ex";
    h = sftp_open(o, remote_path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                  (long)mode);
    if (!h)
        return o->lib_rc;
    *call = "libssh2_sftp_write";
    rc = send_file(o, fd, h, buf, local_path);
    if (rc == 0) {
        *call = "libssh2_sftp_fsetstat";
        OP_CALL(o, rc, libssh2_sftp_fsetstat(h, &attrs));
    }
    /* A failed write can surface only at close, so its error counts when all else went well. */
    int crc = sftp_close(o->s, h, rc == 0 ? o : NULL);
    if (rc == 0 && crc < 0) {
        *call = "libssh2_sftp_close_handle";
        rc = crc;
    }
    return rc;
}

int fl_ssh_upload(fl_ssh *s, const char *local_path, const char *remote_path,
                  char err[FL_SSH_ERR_BYTES]) {
    struct stat st;
    const char *call = "";
    char *buf = NULL;
    int rc = -1, fd;
    op o;
    err[0] = '\0';
    fd = open(local_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        set_err(err, "%s: upload %s -> %s: %s", s->name, local_path, remote_path,
                strerror(errno));
        goto err;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, "%s: upload %s -> %s: not a regular file", s->name, local_path,
                remote_path);
        goto err;
    }
    if (!(buf = malloc(SFTP_CHUNK))) {
        set_err(err, "%s: upload %s: out of memory", s->name, local_path);
        goto err;
    }
    pthread_mutex_lock(&s->sftp_mu);
    op_init(&o, s, SFTP_STALL_MS, true);
    rc = upload_to(&o, fd, st.st_mode & 0777, local_path, remote_path, buf, &call);
    if (rc < 0)
        xfer_err(&o, err, "upload", local_path, remote_path, call);
    xfer_done(&o, rc);
    pthread_mutex_unlock(&s->sftp_mu);
err:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc < 0 ? -1 : 0;
}

/* Open, read the mode, copy into fd, close. */
static int download_from(op *o, const char *remote_path, int fd, const char *tmp_path, char *buf,
                         mode_t *mode, const char **call) {
    LIBSSH2_SFTP_ATTRIBUTES attrs;
    LIBSSH2_SFTP_HANDLE *h;
    int rc;
    *call = "libssh2_sftp_init";
    if ((rc = sftp_start(o)) < 0)
        return rc;
    *call = "libssh2_sftp_open_ex";
    if (!(h = sftp_open(o, remote_path, LIBSSH2_FXF_READ, 0)))
        return o->lib_rc;
    *call = "libssh2_sftp_fstat";
    memset(&attrs, 0, sizeof attrs);
    OP_CALL(o, rc, libssh2_sftp_fstat(h, &attrs));
    if (rc == 0 && (attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
        *mode = (mode_t)(attrs.permissions & 0777);
    if (rc == 0) {
        *call = "libssh2_sftp_read";
        rc = recv_file(o, h, fd, buf, tmp_path);
    }
    sftp_close(o->s, h, NULL); /* nothing was written through it: its errors do not matter */
    return rc;
}

/* Into a temporary file beside local_path, renamed over it only when complete, so that a
 * failed download never leaves half a file under the real name. */
int fl_ssh_download(fl_ssh *s, const char *remote_path, const char *local_path,
                    char err[FL_SSH_ERR_BYTES]) {
    const char *call = "";
    char *tmp = NULL, *buf = NULL;
    mode_t mode = 0644;
    int rc = -1, fd = -1, saved = 0;
    op o;
    err[0] = '\0';
    if (asprintf(&tmp, "%s.XXXXXX", local_path) < 0 || !(buf = malloc(SFTP_CHUNK))) {
        set_err(err, "%s: download %s: out of memory", s->name, remote_path);
        goto err;
    }
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        set_err(err, "%s: download %s -> %s: creating %s: %s", s->name, remote_path, local_path,
                tmp, strerror(errno));
        goto err;
    }
    pthread_mutex_lock(&s->sftp_mu);
    op_init(&o, s, SFTP_STALL_MS, true);
    rc = download_from(&o, remote_path, fd, tmp, buf, &mode, &call);
    if (rc < 0)
        xfer_err(&o, err, "download", remote_path, local_path, call);
    xfer_done(&o, rc);
    pthread_mutex_unlock(&s->sftp_mu);
    /* The node's mode exactly, not reduced by our umask. */
    if (rc == 0 && fchmod(fd, mode) < 0)
        saved = errno;
    if (close(fd) < 0 && !saved)
        saved = errno;
    if (rc == 0 && !saved && rename(tmp, local_path) < 0)
        saved = errno;
    if (rc == 0 && saved) {
        set_err(err, "%s: download %s -> %s: saving %s: %s", s->name, remote_path, local_path,
                tmp, strerror(saved));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
err:
    free(tmp);
    free(buf);
    return rc < 0 ? -1 : 0;
}

const char *fl_ssh_name(const fl_ssh *s) {
    return s->name;
}

/* Retries a libssh2 call of fl_ssh_close for a short while; no other thread uses s now. */
#define CLOSE_CALL(s, rc, call)                                                  \
    for (int tries_ = 0; ((rc) = (call)) == LIBSSH2_ERROR_EAGAIN && tries_ < 200; tries_++) \
        poll(&(struct pollfd){.fd = (s)->sock, .events = POLLIN | POLLOUT}, 1, 10)

void fl_ssh_close(fl_ssh *s) {
    int rc;
    if (!s)
        return;
    if (s->session) {
        if (s->up && !s->broken[0])
            CLOSE_CALL(s, rc, libssh2_session_disconnect(s->session, "faultline: done"));
        /* Channels still waiting for the node to confirm their close (timed-out commands)
         * would hold up libssh2_session_free; with the socket shut they give up at once. */
        if (s->sock >= 0)
            shutdown(s->sock, SHUT_RDWR);
        if (s->sftp)
            CLOSE_CALL(s, rc, libssh2_sftp_shutdown(s->sftp));
        CLOSE_CALL(s, rc, libssh2_session_free(s->session));
        (void)rc;
    }
    if (s->sock >= 0)
        close(s->sock);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->sftp_mu);
    pthread_cond_destroy(&s->io_cv);
    pthread_cond_destroy(&s->state_cv);
    free(s->name);
    free(s->where);
    free(s);
}
