/* The report's own read of history.jsonl: line by line, invalid UTF-8 replaced by
 * U+FFFD before parsing (so a history the checkers refuse for its bytes still gets a
 * report), client ops paired invocation to completion, nemesis events turned into
 * fault windows. Only what the page needs for every op is kept (times, process,
 * outcome, f); values are parsed again from the kept file text for the ops the page
 * embeds. */
#ifndef FL_REPORT_SCAN_H
#define FL_REPORT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define RP_OPEN 9        /* outcome of an op never completed (with FL_OK/FAIL/INFO) */
#define RP_NONE (-1)

/* One client op: an invocation and its completion (if any). A completion's index and
 * time may be -1 (= RP_NONE) too: tell an op never completed by its outcome. */
typedef struct rp_op {
    int64_t index;          /* the invocation's index ("index", else its position) */
    int64_t complete_index; /* the completion's index, or RP_NONE */
    int64_t process;        /* >= 0 */
    int64_t invoke_ns;
    int64_t complete_ns;    /* RP_NONE when never completed */
    int64_t invoke_pos;     /* position among all events (nemesis included) */
    int64_t complete_pos;   /* or RP_NONE */
    size_t invoke_off;      /* byte offset of the invocation's line in rp_history.text */
    size_t complete_off;    /* or SIZE_MAX */
    uint32_t line;          /* the invocation's line (1-based) */
    uint32_t complete_line; /* or 0 */
    uint32_t f;             /* index into rp_history.fs */
    uint8_t outcome;        /* FL_OK, FL_FAIL, FL_INFO, or RP_OPEN */
    uint8_t selected;       /* the page embeds it (rp_select) */
} rp_op;

/* A nemesis event (type info), kept whole: there are few. */
typedef struct rp_event {
    int64_t pos, index, time_ns;
    uint32_t line;
    char *f;                /* owned */
    json_t *value;          /* owned, NULL when absent */
} rp_event;

/* A fault in force: opened by "<kind>-start", closed by the first later "<kind>-stop"
 * (the oldest open window of that kind) or by "heal" (all); never closed = to the end. */
typedef struct rp_window {
    char *kind;             /* owned */
    size_t start_event;     /* index into rp_history.events */
    int64_t stop_event;     /* or RP_NONE */
} rp_window;

typedef struct rp_history {
    char *text;             /* the whole file, owned */
    size_t text_bytes;
    const char *path;       /* for messages */
    rp_op *ops;             /* in order of invocation */
    size_t op_count;
    rp_event *events;
    size_t event_count;
    rp_window *windows;     /* in order of start */
    size_t window_count;
    char **fs;              /* distinct f of client ops, owned */
    size_t f_count;
    int64_t *by_index;      /* op ids sorted by index (rp_history_index_ops) */
    int64_t end_ns;         /* the latest event time */
    int64_t event_total;    /* every event line (nemesis included) */
    size_t process_count;   /* distinct client processes */
    bool has_time;          /* some event had a "time"; else times are positions (1 ms each) */
    char warning[512];      /* e.g. a truncated last line that was skipped */
} rp_history;

/* Read path. 0; -1 malformed (err: "path:line: what"), -2 I/O or out of memory. */
int rp_history_read(const char *path, rp_history *h, char *err, size_t bytes);
/* The same over text already in memory (copied into h->text; path only names it in
 * messages and must outlive h). What rp_history_read does after reading the file. */
int rp_history_read_buffer(const char *text, size_t len, const char *path, rp_history *h,
                           char *err, size_t bytes);
void rp_history_free(rp_history *h);

/* Parse the line starting at offset off again (sanitized); a new object or NULL. */
json_t *rp_history_line(const rp_history *h, size_t off);

/* The op whose invocation has this index (the first one), or RP_NONE: O(log n) after
 * rp_history_index_ops. */
int rp_history_index_ops(rp_history *h);
int64_t rp_history_find(const rp_history *h, int64_t index);

#endif
