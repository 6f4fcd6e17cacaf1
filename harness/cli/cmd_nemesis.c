/* `faultline nemesis`: faults alone, no workload — every node's agent started, then a
 * random fault of the spec held and stopped in turn for --duration, each start and stop
 * printed as a nemesis event in the history's JSON Lines form; healed at the end, and
 * on Ctrl-C. With --primary-cmd, who is primary is watched as in `faultline test`
 * (harness/run/primaries_watch.h) and each change printed as a primaries event, from
 * the watcher's thread: events are printed under one lock, so their lines never mix
 * and their indices and times run in print order. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "commands.h"
#include "exit_codes.h"
#include "nemesis.h"
#include "nemesis_link.h"
#include "primaries.h"
#include "primaries_watch.h"

static const char usage_text[] =
    "usage: faultline nemesis --nemesis SPEC [--duration S] [--interval S] [--seed N]\n"
    "                         [--at-once K] [--nodes-file F]\n"
    "                         [--process NAME=PIDFILE[:START_CMD]]... [--primary-cmd CMD]\n"
    "  SPEC: kind[:variant],… — partition[:halves|one|majorities-ring|bridge|one-way|primaries|\n"
    "  mute-primaries],\n"
    "  kill|pause[:one|minority|majority|all|primaries], clock[:bump|strobe|reset],\n"
    "  clock:bump|strobe:one|minority|majority|all|primaries (default: a random subset),\n"
    "  netem[:delay|slow-flows|loss|duplicate|reorder|corrupt[:TARGETS]] (TARGETS as for\n"
    "  clock; the chosen nodes send to every other through netem; slow-flows: half the\n"
    "  connections delayed, the others clean).\n"
    "  --primary-cmd CMD runs on every node; the nodes where it exits 0 are the primaries;\n"
    "  it is also asked about once a second, and each change printed as f \"primaries\".\n"
    "  --at-once K keeps up to K faults (of different kinds) in force together.\n"
    "  In --process, {workdir} stands for each node's own work directory.\n"
    "  Prints every fault's start and stop as a nemesis event (JSON Lines).\n";

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig; interrupted = 1; }

typedef struct run {
    fl_agents agents;
    fl_control control;
    fl_nemesis nemesis;
    struct timespec start;
    long index;
    int watchdog_s;
    int64_t duration_ns;
    fl_nemesis_link link;
} run;

static int64_t since_start_ns(const run *r) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - r->start.tv_sec) * 1000000000 + (now.tv_nsec - r->start.tv_nsec);
}

static pthread_mutex_t emit_mu = PTHREAD_MUTEX_INITIALIZER;

/* value is stolen. The index and time are taken under the lock that prints. */
static void emit(run *r, const char *f, json_t *value) {
    pthread_mutex_lock(&emit_mu);
    json_t *op = json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "index", (json_int_t)r->index++, "time",
                           (json_int_t)since_start_ns(r), "process", "nemesis", "type", "info",
                           "f", f, "value", value);
    char *line = json_dumps(op, JSON_COMPACT);
    printf("%s\n", line);
    fflush(stdout);
    pthread_mutex_unlock(&emit_mu);
    free(line);
    json_decref(op);
}

static int watch_ask(void *ctx, uint64_t *nodes, char *err, size_t bytes) {
    run *r = ctx;
    return fl_nemesis_link_primaries(&r->link, nodes, err, bytes);
}
static void watch_record(void *ctx, const json_t *value) {
    emit(ctx, FL_PRIMARIES_F, json_incref((json_t *)value));
}
static int64_t watch_now(void *ctx) { return since_start_ns(ctx); }

static void sink_event(void *ctx, const char *f, json_t *value) { emit(ctx, f, value); }
static void sink_error(void *ctx, const char *message) {
    (void)ctx;
    fprintf(stderr, "faultline nemesis: %s\n", message);
}
static bool sink_interrupted(void *ctx) {
    (void)ctx;
    return interrupted;
}
static bool sink_done(void *ctx) {
    run *r = ctx;
    return interrupted || since_start_ns(r) >= r->duration_ns;
}

/* NAME=PIDFILE[:START_CMD] */
static int parse_process(char *text, fl_nemesis_process *p) {
    char *eq = strchr(text, '=');
    if (!eq || eq == text || (eq[1] != '/' && strncmp(eq + 1, "{workdir}", 9))) return -1;
    *eq = '\0';
    p->name = text;
    p->pidfile = eq + 1;
    char *colon = strchr(eq + 1, ':');
    if (colon) *colon = '\0';
    p->start_command = colon ? colon + 1 : NULL;
    p->tree = false;
    return 0;
}

static int run_nemesis(const char *nodes_path, const fl_fault_spec *spec, double duration_s,
                       double interval_s, int at_once, uint64_t seed,
                       const fl_nemesis_process *processes, size_t process_count,
                       const char *primary_cmd) {
    static run r;
    fl_nodes nodes;
    char err[FL_NODES_ERR_BYTES];
    int rc = fl_nodes_read(nodes_path, &nodes, err);
    if (rc != 0) return fprintf(stderr, "faultline nemesis: %s\n", err), rc;
    r.watchdog_s = 10;
    r.link.primary_cmd = primary_cmd;
    int status = FL_EXIT_HARNESS;
    fl_nemesis_io io;
    int unreachable = fl_control_open(&r.control, &nodes, false, FL_CONNECT_TIMEOUT_MS, err, sizeof err);
    if (unreachable < 0) {
        fprintf(stderr, "faultline nemesis: %s\n", err);
    } else if (unreachable > 0) { /* each node's own error names it */
        for (size_t i = 0; i < nodes.count; i++)
            if (!r.control.remotes[i]) fprintf(stderr, "faultline nemesis: %s\n", r.control.errors[i]);
    } else if (fl_agents_start(&r.agents, &r.control, r.watchdog_s, err, sizeof err) != 0) {
        fprintf(stderr, "faultline nemesis: %s\n", err);
    } else {
        fl_nemesis_link_init(&r.link, &r.control, &r.agents, &io);
        if (fl_nemesis_link_check_spec(&r.link, spec, err, sizeof err) != 0) {
            fprintf(stderr, "faultline nemesis: %s\n", err);
        } else {
            fl_nemesis_init(&r.nemesis, &io, spec, seed, processes, process_count);
            clock_gettime(CLOCK_MONOTONIC, &r.start);
            r.duration_ns = (int64_t)(duration_s * 1e9);
            fl_nemesis_sink sink = {&r, sink_event, sink_error, sink_done, sink_interrupted};
            fl_primaries_watch watch = {0};
            fl_primaries_watch_io wio = {.ctx = &r, .ask = watch_ask, .record = watch_record,
                                         .now_ns = watch_now, .names = r.link.names,
                                         .node_count = nodes.count};
            if (primary_cmd && fl_primaries_watch_start(&watch, &wio, 1000, err, sizeof err) != 0)
                fprintf(stderr, "faultline nemesis: %s\n", err);
            status = fl_nemesis_schedule(&r.nemesis, &r.link, interval_s, at_once, &sink) == 0
                         ? FL_EXIT_VALID : FL_EXIT_HARNESS;
            fl_primaries_watch_stop(&watch);
        }
        fl_nemesis_link_free(&r.link);
    }
    fl_agents_stop(&r.agents);
    fl_control_close(&r.control);
    fl_nodes_free(&nodes);
    return status;
}

int fl_cmd_nemesis(int argc, char **argv) {
    static const struct option options[] = {
        {"nemesis", required_argument, NULL, 'n'},  {"duration", required_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'}, {"seed", required_argument, NULL, 's'},
        {"nodes-file", required_argument, NULL, 'f'}, {"process", required_argument, NULL, 'p'},
        {"at-once", required_argument, NULL, 'a'}, {"primary-cmd", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *spec_text = NULL, *nodes_file = NULL, *primary_cmd = NULL;
    int at_once = 1;
    double duration_s = 30, interval_s = 5;
    uint64_t seed = (uint64_t)time(NULL);
    fl_nemesis_process processes[8];
    size_t process_count = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'n') spec_text = optarg;
        else if (c == 'd') duration_s = atof(optarg);
        else if (c == 'i') interval_s = atof(optarg);
        else if (c == 's') seed = strtoull(optarg, NULL, 10);
        else if (c == 'f') nodes_file = optarg;
        else if (c == 'P') primary_cmd = optarg;
        else if (c == 'a' && atoi(optarg) >= 1) at_once = atoi(optarg);
        else if (c == 'p' && process_count < 8 && parse_process(optarg, &processes[process_count]) == 0)
            process_count++;
        else if (c == 'h') return printf("%s", usage_text) < 0;
        else return fputs(usage_text, stderr), FL_EXIT_USAGE;
    }
    fl_fault_spec spec;
    char err[512];
    if (!spec_text) return fputs(usage_text, stderr), FL_EXIT_USAGE;
    if (fl_fault_spec_parse(spec_text, &spec, err, sizeof err) != 0)
        return fprintf(stderr, "faultline nemesis: %s\n", err), FL_EXIT_USAGE;
    const char *path = fl_nodes_default_path(nodes_file);
    if (!path) return fputs("faultline nemesis: no nodes file: `faultline cluster up`, or "
                            "--nodes-file\n", stderr), FL_EXIT_USAGE;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "faultline nemesis: seed %llu\n", (unsigned long long)seed);
    return run_nemesis(path, &spec, duration_s, interval_s, at_once, seed, processes,
                       process_count, primary_cmd);
}
