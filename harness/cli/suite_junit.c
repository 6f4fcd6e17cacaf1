/* `faultline suite --junit FILE` (see suite_report.h): every test of the shard as one
 * <testsuite>, so the files of N shards merge into one entry per test. */
#include <stdio.h>
#include <stdlib.h>

#include "junit.h"
#include "series_junit.h"
#include "suite_report.h"

/* The testsuite's <system-out>: one line per run, what the summary table says. */
static char *runs_text(const json_t *runs) {
    char *text = NULL;
    size_t bytes = 0;
    FILE *f = open_memstream(&text, &bytes);
    if (!f) return NULL;
    size_t i;
    const json_t *r;
    json_array_foreach(runs, i, r) {
        const json_t *fa = json_object_get(r, "first_anomaly_s");
        fprintf(f, "run %zu: %s, seed %llu, ok %lld", i + 1, fl_suite_verdict(r),
                (unsigned long long)json_integer_value(json_object_get(r, "seed")),
                (long long)json_integer_value(json_object_get(r, "ok")));
        if (json_is_number(fa)) fprintf(f, ", first anomaly at %.1f s", json_number_value(fa));
        const char *dir = json_string_value(json_object_get(r, "dir"));
        fprintf(f, ", %s\n", dir && dir[0] ? dir : "no run directory");
    }
    fclose(f);
    return text;
}

int fl_suite_write_junit(const char *path, const json_t *tests) {
    size_t count = json_array_size(tests), all_runs = 0, i;
    const json_t *t;
    json_array_foreach(tests, i, t) {
        size_t n = json_array_size(json_object_get(t, "runs"));
        all_runs += n ? n : 1;
    }
    fl_junit_test *jt = calloc(count ? count : 1, sizeof *jt);
    fl_junit_run *runs = calloc(all_runs ? all_runs : 1, sizeof *runs);
    json_t **owned = calloc(all_runs ? all_runs : 1, sizeof *owned);
    char **texts = calloc(count ? count : 1, sizeof *texts);
    int rc = -1;
    char err[1024] = "out of memory";
    if (jt && runs && owned && texts) {
        size_t at = 0;
        json_array_foreach(tests, i, t) {
            const json_t *list = json_object_get(t, "runs");
            const char *not_run = json_string_value(json_object_get(t, "not_run"));
            size_t n = json_array_size(list);
            jt[i] = (fl_junit_test){json_string_value(json_object_get(t, "name")), runs + at,
                                    n ? n : 1, NULL};
            if (n == 0) { /* a test that did not run: one skipped case saying why */
                owned[at] = json_pack("{s:s,s:s+}", "valid", "unknown", "reason", "not run: ",
                                      not_run ? not_run : "no run was made");
                runs[at] = (fl_junit_run){owned[at], 0, NULL};
                at++;
                continue;
            }
            for (size_t j = 0; j < n; j++, at++)
                owned[at] = fl_series_junit_run(json_array_get(list, j), &runs[at]);
            jt[i].out = texts[i] = runs_text(list);
        }
        rc = fl_junit_write_tests(path, jt, count, err, sizeof err);
    }
    if (rc != 0) fprintf(stderr, "faultline suite: --junit: %s\n", err);
    for (size_t k = 0; owned && k < all_runs; k++) json_decref(owned[k]);
    for (size_t k = 0; texts && k < count; k++) free(texts[k]);
    free(jt);
    free(runs);
    free(owned);
    free(texts);
    return rc;
}
