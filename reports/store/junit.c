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

static void print_case(FILE *out, const char *suite, const char *checker, const json_t *result) {
    const json_t *s = json_object_get(result, "seconds");
    fputs("    <testcase classname=\"", out);
    fl_xml_puts(out, suite, true);
    fputs("\" name=\"", out);
    fl_xml_puts(out, checker, true);
    fprintf(out, "\" time=\"%.3f\">\n", clean_seconds(json_is_number(s) ? json_number_value(s) : 0));
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

/* The checkers of a run as (name, result) pairs: results.checkers, else results itself
 * as "results" (NULL results: one undecided case). */
static size_t case_count(const json_t *results) {
    const json_t *checkers = json_object_get(results, "checkers");
    return json_is_object(checkers) ? json_object_size(checkers) : 1;
}

static void count_outcomes(const json_t *results, int counts[3]) {
    const json_t *checkers = json_object_get(results, "checkers");
    if (!json_is_object(checkers)) {
        counts[results ? outcome_of(results) : CASE_SKIPPED]++;
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

void fl_junit_print_suite(FILE *out, const fl_junit_suite *suite, int id) {
    assert(out && suite && suite->name);
    int counts[3] = {0, 0, 0};
    count_outcomes(suite->results, counts);
    char stamp[32], host[256] = "localhost";
    utc_timestamp(suite->seconds, stamp, sizeof stamp);
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    fputs("  <testsuite name=\"", out);
    fl_xml_puts(out, suite->name, true);
    fprintf(out, "\" id=\"%d\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" "
            "time=\"%.3f\" timestamp=\"%s\" hostname=\"", id, case_count(suite->results),
            counts[CASE_FAILED], counts[CASE_SKIPPED], clean_seconds(suite->seconds), stamp);
    fl_xml_puts(out, host, true);
    fputs("\">\n", out);
    print_properties(out);
    const json_t *checkers = json_object_get(suite->results, "checkers");
    if (json_is_object(checkers)) {
        const char *name;
        const json_t *r;
        json_object_foreach((json_t *)checkers, name, r) print_case(out, suite->name, name, r);
    } else if (suite->results) {
        print_case(out, suite->name, "results", suite->results);
    } else {
        json_t *none = json_pack("{s:s,s:s}", "valid", "unknown", "reason",
                                 "no results: the run recorded nothing to check");
        print_case(out, suite->name, "results", none);
        json_decref(none);
    }
    fputs("  </testsuite>\n", out);
}

/* Writes through a temporary file beside path, renamed over it once complete. */
static int write_atomically(const char *path, const fl_junit_suite *suites, size_t count,
                            bool wrapped, char *err, size_t bytes) {
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp)
        return snprintf(err, bytes, "%s: path too long", path), -1;
    FILE *out = fopen(tmp, "w");
    if (!out) return snprintf(err, bytes, "fopen %s: %s", tmp, strerror(errno)), -1;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    if (wrapped) {
        int counts[3] = {0, 0, 0};
        size_t tests = 0;
        double seconds = 0;
        for (size_t i = 0; i < count; i++) {
            count_outcomes(suites[i].results, counts);
            tests += case_count(suites[i].results);
            seconds += clean_seconds(suites[i].seconds);
        }
        fprintf(out, "<testsuites name=\"faultline\" tests=\"%zu\" failures=\"%d\" errors=\"0\" "
                "skipped=\"%d\" time=\"%.3f\">\n", tests, counts[CASE_FAILED],
                counts[CASE_SKIPPED], seconds);
    }
    for (size_t i = 0; i < count; i++) fl_junit_print_suite(out, &suites[i], (int)i);
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
    fl_junit_suite suite = {test_name, results, seconds};
    return write_atomically(path, &suite, 1, false, err, bytes);
}

int fl_junit_write_suites(const char *path, const fl_junit_suite *suites, size_t count,
                          char *err, size_t bytes) {
    assert(path && (suites || count == 0));
    return write_atomically(path, suites, count, true, err, bytes);
}
