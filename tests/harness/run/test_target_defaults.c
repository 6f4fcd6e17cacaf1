/* A target's one default workload and fault mix (harness/target.h): filled in only for
 * the settings nobody gave, named in target_defaults and test.json, the same for the
 * correct mode and every bug; an explicit setting (`--nemesis none` too) wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "target.h"
#include "run_config.h"

static void parse(fl_test_config *c, int argc, const char **argv) {
    bool help;
    assert_int_equal(fl_test_config_parse(argc, (char **)argv, c, &help), 0);
}

static bool filled(const fl_test_config *c, const char *name) {
    for (size_t i = 0; c->target_defaults[i]; i++)
        if (!strcmp(c->target_defaults[i], name)) return true;
    return false;
}

static void test_every_target_declares_a_usable_mix(void **state) {
    (void)state;
    for (size_t i = 0; fl_targets[i]; i++) {
        const fl_target_defaults *d = fl_targets[i]->defaults;
        assert_non_null(d);
        assert_non_null(d->nemesis);
        assert_non_null(d->why);
        assert_true(d->at_once >= 1 && d->concurrency >= 1 && d->op_timeout_s > 0);
    }
}

static void test_nothing_given_takes_the_targets_mix(void **state) {
    (void)state;
    const fl_target *rkv = fl_target_find("raftkv");
    const char *bugs[] = {NULL, "lease-read", "stale-read", "volatile-vote"};
    for (size_t b = 0; b < sizeof bugs / sizeof *bugs; b++) {
        const char *argv[] = {"test", "--target", "raftkv", "--bug", bugs[b]};
        fl_test_config c;
        parse(&c, bugs[b] ? 5 : 3, argv);
        /* never a default per bug: the same mix for each */
        assert_string_equal(c.nemesis, rkv->defaults->nemesis);
        assert_int_equal(c.at_once, rkv->defaults->at_once);
        assert_int_equal(c.concurrency, rkv->defaults->concurrency);
        assert_true(c.op_timeout_s == rkv->defaults->op_timeout_s);
        assert_true(filled(&c, "nemesis") && filled(&c, "op-timeout"));
        json_t *j = fl_test_config_json(&c);
        json_t *td = json_object_get(j, "target-defaults");
        assert_int_equal(json_array_size(json_object_get(td, "settings")), 7);
        assert_true(c.nemesis_delay_s == rkv->defaults->nemesis_delay_s);
        assert_string_equal(json_string_value(json_object_get(td, "why")), rkv->defaults->why);
        json_decref(j);
        fl_test_config_free(&c);
    }
}

static void test_explicit_settings_win(void **state) {
    (void)state;
    const char *argv[] = {"test", "--target", "raftkv", "--nemesis", "kill:one",
                          "--op-timeout", "2", "--concurrency", "3"};
    fl_test_config c;
    parse(&c, 9, argv);
    assert_string_equal(c.nemesis, "kill:one");
    assert_true(c.op_timeout_s == 2);
    assert_int_equal(c.concurrency, 3);
    assert_false(filled(&c, "nemesis") || filled(&c, "op-timeout") || filled(&c, "concurrency"));
    assert_true(filled(&c, "at-once") && filled(&c, "nemesis-interval"));
    assert_true(filled(&c, "nemesis-delay"));
    fl_test_config_free(&c);
}

static void test_none_means_no_faults(void **state) {
    (void)state;
    const char *argv[] = {"test", "--target", "quorumkv", "--nemesis", "none"};
    fl_test_config c;
    parse(&c, 5, argv);
    assert_null(c.nemesis);
    assert_false(filled(&c, "nemesis"));
    fl_test_config_free(&c);
}

/* A suite entry or --config file counts as given, as a flag does. */
static void test_settings_object_counts_as_given(void **state) {
    (void)state;
    fl_test_config c;
    fl_test_config_init(&c);
    json_t *s = json_pack("{s:s,s:s,s:i}", "target", "quorumkv", "nemesis", "", "at-once", 1);
    assert_int_equal(fl_test_config_apply_json(&c, s, "here"), 0);
    json_decref(s);
    fl_test_config_apply_target_defaults(&c);
    assert_null(c.nemesis);
    assert_int_equal(c.at_once, 1);
    assert_true(filled(&c, "workload"));
    fl_test_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_target_declares_a_usable_mix),
        cmocka_unit_test(test_nothing_given_takes_the_targets_mix),
        cmocka_unit_test(test_explicit_settings_win),
        cmocka_unit_test(test_none_means_no_faults),
        cmocka_unit_test(test_settings_object_counts_as_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
