/* The report's "Reproduce with" command (reports/html/command.c) read back: the command
 * built from a run's test.json is split into words by a real POSIX shell, parsed by
 * `faultline test`'s own flag parser (harness/run/run_config.c), resolved as a run resolves
 * its settings (harness/run/run_resolve.c), and must give the same test.json config,
 * setting for setting — for the defaults (target options left unset must not become
 * `--target-opt w=`) and for a run with nearly every flag set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "command.h"
#include "target.h"
#include "run_config.h"
#include "run_resolve.h"

#define WORDS_MAX 128

/* Settings the command leaves out on purpose: where runs are stored and how many
 * (a reproduction is the one run whose seed it names). */
/* target-defaults says where settings came from; the command gives them all as flags */
static const char *const not_reproduced[] = {"store", "test-count", "target-defaults", NULL};

/* test.json's config for c, run with seed (a --test-count series: c.seed + i). */
static json_t *resolve(const fl_test_config *c, uint64_t seed) {
    const fl_target *t = fl_target_find(c->target);
    assert_non_null(t);
    char err[256];
    json_t *options = fl_test_target_options(c, t, err, sizeof err);
    if (!options) fail_msg("%s", err);
    json_t *config = fl_test_resolved_config(c, seed, options);
    json_decref(options);
    return config;
}

static void parse(fl_test_config *c, int argc, char **argv) {
    bool help;
    assert_int_equal(fl_test_config_parse(argc, argv, c, &help), 0);
    assert_false(help);
}

/* The words of command as /bin/sh splits them (quotes removed), NUL-separated in buf;
 * their count. */
static int shell_words(const char *command, char *buf, size_t bytes, char **words) {
    char path[] = "/tmp/test_reproduce_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *script = fdopen(fd, "w");
    fprintf(script, "set -- %s\nfor w in \"$@\"; do printf '%%s\\0' \"$w\"; done\n", command);
    fclose(script);
    char run[64];
    snprintf(run, sizeof run, "sh %s", path);
    FILE *out = popen(run, "r");
    assert_non_null(out);
    size_t len = fread(buf, 1, bytes, out);
    assert_int_equal(pclose(out), 0);
    unlink(path);
    assert_true(len < bytes);
    int count = 0;
    for (size_t at = 0; at < len && count < WORDS_MAX; at += strlen(buf + at) + 1)
        words[count++] = buf + at;
    return count;
}

static void assert_same_config(const json_t *want, const json_t *got) {
    json_t *a = json_deep_copy(want), *b = json_deep_copy(got);
    for (size_t i = 0; not_reproduced[i]; i++) {
        json_object_del(a, not_reproduced[i]);
        json_object_del(b, not_reproduced[i]);
    }
    const char *name;
    json_t *v;
    json_object_foreach(a, name, v) {
        if (json_equal(v, json_object_get(b, name))) continue;
        char *x = json_dumps(v, JSON_ENCODE_ANY | JSON_SORT_KEYS);
        char *y = json_dumps(json_object_get(b, name), JSON_ENCODE_ANY | JSON_SORT_KEYS);
        fail_msg("setting %s: run had %s, the reproduce command gives %s", name, x,
                 y ? y : "nothing");
    }
    assert_int_equal(json_object_size(a), json_object_size(b));
    json_decref(a);
    json_decref(b);
}

/* argv → test.json config → command → shell words → flag parser → the same config.
 * Returns the command (free it). */
static char *round_trip(int argc, const char **argv, uint64_t seed_offset) {
    fl_test_config c;
    parse(&c, argc, (char **)argv);
    json_t *config = resolve(&c, c.seed + seed_offset);
    json_t *test = json_pack("{s:O}", "config", config);
    char *command = rp_reproduce_command(test);
    assert_non_null(command);

    static char buf[16384];
    char *words[WORDS_MAX];
    int n = shell_words(command, buf, sizeof buf, words);
    assert_true(n >= 2);
    assert_string_equal(words[0], "faultline");
    assert_string_equal(words[1], "test");
    fl_test_config again;
    parse(&again, n - 1, words + 1); /* argv[0] is "test" */
    assert_true(again.seed_given); /* the run's own seed, never a new one */
    json_t *back = resolve(&again, again.seed);
    assert_same_config(config, back);

    json_decref(back);
    fl_test_config_free(&again);
    json_decref(test);
    json_decref(config);
    fl_test_config_free(&c);
    return command;
}

static void test_default_run(void **state) {
    (void)state;
    const char *argv[] = {"test"};
    char *command = round_trip(1, argv, 0);
    /* quorumkv's w and r have no default (the target picks a majority): not set, not
     * written; timeout_ms has one and is. */
    assert_null(strstr(command, "w="));
    assert_null(strstr(command, "r="));
    assert_non_null(strstr(command, "--target-opt timeout_ms=1000"));
    assert_null(strstr(command, "--bug"));
    /* quorumkv's default fault mix, written out: the command does not lean on defaults */
    assert_non_null(strstr(command, "--nemesis partition,"));
    assert_null(strstr(command, "--nodes-file"));
    assert_non_null(strstr(command, "--seed "));
    free(command);
}

static void test_many_flags(void **state) {
    (void)state;
    const char *argv[] = {
        "test", "--target", "quorumkv", "--bug", "stale-quorum", "--target-opt", "w=2",
        "--target-opt", "timeout_ms=$(reboot) 'x'", "--workload", "set", "--nemesis",
        "partition:majorities-ring,clock:strobe:primaries,kill:one,pause", "--nemesis-interval",
        "2.5", "--at-once", "2", "--nodes-file", "/tmp/my nodes/it's.json", "--concurrency",
        "7", "--rate", "0.5", "--time-limit", "12.25", "--seed", "18000000000000000000",
        "--test-count", "3", "--store", "/tmp/elsewhere", "--name", "mine", "--ops-per-key",
        "50", "--threads-per-key", "3", "--op-timeout", "0.25", "--recovery-time", "0",
        "--check-time-limit", "30"};
    /* the third run of the series: its seed is the one to reproduce */
    char *command = round_trip((int)(sizeof argv / sizeof *argv), argv, 2);
    assert_non_null(strstr(command, "--seed 18000000000000000002"));
    assert_non_null(strstr(command, "--nemesis partition:majorities-ring,clock:strobe:primaries"));
    assert_non_null(strstr(command, "'timeout_ms=$(reboot) '\\''x'\\'''"));
    assert_null(strstr(command, "r="));
    free(command);
}

/* No faults, said outright, comes back as no faults rather than the target's mix. */
static void test_no_faults(void **state) {
    (void)state;
    const char *argv[] = {"test", "--target", "raftkv", "--nemesis", "none", "--seed", "3"};
    char *command = round_trip(7, argv, 0);
    assert_non_null(strstr(command, "--nemesis none"));
    assert_non_null(strstr(command, "--op-timeout 0.5")); /* raftkv's default, written out */
    free(command);
}

/* Settings from a --config file come back as flags. */
static void test_config_file(void **state) {
    (void)state;
    char path[] = "/tmp/test_reproduce_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    dprintf(fd, "{\"target\": \"raftkv\", \"bug\": \"lease-read\", \"time-limit\": 30,\n"
                " \"target-opt\": [\"lease_ms=400\", \"tick_ms=5\"], \"rate\": 0,\n"
                " \"nemesis\": \"partition:primaries,clock:strobe:primaries\"}\n");
    close(fd);
    const char *argv[] = {"test", "--config", path, "--rate", "250", "--seed", "7"};
    char *command = round_trip(7, argv, 0);
    assert_non_null(strstr(command, "--target raftkv --bug lease-read"));
    assert_non_null(strstr(command, "--target-opt lease_ms=400"));
    assert_non_null(strstr(command, "--rate 250")); /* the flag won */
    assert_null(strstr(command, "--config"));
    free(command);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_run),
        cmocka_unit_test(test_many_flags),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_no_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
