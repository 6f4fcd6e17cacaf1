/* The SSH remote's streams: a command kept running on a channel, lines in and out,
 * its stderr kept on the side (the agent's channel; see ssh.h). */
#include "ssh_internal.h"

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
    int rc = ssh_op_lock(o);
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
    rc = ssh_op_unlock(o, rc < 0 ? rc : *got || *eof ? 0 : LIBSSH2_ERROR_EAGAIN);
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
    char *line = ssh_remote_line(s, command), ms[32];
    const char *call;
    op o;
    *out = NULL;
    err[0] = '\0';
    if (!st || !line || !(st->command = strdup(command))) {
        ssh_set_err(err, "%s: out of memory for: %s", s->name, command);
        free(line);
        if (st)
            free(st->command);
        free(st);
        return -1;
    }
    st->s = s;
    pthread_mutex_init(&st->rd_mu, NULL);
    pthread_mutex_init(&st->wr_mu, NULL);
    ssh_op_init(&o, s, STREAM_OPEN_MS, false);
    if (ssh_slot_take(&o) < 0) {
        ssh_set_err(err, "%s: no channel free within %s (%d commands running): %s", s->name,
                ssh_fmt_ms(ms, STREAM_OPEN_MS), FL_SSH_CHANNELS_MAX, command);
    } else if (!(st->ch = ssh_start_command(&o, line, &call))) {
        if (o.lib_rc == FL_E_TIMEOUT)
            ssh_set_err(err, "%s: no answer in %s to starting: %s", s->where,
                    ssh_fmt_ms(ms, STREAM_OPEN_MS), command);
        else
            ssh_set_err(err, "%s: %s: %s (starting: %s)", s->where, call, o.lib_msg, command);
        ssh_slot_give(s);
    }
    ssh_op_end(&o);
    free(line);
    ssh_reap_zombies(s);
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
        ssh_set_err(err, "%s: %s timed out after %s: %s", st->s->name, what,
                ssh_fmt_ms(ms, timeout_ms), st->command);
    else if (o->lib_rc == LIBSSH2_ERROR_ALLOC)
        ssh_set_err(err, "%s: %s: out of memory: %s", st->s->name, what, st->command);
    else
        ssh_set_err(err, "%s: %s: %s (stream: %s)", st->s->where, what, o->lib_msg, st->command);
}

/* A packet of ours half-sent when the op gave up can be finished only by repeating the same
 * call, which will not happen: as in ssh_abandon_channel, the session is then done for. */
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
        if (rc == 0 && (rc = ssh_op_wait(o)) < 0) /* the node's window is full */
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
        ssh_set_err(err, "%s: write: out of memory: %s", st->s->name, st->command);
        return -1;
    }
    memcpy(buf, line, len);
    if (add_nl)
        buf[len++] = '\n';
    pthread_mutex_lock(&st->wr_mu);
    if (st->wr_failed) {
        ssh_set_err(err, "%s: write: an earlier write failed part-way: %s", st->s->name,
                st->command);
        rc = -1;
    } else {
        ssh_op_init(&o, st->s, timeout_ms, false);
        rc = stream_write(&o, st, buf, len, &done);
        if (rc < 0) {
            stream_err(&o, st, "write", timeout_ms, err);
            stream_write_gave_up(&o);
            if (done > 0 || rc != FL_E_TIMEOUT)
                st->wr_failed = true;
        }
        ssh_op_end(&o);
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
        ssh_set_err(err, "%s: read: an earlier read failed: %s", st->s->name, st->command);
        pthread_mutex_unlock(&st->rd_mu);
        return -1;
    }
    ssh_op_init(&o, st->s, timeout_ms, false);
    for (;;) {
        bool got, eof;
        int n = stream_next_line(st, line);
        if (n != 0) {
            ret = n > 0 ? 0 : ssh_op_fail(&o, LIBSSH2_ERROR_ALLOC);
            break;
        }
        if (st->eof) {
            ret = 1;
            break;
        }
        if (st->out.len - st->out_pos > STREAM_LINE_MAX) {
            ret = ssh_op_fail(&o, FL_E_TOOBIG);
            break;
        }
        if ((ret = stream_pull(&o, st, false, &got, &eof)) < 0)
            break;
        st->eof = eof;
        if (!got && !eof && (ret = ssh_op_wait(&o)) < 0)
            break;
    }
    ssh_op_end(&o);
    if (ret < 0) {
        if (o.lib_rc == FL_E_TOOBIG)
            ssh_set_err(err, "%s: read: a line of more than %zu MiB: %s", st->s->name,
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
    ssh_op_init(&o, s, timeout_ms, false);
    OP_CALL(&o, rc, libssh2_channel_send_eof(st->ch));
    /* The node closes the channel only after the command's EOF; until then its output is
     * read (and stdout dropped) so that it cannot block on a full window. */
    while (rc == 0 && !eof) {
        if ((rc = stream_pull(&o, st, true, &got, &eof)) == 0 && !got && !eof)
            rc = ssh_op_wait(&o);
    }
    if (rc == 0)
        rc = ssh_finish_channel(&o, st->ch, &r); /* 0: the channel is freed */
    if (rc < 0)
        ssh_abandon_channel(s, st->ch);
    ssh_op_end(&o);
    ssh_slot_give(s);
    ssh_reap_zombies(s);
    stream_free(st);
    return rc < 0 ? -1 : r.exit_status;
}
