/* faultline's version and build commit (version/): the version is CMakeLists.txt's
 * project version, the commit a short string a C literal, XML and JSON carry as it is,
 * `faultline --version`'s line is made of the two, and the "faultline" object of
 * test.json and results.json holds the same two and replaces an older one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "version.h"
#include "version_json.h"

static void version_is_the_project_version(void **state) {
    (void)state;
    assert_string_equal(fl_version(), FL_PROJECT_VERSION);
}

static void commit_is_short_and_plain(void **state) {
    (void)state;
    const char *c = fl_version_commit();
    size_t n = strlen(c);
    assert_true(n > 0 && n < 128);
    assert_int_equal(strspn(c, "0123456789abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ._+/-"), n);
}

static void line_is_version_and_commit(void **state) {
    (void)state;
    char want[256];
    snprintf(want, sizeof want, "faultline %s (commit %s)", fl_version(), fl_version_commit());
    assert_string_equal(fl_version_line(), want);
}

static void json_object_and_stamp(void **state) {
    (void)state;
    json_t *v = fl_version_json();
    assert_int_equal(json_object_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(v, "version")), fl_version());
    assert_string_equal(json_string_value(json_object_get(v, "commit")), fl_version_commit());
    json_t *results = json_pack("{s:b,s:{},s:s}", "valid", 1, "checkers", "faultline", "0.1");
    fl_version_stamp(results); /* an older test.json's bare "0.1" is replaced */
    assert_true(json_equal(json_object_get(results, "faultline"), v));
    assert_int_equal(json_object_size(results), 3);
    json_t *list = json_array();
    fl_version_stamp(list); /* not an object: left alone */
    fl_version_stamp(NULL);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    json_decref(results);
    json_decref(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_is_the_project_version),
        cmocka_unit_test(commit_is_short_and_plain),
        cmocka_unit_test(line_is_version_and_commit),
        cmocka_unit_test(json_object_and_stamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
