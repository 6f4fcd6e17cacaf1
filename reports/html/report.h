/* The run's self-contained HTML report (DESIGN.md "Reports"): RUN_DIR/report.html from
 * the run directory's history.jsonl, results.json and test.json (both optional) and
 * nodes/<n>/ logs. One file with its CSS, JavaScript and data inline; it opens from
 * file:// with no network. */
#ifndef FL_REPORT_H
#define FL_REPORT_H

#include <stddef.h>

#define FL_REPORT_MAX_OPS_DEFAULT 50000

typedef struct fl_report_options {
    size_t max_ops; /* client ops the page embeds besides those anomalies name; 0: default */
} fl_report_options;

/* Return codes of fl_report_write. */
enum {
    FL_REPORT_OK = 0,
    FL_REPORT_MALFORMED = -1, /* an input that is missing or does not parse (err: file:line) */
    FL_REPORT_ERROR = -2,     /* I/O error or out of memory (err says which) */
};

/* Writes RUN_DIR/report.html (to a temporary name first, then renamed over it). o may
 * be NULL. On failure err holds a message naming the file. */
int fl_report_write(const char *run_dir, const fl_report_options *o, char *err, size_t bytes);

#endif
