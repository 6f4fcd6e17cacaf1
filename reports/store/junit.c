/* JUnit XML files (see junit.h): the XML of each run and the atomic write. */
#include "junit.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "version.h"
#include "xml_text.h"

typedef enum { CASE_PASSED, CASE_FAILED, CASE_SKIPPED } case_outcome;

static case_outcome outcome_of(const json_t *result) {
    const json_t *valid = json_object_get(result, "valid");
    return json_is_true(valid) ? CASE_PASSED : json_is_false(valid) ? CASE_FAILED : CASE_SKIPPED;
}

/* Seconds as the XSD's decimal: finite, not negative. */
static double clean_seconds(double s) {
    return isfinite(s) && s > 0 ? s : 0;
}

static void print_system_out(FILE *out, const json_t *result) {
    char *text = json_dumps(result, JSON_INDENT(1));
    fputs("      <system-out>", out);
    if (text && strlen(text) <= FL_JUNIT_SYSTEM_OUT_BYTES) fl_xml_puts(out, text, false);
    else fprintf(out, "(the result is too large to show here: see results.json)");
    fputs("</system-out>\n", out);
    free(text);
}

/* prefix: "" for a test of one run, "run K: " for the K-th of several. */
static void print_case_start(FILE *out, const char *suite, const char *prefix, const char *name,
                             double seconds) {
    fputs("    <testcase classname=\"", out);
    fl_xml_puts(out, suite, true);
    fputs("\" name=\"", out);
    fl_xml_puts(out, prefix, true);
    fl_xml_puts(out, name, true);
    fprintf(out, "\" time=\"%.3f\">\n", clean_seconds(seconds));
}

static void print_case(FILE *out, const char *suite, const char *prefix, const char *checker,
                       const json_t *result) {
    const json_t *s = json_object_get(result, "seconds");
    print_case_start(out, suite, prefix, checker, json_is_number(s) ? json_number_value(s) : 0);
    char message[FL_JUNIT_MESSAGE_BYTES];
    switch (outcome_of(result)) {
    case CASE_FAILED:
        fl_junit_anomaly_summary(result, message, sizeof message);
        fputs("      <failure type=\"anomaly\" message=\"", out);
        fl_xml_puts(out, message, true);
        fputs("\">", out);
        fl_xml_puts(out, message, false);
        fputs("</failure>\n", out);
        break;
    case CASE_SKIPPED:
        fl_junit_unknown_reason(result, message, sizeof message);
        fputs("      <skipped message=\"", out);
        fl_xml_puts(out, message, true);
        fputs("\"/>\n", out);
        break;
    case CASE_PASSED: break;
    }
    if (result) print_system_out(out, result);
    fputs("    </testcase>\n", out);
}

/* A harness error is the run's own testcase, "harness", as <error>: CI tells "the
 * system is broken" (failure) from "the test could not run" (error). */
static void print_error_case(FILE *out, const char *suite, const char *prefix, const char *error,
                             double seconds) {
    print_case_start(out, suite, prefix, "harness", seconds);
    fputs("      <error type=\"harness\" message=\"", out);
    fl_xml_puts(out, error[0] ? error : "harness error", true);
    fputs("\">", out);
    fl_xml_puts(out, error[0] ? error : "harness error", false);
    fputs("</error>\n    </testcase>\n", out);
}

/* The checkers of a run as (name, result) pairs: results.checkers, else results itself
 * as "results" (NULL results: one undecided case); a harness error adds its own case. */
static size_t case_count(const fl_junit_run *run) {
    const json_t *checkers = json_object_get(run->results, "checkers");
    size_t n = json_is_object(checkers) ? json_object_size(checkers) : 1;
    if (run->error && !run->results) n = 0; /* nothing recorded: the error says it all */
    return n + (run->error != NULL);
}

/* counts: passed, failed, skipped, errors */
static void count_outcomes(const fl_junit_run *run, int counts[4]) {
    if (run->error) counts[3]++;
    if (run->error && !run->results) return;
    const json_t *checkers = json_object_get(run->results, "checkers");
    if (!json_is_object(checkers)) {
        counts[run->results ? outcome_of(run->results) : CASE_SKIPPED]++;
        return;
    }
    const char *name;
    const json_t *r;
    json_object_foreach((json_t *)checkers, name, r) counts[outcome_of(r)]++;
}

/* What produced the run, as JUnit properties: this faultline's version and commit. */
static void print_properties(FILE *out) {
    const char *const props[][2] = {{"faultline.version", fl_version()},
                                    {"faultline.commit", fl_version_commit()}};
    fputs("    <properties>\n", out);
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        fprintf(out, "      <property name=\"%s\" value=\"", props[i][0]);
        fl_xml_puts(out, props[i][1], true);
        fputs("\"/>\n", out);
    }
    fputs("    </properties>\n", out);
}

static void utc_timestamp(double seconds_ago, char *out, size_t bytes) {
    time_t start = time(NULL) - (time_t)clean_seconds(seconds_ago);
    struct tm tm;
    gmtime_r(&start, &tm);
    strftime(out, bytes, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void print_run(FILE *out, const char *name, const char *prefix, const fl_junit_run *run) {
    if (run->error) print_error_case(out, name, prefix, run->error, run->seconds);
    if (run->error && !run->results) return;
    const json_t *checkers = json_object_get(run->results, "checkers");
    if (json_is_object(checkers)) {
        const char *checker;
        const json_t *r;
        json_object_foreach((json_t *)checkers, checker, r) print_case(out, name, prefix, checker, r);
    } else if (run->results) {
        print_case(out, name, prefix, "results", run->results);
    } else {
        json_t *none = json_pack("{s:s,s:s}", "valid", "unknown", "reason",
                                 "no results: the run recorded nothing to check");
        print_case(out, name, prefix, "results", none);
        json_decref(none);
    }
}

static void test_totals(const fl_junit_test *test, int counts[4], size_t *cases, double *seconds) {
    for (size_t i = 0; i < test->run_count; i++) {
        count_outcomes(&test->runs[i], counts);
        *cases += case_count(&test->runs[i]);
        *seconds += clean_seconds(test->runs[i].seconds);
    }
}

void fl_junit_print_test(FILE *out, const fl_junit_test *test, int id) {
    assert(out && test && test->name && (test->runs || test->run_count == 0));
    int counts[4] = {0, 0, 0, 0};
    size_t cases = 0;
    double seconds = 0;
    test_totals(test, counts, &cases, &seconds);
    char stamp[32], host[256] = "localhost";
    utc_timestamp(seconds, stamp, sizeof stamp);
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    fputs("  <testsuite name=\"", out);
    fl_xml_puts(out, test->name, true);
    fprintf(out, "\" id=\"%d\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" "
            "time=\"%.3f\" timestamp=\"%s\" hostname=\"", id, cases, counts[CASE_FAILED],
            counts[3], counts[CASE_SKIPPED], seconds, stamp);
    fl_xml_puts(out, host, true);
    fputs("\">\n", out);
    print_properties(out);
    for (size_t i = 0; i < test->run_count; i++) {
        char prefix[32] = "";
        if (test->run_count > 1) snprintf(prefix, sizeof prefix, "run %zu: ", i + 1);
        print_run(out, test->name, prefix, &test->runs[i]);
    }
    if (test->out) {
        fputs("    <system-out>", out);
        fl_xml_puts(out, test->out, false);
        fputs("</system-out>\n", out);
    }
    fputs("  </testsuite>\n", out);
}

void fl_junit_print_suite(FILE *out, const fl_junit_suite *suite, int id) {
    assert(suite);
    fl_junit_run run = {suite->results, suite->seconds, NULL};
    fl_junit_test test = {suite->name, &run, 1, NULL};
    fl_junit_print_test(out, &test, id);
}

/* Writes through a temporary file beside path, renamed over it once complete. */
static int write_atomically(const char *path, const fl_junit_test *tests, size_t count,
                            bool wrapped, char *err, size_t bytes) {
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
        return snprintf(err, bytes, "%s: path too long", path), -1;
    FILE *out = fopen(tmp, "w");
    if (!out) return snprintf(err, bytes, "fopen %s: %s", tmp, strerror(errno)), -1;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    if (wrapped) {
        int counts[4] = {0, 0, 0, 0};
        size_t cases = 0;
        double seconds = 0;
        for (size_t i = 0; i < count; i++) test_totals(&tests[i], counts, &cases, &seconds);
        fprintf(out, "<testsuites name=\"faultline\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" "
                "skipped=\"%d\" time=\"%.3f\">\n", cases, counts[CASE_FAILED], counts[3],
                counts[CASE_SKIPPED], seconds);
    }
    for (size_t i = 0; i < count; i++) fl_junit_print_test(out, &tests[i], (int)i);
    if (wrapped) fputs("</testsuites>\n", out);
    bool failed = ferror(out) != 0;
    int saved = errno;
    if (fclose(out) != 0 && !failed) failed = true, saved = errno;
    if (failed) {
        unlink(tmp);
        return snprintf(err, bytes, "writing %s: %s", tmp, strerror(saved)), -1;
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        unlink(tmp);
        return snprintf(err, bytes, "rename %s to %s: %s", tmp, path, strerror(saved)), -1;
    }
    return 0;
}

int fl_junit_write_run(const char *path, const char *test_name, const json_t *results,
                       double seconds, char *err, size_t bytes) {
    assert(path && test_name);
    fl_junit_run run = {results, seconds, NULL};
    fl_junit_test test = {test_name, &run, 1, NULL};
    return write_atomically(path, &test, 1, false, err, bytes);
}

int fl_junit_write_suites(const char *path, const fl_junit_suite *suites, size_t count,
                          char *err, size_t bytes) {
    assert(path && (suites || count == 0));
    fl_junit_run *runs = calloc(count ? count : 1, sizeof *runs);
    fl_junit_test *tests = calloc(count ? count : 1, sizeof *tests);
    int rc = -1;
    if (!runs || !tests) {
        snprintf(err, bytes, "%s: out of memory", path);
    } else {
        for (size_t i = 0; i < count; i++) {
            runs[i] = (fl_junit_run){suites[i].results, suites[i].seconds, NULL};
            tests[i] = (fl_junit_test){suites[i].name, &runs[i], 1, NULL};
        }
        rc = write_atomically(path, tests, count, true, err, bytes);
    }
    free(runs);
    free(tests);
    return rc;
}

int fl_junit_write_tests(const char *path, const fl_junit_test *tests, size_t count, char *err,
                         size_t bytes) {
    assert(path && (tests || count == 0));
    return write_atomically(path, tests, count, true, err, bytes);
}
