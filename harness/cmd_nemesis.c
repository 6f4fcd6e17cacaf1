/* `faultline nemesis`: faults alone, no workload — every node's agent started, then a
 * random fault of the spec held and stopped in turn for --duration, each start and stop
 * printed as a nemesis event in the history's JSON Lines form; healed at the end, and
 * on Ctrl-C. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents.h"
#include "commands.h"
#include "exit_codes.h"
#include "nemesis.h"

static const char usage_text[] =
    "usage: faultline nemesis --nemesis SPEC [--duration S] [--interval S] [--seed N]\n"
    "                         [--at-once K] [--nodes-file F]\n"
    "                         [--process NAME=PIDFILE[:START_CMD]]... [--primary-cmd CMD]\n"
    "  SPEC: kind[:variant],… — partition[:halves|one|majorities-ring|bridge|one-way|primaries],\n"
    "  kill|pause[:one|minority|majority|all|primaries], clock[:bump|strobe|reset],\n"
    "  netem[:delay|loss|duplicate|reorder|corrupt].\n"
    "  --primary-cmd CMD runs on every node; the nodes where it exits 0 are the primaries.\n"
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
    const char *primary_cmd;
} run;

static int64_t since_start_ns(const run *r) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - r->start.tv_sec) * 1000000000 + (now.tv_nsec - r->start.tv_nsec);
}

static void emit(run *r, const char *f, json_t *value) {
    json_t *op = json_pack("{s:I,s:I,s:s,s:s,s:s,s:o}", "index", (json_int_t)r->index++, "time",
                           (json_int_t)since_start_ns(r), "process", "nemesis", "type", "info",
                           "f", f, "value", value);
    char *line = json_dumps(op, JSON_COMPACT);
    printf("%s\n", line);
    fflush(stdout);
    free(line);
    json_decref(op);
}

/* "{workdir}" in a pidfile or start command stands for each node's own work directory
 * (DESIGN.md "On a node": <workdir>/<target>/<target>.pid); malloc'd. */
static char *for_node(const run *r, size_t node, const char *text) {
    const char *workdir = r->control.nodes->nodes[node].workdir, *at = strstr(text, "{workdir}");
    size_t n = strlen(text) + (at ? strlen(workdir) : 0) + 1;
    char *out = malloc(n);
    if (!out) return NULL;
    if (!at) memcpy(out, text, n);
    else snprintf(out, n, "%.*s%s%s", (int)(at - text), text, workdir, at + strlen("{workdir}"));
    return out;
}

static int io_call(void *ctx, size_t node, json_t *request, json_t **reply, char *err,
                   size_t bytes) {
    run *r = ctx;
    const char *pidfile = json_string_value(json_object_get(request, "pidfile"));
    char *mine = pidfile ? for_node(r, node, pidfile) : NULL;
    if (mine) json_object_set_new(request, "pidfile", json_string(mine));
    free(mine);
    return fl_agents_call(&r->agents, node, request, reply, err, bytes);
}

static int io_run(void *ctx, size_t node, const char *command_template, char *err, size_t bytes) {
    run *r = ctx;
    fl_exec_result res;
    char *command = for_node(r, node, command_template);
    if (!command) return snprintf(err, bytes, "out of memory"), -1;
    int ran = fl_ssh_exec(r->control.sessions[node], command, 30000, &res, err);
    free(command);
    if (ran != 0) return -1;
    int rc = res.exit_status == 0 ? 0 : -1;
    if (rc) snprintf(err, bytes, "%s: `%s` exited %d: %s", r->control.nodes->nodes[node].name,
                     command_template, res.exit_status, res.err);
    fl_exec_result_free(&res);
    return rc;
}

/* --primary-cmd on every node: the primaries are where it exits 0. */
static int io_primaries(void *ctx, uint64_t *nodes, char *err, size_t bytes) {
    run *r = ctx;
    *nodes = 0;
    for (size_t i = 0; i < r->control.nodes->count; i++) {
        fl_exec_result res;
        char *command = for_node(r, i, r->primary_cmd);
        if (!command) return snprintf(err, bytes, "out of memory"), -1;
        int ran = fl_ssh_exec(r->control.sessions[i], command, 10000, &res, err);
        free(command);
        if (ran != 0) return -1;
        if (res.exit_status == 0) *nodes |= 1ULL << i;
        fl_exec_result_free(&res);
    }
    return 0;
}

/* Sleep ms, heartbeating every agent well inside the watchdog. */
static void hold(run *r, long ms) {
    for (long left = ms; left > 0 && !interrupted; left -= 100) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
        if ((left / 100) % (r->watchdog_s * 3) == 0)
            for (size_t i = 0; i < r->control.nodes->count; i++) {
                json_t *reply = NULL, *beat = json_pack("{s:i,s:s}", "id", 0, "cmd", "heartbeat");
                char err[256];
                if (fl_agents_call(&r->agents, i, beat, &reply, err, sizeof err) == 0)
                    json_decref(reply);
                json_decref(beat);
            }
    }
}

/* Refuse a spec the nodes cannot carry out before anything starts (netem here). */
static int check_spec(run *r, const fl_fault_spec *spec, char *err, size_t bytes) {
    bool netem = false;
    for (size_t i = 0; i < spec->count; i++) netem |= spec->faults[i].kind == FL_FAULT_NETEM;
    for (size_t i = 0; i < r->control.nodes->count; i++) {
        json_t *reply = NULL, *hello = json_pack("{s:i,s:s}", "id", 0, "cmd", "hello");
        int rc = fl_agents_call(&r->agents, i, hello, &reply, err, bytes);
        json_decref(hello);
        if (rc != 0) return -1;
        const json_t *applied = json_object_get(reply, "applied");
        if (netem && !json_is_true(json_object_get(applied, "netem"))) {
            snprintf(err, bytes, "%s: the spec asks for netem, but %s",
                     r->control.nodes->nodes[i].name,
                     json_string_value(json_object_get(applied, "netem_detail")));
            json_decref(reply);
            return -1;
        }
        json_decref(reply);
    }
    return 0;
}

/* Print a start or stop event as <kind>-start / <kind>-stop. */
static void emit_event(run *r, json_t *event, const char *suffix) {
    char f[64];
    snprintf(f, sizeof f, "%s-%s", json_string_value(json_object_get(event, "kind")), suffix);
    emit(r, f, event);
}

/* Faults until the duration is up or Ctrl-C: start one, hold; once at_once are in
 * force, stop the oldest and wait. Then stop them all and heal. */
static int schedule(run *r, double duration_s, double interval_s, int at_once) {
    char err[FL_NEMESIS_ERR_BYTES];
    int status = FL_EXIT_VALID;
    while (!interrupted && since_start_ns(r) < (int64_t)(duration_s * 1e9)) {
        json_t *event = fl_nemesis_start(&r->nemesis, err, sizeof err);
        if (event) emit_event(r, event, "start");
        else fprintf(stderr, "faultline nemesis: %s\n", err), status = FL_EXIT_HARNESS;
        hold(r, (long)(interval_s * 1000));
        if ((int)r->nemesis.active_count < at_once && event) continue;
        event = fl_nemesis_stop(&r->nemesis, err, sizeof err);
        if (event) emit_event(r, event, "stop");
        else fprintf(stderr, "faultline nemesis: %s\n", err), status = FL_EXIT_HARNESS;
        hold(r, (long)(interval_s * 1000));
    }
    while (r->nemesis.active_count > 0) {
        json_t *event = fl_nemesis_stop(&r->nemesis, err, sizeof err);
        if (event) emit_event(r, event, "stop");
        else fprintf(stderr, "faultline nemesis: %s\n", err), status = FL_EXIT_HARNESS;
    }
    json_t *healed = fl_nemesis_heal_all(&r->nemesis, err, sizeof err);
    if (healed) emit(r, "heal", healed);
    else fprintf(stderr, "faultline nemesis: heal: %s\n", err), status = FL_EXIT_HARNESS;
    return status;
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
    return 0;
}

static int run_nemesis(const char *nodes_path, const fl_fault_spec *spec, double duration_s,
                       double interval_s, int at_once, uint64_t seed,
                       const fl_nemesis_process *processes, size_t process_count,
                       const char *primary_cmd) {
    static run r;
    r.primary_cmd = primary_cmd;
    fl_nodes nodes;
    char err[FL_NODES_ERR_BYTES];
    int rc = fl_nodes_read(nodes_path, &nodes, err);
    if (rc != 0) return fprintf(stderr, "faultline nemesis: %s\n", err), rc;
    r.watchdog_s = 10;
    int status = FL_EXIT_HARNESS;
    const char *names[FL_NODES_MAX], *addrs[FL_NODES_MAX];
    for (size_t i = 0; i < nodes.count; i++) names[i] = nodes.nodes[i].name, addrs[i] = nodes.nodes[i].host;
    if (fl_control_open(&r.control, &nodes, false, 5000, err, sizeof err) != 0)
        fprintf(stderr, "faultline nemesis: %s%s\n", err, r.control.errors[0]);
    else if (fl_agents_start(&r.agents, &r.control, r.watchdog_s, err, sizeof err) != 0 ||
             check_spec(&r, spec, err, sizeof err) != 0)
        fprintf(stderr, "faultline nemesis: %s\n", err);
    else {
        fl_nemesis_io io = {&r, nodes.count, names, addrs, io_call, io_run,
                            primary_cmd ? io_primaries : NULL};
        fl_nemesis_init(&r.nemesis, &io, spec, seed, processes, process_count);
        clock_gettime(CLOCK_MONOTONIC, &r.start);
        status = schedule(&r, duration_s, interval_s, at_once);
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
