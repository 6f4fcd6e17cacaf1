/* `faultline test` settings: defaults, flags, a --config file that flags override,
 * and bad values (64) or a bad file (65, naming the file and line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "run_config.h"

static int parse(fl_test_config *c, int argc, const char **argv) {
    bool help;
    /* stderr noise from refusals is expected */
    return fl_test_config_parse(argc, (char **)argv, c, &help);
}

static void defaults_and_flags(void **state) {
    (void)state;
    fl_test_config c;
    const char *argv[] = {"test", "--bug", "stale-quorum", "--nemesis", "partition,kill",
                          "--time-limit", "30", "--seed", "12345678901234", "--target-opt",
                          "w=3", "--rate", "0"};
    assert_int_equal(parse(&c, 13, argv), 0);
    assert_string_equal(c.target, "quorumkv");
    assert_string_equal(c.workload, "register");
    assert_string_equal(c.bug, "stale-quorum");
    assert_string_equal(c.nemesis, "partition,kill");
    assert_true(c.time_limit_s == 30 && c.rate == 0 && c.concurrency == 10);
    assert_true(c.seed == 12345678901234ULL && c.seed_given);
    assert_int_equal(c.opt_count, 1);
    assert_string_equal(c.opt_names[0], "w");
    assert_string_equal(c.opt_values[0], "3");
    json_t *j = fl_test_config_json(&c);
    assert_string_equal(json_string_value(json_object_get(j, "seed")), "12345678901234");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "target-opt"), "w")), "3");
    json_decref(j);
    fl_test_config_free(&c);
}

static void config_file_then_flags(void **state) {
    (void)state;
    char path[] = "/tmp/fl-config-XXXXXX";
    int fd = mkstemp(path);
    dprintf(fd, "{\"workload\": \"set\", \"time-limit\": 12, \"concurrency\": 4,\n"
                " \"target-opt\": [\"r=2\", \"timeout_ms=500\"]}\n");
    close(fd);
    fl_test_config c;
    const char *argv[] = {"test", "--concurrency", "7", "--config", path};
    assert_int_equal(parse(&c, 5, argv), 0);
    assert_string_equal(c.workload, "set");
    assert_true(c.time_limit_s == 12);
    assert_int_equal(c.concurrency, 7); /* the flag wins, wherever it stands */
    assert_int_equal(c.opt_count, 2);
    assert_string_equal(c.opt_names[1], "timeout_ms");
    fl_test_config_free(&c);
    unlink(path);
}

static void refusals(void **state) {
    (void)state;
    fl_test_config c;
    const char *bad_number[] = {"test", "--time-limit", "soon"};
    assert_int_equal(parse(&c, 3, bad_number), 64);
    fl_test_config_free(&c);
    const char *bad_opt[] = {"test", "--target-opt", "novalue"};
    assert_int_equal(parse(&c, 3, bad_opt), 64);
    fl_test_config_free(&c);
    const char *stray[] = {"test", "extra"};
    assert_int_equal(parse(&c, 2, stray), 64);
    fl_test_config_free(&c);

    char path[] = "/tmp/fl-config-XXXXXX";
    int fd = mkstemp(path);
    dprintf(fd, "{\"target\": \"quorumkv\",\n \"rate\": }\n");
    close(fd);
    const char *bad_file[] = {"test", "--config", path};
    assert_int_equal(parse(&c, 3, bad_file), 65);
    fl_test_config_free(&c);
    fd = open(path, O_WRONLY | O_TRUNC);
    dprintf(fd, "{\"speed\": 3}\n");
    close(fd);
    assert_int_equal(parse(&c, 3, bad_file), 65);
    fl_test_config_free(&c);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_and_flags),
        cmocka_unit_test(config_file_then_flags),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
