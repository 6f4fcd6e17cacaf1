/* An earlier night's zoo.json read back (reports/store/zoo_file.c): any bytes as the
 * file. Either it is refused (NULL, with a message), or the reader's object keeps its
 * promises (zoo.h): "started" a string, "exit" an integer or null, at most
 * FL_ZOO_ROWS_MAX rows with distinct short names and counts that fit their runs; and
 * zoo.html drawn from it (as the page of a zoo of those rows) is written. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_fixed.h"
#include "zoo.h"

static char dir[4000];

static void check_row(const json_t *r, const json_t *seen) {
    const json_t *name = json_object_get(r, "name");
    size_t n = json_string_length(name);
    if (!json_is_string(name) || n == 0 || n > FL_ZOO_NAME_BYTES_MAX) abort();
    if (json_object_get(seen, json_string_value(name))) abort();
    json_int_t runs = json_integer_value(json_object_get(r, "runs"));
    json_int_t d = json_integer_value(json_object_get(r, "detected")),
               u = json_integer_value(json_object_get(r, "unknown")),
               e = json_integer_value(json_object_get(r, "errors"));
    if (!json_is_integer(json_object_get(r, "runs")) || runs < 0 || d < 0 || u < 0 || e < 0 ||
        d + u + e > runs || !json_is_boolean(json_object_get(r, "correct")))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0] && fuzz_scratch_dir(dir, sizeof dir, "fl-fuzz-zoo") != 0) abort();
    char err[512] = "";
    json_t *zoo = fl_zoo_parse((const char *)data, size, err, sizeof err);
    if (!zoo) {
        if (!err[0]) abort(); /* a refusal says why */
        return 0;
    }
    const json_t *exit = json_object_get(zoo, "exit"), *rows = json_object_get(zoo, "rows");
    if (!json_is_string(json_object_get(zoo, "started")) || !(json_is_null(exit) || json_is_integer(exit)) ||
        !json_is_array(rows) || json_array_size(rows) > FL_ZOO_ROWS_MAX)
        abort();
    json_t *seen = json_object();
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r) {
        check_row(r, seen);
        json_object_set_new(seen, json_string_value(json_object_get(r, "name")), json_true());
    }
    json_decref(seen);
    if (fl_zoo_page_write(dir, zoo, err, sizeof err) != 0) abort();
    json_decref(zoo);
    return 0;
}
