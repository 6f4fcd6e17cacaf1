/* `faultline suite` files (DESIGN.md "Suites"): a JSON object of
 *   "defaults": settings under every test (the `faultline test --config` form),
 *   "tests":    [ {"name": N, settings…}, … ],
 *   "matrix":   {"target": [...], "workload": [...], "nemesis": [...], "bug": [...],
 *                "seed": [...], "settings": {...}, "exclude": [{...}], "name": PREFIX}
 *               (or a list of such), every combination one test,
 *   "budget":   seconds for the whole suite,
 *   "description": free text,
 * read and expanded into one ordered list of tests: the listed tests in file order,
 * then each matrix's combinations (target outermost, seed innermost). That order is
 * what --shard splits, so it depends on nothing but the file. */
#ifndef FL_SUITE_FILE_H
#define FL_SUITE_FILE_H

#include <stdbool.h>

#include <jansson.h>

#define FL_SUITE_NAME_MAX 120 /* a test's name: a store folder and a JUnit testsuite */

typedef struct fl_suite {
    double budget_s;  /* 0: none */
    json_t *tests;    /* [{"name", "where", "settings"}]: settings merged (defaults under
                       * the test's own), nulls dropped, "name" set */
} fl_suite;

/* Read and expand path. 0, or 65 with the message printed (file and line, then where:
 * "tests[2]", "matrix.bug", and the field). */
int fl_suite_read(const char *path, fl_suite *s);
void fl_suite_free(fl_suite *s);

/* Whether name is usable as a test name: [A-Za-z0-9._-], not starting with '.', at most
 * FL_SUITE_NAME_MAX bytes (it becomes a folder of the store). */
bool fl_suite_name_ok(const char *name);

/* The combinations of one matrix appended to tests (see the format above). 0, or 65
 * with the message printed; where is "FILE: matrix" or "FILE: matrix[1]". */
int fl_suite_matrix_expand(const json_t *matrix, const json_t *defaults, const char *where,
                           json_t *tests);

/* defaults with over's keys on top, null values dropped (null means "not set": a test
 * can take a default's nemesis or bug away). A new object. */
json_t *fl_suite_merge(const json_t *defaults, const json_t *over);

#endif
