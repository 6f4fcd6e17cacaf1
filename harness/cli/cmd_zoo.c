/* `faultline zoo`: the built-in suite of every target's correct mode and every seeded
 * bug, each at the target's defaults, with the same seeds every night; prints the
 * detection matrix and leaves STORE/zoo/<UTC time>/zoo.json and zoo.html (DESIGN.md
 * "Zoo"). Exit 0 unless a correct mode raised a false alarm (1) or the harness failed
 * (3): a bug that went unseen is a number in the matrix, not a failure. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "exit_codes.h"
#include "run_store.h"
#include "store_index.h"
#include "suite_report.h"
#include "run_series.h"
#include "version_json.h"
#include "zoo.h"
#include "target_file.h"
#include "zoo_run.h"

static const char usage[] =
    "usage: faultline zoo [OPTIONS]\n"
    "  Runs every target's correct mode and every seeded bug, each at the target's\n"
    "  defaults (`faultline targets`), and prints the detection matrix: per row the runs\n"
    "  that found an anomaly (INVALID; for a correct mode these are false alarms), unknown\n"
    "  and errored runs, the median time to the first anomaly, the checkers that caught\n"
    "  it, the previous zoo's rate, and the target's simulator on the same mode. Writes\n"
    "  STORE/zoo/<UTC time>/zoo.json and zoo.html (STORE/zoo/latest: the newest); runs go\n"
    "  to STORE/zoo-<target>-<mode>/.\n"
    "  --target T          only this target (default: every one)\n"
    "  --target-file F     a target described in a file instead of the built-in ones: its\n"
    "                      correct mode and its bugs (with their needs, on machines)\n"
    "  --bug B|correct     only this bug, or only the correct modes (default: every mode)\n"
    "  --runs N            runs per bug, seeds X … X+N-1 (default 5)\n"
    "  --correct-runs M    runs per correct mode (default 2 × --runs)\n"
    "  --time-limit S      each run's main phase (default 60)\n"
    "  --seed X            the first seed of every row (default 1, so nights compare)\n"
    "  --sim-seeds K       simulator seeds per row where the target has a simulator\n"
    "                      (default 2000; 0: none)\n"
    "  --store DIR         the store (default ./store)\n"
    "  --nodes-file F      the nodes (default: the local cluster, brought up if needed)\n"
    "  --junit FILE        every run as JUnit XML: one testsuite per row\n"
    "  --list              print the rows and their settings (the zoo's, then the\n"
    "                      target's defaults); run nothing\n"
    "exit: 0 no correct mode had an INVALID run and nothing failed, 1 a correct mode raised\n"
    "      a false alarm, 3 harness error (a run or a simulator that could not run, or the\n"
    "      zoo was interrupted), 64 usage\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    stop = 1;
    signal(sig, SIG_DFL); /* the second one ends the process */
}

static int number(const char *flag, const char *text, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "faultline zoo: --%s %s: want a number from %g to %g\n", flag, text, lo, hi);
        return FL_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int whole(const char *flag, const char *text, double lo, double hi, int *out) {
    double v;
    if (number(flag, text, lo, hi, &v)) return FL_EXIT_USAGE;
    if (v != (double)(int)v) {
        fprintf(stderr, "faultline zoo: --%s %s: want a whole number\n", flag, text);
        return FL_EXIT_USAGE;
    }
    *out = (int)v;
    return 0;
}

static int parse_flags(int argc, char **argv, fl_zoo_options *o, bool *help) {
    static const struct option longs[] = {
        {"target", required_argument, NULL, 't'},     {"bug", required_argument, NULL, 'b'},
        {"target-file", required_argument, NULL, 'f'},
        {"runs", required_argument, NULL, 'r'},       {"correct-runs", required_argument, NULL, 'c'},
        {"time-limit", required_argument, NULL, 'l'}, {"seed", required_argument, NULL, 's'},
        {"sim-seeds", required_argument, NULL, 'k'},  {"store", required_argument, NULL, 'd'},
        {"nodes-file", required_argument, NULL, 'n'}, {"junit", required_argument, NULL, 'j'},
        {"list", no_argument, NULL, 'L'},             {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (fl_zoo_options){.store = "store", .runs = 5, .correct_runs = -1, .sim_seeds = 2000,
                          .time_limit_s = 60, .seed = 1};
    optind = 1;
    opterr = 0; /* the messages below name the flag */
    int id, rc = 0;
    double v;
    while (rc == 0 && (id = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (id) {
        case 't': o->target = optarg; break;
        case 'f': {
            /* Loaded now, as faultline test does: a bad file is reported by its line. */
            char err[1024];
            int load = fl_target_file_load(optarg, &o->file_target, err, sizeof err);
            if (load != 0) {
                fprintf(stderr, "faultline zoo: --target-file %s\n", err);
                return load;
            }
            o->target_file = optarg;
            break;
        }
        case 'b': o->bug = optarg; break;
        case 'r': rc = whole("runs", optarg, 1, 1000, &o->runs); break;
        case 'c': rc = whole("correct-runs", optarg, 1, 1000, &o->correct_runs); break;
        case 'l': rc = number("time-limit", optarg, 0.1, 86400, &o->time_limit_s); break;
        case 's':
            if ((rc = number("seed", optarg, 0, 1.8e19, &v)) == 0) o->seed = strtoull(optarg, NULL, 10);
            break;
        case 'k': rc = whole("sim-seeds", optarg, 0, 10000000, &o->sim_seeds); break;
        case 'd': o->store = optarg; break;
        case 'n': o->nodes_file = optarg; break;
        case 'j': o->junit = optarg; break;
        case 'L': o->list = true; break;
        case 'h': *help = true; return 0;
        default:
            fprintf(stderr, "faultline zoo: %s: an unknown flag, or one without its value "
                    "(see faultline zoo --help)\n", argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
    }
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "faultline zoo: unexpected argument \"%s\" (the zoo takes only flags)\n%s",
                argv[optind], usage);
        return FL_EXIT_USAGE;
    }
    if (o->correct_runs < 0) o->correct_runs = 2 * o->runs;
    return rc;
}

static void utc_now(char *out, size_t bytes) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, bytes, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The newest earlier zoo of the store (STORE/zoo/latest), read back; NULL when there is
 * none or it does not read (then said on stderr: the nights are not compared). */
static json_t *previous_zoo(const char *store, char *stamp, size_t bytes) {
    char link[4200], path[4300], err[1024];
    snprintf(link, sizeof link, "%s/zoo/latest", store);
    ssize_t n = readlink(link, stamp, bytes - 1);
    if (n <= 0 || memchr(stamp, '/', (size_t)n)) return NULL;
    stamp[n] = '\0';
    snprintf(path, sizeof path, "%s/zoo/%s/zoo.json", store, stamp);
    if (access(path, F_OK) != 0) return NULL;
    json_t *zoo = fl_zoo_read(path, err, sizeof err);
    if (!zoo) fprintf(stderr, "faultline zoo: the previous zoo, %s: not compared with\n", err);
    return zoo;
}

static json_t *previous_row(const json_t *previous, const char *name) {
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(previous, "rows"), i, r)
        if (!strcmp(json_string_value(json_object_get(r, "name")), name))
            return json_pack("{s:O,s:O,s:O}", "detected", json_object_get(r, "detected"), "runs",
                             json_object_get(r, "runs"), "started", json_object_get(previous, "started"));
    return json_null();
}

static int dump_json(FILE *out, const void *zoo, char *err, size_t bytes) {
    if (json_dumpf(zoo, out, JSON_INDENT(1)) != 0 || fputc('\n', out) == EOF)
        return snprintf(err, bytes, "writing zoo.json: %s", strerror(errno)), -1;
    return 0;
}

/* zoo.json and zoo.html as they stand (after every row: a zoo cut short keeps its rows). */
static int save(const char *dir, const json_t *zoo) {
    char path[4200], err[1024];
    snprintf(path, sizeof path, "%s/zoo.json", dir);
    if (fl_store_write_file(path, dump_json, zoo, err, sizeof err) != 0 ||
        fl_zoo_page_write(dir, zoo, err, sizeof err) != 0) {
        fprintf(stderr, "faultline zoo: %s\n", err);
        return FL_EXIT_HARNESS;
    }
    return 0;
}

/* One row: its runs (unless the zoo was stopped or the row refused), the simulator,
 * the previous night; appended to zoo's rows and to the JUnit record. */
static int run_row(const fl_zoo_options *o, fl_zoo_row *r, size_t k, size_t count,
                   const json_t *previous, json_t *zoo, json_t *record) {
    json_t *runs = json_array();
    const char *not_run = stop ? "the zoo was interrupted" : r->refused[0] ? r->refused : NULL;
    int status;
    if (!not_run) {
        fprintf(stderr, "faultline zoo: [%zu/%zu] %s (%d runs)\n", k, count, r->name, r->config.test_count);
        fl_test_series(&r->config, &stop, runs); /* the verdicts are tallied from runs */
        if (json_array_size(runs) == 0)
            not_run = stop ? "the zoo was interrupted" : "the row could not start (see the messages above)";
    }
    json_t *row = fl_zoo_tally(r, runs, not_run);
    if (!stop) fl_zoo_simulate(r, o->sim_seeds, o->seed, row);
    else json_object_set_new(row, "simulator", json_null());
    json_object_set_new(row, "previous", previous_row(previous, r->name));
    const json_t *sim = json_object_get(row, "simulator");
    if (not_run || json_integer_value(json_object_get(row, "errors")) > 0 || json_object_get(sim, "error"))
        status = FL_EXIT_HARNESS;
    else status = !fl_zoo_row_expects(r) && json_integer_value(json_object_get(row, "detected")) > 0 ? FL_EXIT_ANOMALY
                                                                                       : FL_EXIT_VALID;
    json_array_append_new(json_object_get(zoo, "rows"), row);
    json_t *rec = json_pack("{s:s,s:o}", "name", r->name, "runs", runs);
    if (not_run) json_object_set_new(rec, "not_run", json_string(not_run));
    json_array_append_new(record, rec);
    return status;
}

static json_t *new_zoo(const fl_zoo_options *o, const json_t *previous, const char *prev_stamp) {
    char started[32], seed[32];
    utc_now(started, sizeof started);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    json_t *settings = json_pack("{s:s?,s:s?,s:i,s:i,s:f,s:s,s:i,s:s,s:s?}", "target", o->target,
                                 "bug", o->bug, "runs", o->runs, "correct_runs", o->correct_runs,
                                 "time_limit_s", o->time_limit_s, "seed", seed, "sim_seeds",
                                 o->sim_seeds, "store", o->store, "nodes_file", o->nodes_file);
    json_t *prev = json_null();
    if (previous) {
        char href[600];
        snprintf(href, sizeof href, "../%s/zoo.html", prev_stamp);
        prev = json_pack("{s:O,s:s}", "started", json_object_get(previous, "started"), "href", href);
    }
    json_t *zoo = json_pack("{s:s,s:n,s:o,s:o,s:[],s:n}", "started", started, "finished",
                            "settings", settings, "previous", prev, "rows", "exit");
    fl_version_stamp(zoo);
    return zoo;
}

static int run_zoo(const fl_zoo_options *o, fl_zoo_row *rows, size_t count) {
    char dir[4096], err[1024], prev_stamp[256];
    json_t *previous = previous_zoo(o->store, prev_stamp, sizeof prev_stamp);
    if (fl_run_store_create_utc(o->store, "zoo", dir, sizeof dir, err, sizeof err) != 0) {
        fprintf(stderr, "faultline zoo: %s\n", err);
        json_decref(previous);
        return FL_EXIT_HARNESS;
    }
    fl_lin_tune_malloc();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    json_t *zoo = new_zoo(o, previous, prev_stamp), *record = json_array();
    int status = FL_EXIT_VALID;
    for (size_t i = 0; i < count; i++) {
        status = fl_exit_combine(status, run_row(o, &rows[i], i + 1, count, previous, zoo, record));
        status = fl_exit_combine(status, save(dir, zoo));
    }
    char finished[32];
    utc_now(finished, sizeof finished);
    json_object_set_new(zoo, "finished", json_string(finished));
    json_object_set_new(zoo, "exit", json_integer(status));
    status = fl_exit_combine(status, save(dir, zoo));
    fl_zoo_print_matrix(stdout, zoo);
    printf("zoo: %s/zoo.html\n", dir);
    if (o->junit && fl_suite_write_junit(o->junit, record) != 0) status = fl_exit_combine(status, FL_EXIT_HARNESS);
    if (fl_store_index_write(o->store, err, sizeof err) != 0)
        fprintf(stderr, "faultline zoo: the store's index: %s\n", err);
    json_decref(zoo);
    json_decref(record);
    json_decref(previous);
    return status;
}

int fl_cmd_zoo(int argc, char **argv) {
    fl_zoo_options o;
    bool help = false;
    int rc = parse_flags(argc, argv, &o, &help);
    if (help) return printf("%s", usage) < 0;
    if (rc) return rc;
    fl_zoo_row *rows = NULL;
    size_t count = 0;
    rc = fl_zoo_plan(&o, &rows, &count);
    if (rc == 0 && o.list) {
        fl_zoo_list(stdout, rows, count, o.sim_seeds);
        double seconds = 0;
        for (size_t i = 0; i < count; i++) {
            seconds += rows[i].config.test_count * (rows[i].config.time_limit_s + rows[i].config.recovery_s + 10);
            if (rows[i].refused[0]) rc = FL_EXIT_HARNESS;
        }
        fprintf(stderr, "faultline zoo: %zu row%s (about %.0f min)%s\n", count,
                count == 1 ? "" : "s", seconds / 60, rc ? "; some cannot run (see \"cannot run\")" : "");
    } else if (rc == 0) {
        rc = run_zoo(&o, rows, count);
    }
    fl_zoo_plan_free(rows, count);
    return rc;
}
