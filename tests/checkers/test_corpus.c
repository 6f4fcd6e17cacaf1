/* The reference corpus (tests/corpus/porcupine): 108 real histories whose verdicts
 * Porcupine confirmed. Every verdict must match and every certificate must verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"

typedef struct expected_row {
    char file[256];
    char model[32];
    char verdict[16];
    long operations;
} expected_row;

static int read_expected(expected_row **rows, size_t *count) {
    FILE *in = fopen(FL_CORPUS_DIR "/expected.tsv", "r");
    if (!in) return -1;
    char line[512];
    *rows = calloc(256, sizeof **rows);
    *count = 0;
    while (fgets(line, sizeof line, in) && *count < 256) {
        expected_row *r = &(*rows)[*count];
        if (sscanf(line, "%255s\t%31s\t%15s\t%ld", r->file, r->model, r->verdict,
                   &r->operations) != 4 || !strcmp(r->file, "file"))
            continue;
        (*count)++;
    }
    fclose(in);
    return 0;
}

/* One corpus file: NULL when its verdict, op count and certificates are right. */
static const char *check_row(const expected_row *row, char *why, size_t why_bytes) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FL_CORPUS_DIR, row->file);
    fl_history *h;
    fl_error err;
    if (fl_history_read_file(path, NULL, &h, &err) != FL_READ_OK) {
        fl_error_format(&err, why, why_bytes);
        return why;
    }
    fl_lin_options o = {.model = fl_model_find(row->model), .certify = true,
                        .full_certificates = true,
                        .memory_limit_bytes = (size_t)4 << 30};
    json_t *r = fl_check_linearizable(h, &o, &err);
    fl_history_free(h);
    if (!r) {
        fl_error_format(&err, why, why_bytes);
        return why;
    }
    const json_t *valid = json_object_get(r, "valid");
    const char *got = json_is_true(valid) ? "valid" : json_is_false(valid) ? "invalid" : "unknown";
    long ops = 0;
    const char *key;
    json_t *k;
    json_object_foreach(json_object_get(r, "keys"), key, k)
        ops += (long)(json_integer_value(json_object_get(k, "ops")) -
                      json_integer_value(json_object_get(k, "failed_ops_dropped")));
    const char *result = NULL;
    if (strcmp(got, row->verdict)) {
        snprintf(why, why_bytes, "%s: verdict %s, expected %s", row->file, got, row->verdict);
        result = why;
    } else if (!json_is_true(json_object_get(r, "certified"))) {
        snprintf(why, why_bytes, "%s: a certificate did not verify", row->file);
        result = why;
    } else if (ops != row->operations) {
        snprintf(why, why_bytes, "%s: %ld operations, expected %ld", row->file, ops,
                 row->operations);
        result = why;
    }
    json_decref(r);
    return result;
}

static void corpus_verdicts_and_certificates(void **state) {
    (void)state;
    expected_row *rows = NULL;
    size_t count = 0;
    assert_int_equal(read_expected(&rows, &count), 0);
    assert_int_equal(count, 108);
    size_t wrong = 0;
    for (size_t i = 0; i < count; i++) {
        char why[1024];
        const char *problem = check_row(&rows[i], why, sizeof why);
        if (problem) {
            fprintf(stderr, "WRONG: %s\n", problem);
            wrong++;
        }
    }
    free(rows);
    assert_int_equal(wrong, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_verdicts_and_certificates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
