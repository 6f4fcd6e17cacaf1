/* `faultline suite FILE`: the tests of a suite file (a list and/or a matrix), or this
 * shard's share of them, each run exactly as `faultline test` runs the same settings,
 * then a summary table, optionally a JUnit file; the exit code combines every run's as
 * `--test-count` does (3 > 1 > 2 > 0). Every test of the file is checked before the
 * first one runs, so a typo in the last test costs no cluster time. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "commands.h"
#include "exit_codes.h"
#include "suite_file.h"
#include "suite_report.h"
#include "suite_shard.h"
#include "run_config.h"
#include "run.h"
#include "run_series.h"

static const char usage[] =
    "usage: faultline suite [OPTIONS] FILE\n"
    "  Runs the tests of a suite file (JSON: \"defaults\", \"tests\", \"matrix\", \"budget\";\n"
    "  README \"Suites\"), each as `faultline test` would, then prints a summary table.\n"
    "  --shard I/N        run only this worker's share: worker I of N (the split depends\n"
    "                     only on the file, so N workers cover the suite once)\n"
    "  --list             print the (sharded) tests, one per line: NAME, a tab, its\n"
    "                     settings as JSON; run nothing\n"
    "  --junit FILE       write every run as JUnit XML: one testsuite per test\n"
    "  --budget S         stop starting tests after S seconds in all (overrides the file's\n"
    "                     \"budget\"); the test running then ends its main phase early\n"
    "  --store DIR        every test's store (overrides the file)\n"
    "  --nodes-file F     every test's nodes (overrides the file)\n"
    "exit: 0 valid, 1 anomaly, 2 unknown (or a test not run), 3 harness error,\n"
    "      64 usage, 65 a suite file that does not parse or names a bad setting\n";

typedef struct options {
    const char *file, *junit, *store, *nodes_file;
    int shard, shards;
    bool list;
    double budget_s; /* 0: the file's, if any */
} options;

/* One test of the file: its settings resolved, and what it did. */
typedef struct suite_test {
    const json_t *entry; /* {"name", "where", "settings"} */
    fl_test_config config;
    int shard;
} suite_test;

static volatile sig_atomic_t stop;
static volatile sig_atomic_t interrupted;
static atomic_bool budget_over, suite_done;

static void on_signal(int sig) {
    interrupted = 1;
    stop = 1;
    signal(sig, SIG_DFL); /* the second one ends the process */
}

static int parse_flags(int argc, char **argv, options *o, bool *help) {
    enum { O_SHARD = 1, O_LIST, O_JUNIT, O_BUDGET, O_STORE, O_NODES, O_HELP };
    static const struct option longs[] = {
        {"shard", required_argument, NULL, O_SHARD}, {"list", no_argument, NULL, O_LIST},
        {"junit", required_argument, NULL, O_JUNIT}, {"budget", required_argument, NULL, O_BUDGET},
        {"store", required_argument, NULL, O_STORE}, {"nodes-file", required_argument, NULL, O_NODES},
        {"help", no_argument, NULL, O_HELP},         {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->shard = o->shards = 1;
    optind = 1;
    int id;
    while ((id = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        char *end;
        switch (id) {
        case O_SHARD:
            if (fl_shard_parse(optarg, &o->shard, &o->shards)) return FL_EXIT_USAGE;
            break;
        case O_LIST: o->list = true; break;
        case O_JUNIT: o->junit = optarg; break;
        case O_BUDGET:
            o->budget_s = strtod(optarg, &end);
            if (end == optarg || *end || !(o->budget_s > 0)) {
                fprintf(stderr, "faultline suite: --budget %s: want seconds over 0\n", optarg);
                return FL_EXIT_USAGE;
            }
            break;
        case O_STORE: o->store = optarg; break;
        case O_NODES: o->nodes_file = optarg; break;
        case O_HELP: *help = true; return 0;
        default: return fputs(usage, stderr), FL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "faultline suite: want one suite file\n%s", usage);
        return FL_EXIT_USAGE;
    }
    o->file = argv[optind];
    return 0;
}

/* Each test's settings as `faultline test` reads them, checked as a run checks them
 * before touching a node. 0, or 65 naming the file, the test and the setting. */
static int resolve(const options *o, suite_test *t) {
    json_t *settings = json_object_get(t->entry, "settings");
    const char *where = json_string_value(json_object_get(t->entry, "where"));
    if (json_object_get(settings, "junit")) {
        fprintf(stderr, "%s: \"junit\": not a setting of a suite's test (faultline suite "
                "--junit FILE writes every test's runs)\n", where);
        return FL_EXIT_DATAERR;
    }
    if (o->store) json_object_set_new(settings, "store", json_string(o->store));
    if (o->nodes_file) json_object_set_new(settings, "nodes-file", json_string(o->nodes_file));
    char err[2048];
    int rc = fl_test_config_resolve(&t->config, settings, where, err, sizeof err);
    if (rc == FL_EXIT_USAGE) fprintf(stderr, "%s: %s\n", where, err);
    return rc ? FL_EXIT_DATAERR : 0;
}

/* How long a test should take, for balancing the shards: its runs' main phases,
 * recovery waits and ~10 s each of setup, teardown and checks. */
static double estimate_s(const fl_test_config *c) {
    return c->test_count * (c->time_limit_s + c->recovery_s + 10);
}

static void list_tests(const suite_test *tests, size_t n, const options *o) {
    size_t mine = 0;
    double seconds = 0;
    for (size_t i = 0; i < n; i++) {
        if (tests[i].shard != o->shard) continue;
        json_t *s = json_deep_copy(json_object_get(tests[i].entry, "settings"));
        json_object_del(s, "name");
        char *text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\t%s\n", json_string_value(json_object_get(tests[i].entry, "name")), text ? text : "{}");
        free(text);
        json_decref(s);
        mine++;
        seconds += estimate_s(&tests[i].config);
    }
    fprintf(stderr, "faultline suite: %s: %zu tests; shard %d/%d has %zu of them (about %.0f s)\n",
            o->file, n, o->shard, o->shards, mine, seconds);
}

/* The budget: once it is spent no test starts, and the one running ends its main phase
 * (as on Ctrl-C) and is checked. */
static void *budget_main(void *arg) {
    double budget = *(const double *)arg;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!atomic_load(&suite_done)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 >= budget) {
            atomic_store(&budget_over, true);
            stop = 1;
            break;
        }
        struct timespec step = {0, 100 * 1000000};
        nanosleep(&step, NULL);
    }
    return NULL;
}

static int run_tests(suite_test *tests, size_t n, const options *o, double budget, json_t *record) {
    size_t mine = 0, k = 0;
    for (size_t i = 0; i < n; i++) mine += tests[i].shard == o->shard;
    pthread_t timer;
    memset(&timer, 0, sizeof timer);
    bool timed = budget > 0 && pthread_create(&timer, NULL, budget_main, &budget) == 0;
    int status = FL_EXIT_VALID;
    for (size_t i = 0; i < n; i++) {
        if (tests[i].shard != o->shard) continue;
        const char *name = json_string_value(json_object_get(tests[i].entry, "name"));
        json_t *rec = json_pack("{s:s,s:[]}", "name", name, "runs");
        json_array_append_new(record, rec);
        k++;
        int rc = FL_EXIT_VALID;
        if (!stop) {
            fl_test_config_default_seed(&tests[i].config);
            fprintf(stderr, "faultline suite: [%zu/%zu] %s\n", k, mine, name);
            rc = fl_test_series(&tests[i].config, &stop, json_object_get(rec, "runs"));
        }
        if (json_array_size(json_object_get(rec, "runs")) == 0) {
            /* not started (or refused): it must not read as a pass */
            json_object_set_new(rec, "not_run", json_string(
                atomic_load(&budget_over) ? "the suite's time budget was spent"
                : interrupted             ? "the suite was interrupted"
                                          : "the test could not start (see the messages above)"));
            rc = fl_exit_combine(rc, FL_EXIT_UNKNOWN);
        }
        status = fl_exit_combine(status, rc);
    }
    atomic_store(&suite_done, true);
    if (timed) pthread_join(timer, NULL);
    return status;
}

int fl_cmd_suite(int argc, char **argv) {
    options o;
    bool help = false;
    int rc = parse_flags(argc, argv, &o, &help);
    if (help) return printf("%s", usage) < 0;
    if (rc) return rc;
    fl_suite suite;
    rc = fl_suite_read(o.file, &suite);
    size_t n = rc ? 0 : json_array_size(suite.tests);
    suite_test *tests = calloc(n ? n : 1, sizeof *tests);
    double *est = calloc(n ? n : 1, sizeof *est);
    int *shard_of = calloc(n ? n : 1, sizeof *shard_of);
    size_t resolved = 0;
    if (!rc && (!tests || !est || !shard_of)) rc = FL_EXIT_HARNESS;
    for (size_t i = 0; !rc && i < n; i++, resolved++) {
        tests[i].entry = json_array_get(suite.tests, i);
        rc = resolve(&o, &tests[i]);
        est[i] = estimate_s(&tests[i].config);
    }
    if (rc == 0) {
        fl_shard_assign(est, n, o.shards, shard_of);
        for (size_t i = 0; i < n; i++) tests[i].shard = shard_of[i];
        if (o.list) {
            list_tests(tests, n, &o);
        } else {
            fl_lin_tune_malloc();
            signal(SIGINT, on_signal);
            signal(SIGTERM, on_signal);
            signal(SIGPIPE, SIG_IGN);
            json_t *record = json_array();
            rc = run_tests(tests, n, &o, o.budget_s > 0 ? o.budget_s : suite.budget_s, record);
            fl_suite_print_summary(stdout, record);
            if (o.junit && fl_suite_write_junit(o.junit, record) != 0)
                rc = fl_exit_combine(rc, FL_EXIT_HARNESS);
            json_decref(record);
        }
    }
    for (size_t i = 0; i < resolved; i++) fl_test_config_free(&tests[i].config);
    free(tests);
    free(est);
    free(shard_of);
    fl_suite_free(&suite);
    return rc;
}
