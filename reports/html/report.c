/* fl_report_write: gathers a run directory's data and writes its report.html (see
 * report.h). The steps: read test.json and results.json, read the history, choose the
 * ops to embed, compute the plots, write the page to a temporary file, rename it. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "escape.h"
#include "inputs.h"
#include "ops_json.h"
#include "page.h"
#include "perf.h"
#include "primaries_json.h"
#include "sample.h"
#include "scan.h"
#include "version_json.h"

#define PATH_BYTES 4352

/* Everything the page is made from; owned. */
typedef struct report_data {
    json_t *test, *results;
    rp_history history;
    bool history_read;
    rp_selection selection;
    size_t max_ops;
} report_data;

static int read_inputs(const char *run_dir, report_data *d, char *err, size_t bytes) {
    char path[PATH_BYTES];
    snprintf(path, sizeof path, "%.4000s/test.json", run_dir);
    int rc = rp_read_json_file(path, &d->test, err, bytes);
    if (rc != 0) return rc;
    snprintf(path, sizeof path, "%.4000s/results.json", run_dir);
    if ((rc = rp_read_json_file(path, &d->results, err, bytes)) != 0) return rc;
    if (d->results && !json_is_object(d->results)) {
        snprintf(err, bytes, "%s: expected a JSON object ({\"valid\": …, \"checkers\": …})", path);
        return FL_REPORT_MALFORMED;
    }
    if (d->results) rp_trim_results(d->results);
    snprintf(path, sizeof path, "%.4000s/history.jsonl", run_dir);
    if (access(path, R_OK) != 0) {
        snprintf(err, bytes, "%s: %s (a run directory holds the run's history.jsonl)", path,
                 strerror(errno));
        return errno == ENOENT ? FL_REPORT_MALFORMED : FL_REPORT_ERROR;
    }
    char *owned = strdup(path);
    if (!owned) return snprintf(err, bytes, "out of memory"), FL_REPORT_ERROR;
    rc = rp_history_read(owned, &d->history, err, bytes);
    d->history_read = true;
    if (rc != 0) return rc == -1 ? FL_REPORT_MALFORMED : FL_REPORT_ERROR;
    if (rp_select(&d->history, d->results, d->max_ops, &d->selection) != 0)
        return snprintf(err, bytes, "out of memory"), FL_REPORT_ERROR;
    return FL_REPORT_OK;
}

static json_t *node_names(const report_data *d, const json_t *logs) {
    json_t *names = json_array();
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(d->test, "nodes"), i, node) {
        json_t *name = json_object_get(node, "name");
        if (json_is_string(name)) json_array_append(names, name);
    }
    if (json_array_size(names)) return names;
    json_array_foreach(logs, i, node) { /* no test.json: the nodes that left logs */
        json_t *name = json_object_get(node, "node");
        size_t n = json_array_size(names);
        if (!n || !json_equal(json_array_get(names, n - 1), name)) json_array_append(names, name);
    }
    return names;
}

static json_t *history_meta(const rp_history *h) {
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:b,s:s?}", "ops", (json_int_t)h->op_count,
                     "events", (json_int_t)h->event_total, "nemesis_events",
                     (json_int_t)h->event_count, "processes", (json_int_t)h->process_count,
                     "end_ns", (json_int_t)h->end_ns, "time_from_positions", !h->has_time,
                     "warning", h->warning[0] ? h->warning : NULL);
}

static json_t *selection_meta(const report_data *d) {
    const rp_selection *s = &d->selection;
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "ops", (json_int_t)s->selected,
                     "left_out", (json_int_t)s->left_out, "named", (json_int_t)s->named,
                     "named_missing", (json_int_t)s->named_missing, "around_faults",
                     (json_int_t)s->around_faults, "sampled", (json_int_t)s->sampled,
                     "max_ops", (json_int_t)d->max_ops);
}

/* The faultline that ran the test (test.json), checked it (results.json) and draws this
 * page: each "faultline" field as the file has it (null when absent), then this one. */
static json_t *producers_json(const report_data *d) {
    return json_pack("{s:O?,s:O?,s:o}", "run", json_object_get(d->test, "faultline"), "results",
                     json_object_get(d->results, "faultline"), "report", fl_version_json());
}

static json_t *meta_json(const char *run_dir, const report_data *d) {
    json_t *logs = rp_node_logs(run_dir);
    char *command = rp_reproduce_command(d->test);
    char when[64], path[PATH_BYTES];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S%z", localtime_r(&now, &tm));
    snprintf(path, sizeof path, "%.4000s/faultline.log", run_dir);
    json_t *config = json_object_get(d->test, "config");
    json_t *meta = json_pack(
        "{s:o,s:s,s:b,s:O?,s:o,s:o?,s:o,s:o,s:o,s:b,s:s,s:o}", "run_dir",
        fl_json_string_lossy(run_dir, strlen(run_dir)), "verdict",
        d->results ? rp_verdict_word(d->results) : "unknown", "results_present",
        d->results != NULL, "config", json_is_object(config) ? config : NULL, "nodes",
        node_names(d, logs), "command", command ? fl_json_string_lossy(command, strlen(command)) : NULL,
        "history", history_meta(&d->history), "embedded", selection_meta(d), "logs", logs,
        "faultline_log", access(path, R_OK) == 0, "generated_at", when, "faultline",
        producers_json(d));
    free(command);
    return meta;
}

/* Writes the page to a temporary file beside report.html and renames it over. */
static int write_page(const char *run_dir, const rp_block *blocks, size_t count, char *err,
                      size_t bytes) {
    char tmp[PATH_BYTES], final[PATH_BYTES];
    snprintf(final, sizeof final, "%.4000s/report.html", run_dir);
    snprintf(tmp, sizeof tmp, "%.4000s/.report.html.%ld.tmp", run_dir, (long)getpid());
    FILE *out = fopen(tmp, "w");
    if (!out) return snprintf(err, bytes, "%s: %s", tmp, strerror(errno)), FL_REPORT_ERROR;
    int rc = rp_page_write(out, blocks, count);
    int saved = errno;
    if (fclose(out) != 0 && rc == 0) rc = -1, saved = errno;
    if (rc == 0 && rename(tmp, final) != 0) rc = -1, saved = errno;
    if (rc != 0) {
        snprintf(err, bytes, "writing %s: %s", final, strerror(saved));
        unlink(tmp);
        return FL_REPORT_ERROR;
    }
    return FL_REPORT_OK;
}

static int build_and_write(const char *run_dir, report_data *d, char *err, size_t bytes) {
    json_t *meta = meta_json(run_dir, d), *ops = rp_ops_json(&d->history);
    json_t *faults = rp_faults_json(&d->history), *perf = rp_perf_json(&d->history);
    json_t *primaries = rp_primaries_json(&d->history);
    json_t *results = d->results ? json_incref(d->results) : json_null();
    int rc = FL_REPORT_ERROR;
    if (!meta || !ops || !faults || !perf || !primaries) {
        snprintf(err, bytes, "out of memory while building the report of %s", run_dir);
    } else {
        const rp_block blocks[] = {{"fl-meta", meta},     {"fl-results", results},
                                   {"fl-faults", faults}, {"fl-perf", perf},
                                   {"fl-ops", ops},       {"fl-primaries", primaries}};
        rc = write_page(run_dir, blocks, sizeof blocks / sizeof *blocks, err, bytes);
    }
    json_decref(meta);
    json_decref(ops);
    json_decref(faults);
    json_decref(perf);
    json_decref(primaries);
    json_decref(results);
    return rc;
}

int fl_report_write(const char *run_dir, const fl_report_options *o, char *err, size_t bytes) {
    report_data d = {.max_ops = o && o->max_ops ? o->max_ops : FL_REPORT_MAX_OPS_DEFAULT};
    err[0] = '\0';
    int rc = read_inputs(run_dir, &d, err, bytes);
    if (rc == FL_REPORT_OK) rc = build_and_write(run_dir, &d, err, bytes);
    if (d.history_read) {
        free((char *)d.history.path);
        rp_history_free(&d.history);
    }
    json_decref(d.test);
    json_decref(d.results);
    return rc;
}
