/* Checker benchmarks: wall time and peak RSS of reading and checking histories, each
 * measured in a child process of its own so one figure never carries another's memory.
 *
 *   bench_check corpus [DIR]   every history of tests/corpus/porcupine in one process
 *                              (then kv/c50-ok.jsonl alone: Porcupine's 117 ms figure)
 *   bench_check files [DIR]    each corpus history in a process of its own: every
 *                              figure, the totals per family, the slowest
 *   bench_check million        10^6 ops, 1,000 keys, concurrency 10, 1% info
 *   bench_check one-key        10^5 ops on one key, concurrency 5
 *   bench_check all            all of the above but files
 * `--threads N` first (bench_check --threads 1 corpus): the checker's threads (default:
 * one per core, as faultline check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "gen_history.h"
#include "search.h"

static int threads; /* fl_lin_options.threads: 0, one per core */

typedef struct job {
    const char *model; /* NULL: from expected.tsv */
    char **paths;
    size_t count;
} job;

/* Read and check every path; the child's exit code says whether all went as expected. */
static int run_checks(const job *j, const char *const *models, const char *const *expect) {
    int bad = 0;
    for (size_t i = 0; i < j->count; i++) {
        fl_history *h;
        fl_error err;
        if (fl_history_read_file(j->paths[i], NULL, &h, &err) != FL_READ_OK) {
            fprintf(stderr, "%s: %s\n", j->paths[i], err.message);
            return 1;
        }
        fl_lin_options o = {.model = fl_model_find(models ? models[i] : j->model),
                            .threads = threads};
        json_t *r = fl_check_linearizable(h, &o, &err);
        const json_t *valid = json_object_get(r, "valid");
        const char *got = json_is_true(valid) ? "valid" : json_is_false(valid) ? "invalid" : "unknown";
        if (!r || (expect && strcmp(got, expect[i]))) {
            fprintf(stderr, "%s: got %s\n", j->paths[i], got);
            bad = 1;
        }
        json_decref(r);
        fl_history_free(h);
    }
    return bad;
}

/* Run the checks in a child; print wall seconds and the child's peak RSS. */
static int measure_into(const char *name, const job *j, const char *const *models,
                        const char *const *expect, double *seconds_out) {
    fflush(stdout);
    int64_t start = fl_now_ns();
    pid_t pid = fork();
    if (pid == 0) _exit(run_checks(j, models, expect));
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return -1;
    double seconds = (double)(fl_now_ns() - start) / 1e9;
    if (seconds_out) *seconds_out = seconds;
    printf("%-40s %8.3f s  %8.1f MiB peak RSS  %s\n", name, seconds, (double)ru.ru_maxrss / 1024.0,
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "WRONG VERDICT OR ERROR");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int measure(const char *name, const job *j, const char *const *models,
                   const char *const *expect) {
    return measure_into(name, j, models, expect, NULL);
}

#define CORPUS_MAX 256
static char *paths[CORPUS_MAX], *models[CORPUS_MAX], *expect[CORPUS_MAX];

/* The corpus's files, models and verdicts from its expected.tsv: how many, or -1. */
static long read_corpus(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/expected.tsv", dir);
    FILE *in = fopen(path, "r");
    if (!in) return perror(path), -1;
    size_t n = 0;
    char file[256], model[32], verdict[16];
    long ops;
    char line[512];
    while (fgets(line, sizeof line, in) && n < CORPUS_MAX) {
        if (sscanf(line, "%255s %31s %15s %ld", file, model, verdict, &ops) != 4 ||
            !strcmp(file, "file"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, file);
        paths[n] = strdup(path);
        models[n] = strdup(model);
        expect[n++] = strdup(verdict);
    }
    fclose(in);
    return (long)n;
}

static void free_corpus(size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(paths[i]);
        free(models[i]);
        free(expect[i]);
    }
}

/* Porcupine's own figures on this machine class (tests/corpus/porcupine/README.md and
 * issue 18: whole process), for the files it was timed on. */
static const struct {
    const char *file;
    double seconds;
} porcupine[] = {{"etcd/etcd_002.edn", 0.18}, {"kv/c50-ok.jsonl", 0.30},
                 {"kv/c50-bad.jsonl", 0.08}};

/* Each file in a child of its own: its figure, the per-family totals, the slowest. */
static int bench_files(const char *dir) {
    long n = read_corpus(dir);
    if (n < 0) return -1;
    int rc = 0;
    double family[2] = {0, 0}, slowest = 0;
    const char *slowest_file = "";
    for (long i = 0; i < n; i++) {
        const char *file = paths[i] + strlen(dir) + 1;
        job one = {models[i], &paths[i], 1};
        double seconds = 0;
        rc |= measure_into(file, &one, NULL, (const char *const *)&expect[i], &seconds);
        family[strncmp(file, "kv/", 3) == 0] += seconds;
        if (seconds > slowest) {
            slowest = seconds;
            slowest_file = file;
        }
        for (size_t k = 0; k < sizeof porcupine / sizeof *porcupine; k++)
            if (!strcmp(file, porcupine[k].file))
                printf("    Porcupine: %.3f s (%.1fx)\n", porcupine[k].seconds,
                       porcupine[k].seconds / (seconds > 0 ? seconds : 1e-9));
    }
    printf("files: %ld; etcd total %.3f s, kv total %.3f s, all %.3f s; slowest %s %.3f s "
           "(threads %d)\n",
           n, family[0], family[1], family[0] + family[1], slowest_file, slowest, threads);
    free_corpus((size_t)n);
    return rc;
}

static int bench_corpus(const char *dir) {
    long got = read_corpus(dir);
    if (got < 0) return -1;
    size_t n = (size_t)got;
    job j = {NULL, paths, n};
    char name[64];
    snprintf(name, sizeof name, "corpus: %zu histories, one process", n);
    int rc = measure(name, &j, (const char *const *)models, (const char *const *)expect);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(paths[i] + strlen(paths[i]) - 12, "c50-ok.jsonl")) {
            job one = {"kv", &paths[i], 1};
            const char *valid = "valid";
            rc |= measure("kv c50-ok alone", &one, NULL, &valid);
        }
    }
    free_corpus(n);
    return rc;
}

/* Generate a history into a temporary JSON Lines file, then time checking it. */
static int bench_generated(const char *name, const fl_gen_options *o) {
    fl_history *h = fl_gen_history(o);
    char path[] = "/tmp/fl-bench-XXXXXX.jsonl";
    int fd = mkstemps(path, 6);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!h || !out || fl_history_write(out, h, FL_FORMAT_JSONL) != 0) return -1;
    fclose(out);
    fl_history_free(h);
    char *paths[] = {path};
    job j = {o->model, paths, 1};
    const char *valid = "valid";
    int rc = measure(name, &j, NULL, &valid);
    unlink(path);
    return rc;
}

int main(int argc, char **argv) {
    fl_lin_tune_malloc(); /* as the faultline binary does */
    if (argc > 2 && !strcmp(argv[1], "--threads")) {
        threads = atoi(argv[2]);
        argc -= 2;
        argv += 2;
    }
    const char *what = argc > 1 ? argv[1] : "all";
    bool all = !strcmp(what, "all");
    int rc = 0;
    if (all || !strcmp(what, "corpus"))
        rc |= bench_corpus(argc > 2 ? argv[2] : FL_CORPUS_DIR);
    if (!strcmp(what, "files")) rc |= bench_files(argc > 2 ? argv[2] : FL_CORPUS_DIR);
    if (all || !strcmp(what, "million")) {
        fl_gen_options o = {.seed = 1, .ops = 1000000, .keys = 1000, .concurrency = 10,
                            .info_rate = 0.01, .value_range = 5, .model = "cas-register"};
        rc |= bench_generated("10^6 ops, 1000 keys, c10, 1% info", &o);
    }
    if (all || !strcmp(what, "one-key")) {
        fl_gen_options o = {.seed = 2, .ops = 100000, .keys = 1, .concurrency = 5,
                            .value_range = 5, .model = "cas-register"};
        rc |= bench_generated("10^5 ops, one key, c5", &o);
    }
    return rc ? 1 : 0;
}
