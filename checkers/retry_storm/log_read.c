/* The retry-storm checker's inputs from a run directory (see retry_storm.h): the clock
 * mapping in test.json and fl-payments' request logs under nodes/, then the checker. */
#include "retry_storm.h"

#include <assert.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_NAME "payments-requests.jsonl"

typedef struct reader {
    fl_rs_log *log;
    size_t cap;
    fl_strmap *calls;   /* call id text -> its number */
    int64_t call_count;
    char *why;
    size_t why_bytes;
} reader;

static int64_t member_int(const json_t *o, const char *name, bool *ok) {
    const json_t *v = json_object_get(o, name);
    if (!json_is_integer(v)) *ok = false;
    return json_integer_value(v);
}

/* One line's arrival: 1 added; 0 not of the log's shape (why says what); -1 OOM. */
static int parse_line(reader *r, const char *text, size_t len, const char **what) {
    json_error_t jerr;
    json_t *o = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        *what = "not a JSON object";
        return 0;
    }
    bool ok = true;
    fl_rs_arrival a = {.arrived_ns = member_int(o, "arrived_ns", &ok),
                       .done_ns = member_int(o, "done_ns", &ok)};
    json_int_t attempt = member_int(o, "attempt", &ok);
    const char *call = json_string_value(json_object_get(o, "call"));
    const char *outcome = json_string_value(json_object_get(o, "outcome"));
    int parsed = outcome ? fl_rs_outcome_parse(outcome) : -1;
    int rc = 0;
    if (!ok || !call || parsed < 0 || attempt < 1 || attempt > INT32_MAX)
        *what = "needs integer arrived_ns, done_ns and attempt (≥ 1), a string call and a "
                "known outcome (ok, repeat, overloaded, idem-mismatch, malformed)";
    else if (a.arrived_ns < 0 || a.done_ns < a.arrived_ns)
        *what = "needs 0 ≤ arrived_ns ≤ done_ns";
    else
        rc = 1;
    if (rc == 1) {
        a.attempt = (int32_t)attempt;
        a.outcome = (uint8_t)parsed;
        a.call = fl_strmap_put(r->calls, call, strlen(call), r->call_count);
        if (a.call == r->call_count) r->call_count++;
        if (a.call < 0 || fl_grow((void **)&r->log->arrivals, &r->cap, r->log->count + 1,
                                  sizeof *r->log->arrivals) != 0)
            rc = -1;
        else
            r->log->arrivals[r->log->count++] = a;
    }
    json_decref(o);
    return rc;
}

/* One log file: 0, 1 with why, -1 OOM. */
static int read_log(reader *r, const char *path, const char *shown) {
    FILE *in = fopen(path, "r");
    if (!in) {
        snprintf(r->why, r->why_bytes, "%s: %s", shown, strerror(errno));
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    for (size_t number = 1; rc == 0 && (len = getline(&line, &cap, in)) >= 0; number++) {
        bool ended = len > 0 && line[len - 1] == '\n';
        size_t text = (size_t)len - ended;
        if (text == 0 && ended) continue; /* a blank line says nothing */
        const char *what = NULL;
        int got = parse_line(r, line, text, &what);
        if (got < 0) rc = -1;
        if (got != 0) continue;
        /* A line with no end, the file's last, is a write a kill cut short. */
        if (!ended) {
            r->log->torn_skipped++;
            continue;
        }
        snprintf(r->why, r->why_bytes, "%s:%zu: malformed request log line: %s", shown, number,
                 what);
        rc = 1;
    }
    if (rc == 0 && ferror(in)) {
        snprintf(r->why, r->why_bytes, "%s: %s", shown, strerror(errno));
        rc = 1;
    }
    free(line);
    fclose(in);
    return rc;
}

/* test.json's history_origin_mono_ns: 0, or 1 with why. */
static int read_origin(const char *run_dir, fl_rs_log *log, char *why, size_t why_bytes) {
    char path[4352];
    snprintf(path, sizeof path, "%.4000s/test.json", run_dir);
    json_error_t jerr;
    json_t *test = json_load_file(path, 0, &jerr);
    const json_t *origin = json_object_get(test, "history_origin_mono_ns");
    int rc = 0;
    if (!test)
        snprintf(why, why_bytes, "%s: %s (the clock mapping, history_origin_mono_ns, is there)",
                 path, jerr.text);
    else if (!json_is_integer(origin) || json_integer_value(origin) < 0)
        snprintf(why, why_bytes, "%s has no history_origin_mono_ns (a non-negative integer): "
                 "request log times cannot be placed in the history", path);
    else
        log->origin_ns = json_integer_value(origin);
    if (!test || !json_is_integer(origin) || json_integer_value(origin) < 0) rc = 1;
    json_decref(test);
    return rc;
}

int fl_rs_log_read(const char *run_dir, fl_rs_log *log, char *why, size_t why_bytes) {
    memset(log, 0, sizeof *log);
    log->files = json_array();
    reader r = {.log = log, .calls = fl_strmap_new(), .why = why, .why_bytes = why_bytes};
    if (!log->files || !r.calls) {
        fl_strmap_free(r.calls);
        return -1;
    }
    char pattern[4352];
    snprintf(pattern, sizeof pattern, "%.4000s/nodes/*/" LOG_NAME, run_dir);
    glob_t found;
    int g = glob(pattern, 0, NULL, &found); /* sorted: the same order every time */
    int rc = g == GLOB_NOSPACE ? -1 : 0;
    if (g == GLOB_NOMATCH || (g == 0 && found.gl_pathc == 0)) {
        snprintf(why, why_bytes, "no request log: nothing matches %.4000s/nodes/*/" LOG_NAME
                 " (fl-payments writes it)", run_dir);
        rc = 1;
    } else if (g != 0 && rc == 0) {
        snprintf(why, why_bytes, "%.4000s/nodes: cannot be read", run_dir);
        rc = 1;
    }
    size_t skip = strlen(run_dir) + 1;
    for (size_t i = 0; g == 0 && rc == 0 && i < found.gl_pathc; i++) {
        const char *shown = found.gl_pathv[i] + skip; /* relative to the run directory */
        assert(strlen(found.gl_pathv[i]) > skip);
        json_array_append_new(log->files, json_string(shown));
        rc = read_log(&r, found.gl_pathv[i], shown);
    }
    if (g == 0) globfree(&found);
    if (rc == 0) rc = read_origin(run_dir, log, why, why_bytes);
    fl_strmap_free(r.calls);
    return rc;
}

void fl_rs_log_free(fl_rs_log *log) {
    free(log->arrivals);
    json_decref(log->files);
    memset(log, 0, sizeof *log);
}

json_t *fl_check_retry_storm_run_dir(const fl_history *h, const char *run_dir, fl_error *err) {
    char why[FL_ERR_BYTES + 4400];
    fl_rs_log log;
    int rc = run_dir ? fl_rs_log_read(run_dir, &log, why, sizeof why) : 1;
    json_t *r = NULL;
    if (!run_dir)
        r = json_pack("{s:s,s:s}", "valid", "unknown", "error",
                      "retry-storm needs a run directory (fl-payments' request logs and "
                      "test.json's clock mapping), not only a history");
    else if (rc == 1)
        r = json_pack("{s:s,s:s,s:O}", "valid", "unknown", "error", why, "logs", log.files);
    else if (rc == 0 && (r = fl_check_retry_storm(h, log.arrivals, log.count, log.origin_ns))) {
        json_object_set(r, "logs", log.files);
        json_object_set_new(r, "torn_lines_skipped", json_integer((json_int_t)log.torn_skipped));
    }
    if (run_dir) fl_rs_log_free(&log);
    if (!r) fl_error_set(err, run_dir ? run_dir : "", 0, 0, "out of memory checking retry storms");
    return r;
}
