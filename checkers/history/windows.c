/* Fault windows from nemesis events (see windows.h): one pass that keeps, per kind, a
 * queue of its open windows (a stop closes the oldest) and a list of every window
 * opened since the last heal (a heal closes those still open). Windows close in the
 * order of the scan, so the order by stop position comes free, without a sort. */
#include "windows.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct finder {
    const fl_history *h;
    fl_fault_windows *w;
    fl_error *err;
    fl_strmap *kind_ids;    /* kind text -> index in w->kinds */
    size_t window_cap, kind_cap;
    int64_t *next_same;     /* per window: the next window of its kind opened after it */
    int64_t *head, *tail;   /* per kind: its oldest and newest open windows, or -1 */
    size_t *since_heal;     /* windows opened since the last heal (some already closed) */
    size_t since_heal_count;
} finder;

/* Room for one more kind in the per-kind arrays; -1 on OOM. */
static int kind_room(finder *f) {
    fl_fault_windows *w = f->w;
    if (w->kind_count < f->kind_cap) return 0;
    size_t n = f->kind_cap ? f->kind_cap * 2 : 16;
    char **kinds = realloc(w->kinds, n * sizeof *kinds);
    if (kinds) w->kinds = kinds;
    int64_t *head = realloc(f->head, n * sizeof *head);
    if (head) f->head = head;
    int64_t *tail = realloc(f->tail, n * sizeof *tail);
    if (tail) f->tail = tail;
    if (!kinds || !head || !tail) return -1;
    f->kind_cap = n;
    return 0;
}

/* The kind's index, adding it when add is set; -1 when absent, -2 on OOM. */
static int64_t kind_id(finder *f, const char *kind, size_t len, bool add) {
    fl_fault_windows *w = f->w;
    int64_t id = fl_strmap_get(f->kind_ids, kind, len);
    if (id >= 0 || !add) return id;
    if (kind_room(f) != 0) return -2;
    char *copy = strndup(kind, len);
    if (!copy) return -2;
    id = (int64_t)w->kind_count;
    if (fl_strmap_put(f->kind_ids, kind, len, id) != id) {
        free(copy);
        return -2;
    }
    w->kinds[w->kind_count++] = copy;
    f->head[id] = f->tail[id] = -1;
    return id;
}

/* Room for one more window in the per-window arrays; -1 on OOM. */
static int window_room(finder *f) {
    fl_fault_windows *w = f->w;
    if (w->count < f->window_cap) return 0;
    size_t n = f->window_cap ? f->window_cap * 2 : 16;
    fl_fault_window *windows = realloc(w->windows, n * sizeof *windows);
    if (windows) w->windows = windows;
    size_t *by_stop = realloc(w->by_stop, n * sizeof *by_stop);
    if (by_stop) w->by_stop = by_stop;
    int64_t *next_same = realloc(f->next_same, n * sizeof *next_same);
    if (next_same) f->next_same = next_same;
    size_t *since_heal = realloc(f->since_heal, n * sizeof *since_heal);
    if (since_heal) f->since_heal = since_heal;
    if (!windows || !by_stop || !next_same || !since_heal) return -1;
    f->window_cap = n;
    return 0;
}

static int open_window(finder *f, size_t kind, int64_t pos) {
    fl_fault_windows *w = f->w;
    if (window_room(f) != 0) return -1;
    size_t id = w->count++;
    w->windows[id] = (fl_fault_window){.kind = kind, .start_pos = pos, .stop_pos = -1};
    f->next_same[id] = -1;
    if (f->tail[kind] >= 0) f->next_same[f->tail[kind]] = (int64_t)id;
    else f->head[kind] = (int64_t)id;
    f->tail[kind] = (int64_t)id;
    f->since_heal[f->since_heal_count++] = id;
    return 0;
}

/* Close the oldest open window of kind; false when none is open. */
static bool close_oldest(finder *f, size_t kind, int64_t pos) {
    int64_t id = f->head[kind];
    if (id < 0) return false;
    f->w->windows[id].stop_pos = pos;
    f->w->by_stop[f->w->closed_count++] = (size_t)id;
    f->head[kind] = f->next_same[id];
    if (f->head[kind] < 0) f->tail[kind] = -1;
    return true;
}

static void heal(finder *f, int64_t pos) {
    for (size_t k = 0; k < f->since_heal_count; k++) {
        fl_fault_window *win = &f->w->windows[f->since_heal[k]];
        if (win->stop_pos >= 0) continue;
        win->stop_pos = pos;
        win->healed = true;
        f->w->by_stop[f->w->closed_count++] = f->since_heal[k];
        f->head[win->kind] = f->tail[win->kind] = -1;
    }
    f->since_heal_count = 0;
    f->w->heal_count++;
}

static bool ends_with(const char *s, size_t len, const char *suffix, size_t suffix_len) {
    return len >= suffix_len && memcmp(s + len - suffix_len, suffix, suffix_len) == 0;
}

/* One nemesis info event. 0, or -1 with err set. */
static int event(finder *f, int64_t pos) {
    const fl_op *op = &f->h->ops[pos];
    size_t len = strlen(op->f);
    bool start = ends_with(op->f, len, "-start", 6);
    bool stop = !start && ends_with(op->f, len, "-stop", 5);
    if (!start && !stop) {
        if (strcmp(op->f, "heal") == 0) heal(f, pos);
        return 0;
    }
    size_t kind_len = len - (start ? 6 : 5);
    if (kind_len == 0) {
        fl_error_set(f->err, f->h->source, op->line, 0,
                     "nemesis event (index %lld) has f \"%s\": no fault kind before it",
                     (long long)op->index, op->f);
        return -1;
    }
    int64_t kind = kind_id(f, op->f, kind_len, start);
    if (kind == -2) goto out_of_memory;
    if (start) {
        if (open_window(f, (size_t)kind, pos) != 0) goto out_of_memory;
    } else if (kind < 0 || !close_oldest(f, (size_t)kind, pos)) {
        f->w->unmatched_stop_count++;
    }
    return 0;
out_of_memory:
    fl_error_set(f->err, f->h->source, op->line, 0, "out of memory finding fault windows");
    return -1;
}

int fl_fault_windows_find(const fl_history *h, fl_fault_windows *out, fl_error *err) {
    memset(out, 0, sizeof *out);
    finder f = {.h = h, .w = out, .err = err, .kind_ids = fl_strmap_new()};
    int rc = 0;
    if (!f.kind_ids) {
        fl_error_set(err, h->source, 0, 0, "out of memory finding fault windows");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS && op->type == FL_INFO)
            rc = event(&f, (int64_t)i);
    }
    fl_strmap_free(f.kind_ids);
    free(f.next_same);
    free(f.head);
    free(f.tail);
    free(f.since_heal);
    if (rc != 0) fl_fault_windows_free(out);
    return rc;
}

void fl_fault_windows_free(fl_fault_windows *w) {
    for (size_t k = 0; k < w->kind_count; k++) free(w->kinds[k]);
    free(w->kinds);
    free(w->windows);
    free(w->by_stop);
    memset(w, 0, sizeof *w);
}

static json_t *position_index(const fl_history *h, int64_t pos) {
    return pos < 0 ? json_null() : json_integer(h->ops[pos].index);
}

static json_t *position_time(const fl_history *h, int64_t pos) {
    if (pos < 0 || !(h->ops[pos].flags & FL_OP_HAS_TIME)) return json_null();
    return json_integer(h->ops[pos].time_ns);
}

json_t *fl_fault_window_json(const fl_history *h, const fl_fault_windows *w, size_t i) {
    assert(i < w->count);
    const fl_fault_window *win = &w->windows[i];
    const json_t *value = h->ops[win->start_pos].value;
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(w->kinds[win->kind]));
    json_object_set_new(o, "start_index", position_index(h, win->start_pos));
    json_object_set_new(o, "start_ns", position_time(h, win->start_pos));
    json_object_set_new(o, "stop_index", position_index(h, win->stop_pos));
    json_object_set_new(o, "stop_ns", position_time(h, win->stop_pos));
    json_object_set_new(o, "closed_by", win->stop_pos < 0 ? json_null()
                                        : json_string(win->healed ? "heal" : "stop"));
    json_object_set_new(o, "value", value ? json_incref((json_t *)value) : json_null());
    return o;
}

/* ------------------------------------------------------------------------------------ */
/* The cursor                                                                           */

int fl_fault_cursor_init(fl_fault_cursor *c, const fl_fault_windows *w) {
    memset(c, 0, sizeof *c);
    c->w = w;
    c->pos = -1;
    size_t kinds = w->kind_count ? w->kind_count : 1;
    c->open_by_kind = calloc(kinds, sizeof *c->open_by_kind);
    c->open_kinds = malloc(kinds * sizeof *c->open_kinds);
    c->slot_of_kind = malloc(kinds * sizeof *c->slot_of_kind);
    if (!c->open_by_kind || !c->open_kinds || !c->slot_of_kind) {
        fl_fault_cursor_free(c);
        return -1;
    }
    return 0;
}

static void kind_opened(fl_fault_cursor *c, size_t kind) {
    if (c->open_by_kind[kind]++ > 0) return;
    c->slot_of_kind[kind] = c->open_kind_count;
    c->open_kinds[c->open_kind_count++] = kind;
}

static void kind_closed(fl_fault_cursor *c, size_t kind) {
    assert(c->open_by_kind[kind] > 0);
    if (--c->open_by_kind[kind] > 0) return;
    size_t slot = c->slot_of_kind[kind], last = c->open_kinds[--c->open_kind_count];
    c->open_kinds[slot] = last;
    c->slot_of_kind[last] = slot;
}

void fl_fault_cursor_seek(fl_fault_cursor *c, int64_t pos) {
    assert(pos >= c->pos);
    const fl_fault_windows *w = c->w;
    c->pos = pos;
    /* Every window starts before it stops, so opening first never closes a kind that
     * was not open. */
    while (c->next_start < w->count && w->windows[c->next_start].start_pos < pos)
        kind_opened(c, w->windows[c->next_start++].kind);
    while (c->next_stop < w->closed_count &&
           w->windows[w->by_stop[c->next_stop]].stop_pos < pos)
        kind_closed(c, w->windows[w->by_stop[c->next_stop++]].kind);
}

size_t fl_fault_cursor_open_kinds(const fl_fault_cursor *c, const size_t **kinds) {
    *kinds = c->open_kinds;
    return c->open_kind_count;
}

void fl_fault_cursor_free(fl_fault_cursor *c) {
    free(c->open_by_kind);
    free(c->open_kinds);
    free(c->slot_of_kind);
    memset(c, 0, sizeof *c);
}
