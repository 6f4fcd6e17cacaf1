/* The postgres target's list text (see list_text.h). */
#include "list_text.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int fl_pg_list_parse(const char *text, json_t **out, char *err, size_t bytes) {
    *out = json_array();
    if (!*out) return snprintf(err, bytes, "out of memory"), -1;
    for (const char *p = text; *p;) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        /* strtoll would skip leading blanks and take a '+': neither is ours to write */
        bool digit_first = (*p >= '0' && *p <= '9') || (*p == '-' && p[1] >= '0' && p[1] <= '9');
        if (!digit_first || end == p || errno || (*end && *end != ',') || (*end == ',' && !end[1])) {
            snprintf(err, bytes, "a list that is not integers joined by commas: \"%.60s\"", text);
            json_decref(*out);
            *out = NULL;
            return -1;
        }
        assert(end > p); /* every turn consumes a number */
        json_array_append_new(*out, json_integer(v));
        p = *end ? end + 1 : end;
    }
    return 0;
}
