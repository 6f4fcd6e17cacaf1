/* What the checker knows about one key once searched: shared by the pool (check.c)
 * and the result writer (explain.c). */
#ifndef FL_CHECK_INTERNAL_H
#define FL_CHECK_INTERNAL_H

#include "check.h"
#include "result.h"
#include "partition.h"
#include "search.h"
#include "window.h"

typedef struct key_job {
    fl_partition *part;
    fl_verdict verdict;
    const char *reason;           /* why UNKNOWN */
    fl_search_result search;      /* VALID: the linearization */
    fl_search_task *task;         /* while its search is suspended between turns */
    uint64_t slice_steps;         /* steps its next turn may take */
    size_t intern_mark;           /* the key's interner before its search: its values */
    fl_window window;             /* INVALID: the smallest failing window found */
    bool has_window;
    int certified;                /* -1 not asked, 0 refuted, 1 verified, 2 undecided */
    char certificate_problem[256];
    const char *prepare_error;    /* an op that does not fit the model */
    int64_t prepare_error_pos;
    double seconds;               /* its turns, window and certificate together */
} key_job;

/* The checker's result object from every key's job; NULL (err set) when an op did
 * not fit the model. */
json_t *fl_lin_summarize(const fl_history *h, const fl_lin_options *o, const key_job *jobs,
                         size_t count, double seconds, fl_error *err);

#endif
