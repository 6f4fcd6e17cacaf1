/* `faultline test` flags and --config files (see run_config.h). */
#include "run_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exit_codes.h"
#include "target.h"
#include "target_file.h"

const char fl_test_usage[] =
    "usage: faultline test [OPTIONS]\n"
    "  Runs a test: brings the nodes' target up, drives concurrent clients against it while\n"
    "  a nemesis injects faults, records every op in history.jsonl, heals, checks the\n"
    "  history and prints the verdict and the run directory.\n"
    "  --target T              system under test (default quorumkv; see `faultline targets`)\n"
    "  --target-file F         a system under test described in a file, with a client\n"
    "                          program (README \"Your own system\"; check it with\n"
    "                          `faultline targets --file F`)\n"
    "  --bug NAME              run the target with this seeded bug (default: correct mode)\n"
    "  --target-opt K=V        a target option (repeatable; see `faultline targets`)\n"
    "  --workload W            register, set, list-append, lock, saga, txn-list-append or\n"
    "                          txn-rw-register (default: the target's)\n"
    "  --nemesis SPEC          faults, e.g. partition,kill,pause,clock,netem or\n"
    "                          partition:majorities-ring,clock:bump; A+B starts A and B\n"
    "                          together; none for no faults (default: the target's mix)\n"
    "  --nemesis-interval S    hold each fault about S seconds (0.5-1.5 S, from the seed),\n"
    "                          then as long calm (default: the target's, else 5)\n"
    "  --nemesis-delay S       calm for S seconds before the first fault: a baseline the\n"
    "                          checkers compare fault windows with (default: the\n"
    "                          target's, else 0)\n"
    "  --at-once K             up to K faults of different kinds in force together\n"
    "                          (default: the target's, else 1)\n"
    "  --nodes-file F          the nodes (default: the local cluster, brought up if needed)\n"
    "  --concurrency N         client workers, spread over the nodes (default: the\n"
    "                          target's, else 10)\n"
    "  --rate R                total ops per second, 0 for as fast as they go (default 100)\n"
    "  --time-limit S          length of the main phase (default 60)\n"
    "  --seed X                seed of every random choice (default: from the clock; saved)\n"
    "  --test-count K          run K tests (seeds X, X+1, …) and summarise (default 1)\n"
    "  --store DIR             where runs go: DIR/<name>/<time>/ (default ./store)\n"
    "  --junit FILE            also write every run's checks to FILE as JUnit XML (each run\n"
    "                          has its own junit.xml anyway)\n"
    "  --name NAME             test name (default <target>-<workload>[-<bug>])\n"
    "  --ops-per-key N         register: ops on one key before the next (default 200)\n"
    "  --threads-per-key N     register: workers sharing one key at a time (default 10)\n"
    "  --op-timeout S          an op without a reply after S seconds is info (default: the\n"
    "                          target's, else 5)\n"
    "  The target's defaults (`faultline targets`) are one workload and fault mix for its\n"
    "  correct mode and every bug; any setting given here wins over them.\n"
    "  --recovery-time S       wait after the heal before final reads (default 5)\n"
    "  --check-time-limit S    a check still undecided after S seconds is unknown (default 120)\n"
    "  --config FILE           settings as JSON, names as the flags ({\"time-limit\": 30})\n"
    "exit: 0 valid, 1 anomaly, 2 unknown, 3 harness error, 64 usage, 65 bad config file\n";

enum {
    O_TARGET = 1, O_BUG, O_TARGET_OPT, O_WORKLOAD, O_NEMESIS, O_INTERVAL, O_AT_ONCE,
    O_NODES, O_CONCURRENCY, O_RATE, O_TIME, O_SEED, O_COUNT, O_STORE, O_JUNIT, O_NAME, O_OPK,
    O_OP_TIMEOUT, O_RECOVERY, O_CHECK_TIME, O_CONFIG, O_HELP, O_TPK, O_DELAY, O_TARGET_FILE,
};

static const struct option options[] = {
    {"target", required_argument, NULL, O_TARGET},
    {"target-file", required_argument, NULL, O_TARGET_FILE},
    {"bug", required_argument, NULL, O_BUG},
    {"target-opt", required_argument, NULL, O_TARGET_OPT},
    {"workload", required_argument, NULL, O_WORKLOAD},
    {"nemesis", required_argument, NULL, O_NEMESIS},
    {"nemesis-interval", required_argument, NULL, O_INTERVAL},
    {"nemesis-delay", required_argument, NULL, O_DELAY},
    {"at-once", required_argument, NULL, O_AT_ONCE},
    {"nodes-file", required_argument, NULL, O_NODES},
    {"concurrency", required_argument, NULL, O_CONCURRENCY},
    {"rate", required_argument, NULL, O_RATE},
    {"time-limit", required_argument, NULL, O_TIME},
    {"seed", required_argument, NULL, O_SEED},
    {"test-count", required_argument, NULL, O_COUNT},
    {"store", required_argument, NULL, O_STORE},
    {"junit", required_argument, NULL, O_JUNIT},
    {"name", required_argument, NULL, O_NAME},
    {"ops-per-key", required_argument, NULL, O_OPK},
    {"threads-per-key", required_argument, NULL, O_TPK},
    {"op-timeout", required_argument, NULL, O_OP_TIMEOUT},
    {"recovery-time", required_argument, NULL, O_RECOVERY},
    {"check-time-limit", required_argument, NULL, O_CHECK_TIME},
    {"config", required_argument, NULL, O_CONFIG},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

/* Where a bad value came from: a flag (where NULL) or a settings object (where names
 * the file and, in a suite, the test), so the message leads the user to it. */
static void complain(const char *where, const char *flag, const char *text, const char *what) {
    if (where) fprintf(stderr, "%s: \"%s\": %s: %s\n", where, flag, text, what);
    else fprintf(stderr, "faultline test: --%s %s: %s\n", flag, text, what);
}

static int number(const char *where, const char *flag, const char *text, double lo, double hi,
                  double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v < lo || v > hi) {
        char what[96];
        snprintf(what, sizeof what, "want a number from %g to %g", lo, hi);
        complain(where, flag, text, what);
        return FL_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

/* A copy of text that lives as long as the config. */
static const char *keep(fl_test_config *c, const char *text) {
    json_t *s = json_string(text ? text : "");
    json_array_append_new(c->file, s);
    return json_string_value(s);
}

/* One setting by its option id; text from a flag or the config file. */
static int set(fl_test_config *c, const char *where, int id, const char *name, const char *text) {
    double v;
    int rc = 0;
    c->given |= 1u << id;
    switch (id) {
    case O_TARGET: c->target = text; break;
    case O_TARGET_FILE: {
        /* Loaded now, so a bad file is reported before anything runs, by its line. */
        const fl_target *t;
        char err[1024];
        int load = fl_target_file_load(text, &t, err, sizeof err);
        if (load != 0) {
            fprintf(stderr, "%s%s%s\n", where ? where : "faultline test", ": --target-file ", err);
            return load;
        }
        c->target_file = text;
        c->file_target = t;
        c->target = t->name;
        break;
    }
    case O_BUG: c->bug = text; break;
    case O_TARGET_OPT: {
        const char *eq = strchr(text, '=');
        if (!eq || eq == text || c->opt_count == FL_TEST_OPTS_MAX) {
            complain(where, "target-opt", text, "want NAME=VALUE");
            return FL_EXIT_USAGE;
        }
        char *name_copy = strndup(text, (size_t)(eq - text));
        c->opt_names[c->opt_count] = keep(c, name_copy);
        free(name_copy);
        c->opt_values[c->opt_count++] = eq + 1;
        break;
    }
    case O_WORKLOAD: c->workload = text; break;
    case O_NEMESIS: c->nemesis = text[0] && strcmp(text, "none") ? text : NULL; break;
    case O_INTERVAL: rc = number(where, name, text, 0.1, 86400, &c->nemesis_interval_s); break;
    case O_DELAY: rc = number(where, name, text, 0, 86400, &c->nemesis_delay_s); break;
    case O_AT_ONCE: if ((rc = number(where, name, text, 1, 5, &v)) == 0) c->at_once = (int)v; break;
    case O_NODES: c->nodes_file = text; break;
    case O_CONCURRENCY: if ((rc = number(where, name, text, 1, 1024, &v)) == 0) c->concurrency = (int)v; break;
    case O_RATE: rc = number(where, name, text, 0, 1e7, &c->rate); break;
    case O_TIME: rc = number(where, name, text, 0.1, 7 * 86400, &c->time_limit_s); break;
    case O_SEED:
        if ((rc = number(where, name, text, 0, 1.8e19, &v)) == 0)
            c->seed = strtoull(text, NULL, 10), c->seed_given = true;
        break;
    case O_COUNT: if ((rc = number(where, name, text, 1, 100000, &v)) == 0) c->test_count = (int)v; break;
    case O_STORE: c->store = text; break;
    case O_JUNIT: c->junit = text; break;
    case O_NAME: c->name = text; break;
    case O_OPK: if ((rc = number(where, name, text, 1, 1e9, &v)) == 0) c->ops_per_key = (long)v; break;
    case O_TPK: if ((rc = number(where, name, text, 1, 1024, &v)) == 0) c->threads_per_key = (int)v; break;
    case O_OP_TIMEOUT: rc = number(where, name, text, 0.01, 3600, &c->op_timeout_s); break;
    case O_RECOVERY: rc = number(where, name, text, 0, 3600, &c->recovery_s); break;
    case O_CHECK_TIME: rc = number(where, name, text, 0, 86400 * 7, &c->check_time_limit_s); break;
    default: rc = FL_EXIT_USAGE;
    }
    return rc;
}

int fl_test_config_apply_json(fl_test_config *c, json_t *settings, const char *where) {
    json_array_append(c->file, settings); /* its strings live as long as the config */
    const char *key;
    json_t *v;
    json_object_foreach(settings, key, v) {
        const struct option *o = options;
        while (o->name && strcmp(o->name, key)) o++;
        if (!o->name || o->val == O_CONFIG || o->val == O_HELP) {
            fprintf(stderr, "%s: unknown setting \"%s\" (see faultline test --help)\n", where, key);
            return FL_EXIT_DATAERR;
        }
        json_t *list = json_is_array(v) && o->val == O_TARGET_OPT ? v : NULL;
        for (size_t i = 0; i < (list ? json_array_size(list) : 1); i++) {
            json_t *item = list ? json_array_get(list, i) : v;
            char text[64];
            const char *s = json_string_value(item);
            if (!s && json_is_number(item)) {
                snprintf(text, sizeof text, json_is_integer(item) ? "%.0f" : "%.17g",
                         json_number_value(item));
                s = keep(c, text);
            }
            if (!s) {
                fprintf(stderr, "%s: \"%s\" must be a string or a number\n", where, key);
                return FL_EXIT_DATAERR;
            }
            int rc = set(c, where, o->val, key, s);
            if (rc) return rc == FL_EXIT_USAGE ? FL_EXIT_DATAERR : rc;
        }
    }
    return 0;
}

/* Settings from a JSON file; flags given later override them. */
static int read_file(fl_test_config *c, const char *path) {
    json_error_t e;
    json_t *f = json_load_file(path, 0, &e);
    if (!f || !json_is_object(f)) {
        if (f) fprintf(stderr, "faultline test: %s: want a JSON object of settings\n", path);
        else fprintf(stderr, "faultline test: %s:%d:%d: %s\n", path, e.line, e.column, e.text);
        json_decref(f);
        return FL_EXIT_DATAERR;
    }
    char where[4200];
    snprintf(where, sizeof where, "faultline test: %s", path);
    int rc = fl_test_config_apply_json(c, f, where);
    json_decref(f);
    return rc;
}

void fl_test_config_init(fl_test_config *c) {
    memset(c, 0, sizeof *c);
    c->file = json_array();
    c->target = "quorumkv";
    c->workload = "register";
    c->nemesis_interval_s = 5;
    c->at_once = 1;
    c->concurrency = 10;
    c->rate = 100;
    c->time_limit_s = 60;
    c->test_count = 1;
    c->store = "store";
    c->ops_per_key = 200;
    c->threads_per_key = 10;
    c->op_timeout_s = 5;
    c->recovery_s = 5;
    c->check_time_limit_s = 120;
}

const fl_target *fl_test_config_target(const fl_test_config *c) {
    if (c->file_target && !strcmp(c->file_target->name, c->target)) return c->file_target;
    return fl_target_find(c->target);
}

void fl_test_config_apply_target_defaults(fl_test_config *c) {
    const fl_target *t = fl_test_config_target(c);
    const fl_target_defaults *d = t ? t->defaults : NULL;
    size_t filled = 0;
    memset(c->target_defaults, 0, sizeof c->target_defaults);
    if (!d) return;
#define FILL(id, name, field, value) \
    if (!(c->given >> (id) & 1)) c->field = (value), c->target_defaults[filled++] = (name)
    FILL(O_WORKLOAD, "workload", workload, d->workload);
    FILL(O_NEMESIS, "nemesis", nemesis, d->nemesis);
    FILL(O_INTERVAL, "nemesis-interval", nemesis_interval_s, d->nemesis_interval_s);
    FILL(O_DELAY, "nemesis-delay", nemesis_delay_s, d->nemesis_delay_s);
    FILL(O_AT_ONCE, "at-once", at_once, d->at_once);
    FILL(O_CONCURRENCY, "concurrency", concurrency, d->concurrency);
    FILL(O_OP_TIMEOUT, "op-timeout", op_timeout_s, d->op_timeout_s);
#undef FILL
    _Static_assert(sizeof c->target_defaults / sizeof *c->target_defaults > 7, "room for NULL");
}

void fl_test_config_default_seed(fl_test_config *c) {
    if (c->seed_given) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
}

int fl_test_config_parse(int argc, char **argv, fl_test_config *c, bool *help) {
    fl_test_config_init(c);
    *help = false;
    /* --config first, so that flags override it wherever they stand */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--config")) {
            int rc = read_file(c, argv[i + 1]);
            if (rc) return rc;
        }
    optind = 1;
    int id;
    while ((id = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (id == O_HELP) {
            *help = true;
            return 0;
        }
        if (id == O_CONFIG) continue;
        if (id == '?') return fputs(fl_test_usage, stderr), FL_EXIT_USAGE;
        const struct option *o = options;
        while (o->val != id) o++;
        int rc = set(c, NULL, id, o->name, optarg);
        if (rc) return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "faultline test: unexpected argument \"%s\"\n%s", argv[optind], fl_test_usage);
        return FL_EXIT_USAGE;
    }
    fl_test_config_default_seed(c);
    fl_test_config_apply_target_defaults(c);
    return 0;
}

json_t *fl_test_config_json(const fl_test_config *c) {
    json_t *opts = json_object();
    for (size_t i = 0; i < c->opt_count; i++)
        json_object_set_new(opts, c->opt_names[i], json_string(c->opt_values[i]));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    json_t *from_target = json_array();
    for (size_t i = 0; c->target_defaults[i]; i++)
        json_array_append_new(from_target, json_string(c->target_defaults[i]));
    const fl_target *t = fl_test_config_target(c);
    json_t *defaults = json_pack("{s:o,s:s?}", "settings", from_target, "why",
                                 t && t->defaults && c->target_defaults[0] ? t->defaults->why : NULL);
    json_t *resolved = json_pack("{s:s,s:s?,s:o,s:s,s:s?,s:f,s:f,s:i,s:s?,s:i,s:f,s:f,s:s,s:i,s:s,s:I,s:i,s:f,s:f,s:f,s:o}",
                     "target", c->target, "bug", c->bug, "target-opt", opts, "workload",
                     c->workload, "nemesis", c->nemesis, "nemesis-interval",
                     c->nemesis_interval_s, "nemesis-delay", c->nemesis_delay_s, "at-once", c->at_once, "nodes-file", c->nodes_file,
                     "concurrency", c->concurrency, "rate", c->rate, "time-limit",
                     c->time_limit_s, "seed", seed, "test-count", c->test_count, "store",
                     c->store, "ops-per-key", (json_int_t)c->ops_per_key, "threads-per-key",
                     c->threads_per_key, "op-timeout",
                     c->op_timeout_s, "recovery-time", c->recovery_s, "check-time-limit",
                     c->check_time_limit_s, "target-defaults", defaults);
    if (resolved && c->target_file)
        json_object_set_new(resolved, "target-file", json_string(c->target_file));
    return resolved;
}

void fl_test_config_free(fl_test_config *c) {
    json_decref(c->file);
    c->file = NULL;
}
