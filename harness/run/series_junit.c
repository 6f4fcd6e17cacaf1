/* A run's summary as JUnit input (see series_junit.h). */
#include "series_junit.h"

#include <stdio.h>

json_t *fl_series_junit_run(const json_t *summary, fl_junit_run *run) {
    const char *dir = json_string_value(json_object_get(summary, "dir"));
    json_t *results = NULL;
    if (dir && dir[0]) {
        char file[4200];
        snprintf(file, sizeof file, "%.4000s/results.json", dir);
        results = json_load_file(file, 0, NULL); /* NULL: the run has no verdict */
    }
    *run = (fl_junit_run){results, json_number_value(json_object_get(summary, "seconds")),
                          json_string_value(json_object_get(summary, "error"))};
    return results;
}
