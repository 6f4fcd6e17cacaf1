/* `faultline test`'s settings: from flags and/or a JSON file (--config, same names as
 * the flags without dashes, e.g. {"target":"quorumkv","time-limit":60}); flags win over
 * the file. Every resolved value, the seed included, goes into the run's test.json. */
#ifndef FL_TEST_CONFIG_H
#define FL_TEST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define FL_TEST_OPTS_MAX 16

typedef struct fl_test_config {
    const char *target;          /* default quorumkv */
    const char *target_file;     /* --target-file: the target it defines, or NULL */
    const struct fl_target *file_target; /* that target (several files may share a name) */
    const char *bug;             /* NULL: correct mode */
    const char *opt_names[FL_TEST_OPTS_MAX], *opt_values[FL_TEST_OPTS_MAX];
    size_t opt_count;
    const char *workload;        /* default register */
    const char *nemesis;         /* fault spec, NULL: no faults ("none" or "" given) */
    double nemesis_interval_s;   /* default 5 */
    double nemesis_delay_s;      /* calm before the first fault; default 0 */
    int at_once;                 /* faults in force together, default 1 */
    const char *nodes_file;      /* NULL: the local cluster (brought up if needed) */
    int concurrency;             /* default 10 */
    double rate;                 /* total ops/s, 0: as fast as they go; default 100 */
    double time_limit_s;         /* main phase, default 60 */
    uint64_t seed;
    bool seed_given;
    int test_count;              /* default 1 */
    const char *store;           /* default ./store */
    const char *junit;           /* --junit FILE: every run's checks in one JUnit file */
    const char *name;            /* default <target>-<workload>[-<bug>] */
    long ops_per_key;            /* default 200 */
    int threads_per_key;         /* default 10 */
    double op_timeout_s;         /* default 5 */
    double recovery_s;           /* after the heal, before final reads; default 5 */
    double check_time_limit_s;   /* default 120 */
    uint32_t given;              /* the settings a flag or file set (bit: option id) */
    const char *target_defaults[9]; /* the settings the target's defaults filled, NULL-ended */
    json_t *file;                /* owns the strings above that did not come from argv */
} fl_test_config;

/* Parse argv (argv[0] is "test"); 0, or an exit code (64 bad flags, 65 a config file
 * that does not parse) with the message printed. *help set when --help was asked. */
int fl_test_config_parse(int argc, char **argv, fl_test_config *c, bool *help);
/* The defaults, before any flag or file. */
void fl_test_config_init(fl_test_config *c);
/* Apply a settings object (the --config form; a `faultline suite` entry) over c. 0, or 65
 * with a message starting with where ("faultline suite: FILE: tests[2] \"name\"") that
 * names the setting. c keeps a reference to settings: its strings are c's. */
int fl_test_config_apply_json(fl_test_config *c, json_t *settings, const char *where);
/* The target's defaults (harness/target.h) for every setting among workload, nemesis,
 * nemesis-interval, at-once, concurrency and op-timeout that no flag or file set; each
 * one filled is named in target_defaults. Nothing when the target is unknown (the run
 * refuses it) or has no defaults. Call once the settings are all applied. */
void fl_test_config_apply_target_defaults(fl_test_config *c);
/* The target the settings name: the one --target-file loaded, else the built-in (or
 * latest loaded file's) target of that name; NULL when there is none. */
const struct fl_target *fl_test_config_target(const fl_test_config *c);
/* A seed from the clock unless one was given. */
void fl_test_config_default_seed(fl_test_config *c);
/* The resolved settings as JSON (test.json's "config"). */
json_t *fl_test_config_json(const fl_test_config *c);
void fl_test_config_free(fl_test_config *c);
extern const char fl_test_usage[];

#endif
