/* The --nemesis fault spec: kinds with and without variants, and errors that list what
 * is allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "spec.h"

static void parses(void **state) {
    (void)state;
    fl_fault_spec s;
    char err[256];
    assert_int_equal(fl_fault_spec_parse("partition,kill:one,clock:strobe,netem:delay,pause",
                                         &s, err, sizeof err), 0);
    assert_int_equal(s.count, 5);
    assert_int_equal(s.faults[0].kind, FL_FAULT_PARTITION);
    assert_int_equal(s.faults[0].variant, -1);
    assert_string_equal(fl_fault_variants(FL_FAULT_KILL)[s.faults[1].variant], "one");
    assert_string_equal(fl_fault_variants(FL_FAULT_CLOCK)[s.faults[2].variant], "strobe");
    assert_int_equal(s.faults[4].kind, FL_FAULT_PAUSE);
    assert_int_equal(s.faults[2].targets, -1);
    assert_int_equal(fl_fault_spec_parse("partition:majorities-ring", &s, err, sizeof err), 0);
    assert_int_equal(fl_fault_spec_parse("clock:strobe:primaries,clock:bump:minority", &s, err,
                                         sizeof err), 0);
    assert_string_equal(fl_fault_variants(FL_FAULT_CLOCK)[s.faults[0].variant], "strobe");
    assert_string_equal(fl_fault_targets()[s.faults[0].targets], "primaries");
    assert_string_equal(fl_fault_targets()[s.faults[1].targets], "minority");
    assert_int_equal(s.step_count, 2);
    assert_int_equal(fl_fault_spec_parse("netem:reorder:one", &s, err, sizeof err), 0);
    assert_string_equal(fl_fault_variants(FL_FAULT_NETEM)[s.faults[0].variant], "reorder");
    assert_string_equal(fl_fault_targets()[s.faults[0].targets], "one");
    assert_int_equal(fl_fault_spec_parse("netem:slow-flows:all", &s, err, sizeof err), 0);
    assert_string_equal(fl_fault_variants(FL_FAULT_NETEM)[s.faults[0].variant], "slow-flows");
    assert_string_equal(fl_fault_targets()[s.faults[0].targets], "all");
}

/* A+B is one step of two faults; commas separate steps. */
static void packages(void **state) {
    (void)state;
    fl_fault_spec s;
    char err[256];
    assert_int_equal(fl_fault_spec_parse("clock:strobe:primaries+partition:primaries,kill,"
                                         "partition+kill:minority+pause", &s, err, sizeof err), 0);
    assert_int_equal(s.count, 6);
    assert_int_equal(s.step_count, 3);
    assert_true(s.steps[0].first == 0 && s.steps[0].count == 2);
    assert_true(s.steps[1].first == 2 && s.steps[1].count == 1);
    assert_true(s.steps[2].first == 3 && s.steps[2].count == 3);
    assert_int_equal(s.faults[1].kind, FL_FAULT_PARTITION);
    assert_int_equal(s.faults[5].kind, FL_FAULT_PAUSE);
}

static void errors(void **state) {
    (void)state;
    static const struct { const char *text, *says; } cases[] = {
        {"flood", "unknown fault 'flood'; faults: partition, kill"},
        {"partition:triangle", "partition has no variant 'triangle'; variants: halves"},
        {"kill,", "empty"},
        {"", "empty"},
        {"clock:bump:x", "clock:bump cannot target 'x'; targets: one, minority"},
        {"clock:reset:one", "'clock:reset' takes no node choice"},
        {"kill:one:primaries", "'kill:one' takes no node choice"},
        {"netem:reorder:some", "netem:reorder cannot target 'some'; targets: one, minority"},
        {"clock:bump+clock:strobe", "holds one fault of each kind, and it has two of clock"},
        {"kill+", "empty"},
        {"+kill", "empty"},
        {"kill,+pause", "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fl_fault_spec s;
        char err[256] = "";
        assert_int_equal(fl_fault_spec_parse(cases[i].text, &s, err, sizeof err), -1);
        if (!strstr(err, cases[i].says)) fail_msg("\"%s\": %s", cases[i].text, err);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(parses), cmocka_unit_test(packages),
                                       cmocka_unit_test(errors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
