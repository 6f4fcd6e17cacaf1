/* The time of a run's first anomaly (see first_anomaly.h). */
#include "first_anomaly.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

/* When an op (fl_op_pair_json's form) was seen: its completion, or its invocation when
 * it never completed; -1 when the object names neither. */
static int64_t seen_at(const json_t *op) {
    const json_t *at = json_object_get(op, "complete_index");
    if (!json_is_integer(at)) at = json_object_get(op, "index");
    return json_is_integer(at) ? (int64_t)json_integer_value(at) : -1;
}

static void keep_earliest(int64_t *best, int64_t i) {
    if (i >= 0 && (*best < 0 || i < *best)) *best = i;
}

/* The smallest history index at which an anomaly was seen: an invalid key's failing op
 * (linearizable), or the last op of a session-guarantee violation (the read that broke
 * it). -1 when there is none. */
static int64_t earliest_failing_index(const json_t *results) {
    const json_t *checkers = json_object_get(results, "checkers");
    const json_t *keys = json_object_get(json_object_get(checkers, "linearizable"), "keys");
    int64_t best = -1;
    const char *name;
    const json_t *k;
    json_object_foreach((json_t *)keys, name, k)
        if (json_is_false(json_object_get(k, "valid")))
            keep_earliest(&best, seen_at(json_object_get(k, "failing_op")));
    const json_t *guarantees = json_object_get(json_object_get(checkers, "session"), "guarantees");
    const json_t *g;
    json_object_foreach((json_t *)guarantees, name, g) {
        size_t i, j;
        const json_t *v, *op;
        json_array_foreach(json_object_get(g, "violations"), i, v) {
            int64_t last = -1;
            json_array_foreach(json_object_get(v, "ops"), j, op) {
                int64_t at = seen_at(op);
                if (at > last) last = at;
            }
            keep_earliest(&best, last);
        }
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
