/* `faultline test`: one or --test-count runs against a target, each in its own run
 * directory, then a summary; the exit code combines them as 3 > 1 > 2 > 0. Ctrl-C ends
 * the main phase early: the run still heals, stops the target and checks what it
 * recorded; a second Ctrl-C is not caught. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exit_codes.h"
#include "junit.h"
#include "check.h"
#include "run_config.h"
#include "series_junit.h"
#include "run_series.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    interrupted = 1;
    signal(sig, SIG_DFL); /* the second one ends the process */
}

/* --junit FILE: one <testsuite> per run, each from the run's results.json; a harness
 * error is an <error>. */
static int write_junit(const char *path, const json_t *summaries) {
    size_t count = json_array_size(summaries);
    fl_junit_test *tests = calloc(count ? count : 1, sizeof *tests);
    fl_junit_run *runs = calloc(count ? count : 1, sizeof *runs);
    json_t **results = calloc(count ? count : 1, sizeof *results);
    char (*names)[600] = calloc(count ? count : 1, sizeof *names);
    int rc = -1;
    char err[1024];
    if (!tests || !runs || !results || !names) goto out;
    for (size_t i = 0; i < count; i++) {
        const json_t *s = json_array_get(summaries, i);
        results[i] = fl_series_junit_run(s, &runs[i]);
        /* the run directory's last two parts: <test name>/<time> */
        const char *dir = json_string_value(json_object_get(s, "dir"));
        const char *base = dir ? dir : "", *slash = strrchr(base, '/');
        const char *prev = slash ? slash : base;
        while (prev > base && prev[-1] != '/') prev--;
        snprintf(names[i], sizeof names[i], "%s seed %lld", prev[0] ? prev : "run",
                 (long long)json_integer_value(json_object_get(s, "seed")));
        tests[i] = (fl_junit_test){names[i], &runs[i], 1, NULL};
    }
    rc = fl_junit_write_tests(path, tests, count, err, sizeof err);
    if (rc != 0) fprintf(stderr, "faultline test: --junit: %s\n", err);
out:
    for (size_t i = 0; results && i < count; i++) json_decref(results[i]);
    free(tests);
    free(runs);
    free(results);
    free(names);
    return rc;
}

int fl_cmd_test(int argc, char **argv) {
    fl_test_config c;
    bool help = false;
    int rc = fl_test_config_parse(argc, argv, &c, &help);
    if (help) {
        fl_test_config_free(&c);
        return printf("%s", fl_test_usage) < 0;
    }
    if (rc) {
        fl_test_config_free(&c);
        return rc;
    }
    fl_lin_tune_malloc();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    json_t *summaries = json_array();
    int status = fl_test_series(&c, &interrupted, summaries);
    if (c.test_count > 1) {
        int counts[3] = {0, 0, 0};
        for (size_t i = 0; i < json_array_size(summaries); i++) {
            const json_t *v = json_object_get(json_array_get(summaries, i), "valid");
            counts[json_is_true(v) ? 0 : json_is_false(v) ? 1 : 2]++;
        }
        printf("%zu runs: %d valid, %d invalid, %d unknown\n", json_array_size(summaries),
               counts[0], counts[1], counts[2]);
    }
    if (c.junit && write_junit(c.junit, summaries) != 0) status = fl_exit_combine(status, FL_EXIT_HARNESS);
    json_decref(summaries);
    fl_test_config_free(&c);
    return status;
}
