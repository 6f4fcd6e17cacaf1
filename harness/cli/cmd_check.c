/* `faultline check`: check histories (or run directories) offline with any checker of
 * the registry (checkers/registry) or a workload's checks, and report verdicts as text
 * or as results.json (DESIGN.md "Conventions"), with the exit codes of DESIGN.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "checkers.h"
#include "commands.h"
#include "empty_history.h"
#include "exit_codes.h"
#include "primaries.h"
#include "history.h"
#include "session.h"
#include "version_json.h"
#include "workload.h"

static const char usage_text[] =
    "usage: faultline check [OPTIONS] HISTORY|RUN_DIR...\n"
    "  Checks each history (JSON Lines or Jepsen history.edn; for a run directory, its\n"
    "  history.jsonl and its nodes' logs) with the checkers named (default: linearizable;\n"
    "  txn for a history whose client ops are all transactions, f \"txn\").\n"
    "  --checker C[,C…]        linearizable, session, set, set-full, counter, perf, log-pattern,\n"
    "                          fencing, ledger, retry-storm, txn (repeatable; `--checker\n"
    "                          list` describes them)\n"
    "  --workload W            the checks `faultline test` runs for workload W (register,\n"
    "                          set, list-append, lock, txn-list-append, txn-rw-register),\n"
    "                          plus any --checker\n"
    "  --model M               linearizable: register, cas-register, kv, list-append, set,\n"
    "                          counter, fifo-queue, mutex, fenced-register (default:\n"
    "                          inferred from the ops)\n"
    "  --guarantees G          session: a subset of ryw,mr,mw,wfr (default: all four)\n"
    "  --linearizable          set-full: the store claims linearizability (stale = anomaly)\n"
    "  --log-pattern NAME=RE   log-pattern: one more pcre2 pattern (repeatable)\n"
    "  --only-log-patterns     log-pattern: only the patterns given, not the defaults\n"
    "  --consistency-model M   txn: the model whose anomalies make a history invalid\n"
    "                          (strict-serializable by default; serializable,\n"
    "                          snapshot-isolation, repeatable-read, read-committed,\n"
    "                          read-uncommitted, strong-session-*, strong-* …)\n"
    "  --sequential-keys       txn rw-register: each process sees each key's versions in order\n"
    "  --linearizable-keys     txn rw-register: real time orders each key's versions\n"
    "  --no-wfr-keys           txn rw-register: do not order a txn's read before its write\n"
    "  --txn-budget N          txn: edge visits the cycle search may spend (then unknown)\n"
    "  --certify               re-check every linearizability certificate with the verifier,\n"
    "                          and every txn anomaly against the history\n"
    "  --check-time-limit S    give up (verdict unknown) after S seconds\n"
    "  --check-memory-limit MB give up (verdict unknown) past MB MiB of search state\n"
    "                          (default: 2048, or a quarter of physical memory if less)\n"
    "  --threads N             keys checked in parallel (default: one per core)\n"
    "  --all-keys              keep checking the other keys once one is invalid\n"
    "  --allow-truncated       skip a truncated last line (a crashed writer) and check the rest\n"
    "  --independent auto|yes|no  EDN values [k v] are jepsen.independent tuples (default auto)\n"
    "  --json                  print results as JSON on stdout\n"
    "  --out FILE              write results.json to FILE\n"
    "  --brief                 leave valid keys' linearizations out of the JSON\n"
    "exit: 0 valid, 1 anomaly, 2 unknown, 3 a certificate did not verify, 64 usage,\n"
    "      65 a history that does not parse or does not fit the model\n";

#define CHECKERS_MAX 16
#define LOG_PATTERNS_MAX 64

typedef struct check_args {
    const char *model;
    const char *workload;
    const char *out_path;
    bool json;
    const fl_checker_def *checkers[CHECKERS_MAX];
    size_t checker_count;
    const char *log_patterns[LOG_PATTERNS_MAX];
    fl_checker_options opt;
    fl_read_options read;
    bool default_checker; /* no --checker or --workload: chosen by the history's ops */
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

static void list_checkers(FILE *out) {
    for (size_t i = 0; fl_checker_defs[i]; i++)
        fprintf(out, "  %-13s %s\n", fl_checker_defs[i]->name, fl_checker_defs[i]->summary);
}

/* "a,b,c" → the checkers named; -1 after saying which name is unknown. */
static int add_checkers(check_args *a, const char *list) {
    char names[256];
    snprintf(names, sizeof names, "%s", list);
    for (char *save = NULL, *name = strtok_r(names, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        const fl_checker_def *def = fl_checker_find(name);
        if (!def) {
            fprintf(stderr, "faultline check: unknown checker '%s'; checkers:\n", name);
            list_checkers(stderr);
            return -1;
        }
        bool seen = false;
        for (size_t i = 0; i < a->checker_count; i++) seen |= a->checkers[i] == def;
        if (seen) continue;
        if (a->checker_count == CHECKERS_MAX) return -1;
        a->checkers[a->checker_count++] = def;
    }
    return 0;
}

static int parse_args(int argc, char **argv, check_args *a) {
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},   {"certify", no_argument, NULL, 'c'},
        {"check-time-limit", required_argument, NULL, 't'},
        {"check-memory-limit", required_argument, NULL, 'M'},
        {"threads", required_argument, NULL, 'j'}, {"allow-truncated", no_argument, NULL, 'a'},
        {"independent", required_argument, NULL, 'i'}, {"json", no_argument, NULL, 'J'},
        {"out", required_argument, NULL, 'o'},     {"brief", no_argument, NULL, 'b'},
        {"all-keys", no_argument, NULL, 'A'},      {"checker", required_argument, NULL, 'C'},
        {"workload", required_argument, NULL, 'w'},
        {"guarantees", required_argument, NULL, 'g'},
        {"linearizable", no_argument, NULL, 'L'},
        {"log-pattern", required_argument, NULL, 'p'},
        {"only-log-patterns", no_argument, NULL, 'P'},
        {"consistency-model", required_argument, NULL, 'X'},
        {"sequential-keys", no_argument, NULL, 'S'},
        {"linearizable-keys", no_argument, NULL, 'K'},
        {"no-wfr-keys", no_argument, NULL, 'W'},
        {"txn-budget", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int c;
    double number;
    char why[256];
    fl_lin_options *lin = &a->opt.lin;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'c': lin->certify = a->opt.txn.certify = true; break;
        case 'X':
            if (!fl_txn_model_known(optarg)) {
                fprintf(stderr, "faultline check: unknown consistency model '%s'; models:", optarg);
                for (size_t i = 0; fl_txn_model_names[i]; i++) fprintf(stderr, " %s", fl_txn_model_names[i]);
                fputc('\n', stderr);
                return -1;
            }
            a->opt.txn.model = optarg;
            break;
        case 'S': a->opt.txn.sequential_keys = true; break;
        case 'K': a->opt.txn.linearizable_keys = true; break;
        case 'W': a->opt.txn.no_wfr_keys = true; break;
        case 'B':
            if (parse_number(optarg, &number) || number < 1) goto bad;
            a->opt.txn.budget_steps = (uint64_t)number;
            break;
        case 't':
            if (parse_number(optarg, &lin->time_limit_s)) goto bad;
            break;
        case 'M':
            if (parse_number(optarg, &number)) goto bad;
            lin->memory_limit_bytes = (size_t)(number * 1048576.0);
            break;
        case 'j':
            if (parse_number(optarg, &number) || number < 1) goto bad;
            lin->threads = (int)number;
            break;
        case 'a': a->read.allow_truncated = true; break;
        case 'i':
            if (parse_independent(optarg, &a->read.independent)) goto bad;
            break;
        case 'J': a->json = true; break;
        case 'o': a->out_path = optarg; break;
        case 'b': lin->full_certificates = false; break;
        case 'A': lin->all_keys = true; break;
        case 'C':
            if (!strcmp(optarg, "list")) {
                list_checkers(stdout);
                return 1;
            }
            if (add_checkers(a, optarg) != 0) return -1;
            break;
        case 'w':
            /* The transactional workloads' check is the txn checker, told which kind. */
            if (!strcmp(optarg, "txn-list-append") || !strcmp(optarg, "txn-rw-register")) {
                a->opt.txn.workload = optarg[4] == 'l' ? FL_TXN_LIST_APPEND : FL_TXN_RW_REGISTER;
                if (add_checkers(a, "txn") != 0) return -1;
                break;
            }
            if (!fl_workload_find(optarg)) {
                fprintf(stderr, "faultline check: unknown workload '%s'; workloads:", optarg);
                for (size_t i = 0; fl_workloads[i]; i++) fprintf(stderr, " %s", fl_workloads[i]->name);
                fputc('\n', stderr);
                return -1;
            }
            a->workload = optarg;
            break;
        case 'g':
            if (fl_session_guarantees_parse(optarg, &a->opt.guarantees, why, sizeof why) != 0) {
                fprintf(stderr, "faultline check: --guarantees: %s\n", why);
                return -1;
            }
            break;
        case 'L': a->opt.set_full.linearizable = true; break;
        case 'p':
            if (a->opt.logs.pattern_count == LOG_PATTERNS_MAX) goto bad;
            a->log_patterns[a->opt.logs.pattern_count++] = optarg;
            break;
        case 'P': a->opt.logs.replace_defaults = true; break;
        case 'h': printf("%s", usage_text); return 1;
        default: fputs(usage_text, stderr); return -1;
        }
    }
    a->opt.logs.patterns = a->log_patterns;
    if (optind >= argc) {
        fputs("faultline check: name at least one history file or run directory\n", stderr);
        return -1;
    }
    if (a->model && !fl_model_find(a->model)) {
        fprintf(stderr, "faultline check: unknown model '%s'; models:", a->model);
        for (const fl_model *const *m = fl_models(); *m; m++) fprintf(stderr, " %s", (*m)->name);
        fputc('\n', stderr);
        return -1;
    }
    lin->model = a->model ? fl_model_find(a->model) : NULL;
    char err[512];
    if (fl_log_patterns_validate(&a->opt.logs, err, sizeof err) != 0) {
        fprintf(stderr, "faultline check: %s\n", err);
        return -1;
    }
    /* No checker named: linearizable, or txn for a history of transactions (check_one). */
    if (a->checker_count == 0 && !a->workload) {
        add_checkers(a, "linearizable");
        a->default_checker = true;
    }
    return 0;
bad:
    fprintf(stderr, "faultline check: bad value '%s' for --%s\n", optarg,
            c == 't' ? "check-time-limit" : c == 'M' ? "check-memory-limit"
            : c == 'j' ? "threads" : c == 'p' ? "log-pattern (too many)"
            : c == 'B' ? "txn-budget" : "independent");
    return -1;
}

static int verdict_exit(const json_t *valid) {
    return json_is_true(valid) ? FL_EXIT_VALID : json_is_false(valid) ? FL_EXIT_ANOMALY
                                                                       : FL_EXIT_UNKNOWN;
}

static const char *verdict_word(const json_t *valid) {
    return json_is_true(valid) ? "valid" : json_is_false(valid) ? "INVALID" : "unknown";
}

/* ": NOTE" when the result carries a note (e.g. "no client ops"), else "". */
static const char *note_of(const json_t *r, char *out, size_t bytes) {
    const char *note = json_string_value(json_object_get(r, "note"));
    snprintf(out, bytes, "%s%s", note ? ": " : "", note ? note : "");
    return out;
}

/* Human-readable lines for the linearizability checker's result. */
static void print_linearizable(const char *path, const json_t *r) {
    const json_t *certified = json_object_get(r, "certified");
    const char *model = json_string_value(json_object_get(r, "model"));
    char note[128];
    printf("%s: %s%s (%s; %lld ops, %lld keys: %lld valid, %zu invalid, %zu unknown; %.3f s)%s\n",
           path, verdict_word(json_object_get(r, "valid")), note_of(r, note, sizeof note),
           model ? model : "no model needed",
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

/* The first "explanation" or "reason" string anywhere in a result: a one-line why. */
static const char *first_why(const json_t *v, int depth) {
    if (depth > 6) return NULL;
    if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        const json_t *s = json_object_get(v, "explanation");
        if (json_is_string(s)) return json_string_value(s);
        s = json_object_get(v, "reason");
        if (json_is_string(s)) return json_string_value(s);
        json_object_foreach((json_t *)v, k, x) {
            const char *w = first_why(x, depth + 1);
            if (w) return w;
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) {
            const char *w = first_why(x, depth + 1);
            if (w) return w;
        }
    }
    return NULL;
}

static void print_summary(const char *path, const json_t *results) {
    const char *name;
    json_t *r;
    json_object_foreach(json_object_get(results, "checkers"), name, r) {
        if (!strcmp(name, "linearizable")) {
            print_linearizable(path, r);
            continue;
        }
        const json_t *valid = json_object_get(r, "valid");
        const char *why = json_is_true(valid) ? NULL : first_why(r, 0);
        char note[128];
        printf("%s: %s: %s%s%s%s\n", path, name, verdict_word(valid), why ? ": " : "",
               why ? why : "", note_of(r, note, sizeof note));
    }
}

/* A run directory stands for its history.jsonl (and its nodes' logs). */
static void resolve(const char *arg, char *history, size_t hbytes, char *run_dir, size_t rbytes) {
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(history, hbytes, "%s/history.jsonl", arg);
        snprintf(run_dir, rbytes, "%s", arg);
        return;
    }
    snprintf(history, hbytes, "%s", arg);
    const char *slash = strrchr(arg, '/');
    if (slash) snprintf(run_dir, rbytes, "%.*s", (int)(slash - arg), arg);
    else snprintf(run_dir, rbytes, ".");
}

/* The workload's own checks (what `faultline test` would run) into results. */
static int check_workload(const check_args *a, const fl_history *h, json_t *results, fl_error *err) {
    const fl_workload_def *def = fl_workload_find(a->workload);
    fl_workload_options wo = {.seed = 1, .concurrency = 1, .target_ops = fl_workload_all_ops,
                              .lin = &a->opt.lin, .guarantees = a->opt.guarantees};
    char msg[256];
    fl_workload *w = def->create(&wo, msg, sizeof msg);
    if (!w) {
        fl_error_set(err, h->source, 0, 0, "workload %s: %s", a->workload, msg);
        return -1;
    }
    size_t refused = 0;
    json_t *r = fl_workload_check(def, w, h, NULL, &refused, err);
    def->free(w);
    json_object_update(json_object_get(results, "checkers"), json_object_get(r, "checkers"));
    json_object_set_new(results, "valid", fl_verdict_worst(json_object_get(results, "valid"),
                                                           json_object_get(r, "valid")));
    json_decref(r);
    return refused ? -1 : 0;
}

/* Whether every client op is a transaction (f "txn", or the EDN keyword :txn). */
static bool all_txn(const fl_history *h) {
    bool any = false;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (strcmp(op->f, "txn") && strcmp(op->f, ":txn")) return false;
        any = true;
    }
    return any;
}

/* Check one history or run directory: its exit code, and its results object in *out. */
static int check_one(const char *arg, check_args *a, json_t **out) {
    *out = NULL;
    char path[4096], run_dir[4096], msg[1200];
    if (access(arg, F_OK) != 0) {
        fprintf(stderr, "faultline check: %s: %s\n", arg, strerror(errno));
        return FL_EXIT_HARNESS; /* as for any history that cannot be read */
    }
    resolve(arg, path, sizeof path, run_dir, sizeof run_dir);
    bool needs_history = a->workload != NULL;
    for (size_t i = 0; i < a->checker_count; i++) needs_history |= !a->checkers[i]->reads_logs;
    fl_history *h = NULL;
    fl_error err;
    if (needs_history) {
        int rc = fl_history_read_file(path, &a->read, &h, &err);
        if (rc != FL_READ_OK) {
            fl_error_format(&err, msg, sizeof msg);
            fprintf(stderr, "faultline check: %s\n", msg);
            return rc == FL_READ_MALFORMED ? FL_EXIT_DATAERR : FL_EXIT_HARNESS;
        }
    }
    if (h && a->default_checker && all_txn(h)) a->checkers[0] = fl_checker_find("txn");
    json_t *results = json_pack("{s:b,s:{}}", "valid", 1, "checkers");
    if (h && !fl_history_has_client_ops(h)) /* every checker says so too */
        json_object_set_new(results, "note", json_string(FL_NOTE_NO_CLIENT_OPS));
    fl_checker_options opt = a->opt;
    opt.run_dir = run_dir;
    /* A checker that refuses the input (an op that does not fit it) is recorded as
     * unknown with its error; the other checkers' verdicts stand. */
    size_t refused = 0, ran = 0;
    int refusal = FL_EXIT_DATAERR;
    for (size_t i = 0; i < a->checker_count + (a->workload ? 1 : 0); i++) {
        const fl_checker_def *def = i < a->checker_count ? a->checkers[i] : NULL;
        int rc = def ? fl_checker_run_or_record(def, h, &opt, results, &err)
                     : check_workload(a, h, results, &err);
        ran++;
        if (rc == 0) continue;
        refused++;
        fl_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "faultline check: %s: %s\n", def ? def->name : a->workload, msg);
        if (strstr(msg, "name one with --model")) refusal = FL_EXIT_USAGE;
    }
    json_t *primaries = h ? fl_history_primaries(h) : NULL; /* who was primary when */
    if (primaries) json_object_set_new(results, "primaries", primaries);
    fl_history_free(h);
    if (refused == ran) {
        json_decref(results);
        return refusal;
    }
    if (!a->json) print_summary(arg, results);
    int status = verdict_exit(json_object_get(results, "valid"));
    json_t *lin = json_object_get(json_object_get(results, "checkers"), "linearizable");
    json_t *txn = json_object_get(json_object_get(results, "checkers"), "txn");
    if (json_is_false(json_object_get(lin, "certified")) ||
        json_is_false(json_object_get(txn, "certified")))
        status = FL_EXIT_HARNESS;
    *out = results;
    return status;
}

static int write_results(const check_args *a, json_t *all) {
    fl_version_stamp(all); /* what produced these verdicts (DESIGN.md "results.json") */
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
                    .opt = {.lin = {.full_certificates = true}}};
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed > 0 ? FL_EXIT_VALID : FL_EXIT_USAGE;
    /* no --check-memory-limit: the checker's default (fl_lin_memory_limit_default) */
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
