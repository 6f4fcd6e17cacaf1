/* One `faultline test` run, phase by phase (see run.h). Whatever fails, the run
 * heals the nodes, stops the target, keeps the history recorded so far and checks it;
 * a harness failure is exit 3 and says which node and what to do. */
#include "run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkers.h"
#include "cluster.h"
#include "exit_codes.h"
#include "junit.h"
#include "report.h"
#include "primaries.h"
#include "primaries_watch.h"
#include "run_store.h"
#include "store_index.h"
#include "run_resolve.h"
#include "run_results.h"
#include "run_internal.h"
#include "version_json.h"

#define WATCHDOG_S 10

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void fl_run_log(fl_run *r, bool loud, const char *fmt, ...) {
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    pthread_mutex_lock(&log_mu);
    if (r->log) {
        fprintf(r->log, "%s.%03ld %s\n", stamp, ts.tv_nsec / 1000000, line);
        fflush(r->log);
    }
    if (loud) fprintf(stderr, "%sfaultline test: %s\n", isatty(2) ? "\r\033[K" : "", line);
    pthread_mutex_unlock(&log_mu);
}

static double elapsed_s(const fl_run *r) {
    return fl_hwriter_now_ns(&r->history) / 1e9;
}

/* ---- nemesis thread ---- */

static void faults_update(fl_run *r, const char *f, const json_t *value) {
    const char *kind = json_string_value(json_object_get(value, "kind"));
    const char *variant = json_string_value(json_object_get(value, "variant"));
    pthread_mutex_lock(&r->faults_mu);
    char item[64];
    snprintf(item, sizeof item, " %s%s%s", kind ? kind : "?", variant ? ":" : "", variant ? variant : "");
    size_t klen = strlen(kind ? kind : "?") + 1;
    if (strstr(f, "-start")) {
        if (strlen(r->faults) + strlen(item) < sizeof r->faults) strcat(r->faults, item);
    } else {
        /* drop the entry of this kind */
        char pat[40];
        snprintf(pat, sizeof pat, " %s", kind ? kind : "?");
        char *at = strstr(r->faults, pat);
        if (at && (at[klen] == ':' || at[klen] == ' ' || at[klen] == '\0')) {
            char *end = strchr(at + 1, ' ');
            memmove(at, end ? end : at + strlen(at), strlen(end ? end : at + strlen(at)) + 1);
        }
        if (!strcmp(f, "heal")) r->faults[0] = '\0';
    }
    pthread_mutex_unlock(&r->faults_mu);
}

static void sink_event(void *ctx, const char *f, json_t *value) {
    fl_run *r = ctx;
    fl_hwriter_nemesis(&r->history, f, value);
    atomic_fetch_add(&r->nemesis_events, 1);
    faults_update(r, f, value);
    char *text = json_dumps(value, JSON_COMPACT);
    fl_run_log(r, false, "nemesis %s %s", f, text ? text : "");
    free(text);
    json_decref(value);
}

static void sink_error(void *ctx, const char *message) {
    fl_run_log(ctx, true, "nemesis: %s", message);
}

static bool sink_done(void *ctx) {
    fl_run *r = ctx;
    return atomic_load(&r->main_over);
}

/* The calm before the first fault (--nemesis-delay); the agents feed their own watchdogs. */
static void calm_first(fl_run *r) {
    long left_ms = (long)(r->cfg->nemesis_delay_s * 1000);
    for (; left_ms > 0 && !atomic_load(&r->main_over); left_ms -= 100) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void *nemesis_main(void *arg) {
    fl_run *r = arg;
    fl_nemesis_sink sink = {r, sink_event, sink_error, sink_done, NULL};
    calm_first(r);
    fl_nemesis_schedule(&r->nemesis, &r->link, r->cfg->nemesis_interval_s, r->cfg->at_once, &sink);
    return NULL;
}

/* ---- the primaries watcher's side of the run ---- */

static int watch_ask(void *ctx, uint64_t *nodes, char *err, size_t bytes) {
    fl_run *r = ctx;
    return fl_nemesis_link_primaries(&r->link, nodes, err, bytes);
}

/* Not counted as a nemesis event: it is no fault (stats.nemesis_events counts faults). */
static void watch_record(void *ctx, const json_t *value) {
    fl_run *r = ctx;
    fl_hwriter_nemesis(&r->history, FL_PRIMARIES_F, value);
    char *text = json_dumps(value, JSON_COMPACT);
    fl_run_log(r, false, "primaries %s", text ? text : "");
    free(text);
}

static int64_t watch_now(void *ctx) {
    fl_run *r = ctx;
    return fl_hwriter_now_ns(&r->history);
}

/* Watch who is primary while the workload runs, when the target can say. */
static void watch_primaries(fl_run *r, fl_primaries_watch *w) {
    if (!r->target->primaries) return;
    fl_primaries_watch_io io = {.ctx = r, .ask = watch_ask, .record = watch_record,
                                .now_ns = watch_now, .names = r->link.names,
                                .node_count = r->nodes.count};
    char err[256];
    if (fl_primaries_watch_start(w, &io, 1000, err, sizeof err) != 0) fl_run_log(r, true, "%s", err);
}

/* ---- phases ---- */

/* started: when the main phase began (its seconds are what the status line counts). */
static void status_line(fl_run *r, double started, double limit, long *last_total,
                        double *last_t) {
    double t = elapsed_s(r) - started;
    long ok = atomic_load(&r->ok), fail = atomic_load(&r->fail), info = atomic_load(&r->info);
    long total = ok + fail + info;
    double rate = t > *last_t ? (total - *last_total) / (t - *last_t) : 0;
    *last_total = total;
    *last_t = t;
    pthread_mutex_lock(&r->faults_mu);
    char faults[256];
    snprintf(faults, sizeof faults, "%s", r->faults[0] ? r->faults + 1 : "none");
    pthread_mutex_unlock(&r->faults_mu);
    if (isatty(2))
        fprintf(stderr, "\r\033[K[%5.1f/%.0f s] %6.0f ops/s  ok %ld  fail %ld  info %ld  faults: %s",
                t, limit, rate, ok, fail, info, faults);
    else if ((long)t % 10 == 0)
        fprintf(stderr, "faultline test: %.0f/%.0f s, %.0f ops/s, ok %ld fail %ld info %ld, faults: %s\n",
                t, limit, rate, ok, fail, info, faults);
}

/* Whether clock faults were asked of a target the clock shim cannot reach, on a node
 * whose clock is the shim's (faketime): such a fault would be recorded and not applied. */
static bool refuse_blind_clock(const fl_run *r, const char *nodes_path, char *err, size_t bytes) {
    bool clock = false;
    for (size_t i = 0; i < r->spec.count; i++) clock |= r->spec.faults[i].kind == FL_FAULT_CLOCK;
    if (!clock || !r->target->clock_shim_blind) return false;
    for (size_t i = 0; i < r->nodes.count; i++)
        if (r->nodes.nodes[i].clock == FL_CLOCK_FAKETIME) {
            snprintf(err, bytes, "%s cannot take clock faults on %s (%s, clock mode faketime): %s, "
                     "so the clock shim cannot skew it. Leave clock out of --nemesis, or use "
                     "nodes whose clock may really move (\"clock\": \"system\", VMs)",
                     r->target->name, r->nodes.nodes[i].name, nodes_path,
                     r->target->clock_shim_blind);
            return true;
        }
    return false;
}

/* 0, or an exit code with err: 65 for a nodes file that does not parse, 64 for clock
 * faults a target cannot take, else 3. */
static int phase_setup(fl_run *r, char *err, size_t bytes) {
    const fl_test_config *c = r->cfg;
    const char *nodes_path = c->nodes_file;
    if (!nodes_path) {
        /* The local cluster, brought up if needed (idempotent, fast when it is up); the
         * default folder's name and subnet (fl, 10.213.0.0/24) come with it. */
        fl_cluster_options o = {.nodes = 5, .dir = FL_CLUSTER_DIR};
        bool already = false;
        int rc = fl_cluster_up(&o, &already, err, bytes);
        if (rc != 0) return FL_EXIT_HARNESS;
        fl_run_log(r, !already, "local cluster %s", already ? "is up" : "brought up");
        nodes_path = FL_DEFAULT_NODES_FILE;
    }
    char nerr[FL_NODES_ERR_BYTES];
    int nodes_rc = fl_nodes_read(nodes_path, &r->nodes, nerr);
    if (nodes_rc != 0) return snprintf(err, bytes, "%s", nerr), nodes_rc;
    r->nodes_read = true;
    if (r->nodes.count > 64) return snprintf(err, bytes, "%s: at most 64 nodes", nodes_path), FL_EXIT_HARNESS;
    if (c->nemesis && refuse_blind_clock(r, nodes_path, err, bytes)) return FL_EXIT_USAGE;
    int unreachable = fl_control_open(&r->control, &r->nodes, false, FL_CONNECT_TIMEOUT_MS, err, bytes);
    if (unreachable < 0) return FL_EXIT_HARNESS;
    r->control_open = true;
    if (unreachable > 0) {
        for (size_t i = 0; i < r->nodes.count; i++)
            if (!r->control.remotes[i]) {
                snprintf(err, bytes, "%s", r->control.errors[i]);
                break;
            }
        return FL_EXIT_HARNESS;
    }
    fl_run_log(r, false, "connected to %zu nodes (%s)", r->nodes.count, nodes_path);
    if (fl_agents_start(&r->agents, &r->control, WATCHDOG_S, err, bytes) != 0) return FL_EXIT_HARNESS;
    r->agents_up = true;
    fl_run_log(r, false, "agents answering on %zu nodes", r->nodes.count);
    r->link.target = r->target;
    r->link.target_ctx = &r->tctx;
    fl_nemesis_io io;
    fl_nemesis_link_init(&r->link, &r->control, &r->agents, &io);
    if (c->nemesis && fl_nemesis_link_check_spec(&r->link, &r->spec, err, bytes) != 0) return FL_EXIT_HARNESS;
    r->process = (fl_nemesis_process){r->target->name, r->target->pidfile, NULL,
                                      r->target->signal_tree};
    fl_nemesis_init(&r->nemesis, &io, &r->spec, r->seed, &r->process, 1);

    r->tctx = (fl_target_ctx){.target = r->target, .nodes = &r->nodes, .control = &r->control,
                              .run_dir = r->dir, .bug = c->bug, .options = r->tctx.options, .log = r->log};
    if (r->target->setup(&r->tctx, err, bytes) != 0) return FL_EXIT_HARNESS;
    r->target_set_up = true;
    for (size_t i = 0; i < r->nodes.count; i++)
        if (r->target->start(&r->tctx, i, err, bytes) != 0) return FL_EXIT_HARNESS;
    if (r->target->ready && r->target->ready(&r->tctx, err, bytes) != 0) return FL_EXIT_HARNESS;
    fl_run_log(r, false, "%s%s%s started on every node", r->target->name, c->bug ? " --bug " : "",
               c->bug ? c->bug : "");
    return 0;
}

static void phase_main(fl_run *r) {
    pthread_t nemesis_thread;
    bool with_nemesis = r->cfg->nemesis != NULL;
    char err[512];
    if (fl_workers_start(r, err, sizeof err) != 0) {
        fl_run_log(r, true, "%s", err);
        return;
    }
    with_nemesis = with_nemesis && pthread_create(&nemesis_thread, NULL, nemesis_main, r) == 0;
    if (r->cfg->nemesis && !with_nemesis) fl_run_log(r, true, "cannot start the nemesis thread");
    fl_primaries_watch watch = {0};
    watch_primaries(r, &watch);
    /* --time-limit is the main phase's length: the setup before it (a slow node may take
     * most of a short limit to start the target) does not count. */
    double started = elapsed_s(r), limit = r->cfg->time_limit_s, last_t = 0, shown = started;
    long last_total = 0;
    while (elapsed_s(r) - started < limit && !*r->interrupted) {
        struct timespec ts = {0, 250 * 1000000};
        nanosleep(&ts, NULL);
        if (elapsed_s(r) - shown >= 1) {
            status_line(r, started, limit, &last_total, &last_t);
            shown = elapsed_s(r);
        }
    }
    if (isatty(2)) fputc('\n', stderr);
    if (*r->interrupted) fl_run_log(r, true, "interrupted: healing, stopping and checking what was recorded");
    atomic_store(&r->main_over, true);
    fl_workers_join(r);
    fl_primaries_watch_stop(&watch); /* after the workers: the last op is inside the timeline */
    if (watch.polls)
        fl_run_log(r, false, "primaries: %ld polls, %ld events, the longest poll %.3f s", watch.polls,
                   watch.events, watch.longest_poll_ns / 1e9);
    if (with_nemesis) pthread_join(nemesis_thread, NULL);
    fl_run_log(r, false, "main phase over at %.1f s (%.1f s long): ok %ld fail %ld info %ld",
               elapsed_s(r), elapsed_s(r) - started, atomic_load(&r->ok), atomic_load(&r->fail),
               atomic_load(&r->info));
}

/* Every node healed, the target running everywhere, a pause to recover, final reads. */
static void phase_recover(fl_run *r) {
    char err[512];
    for (size_t i = 0; i < r->nodes.count; i++)
        if (r->target->start(&r->tctx, i, err, sizeof err) != 0)
            fl_run_log(r, true, "restarting %s after the faults: %s", r->target->name, err);
    if (r->target->ready && r->target->ready(&r->tctx, err, sizeof err) != 0)
        fl_run_log(r, true, "%s after the faults: %s", r->target->name, err);
    for (double waited = 0; waited < r->cfg->recovery_s && !*r->interrupted; waited += 0.1) {
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    fl_final_reads(r);
    fl_final_ops(r);
}

static void phase_teardown(fl_run *r) {
    char err[512];
    if (r->target_set_up) {
        for (size_t i = 0; i < r->nodes.count; i++) {
            if (r->target->stop(&r->tctx, i, err, sizeof err) != 0)
                fl_run_log(r, true, "stopping %s: %s", r->target->name, err);
            char dir[4352];
            snprintf(dir, sizeof dir, "%s/nodes/%s", r->dir, r->nodes.nodes[i].name);
            if (fl_mkdirs(dir, err, sizeof err) != 0 ||
                r->target->fetch_logs(&r->tctx, i, dir, err, sizeof err) != 0)
                fl_run_log(r, false, "logs: %s", err);
        }
        if (r->target->teardown) r->target->teardown(&r->tctx);
    }
    if (r->agents_up) {
        fl_nemesis_link_free(&r->link);
        fl_agents_stop(&r->agents); /* the heartbeats end, then every agent heals and exits */
    }
    if (r->control_open) fl_control_close(&r->control);
}

static int verdict_code(const json_t *valid) {
    return json_is_true(valid) ? FL_EXIT_VALID : json_is_false(valid) ? FL_EXIT_ANOMALY : FL_EXIT_UNKNOWN;
}

/* The checks every run gets whatever its workload, through the registry as the
 * workload's: perf (an f that never succeeded makes the run unknown) and log-pattern over
 * the fetched node logs (a match makes it invalid). A check that could not run (logs
 * that could not be read) is reported but does not make the run unknown. */
static void check_every_run(fl_run *r, const fl_history *h, json_t *results) {
    static const char *const every_run[] = {"perf", "log-pattern"};
    fl_checker_options opt = {.run_dir = r->dir};
    for (size_t i = 0; i < sizeof every_run / sizeof *every_run; i++) {
        fl_error e;
        if (fl_checker_run_into(fl_checker_find(every_run[i]), h, &opt, results, &e) == 0) continue;
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        fl_run_log(r, true, "%s: %s", every_run[i], msg);
    }
}

/* Checks the history file as recorded; writes results.json; the verdict's exit code. */
static int phase_check(fl_run *r, json_t **results_out) {
    char path[4352], msg[1200];
    snprintf(path, sizeof path, "%.4000s/history.jsonl", r->dir);
    fl_read_options ro = {.allow_truncated = false, .independent = 0};
    fl_history *h = NULL;
    fl_error e;
    int rc = fl_history_read_file(path, &ro, &h, &e);
    if (rc != FL_READ_OK) {
        fl_error_format(&e, msg, sizeof msg);
        fl_run_log(r, true, "reading the history back: %s", msg);
        return FL_EXIT_HARNESS;
    }
    size_t refused = 0;
    json_t *results = fl_workload_check(r->wdef, r->workload, h, r->dir, &refused, &e);
    if (refused > 0) { /* recorded as unknown in results; the other checkers stand */
        fl_error_format(&e, msg, sizeof msg);
        fl_run_log(r, true, "checking: %s", msg);
    }
    check_every_run(r, h, results);
    json_t *nodes = json_object();
    for (size_t i = 0; i < r->nodes.count; i++)
        json_object_set_new(nodes, r->nodes.nodes[i].name, json_integer(atomic_load(&r->node_ok[i])));
    json_t *stats = json_pack("{s:I,s:I,s:I,s:o,s:I}", "ok", (json_int_t)atomic_load(&r->ok),
                              "fail", (json_int_t)atomic_load(&r->fail), "info",
                              (json_int_t)atomic_load(&r->info), "ok_by_node", nodes,
                              "nemesis_events", (json_int_t)atomic_load(&r->nemesis_events));
    fl_test_results_add_stats(results, stats, h); /* nothing ok: unknown */
    json_t *primaries = fl_history_primaries(h);   /* which node was primary when */
    if (primaries) json_object_set_new(results, "primaries", primaries);
    fl_version_stamp(results);
    fl_history_free(h);
    snprintf(path, sizeof path, "%.4000s/results.json", r->dir);
    if (json_dump_file(results, path, JSON_INDENT(1)) != 0)
        fl_run_log(r, true, "writing %s: %s", path, strerror(errno));
    *results_out = results;
    return verdict_code(json_object_get(results, "valid"));
}

/* What people and CI read besides results.json: junit.xml (always, so a CI job sees a
 * run that crashed as skipped), report.html (when there is a history) and the store's
 * index.html. A failure here is logged; the verdict stands. */
static void write_reports(fl_run *r, const json_t *results, bool recorded) {
    char path[4352], err[1024];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double seconds = (double)(now.tv_sec - r->started.tv_sec) +
                     (double)(now.tv_nsec - r->started.tv_nsec) / 1e9;
    snprintf(path, sizeof path, "%.4000s/junit.xml", r->dir);
    if (fl_junit_write_run(path, r->name, results, seconds, err, sizeof err) != 0)
        fl_run_log(r, true, "junit: %s", err);
    if (recorded && fl_report_write(r->dir, NULL, err, sizeof err) != FL_REPORT_OK)
        fl_run_log(r, true, "report: %s", err);
    if (fl_store_index_write(r->cfg->store, err, sizeof err) != 0)
        fl_run_log(r, true, "store index: %s", err);
}

static int prepare(fl_run *r, char *err, size_t bytes) {
    const fl_test_config *c = r->cfg;
    r->target = fl_test_config_target(c);
    if (!r->target) return snprintf(err, bytes, "no target \"%s\" (see `faultline targets`)", c->target), FL_EXIT_USAGE;
    if (c->bug && !fl_target_has_bug(r->target, c->bug))
        return snprintf(err, bytes, "%s has no seeded bug \"%s\" (see `faultline targets`)",
                        c->target, c->bug), FL_EXIT_USAGE;
    r->tctx.options = fl_test_target_options(c, r->target, err, bytes);
    if (!r->tctx.options) return FL_EXIT_USAGE;
    r->wdef = fl_workload_find(c->workload);
    if (!r->wdef) return snprintf(err, bytes, "no workload \"%s\" (register, set)", c->workload), FL_EXIT_USAGE;
    if (r->target->workloads) {
        size_t i = 0;
        while (r->target->workloads[i] && strcmp(r->target->workloads[i], c->workload)) i++;
        if (!r->target->workloads[i])
            return snprintf(err, bytes, "%s does not fit the workload %s (its target file "
                            "names the ones it fits: `faultline targets --file F`)", c->target,
                            c->workload), FL_EXIT_USAGE;
    }
    fl_workload_options wo = fl_test_workload_options(c, r->seed, r->target, r->tctx.options);
    r->workload = r->wdef->create(&wo, err, bytes);
    if (!r->workload) return FL_EXIT_USAGE;
    if (c->nemesis && fl_fault_spec_parse(c->nemesis, &r->spec, err, bytes) != 0) return FL_EXIT_USAGE;
    return 0;
}

int fl_test_validate(const fl_test_config *c, char *err, size_t bytes) {
    fl_run *r = calloc(1, sizeof *r); /* prepare() fills only the run's target and workload */
    if (!r) return snprintf(err, bytes, "out of memory"), FL_EXIT_HARNESS;
    r->cfg = c;
    r->seed = c->seed;
    int rc = prepare(r, err, bytes);
    if (r->workload) r->wdef->free(r->workload);
    json_decref(r->tctx.options);
    free(r);
    return rc;
}

static json_t *test_json(const fl_run *r) {
    json_t *config = fl_test_resolved_config(r->cfg, r->seed, r->tctx.options);
    json_t *nodes = json_array();
    for (size_t i = 0; r->nodes_read && i < r->nodes.count; i++)
        json_array_append_new(nodes, json_pack("{s:s,s:s,s:s}", "name", r->nodes.nodes[i].name,
                                               "host", r->nodes.nodes[i].host, "clock",
                                               r->nodes.nodes[i].clock == FL_CLOCK_SYSTEM ? "system" : "faketime"));
    /* The history's time 0 on the host's monotonic clock, which the nodes of the local
     * cluster share: logs the nodes stamp with CLOCK_MONOTONIC (fl-payments' request log)
     * are placed on the history's time line with it. */
    json_int_t origin = (json_int_t)r->history_origin.tv_sec * 1000000000 + r->history_origin.tv_nsec;
    return json_pack("{s:o,s:o,s:o,s:I}", "config", config, "nodes", nodes, "faultline",
                     fl_version_json(), "history_origin_mono_ns", origin);
}

void fl_test_run(const fl_test_config *c, uint64_t seed, volatile sig_atomic_t *interrupted,
                 fl_test_outcome *out) {
    static fl_run run;
    fl_run *r = &run;
    memset(r, 0, sizeof *r);
    memset(out, 0, sizeof *out);
    r->cfg = c;
    r->seed = seed;
    r->interrupted = interrupted;
    pthread_mutex_init(&r->faults_mu, NULL);
    char err[2048] = "";
    int status = prepare(r, err, sizeof err);
    if (status != 0) {
        fprintf(stderr, "faultline test: %s\n", err);
        snprintf(out->error, sizeof out->error, "%.1000s", err);
        out->exit_code = status;
        goto done;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    char *name = r->name;
    snprintf(name, sizeof r->name, "%s", c->name ? c->name : "");
    if (!c->name)
        snprintf(name, sizeof r->name, "%s-%s%s%s", c->target, c->workload, c->bug ? "-" : "",
                 c->bug ? c->bug : "");
    if (fl_run_store_create(c->store, name, r->dir, sizeof r->dir, err, sizeof err) != 0) {
        fprintf(stderr, "faultline test: run store: %s\n", err);
        snprintf(out->error, sizeof out->error, "run store: %.1000s", err);
        out->exit_code = FL_EXIT_HARNESS;
        goto done;
    }
    snprintf(out->run_dir, sizeof out->run_dir, "%.4000s", r->dir);
    char path[4352];
    snprintf(path, sizeof path, "%.4000s/faultline.log", r->dir);
    r->log = fopen(path, "w");
    fl_run_log(r, false, "seed %llu, run directory %s", (unsigned long long)seed, r->dir);
    clock_gettime(CLOCK_MONOTONIC, &r->history_origin);
    snprintf(path, sizeof path, "%.4000s/history.jsonl", r->dir);
    if (fl_hwriter_open(&r->history, path, &r->history_origin, err, sizeof err) != 0) {
        fl_run_log(r, true, "%s", err);
        snprintf(out->error, sizeof out->error, "%.1000s", err);
        out->exit_code = FL_EXIT_HARNESS;
        goto done;
    }
    r->history_open = true;
    int harness_rc = phase_setup(r, err, sizeof err);
    json_t *tj = test_json(r);
    snprintf(path, sizeof path, "%.4000s/test.json", r->dir);
    json_dump_file(tj, path, JSON_INDENT(1));
    json_decref(tj);
    if (harness_rc != 0) {
        fl_run_log(r, true, "setup: %s", err);
        snprintf(out->error, sizeof out->error, "setup: %.1000s", err);
    } else {
        fl_run_log(r, true, "running %s %s for %.0f s (seed %llu, %s)", c->target,
                   c->workload, c->time_limit_s, (unsigned long long)seed, r->dir);
        phase_main(r);
        phase_recover(r);
    }
    phase_teardown(r);
    if (r->agents.lost[0]) {
        /* Faults asked of that node after this were not applied: what was recorded is
         * kept and checked, but the run did not test what it said it would. */
        snprintf(err, sizeof err, "an agent went away during the run (%.400s): faults after it "
                 "were not applied on that node; the history is kept and checked, but rerun "
                 "before trusting the verdict", r->agents.lost);
        fl_run_log(r, true, "%s", err);
        if (!out->error[0]) snprintf(out->error, sizeof out->error, "%.1000s", err);
        if (harness_rc == 0) harness_rc = FL_EXIT_HARNESS;
    }
    if (fl_hwriter_close(&r->history, err, sizeof err) != 0) {
        fl_run_log(r, true, "%s", err);
        if (!out->error[0]) snprintf(out->error, sizeof out->error, "%.1000s", err);
        harness_rc = FL_EXIT_HARNESS;
    }
    r->history_open = false;
    json_t *results = NULL;
    /* A run that failed before recording anything has nothing to check. */
    bool recorded = atomic_load(&r->history.events) > 0;
    int verdict = recorded ? phase_check(r, &results) : FL_EXIT_UNKNOWN;
    write_reports(r, results, recorded);
    out->exit_code = harness_rc != 0 ? harness_rc : verdict;
    json_t *valid = results ? json_incref(json_object_get(results, "valid")) : json_string("unknown");
    out->summary = json_pack("{s:o,s:I,s:I,s:I,s:s}", "valid", valid,
                             "ok", (json_int_t)atomic_load(&r->ok), "fail",
                             (json_int_t)atomic_load(&r->fail), "info",
                             (json_int_t)atomic_load(&r->info), "dir", r->dir);
    json_decref(results);
done:
    if (r->history_open) fl_hwriter_close(&r->history, err, sizeof err);
    if (r->workload) r->wdef->free(r->workload);
    json_decref(r->tctx.options);
    if (r->nodes_read) fl_nodes_free(&r->nodes);
    if (r->log) fclose(r->log);
    pthread_mutex_destroy(&r->faults_mu);
}
