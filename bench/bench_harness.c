/* The harness's own ceiling: ops/s recorded with an in-process null client, through
 * the same workers, pacing, register workload and history writer as `faultline test`
 * (harness/run/run_workers.c, harness/history_writer.c). The figures are counted in the
 * history file itself after the run: events (lines), ops (invoke lines) and
 * completions. Each run is a child process of its own so that its peak RSS is its own.
 *
 *   bench_harness [--seconds S] [--concurrency 1,2,10,50] [--rate R] [--paced-concurrency N]
 *                 [--verify-concurrency N] [--dir DIR] [--keep]
 *
 * Unpaced runs (rate 0: as fast as the workers go) for each concurrency, then one paced
 * run at --rate (default 50000 ops/s over 10 workers; --rate 0 skips it) to show the
 * pacing holds. Every line of the run with --verify-concurrency (default 10) is parsed
 * with jansson and checked (index 0,1,2…, invoke/complete pairs per process). The
 * history files are removed afterwards unless --keep. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "run_internal.h"

/* ---- the null target: answers ok at once, in process ---- */

struct fl_client {
    int node;
};

static fl_client *null_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                            size_t bytes) {
    (void)t, (void)timeout_ms;
    fl_client *c = malloc(sizeof *c);
    if (!c) snprintf(err, bytes, "out of memory");
    else c->node = (int)node;
    return c;
}

static void null_invoke(fl_client *c, const fl_request *req, int timeout_ms, fl_reply *out) {
    (void)c, (void)timeout_ms;
    out->type = FL_REPLY_OK;
    /* A read of a register nobody wrote (value null); a write's reply carries nothing. */
    out->value = req->value ? NULL : json_null();
    out->error[0] = '\0';
}

static void null_close(fl_client *c) { free(c); }

static const char *const null_ops[] = {"read", "write", NULL};
static const fl_target_bug null_bugs[] = {{NULL, NULL, NULL, NULL, 0}};
static const fl_target_option null_options[] = {{NULL, NULL, NULL}};

static const fl_target null_target = {
    .name = "null",
    .summary = "in-process, answers ok at once (benchmark only)",
    .ops = null_ops,
    .bugs = null_bugs,
    .options = null_options,
    .client_open = null_open,
    .client_invoke = null_invoke,
    .client_close = null_close,
};

/* ---- one run ---- */

typedef struct result {
    int ok;                 /* 1 when the run and the count went fine */
    char error[640];
    double run_s;           /* workers started .. joined */
    double close_s;         /* fl_hwriter_close (last write, fsync) */
    long writer_events;     /* the writer's own count */
    long lines, invokes, oks, fails, infos;
    long bytes;
    long verified;          /* lines parsed by jansson; -1 not asked */
} result;

static bool keep; /* --keep: leave the history files */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(result *res, const char *fmt, const char *what) {
    snprintf(res->error, sizeof res->error, fmt, what);
    return -1;
}

/* Count lines and event types in the file (fast: fixed key order from the writer). */
static int count_file(const char *path, result *res) {
    FILE *in = fopen(path, "r");
    if (!in) return fail(res, "%s", strerror(errno));
    static char block[1 << 20];
    char line[4096];
    size_t have = 0;
    size_t got;
    for (;;) {
        got = fread(block, 1, sizeof block, in);
        if (got == 0) break;
        res->bytes += (long)got;
        for (size_t i = 0; i < got; i++) {
            char ch = block[i];
            if (have < sizeof line - 1) line[have++] = ch;
            if (ch != '\n') continue;
            line[have] = '\0';
            res->lines++;
            const char *t = strstr(line, "\"type\":\"");
            if (!t) t = "";
            else t += 8;
            if (!strncmp(t, "invoke\"", 7)) res->invokes++;
            else if (!strncmp(t, "ok\"", 3)) res->oks++;
            else if (!strncmp(t, "fail\"", 5)) res->fails++;
            else if (!strncmp(t, "info\"", 5)) res->infos++;
            have = 0;
        }
    }
    fclose(in);
    if (have) return fail(res, "%s", "the last line has no newline");
    return 0;
}

/* Parse every line with jansson: an object, index 0,1,2…, each process alternating
 * invoke and completion with the same f. */
static int verify_file(const char *path, int concurrency, result *res) {
    FILE *in = fopen(path, "r");
    if (!in) return fail(res, "%s", strerror(errno));
    /* Process numbers stay below concurrency: the null client never answers info. */
    char (*open_f)[16] = calloc((size_t)concurrency, sizeof *open_f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long index = 0;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
        json_error_t je;
        json_t *ev = json_loadb(line, (size_t)n, 0, &je);
        const char *type = json_string_value(json_object_get(ev, "type"));
        const char *f = json_string_value(json_object_get(ev, "f"));
        json_int_t p = json_integer_value(json_object_get(ev, "process"));
        char what[128];
        snprintf(what, sizeof what, "line %ld", index + 1);
        if (!json_is_object(ev)) rc = fail(res, "%s: not a JSON object", what);
        else if (json_integer_value(json_object_get(ev, "index")) != index)
            rc = fail(res, "%s: index out of order", what);
        else if (!type || !f || !json_is_integer(json_object_get(ev, "process")) || p < 0 ||
                 p >= concurrency || !json_is_integer(json_object_get(ev, "time")))
            rc = fail(res, "%s: type, f, process or time missing or wrong", what);
        else if (!strcmp(type, "invoke")) {
            if (open_f[p][0]) rc = fail(res, "%s: invoke while the process has an op open", what);
            snprintf(open_f[p], sizeof open_f[p], "%s", f);
        } else {
            if (strcmp(open_f[p], f)) rc = fail(res, "%s: completion without its invoke", what);
            if (strcmp(type, "ok")) rc = fail(res, "%s: the null client only answers ok", what);
            if (!strcmp(f, "read") && !json_is_null(json_object_get(ev, "value")))
                rc = fail(res, "%s: a read that is not null", what);
            open_f[p][0] = '\0';
        }
        json_decref(ev);
        index++;
    }
    free(line);
    free(open_f);
    fclose(in);
    res->verified = index;
    return rc;
}

static int run_once(const char *dir, int concurrency, double rate, double seconds, bool verify,
                    result *res) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bench_harness.%ld.%d.jsonl", dir, (long)getpid(), concurrency);
    unlink(path);

    fl_test_config cfg = {0};
    cfg.target = "null";
    cfg.workload = "register";
    cfg.concurrency = concurrency;
    cfg.rate = rate;
    cfg.time_limit_s = seconds;
    cfg.ops_per_key = 200;
    cfg.op_timeout_s = 5;

    static fl_run r; /* large (node counters); one per child */
    memset(&r, 0, sizeof r);
    r.cfg = &cfg;
    r.seed = 42;
    r.nodes.count = 1;
    r.nodes.nodes[0] = (fl_node){.name = "n1", .host = "127.0.0.1", .port = 22, .user = "root",
                                 .workdir = "/tmp", .clock = FL_CLOCK_SYSTEM};
    r.target = &null_target;
    r.tctx = (fl_target_ctx){.nodes = &r.nodes, .run_dir = dir};
    atomic_init(&r.main_over, false);
    pthread_mutex_init(&r.faults_mu, NULL);

    char err[512];
    r.wdef = fl_workload_find("register");
    static const char *const ops[] = {"read", "write", NULL};
    fl_workload_options wo = {.seed = r.seed, .ops_per_key = cfg.ops_per_key, .target_ops = ops};
    r.workload = r.wdef ? r.wdef->create(&wo, err, sizeof err) : NULL;
    if (!r.workload) return fail(res, "register workload: %s", r.wdef ? err : "not found");

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (fl_hwriter_open(&r.history, path, &start, err, sizeof err) != 0)
        return fail(res, "%s", err);
    r.history_open = true;

    double t0 = now_s();
    if (fl_workers_start(&r, err, sizeof err) != 0) return fail(res, "%s", err);
    struct timespec d = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&d, &d) != 0 && errno == EINTR) {}
    atomic_store(&r.main_over, true);
    fl_workers_join(&r);
    double t1 = now_s();
    res->writer_events = atomic_load(&r.history.events);
    int rc = fl_hwriter_close(&r.history, err, sizeof err);
    res->close_s = now_s() - t1;
    res->run_s = t1 - t0;
    r.wdef->free(r.workload);
    if (rc != 0) {
        unlink(path);
        return fail(res, "%s", err);
    }

    res->verified = -1;
    rc = count_file(path, res);
    if (rc == 0 && verify) rc = verify_file(path, concurrency, res);
    if (keep) fprintf(stderr, "kept %s\n", path);
    else unlink(path);
    if (rc != 0) return rc;
    if (res->lines != res->writer_events)
        return fail(res, "%s", "lines in the file differ from the writer's count");
    if (res->oks + res->fails + res->infos != res->invokes)
        return fail(res, "%s", "invokes and completions differ");
    return 0;
}

/* Run in a child; print its line with the child's peak RSS. */
static int measure(const char *dir, int concurrency, double rate, double seconds, bool verify) {
    result *res =
        mmap(NULL, sizeof *res, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED) return perror("mmap"), -1;
    memset(res, 0, sizeof *res);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        res->ok = run_once(dir, concurrency, rate, seconds, verify, res) == 0;
        _exit(res->ok ? 0 : 1);
    }
    int status;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return perror("fork/wait"), -1;
    int rc = 0;
    char pace[32];
    snprintf(pace, sizeof pace, rate > 0 ? "%.0f/s" : "none", rate);
    if (!WIFEXITED(status) || !res->ok) {
        printf("%11d  %-8s  FAILED: %s\n", concurrency, pace,
               res->error[0] ? res->error : "the child died");
        rc = -1;
    } else {
        char checked[48] = "";
        if (res->verified >= 0)
            snprintf(checked, sizeof checked, "  (%ld lines parsed ok)", res->verified);
        printf("%11d  %-8s  %9ld  %9ld  %10.0f  %6.3f s  %6.3f s  %6.1f MiB  %7.1f MiB%s\n",
               concurrency, pace, res->lines, res->invokes, (double)res->invokes / res->run_s,
               res->run_s, res->close_s, (double)res->bytes / (1 << 20),
               (double)ru.ru_maxrss / 1024.0, checked);
    }
    munmap(res, sizeof *res);
    return rc;
}

static void usage(void) {
    fprintf(stderr,
            "usage: bench_harness [--seconds S] [--concurrency 1,2,10,50] [--rate R]\n"
            "                     [--paced-concurrency N] [--verify-concurrency N] [--dir DIR]\n"
            "                     [--keep]\n");
}

int main(int argc, char **argv) {
    double seconds = 2, rate = 50000;
    int paced_concurrency = 10, verify_concurrency = 10;
    const char *list = "1,2,10,50";
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--keep")) {
            keep = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage(), 64;
        if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--concurrency")) list = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--paced-concurrency")) paced_concurrency = atoi(v);
        else if (!strcmp(a, "--verify-concurrency")) verify_concurrency = atoi(v);
        else if (!strcmp(a, "--dir")) dir = v;
        else return usage(), 64;
        i++;
    }
    if (seconds <= 0 || paced_concurrency <= 0) return usage(), 64;

    printf("null client, register workload, history in %s, %.1f s per run\n", dir, seconds);
    printf("concurrency  pacing       events        ops       ops/s      wall  close+fsync"
           "      file   peak RSS\n");
    int rc = 0;
    char *copy = strdup(list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int c = atoi(tok);
        if (c <= 0 || c > 100000) {
            fprintf(stderr, "bad concurrency %s\n", tok);
            rc = 1;
            continue;
        }
        if (measure(dir, c, 0, seconds, c == verify_concurrency) != 0) rc = 1;
    }
    free(copy);
    if (rate > 0 && measure(dir, paced_concurrency, rate, seconds, false) != 0) rc = 1;
    return rc;
}
