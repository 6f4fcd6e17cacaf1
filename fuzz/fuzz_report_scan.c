/* libFuzzer target: any bytes as a run's history.jsonl, through the report's lenient
 * reader (rp_history_read_buffer, reports/html/scan.h) and then the whole report
 * (fl_report_write on a scratch run directory holding the same bytes as its history).
 *
 * Besides crashes, leaks and undefined behaviour (ASan, UBSan), it checks:
 *   - the reader: every non-blank line counts as one event (bar a skipped truncated
 *     last line); ops are in order of invocation, each completed after it was invoked,
 *     a process's ops one after another; offsets point at the starts of lines that
 *     parse back to the op's invocation and completion; fault windows start at a
 *     "K-start" event and stop at a later "K-stop" or at the first heal after them;
 *     end_ns is the latest time; the index (by_index, rp_history_find) finds the first
 *     op of each index;
 *   - the page: it exists exactly when the reader accepts the history; it is valid
 *     UTF-8; each of its six application/json script elements holds no '<' before
 *     its end tag, no raw U+2028/U+2029, and JSON that parses back; its counts agree
 *     with the reader's; every op that results.json names is embedded, and the number
 *     embedded is max(named, min(max_ops, ops)); the primaries timeline is null or
 *     segments in order, each ending at or after it begins.
 * The scratch run directory (fuzz_scratch_dir: /dev/shm/fuzz_report_scan) is made once
 * and removed at exit or when a check fails; a sanitizer's report leaves it behind. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "escape.h"
#include "fuzz_fixed.h"
#include "history.h"
#include "report.h"
#include "scan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH_BYTES 512
#define ERR_BYTES 1200
#define POSITION_NS 1000000 /* scan.c: a history without times, one event per ms */
#define NAMED_EVERY 3       /* results.json names every third op */

static const char path_name[] = "history.jsonl";
static char run_dir[PATH_BYTES];
static const char *const run_files[] = {"history.jsonl", "results.json", "test.json",
                                        "report.html", NULL};

static void remove_run_dir(void);

static _Noreturn void broken(const char *what, long long detail) {
    fprintf(stderr, "fuzz_report_scan: %s (%lld)\n", what, detail);
    remove_run_dir(); /* abort() skips atexit */
    abort();
}

static void expect(bool ok, const char *what, long long detail) {
    if (!ok) broken(what, detail);
}

static void run_path(const char *file, char *out) {
    snprintf(out, PATH_BYTES, "%s/%s", run_dir, file);
}

static void write_file(const char *file, const void *bytes, size_t len) {
    char path[PATH_BYTES];
    run_path(file, path);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) broken("cannot write", 0);
}

static void remove_run_dir(void) {
    char path[PATH_BYTES];
    for (size_t i = 0; run_files[i]; i++) {
        run_path(run_files[i], path);
        unlink(path);
    }
    rmdir(run_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (fuzz_scratch_dir(run_dir, sizeof run_dir, "fuzz_report_scan") != 0)
        broken("cannot make the scratch run directory", errno);
    atexit(remove_run_dir);
    static const char test_json[] =
        "{\"config\":{\"target\":\"raftkv\",\"workload\":\"register\",\"seed\":\"42\"},"
        "\"nodes\":[{\"name\":\"n1\"},{\"name\":\"n<2>\"}]}";
    write_file("test.json", test_json, sizeof test_json - 1);
    return 0;
}

/* ---- the reader ---- */

static bool is_blank(const uint8_t *line, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return false;
    return true;
}

static int64_t count_nonblank_lines(const uint8_t *data, size_t size) {
    int64_t count = 0;
    for (size_t off = 0; off < size;) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
        count += !is_blank(data + off, len);
        off += len + 1;
    }
    return count;
}

static bool line_start(const rp_history *h, size_t off) {
    return off < h->text_bytes && (off == 0 || h->text[off - 1] == '\n');
}

/* The line at off parses back to an op of this process and type, whose index is its
 * "index" when it has one, else its position. */
static void check_line(const rp_history *h, size_t off, int64_t process, int type,
                       int64_t index, int64_t pos) {
    expect(line_start(h, off), "an offset is not the start of a line", (long long)off);
    json_t *obj = rp_history_line(h, off);
    expect(obj != NULL, "a kept line does not parse again", (long long)off);
    json_t *p = json_object_get(obj, "process");
    expect(json_is_integer(p) && json_integer_value(p) == process, "wrong process", process);
    expect(fl_op_type_parse(json_string_value(json_object_get(obj, "type"))) == type,
           "wrong type", type);
    json_t *given = json_object_get(obj, "index");
    expect(index == (given ? json_integer_value(given) : pos), "wrong index", index);
    json_decref(obj);
}

static void check_op(const rp_history *h, const rp_op *op, size_t i) {
    expect(op->process >= 0 && op->f < h->f_count && op->line >= 1, "a bad op", (long long)i);
    expect(op->invoke_pos >= 0 && op->invoke_pos < h->event_total, "bad invoke_pos", (long long)i);
    expect(i == 0 || op[-1].invoke_pos < op->invoke_pos, "ops out of order", (long long)i);
    expect(op->invoke_ns <= h->end_ns, "an invocation after end_ns", (long long)i);
    if (!h->has_time) expect(op->invoke_ns == op->invoke_pos * POSITION_NS, "time", (long long)i);
    check_line(h, op->invoke_off, op->process, FL_INVOKE, op->index, op->invoke_pos);
    if (op->outcome == RP_OPEN) {
        expect(op->complete_pos == RP_NONE && op->complete_ns == RP_NONE &&
               op->complete_off == SIZE_MAX && op->complete_line == 0 &&
               op->complete_index == RP_NONE, "an open op with a completion", (long long)i);
        return;
    }
    expect(op->outcome == FL_OK || op->outcome == FL_FAIL || op->outcome == FL_INFO,
           "a bad outcome", op->outcome);
    expect(op->complete_pos > op->invoke_pos && op->complete_pos < h->event_total &&
           op->complete_off > op->invoke_off && op->complete_line > op->line,
           "a completion before its invocation", (long long)i);
    expect(op->complete_ns <= h->end_ns, "a completion after end_ns", (long long)i);
    check_line(h, op->complete_off, op->process, op->outcome, op->complete_index,
               op->complete_pos);
}

static const rp_history *sorting; /* qsort has no context argument */

static int by_process_then_position(const void *a, const void *b) {
    const rp_op *x = &sorting->ops[*(const size_t *)a], *y = &sorting->ops[*(const size_t *)b];
    if (x->process != y->process) return x->process < y->process ? -1 : 1;
    return (x->invoke_pos > y->invoke_pos) - (x->invoke_pos < y->invoke_pos);
}

/* A process's ops one after another (the earlier one completed before the next), and
 * process_count the number of distinct processes. */
static void check_processes(const rp_history *h) {
    size_t *ids = malloc((h->op_count + 1) * sizeof *ids), processes = 0;
    if (!ids) abort();
    for (size_t i = 0; i < h->op_count; i++) ids[i] = i;
    sorting = h;
    qsort(ids, h->op_count, sizeof *ids, by_process_then_position);
    for (size_t k = 0; k < h->op_count; k++) {
        const rp_op *op = &h->ops[ids[k]], *before = k ? &h->ops[ids[k - 1]] : NULL;
        if (!before || before->process != op->process) {
            processes++;
            continue;
        }
        expect(before->outcome != RP_OPEN && before->complete_pos < op->invoke_pos,
               "a process invokes before its op completed", (long long)op->process);
    }
    expect(processes == h->process_count, "process_count", (long long)h->process_count);
    free(ids);
}

static bool ends_with(const char *s, const char *kind, const char *suffix) {
    size_t k = strlen(kind);
    return strncmp(s, kind, k) == 0 && strcmp(s + k, suffix) == 0;
}

static void check_events(const rp_history *h) {
    int64_t previous = -1;
    for (size_t i = 0; i < h->event_count; i++) {
        const rp_event *e = &h->events[i];
        expect(e->pos > previous && e->pos < h->event_total && e->f, "a bad event", (long long)i);
        expect(e->time_ns <= h->end_ns, "an event after end_ns", (long long)i);
        if (!h->has_time) expect(e->time_ns == e->pos * POSITION_NS, "event time", (long long)i);
        previous = e->pos;
    }
}

/* Each window starts at K-start and stops at a later K-stop or heal, at the latest at
 * the first heal after its start. */
static void check_windows(const rp_history *h) {
    int64_t *next_heal = malloc((h->event_count + 1) * sizeof *next_heal);
    if (!next_heal) abort();
    next_heal[h->event_count] = RP_NONE;
    for (size_t i = h->event_count; i-- > 0;)
        next_heal[i] = !strcmp(h->events[i].f, "heal") ? (int64_t)i : next_heal[i + 1];
    for (size_t w = 0; w < h->window_count; w++) {
        const rp_window *win = &h->windows[w];
        expect(win->start_event < h->event_count && win->kind, "a bad window", (long long)w);
        expect(w == 0 || win[-1].start_event < win->start_event, "windows order", (long long)w);
        expect(ends_with(h->events[win->start_event].f, win->kind, "-start"), "start f",
               (long long)w);
        int64_t heal = next_heal[win->start_event + 1];
        if (win->stop_event == RP_NONE) {
            expect(heal == RP_NONE, "a window left open past a heal", (long long)w);
            continue;
        }
        expect(win->stop_event > (int64_t)win->start_event &&
               win->stop_event < (int64_t)h->event_count, "a bad stop event", (long long)w);
        const char *f = h->events[win->stop_event].f;
        expect(!strcmp(f, "heal") || ends_with(f, win->kind, "-stop"), "stop f", (long long)w);
        expect(heal == RP_NONE || win->stop_event <= heal, "stopped after a heal", (long long)w);
    }
    free(next_heal);
}

/* by_index is a permutation sorted by (index, id), and rp_history_find gives the first
 * op of each index and RP_NONE for an index between two present ones. */
static void check_index(const rp_history *h) {
    uint8_t *seen = calloc(h->op_count + 1, 1);
    if (!seen) abort();
    int64_t first = RP_NONE;
    for (size_t k = 0; k < h->op_count; k++) {
        int64_t id = h->by_index[k];
        expect(id >= 0 && (size_t)id < h->op_count && !seen[id], "by_index", (long long)k);
        seen[id] = 1;
        const rp_op *op = &h->ops[id], *before = k ? &h->ops[h->by_index[k - 1]] : NULL;
        expect(!before || before->index < op->index ||
               (before->index == op->index && h->by_index[k - 1] < id),
               "by_index is not sorted by index, then id", (long long)k);
        if (!before || before->index != op->index) {
            first = id;
            if (before && before->index + 1 < op->index) /* an index between two present */
                expect(rp_history_find(h, op->index - 1) == RP_NONE, "found a gap", op->index);
        }
        expect(rp_history_find(h, op->index) == first, "find is not the first op", op->index);
    }
    free(seen);
}

static void check_history(const rp_history *h, const uint8_t *data, size_t size) {
    bool unterminated = size > 0 && data[size - 1] != '\n';
    expect(!h->warning[0] || unterminated, "a truncation warning on a whole line", 0);
    expect(h->event_total == count_nonblank_lines(data, size) - (h->warning[0] ? 1 : 0),
           "event_total is not the number of non-blank lines", h->event_total);
    expect(h->op_count <= (size_t)h->event_total &&
           h->event_count <= (size_t)h->event_total - h->op_count, "counts", 0);
    for (size_t i = 0; i < h->op_count; i++) check_op(h, &h->ops[i], i);
    check_processes(h);
    check_events(h);
    check_windows(h);
    check_index(h);
}

/* ---- the page ---- */

/* results.json naming every NAMED_EVERY-th op (as an "ops" list, the last one as an op
 * object) and one index that no op has; a valid checker's ops are not anomalies. */
static json_t *results_naming(const rp_history *h) {
    json_t *ops = json_array();
    for (size_t i = 0; i < h->op_count; i += NAMED_EVERY)
        json_array_append_new(ops, json_integer(h->ops[i].index));
    int64_t missing = -1;
    while (rp_history_find(h, missing) != RP_NONE) missing--; /* at most op_count steps */
    json_array_append_new(ops, json_integer(missing));
    const rp_op *op = h->op_count ? &h->ops[h->op_count - 1] : NULL;
    json_t *last = op ? json_pack("{s:I,s:I}", "index", (json_int_t)op->index, "process",
                                  (json_int_t)op->process)
                      : json_null();
    return json_pack("{s:b,s:{s:{s:b,s:o,s:o},s:{s:b,s:[i]}}}", "valid", 0, "checkers", "fuzz",
                     "valid", 0, "ops", ops, "op", last, "fine", "valid", 1, "ops", 0);
}

/* How many distinct ops results.json names; marks them in named[]. */
static size_t mark_named(const rp_history *h, uint8_t *named) {
    size_t count = 0;
    for (size_t i = 0; i < h->op_count; i += NAMED_EVERY) {
        int64_t id = rp_history_find(h, h->ops[i].index);
        count += !named[id];
        named[id] = 1;
    }
    if (h->op_count) {
        int64_t id = rp_history_find(h, h->ops[h->op_count - 1].index);
        count += !named[id];
        named[id] = 1;
    }
    return count;
}

static char *read_report(size_t *len) {
    char path[PATH_BYTES];
    run_path("report.html", path);
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) broken("no report.html", 0);
    char *text = malloc((size_t)st.st_size + 1);
    if (!text) abort();
    *len = fread(text, 1, (size_t)st.st_size, f);
    expect(*len == (size_t)st.st_size && !ferror(f), "cannot read report.html", 0);
    fclose(f);
    text[*len] = '\0';
    return text;
}

#define BLOCKS 6

/* The six data elements in page order, each parsed back; no '<' before the end tag. */
static void parse_blocks(const char *page, size_t len, json_t *blocks[BLOCKS]) {
    static const char open[] = "<script type=\"application/json\" id=\"";
    static const char *const ids[BLOCKS] = {"fl-meta", "fl-results", "fl-faults", "fl-perf",
                                            "fl-ops",  "fl-primaries"};
    const char *at = page, *end = page + len;
    for (size_t b = 0; b < BLOCKS; b++) {
        at = memmem(at, (size_t)(end - at), open, sizeof open - 1);
        expect(at != NULL, "a data element is missing", (long long)b);
        at += sizeof open - 1;
        size_t id_len = strlen(ids[b]);
        expect(!strncmp(at, ids[b], id_len) && !strncmp(at + id_len, "\">", 2), "element id",
               (long long)b);
        const char *json = at + id_len + 2, *lt = memchr(json, '<', (size_t)(end - json));
        expect(lt && !strncmp(lt, "</script>", 9), "a '<' inside a data element", (long long)b);
        size_t json_len = (size_t)(lt - json);
        expect(!memmem(json, json_len, "\xE2\x80\xA8", 3) &&
               !memmem(json, json_len, "\xE2\x80\xA9", 3), "a raw U+2028/9", (long long)b);
        json_error_t jerr;
        blocks[b] = json_loadb(json, json_len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr); /* null too */
        if (!blocks[b]) fprintf(stderr, "%s: %s\n", ids[b], jerr.text);
        expect(blocks[b] != NULL, "a data element does not parse", (long long)b);
        at = lt;
    }
    expect(!memmem(at, (size_t)(end - at), open, sizeof open - 1), "a seventh data element", 0);
}

/* null, or {"changes", "split_brains", "timeline"} with segments in order. */
static void check_primaries_block(const json_t *p) {
    if (json_is_null(p)) return;
    const json_t *timeline = json_object_get(p, "timeline");
    expect(json_is_array(timeline) && json_array_size(timeline) > 0, "primaries timeline", 0);
    expect(json_integer_value(json_object_get(p, "changes")) == (json_int_t)json_array_size(timeline) - 1,
           "primaries changes", 0);
    double previous = -1e300;
    size_t i;
    json_t *seg;
    json_array_foreach(timeline, i, seg) {
        double from = json_number_value(json_object_get(seg, "from_s"));
        double to = json_number_value(json_object_get(seg, "to_s"));
        expect(from >= previous && to >= from, "primaries segments out of order", (long long)i);
        previous = to;
    }
}

static int64_t field(const json_t *o, const char *a, const char *b) {
    const json_t *v = json_object_get(json_object_get(o, a), b);
    expect(json_is_integer(v), "a count is missing", 0);
    return json_integer_value(v);
}

static void check_ops_block(const rp_history *h, const json_t *ops, const uint8_t *named) {
    const json_t *rows = json_object_get(ops, "rows");
    size_t i, k = 0;
    json_t *row;
    int64_t previous_line = 0;
    json_array_foreach(rows, i, row) {
        int64_t line = json_integer_value(json_array_get(row, 12));
        expect(line > previous_line, "rows out of order", line);
        previous_line = line;
        while (k < h->op_count && h->ops[k].line < line) {
            expect(!named[k], "a named op is not embedded", h->ops[k].index);
            k++;
        }
        expect(k < h->op_count && h->ops[k].line == line, "a row that is no op", line);
        const rp_op *op = &h->ops[k];
        const json_t *complete_ns = json_array_get(row, 3);
        const json_t *complete_index = json_array_get(row, 11);
        expect(json_integer_value(json_array_get(row, 0)) == op->index, "row index", line);
        expect(json_is_null(complete_ns) == (op->outcome == RP_OPEN) &&
               json_is_null(complete_index) == (op->outcome == RP_OPEN), "row completion", line);
        expect(op->outcome == RP_OPEN || (json_integer_value(complete_ns) == op->complete_ns &&
               json_integer_value(complete_index) == op->complete_index), "row completion", line);
        k++;
    }
    for (; k < h->op_count; k++) expect(!named[k], "a named op is not embedded", h->ops[k].index);
}

static void check_page(const rp_history *h, const json_t *results, size_t max_ops,
                       const uint8_t *named, size_t named_count) {
    size_t len;
    char *page = read_report(&len);
    expect(fl_utf8_valid(page, len), "report.html is not UTF-8", 0);
    json_t *b[BLOCKS];
    parse_blocks(page, len, b);
    expect(field(b[0], "history", "ops") == (int64_t)h->op_count, "meta ops", 0);
    expect(field(b[0], "history", "events") == h->event_total, "meta events", 0);
    expect(field(b[0], "history", "nemesis_events") == (int64_t)h->event_count, "meta nemesis", 0);
    expect(field(b[0], "history", "processes") == (int64_t)h->process_count, "meta processes", 0);
    expect(field(b[0], "embedded", "named") == (int64_t)named_count, "named",
           (long long)named_count);
    expect(field(b[0], "embedded", "named_missing") == 1, "named_missing", 0);
    size_t want = max_ops < h->op_count ? max_ops : h->op_count;
    if (named_count > want) want = named_count;
    size_t rows = json_array_size(json_object_get(b[4], "rows"));
    expect(rows == want && field(b[0], "embedded", "ops") == (int64_t)rows, "embedded",
           (long long)rows);
    expect(json_equal(b[1], results), "results changed on the way", 0);
    expect(json_array_size(json_object_get(b[2], "windows")) == h->window_count, "windows", 0);
    const json_t *latency = json_object_get(b[3], "latency");
    expect(json_integer_value(json_object_get(latency, "points")) <= 4000, "scatter points", 0);
    check_ops_block(h, b[4], named);
    check_primaries_block(b[5]);
    for (size_t i = 0; i < BLOCKS; i++) json_decref(b[i]);
    free(page);
}

static void check_report(const uint8_t *data, size_t size, const rp_history *h, int read_rc) {
    write_file("history.jsonl", data, size);
    json_t *results = read_rc == 0 ? results_naming(h) : json_pack("{s:b}", "valid", 1);
    char *text = json_dumps(results, JSON_COMPACT);
    if (!text) abort();
    write_file("results.json", text, strlen(text));
    free(text);
    fl_report_options o = {.max_ops = 1 + size % 24};
    char err[ERR_BYTES];
    int rc = fl_report_write(run_dir, &o, err, sizeof err);
    if (read_rc != 0) {
        expect(rc == FL_REPORT_MALFORMED && strstr(err, "history.jsonl:"),
               "a report of a bad history", rc);
    } else {
        if (rc != FL_REPORT_OK) fprintf(stderr, "%s\n", err);
        expect(rc == FL_REPORT_OK, "no report of a history the reader takes", rc);
        uint8_t *named = calloc(h->op_count + 1, 1);
        if (!named) abort();
        size_t named_count = mark_named(h, named);
        check_page(h, results, o.max_ops, named, named_count);
        free(named);
    }
    json_decref(results);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rp_history h;
    char err[ERR_BYTES] = "";
    int rc = rp_history_read_buffer((const char *)data, size, path_name, &h, err, sizeof err);
    expect(rc == 0 || rc == -1, "the reader failed on its own", rc);
    if (rc == -1) expect(!strncmp(err, "history.jsonl:", 14), "an error that names no line", 0);
    if (rc == 0) check_history(&h, data, size);
    check_report(data, size, &h, rc);
    rp_history_free(&h);
    return 0;
}
