/* Unit tests of the shell quoting that every command sent to a node goes through (shell_quote.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "shell_quote.h"

static void expect_quote(const char *arg, const char *want) {
    char *q = fl_shell_quote(arg);
    assert_non_null(q);
    assert_string_equal(q, want);
    free(q);
}

static void test_plain_words(void **state) {
    (void)state;
    expect_quote("abc", "'abc'");
    expect_quote("/var/lib/faultline", "'/var/lib/faultline'");
    expect_quote("-rf", "'-rf'");
    expect_quote("n3", "'n3'");
}

static void test_spaces_and_tabs(void **state) {
    (void)state;
    expect_quote("a b", "'a b'");
    expect_quote("  lead and trail  ", "'  lead and trail  '");
    expect_quote("a\tb", "'a\tb'");
}

static void test_single_quotes(void **state) {
    (void)state;
    expect_quote("it's", "'it'\\''s'");
    expect_quote("'", "''\\'''");
    expect_quote("''", "''\\'''\\'''");
    expect_quote("'; rm -rf /; '", "''\\''; rm -rf /; '\\'''");
}

static void test_substitutions_stay_literal(void **state) {
    (void)state;
    expect_quote("$(reboot)", "'$(reboot)'");
    expect_quote("`reboot`", "'`reboot`'");
    expect_quote("$HOME ${PATH}", "'$HOME ${PATH}'");
    expect_quote("a;b|c&&d>e<f", "'a;b|c&&d>e<f'");
    expect_quote("*?[a]~!#", "'*?[a]~!#'");
    expect_quote("\\", "'\\'");
    expect_quote("\"", "'\"'");
}

static void test_newlines(void **state) {
    (void)state;
    expect_quote("a\nb", "'a\nb'");
    expect_quote("\n", "'\n'");
    expect_quote("x\n$(reboot)\n", "'x\n$(reboot)\n'");
}

static void test_empty(void **state) {
    (void)state;
    expect_quote("", "''");
    expect_quote(NULL, "''");
}

static void test_join(void **state) {
    (void)state;
    const char *argv[] = {"echo", "a b", "", "it's"};
    char *line = fl_shell_join(argv, 4);
    assert_non_null(line);
    assert_string_equal(line, "'echo' 'a b' '' 'it'\\''s'");
    free(line);
    line = fl_shell_join(argv, 1);
    assert_string_equal(line, "'echo'");
    free(line);
    line = fl_shell_join(NULL, 0);
    assert_non_null(line);
    assert_string_equal(line, "");
    free(line);
}

/* Strings that would break or inject into a badly quoted command line. */
static const char *const nasty[] = {
    "", " ", "plain", "a b", "'", "''", "it's", "'\\''", "\"", "\"'\"", "\\", "\\'", "\\\\n",
    "$(echo pwned)", "`echo pwned`", "$HOME", "${HOME}", "$$", "$?", "$'\\x41'", "a;b", "a|b",
    "a&&b", "a||b", "a&", ">x", "<x", "2>&1", "*", "?", "[a-z]", "~", "~root", "#x", "x #y",
    "!", "!!", "!$", "-n", "--", "-e \\n", "%s%d%n", "\n", "a\nb", "\n\n", "\t", "\r\n",
    "\x01\x02\x1b[31m\x7f", "{a,b}", "a=b", "$((1+1))", "(x)", "x)", "é — 😀", "'$(echo y)'",
    "';echo pwned;'", "\"$(echo pwned)\"", "if", "then", "fi", "do", "done", "{", "}", "time",
};

/* Runs line through /bin/sh (popen) and returns what it printed (malloc'd, length in *len). */
static char *run_sh(const char *line, size_t *len) {
    FILE *p = popen(line, "r");
    char *buf = NULL;
    size_t cap = 0;
    FILE *mem = open_memstream(&buf, &cap);
    assert_non_null(p);
    assert_non_null(mem);
    for (int c; (c = fgetc(p)) != EOF;)
        fputc(c, mem);
    assert_int_equal(fclose(mem), 0);
    assert_int_equal(pclose(p), 0);
    *len = cap;
    return buf;
}

static void expect_printed(const char *line, const char *want) {
    size_t len;
    char *got = run_sh(line, &len);
    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("%s printed [%.*s], not [%s]", line, (int)len, got, want);
    free(got);
}

/* printf %s <quoted> gives back the string byte for byte, through one shell and through a
 * second one (sh -c <quoted command>, as with sudo), so nothing in it was ever syntax. */
static void test_shell_round_trip(void **state) {
    (void)state;
    const char *shells[] = {"sh", "bash", "dash"};
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
        char *q = fl_shell_quote(nasty[i]), *cmd = NULL;
        assert_true(asprintf(&cmd, "printf %%s %s", q) > 0);
        expect_printed(cmd, nasty[i]);
        for (size_t k = 0; k < sizeof shells / sizeof shells[0]; k++) {
            char path[32];
            snprintf(path, sizeof path, "/bin/%s", shells[k]);
            if (access(path, X_OK) != 0)
                continue;
            const char *argv[] = {shells[k], "-c", cmd};
            char *nested = fl_shell_join(argv, 3);
            expect_printed(nested, nasty[i]);
            free(nested);
        }
        free(cmd);
        free(q);
    }
}

/* fl_shell_join keeps every argument one word: printf '[%s]' shows the word boundaries. */
static void test_join_round_trip(void **state) {
    (void)state;
    size_t n = sizeof nasty / sizeof nasty[0], wlen = 0;
    const char **argv = calloc(n + 2, sizeof *argv);
    char *want = NULL;
    FILE *w = open_memstream(&want, &wlen);
    argv[0] = "printf";
    argv[1] = "[%s]";
    for (size_t i = 0; i < n; i++) {
        argv[i + 2] = nasty[i];
        fprintf(w, "[%s]", nasty[i]);
    }
    fclose(w);
    char *line = fl_shell_join(argv, n + 2);
    expect_printed(line, want);
    free(line);
    free(want);
    free(argv);
}

/* A long argument full of quotes, and a canary file that an injection would create. */
static void test_no_injection(void **state) {
    (void)state;
    char dir[] = "/tmp/fl_quote_XXXXXX", canary[64], *evil = NULL, *q, *cmd = NULL;
    assert_non_null(mkdtemp(dir));
    snprintf(canary, sizeof canary, "%s/pwned", dir);
    assert_true(asprintf(&evil, "'; touch %s; ' \" $(touch %s) `touch %s` \n touch %s", canary,
                         canary, canary, canary) > 0);
    q = fl_shell_quote(evil);
    assert_true(asprintf(&cmd, "printf %%s %s", q) > 0);
    expect_printed(cmd, evil);
    assert_int_not_equal(access(canary, F_OK), 0);
    free(cmd);
    free(q);
    free(evil);

    size_t len = 20000;
    char *big = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        big[i] = "a'b\"$`\\\n "[i % 9];
    big[len] = '\0';
    q = fl_shell_quote(big);
    assert_true(asprintf(&cmd, "printf %%s %s", q) > 0);
    expect_printed(cmd, big);
    free(cmd);
    free(q);
    free(big);
    assert_int_equal(rmdir(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_words),
        cmocka_unit_test(test_spaces_and_tabs),
        cmocka_unit_test(test_single_quotes),
        cmocka_unit_test(test_substitutions_stay_literal),
        cmocka_unit_test(test_newlines),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_shell_round_trip),
        cmocka_unit_test(test_join_round_trip),
        cmocka_unit_test(test_no_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
