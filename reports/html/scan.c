/* Reading history.jsonl for the report (see scan.h): one pass over the file text,
 * pairing client ops by process and keeping nemesis events, then fault windows. */
#include "scan.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "history.h"
#include "strpool.h"

#define POSITION_NS 1000000 /* a history without times: one event per millisecond */
#define LINE_BYTES_MAX (64u << 20)

/* process -> id of its open op, or RP_NONE; open addressing, never shrinks. */
typedef struct open_map {
    int64_t *process, *op;
    size_t mask, count;
} open_map;

static int open_map_init(open_map *m, size_t capacity) {
    m->mask = capacity - 1;
    m->count = 0;
    m->process = malloc(capacity * sizeof *m->process);
    m->op = malloc(capacity * sizeof *m->op);
    if (!m->process || !m->op) return -1;
    for (size_t i = 0; i < capacity; i++) m->process[i] = -1;
    return 0;
}

static void open_map_free(open_map *m) {
    free(m->process);
    free(m->op);
}

static int64_t *open_slot(open_map *m, int64_t process) {
    size_t i = (size_t)((uint64_t)process * 0x9E3779B97F4A7C15ULL >> 20) & m->mask;
    while (m->process[i] != -1 && m->process[i] != process) i = (i + 1) & m->mask;
    if (m->process[i] == -1) {
        m->process[i] = process;
        m->op[i] = RP_NONE;
        m->count++;
    }
    return &m->op[i];
}

static int open_map_reserve(open_map *m) {
    if ((m->count + 1) * 2 <= m->mask + 1) return 0;
    open_map bigger;
    if (open_map_init(&bigger, (m->mask + 1) * 2) != 0) {
        open_map_free(&bigger);
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++)
        if (m->process[i] != -1) *open_slot(&bigger, m->process[i]) = m->op[i];
    open_map_free(m);
    *m = bigger;
    return 0;
}

/* What one line says, as far as the report needs it. */
typedef struct line_fields {
    int type;          /* fl_op_type */
    int64_t process;   /* FL_PROCESS_NEMESIS for the nemesis */
    int64_t index;     /* valid when has_index: any integer, -1 too */
    bool has_index;
    int64_t time_ns;
    bool has_time;
    const char *f;
    json_t *obj;       /* owned */
} line_fields;

typedef struct scan {
    rp_history *h;
    fl_strmap *f_ids;
    open_map open;
    size_t op_capacity, event_capacity;
    char *clean;       /* scratch for sanitized lines */
    size_t clean_bytes;
    char *err;
    size_t err_bytes;
} scan;

static int fail(scan *s, uint32_t line, const char *what) {
    snprintf(s->err, s->err_bytes, "%s:%u: %s", s->h->path, line, what);
    return -1;
}

/* Parse a line (sanitized when it is not UTF-8); NULL with jerr set when it is not JSON. */
static json_t *parse_text(const char *text, size_t len, char **clean, size_t *clean_bytes,
                          json_error_t *jerr) {
    if (fl_utf8_valid(text, len)) return json_loadb(text, len, JSON_ALLOW_NUL, jerr);
    if (*clean_bytes < 3 * len + 1) {
        char *bigger = realloc(*clean, 3 * len + 1);
        if (!bigger) {
            snprintf(jerr->text, sizeof jerr->text, "out of memory");
            return NULL;
        }
        *clean = bigger;
        *clean_bytes = 3 * len + 1;
    }
    size_t n = fl_utf8_sanitize(text, len, *clean);
    return json_loadb(*clean, n, JSON_ALLOW_NUL, jerr);
}

static const char *read_fields(json_t *obj, line_fields *out) {
    memset(out, 0, sizeof *out);
    out->obj = obj;
    out->index = RP_NONE;
    out->f = "";
    if (!json_is_object(obj)) return "expected one JSON op object per line";
    json_t *type = json_object_get(obj, "type"), *process = json_object_get(obj, "process");
    json_t *time = json_object_get(obj, "time"), *index = json_object_get(obj, "index");
    json_t *f = json_object_get(obj, "f");
    out->type = json_is_string(type) ? fl_op_type_parse(json_string_value(type)) : -1;
    if (out->type < 0) return "\"type\" must be one of invoke, ok, fail, info";
    if (json_is_integer(process) && json_integer_value(process) >= 0)
        out->process = json_integer_value(process);
    else if (json_is_string(process) && !strcmp(json_string_value(process), "nemesis"))
        out->process = FL_PROCESS_NEMESIS;
    else
        return "\"process\" must be a non-negative integer or \"nemesis\"";
    if (index && !json_is_integer(index)) return "\"index\" must be an integer";
    if (index) {
        out->index = json_integer_value(index);
        out->has_index = true;
    }
    if (time && !json_is_number(time)) return "\"time\" must be a number (nanoseconds)";
    if (time) {
        double real = json_number_value(time);
        if (json_is_real(time) && !(real > -9.2e18 && real < 9.2e18))
            return "\"time\" is out of range";
        out->time_ns = json_is_integer(time) ? json_integer_value(time) : (int64_t)real;
        out->has_time = true;
    }
    if (f && !json_is_string(f)) return "\"f\" must be a string";
    if (f) out->f = json_string_value(f);
    return NULL;
}

static int64_t intern_f(scan *s, const char *f) {
    size_t len = strlen(f);
    int64_t id = fl_strmap_get(s->f_ids, f, len);
    if (id >= 0) return id;
    rp_history *h = s->h;
    char **fs = realloc(h->fs, (h->f_count + 1) * sizeof *fs);
    if (!fs) return -1;
    h->fs = fs;
    if (!(fs[h->f_count] = strdup(f))) return -1;
    if (fl_strmap_put(s->f_ids, f, len, (int64_t)h->f_count) < 0) return -1;
    return (int64_t)h->f_count++;
}

static int add_event(scan *s, const line_fields *lf, int64_t pos, uint32_t line) {
    rp_history *h = s->h;
    if (h->event_count == s->event_capacity) {
        size_t capacity = s->event_capacity ? 2 * s->event_capacity : 64;
        rp_event *events = realloc(h->events, capacity * sizeof *events);
        if (!events) return -2;
        h->events = events;
        s->event_capacity = capacity;
    }
    rp_event *e = &h->events[h->event_count];
    json_t *value = json_object_get(lf->obj, "value");
    *e = (rp_event){.pos = pos, .index = lf->index, .time_ns = lf->time_ns, .line = line,
                    .f = strdup(lf->f), .value = value ? json_incref(value) : NULL};
    if (!e->f) return -2;
    h->event_count++;
    return 0;
}

static int add_invocation(scan *s, const line_fields *lf, int64_t pos, uint32_t line,
                          size_t off, int64_t *slot) {
    rp_history *h = s->h;
    if (*slot != RP_NONE) {
        char what[256];
        snprintf(what, sizeof what, "process %lld invokes an op while its op on line %u has "
                 "not completed (after an info a process continues under a new number)",
                 (long long)lf->process, h->ops[*slot].line);
        return fail(s, line, what);
    }
    if (h->op_count == s->op_capacity) {
        size_t capacity = s->op_capacity ? 2 * s->op_capacity : 1024;
        rp_op *ops = realloc(h->ops, capacity * sizeof *ops);
        if (!ops) return -2;
        h->ops = ops;
        s->op_capacity = capacity;
    }
    int64_t f = intern_f(s, lf->f);
    if (f < 0) return -2;
    h->ops[h->op_count] = (rp_op){
        .index = lf->index, .complete_index = RP_NONE, .process = lf->process,
        .invoke_ns = lf->time_ns, .complete_ns = RP_NONE, .invoke_pos = pos,
        .complete_pos = RP_NONE, .invoke_off = off, .complete_off = SIZE_MAX, .line = line,
        .f = (uint32_t)f, .outcome = RP_OPEN};
    *slot = (int64_t)h->op_count++;
    return 0;
}

static int add_line(scan *s, const line_fields *lf, int64_t pos, uint32_t line, size_t off) {
    if (lf->process == FL_PROCESS_NEMESIS)
        return lf->type == FL_INFO ? add_event(s, lf, pos, line) : 0;
    if (open_map_reserve(&s->open) != 0) return -2;
    int64_t *slot = open_slot(&s->open, lf->process);
    if (lf->type == FL_INVOKE) return add_invocation(s, lf, pos, line, off, slot);
    if (*slot == RP_NONE) {
        char what[160];
        snprintf(what, sizeof what, "%s completion of process %lld has no invocation before it",
                 fl_op_type_name(lf->type), (long long)lf->process);
        return fail(s, line, what);
    }
    rp_op *op = &s->h->ops[*slot];
    op->complete_index = lf->index;
    op->complete_ns = lf->time_ns;
    op->complete_pos = pos;
    op->complete_off = off;
    op->complete_line = line;
    op->outcome = (uint8_t)lf->type;
    *slot = RP_NONE;
    return 0;
}

/* One non-blank line: 0, 1 when skipped (a truncated last line), or an error. */
static int scan_line(scan *s, const char *text, size_t len, uint32_t line, size_t off,
                     bool last_unterminated) {
    rp_history *h = s->h;
    json_error_t jerr;
    if (len > LINE_BYTES_MAX) return fail(s, line, "line longer than 64 MiB");
    json_t *obj = parse_text(text, len, &s->clean, &s->clean_bytes, &jerr);
    if (!obj && last_unterminated) {
        snprintf(h->warning, sizeof h->warning, "%s:%u: the last line is truncated (a "
                 "writer crashed?) and was skipped", h->path, line);
        return 1;
    }
    if (!obj) {
        snprintf(s->err, s->err_bytes, "%s:%u:%d: expected one JSON op object per line: %s",
                 h->path, line, jerr.column > 0 ? jerr.column : 1, jerr.text);
        return -1;
    }
    line_fields lf;
    const char *bad = read_fields(obj, &lf);
    int64_t pos = h->event_total;
    if (!lf.has_index) lf.index = pos;
    if (lf.has_time) h->has_time = true;
    if (lf.time_ns > h->end_ns) h->end_ns = lf.time_ns;
    int rc = bad ? fail(s, line, bad) : add_line(s, &lf, pos, line, off);
    json_decref(obj);
    if (rc == 0) h->event_total++;
    return rc;
}

static int scan_text(scan *s) {
    rp_history *h = s->h;
    uint32_t line = 0;
    for (size_t off = 0; off < h->text_bytes;) {
        const char *start = h->text + off;
        const char *nl = memchr(start, '\n', h->text_bytes - off);
        size_t len = nl ? (size_t)(nl - start) : h->text_bytes - off;
        line++;
        size_t content = len;
        while (content && (start[content - 1] == '\r' || start[content - 1] == ' ' ||
                           start[content - 1] == '\t'))
            content--;
        size_t lead = 0;
        while (lead < content && (start[lead] == ' ' || start[lead] == '\t')) lead++;
        if (lead < content) {
            int rc = scan_line(s, start, content, line, off, nl == NULL);
            if (rc == -2) snprintf(s->err, s->err_bytes, "%s:%u: out of memory", h->path, line);
            if (rc < 0) return rc;
        }
        off += len + (nl != NULL);
    }
    return 0;
}

static int add_window(rp_history *h, size_t *capacity, const char *kind, size_t kind_len,
                      size_t event) {
    if (h->window_count == *capacity) {
        *capacity = *capacity ? 2 * *capacity : 16;
        rp_window *windows = realloc(h->windows, *capacity * sizeof *windows);
        if (!windows) return -2;
        h->windows = windows;
    }
    rp_window *w = &h->windows[h->window_count];
    w->kind = strndup(kind, kind_len);
    w->start_event = event;
    w->stop_event = RP_NONE;
    if (!w->kind) return -2;
    h->window_count++;
    return 0;
}

/* Windows from the events: K-start opens one; K-stop closes the oldest open window
 * of K (an unmatched stop is ignored); heal closes every open window. Windows are
 * few (one per fault), so the scans for open ones are cheap. */
static int find_windows(rp_history *h, char *err, size_t bytes) {
    size_t capacity = 0;
    for (size_t i = 0; i < h->event_count; i++) {
        const char *f = h->events[i].f;
        size_t len = strlen(f);
        bool heal = !strcmp(f, "heal");
        bool start = len > 6 && !strcmp(f + len - 6, "-start");
        bool stop = len > 5 && !strcmp(f + len - 5, "-stop");
        if ((len == 6 && !strcmp(f, "-start")) || (len == 5 && !strcmp(f, "-stop"))) {
            snprintf(err, bytes, "%s:%u: nemesis event \"%s\" names no fault kind", h->path,
                     h->events[i].line, f);
            return -1;
        }
        if (start && add_window(h, &capacity, f, len - 6, i) != 0) {
            snprintf(err, bytes, "out of memory");
            return -2;
        }
        for (size_t w = 0; (heal || stop) && w < h->window_count; w++) {
            rp_window *win = &h->windows[w];
            if (win->stop_event != RP_NONE || win->start_event == i) continue;
            if (stop && (strlen(win->kind) != len - 5 || strncmp(win->kind, f, len - 5))) continue;
            win->stop_event = (int64_t)i;
            if (stop) break; /* the oldest open one only */
        }
    }
    return 0;
}

/* A history without any time: lay events out by position. */
static void times_from_positions(rp_history *h) {
    for (size_t i = 0; i < h->op_count; i++) {
        rp_op *op = &h->ops[i];
        op->invoke_ns = op->invoke_pos * POSITION_NS;
        if (op->complete_pos != RP_NONE) op->complete_ns = op->complete_pos * POSITION_NS;
    }
    for (size_t i = 0; i < h->event_count; i++) h->events[i].time_ns = h->events[i].pos * POSITION_NS;
    h->end_ns = h->event_total > 0 ? (h->event_total - 1) * POSITION_NS : 0;
}

static int read_whole(const char *path, rp_history *h, char *err, size_t bytes) {
    FILE *in = fopen(path, "rb");
    struct stat st;
    if (!in || fstat(fileno(in), &st) != 0) {
        snprintf(err, bytes, "%s: %s", path, strerror(errno));
        if (in) fclose(in);
        return -2;
    }
    h->text = malloc((size_t)st.st_size + 1);
    h->text_bytes = h->text ? fread(h->text, 1, (size_t)st.st_size, in) : 0;
    bool failed = !h->text || ferror(in);
    fclose(in);
    if (failed) {
        snprintf(err, bytes, "%s: %s", path, h->text ? "read error" : "out of memory");
        return -2;
    }
    h->text[h->text_bytes] = '\0';
    return 0;
}

/* Everything after the text is in h->text: the scan, times, windows and the index. */
static int scan_loaded(rp_history *h, char *err, size_t bytes) {
    int rc = 0;
    scan s = {.h = h, .f_ids = fl_strmap_new(), .err = err, .err_bytes = bytes};
    if (!s.f_ids || open_map_init(&s.open, 256) != 0) {
        snprintf(err, bytes, "out of memory");
        rc = -2;
    }
    if (rc == 0) rc = scan_text(&s);
    h->process_count = s.open.count;
    open_map_free(&s.open);
    fl_strmap_free(s.f_ids);
    free(s.clean);
    if (rc == 0 && !h->has_time) times_from_positions(h);
    if (rc == 0) rc = find_windows(h, err, bytes);
    if (rc == 0) rc = rp_history_index_ops(h);
    if (rc == -2 && !err[0]) snprintf(err, bytes, "out of memory");
    return rc;
}

int rp_history_read(const char *path, rp_history *h, char *err, size_t bytes) {
    memset(h, 0, sizeof *h);
    h->path = path;
    int rc = read_whole(path, h, err, bytes);
    return rc != 0 ? rc : scan_loaded(h, err, bytes);
}

int rp_history_read_buffer(const char *text, size_t len, const char *path, rp_history *h,
                           char *err, size_t bytes) {
    memset(h, 0, sizeof *h);
    h->path = path;
    h->text = malloc(len + 1);
    if (!h->text) {
        snprintf(err, bytes, "%s: out of memory", path);
        return -2;
    }
    if (len) memcpy(h->text, text, len);
    h->text[len] = '\0';
    h->text_bytes = len;
    return scan_loaded(h, err, bytes);
}

void rp_history_free(rp_history *h) {
    for (size_t i = 0; i < h->event_count; i++) {
        free(h->events[i].f);
        json_decref(h->events[i].value);
    }
    for (size_t i = 0; i < h->window_count; i++) free(h->windows[i].kind);
    for (size_t i = 0; i < h->f_count; i++) free(h->fs[i]);
    free(h->events);
    free(h->windows);
    free(h->fs);
    free(h->ops);
    free(h->by_index);
    free(h->text);
    memset(h, 0, sizeof *h);
}

json_t *rp_history_line(const rp_history *h, size_t off) {
    if (off >= h->text_bytes) return NULL;
    const char *start = h->text + off;
    const char *nl = memchr(start, '\n', h->text_bytes - off);
    size_t len = nl ? (size_t)(nl - start) : h->text_bytes - off;
    char *clean = NULL;
    size_t clean_bytes = 0;
    json_error_t jerr;
    json_t *obj = parse_text(start, len, &clean, &clean_bytes, &jerr);
    free(clean);
    return obj;
}

static const rp_history *sort_history; /* qsort has no context argument in C11 */

static int by_index(const void *a, const void *b) {
    const rp_op *x = &sort_history->ops[*(const int64_t *)a];
    const rp_op *y = &sort_history->ops[*(const int64_t *)b];
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return *(const int64_t *)a < *(const int64_t *)b ? -1 : 1; /* the first op wins */
}

int rp_history_index_ops(rp_history *h) {
    free(h->by_index);
    h->by_index = malloc((h->op_count ? h->op_count : 1) * sizeof *h->by_index);
    if (!h->by_index) return -2;
    bool sorted = true;
    for (size_t i = 0; i < h->op_count; i++) {
        h->by_index[i] = (int64_t)i;
        if (i && h->ops[i].index <= h->ops[i - 1].index) sorted = false;
    }
    if (!sorted) { /* indices normally rise with position; sort only when they do not */
        sort_history = h;
        qsort(h->by_index, h->op_count, sizeof *h->by_index, by_index);
        sort_history = NULL;
    }
    return 0;
}

int64_t rp_history_find(const rp_history *h, int64_t index) {
    size_t lo = 0, hi = h->op_count;
    while (lo < hi) { /* the first position whose index is >= index */
        size_t mid = lo + (hi - lo) / 2;
        if (h->ops[h->by_index[mid]].index < index) lo = mid + 1;
        else hi = mid;
    }
    if (lo < h->op_count && h->ops[h->by_index[lo]].index == index) return h->by_index[lo];
    return RP_NONE;
}
