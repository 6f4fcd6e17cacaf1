/* `faultline suite` files (harness/cli/suite_file.c, suite_matrix.c): any bytes as a suite
 * file. Either it is refused with 65 (the message on stderr), or it expands to a list of
 * tests whose names are usable (store folders, JUnit suites) and distinct, each with a
 * settings object and a place in the file to name in errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "exit_codes.h"
#include "fuzz_fixed.h"
#include "suite_file.h"

static char path[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path[0]) {
        char dir[4000];
        if (fuzz_scratch_dir(dir, sizeof dir, "fl-fuzz-suite") != 0) abort();
        snprintf(path, sizeof path, "%s/suite.json", dir);
    }
    FILE *f = fopen(path, "w");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
    fl_suite s;
    memset(&s, 0, sizeof s);
    int rc = fl_suite_read(path, &s);
    if (rc != 0 && rc != FL_EXIT_DATAERR) abort();
    if (rc == 0) {
        if (!json_is_array(s.tests) || s.budget_s < 0) abort();
        size_t n = json_array_size(s.tests);
        for (size_t i = 0; i < n; i++) {
            const json_t *t = json_array_get(s.tests, i);
            const char *name = json_string_value(json_object_get(t, "name"));
            if (!name || !fl_suite_name_ok(name)) abort();
            if (!json_is_object(json_object_get(t, "settings"))) abort();
            if (!json_is_string(json_object_get(t, "where"))) abort();
            for (size_t k = 0; k < i; k++)
                if (!strcmp(name, json_string_value(json_object_get(json_array_get(s.tests, k),
                                                                     "name"))))
                    abort();
        }
    }
    fl_suite_free(&s);
    return 0;
}
