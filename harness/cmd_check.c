/* `faultline check`: check history files offline and report verdicts, as text or as
 * results.json (DESIGN.md "Conventions"), with the exit codes of DESIGN.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "exit_codes.h"
#include "history.h"

static const char usage_text[] =
    "usage: faultline check [OPTIONS] HISTORY...\n"
    "  Checks each history (JSON Lines or Jepsen history.edn) for linearizability, per key.\n"
    "  --model M               register, cas-register, kv, list-append, set, counter,\n"
    "                          fifo-queue, mutex (default: inferred from the ops)\n"
    "  --certify               re-check every verdict's certificate with the separate verifier\n"
    "  --check-time-limit S    give up (verdict unknown) after S seconds\n"
    "  --check-memory-limit MB give up (verdict unknown) past MB MiB of search state\n"
    "                          (default: half of physical memory)\n"
    "  --threads N             keys checked in parallel (default: one per core)\n"
    "  --all-keys              keep checking the other keys once one is invalid\n"
    "  --allow-truncated       skip a truncated last line (a crashed writer) and check the rest\n"
    "  --independent auto|yes|no  EDN values [k v] are jepsen.independent tuples (default auto)\n"
    "  --json                  print results as JSON on stdout\n"
    "  --out FILE              write results.json to FILE\n"
    "  --brief                 leave valid keys' linearizations out of the JSON\n"
    "exit: 0 valid, 1 anomaly, 2 unknown, 3 a certificate did not verify, 64 usage,\n"
    "      65 a history that does not parse or does not fit the model\n";

typedef struct check_args {
    const char *model;
    const char *out_path;
    bool json;
    fl_lin_options lin;
    fl_read_options read;
} check_args;

static int parse_independent(const char *s, int *out) {
    if (!strcmp(s, "auto")) *out = -1;
    else if (!strcmp(s, "yes")) *out = 1;
    else if (!strcmp(s, "no")) *out = 0;
    else return -1;
    return 0;
}

static int parse_number(const char *s, double *out) {
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno || end == s || *end || *out < 0 ? -1 : 0;
}

static int parse_args(int argc, char **argv, check_args *a) {
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},   {"certify", no_argument, NULL, 'c'},
        {"check-time-limit", required_argument, NULL, 't'},
        {"check-memory-limit", required_argument, NULL, 'M'},
        {"threads", required_argument, NULL, 'j'}, {"allow-truncated", no_argument, NULL, 'a'},
        {"independent", required_argument, NULL, 'i'}, {"json", no_argument, NULL, 'J'},
        {"out", required_argument, NULL, 'o'},     {"brief", no_argument, NULL, 'b'},
        {"all-keys", no_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int c;
    double number;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'c': a->lin.certify = true; break;
        case 't':
            if (parse_number(optarg, &a->lin.time_limit_s)) goto bad;
            break;
        case 'M':
            if (parse_number(optarg, &number)) goto bad;
            a->lin.memory_limit_bytes = (size_t)(number * 1048576.0);
            break;
        case 'j':
            if (parse_number(optarg, &number) || number < 1) goto bad;
            a->lin.threads = (int)number;
            break;
        case 'a': a->read.allow_truncated = true; break;
        case 'i':
            if (parse_independent(optarg, &a->read.independent)) goto bad;
            break;
        case 'J': a->json = true; break;
        case 'o': a->out_path = optarg; break;
        case 'b': a->lin.full_certificates = false; break;
        case 'A': a->lin.all_keys = true; break;
        case 'h': printf("%s", usage_text); return 1;
        default: fputs(usage_text, stderr); return -1;
        }
    }
    if (optind >= argc) {
        fputs("faultline check: name at least one history file\n", stderr);
        return -1;
    }
    if (a->model && !fl_model_find(a->model)) {
        fprintf(stderr, "faultline check: unknown model '%s'; models:", a->model);
        for (const fl_model *const *m = fl_models(); *m; m++) fprintf(stderr, " %s", (*m)->name);
        fputc('\n', stderr);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "faultline check: bad value '%s' for --%s\n", optarg,
            c == 't' ? "check-time-limit" : c == 'M' ? "check-memory-limit"
            : c == 'j' ? "threads" : "independent");
    return -1;
}

static int verdict_exit(const json_t *valid) {
    return json_is_true(valid) ? FL_EXIT_VALID : json_is_false(valid) ? FL_EXIT_ANOMALY
                                                                       : FL_EXIT_UNKNOWN;
}

static const char *verdict_word(const json_t *valid) {
    return json_is_true(valid) ? "valid" : json_is_false(valid) ? "INVALID" : "unknown";
}

/* Human-readable lines for one history's result. */
static void print_summary(const char *path, const json_t *r) {
    const json_t *certified = json_object_get(r, "certified");
    printf("%s: %s (%s; %lld ops, %lld keys: %lld valid, %zu invalid, %zu unknown; %.3f s)%s\n",
           path, verdict_word(json_object_get(r, "valid")),
           json_string_value(json_object_get(r, "model")),
           json_integer_value(json_object_get(r, "ops")),
           json_integer_value(json_object_get(r, "key_count")),
           json_integer_value(json_object_get(r, "valid_keys")),
           json_array_size(json_object_get(r, "invalid_keys")),
           json_array_size(json_object_get(r, "unknown_keys")),
           json_real_value(json_object_get(r, "seconds")),
           !certified                ? ""
           : json_is_true(certified) ? " certified"
           : json_is_false(certified) ? " CERTIFICATE FAILED"
                                      : " certificate undecided");
    const char *name;
    json_t *k;
    json_object_foreach(json_object_get(r, "keys"), name, k) {
        const json_t *valid = json_object_get(k, "valid");
        if (json_is_true(valid) && !json_object_get(k, "certificate_problem")) continue;
        printf("  key %s: %s", name, verdict_word(valid));
        const json_t *why = json_object_get(k, json_is_string(valid) ? "reason" : "explanation");
        if (why) printf(": %s", json_string_value(why));
        const json_t *window = json_object_get(k, "window");
        if (window)
            printf(" (window: %zu ops up to index %lld)",
                   json_array_size(json_object_get(window, "ops")),
                   json_integer_value(json_object_get(window, "cut_index")));
        const json_t *problem = json_object_get(k, "certificate_problem");
        if (problem) printf("; certificate problem: %s", json_string_value(problem));
        putchar('\n');
    }
    if (json_object_get(r, "warning"))
        printf("  warning: %s\n", json_string_value(json_object_get(r, "warning")));
}

/* Check one file: its exit code, and its results.json object in *out (or NULL). */
static int check_one(const char *path, check_args *a, json_t **out) {
    *out = NULL;
    fl_history *h;
    fl_error err;
    char msg[1200];
    int rc = fl_history_read_file(path, &a->read, &h, &err);
    if (rc != FL_READ_OK) {
        fl_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "faultline check: %s\n", msg);
        return rc == FL_READ_MALFORMED ? FL_EXIT_DATAERR : FL_EXIT_HARNESS;
    }
    fl_lin_options lin = a->lin;
    lin.model = a->model ? fl_model_find(a->model) : fl_model_infer(h);
    if (!lin.model) {
        fprintf(stderr, "faultline check: %s: cannot tell which model fits these ops; "
                        "name one with --model\n", path);
        fl_history_free(h);
        return FL_EXIT_USAGE;
    }
    json_t *r = fl_check_linearizable(h, &lin, &err);
    fl_history_free(h);
    if (!r) {
        fl_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "faultline check: %s\n", msg);
        return FL_EXIT_DATAERR;
    }
    if (!a->json) print_summary(path, r);
    int status = verdict_exit(json_object_get(r, "valid"));
    if (json_is_false(json_object_get(r, "certified"))) status = FL_EXIT_HARNESS;
    *out = json_object();
    json_object_set(*out, "valid", json_object_get(r, "valid"));
    json_object_set_new(*out, "checkers", json_pack("{s:o}", "linearizable", r));
    return status;
}

static int write_results(const check_args *a, json_t *all) {
    if (a->json && json_dumpf(all, stdout, JSON_INDENT(1)) == 0) putchar('\n');
    if (!a->out_path) return 0;
    if (json_dump_file(all, a->out_path, JSON_INDENT(1)) != 0) {
        fprintf(stderr, "faultline check: cannot write %s\n", a->out_path);
        return -1;
    }
    return 0;
}

int fl_cmd_check(int argc, char **argv) {
    check_args a = {.read = {.allow_truncated = false, .independent = -1},
                    .lin = {.full_certificates = true}};
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed > 0 ? FL_EXIT_VALID : FL_EXIT_USAGE;
    if (!a.lin.memory_limit_bytes) /* an unbounded search must not take the machine down */
        a.lin.memory_limit_bytes =
            (size_t)sysconf(_SC_PHYS_PAGES) / 2 * (size_t)sysconf(_SC_PAGESIZE);
    int status = FL_EXIT_VALID;
    bool malformed = false, usage = false;
    json_t *histories = json_object(), *valid = json_true(), *single = NULL;
    for (int i = optind; i < argc; i++) {
        json_t *r;
        int rc = check_one(argv[i], &a, &r);
        malformed |= rc == FL_EXIT_DATAERR;
        usage |= rc == FL_EXIT_USAGE;
        if (rc <= FL_EXIT_HARNESS) status = fl_exit_combine(status, rc);
        if (!r) continue;
        json_t *worse = fl_verdict_worst(valid, json_object_get(r, "valid"));
        json_decref(valid);
        valid = worse;
        single = r;
        json_object_set_new(histories, argv[i], r);
    }
    json_t *all = argc - optind == 1 && single ? json_incref(single)
                                               : json_pack("{s:O,s:O}", "valid", valid,
                                                           "histories", histories);
    if (write_results(&a, all) != 0) status = FL_EXIT_HARNESS;
    json_decref(all);
    json_decref(histories);
    json_decref(valid);
    if (status == FL_EXIT_HARNESS) return status;
    return malformed ? FL_EXIT_DATAERR : usage ? FL_EXIT_USAGE : status;
}
