/* faultline: the controller's command line; one subcommand per concern. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "exit_codes.h"
#include "version.h"

/* `faultline version` (and `faultline --version`): one line, exit 0. */
static int cmd_version(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: faultline version (or faultline --version)\n"
               "  Prints faultline's version and the git commit it was built from\n"
               "  (\"unknown\" for a build from a tarball), as test.json, results.json,\n"
               "  junit.xml and report.html record them.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "faultline version: unexpected argument '%s'\n", argv[1]);
        return FL_EXIT_USAGE;
    }
    printf("%s\n", fl_version_line());
    return 0;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"test", fl_cmd_test, "run a test: clients and faults against a target, then check the history"},
    {"suite", fl_cmd_suite, "run a suite file's tests (a list and/or a matrix), sharded for CI"},
    {"zoo", fl_cmd_zoo, "run every target's correct mode and seeded bug; print the detection matrix"},
    {"targets", fl_cmd_targets, "list the targets, their options and seeded bugs"},
    {"check", fl_cmd_check, "check histories offline (linearizability per key)"},
    {"report", fl_cmd_report, "write a run's self-contained HTML report (report.html)"},
    {"serve", fl_cmd_serve, "serve a store's runs and reports over HTTP (loopback by default)"},
    {"convert", fl_cmd_convert, "convert a history between JSON Lines and Jepsen EDN"},
    {"cluster", fl_cmd_cluster, "bring the local cluster of namespace nodes up, down, or check it"},
    {"exec", fl_cmd_exec, "run a command on every node in parallel"},
    {"nemesis", fl_cmd_nemesis, "inject faults alone (no workload), printing nemesis events"},
    {"version", cmd_version, "print the version and the git commit this faultline was built from"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: faultline COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'faultline COMMAND --help' describes a command; 'faultline --version' "
                 "prints the version:\n%s.\n"
                 "exit codes: 0 valid, 1 anomaly, 2 unknown, 3 harness error, 64 usage, "
                 "65 malformed input\n", fl_version_line());
}

int main(int argc, char **argv) {
    fl_lin_tune_malloc();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? FL_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "faultline: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return FL_EXIT_USAGE;
}
