/* A zoo row's outcome (see zoo_run.h): its runs as zoo.json lists them, what caught the
 * bug, how soon, and the target's simulator on the same mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libexec.h"
#include "process.h"
#include "suite_report.h"
#include "zoo_run.h"

#define SIM_OUTPUT_BYTES 16384 /* the end of the simulator's output, where its summary is */
#define SIM_ARGS_MAX 8          /* fl_target.simulator_args */

/* The checkers whose valid is false in the run's results.json, by name. */
static json_t *caught_by(const char *dir) {
    char path[4200];
    json_t *names = json_array();
    if (!dir || !dir[0]) return names;
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_t *results = json_load_file(path, 0, NULL);
    const char *name;
    json_t *c;
    json_object_foreach(json_object_get(results, "checkers"), name, c)
        if (json_is_false(json_object_get(c, "valid"))) json_array_append_new(names, json_string(name));
    json_decref(results);
    return names;
}

/* dir relative to the store: "zoo-x-y/20261207T030000" (as it is when not below it). */
static const char *relative(const char *dir, const char *store) {
    size_t n = strlen(store);
    while (n > 1 && store[n - 1] == '/') n--;
    if (!strncmp(dir, store, n) && dir[n] == '/') return dir + n + 1;
    return dir;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static json_t *median(double *v, size_t n) {
    if (n == 0) return json_null();
    qsort(v, n, sizeof *v, by_value);
    return json_real(n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

json_t *fl_zoo_tally(const fl_zoo_row *row, const json_t *runs, const char *not_run) {
    json_t *list = json_array(), *counts = json_object();
    size_t n = json_array_size(runs), i;
    double *firsts = calloc(n ? n : 1, sizeof *firsts);
    size_t detected = 0, unknown = 0, errors = 0, timed = 0;
    const json_t *r;
    json_array_foreach(runs, i, r) {
        const char *verdict = fl_suite_verdict(r), *dir = json_string_value(json_object_get(r, "dir"));
        json_t *checkers = caught_by(dir);
        json_t *run = json_pack("{s:O,s:s,s:O,s:s,s:o,s:O?,s:O?,s:O?}", "seed",
                                json_object_get(r, "seed"), "verdict", verdict, "exit",
                                json_object_get(r, "exit"), "dir",
                                dir ? relative(dir, row->config.store) : "", "checkers", checkers,
                                "first_anomaly_s", json_object_get(r, "first_anomaly_s"), "seconds",
                                json_object_get(r, "seconds"), "error", json_object_get(r, "error"));
        json_array_append_new(list, run);
        if (!strcmp(verdict, "ERROR")) errors++;
        else if (!strcmp(verdict, "unknown")) unknown++;
        else if (!strcmp(verdict, "INVALID")) {
            detected++;
            const json_t *first = json_object_get(r, "first_anomaly_s");
            if (json_is_number(first) && firsts) firsts[timed++] = json_number_value(first);
            size_t k;
            const json_t *c;
            json_array_foreach(checkers, k, c) {
                const char *name = json_string_value(c);
                json_object_set_new(counts, name, json_integer(json_integer_value(json_object_get(counts, name)) + 1));
            }
        }
    }
    json_t *out = json_pack("{s:s,s:s,s:s,s:b,s:s?,s:O,s:i,s:o,s:I,s:I,s:I,s:o,s:o}", "name",
                            row->name, "target", row->target->name, "mode",
                            fl_zoo_row_mode(row), "correct", !fl_zoo_row_expects(row), "needs",
                            row->bug ? row->bug->needs : NULL, "settings", row->settings,
                            "planned", row->config.test_count, "runs", list, "detected",
                            (json_int_t)detected, "unknown", (json_int_t)unknown, "errors",
                            (json_int_t)errors, "median_first_anomaly_s", median(firsts, timed),
                            "caught_by", counts);
    if (!fl_zoo_row_expects(row))
        json_object_set_new(out, "false_alarms", json_integer((json_int_t)detected));
    if (row->finding)
        json_object_set_new(out, "finding", json_pack("{s:s,s:s}", "expect", row->finding->expect,
                                                      "documented", row->finding->documented));
    if (not_run) json_object_set_new(out, "not_run", json_string(not_run));
    free(firsts);
    return out;
}

/* The count in the simulator's summary: a line ending in "no violation" is 0, one
 * holding "N with a violation" is N (the last such line wins); -1 when none says. */
static long violations_in(const char *text) {
    long found = -1;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *with = memmem(line, len, " with a violation", 17);
        if (len >= 12 && !memcmp(line + len - 12, "no violation", 12)) found = 0;
        else if (with) {
            const char *p = with;
            while (p > line && p[-1] >= '0' && p[-1] <= '9') p--;
            if (p < with) found = strtol(p, NULL, 10);
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

void fl_zoo_simulate(const fl_zoo_row *row, int seeds, uint64_t first, json_t *row_json) {
    const char *sim = row->target->simulator;
    if (!sim || seeds <= 0 || row->finding) { /* a simulator models the target's own code */
        json_object_set_new(row_json, "simulator", json_null());
        return;
    }
    char path[4096], err[1024], range[64], *out = malloc(SIM_OUTPUT_BYTES);
    json_t *result = json_pack("{s:s,s:i}", "binary", sim, "seeds", seeds);
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)first,
             (unsigned long long)(first + (uint64_t)seeds - 1));
    const char *argv[SIM_ARGS_MAX + 7] = {path};
    char shown[512] = "";
    size_t n = 1;
    for (const char *const *a = row->target->simulator_args; a && *a && n <= SIM_ARGS_MAX; a++) {
        argv[n++] = *a;
        size_t at = strlen(shown);
        snprintf(shown + at, sizeof shown - at, " %s", *a);
    }
    argv[n++] = "--seeds";
    argv[n++] = range;
    argv[n++] = "--all";
    if (row->bug) {
        argv[n++] = "--bug";
        argv[n++] = row->bug->name;
    }
    argv[n] = NULL;
    json_object_set_new(result, "command", json_sprintf("%s%s --seeds %s --all%s%s", sim, shown,
                                                        range, row->bug ? " --bug " : "",
                                                        row->bug ? row->bug->name : ""));
    int rc = -1;
    if (!out) snprintf(err, sizeof err, "out of memory");
    else if (fl_libexec_path(sim, path, sizeof path, err, sizeof err) == 0) {
        fprintf(stderr, "faultline zoo: %s: %s\n", row->name,
                json_string_value(json_object_get(result, "command")));
        rc = fl_run_capture(argv, out, SIM_OUTPUT_BYTES, err, sizeof err);
    }
    long found = rc == 0 || rc == 1 ? violations_in(out) : -1;
    if (found >= 0) json_object_set_new(result, "violations", json_integer(found));
    else if (rc == 64) json_object_set_new(result, "error", json_string("the simulator does not model this mode"));
    else if (rc >= 0) json_object_set_new(result, "error", json_sprintf("exit %d without a count of violations", rc));
    else json_object_set_new(result, "error", json_string(err));
    json_object_set_new(row_json, "simulator", result);
    free(out);
}
