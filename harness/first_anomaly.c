/* The time of a run's first anomaly (see first_anomaly.h). */
#include "first_anomaly.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

/* The smallest history index at which an invalid key's failing op was seen: its
 * completion, or its invocation when it never completed. -1 when there is none. */
static int64_t earliest_failing_index(const json_t *results) {
    const json_t *keys = json_object_get(json_object_get(json_object_get(results, "checkers"),
                                                         "linearizable"), "keys");
    int64_t best = -1;
    const char *name;
    const json_t *k;
    json_object_foreach((json_t *)keys, name, k) {
        if (!json_is_false(json_object_get(k, "valid"))) continue;
        const json_t *op = json_object_get(k, "failing_op");
        const json_t *at = json_object_get(op, "complete_index");
        if (!json_is_integer(at)) at = json_object_get(op, "index");
        if (!json_is_integer(at)) continue;
        int64_t i = (int64_t)json_integer_value(at);
        if (best < 0 || i < best) best = i;
    }
    return best;
}

/* The "time" (ns since the start) of the history line whose "index" is index. */
static double time_of(const char *history, int64_t index) {
    FILE *f = fopen(history, "r");
    if (!f) return -1;
    char *line = NULL;
    size_t cap = 0;
    double seconds = -1;
    while (getline(&line, &cap, f) > 0) {
        json_t *op = json_loads(line, 0, NULL);
        const json_t *i = json_object_get(op, "index"), *t = json_object_get(op, "time");
        bool found = json_is_integer(i) && json_integer_value(i) == index && json_is_number(t);
        if (found) seconds = json_number_value(t) / 1e9;
        json_decref(op);
        if (found) break;
    }
    free(line);
    fclose(f);
    return seconds;
}

double fl_first_anomaly_s(const char *run_dir) {
    if (!run_dir || !run_dir[0]) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/results.json", run_dir);
    json_t *results = json_load_file(path, 0, NULL);
    int64_t index = earliest_failing_index(results);
    json_decref(results);
    if (index < 0) return -1;
    snprintf(path, sizeof path, "%.4000s/history.jsonl", run_dir);
    return time_of(path, index);
}
