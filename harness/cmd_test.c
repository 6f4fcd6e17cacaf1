/* `faultline test`: one or --test-count runs against a target, each in its own run
 * directory, then a summary; the exit code combines them as 3 > 1 > 2 > 0. Ctrl-C ends
 * the main phase early: the run still heals, stops the target and checks what it
 * recorded; a second Ctrl-C is not caught. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit_codes.h"
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
        fl_test_run(&c, seed, &interrupted, &out);
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
    json_decref(summaries);
    fl_test_config_free(&c);
    return status;
}
