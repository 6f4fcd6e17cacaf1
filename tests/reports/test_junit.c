/* JUnit XML (reports/store/junit.h) and the escaping under it (xml_text.h): exact
 * escapes of XML specials, forbidden characters and invalid UTF-8; the one-line failure
 * and skip messages built from linearizable, set and other results; the file's shape
 * (a <failure> exactly for a false verdict, <skipped> for "unknown"), checked with
 * xmllint against tests/support/junit.xsd, including hostile names and messages that
 * must come back out of a parser unchanged; every testsuite names the faultline version
 * and commit that wrote it in its <properties>. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "junit.h"
#include "version.h"
#include "xml_text.h"

#define FFFD "\xEF\xBF\xBD"

static char *escaped(const char *s, size_t len, bool attribute) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    fl_xml_escape(out, s, len, attribute);
    assert_int_equal(fclose(out), 0);
    return text;
}

static void assert_escapes(const char *s, size_t len, bool attribute, const char *want) {
    char *got = escaped(s, len, attribute);
    assert_string_equal(got, want);
    free(got);
}

static void escapes_xml_specials(void **state) {
    (void)state;
    assert_escapes("a<b>&\"'", 7, true, "a&lt;b&gt;&amp;&quot;&#39;");
    assert_escapes("a<b>&\"'", 7, false, "a&lt;b&gt;&amp;\"'"); /* text needs no quotes escaped */
    assert_escapes("</failure><x>", 13, false, "&lt;/failure&gt;&lt;x&gt;");
    /* attribute values keep tab and newline only as references; CR always */
    assert_escapes("a\tb\nc\rd", 7, true, "a&#9;b&#10;c&#13;d");
    assert_escapes("a\tb\nc\rd", 7, false, "a\tb\nc&#13;d");
    assert_escapes("", 0, true, "");
}

static void drops_characters_xml_forbids(void **state) {
    (void)state;
    assert_escapes("\x01" "a\0b\x1f\x7f", 6, false, "ab\x7f"); /* DEL is allowed */
    assert_escapes("x\xEF\xBF\xBEy\xEF\xBF\xBFz", 9, false, "xyz");  /* U+FFFE, U+FFFF */
    assert_escapes("\xEF\xBF\xBD", 3, false, FFFD);                  /* U+FFFD stays */
}

static void replaces_invalid_utf8(void **state) {
    (void)state;
    assert_escapes("\xff", 1, false, FFFD);
    assert_escapes("\xC0\xAF", 2, false, FFFD FFFD);                /* overlong '/' */
    assert_escapes("\xED\xA0\x80", 3, false, FFFD FFFD FFFD);       /* a surrogate */
    assert_escapes("\xF4\x90\x80\x80", 4, false, FFFD FFFD FFFD FFFD); /* past U+10FFFF */
    assert_escapes("\xE2\x82" "A", 3, false, FFFD FFFD "A");        /* cut short */
    assert_escapes("\x80<", 2, false, FFFD "&lt;");                 /* stray continuation */
    /* valid text of every length is kept byte for byte */
    assert_escapes("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9, false, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

static void repairs_utf8_and_encodes_urls(void **state) {
    (void)state;
    char *fixed = fl_utf8_repair("a\xff\0b\xC3\xA9", 6);
    assert_string_equal(fixed, "a" FFFD "b\xC3\xA9");
    free(fixed);
    char url[64];
    assert_int_equal(fl_url_encode("a b/c:d<\xff", false, url, sizeof url), 0);
    assert_string_equal(url, "a%20b%2Fc%3Ad%3C%FF");
    assert_int_equal(fl_url_encode("x/y.z-_~", true, url, sizeof url), 0);
    assert_string_equal(url, "x/y.z-_~");
    assert_int_equal(fl_url_encode("abcd", false, url, 4), -1); /* needs 5 */
    assert_int_equal(fl_url_encode("abc", false, url, 4), 0);
}

static json_t *parse_json(const char *text) {
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v) fail_msg("bad test JSON: %s", e.text);
    return v;
}

static void assert_summary(const char *result_json, const char *want) {
    json_t *r = parse_json(result_json);
    char out[FL_JUNIT_MESSAGE_BYTES];
    fl_junit_anomaly_summary(r, out, sizeof out);
    assert_string_equal(out, want);
    json_decref(r);
}

/* The linearizable checker's result shape (checkers/linearizable/explain.c). */
static const char linearizable_invalid[] =
    "{\"valid\":false,\"model\":\"cas-register\",\"key_count\":3,\"invalid_keys\":[\"x\",\"y\"],"
    "\"unknown_keys\":[],\"keys\":{\"x\":{\"valid\":false,\"failing_op\":{\"index\":17,"
    "\"process\":3,\"f\":\"read\",\"value\":null,\"type\":\"ok\",\"output\":4,"
    "\"complete_index\":18,\"line\":19},\"explanation\":\"op 17 (read) cannot take effect\"},"
    "\"y\":{\"valid\":false},\"z\":{\"valid\":true}},\"seconds\":0.25}";

static void summary_of_linearizable(void **state) {
    (void)state;
    assert_summary(linearizable_invalid,
                   "2 of 3 keys not linearizable: \"x\", \"y\"; key \"x\" failing op 17 "
                   "(process 3, read, value null, output 4, ok, line 19); op 17 (read) cannot "
                   "take effect");
    assert_summary("{\"valid\":false,\"key_count\":7,\"invalid_keys\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"],"
                   "\"keys\":{\"a\":{\"valid\":false,\"explanation\":\"no linearization exists\"}}}",
                   "6 of 7 keys not linearizable: \"a\", \"b\", \"c\", \"d\", \"e\" and 1 more; "
                   "no linearization exists");
    assert_summary("{\"valid\":false,\"invalid_keys\":[\"x\"]}", "1 key not linearizable: \"x\"");
}

static void summary_of_set_and_others(void **state) {
    (void)state;
    assert_summary("{\"valid\":false,\"lost_count\":4,\"lost\":[1,8,15,22],\"recovered_count\":2,"
                   "\"unexpected_count\":1,\"unexpected\":[\"z\"],\"duplicated_count\":0}",
                   "lost 4 (first: 1, 8, 15); unexpected 1 (first: \"z\")");
    assert_summary("{\"valid\":false,\"explanation\":\"two\\nlines\\tand a tab\"}",
                   "two lines and a tab");
    assert_summary("{\"valid\":false,\"anomaly-types\":[\"G1c\",\"G2\"],\"violations\":[{\"op\":3}]}",
                   "anomalies: G1c, G2; violations 1, first: {\"op\":3}");
    assert_summary("{\"valid\":false,\"stale_read_count\":2,\"ok_count\":9,\"zero_count\":0}",
                   "stale_read 2; ok 9");
    assert_summary("{\"valid\":false}", "verdict false; the result explains nothing more (see results.json)");
}

static void summary_is_one_bounded_line(void **state) {
    (void)state;
    json_t *r = json_pack("{s:b}", "valid", 0);
    char *long_text = malloc(3000 * 2 + 1);
    for (int i = 0; i < 3000; i++) memcpy(long_text + 2 * i, "\xC3\xA9", 2); /* é */
    long_text[6000] = '\0';
    json_object_set_new(r, "explanation", json_string(long_text));
    char out[64];
    fl_junit_anomaly_summary(r, out, sizeof out);
    size_t n = strlen(out);
    assert_true(n < sizeof out);
    assert_memory_equal(out + n - 3, "\xE2\x80\xA6", 3); /* cut and marked */
    for (size_t i = 0, used; i < n; i += used)        /* cut at a character boundary */
        assert_true(fl_utf8_decode((const unsigned char *)out + i, n - i, &used) >= 0);
    free(long_text);
    json_decref(r);
}

static void reasons_for_unknown(void **state) {
    (void)state;
    char out[FL_JUNIT_MESSAGE_BYTES];
    json_t *r = parse_json("{\"valid\":\"unknown\",\"reason\":\"no final read\"}");
    fl_junit_unknown_reason(r, out, sizeof out);
    assert_string_equal(out, "no final read");
    json_decref(r);
    r = parse_json("{\"valid\":\"unknown\",\"unknown_keys\":[\"k\"],\"keys\":{\"k\":"
                   "{\"valid\":\"unknown\",\"reason\":\"time limit\"}}}");
    fl_junit_unknown_reason(r, out, sizeof out);
    assert_string_equal(out, "1 key undecided, first \"k\": time limit");
    json_decref(r);
    r = parse_json("{\"error\":\"checker crashed\"}");
    fl_junit_unknown_reason(r, out, sizeof out);
    assert_string_equal(out, "no verdict (\"valid\" is missing or not true, false or \"unknown\"); "
                             "checker crashed");
    json_decref(r);
}

/* The suite as XML, malloc'd. Returned as a copy: gcc 12 at -O3 inlines this and,
 * since open_memstream took the address of text, cannot rule out that text ends up
 * pointing at itself, so it warned (-Wdangling-pointer) on the caller's use of the
 * result. A fresh strdup'd pointer is clearly not a local's address. */
static char *suite_xml(const char *name, const json_t *results) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    fl_junit_suite suite = {name, results, 12.5};
    fl_junit_print_suite(out, &suite, 0);
    assert_int_equal(fclose(out), 0);
    char *copy = strdup(text);
    free(text);
    assert_non_null(copy);
    return copy;
}

static size_t occurrences(const char *text, const char *what) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

/* The <properties> every testsuite starts with, right after its tag and before its
 * first testcase: this faultline's version and commit. */
static void assert_properties_first(const char *xml) {
    char want[512];
    snprintf(want, sizeof want, "\">\n    <properties>\n"
             "      <property name=\"faultline.version\" value=\"%s\"/>\n"
             "      <property name=\"faultline.commit\" value=\"%s\"/>\n"
             "    </properties>\n    <testcase ", fl_version(), fl_version_commit());
    assert_non_null(strstr(xml, want));
}

static void suite_shape(void **state) {
    (void)state;
    char text[4096];
    snprintf(text, sizeof text, "{\"valid\":false,\"checkers\":{\"linearizable\":%s,"
             "\"set\":{\"valid\":\"unknown\",\"reason\":\"no final read\"},"
             "\"stats\":{\"valid\":true,\"ok\":3}}}", linearizable_invalid);
    json_t *results = parse_json(text);
    char *xml = suite_xml("raftkv-register", results);
    assert_non_null(strstr(xml, "<testsuite name=\"raftkv-register\" id=\"0\" tests=\"3\" "
                                "failures=\"1\" errors=\"0\" skipped=\"1\" time=\"12.500\""));
    assert_int_equal(occurrences(xml, "<testcase "), 3);
    assert_int_equal(occurrences(xml, "<failure "), 1);
    assert_int_equal(occurrences(xml, "<skipped "), 1);
    /* the failure sits in the linearizable testcase, with its time */
    const char *lin = strstr(xml, "<testcase classname=\"raftkv-register\" name=\"linearizable\" time=\"0.250\">");
    const char *failure = strstr(xml, "<failure ");
    assert_non_null(lin);
    assert_true(failure > lin && failure < strstr(lin, "</testcase>"));
    assert_non_null(strstr(xml, "<skipped message=\"no final read\"/>"));
    assert_non_null(strstr(xml, "<testcase classname=\"raftkv-register\" name=\"stats\" time=\"0.000\">"));
    assert_properties_first(xml);
    free(xml);
    json_decref(results);
    xml = suite_xml("crashed", NULL); /* nothing recorded: one undecided case */
    assert_non_null(strstr(xml, "tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(xml, "name=\"results\""));
    assert_properties_first(xml);
    free(xml);
}

/* ---- the files, through xmllint ---- */

static char tmp_dir[] = "/tmp/test_junit.XXXXXX";

static int make_tmp(void **state) {
    (void)state;
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_tmp(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* xmllint's output (stdout and stderr) and its exit status. */
static int xmllint(const char *args, char *out, size_t bytes) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", FL_XMLLINT, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, bytes - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void assert_valid(const char *file) {
    char args[512], out[8192];
    snprintf(args, sizeof args, "--noout --schema '%s' '%s'", FL_JUNIT_XSD, file);
    if (xmllint(args, out, sizeof out) != 0) fail_msg("%s does not validate:\n%s", file, out);
}

static void xpath(const char *file, const char *expr, char *out, size_t bytes) {
    char args[512];
    snprintf(args, sizeof args, "--xpath '%s' '%s'", expr, file);
    assert_int_equal(xmllint(args, out, bytes), 0);
    size_t n = strlen(out);
    if (n && out[n - 1] == '\n') out[n - 1] = '\0'; /* newer xmllints end the value with one */
}

static void write_run(const char *file, const char *name, const char *results_json) {
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, file);
    json_t *results = results_json ? parse_json(results_json) : NULL;
    if (fl_junit_write_run(path, name, results, 3.0, err, sizeof err) != 0) fail_msg("%s", err);
    json_decref(results);
    assert_valid(path);
}

static void files_validate_against_the_schema(void **state) {
    (void)state;
    if (!FL_XMLLINT[0]) skip();
    char text[4096], got[4096], path[256];
    write_run("valid.xml", "t", "{\"valid\":true,\"checkers\":{\"linearizable\":{\"valid\":true},"
                                "\"stats\":{\"valid\":true}}}");
    snprintf(path, sizeof path, "%s/valid.xml", tmp_dir);
    xpath(path, "count(//failure)", got, sizeof got);
    assert_string_equal(got, "0");

    snprintf(text, sizeof text, "{\"valid\":false,\"checkers\":{\"stats\":{\"valid\":true},"
             "\"linearizable\":%s,\"set\":{\"valid\":true}}}", linearizable_invalid);
    write_run("invalid.xml", "t", text);
    snprintf(path, sizeof path, "%s/invalid.xml", tmp_dir);
    xpath(path, "count(//testcase[failure])", got, sizeof got);
    assert_string_equal(got, "1");
    xpath(path, "string(//testcase[failure]/@name)", got, sizeof got);
    assert_string_equal(got, "linearizable");
    xpath(path, "string(/testsuite/@failures)", got, sizeof got);
    assert_string_equal(got, "1");
    xpath(path, "string(/testsuite/properties/property[@name=\"faultline.version\"]/@value)",
          got, sizeof got);
    assert_string_equal(got, fl_version());
    xpath(path, "string(/testsuite/properties/property[@name=\"faultline.commit\"]/@value)",
          got, sizeof got);
    assert_string_equal(got, fl_version_commit());

    write_run("unknown.xml", "t", "{\"valid\":\"unknown\",\"checkers\":{\"set\":"
                                  "{\"valid\":\"unknown\",\"reason\":\"no final read\"}}}");
    snprintf(path, sizeof path, "%s/unknown.xml", tmp_dir);
    xpath(path, "count(//failure)", got, sizeof got);
    assert_string_equal(got, "0");
    xpath(path, "string(//testcase[@name=\"set\"]/skipped/@message)", got, sizeof got);
    assert_string_equal(got, "no final read");
    write_run("none.xml", "t", NULL);
}

/* A test name and a message with markup, quotes, control characters and invalid UTF-8:
 * the file validates, and a parser reads back the text (minus what XML cannot carry). */
static void hostile_text_round_trips(void **state) {
    (void)state;
    if (!FL_XMLLINT[0]) skip();
    static const char evil[] = "<script>alert(\"x\")</script> 'q' & ]]> \x01\xff end";
    json_t *results = json_pack("{s:b,s:{s:{s:b,s:o}}}", "valid", 0, "checkers", "c<h>\"k\"", "valid", 0,
                                "explanation", json_stringn_nocheck(evil, sizeof evil - 1));
    char path[256], err[512], got[4096];
    snprintf(path, sizeof path, "%s/hostile.xml", tmp_dir);
    assert_int_equal(fl_junit_write_run(path, "name<'\">\xfe", results, 1.0, err, sizeof err), 0);
    assert_valid(path);
    xpath(path, "string(//failure/@message)", got, sizeof got);
    assert_string_equal(got, "<script>alert(\"x\")</script> 'q' & ]]> " FFFD " end");
    xpath(path, "string(//testcase/@name)", got, sizeof got);
    assert_string_equal(got, "c<h>\"k\"");
    xpath(path, "string(/testsuite/@name)", got, sizeof got);
    assert_string_equal(got, "name<'\">" FFFD);
    json_decref(results);
}

static void suites_file(void **state) {
    (void)state;
    if (!FL_XMLLINT[0]) skip();
    json_t *ok = parse_json("{\"valid\":true,\"checkers\":{\"linearizable\":{\"valid\":true}}}");
    json_t *bad = parse_json(linearizable_invalid);
    json_t *bad_run = json_pack("{s:b,s:{s:O}}", "valid", 0, "checkers", "linearizable", bad);
    fl_junit_suite suites[3] = {{"a", ok, 1}, {"a", bad_run, 2}, {"b", NULL, 0}};
    char path[256], err[512], got[256];
    snprintf(path, sizeof path, "%s/suites.xml", tmp_dir);
    assert_int_equal(fl_junit_write_suites(path, suites, 3, err, sizeof err), 0);
    assert_valid(path);
    xpath(path, "count(/testsuites/testsuite)", got, sizeof got);
    assert_string_equal(got, "3");
    xpath(path, "concat(/testsuites/@tests, \" \", /testsuites/@failures, \" \", /testsuites/@skipped)",
          got, sizeof got);
    assert_string_equal(got, "3 1 1");
    xpath(path, "string(/testsuites/testsuite[failure or testcase/failure]/@id)", got, sizeof got);
    assert_string_equal(got, "1");
    char expr[256];
    snprintf(expr, sizeof expr, "count(/testsuites/testsuite/properties/property"
             "[@name=\"faultline.commit\"][@value=\"%s\"])", fl_version_commit());
    xpath(path, expr, got, sizeof got);
    assert_string_equal(got, "3"); /* every run of the file, even the one with no results */
    json_decref(ok);
    json_decref(bad);
    json_decref(bad_run);
}

/* faultline suite's form: one testsuite per test holding every run; a harness error is
 * its own testcase "harness" with an <error> (counted in errors, never failures), runs
 * of a test of several are "run K: …", and the runs are listed in its <system-out>. */
static void assert_xpath(const char *file, const char *expr, const char *want) {
    char got[512];
    xpath(file, expr, got, sizeof got);
    assert_string_equal(got, want);
}

static void tests_file_with_runs_and_errors(void **state) {
    (void)state;
    if (!FL_XMLLINT[0]) skip();
    json_t *ok = parse_json("{\"valid\":true,\"checkers\":{\"linearizable\":{\"valid\":true},"
                            "\"perf\":{\"valid\":true}}}");
    json_t *bad = parse_json(linearizable_invalid);
    json_t *bad_run = json_pack("{s:b,s:{s:O}}", "valid", 0, "checkers", "linearizable", bad);
    fl_junit_run a_runs[2] = {{ok, 10, NULL}, {NULL, 1, "setup: n3: connection refused <&>"}};
    fl_junit_run b_runs[1] = {{bad_run, 12, NULL}};
    fl_junit_run c_runs[1] = {{ok, 3, "history: disk full"}};
    fl_junit_test tests[3] = {{"a", a_runs, 2, "run 1: valid; run 2: ERROR"},
                              {"b", b_runs, 1, NULL}, {"c", c_runs, 1, NULL}};
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/tests.xml", tmp_dir);
    assert_int_equal(fl_junit_write_tests(path, tests, 3, err, sizeof err), 0);
    assert_valid(path);
    /* a: 2 + 1, b: 1, c: 1 + 2 */
    assert_xpath(path, "concat(/testsuites/@tests, \" \", /testsuites/@failures, \" \", "
                 "/testsuites/@errors, \" \", /testsuites/@skipped)", "7 1 2 0");
    assert_xpath(path, "concat(//testsuite[@name=\"a\"]/@tests, \" \", //testsuite[@name=\"a\"]/@errors)",
                 "3 1");
    assert_xpath(path, "string(//testsuite[@name=\"a\"]/testcase[3]/@name)", "run 2: harness");
    assert_xpath(path, "string(//testsuite[@name=\"a\"]/testcase[3]/error/@message)",
                 "setup: n3: connection refused <&>");
    assert_xpath(path, "string(//testsuite[@name=\"a\"]/testcase[1]/@name)", "run 1: linearizable");
    assert_xpath(path, "string(//testsuite[@name=\"a\"]/system-out)", "run 1: valid; run 2: ERROR");
    assert_xpath(path, "string(//testsuite[@name=\"b\"]/testcase[failure]/@name)", "linearizable");
    assert_xpath(path, "count(//testsuite[@name=\"c\"]/testcase)", "3");
    json_decref(ok);
    json_decref(bad);
    json_decref(bad_run);
}

static void write_errors_name_the_file(void **state) {
    (void)state;
    char err[512];
    assert_int_equal(fl_junit_write_run("/nonexistent-dir/junit.xml", "t", NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/junit.xml"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes_xml_specials),
        cmocka_unit_test(drops_characters_xml_forbids),
        cmocka_unit_test(replaces_invalid_utf8),
        cmocka_unit_test(repairs_utf8_and_encodes_urls),
        cmocka_unit_test(summary_of_linearizable),
        cmocka_unit_test(summary_of_set_and_others),
        cmocka_unit_test(summary_is_one_bounded_line),
        cmocka_unit_test(reasons_for_unknown),
        cmocka_unit_test(suite_shape),
        cmocka_unit_test(files_validate_against_the_schema),
        cmocka_unit_test(hostile_text_round_trips),
        cmocka_unit_test(suites_file),
        cmocka_unit_test(tests_file_with_runs_and_errors),
        cmocka_unit_test(write_errors_name_the_file),
    };
    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
