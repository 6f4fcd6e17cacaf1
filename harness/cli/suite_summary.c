/* The table at the end of `faultline suite` (see suite_report.h): the one place a CI log
 * shows every test's outcome side by side. */
#include <string.h>

#include "suite_report.h"

const char *fl_suite_verdict(const json_t *run) {
    if (json_integer_value(json_object_get(run, "exit")) >= 3) return "ERROR";
    const json_t *v = json_object_get(run, "valid");
    return json_is_true(v) ? "valid" : json_is_false(v) ? "INVALID" : "unknown";
}

static void row(FILE *out, int width, const char *name, const char *verdict, const char *seed,
                const char *ok, const char *first, const char *dir) {
    fprintf(out, "%-*s  %-8s  %-20s  %8s  %-13s  %s\n", width, name, verdict, seed, ok, first, dir);
}

void fl_suite_print_summary(FILE *out, const json_t *tests) {
    int width = 4;
    size_t i, j;
    const json_t *t, *r;
    json_array_foreach(tests, i, t) {
        int n = (int)strlen(json_string_value(json_object_get(t, "name")));
        if (n > width) width = n;
    }
    int counts[5] = {0, 0, 0, 0, 0}; /* valid, invalid, unknown, error, not run */
    size_t runs = 0;
    fputc('\n', out);
    row(out, width, "test", "verdict", "seed", "ok ops", "first anomaly", "run directory");
    json_array_foreach(tests, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *not_run = json_string_value(json_object_get(t, "not_run"));
        if (not_run) {
            row(out, width, name, "not run", "-", "-", "-", not_run);
            counts[4]++;
            continue;
        }
        json_array_foreach(json_object_get(t, "runs"), j, r) {
            char seed[32], ok[32], first[32];
            const char *verdict = fl_suite_verdict(r);
            snprintf(seed, sizeof seed, "%llu",
                     (unsigned long long)json_integer_value(json_object_get(r, "seed")));
            snprintf(ok, sizeof ok, "%lld", (long long)json_integer_value(json_object_get(r, "ok")));
            const json_t *fa = json_object_get(r, "first_anomaly_s");
            if (json_is_number(fa)) snprintf(first, sizeof first, "%.1f s", json_number_value(fa));
            else snprintf(first, sizeof first, "-");
            const char *dir = json_string_value(json_object_get(r, "dir"));
            row(out, width, name, verdict, seed, ok, first, dir && dir[0] ? dir : "-");
            counts[!strcmp(verdict, "valid") ? 0 : !strcmp(verdict, "INVALID") ? 1
                   : !strcmp(verdict, "ERROR") ? 3 : 2]++;
            runs++;
        }
    }
    fprintf(out, "%zu tests, %zu runs: %d valid, %d invalid, %d unknown, %d errors; %d tests not run\n",
            json_array_size(tests), runs, counts[0], counts[1], counts[2], counts[3], counts[4]);
}
