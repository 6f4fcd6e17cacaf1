/* store/index.html (DESIGN.md "Run store"): one self-contained page listing every run
 * in the store — test name, start time, verdict, target, seed, duration — with relative
 * links to each run's files, and filters by verdict and by name. The page carries its
 * data as JSON in <script type="application/json"> (every '<', '>' and '&' written as
 * \u003c, \u003e, \u0026, so no text can close the script element) and renders it with
 * textContent only: a test name or checker name is never parsed as HTML. The filters
 * are kept in the URL's fragment (#verdict=anomaly,unknown&name=raft), so a filtered
 * view can be linked to. */
#ifndef FL_STORE_INDEX_H
#define FL_STORE_INDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define FL_STORE_RUNS_MAX 100000 /* runs listed; beyond, the page says how many are not */

/* Every run under store_dir: STORE/<test>/<run>/ where <run> is a run directory's name
 * (YYYYmmddTHHMMSS, maybe with -N), skipping hidden entries and symlinks (`latest`, and
 * any link that could lead out of the store). Newest first. Each run is
 *   {"test", "run", "started": "YYYY-mm-dd HH:MM:SS" (local time of the run's host),
 *    "verdict": "valid" | "anomaly" | "unknown" | "none" (no results.json: running or
 *        crashed) | "unreadable" (results.json does not parse),
 *    "checkers": {name: verdict as above}, "target", "workload", "bug", "nemesis",
 *    "seed" (from test.json's config, each null when absent), "time_limit_s",
 *    "duration_s" (test.json's "duration_s" if any, else results.json's mtime minus the
 *        start, ignored past 7 days (a file copied or touched later); null when unknown),
 *    "links": {"report", "history", "results", "junit", "log", "nodes", "test"}: paths
 *        relative to the store, percent-encoded, only for files that exist}.
 * Names that are not valid UTF-8 are shown with U+FFFD; links keep their bytes.
 * *not_listed counts runs past FL_STORE_RUNS_MAX. NULL with err if store_dir cannot
 * be read. */
json_t *fl_store_scan(const char *store_dir, size_t *not_listed, char *err, size_t bytes);

/* The page for store_dir, written to out. 0, or -1 with err. */
int fl_store_index_render(FILE *out, const char *store_dir, char *err, size_t bytes);

/* store_dir/index.html, through a temporary file renamed over it. 0, or -1 with err. */
int fl_store_index_write(const char *store_dir, char *err, size_t bytes);

/* The start of the store's pages (index.html, zoo.html) up to their <style>: no network
 * (a Content-Security-Policy allowing only inline style and script), the base font. */
#define FL_STORE_PAGE_START(title)                                                         \
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"               \
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"              \
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "             \
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"                              \
    "<title>" title "</title>\n<style>\n"                                                     \
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}\n"

/* A page written by render(out, arg, err, bytes) (0, or -1 with err) into path through a
 * temporary file beside it, renamed over it, readable by all. 0, or -1 with err. */
typedef int (*fl_store_render_fn)(FILE *out, const void *arg, char *err, size_t bytes);
int fl_store_write_file(const char *path, fl_store_render_fn render, const void *arg, char *err,
                        size_t bytes);

/* v as compact JSON that is safe inside a <script> element: every '<', '>' and '&'
 * written as \u003c, \u003e, \u0026 (they can only occur inside JSON strings). */
void fl_store_put_json(FILE *out, const json_t *v);

#endif
