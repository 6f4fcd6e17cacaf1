/* JUnit XML for CI (DESIGN.md "Run store": junit.xml): one <testsuite> per run, one
 * <testcase> per checker. The shape, checked by tests/support/junit.xsd:
 *
 *   <testsuites name="faultline" tests= failures= errors= skipped= time=>  (several runs)
 *     <testsuite name=TEST tests= failures= errors= skipped= time= timestamp= hostname=>
 *       <properties>                   what produced the run (this faultline: version.h)
 *         <property name="faultline.version" value="0.2.0"/>
 *         <property name="faultline.commit" value="718bf1c"/>
 *       </properties>
 *       <testcase classname=TEST name=CHECKER time=CHECKER'S "seconds" or 0>
 *         <failure message=ONE LINE type="anomaly">the same summary</failure>  verdict false
 *         <skipped message=REASON/>                                             "unknown"
 *         <system-out>the checker's result as JSON (up to 64 KiB)</system-out>
 *       </testcase>
 *     </testsuite>
 *   </testsuites>
 *
 * `faultline suite` writes one <testsuite> per test holding every run of it: a test of
 * several runs names each testcase "run K: CHECKER", and a run that was a harness error
 * (exit 3: it could not set up, say) gets a testcase "harness" with
 * <error type="harness" message=WHAT>, counted in errors, never in failures; the
 * testsuite's <system-out> lists the runs (seed, verdict, run directory).
 *
 * A testcase has a <failure> exactly when its checker's "valid" is false, and <skipped>
 * when it is anything but true or false (unknown, or missing). results is results.json
 * ({"valid", "checkers": {name: result}}); without "checkers" it is one testcase named
 * "results", and a NULL results (nothing was recorded to check) one skipped testcase
 * "results". timestamp is now minus seconds, in UTC. Every attribute and text is escaped
 * by fl_xml_escape (any bytes in, well-formed XML out). Files are written to a temporary
 * name beside path and renamed, so a reader never sees half a file. */
#ifndef FL_JUNIT_H
#define FL_JUNIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define FL_JUNIT_MESSAGE_BYTES 1024    /* a <failure>/<skipped> message, NUL included */
#define FL_JUNIT_SYSTEM_OUT_BYTES 65536 /* a larger result is left to results.json */

typedef struct fl_junit_suite {
    const char *name;      /* the test's name (store/<name>/…) */
    const json_t *results; /* results.json; NULL when there is none */
    double seconds;        /* the run's duration */
} fl_junit_suite;

/* One run of a test: its results, and its harness error if it had one. */
typedef struct fl_junit_run {
    const json_t *results; /* results.json; NULL when there is none */
    double seconds;        /* the run's duration */
    const char *error;     /* NULL, or what stopped the run (a harness error) */
} fl_junit_run;

/* One test: one <testsuite> holding each run's testcases. */
typedef struct fl_junit_test {
    const char *name;
    const fl_junit_run *runs;
    size_t run_count;      /* more than 1: testcases are named "run K: CHECKER" */
    const char *out;       /* the testsuite's <system-out>; NULL for none */
} fl_junit_test;

/* junit.xml of one run. 0, or -1 with err naming the file and the failing call. */
int fl_junit_write_run(const char *path, const char *test_name, const json_t *results,
                       double seconds, char *err, size_t bytes);
/* Several runs (faultline test --test-count N) in one <testsuites>. 0, or -1 with err. */
int fl_junit_write_suites(const char *path, const fl_junit_suite *suites, size_t count,
                          char *err, size_t bytes);
/* Several tests, each of one or more runs (faultline suite), in one <testsuites>. */
int fl_junit_write_tests(const char *path, const fl_junit_test *tests, size_t count, char *err,
                         size_t bytes);
/* The XML itself, for tests and for writers of other files. */
void fl_junit_print_suite(FILE *out, const fl_junit_suite *suite, int id);
void fl_junit_print_test(FILE *out, const fl_junit_test *test, int id);

/* The one-line <failure message> for a checker whose verdict is false:
 *   linearizable (a result with a non-empty "invalid_keys"): how many keys are invalid
 *     and which (first 5), then for the first the failing op — index, process, f, value,
 *     output, completion type, line — and its explanation;
 *   any other checker: its "explanation", "error", the non-zero counts of the set
 *     checker's anomaly categories (lost, unexpected, failed_but_present, duplicated)
 *     with their first elements, "anomaly_types"/"anomaly-types", the size and first
 *     entry of "violations"/"anomalies"; failing all of those every non-zero *_count
 *     field; failing that, a note that the result explains nothing.
 * Newlines and tabs become spaces; cut at a character boundary with "…" to fit. */
void fl_junit_anomaly_summary(const json_t *result, char *out, size_t bytes);
/* The <skipped message> for an undecided checker: "reason", "error" or "explanation",
 * plus the first undecided key's reason for linearizable. */
void fl_junit_unknown_reason(const json_t *result, char *out, size_t bytes);

#endif
