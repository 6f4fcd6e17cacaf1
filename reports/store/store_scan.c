/* Finding the runs of a store and what the index shows of each (see store_index.h). */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_index.h"
#include "xml_text.h"

#define STORE_SCAN_MAX (10 * FL_STORE_RUNS_MAX) /* run directories looked at, at most */
#define STAMP_CHARS 15                          /* YYYYmmddTHHMMSS */
#define PATH_BYTES 4096
#define DURATION_PLAUSIBLE_MAX_S (7 * 24 * 3600)

typedef struct run_ref {
    char *test, *run;
    int suffix; /* the N of a -N name, 1 for none */
} run_ref;

/* A run directory's name: YYYYmmddTHHMMSS or YYYYmmddTHHMMSS-N (run_store.c). */
static bool parse_run_name(const char *name, struct tm *tm, int *suffix) {
    for (int i = 0; i < STAMP_CHARS; i++)
        if (i == 8 ? name[i] != 'T' : (name[i] < '0' || name[i] > '9')) return false;
    *suffix = 1;
    if (name[STAMP_CHARS] == '-') {
        const char *n = name + STAMP_CHARS + 1;
        size_t digits = strspn(n, "0123456789");
        if (digits == 0 || digits > 6 || n[digits] != '\0') return false;
        *suffix = atoi(n);
    } else if (name[STAMP_CHARS] != '\0') {
        return false;
    }
    int v[6];
    static const int at[6] = {0, 4, 6, 9, 11, 13}, width[6] = {4, 2, 2, 2, 2, 2};
    for (int k = 0; k < 6; k++) {
        v[k] = 0;
        for (int i = 0; i < width[k]; i++) v[k] = v[k] * 10 + (name[at[k] + i] - '0');
    }
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
        return false;
    *tm = (struct tm){.tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
                      .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5], .tm_isdst = -1};
    return true;
}

/* Newest first: by time stamp, then by -N, then test name. */
static int newest_first(const void *a, const void *b) {
    const run_ref *x = a, *y = b;
    int by_stamp = strncmp(y->run, x->run, STAMP_CHARS);
    if (by_stamp) return by_stamp;
    if (x->suffix != y->suffix) return y->suffix - x->suffix;
    return strcmp(x->test, y->test);
}

/* A real directory (not a symlink, not hidden) inside the directory dirfd. */
static bool plain_subdir(int dirfd, const char *name) {
    struct stat st;
    return name[0] != '.' && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISDIR(st.st_mode);
}

typedef struct run_list {
    run_ref *runs;
    size_t count, capacity, seen;
} run_list;

static int list_push(run_list *l, const char *test, const char *run) {
    if (++l->seen > STORE_SCAN_MAX) return 0;
    if (l->count == l->capacity) {
        size_t cap = l->capacity ? 2 * l->capacity : 64;
        run_ref *grown = realloc(l->runs, cap * sizeof *grown);
        if (!grown) return -1;
        l->runs = grown;
        l->capacity = cap;
    }
    struct tm tm;
    run_ref *r = &l->runs[l->count];
    r->test = strdup(test);
    r->run = strdup(run);
    if (!r->test || !r->run) return free(r->test), free(r->run), -1;
    parse_run_name(run, &tm, &r->suffix);
    l->count++;
    return 0;
}

static void list_free(run_list *l) {
    for (size_t i = 0; i < l->count; i++) free(l->runs[i].test), free(l->runs[i].run);
    free(l->runs);
}

/* The runs of one test directory. */
static int collect_test(int store_fd, const char *test, run_list *l) {
    int fd = openat(store_fd, test, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return 0; /* gone or unreadable meanwhile: not a run */
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        struct tm tm;
        int suffix;
        if (parse_run_name(e->d_name, &tm, &suffix) && plain_subdir(dirfd(d), e->d_name))
            rc = list_push(l, test, e->d_name);
    }
    closedir(d);
    return rc;
}

static int collect(const char *store_dir, run_list *l, char *err, size_t bytes) {
    DIR *d = opendir(store_dir);
    if (!d) return snprintf(err, bytes, "opendir %s: %s", store_dir, strerror(errno)), -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)))
        if (plain_subdir(dirfd(d), e->d_name)) rc = collect_test(dirfd(d), e->d_name, l);
    closedir(d);
    if (rc != 0) snprintf(err, bytes, "scanning %s: out of memory", store_dir);
    return rc;
}

static const char *verdict_name(const json_t *valid) {
    return json_is_true(valid) ? "valid" : json_is_false(valid) ? "anomaly" : "unknown";
}

static json_t *repaired_string(const char *s) {
    char *text = fl_utf8_repair(s, strlen(s));
    json_t *v = text ? json_string(text) : json_null();
    free(text);
    return v;
}

/* results.json: the verdict and each checker's. */
static void add_verdicts(json_t *run, const char *dir, time_t started) {
    char path[PATH_BYTES + 32];
    snprintf(path, sizeof path, "%s/results.json", dir);
    struct stat st;
    json_t *checkers = json_object();
    json_object_set_new(run, "checkers", checkers);
    if (stat(path, &st) != 0) {
        json_object_set_new(run, "verdict", json_string("none"));
        return;
    }
    json_t *results = json_load_file(path, 0, NULL);
    json_object_set_new(run, "verdict", json_string(results ? verdict_name(json_object_get(results, "valid"))
                                                            : "unreadable"));
    const char *name;
    json_t *r;
    json_object_foreach(json_object_get(results, "checkers"), name, r)
        json_object_set_new(checkers, name, json_string(verdict_name(json_object_get(r, "valid"))));
    json_decref(results);
    /* a results.json touched long after its run (copied, re-checked) says nothing */
    if (!json_object_get(run, "duration_s") && st.st_mtime >= started &&
        st.st_mtime - started <= DURATION_PLAUSIBLE_MAX_S)
        json_object_set_new(run, "duration_s", json_integer((json_int_t)(st.st_mtime - started)));
}

static json_t *string_or_null(const json_t *v) {
    if (json_is_string(v)) return json_incref((json_t *)v);
    if (json_is_integer(v)) { /* a seed written as a number */
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        return json_string(text);
    }
    return json_null();
}

/* test.json: what ran, with which seed, for how long. */
static void add_config(json_t *run, const char *dir) {
    char path[PATH_BYTES + 32];
    snprintf(path, sizeof path, "%s/test.json", dir);
    json_t *test = json_load_file(path, 0, NULL);
    const json_t *config = json_object_get(test, "config");
    if (!json_is_object(config)) config = test;
    static const char *const fields[] = {"target", "workload", "bug", "nemesis", "seed"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        json_object_set_new(run, fields[i], string_or_null(json_object_get(config, fields[i])));
    const json_t *limit = json_object_get(config, "time-limit");
    json_object_set_new(run, "time_limit_s",
                        json_is_number(limit) ? json_real(json_number_value(limit)) : json_null());
    const json_t *duration = json_object_get(test, "duration_s");
    if (json_is_number(duration))
        json_object_set_new(run, "duration_s", json_real(json_number_value(duration)));
    json_decref(test);
}

/* Relative, percent-encoded links to the files of the run that exist. */
static void add_links(json_t *run, const char *dir, const run_ref *ref) {
    static const struct { const char *key, *file; bool is_dir; } files[] = {
        {"report", "report.html", false}, {"history", "history.jsonl", false},
        {"results", "results.json", false}, {"junit", "junit.xml", false},
        {"log", "faultline.log", false}, {"test", "test.json", false}, {"nodes", "nodes", true}};
    char test[3 * 1024], base[3 * 1024 + 64], path[PATH_BYTES + 32];
    json_t *links = json_object();
    json_object_set_new(run, "links", links);
    if (fl_url_encode(ref->test, false, test, sizeof test) != 0) return;
    snprintf(base, sizeof base, "%s/%s/", test, ref->run);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
        if (stat(path, &st) != 0 || (files[i].is_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
            continue;
        char href[sizeof base + 32];
        snprintf(href, sizeof href, "%s%s%s", base, files[i].file, files[i].is_dir ? "/" : "");
        json_object_set_new(links, files[i].key, json_string(href));
    }
}

static json_t *describe_run(const char *store_dir, const run_ref *ref) {
    char dir[PATH_BYTES], started[32];
    snprintf(dir, sizeof dir, "%s/%s/%s", store_dir, ref->test, ref->run);
    struct tm tm;
    int suffix;
    parse_run_name(ref->run, &tm, &suffix);
    strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S", &tm); /* before mktime changes tm */
    time_t start = mktime(&tm);
    json_t *run = json_object();
    json_object_set_new(run, "test", repaired_string(ref->test));
    json_object_set_new(run, "run", repaired_string(ref->run));
    json_object_set_new(run, "started", json_string(started));
    add_config(run, dir);
    add_verdicts(run, dir, start);
    if (!json_object_get(run, "duration_s")) json_object_set_new(run, "duration_s", json_null());
    add_links(run, dir, ref);
    return run;
}

json_t *fl_store_scan(const char *store_dir, size_t *not_listed, char *err, size_t bytes) {
    assert(store_dir && not_listed);
    run_list l = {0};
    if (collect(store_dir, &l, err, bytes) != 0) {
        list_free(&l);
        return NULL;
    }
    qsort(l.runs, l.count, sizeof *l.runs, newest_first);
    size_t listed = l.count < FL_STORE_RUNS_MAX ? l.count : FL_STORE_RUNS_MAX;
    *not_listed = l.seen - listed;
    json_t *runs = json_array();
    for (size_t i = 0; i < listed; i++) json_array_append_new(runs, describe_run(store_dir, &l.runs[i]));
    list_free(&l);
    return runs;
}
