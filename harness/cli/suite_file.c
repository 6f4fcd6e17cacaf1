/* Reading a suite file (see suite_file.h): its top level and listed tests; matrices
 * are expanded by suite_matrix.c. Every complaint names the file and the place in it. */
#include "suite_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "file_text.h"
#include "json_line.h"

#define WHERE_BYTES 4500

bool fl_suite_name_ok(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > FL_SUITE_NAME_MAX || name[0] == '.') return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", name[i]))
            return false;
    return true;
}

json_t *fl_suite_merge(const json_t *defaults, const json_t *over) {
    json_t *m = json_is_object(defaults) ? json_deep_copy(defaults) : json_object();
    if (json_is_object(over)) json_object_update(m, (json_t *)over);
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(m, tmp, key, v) if (json_is_null(v)) json_object_del(m, key);
    return m;
}

/* "FILE:LINE" of the key's value (index < 0) or of its index-th element, else "FILE". */
static void place(char *out, size_t bytes, const char *path, const char *text, const char *key,
                  long index) {
    int line = text ? fl_json_line_of(text, key, index) : 0;
    if (line > 0) snprintf(out, bytes, "%s:%d", path, line);
    else snprintf(out, bytes, "%s", path);
}

static int listed_tests(const char *path, const char *text, const json_t *list,
                        const json_t *defaults, json_t *tests) {
    if (!json_is_array(list)) {
        fprintf(stderr, "faultline suite: %s: \"tests\" must be a list of test objects\n", path);
        return FL_EXIT_DATAERR;
    }
    size_t i;
    const json_t *t;
    json_array_foreach(list, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (!json_is_object(t) || !name) {
            fprintf(stderr, "faultline suite: %s: tests[%zu]: want an object with a \"name\" "
                    "and the settings of `faultline test --config`\n", path, i);
            return FL_EXIT_DATAERR;
        }
        char where[WHERE_BYTES], at[4200];
        place(at, sizeof at, path, text, "tests", (long)i);
        snprintf(where, sizeof where, "faultline suite: %s: tests[%zu] \"%.200s\"", at, i, name);
        json_array_append_new(tests, json_pack("{s:s,s:s,s:o}", "name", name, "where", where,
                                               "settings", fl_suite_merge(defaults, t)));
    }
    return 0;
}

static int matrices(const char *path, const char *text, const json_t *m, const json_t *defaults,
                    json_t *tests) {
    char where[WHERE_BYTES], at[4200];
    if (json_is_object(m)) {
        place(at, sizeof at, path, text, "matrix", -1);
        snprintf(where, sizeof where, "faultline suite: %s: matrix", at);
        return fl_suite_matrix_expand(m, defaults, where, tests);
    }
    if (!json_is_array(m) || json_array_size(m) == 0) {
        fprintf(stderr, "faultline suite: %s: \"matrix\" must be an object (or a list of them)\n", path);
        return FL_EXIT_DATAERR;
    }
    size_t i;
    const json_t *one;
    json_array_foreach(m, i, one) {
        place(at, sizeof at, path, text, "matrix", (long)i);
        snprintf(where, sizeof where, "faultline suite: %s: matrix[%zu]", at, i);
        int rc = fl_suite_matrix_expand(one, defaults, where, tests);
        if (rc) return rc;
    }
    return 0;
}

/* Every name a usable folder name, and no two alike (they are the store's folders and
 * the JUnit testsuites that shards merge by). */
static int check_names(const char *path, const json_t *tests) {
    size_t i;
    const json_t *t;
    json_array_foreach(tests, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *where = json_string_value(json_object_get(t, "where"));
        if (!fl_suite_name_ok(name)) {
            fprintf(stderr, "%s: the name must be 1-%d letters, digits, '.', '_' or '-', "
                    "not starting with '.'\n", where, FL_SUITE_NAME_MAX);
            return FL_EXIT_DATAERR;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(name, json_string_value(json_object_get(json_array_get(tests, j), "name")))) {
                fprintf(stderr, "%s: another test of %s is named \"%s\" (names must be unique)\n",
                        where, path, name);
                return FL_EXIT_DATAERR;
            }
    }
    return 0;
}

int fl_suite_read(const char *path, fl_suite *s) {
    memset(s, 0, sizeof *s);
    s->tests = json_array();
    json_error_t e;
    json_t *f = json_load_file(path, 0, &e);
    int rc = FL_EXIT_DATAERR;
    if (!f) {
        if (e.line > 0) fprintf(stderr, "faultline suite: %s:%d:%d: %s\n", path, e.line, e.column, e.text);
        else fprintf(stderr, "faultline suite: %s\n", e.text); /* it names the file */
        return rc;
    }
    if (!json_is_object(f)) {
        fprintf(stderr, "faultline suite: %s: want a JSON object with \"tests\" and/or \"matrix\"\n", path);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(f, key, v) {
        static const char *known[] = {"defaults", "tests", "matrix", "budget", "description", NULL};
        const char **k = known;
        while (*k && strcmp(*k, key)) k++;
        if (!*k) {
            fprintf(stderr, "faultline suite: %s: unknown key \"%s\" (want defaults, tests, "
                    "matrix, budget, description)\n", path, key);
            goto out;
        }
    }
    const json_t *defaults = json_object_get(f, "defaults");
    if (defaults && !json_is_object(defaults)) {
        fprintf(stderr, "faultline suite: %s: \"defaults\" must be an object of settings\n", path);
        goto out;
    }
    if (json_object_get(defaults, "name")) {
        fprintf(stderr, "faultline suite: %s: defaults: \"name\" belongs to each test\n", path);
        goto out;
    }
    const json_t *budget = json_object_get(f, "budget");
    if (budget && (!json_is_number(budget) || json_number_value(budget) <= 0)) {
        fprintf(stderr, "faultline suite: %s: \"budget\" must be a number of seconds over 0\n", path);
        goto out;
    }
    s->budget_s = budget ? json_number_value(budget) : 0;
    const json_t *list = json_object_get(f, "tests"), *matrix = json_object_get(f, "matrix");
    if (!list && !matrix) {
        fprintf(stderr, "faultline suite: %s: no \"tests\" and no \"matrix\": nothing to run\n", path);
        goto out;
    }
    rc = 0;
    char *text = fl_file_text(path, NULL); /* for line numbers; NULL: none */
    if (list) rc = listed_tests(path, text, list, defaults, s->tests);
    if (matrix && rc == 0) rc = matrices(path, text, matrix, defaults, s->tests);
    free(text);
    if (rc) goto out;
    rc = FL_EXIT_DATAERR;
    if (json_array_size(s->tests) == 0) {
        fprintf(stderr, "faultline suite: %s: the suite has no tests\n", path);
        goto out;
    }
    rc = check_names(path, s->tests);
out:
    json_decref(f);
    return rc;
}

void fl_suite_free(fl_suite *s) {
    json_decref(s->tests);
    s->tests = NULL;
}
