/* `faultline report`: (re)writes a run directory's report.html; with --model or
 * --workload it first checks the directory's history.jsonl and writes results.json, so
 * a directory holding only a history gets a report too. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "exit_codes.h"
#include "primaries.h"
#include "history.h"
#include "report.h"
#include "version_json.h"
#include "workload.h"

#define PATH_BYTES 4352

static const char usage_text[] =
    "usage: faultline report [--model M | --workload W] [--max-ops N] RUN_DIR\n"
    "  Writes RUN_DIR/report.html from RUN_DIR/history.jsonl, results.json and test.json.\n"
    "  --model M             first check history.jsonl for linearizability with model M\n"
    "                        (register, cas-register, kv, list-append, set, counter,\n"
    "                        fifo-queue, mutex) and write RUN_DIR/results.json\n"
    "  --workload W          first check it with workload W's checkers (register, set,\n"
    "                        list-append) and write RUN_DIR/results.json\n"
    "  --check-time-limit S  give up checking after S seconds (verdict unknown; default 120)\n"
    "  --max-ops N           client ops the page embeds (default 50000; ops that anomalies\n"
    "                        name are always in)\n"
    "exit: 0 written, 64 usage (or no results.json and neither --model nor --workload),\n"
    "      65 malformed input (the file and line are named), 3 the report could not be written\n";

typedef struct report_args {
    const char *model, *workload, *run_dir;
    double check_time_limit_s;
    fl_report_options report;
} report_args;

static int parse_positive(const char *s, double *out) {
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno || end == s || *end || !(*out > 0) ? -1 : 0;
}

/* 0 to go on, 1 after --help, -1 on a usage error (printed). */
static int parse_args(int argc, char **argv, report_args *a) {
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},   {"workload", required_argument, NULL, 'w'},
        {"max-ops", required_argument, NULL, 'n'}, {"check-time-limit", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int c;
    double number;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'w': a->workload = optarg; break;
        case 'n':
            if (parse_positive(optarg, &number) || number > 1e8) goto bad;
            a->report.max_ops = (size_t)number;
            break;
        case 't':
            if (parse_positive(optarg, &a->check_time_limit_s)) goto bad;
            break;
        case 'h': printf("%s", usage_text); return 1;
        default: fputs(usage_text, stderr); return -1;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "faultline report: name one run directory\n%s", usage_text);
        return -1;
    }
    a->run_dir = argv[optind];
    if (a->model && a->workload) {
        fputs("faultline report: give --model or --workload, not both\n", stderr);
        return -1;
    }
    if (a->model && !fl_model_find(a->model)) {
        fprintf(stderr, "faultline report: unknown model '%s'; models:", a->model);
        for (const fl_model *const *m = fl_models(); *m; m++) fprintf(stderr, " %s", (*m)->name);
        fputc('\n', stderr);
        return -1;
    }
    if (a->workload && !fl_workload_find(a->workload)) {
        fprintf(stderr, "faultline report: unknown workload '%s'; workloads:", a->workload);
        for (size_t i = 0; fl_workloads[i]; i++) fprintf(stderr, " %s", fl_workloads[i]->name);
        fputc('\n', stderr);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "faultline report: bad value '%s' for --%s\n", optarg,
            c == 'n' ? "max-ops" : "check-time-limit");
    return -1;
}

static json_t *check_linearizable(const report_args *a, const fl_history *h, fl_error *err) {
    fl_lin_options lin = {.model = fl_model_find(a->model),
                          .time_limit_s = a->check_time_limit_s,
                          .full_certificates = false};
    /* memory_limit_bytes 0: the checker's own bound, so a search never takes the machine
     * down (2 GiB or a quarter of RAM) */
    json_t *r = fl_check_linearizable(h, &lin, err);
    if (!r) return NULL;
    json_t *results = json_object();
    json_object_set(results, "valid", json_object_get(r, "valid"));
    json_object_set_new(results, "checkers", json_pack("{s:o}", "linearizable", r));
    return results;
}

static json_t *check_workload(const report_args *a, const fl_history *h, fl_error *err) {
    const fl_workload_def *def = fl_workload_find(a->workload);
    fl_workload_options wo = {.target_ops = fl_workload_all_ops,
                              .check_time_limit_s = a->check_time_limit_s};
    char why[512];
    fl_workload *w = def->create(&wo, why, sizeof why);
    if (!w) {
        fl_error_set(err, a->workload, 0, 0, "cannot set up the workload: %s", why);
        return NULL;
    }
    size_t refused = 0, checkers = 0;
    while (def->checkers[checkers]) checkers++;
    json_t *results = fl_workload_check(def, w, h, a->run_dir, &refused, err);
    def->free(w);
    if (refused == checkers) { /* nothing checked: the history does not fit the workload */
        json_decref(results);
        return NULL;
    }
    if (refused > 0) { /* recorded as unknown in results; said here too */
        char msg[1200];
        fl_error_format(err, msg, sizeof msg);
        fprintf(stderr, "faultline report: %s\n", msg);
    }
    return results;
}

/* Check RUN_DIR/history.jsonl and write RUN_DIR/results.json; an exit code. */
static int check_history(const report_args *a) {
    char path[PATH_BYTES], tmp[PATH_BYTES + 32], msg[1200];
    snprintf(path, sizeof path, "%.4000s/history.jsonl", a->run_dir);
    fl_read_options ro = {.allow_truncated = true, .independent = -1};
    fl_history *h;
    fl_error err;
    int rc = fl_history_read_file(path, &ro, &h, &err);
    if (rc != FL_READ_OK) {
        fl_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "faultline report: %s\n", msg);
        return rc == FL_READ_MALFORMED ? FL_EXIT_DATAERR : FL_EXIT_HARNESS;
    }
    json_t *results = a->model ? check_linearizable(a, h, &err) : check_workload(a, h, &err);
    json_t *primaries = results ? fl_history_primaries(h) : NULL; /* who was primary when */
    if (primaries) json_object_set_new(results, "primaries", primaries);
    fl_history_free(h);
    if (!results) {
        fl_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "faultline report: %s\n", msg);
        return FL_EXIT_DATAERR;
    }
    fl_version_stamp(results);
    snprintf(path, sizeof path, "%.4000s/results.json", a->run_dir);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    rc = json_dump_file(results, tmp, JSON_INDENT(1)) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    json_decref(results);
    if (rc != 0) {
        fprintf(stderr, "faultline report: writing %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return FL_EXIT_HARNESS;
    }
    return 0;
}

int fl_cmd_report(int argc, char **argv) {
    report_args a = {.check_time_limit_s = 120};
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed > 0 ? FL_EXIT_VALID : FL_EXIT_USAGE;
    struct stat st;
    if (stat(a.run_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "faultline report: %s is not a directory (name a run directory "
                        "holding history.jsonl)\n", a.run_dir);
        return FL_EXIT_USAGE;
    }
    char path[PATH_BYTES];
    if (a.model || a.workload) {
        int rc = check_history(&a);
        if (rc != 0) return rc;
    } else {
        snprintf(path, sizeof path, "%.4000s/results.json", a.run_dir);
        if (access(path, F_OK) != 0) {
            fprintf(stderr, "faultline report: %s has no results.json; pass --model M (e.g. "
                            "cas-register) or --workload W (e.g. register) to check its "
                            "history.jsonl first\n", a.run_dir);
            return FL_EXIT_USAGE;
        }
    }
    char err[1200];
    int rc = fl_report_write(a.run_dir, &a.report, err, sizeof err);
    if (rc != FL_REPORT_OK) {
        fprintf(stderr, "faultline report: %s\n", err);
        return rc == FL_REPORT_MALFORMED ? FL_EXIT_DATAERR : FL_EXIT_HARNESS;
    }
    printf("%.4000s/report.html\n", a.run_dir);
    return FL_EXIT_VALID;
}
