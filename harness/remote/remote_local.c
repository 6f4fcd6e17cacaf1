/* The remote table on this machine: a node is a work directory here, its commands run
 * by /bin/sh (through `sudo -n` when the node says sudo), optionally inside the network
 * namespace the node names (setns in the child, so the controller's threads stay put).
 * Files are copied. For tests without root and for a controller that is its own node. */
#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_CAP ((size_t)64 << 20)      /* per output of one command, as SSH's */
#define LINE_MAX_BYTES ((size_t)16 << 20)  /* one line of a stream's stdout */
#define STDERR_KEEP ((size_t)1 << 20)      /* a stream's stderr: the last MiB */
#define CHUNK 16384

/* A copy's file open for writing must never be inherited by a child forked meanwhile by
 * another thread: until that child execs, the file cannot be executed ("Text file
 * busy"), and an agent uploaded to one node and started at once while another node's
 * command was forking failed so (agents start on every node at once). So a copy holds
 * this shared while its file is open for writing, and spawn holds it exclusively
 * across fork, which then never sees such a descriptor (the child's copies of the
 * others close at exec: O_CLOEXEC). */
static pthread_rwlock_t write_fds = PTHREAD_RWLOCK_INITIALIZER;

typedef struct node {
    char *name;     /* "n1" */
    char *netns;    /* NULL: this machine's namespace */
    bool sudo;
} node;

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

typedef struct stream {
    node *n;
    pid_t pid;
    int in, out, err;           /* -1 once closed */
    buf o, e;                   /* stdout not yet handed out; stderr so far */
    bool out_eof;
} stream;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (0: none) for poll: -1 forever, 0 when past. */
static int left_ms(int64_t deadline) {
    if (deadline == 0) return -1;
    int64_t left = deadline - now_ms();
    return left < 0 ? 0 : (int)(left > 1000 ? 1000 : left);
}

static int buf_add(buf *b, const char *p, size_t n, size_t cap) {
    if (b->len + n + 1 > cap) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t want = b->cap ? b->cap : 4096;
        while (want < b->len + n + 1) want *= 2;
        char *q = realloc(b->p, want);
        if (!q) return -1;
        b->p = q;
        b->cap = want;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* Read what fd has into b; 1 at EOF, 0 got some or nothing yet, -1 too much or error. */
static int pull(int fd, buf *b, size_t cap) {
    char chunk[CHUNK];
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got == 0) return 1;
    if (got < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    return buf_add(b, chunk, (size_t)got, cap);
}

static int local_connect(const fl_remote_target *t, void **handle, char err[FL_REMOTE_ERR_BYTES]) {
    node *n = calloc(1, sizeof *n);
    if (n) n->name = strdup(t->name);
    if (n && t->netns) n->netns = strdup(t->netns);
    if (!n || !n->name || (t->netns && !n->netns)) {
        if (n) free(n->name);
        free(n);
        return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): out of memory", t->name), -1;
    }
    n->sudo = t->sudo;
    *handle = n;
    return 0;
}

static void local_close(void *handle) {
    node *n = handle;
    free(n->name);
    free(n->netns);
    free(n);
}

/* Child side of a spawn: only async-signal-safe calls from here on. */
static void child(const node *n, const char *line, int in, int out, int err) {
    setpgid(0, 0);
    if (n->netns) {
        char path[512];
        snprintf(path, sizeof path, "/run/netns/%s", n->netns);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
            dprintf(err, "cannot enter network namespace %s: %s\n", n->netns, strerror(errno));
            _exit(126);
        }
    }
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    if (n->sudo) execl("/usr/bin/sudo", "sudo", "-n", "--", "/bin/sh", "-c", line, (char *)NULL);
    else execl("/bin/sh", "sh", "-c", line, (char *)NULL);
    _exit(127);
}

/* Start line with pipes for stdout and stderr (and stdin when in_fd is not NULL; else
 * /dev/null). 0, or -1 with err. */
static int spawn(const node *n, const char *line, pid_t *pid, int *in_fd, int *out_fd,
                 int *err_fd, char err[FL_REMOTE_ERR_BYTES]) {
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    bool ok = pipe2(pout, O_CLOEXEC) == 0 && pipe2(perr, O_CLOEXEC) == 0;
    if (ok && in_fd) ok = pipe2(pin, O_CLOEXEC) == 0;
    if (ok && !in_fd) ok = (pin[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;
    if (ok) {
        pthread_rwlock_wrlock(&write_fds);
        *pid = fork();
        if (*pid != 0) pthread_rwlock_unlock(&write_fds); /* the child execs, or exits */
    }
    if (!ok || *pid < 0) {
        snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): starting `%s`: %s", n->name, line,
                 strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (pin[i] >= 0) close(pin[i]);
            if (pout[i] >= 0) close(pout[i]);
            if (perr[i] >= 0) close(perr[i]);
        }
        return -1;
    }
    if (*pid == 0) child(n, line, pin[0], pout[1], perr[1]);
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    if (in_fd) *in_fd = pin[1];
    *out_fd = pout[0];
    *err_fd = perr[0];
    fcntl(*out_fd, F_SETFL, O_NONBLOCK);
    fcntl(*err_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

static void fill_status(int wstatus, fl_exec_result *r) {
    r->exit_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    r->exit_signal[0] = '\0';
    if (WIFSIGNALED(wstatus)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));
        if (abbrev) snprintf(r->exit_signal, sizeof r->exit_signal, "%s", abbrev);
        else snprintf(r->exit_signal, sizeof r->exit_signal, "%d", WTERMSIG(wstatus));
    }
}

static int local_exec(void *handle, const char *command, int timeout_ms, fl_exec_result *r,
                      char err[FL_REMOTE_ERR_BYTES]) {
    node *n = handle;
    pid_t pid;
    int out, errfd;
    memset(r, 0, sizeof *r);
    if (spawn(n, command, &pid, NULL, &out, &errfd, err) != 0) return -1;
    buf o = {0}, e = {0};
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    bool out_open = true, err_open = true, failed = false;
    while ((out_open || err_open) && !failed) {
        struct pollfd fds[2] = {{out_open ? out : -1, POLLIN, 0}, {err_open ? errfd : -1, POLLIN, 0}};
        if (deadline && now_ms() >= deadline) break;
        if (poll(fds, 2, left_ms(deadline)) < 0 && errno != EINTR) failed = true;
        int a = out_open && fds[0].revents ? pull(out, &o, OUTPUT_CAP) : 0;
        int b = err_open && fds[1].revents ? pull(errfd, &e, OUTPUT_CAP) : 0;
        failed |= a < 0 || b < 0;
        out_open &= a != 1;
        err_open &= b != 1;
    }
    close(out);
    close(errfd);
    bool timed_out = out_open || err_open;
    if (timed_out || failed) kill(-pid, SIGKILL); /* a local node can: nothing outlives it */
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
    if (timed_out || failed) {
        free(o.p);
        free(e.p);
        if (timed_out)
            return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): `%s` timed out after %d ms",
                            n->name, command, timeout_ms), -1;
        return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): `%s`: output over %zu MiB or "
                        "unreadable", n->name, command, OUTPUT_CAP >> 20), -1;
    }
    fill_status(wstatus, r);
    r->out = o.p ? o.p : strdup("");
    r->out_len = o.len;
    r->err = e.p ? e.p : strdup("");
    r->err_len = e.len;
    if (!r->out || !r->err) {
        fl_exec_result_free(r);
        return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): out of memory", n->name), -1;
    }
    return 0;
}

/* Copy from to to (a temporary file beside it, renamed when complete), keeping the mode. */
static int copy_file(const node *n, const char *what, const char *from, const char *to,
                     char err[FL_REMOTE_ERR_BYTES]) {
    char tmp[4096], chunk[CHUNK];
    struct stat st;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
    const char *call = "open";
    pthread_rwlock_rdlock(&write_fds);
    if (in >= 0 && fstat(in, &st) != 0) call = "fstat";
    else if (in >= 0 && snprintf(tmp, sizeof tmp, "%s.fl-tmp", to) < (int)sizeof tmp)
        out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    ssize_t got = 0;
    while (out >= 0 && (got = read(in, chunk, sizeof chunk)) > 0)
        if (write(out, chunk, (size_t)got) != got) got = -1, call = "write";
    bool written = out >= 0 && got == 0;
    if (written && fchmod(out, st.st_mode & 07777) != 0) written = false, call = "fchmod";
    int saved = errno;
    if (out >= 0 && close(out) != 0 && written) written = false, saved = errno, call = "close";
    pthread_rwlock_unlock(&write_fds);
    if (written) {
        if (rename(tmp, to) == 0) {
            close(in);
            return 0;
        }
        saved = errno;
        call = "rename";
    } else if (got < 0 && call[0] == 'o') {
        call = "read";
    }
    if (in >= 0) close(in);
    if (out >= 0) unlink(tmp); /* it was created */
    snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): %s %s to %s: %s: %s", n->name, what, from,
             to, call, strerror(saved));
    return -1;
}

static int local_upload(void *handle, const char *local_path, const char *remote_path,
                        char err[FL_REMOTE_ERR_BYTES]) {
    return copy_file(handle, "uploading", local_path, remote_path, err);
}

static int local_download(void *handle, const char *remote_path, const char *local_path,
                          char err[FL_REMOTE_ERR_BYTES]) {
    return copy_file(handle, "downloading", remote_path, local_path, err);
}

static int local_stream_open(void *handle, const char *command, void **out,
                             char err[FL_REMOTE_ERR_BYTES]) {
    stream *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): out of memory",
                            ((node *)handle)->name), -1;
    s->n = handle;
    if (spawn(s->n, command, &s->pid, &s->in, &s->out, &s->err, err) != 0) {
        free(s);
        return -1;
    }
    signal(SIGPIPE, SIG_IGN); /* a write to a command that ended is an error, not a death */
    *out = s;
    return 0;
}

static int local_stream_write_line(void *handle, const char *line, int timeout_ms,
                                   char err[FL_REMOTE_ERR_BYTES]) {
    stream *s = handle;
    size_t len = strlen(line), done = 0;
    bool nl = len && line[len - 1] == '\n';
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    while (done < len + !nl) {
        const char *p = done < len ? line + done : "\n";
        size_t n = done < len ? len - done : 1;
        struct pollfd fd = {s->in, POLLOUT, 0};
        if (deadline && now_ms() >= deadline)
            return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): writing a line: timed out",
                            s->n->name), -1;
        if (poll(&fd, 1, left_ms(deadline)) <= 0) continue;
        ssize_t put = write(s->in, p, n);
        if (put < 0 && errno != EINTR && errno != EAGAIN)
            return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): writing a line: %s",
                            s->n->name, strerror(errno)), -1;
        if (put > 0) done += (size_t)put;
    }
    return 0;
}

/* Keep the last STDERR_KEEP bytes of stderr. */
static void pull_stderr(stream *s) {
    if (s->err < 0) return;
    int rc = pull(s->err, &s->e, SIZE_MAX);
    if (rc == 1) close(s->err), s->err = -1;
    if (s->e.len > STDERR_KEEP) {
        memmove(s->e.p, s->e.p + s->e.len - STDERR_KEEP, STDERR_KEEP + 1);
        s->e.len = STDERR_KEEP;
    }
}

static int local_stream_read_line(void *handle, int timeout_ms, char **line,
                                  char err[FL_REMOTE_ERR_BYTES]) {
    stream *s = handle;
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    *line = NULL;
    for (;;) {
        char *nl = s->o.len ? memchr(s->o.p, '\n', s->o.len) : NULL;
        if (nl || (s->out_eof && s->o.len)) {
            size_t n = nl ? (size_t)(nl - s->o.p) : s->o.len;
            if (!(*line = strndup(s->o.p, n))) break;
            size_t used = nl ? n + 1 : n;
            memmove(s->o.p, s->o.p + used, s->o.len - used + 1);
            s->o.len -= used;
            return 0;
        }
        if (s->out_eof) {
            while (s->err >= 0) pull_stderr(s); /* all of stderr is there at the end */
            return 1;
        }
        if (deadline && now_ms() >= deadline)
            return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): reading a line: timed out",
                            s->n->name), -1;
        struct pollfd fds[2] = {{s->out, POLLIN, 0}, {s->err, POLLIN, 0}};
        if (poll(fds, 2, left_ms(deadline)) < 0 && errno != EINTR) break;
        if (fds[1].revents) pull_stderr(s);
        int rc = fds[0].revents ? pull(s->out, &s->o, LINE_MAX_BYTES) : 0;
        if (rc < 0) break;
        s->out_eof = rc == 1;
    }
    return snprintf(err, FL_REMOTE_ERR_BYTES, "%s (local): reading a line: %s", s->n->name,
                    errno ? strerror(errno) : "a line over 16 MiB"), -1;
}

static const char *local_stream_stderr(void *handle) {
    stream *s = handle;
    return s->e.p ? s->e.p : "";
}

static int local_stream_close(void *handle, int timeout_ms) {
    stream *s = handle;
    close(s->in);
    int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int wstatus = 0;
    pid_t done = 0;
    while ((done = waitpid(s->pid, &wstatus, WNOHANG)) == 0 && now_ms() < deadline)
        nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
    if (done == 0) { /* still running at the deadline: a local node need not leave it */
        kill(-s->pid, SIGKILL);
        waitpid(s->pid, &wstatus, 0);
    }
    close(s->out);
    if (s->err >= 0) close(s->err);
    free(s->o.p);
    free(s->e.p);
    free(s);
    return done > 0 && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

const fl_remote_ops fl_remote_local = {
    .kind = "local",
    .connect = local_connect,
    .close = local_close,
    .exec = local_exec,
    .upload = local_upload,
    .download = local_download,
    .stream_open = local_stream_open,
    .stream_write_line = local_stream_write_line,
    .stream_read_line = local_stream_read_line,
    .stream_stderr = local_stream_stderr,
    .stream_close = local_stream_close,
};
