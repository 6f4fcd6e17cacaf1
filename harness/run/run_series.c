/* `faultline test`'s runs one after another (see run_series.h). */
#include "run_series.h"

#include <stdio.h>
#include <time.h>

#include "exit_codes.h"
#include "first_anomaly.h"
#include "run.h"

static const char *verdict_text(const json_t *valid) {
    return json_is_true(valid) ? "valid" : json_is_false(valid) ? "INVALID" : "unknown";
}

static double since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int fl_test_config_resolve(fl_test_config *c, json_t *settings, const char *where, char *err,
                           size_t bytes) {
    fl_test_config_init(c);
    int rc = fl_test_config_apply_json(c, settings, where);
    if (rc) return rc;
    fl_test_config_apply_target_defaults(c);
    return fl_test_validate(c, err, bytes) != 0 ? FL_EXIT_USAGE : 0;
}

int fl_test_series(const fl_test_config *c, volatile sig_atomic_t *stop, json_t *runs) {
    int status = FL_EXIT_VALID;
    for (int i = 0; i < c->test_count && !*stop; i++) {
        uint64_t seed = c->seed + (uint64_t)i;
        fl_test_outcome out;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fl_test_run(c, seed, stop, &out);
        status = i == 0 ? out.exit_code : fl_exit_combine(status, out.exit_code);
        if (!out.summary && out.exit_code == FL_EXIT_USAGE) break;
        json_t *s = out.summary ? out.summary
                                : json_pack("{s:s,s:i,s:i,s:i,s:s}", "valid", "unknown", "ok", 0,
                                            "fail", 0, "info", 0, "dir", out.run_dir);
        const json_t *valid = json_object_get(s, "valid");
        printf("%s  seed %llu  ok %lld fail %lld info %lld  %s\n",
               out.exit_code >= FL_EXIT_HARNESS ? "ERROR" : verdict_text(valid),
               (unsigned long long)seed, (long long)json_integer_value(json_object_get(s, "ok")),
               (long long)json_integer_value(json_object_get(s, "fail")),
               (long long)json_integer_value(json_object_get(s, "info")),
               out.run_dir[0] ? out.run_dir : "(no run directory)");
        fflush(stdout);
        json_object_set_new(s, "seed", json_integer((json_int_t)seed));
        json_object_set_new(s, "exit", json_integer(out.exit_code));
        json_object_set_new(s, "seconds", json_real(since(&t0)));
        if (out.exit_code >= FL_EXIT_HARNESS)
            json_object_set_new(s, "error", json_string(out.error[0] ? out.error : "harness error"));
        double first = json_is_false(valid) ? fl_first_anomaly_s(out.run_dir) : -1;
        if (first >= 0) json_object_set_new(s, "first_anomaly_s", json_real(first));
        json_array_append_new(runs, s);
    }
    return status;
}
