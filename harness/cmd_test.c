/* `faultline test`: one or --test-count runs against a target, each in its own run
 * directory, then a summary; the exit code combines them as 3 > 1 > 2 > 0. Ctrl-C ends
 * the main phase early: the run still heals, stops the target and checks what it
 * recorded; a second Ctrl-C is not caught. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "commands.h"
#include "exit_codes.h"
#include "junit.h"
#include "check.h"
#include "test_config.h"
#include "test_run.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    interrupted = 1;
    signal(sig, SIG_DFL); /* the second one ends the process */
}

static const char *verdict_text(const json_t *valid) {
    return json_is_true(valid) ? "valid" : json_is_false(valid) ? "INVALID" : "unknown";
}

/* --junit FILE: one <testsuite> per run, each from the run's results.json. */
static int write_junit(const char *path, const json_t *summaries) {
    size_t count = json_array_size(summaries);
    fl_junit_suite *suites = calloc(count ? count : 1, sizeof *suites);
    json_t **results = calloc(count ? count : 1, sizeof *results);
    char (*names)[600] = calloc(count ? count : 1, sizeof *names);
    int rc = -1;
    char err[1024];
    if (!suites || !results || !names) goto out;
    for (size_t i = 0; i < count; i++) {
        const json_t *s = json_array_get(summaries, i);
        const char *dir = json_string_value(json_object_get(s, "dir"));
        char file[4200];
        snprintf(file, sizeof file, "%s/results.json", dir ? dir : ".");
        results[i] = json_load_file(file, 0, NULL); /* NULL: the run has no verdict */
        /* the run directory's last two parts: <test name>/<time> */
        const char *base = dir ? dir : "", *slash = strrchr(base, '/');
        const char *prev = slash ? slash : base;
        while (prev > base && prev[-1] != '/') prev--;
        snprintf(names[i], sizeof names[i], "%s seed %lld", prev,
                 (long long)json_integer_value(json_object_get(s, "seed")));
        suites[i] = (fl_junit_suite){names[i], results[i],
                                     json_real_value(json_object_get(s, "seconds"))};
    }
    rc = fl_junit_write_suites(path, suites, count, err, sizeof err);
    if (rc != 0) fprintf(stderr, "faultline test: --junit: %s\n", err);
out:
    for (size_t i = 0; results && i < count; i++) json_decref(results[i]);
    free(suites);
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
    int status = FL_EXIT_VALID;
    json_t *summaries = json_array();
    for (int i = 0; i < c.test_count && !interrupted; i++) {
        uint64_t seed = c.seed + (uint64_t)i;
        fl_test_outcome out;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fl_test_run(&c, seed, &interrupted, &out);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        status = i == 0 ? out.exit_code : fl_exit_combine(status, out.exit_code);
        if (out.summary) {
            const json_t *valid = json_object_get(out.summary, "valid");
            printf("%s  seed %llu  ok %lld fail %lld info %lld  %s\n", verdict_text(valid),
                   (unsigned long long)seed,
                   (long long)json_integer_value(json_object_get(out.summary, "ok")),
                   (long long)json_integer_value(json_object_get(out.summary, "fail")),
                   (long long)json_integer_value(json_object_get(out.summary, "info")),
                   out.run_dir);
            fflush(stdout);
            json_object_set_new(out.summary, "seed", json_integer((json_int_t)seed));
            json_object_set_new(out.summary, "exit", json_integer(out.exit_code));
            json_object_set_new(out.summary, "seconds",
                                json_real((double)(t1.tv_sec - t0.tv_sec) +
                                          (double)(t1.tv_nsec - t0.tv_nsec) / 1e9));
            json_array_append_new(summaries, out.summary);
        } else if (out.exit_code == FL_EXIT_USAGE) {
            break;
        }
    }
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
