/* The log-pattern checker's state while it walks a run directory (log_pattern.c) and
 * reads one log after another (log_scan.c). */
#ifndef FL_LP_LOG_SCAN_H
#define FL_LP_LOG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "patterns.h"

#define LP_LIST_MAX 100     /* entries shown in each list of the result */
#define LP_TEXT_MAX 300     /* bytes of a matching line shown */

typedef struct lp_scan {
    lp_patterns patterns;
    const char *run_dir;
    uint64_t max_file_bytes;
    uint64_t files_scanned, bytes_scanned, match_count, match_error_count;
    uint64_t skipped_count, unreadable_count, truncated_count;
    json_t *matches;        /* first LP_LIST_MAX */
    json_t *truncated;      /* first LP_LIST_MAX {"file", "size_bytes", "scanned_bytes"} */
    json_t *skipped;        /* first LP_LIST_MAX {"file", "reason"} */
    json_t *unreadable;     /* first LP_LIST_MAX {"file", "error"} */
    json_t *match_error;    /* the first, or NULL */
    bool out_of_memory;
} lp_scan;

/* A name or path as JSON (invalid UTF-8 replaced). */
json_t *lp_name_json(const char *name);

/* Append {"file": rel, field: text} to list (if it has room) and count it. */
void lp_note(lp_scan *s, json_t *list, uint64_t *count, const char *rel, const char *field,
             const char *text);

/* Scan the log at RUN_DIR/rel, which belongs to node. */
void lp_scan_file(lp_scan *s, const char *node, const char *rel);

#endif
