/* Running local programs for the local cluster (see process.h). */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void describe(const char *const argv[], char *out, size_t bytes) {
    size_t used = 0;
    for (size_t i = 0; argv[i] && used + 1 < bytes; i++)
        used += (size_t)snprintf(out + used, bytes - used, "%s%s", i ? " " : "", argv[i]);
}

int fl_run(const char *const argv[], const char *input, char *err, size_t err_bytes) {
    int errpipe[2], inpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0 || pipe2(inpipe, O_CLOEXEC) != 0) {
        snprintf(err, err_bytes, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(inpipe[0], 0);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(errpipe[1], 2);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    close(inpipe[0]);
    if (input && write(inpipe[1], input, strlen(input)) < 0) { /* the child reports it */
    }
    close(inpipe[1]);
    char text[1024];
    size_t got = 0;
    ssize_t n;
    while ((n = read(errpipe[0], text + got, sizeof text - 1 - got)) > 0) got += (size_t)n;
    text[got] = '\0';
    close(errpipe[0]);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        snprintf(err, err_bytes, "fork: %s", strerror(errno));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    char cmd[512];
    describe(argv, cmd, sizeof cmd);
    while (got && (text[got - 1] == '\n')) text[--got] = '\0';
    snprintf(err, err_bytes, "`%s` failed (%s %d): %s", cmd,
             WIFEXITED(status) ? "exit" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), text);
    return -1;
}

int fl_run_capture(const char *const argv[], char *out, size_t bytes, char *err,
                   size_t err_bytes) {
    int outpipe[2];
    if (bytes < 2 || pipe2(outpipe, O_CLOEXEC) != 0)
        return snprintf(err, err_bytes, "pipe: %s", strerror(errno)), -1;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(outpipe[1], 1);
        dup2(outpipe[1], 2);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(outpipe[1]);
    size_t got = 0;
    ssize_t n;
    /* a long output keeps its end: the last half of the buffer moves to the front */
    while ((n = read(outpipe[0], out + got, bytes - 1 - got)) > 0) {
        got += (size_t)n;
        if (got == bytes - 1) {
            size_t keep = (bytes - 1) / 2;
            memmove(out, out + got - keep, keep);
            got = keep;
        }
    }
    out[got] = '\0';
    close(outpipe[0]);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return snprintf(err, err_bytes, "fork: %s", strerror(errno)), -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    char cmd[512];
    describe(argv, cmd, sizeof cmd);
    snprintf(err, err_bytes, "`%s` died of signal %d", cmd, WTERMSIG(status));
    return -1;
}

pid_t fl_spawn_detached(const char *const argv[], const char *log_path, char *err,
                        size_t err_bytes) {
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        snprintf(err, err_bytes, "cannot open %s: %s", log_path, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(log, 1);
        dup2(log, 2);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(log);
    if (pid < 0) snprintf(err, err_bytes, "fork: %s", strerror(errno));
    return pid;
}

int fl_pid_running(pid_t pid, const char *needle) {
    if (pid <= 0 || kill(pid, 0) != 0) return 0;
    char path[64], cmdline[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(cmdline, 1, sizeof cmdline - 1, f);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        if (cmdline[i] == '\0') cmdline[i] = ' ';
    cmdline[n] = '\0';
    /* A zombie (our own child, not yet reaped) has an empty command line: not running. */
    return n > 0 && strstr(cmdline, needle) != NULL;
}
