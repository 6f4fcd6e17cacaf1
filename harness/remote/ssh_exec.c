/* The SSH remote's commands: one channel per command, its output, exit status and
 * timeout, and the channels of timed-out commands reaped later (see ssh.h). */
#include "ssh_internal.h"

#include "shell_quote.h"

/* ---- commands ---- */

int ssh_slot_take(op *o) {
    fl_ssh *s = o->s;
    pthread_mutex_lock(&s->mu);
    while (s->channels >= FL_SSH_CHANNELS_MAX) {
        int ms = ssh_op_slice(o);
        if (!ms) {
            pthread_mutex_unlock(&s->mu);
            return ssh_op_fail(o, FL_E_TIMEOUT);
        }
        ssh_cond_wait_ms(&s->state_cv, &s->mu, ms);
    }
    s->channels++;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void ssh_slot_give(fl_ssh *s) {
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
        int eof = 0, rc = ssh_op_lock(o);
        if (rc < 0)
            return rc;
        rc = drain(ch, 0, out, &got);
        if (rc == 0)
            rc = drain(ch, SSH_EXTENDED_DATA_STDERR, errb, &got);
        if (rc == 0)
            eof = libssh2_channel_eof(ch);
        rc = ssh_op_unlock(o, rc < 0 ? rc : got || eof ? 0 : LIBSSH2_ERROR_EAGAIN);
        if (rc < 0 && rc != LIBSSH2_ERROR_EAGAIN)
            return rc;
        if (eof)
            return 0;
        if (!got && (rc = ssh_op_wait(o)) < 0)
            return rc;
    }
}

/* Closes a finished command's channel and collects its exit status or signal. */
int ssh_finish_channel(op *o, LIBSSH2_CHANNEL *ch, fl_exec_result *r) {
    fl_ssh *s = o->s;
    char *sig = NULL;
    size_t siglen = 0;
    int rc;
    OP_CALL(o, rc, libssh2_channel_close(ch));
    if (rc == 0)
        OP_CALL(o, rc, libssh2_channel_wait_closed(ch));
    if (rc < 0)
        return rc;
    if ((rc = ssh_op_lock(o)) < 0)
        return rc;
    r->exit_status = libssh2_channel_get_exit_status(ch);
    libssh2_channel_get_exit_signal(ch, &sig, &siglen, NULL, NULL, NULL, NULL);
    if (sig) {
        snprintf(r->exit_signal, sizeof r->exit_signal, "%.*s", (int)siglen, sig);
        r->exit_status = -1;
        libssh2_free(s->session, sig);
    }
    ssh_op_unlock(o, 0);
    OP_CALL(o, rc, libssh2_channel_free(ch));
    return rc;
}

/* Gives up on a channel (a timeout, or an error). The node confirms the close only once the
 * command has exited, which may be never, so we wait only until our EOF and CLOSE are sent;
 * the channel then joins the zombies that later calls free once the node lets go. */
void ssh_abandon_channel(fl_ssh *s, LIBSSH2_CHANNEL *ch) {
    op o;
    int rc;
    ssh_op_init(&o, s, CLOSE_GRACE_MS, false);
    for (;;) {
        if ((rc = ssh_op_lock(&o)) < 0)
            break;
        if ((rc = ssh_op_unlock(&o, libssh2_channel_free(ch))) != LIBSSH2_ERROR_EAGAIN)
            break;
        if (!(o.dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND))
            break; /* all sent; waiting for the node's close */
        if ((rc = ssh_op_wait(&o)) < 0)
            break;
    }
    if (rc != LIBSSH2_ERROR_EAGAIN && rc != FL_E_TIMEOUT) {
        ssh_op_end(&o);
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
    ssh_op_end(&o);
}

/* Frees the zombies whose command has ended since (a non-blocking attempt each). */
void ssh_reap_zombies(fl_ssh *s) {
    op o;
    ssh_op_init(&o, s, 0, false);
    if (ssh_op_lock(&o) < 0)
        return;
    for (int i = 0; i < s->nzombies;) {
        if (libssh2_channel_free(s->zombies[i]) == LIBSSH2_ERROR_EAGAIN)
            i++;
        else
            s->zombies[i] = s->zombies[--s->nzombies];
    }
    ssh_op_unlock(&o, 0);
    ssh_op_end(&o);
}


/* Opens a channel and starts the command. These take turns across the session (s->opener):
 * libssh2 keeps one channel-open state per session, and while it waits for the reply to an
 * exec request it takes any CHANNEL_SUCCESS it reads for its own, failing when the reply is
 * another channel's ("Failed waiting for channel success"). The commands then run at once. */
LIBSSH2_CHANNEL *ssh_start_command(op *o, const char *line, const char **call) {
    LIBSSH2_SESSION *session = o->s->session;
    LIBSSH2_CHANNEL *ch = NULL;
    int rc;
    *call = "libssh2_channel_open_session";
    if (ssh_take_turn(o, &o->s->opener) < 0)
        return NULL;
    OP_CALL(o, rc, (ch = libssh2_channel_open_session(session)) ? 0
                                                                : libssh2_session_last_errno(session));
    if (rc == 0) {
        *call = "libssh2_channel_exec";
        OP_CALL(o, rc, libssh2_channel_exec(ch, line));
    }
    ssh_give_turn(o, &o->s->opener);
    if (rc < 0 && ch) {
        ssh_abandon_channel(o->s, ch);
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
        ssh_set_err(err, "%s: command timed out after %s: %s", o->s->name, ssh_fmt_ms(ms, timeout_ms),
                command);
    else if (o->lib_rc == FL_E_TOOBIG)
        ssh_set_err(err, "%s: command printed more than %zu MiB: %s", o->s->name, OUTPUT_CAP >> 20,
                command);
    else if (o->lib_rc == LIBSSH2_ERROR_ALLOC)
        ssh_set_err(err, "%s: out of memory for the output of: %s", o->s->name, command);
    else
        ssh_set_err(err, "%s: %s: %s (running: %s)", o->s->where, call, o->lib_msg, command);
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
    LIBSSH2_CHANNEL *ch = ssh_start_command(o, line, &call);
    if (!ch) {
        exec_error(o, call, command, timeout_ms, err);
        return -1;
    }
    call = "libssh2_channel_read_ex";
    rc = read_output(o, ch, &out, &errb);
    if (rc == 0) {
        call = "libssh2_channel_close";
        rc = ssh_finish_channel(o, ch, r); /* 0: the channel is freed */
    }
    if (rc < 0) {
        /* On failure r holds nothing: callers free it only after a 0. */
        exec_error(o, call, command, timeout_ms, err);
        ssh_abandon_channel(o->s, ch);
        free(out.p);
        free(errb.p);
        return -1;
    }
    if (obuf_take(&out, &r->out, &r->out_len) < 0 || obuf_take(&errb, &r->err, &r->err_len) < 0) {
        fl_exec_result_free(r);
        free(errb.p);
        ssh_set_err(err, "%s: out of memory for the output of: %s", o->s->name, command);
        return -1;
    }
    return 0;
}

/* What the node runs for command: itself, or through sudo (malloc'd; NULL: no memory). */
char *ssh_remote_line(const fl_ssh *s, const char *command) {
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
    line = ssh_remote_line(s, command);
    if (!line) {
        ssh_set_err(err, "%s: out of memory for: %s", s->name, command);
        return -1;
    }
    ssh_op_init(&o, s, timeout_ms, false);
    if (ssh_slot_take(&o) < 0) {
        ssh_set_err(err, "%s: no channel free within %s (%d commands running): %s", s->name,
                ssh_fmt_ms(ms, timeout_ms), FL_SSH_CHANNELS_MAX, command);
    } else {
        rc = run_on_channel(&o, line, command, timeout_ms, r, err);
        ssh_slot_give(s);
    }
    ssh_op_end(&o);
    ssh_reap_zombies(s);
    free(line);
    return rc;
}
