/* faultline-agent: the node-side fault injector. `faultline-agent serve` reads JSON
 * requests on stdin and answers on stdout (DESIGN.md "Conventions", Agent protocol)
 * until stdin closes or no request arrives for --watchdog seconds; then, and on
 * SIGTERM/SIGINT/SIGHUP, it undoes every fault it put in force and exits. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void reply(char *line) {
    if (line) fputs(line, stdout);
    fflush(stdout);
    free(line);
}

static void serve_line(fl_agent *a, const char *line, size_t len) {
    fl_agent_request r;
    char err[FL_AGENT_ERR_BYTES] = "";
    if (fl_agent_parse(line, len, &r, err, sizeof err) != 0) {
        reply(fl_agent_reply_error(r.id, err, mono_ns()));
        return;
    }
    char why[512] = "";
    json_t *applied = fl_agent_handle(a, &r, why, sizeof why);
    reply(applied ? fl_agent_reply_ok(r.id, applied, mono_ns())
                  : fl_agent_reply_error(r.id, why, mono_ns()));
}

/* Serve until stdin closes, the watchdog fires or a signal arrives; says which. */
static const char *serve(fl_agent *a, int watchdog_s) {
    char *line = NULL;
    size_t cap = 0, used = 0;
    int64_t deadline = mono_ns() + (int64_t)watchdog_s * 1000000000;
    const char *why = NULL;
    while (!why) {
        int64_t left_ms = (deadline - mono_ns()) / 1000000;
        struct pollfd p = {0, POLLIN, 0};
        int ready = left_ms > 0 ? poll(&p, 1, (int)(left_ms > 1000 ? 1000 : left_ms)) : 0;
        if (stop_signal) why = "signal";
        else if (ready < 0 && errno != EINTR) why = "poll on stdin failed";
        else if (left_ms <= 0) why = "watchdog: no request in time";
        if (why || ready <= 0) continue;
        if (used + 4096 > cap && !(line = realloc(line, cap = cap * 2 + 8192))) abort();
        ssize_t n = read(0, line + used, cap - used);
        if (n <= 0) {
            why = "stdin closed";
            continue;
        }
        used += (size_t)n;
        deadline = mono_ns() + (int64_t)watchdog_s * 1000000000; /* any request is a heartbeat */
        char *nl;
        while ((nl = memchr(line, '\n', used))) {
            serve_line(a, line, (size_t)(nl - line));
            used -= (size_t)(nl - line) + 1;
            memmove(line, nl + 1, used);
        }
        if (used > (1 << 20)) why = "a request line longer than 1 MiB";
    }
    free(line);
    return why;
}

static const char usage_text[] =
    "usage: faultline-agent serve [--clock faketime|system] [--clock-file PATH]\n"
    "                             [--watchdog S] [--controller-boot-id ID]\n";

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"clock", required_argument, NULL, 'c'},  {"clock-file", required_argument, NULL, 'f'},
        {"watchdog", required_argument, NULL, 'w'},
        {"controller-boot-id", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0},
    };
    fl_agent_options o = {0};
    int watchdog_s = 10, c;
    if (argc < 2 || strcmp(argv[1], "serve")) return fputs(usage_text, stderr), 64;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'c') o.clock_system = !strcmp(optarg, "system");
        else if (c == 'f') o.clock_file = optarg;
        else if (c == 'w') watchdog_s = atoi(optarg);
        else if (c == 'b') o.controller_boot_id = optarg;
        else return fputs(usage_text, stderr), 64;
    }
    if (watchdog_s < 1) return fputs("faultline-agent: --watchdog must be >= 1\n", stderr), 64;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fl_agent a;
    char err[512];
    if (fl_agent_init(&a, &o, err, sizeof err) != 0) {
        fprintf(stderr, "faultline-agent: %s\n", err);
        return 3;
    }
    const char *why = serve(&a, watchdog_s);
    json_t *done = fl_agent_undo_all(&a);
    char *text = json_dumps(done, JSON_COMPACT);
    fprintf(stderr, "faultline-agent: %s; undid everything: %s\n", why, text ? text : "?");
    free(text);
    json_decref(done);
    fl_agent_free(&a);
    return 0;
}
