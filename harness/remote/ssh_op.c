/* The SSH remote's plumbing: one libssh2 call at a time under the session lock, a
 * deadline per caller, waiting on EAGAIN (see "How one session is shared", ssh_internal.h). */
#include "ssh_internal.h"

__attribute__((format(printf, 2, 3))) void ssh_set_err(char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, FL_SSH_ERR_BYTES, fmt, ap);
    va_end(ap);
}

int64_t ssh_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *ssh_fmt_ms(char buf[32], int ms) {
    if (ms >= 1000 && ms % 1000 == 0)
        snprintf(buf, 32, "%d s", ms / 1000);
    else
        snprintf(buf, 32, "%d ms", ms);
    return buf;
}

/* The condition variables run on CLOCK_MONOTONIC so that a clock step cannot stretch a wait. */
void ssh_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms) {
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

const char *ssh_sftp_status_text(unsigned long st) {
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

void ssh_op_init(op *o, fl_ssh *s, int ms, bool stall) {
    memset(o, 0, sizeof *o);
    o->s = s;
    o->stall_ms = stall ? ms : 0;
    o->deadline = ms > 0 ? ssh_now_ms() + ms : 0;
}

/* How long the op may sleep now: 0 when its time is up. */
int ssh_op_slice(const op *o) {
    if (!o->deadline)
        return SLICE_MS;
    int64_t left = o->deadline - ssh_now_ms();
    return left <= 0 ? 0 : left < SLICE_MS ? (int)left : SLICE_MS;
}

int ssh_op_fail(op *o, int rc) {
    o->lib_rc = rc;
    if (rc == FL_E_BROKEN)
        snprintf(o->lib_msg, sizeof o->lib_msg, "%s", o->s->broken);
    else if (rc == FL_E_TIMEOUT)
        snprintf(o->lib_msg, sizeof o->lib_msg, "no answer in time");
    return rc;
}

/* Takes the lock for a libssh2 call, first waiting while another op owns a half-sent
 * packet. Returns 0 with the lock held, or FL_E_* without it. */
int ssh_op_lock(op *o) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    while (!s->broken[0] && s->send_owner && s->send_owner != o) {
        int ms = ssh_op_slice(o);
        if (!ms) {
            pthread_mutex_unlock(&s->mu);
            return ssh_op_fail(o, FL_E_TIMEOUT);
        }
        ssh_cond_wait_ms(&s->state_cv, &s->mu, ms);
    }
    if (s->broken[0]) {
        pthread_mutex_unlock(&s->mu);
        return ssh_op_fail(o, FL_E_BROKEN);
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

/* Ends a call made under ssh_op_lock: notes what libssh2 blocked on, hands the send lock to
 * this op while one of its packets is half-sent, and drops the lock. Returns rc. */
int ssh_op_unlock(op *o, int rc) {
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
        o->deadline = ssh_now_ms() + o->stall_ms;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* After EAGAIN: waits until the socket may let the op go on. One thread polls the socket
 * and the others wait on io_cv, which every recv() that gets bytes signals. */
int ssh_op_wait(op *o) {
    fl_ssh *s = o->s;
    int ms = ssh_op_slice(o);
    if (!ms)
        return ssh_op_fail(o, FL_E_TIMEOUT);
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
        ssh_cond_wait_ms(&s->io_cv, &s->mu, ms);
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


/* Lets go of whatever the op still holds; a packet it left half-sent can only be finished
 * by libssh2's next read (a reply libssh2 sends by itself), so the lock is handed on. */
void ssh_op_end(op *o) {
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
void ssh_op_err(const op *o, char *err, const char *what) {
    if (o->lib_rc == FL_E_TIMEOUT)
        ssh_set_err(err, "%s: %s: no answer in time", o->s->where, what);
    else if (o->sftp_status)
        ssh_set_err(err, "%s: %s: %s (SFTP status %lu)", o->s->where, what,
                ssh_sftp_status_text(o->sftp_status), o->sftp_status);
    else
        ssh_set_err(err, "%s: %s: %s", o->s->where, what, o->lib_msg);
}

/* Counts bytes in so that threads waiting for their channel look again (see the top). */
LIBSSH2_RECV_FUNC(ssh_recv) {
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
int ssh_take_turn(op *o, const void **slot) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    while (*slot && *slot != o) {
        int ms = ssh_op_slice(o);
        if (!ms) {
            pthread_mutex_unlock(&s->mu);
            return ssh_op_fail(o, FL_E_TIMEOUT);
        }
        ssh_cond_wait_ms(&s->state_cv, &s->mu, ms);
    }
    *slot = o;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void ssh_give_turn(op *o, const void **slot) {
    pthread_mutex_lock(&o->s->mu);
    if (*slot == o) {
        *slot = NULL;
        pthread_cond_broadcast(&o->s->state_cv);
    }
    pthread_mutex_unlock(&o->s->mu);
}
