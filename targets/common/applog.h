/* A daemon's durable append-only log of text lines in its data dir (fl-quorumkv's put
 * log, fl-fencestore's journal): opened locked (flock, so two daemons never share a data
 * dir), replayed line by line at start, appended in batches made durable by one fdatasync
 * each (group commit). What a line holds is the caller's: a callback says whether a line
 * is a valid record. Replay rule: a torn tail (lines after the last valid record: a write
 * cut by a crash, never acknowledged) is truncated away; an invalid line followed by a
 * valid one is corruption and stops the start with a message naming the file and line. */
#ifndef FL_TARGET_APPLOG_H
#define FL_TARGET_APPLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define FL_APPLOG_ERR_BYTES 256
#define FL_APPLOG_PATH_BYTES 4096

typedef struct fl_applog {
    int fd;                 /* O_APPEND, locked; -1 when closed */
    char path[FL_APPLOG_PATH_BYTES];
    fl_buf pending;         /* records appended since the last commit */
    size_t pending_records;
} fl_applog;

/* What scanning a log image found. */
typedef struct fl_applog_scan_result {
    size_t records;         /* valid records, all handed to the callback */
    size_t good_bytes;      /* the log up to the end of the last valid record */
    size_t tail_lines;      /* lines (whole or torn) after it, to be truncated */
    size_t bad_line;        /* 1-based: an invalid line before a valid one; 0 if none */
    char err[FL_APPLOG_ERR_BYTES]; /* why bad_line is invalid */
} fl_applog_scan_result;

/* One whole line (len bytes, no newline): 0 when it is a valid record (then taken: applied,
 * counted), -1 with err when it is not. */
typedef int fl_applog_line_fn(void *arg, const char *line, size_t len, char *err,
                              size_t err_bytes);

/* Pure: scans a log image, calling fn on each whole line in order until an invalid line is
 * followed by a valid one. 0, or -1 then (r->bad_line, r->err). */
int fl_applog_scan(const char *bytes, size_t len, fl_applog_line_fn *fn, void *arg,
                   fl_applog_scan_result *r);

/* Opens DIR/NAME (creating both as needed), replays it through fn and truncates a torn
 * tail (logged). pending_bytes_max caps a batch. 0 and *r, or -1 with err naming the file
 * and what to do. Every field is set before anything can fail: fl_applog_close is safe. */
int fl_applog_open(fl_applog *w, const char *dir, const char *name, size_t pending_bytes_max,
                   fl_applog_line_fn *fn, void *arg, fl_applog_scan_result *r, char *err,
                   size_t err_bytes);
void fl_applog_close(fl_applog *w);
/* The next line of the batch goes into w->pending (the caller appends it whole, with its
 * newline); then fl_applog_added counts it. */
static inline void fl_applog_added(fl_applog *w) { w->pending_records++; }
static inline bool fl_applog_pending(const fl_applog *w) { return w->pending_records > 0; }
/* Writes the batch and fdatasyncs it: 0, or -1 with err (the caller must not acknowledge
 * anything of the batch). */
int fl_applog_commit(fl_applog *w, char *err, size_t err_bytes);

#endif
