/* The zoo's detection matrix as text (see zoo_run.h): one line per row, drawn from the
 * same zoo.json object as zoo.html, so the log and the page say the same. */
#include <stdio.h>
#include <string.h>

#include "zoo_run.h"

static void caught_text(const json_t *counts, char *out, size_t bytes) {
    size_t used = 0;
    const char *name;
    const json_t *n;
    out[0] = '\0';
    json_object_foreach((json_t *)counts, name, n) {
        int w = snprintf(out + used, bytes - used, "%s%s %lld", used ? ", " : "", name,
                         (long long)json_integer_value(n));
        if (w < 0 || (size_t)w >= bytes - used) break;
        used += (size_t)w;
    }
    if (!used) snprintf(out, bytes, "-");
}

static void notes_text(const json_t *row, char *out, size_t bytes) {
    const json_t *sim = json_object_get(row, "simulator");
    const char *needs = json_string_value(json_object_get(row, "needs"));
    const char *not_run = json_string_value(json_object_get(row, "not_run"));
    const char *known = json_string_value(json_object_get(json_object_get(row, "finding"), "documented"));
    size_t used = 0;
    out[0] = '\0';
    if (json_is_object(sim)) {
        const char *error = json_string_value(json_object_get(sim, "error"));
        if (error) used += (size_t)snprintf(out, bytes, "sim: %s", error);
        else used += (size_t)snprintf(out, bytes, "sim: %lld/%lld seeds",
                                      (long long)json_integer_value(json_object_get(sim, "violations")),
                                      (long long)json_integer_value(json_object_get(sim, "seeds")));
    }
    if (known && used < bytes) used += (size_t)snprintf(out + used, bytes - used, "%sknown finding: %s", used ? "; " : "", known);
    if (needs && used < bytes) used += (size_t)snprintf(out + used, bytes - used, "%sneeds: %s", used ? "; " : "", needs);
    if (not_run && used < bytes) snprintf(out + used, bytes - used, "%snot run: %s", used ? "; " : "", not_run);
}

void fl_zoo_print_matrix(FILE *out, const json_t *zoo) {
    size_t i;
    const json_t *row;
    fprintf(out, "\n%-10s %-24s %-20s %7s %6s %13s  %-28s %8s  %s\n", "target", "mode", "detected/runs",
            "unknown", "errors", "first anomaly", "caught by", "previous", "notes");
    json_array_foreach(json_object_get(zoo, "rows"), i, row) {
        char rate[48], first[32], caught[256], previous[32], notes[1024];
        long long detected = json_integer_value(json_object_get(row, "detected"));
        size_t runs = json_array_size(json_object_get(row, "runs"));
        bool correct = json_is_true(json_object_get(row, "correct"));
        snprintf(rate, sizeof rate, "%lld/%zu%s", detected, runs, correct ? " false alarms" : "");
        const json_t *median = json_object_get(row, "median_first_anomaly_s");
        if (json_is_number(median)) snprintf(first, sizeof first, "%.1f s", json_number_value(median));
        else snprintf(first, sizeof first, "-");
        caught_text(json_object_get(row, "caught_by"), caught, sizeof caught);
        const json_t *prev = json_object_get(row, "previous");
        if (json_is_object(prev))
            snprintf(previous, sizeof previous, "%lld/%lld",
                     (long long)json_integer_value(json_object_get(prev, "detected")),
                     (long long)json_integer_value(json_object_get(prev, "runs")));
        else snprintf(previous, sizeof previous, "-");
        notes_text(row, notes, sizeof notes);
        fprintf(out, "%-10s %-24s %-20s %7lld %6lld %13s  %-28s %8s  %s\n",
                json_string_value(json_object_get(row, "target")),
                json_string_value(json_object_get(row, "mode")), rate,
                (long long)json_integer_value(json_object_get(row, "unknown")),
                (long long)json_integer_value(json_object_get(row, "errors")), first, caught,
                previous, notes);
    }
    const json_t *prev = json_object_get(zoo, "previous");
    if (json_is_object(prev))
        fprintf(out, "previous: the zoo of %s\n", json_string_value(json_object_get(prev, "started")));
}
