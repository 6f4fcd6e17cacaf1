/* The client program's process and its JSON-lines protocol (see client_process.h). The
 * process gets its own process group, so ending it ends whatever it started; its stdout
 * is read with poll and a deadline, never a blocking read, so a client that hangs costs
 * one op timeout and no more. */
#include "client_process.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define LINE_MAX_BYTES (1 << 20) /* a reply longer than this is garbage */
#define EXIT_GRACE_MS 200

struct fl_client_process {
    pid_t pid;
    int in_fd;    /* its stdin */
    int out_fd;   /* its stdout */
    char *buf;    /* what it printed and was not read yet */
    size_t len, cap;
    bool broken;  /* it exited, hung or printed garbage: every op is info now */
    bool started; /* it has read a request: its start-up is over */
    int start_timeout_ms;
    char node[64], host[64];
    int port;
    char why[200]; /* why it is broken (as long as a reply's error) */
};

extern char **environ;

/* argv0 as exec would find it: itself when it names a path, else the first executable
 * file of that name on PATH. malloc'd, or NULL. */
static char *resolve(const char *argv0) {
    if (strchr(argv0, '/')) return access(argv0, X_OK) == 0 ? strdup(argv0) : NULL;
    const char *dirs = getenv("PATH");
    if (!dirs) dirs = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = dirs; *p;) {
        size_t n = strcspn(p, ":");
        char *candidate = NULL;
        if (asprintf(&candidate, "%.*s/%s", (int)n, n ? p : ".", argv0) < 0) return NULL;
        if (access(candidate, X_OK) == 0) return candidate;
        free(candidate);
        p += n + (p[n] == ':');
    }
    return NULL;
}

static void free_environment(char **envp) {
    for (size_t i = 0; envp && envp[i]; i++) free(envp[i]);
    free(envp);
}

/* This process's environment with FL_NODE, FL_HOST, FL_PORT and FL_HOSTS set. */
static char **child_environment(const char *node, const char *host, const char *port,
                                const char *hosts) {
    static const char *const names[] = {"FL_NODE=", "FL_HOST=", "FL_PORT=", "FL_HOSTS="};
    const char *values[] = {node, host, port, hosts};
    size_t count = 0;
    while (environ && environ[count]) count++;
    char **envp = calloc(count + 5, sizeof *envp);
    size_t at = 0;
    for (size_t i = 0; envp && i < count; i++) {
        bool ours = false;
        for (size_t k = 0; k < 4; k++) ours |= !strncmp(environ[i], names[k], strlen(names[k]));
        if (!ours && !(envp[at++] = strdup(environ[i]))) return free_environment(envp), NULL;
    }
    for (size_t k = 0; envp && k < 4; k++)
        if (asprintf(&envp[at++], "%s%s", names[k], values[k]) < 0) {
            envp[at - 1] = NULL;
            return free_environment(envp), NULL;
        }
    return envp;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

fl_client_process *fl_client_process_open(char *const *argv, const char *node,
                                          const char *host, int port, const char *hosts,
                                          const char *stderr_path, int start_timeout_ms,
                                          char *err, size_t bytes) {
    assert(argv && argv[0] && node && host);
    assert(start_timeout_ms > 0);
    signal(SIGPIPE, SIG_IGN); /* a write to a client that exited is an error, not a death */
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) return snprintf(err, bytes, "pipe: %s", strerror(errno)), NULL;
    if (pipe2(from_child, O_CLOEXEC) != 0) {
        close(to_child[0]), close(to_child[1]);
        return snprintf(err, bytes, "pipe: %s", strerror(errno)), NULL;
    }
    int err_fd = open(stderr_path ? stderr_path : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    /* Told by the child whether exec worked: a close means it did. */
    int status_pipe[2];
    if (err_fd < 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
        snprintf(err, bytes, "%s: %s", stderr_path ? stderr_path : "/dev/null", strerror(errno));
        if (err_fd >= 0) close(err_fd);
        close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
        return NULL;
    }
    /* Everything the child needs is made here: between fork and exec in a threaded
     * process only async-signal-safe calls are allowed (a setenv or a PATH search that
     * mallocs can deadlock on a lock another thread held at the fork). */
    char **envp = NULL, *path = resolve(argv[0]);
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    if (path) envp = child_environment(node, host, port_s, hosts ? hosts : host);
    if (!path || !envp) {
        snprintf(err, bytes, "cannot start the client %s: %s", argv[0],
                 path ? "out of memory" : "not found (on PATH, or not executable)");
        free(path);
        free_environment(envp);
        close(err_fd), close(status_pipe[0]), close(status_pipe[1]);
        close(to_child[0]), close(to_child[1]), close(from_child[0]), close(from_child[1]);
        return NULL;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        dup2(to_child[0], STDIN_FILENO);
        dup2(from_child[1], STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        signal(SIGPIPE, SIG_DFL);
        execve(path, argv, envp);
        int e = errno;
        ssize_t ignored = write(status_pipe[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    free(path);
    free_environment(envp);
    close(to_child[0]);
    close(from_child[1]);
    close(err_fd);
    close(status_pipe[1]);
    int exec_errno = 0;
    ssize_t got = pid > 0 ? read(status_pipe[0], &exec_errno, sizeof exec_errno) : -1;
    close(status_pipe[0]);
    if (pid < 0 || got > 0) {
        snprintf(err, bytes, "cannot start the client %s: %s", argv[0],
                 pid < 0 ? strerror(errno) : strerror(exec_errno));
        if (pid > 0) waitpid(pid, NULL, 0);
        close(to_child[1]), close(from_child[0]);
        return NULL;
    }
    fl_client_process *c = calloc(1, sizeof *c);
    if (!c) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(to_child[1]), close(from_child[0]);
        return snprintf(err, bytes, "out of memory"), NULL;
    }
    c->pid = pid;
    c->in_fd = to_child[1];
    c->out_fd = from_child[0];
    c->port = port;
    c->start_timeout_ms = start_timeout_ms;
    snprintf(c->node, sizeof c->node, "%s", node);
    snprintf(c->host, sizeof c->host, "%s", host);
    fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
    return c;
}

static void set_info(fl_reply *out, const char *fmt, const char *detail) {
    out->type = FL_REPLY_INFO;
    snprintf(out->error, sizeof out->error, fmt, detail);
}

int fl_client_process_parse_reply(const char *line, fl_reply *out) {
    json_error_t je;
    json_t *r = json_loads(line, JSON_DECODE_ANY, &je);
    const char *type = json_string_value(json_object_get(r, "type"));
    json_t *error = json_object_get(r, "error");
    if (!json_is_object(r) || !type ||
        (strcmp(type, "ok") && strcmp(type, "fail") && strcmp(type, "info")) ||
        (error && !json_is_string(error) && !json_is_null(error))) {
        char shown[80];
        snprintf(shown, sizeof shown, "%.60s%s", line, strlen(line) > 60 ? "…" : "");
        set_info(out, "the client's reply is not {\"type\": ok|fail|info, …}: %s", shown);
        json_decref(r);
        return -1;
    }
    out->type = !strcmp(type, "ok") ? FL_REPLY_OK : !strcmp(type, "fail") ? FL_REPLY_FAIL
                                                                           : FL_REPLY_INFO;
    json_t *value = json_object_get(r, "value");
    out->value = value && !json_is_null(value) ? json_incref(value) : NULL;
    snprintf(out->error, sizeof out->error, "%s",
             json_string_value(error) ? json_string_value(error)
                                      : out->type == FL_REPLY_OK ? "" : "the client gave no error");
    json_decref(r);
    return 0;
}

/* Write all of line within the deadline. */
static int send_all(fl_client_process *c, const char *line, size_t len, int64_t deadline) {
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = write(c->in_fd, line + sent, len - sent);
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) return -1; /* EPIPE: it exited */
        int left = (int)(deadline - now_ms());
        struct pollfd p = {c->in_fd, POLLOUT, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0) return -1;
    }
    return 0;
}

/* Wait until a new client has read the request it was sent (the pipe to it is empty):
 * its start-up (an interpreter, a shim such as pyenv's, imports, a connection made before
 * its first read) is over, so the op timeout, which starts after this, is the op's own.
 * Returns early when it prints or exits (next_line reads what that was). 0, or -1 when
 * the deadline passed with the request unread. */
static int wait_until_read(fl_client_process *c, int64_t deadline) {
    int delay_ms = 1;
    for (;;) {
        int unread = 0;
        if (ioctl(c->in_fd, FIONREAD, &unread) != 0 || unread == 0) return 0;
        int left = (int)(deadline - now_ms());
        if (left <= 0) return -1;
        /* No event says "a pipe was drained": look again after a short wait, growing to
         * 10 ms (a start-up takes tens of ms to seconds). */
        struct pollfd p = {c->out_fd, POLLIN, 0};
        if (poll(&p, 1, delay_ms < left ? delay_ms : left) > 0) return 0;
        if (delay_ms < 10) delay_ms *= 2;
    }
}

/* The next whole line it printed, within the deadline: 1 and *line (malloc'd); 0 on
 * timeout; -1 on EOF or garbage (c->why says which). */
static int next_line(fl_client_process *c, int64_t deadline, char **line) {
    for (;;) {
        char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            *line = strndup(c->buf, n);
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return *line ? 1 : -1;
        }
        if (c->len >= LINE_MAX_BYTES) {
            snprintf(c->why, sizeof c->why, "it printed more than %d bytes without a newline",
                     LINE_MAX_BYTES);
            return -1;
        }
        int left = (int)(deadline - now_ms());
        struct pollfd p = {c->out_fd, POLLIN, 0};
        int ready = left > 0 ? poll(&p, 1, left) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return 0;
        if (c->cap - c->len < 65536) {
            char *grown = realloc(c->buf, c->cap = c->cap * 2 + 65536);
            if (!grown) return snprintf(c->why, sizeof c->why, "out of memory"), -1;
            c->buf = grown;
        }
        ssize_t n = read(c->out_fd, c->buf + c->len, c->cap - c->len);
        if (n > 0) c->len += (size_t)n;
        else if (n == 0) return snprintf(c->why, sizeof c->why, "the client exited"), -1;
        else if (errno != EAGAIN && errno != EINTR)
            return snprintf(c->why, sizeof c->why, "reading its stdout: %s", strerror(errno)), -1;
    }
}

void fl_client_process_invoke(fl_client_process *c, const fl_request *req, int timeout_ms,
                              fl_reply *out) {
    memset(out, 0, sizeof *out);
    out->node = -1;
    if (c->broken) { set_info(out, "the client is unusable: %.160s", c->why); return; }
    int op_ms = timeout_ms > 0 ? timeout_ms : 5000;
    int64_t deadline = now_ms() + op_ms;
    json_t *op = json_pack("{s:s}", "f", req->f);
    if (req->key) json_object_set(op, "key", req->key);
    if (req->value) json_object_set(op, "value", req->value);
    json_t *msg = json_pack("{s:o,s:s,s:s,s:i}", "op", op, "node", c->node, "host", c->host,
                            "port", c->port);
    char *line = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    size_t len = line ? strlen(line) : 0;
    char *framed = line ? realloc(line, len + 2) : NULL;
    if (!framed) {
        free(line);
        { set_info(out, "%s", "out of memory"); return; }
    }
    framed[len] = '\n';
    framed[len + 1] = '\0';
    /* A new client's start-up is not the op's time: its first request may wait for it
     * up to the start timeout, and the op timeout runs from when it has read it. */
    if (!c->started) deadline = now_ms() + c->start_timeout_ms;
    /* Not sent whole: the client may still have read a part of it, so info, not fail. */
    int rc = send_all(c, framed, len + 1, deadline);
    free(framed);
    if (rc != 0) {
        c->broken = true;
        snprintf(c->why, sizeof c->why, "it did not take the request (exited or stopped "
                 "reading)");
        { set_info(out, "the client did not take the request: %s", "exited or hung"); return; }
    }
    if (!c->started) {
        if (wait_until_read(c, deadline) != 0) {
            c->broken = true;
            snprintf(c->why, sizeof c->why, "it did not read its first request within %d ms "
                     "of starting", c->start_timeout_ms);
            { set_info(out, "%s", c->why); return; }
        }
        c->started = true;
        deadline = now_ms() + op_ms;
    }
    char *reply = NULL;
    int got = next_line(c, deadline, &reply);
    if (got == 0) {
        c->broken = true; /* a late reply would be read as the next op's */
        snprintf(c->why, sizeof c->why, "no reply within %d ms", timeout_ms);
        { set_info(out, "%s", c->why); return; }
    }
    if (got < 0) {
        c->broken = true;
        { set_info(out, "%s", c->why); return; }
    }
    if (fl_client_process_parse_reply(reply, out) != 0) {
        c->broken = true;
        memcpy(c->why, out->error, sizeof c->why);
    }
    free(reply);
}

void fl_client_process_close(fl_client_process *c) {
    if (!c) return;
    close(c->in_fd); /* EOF: a well-behaved client exits */
    /* Wait for its exit without reaping it: while it is a zombie its process group id
     * stays ours, so the KILL below reaches only what it started. */
    int64_t deadline = now_ms() + EXIT_GRACE_MS;
    for (;;) {
        siginfo_t info = {0};
        if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
            info.si_pid == c->pid || now_ms() >= deadline)
            break;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(-c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    close(c->out_fd);
    free(c->buf);
    free(c);
}
