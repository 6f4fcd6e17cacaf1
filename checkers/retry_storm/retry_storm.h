/* The retry-storm checker (target `payments`, DESIGN.md "Targets", payments): did the
 * retry layer between fl-orders and fl-payments turn a fault into a retry storm — more
 * load on a failing service than its callers' own calls, waves of synchronised retries
 * after the fault, a service still digging out of its own retries long after it?
 *
 * Inputs:
 *   - the history: client ops `order` and `cancel` that completed ok are the goodput (what
 *     the clients saw succeed), the last client op ends the run's steady state; nemesis
 *     events make the fault windows (windows.h);
 *   - fl-payments' request log, every request it read: its CLOCK_MONOTONIC arrival and
 *     completion, the caller's logical call id, the attempt and the outcome
 *     (fl_rs_arrival; the loader below reads RUN_DIR/nodes/<node>/payments-requests.jsonl);
 *   - origin_ns: the CLOCK_MONOTONIC ns at which history time 0 is (test.json's
 *     "history_origin_mono_ns"), so an arrival's history time is arrived_ns − origin_ns.
 *
 * Measures (the thresholds and why: DESIGN.md):
 *   W         per fault window, [start, stop + 10 s] (a window never stopped ends with
 *             the history);
 *   steady    the 1 s buckets [k, k+1) s with k ≥ 2, ending by the last client op and
 *             meeting no W; baseline goodput = their median goodput per second,
 *             baseline arrivals = the median arrivals of their 100 ms buckets;
 *   amplification  over the calls the fault hit (an arrival in [start, stop + 1 s]):
 *                  the mean of each call's highest attempt number logged — attempts per
 *                  logical call, counting attempts that never arrived (a refused
 *                  connection) by the numbers of those that did; flag > 2;
 *   wave ratio     the largest 100 ms bucket of retries (attempt ≥ 2) arriving in
 *                  (stop + 0.5 s, stop + 10 s] (buckets aligned to the stop), cut at the
 *                  next fault's start (its arrivals are its own), ÷ max(baseline
 *                  arrivals, 1); flag > 4. Retries only: a paused service reads the first
 *                  attempts queued for it over a second or more when it resumes — a
 *                  backlog, not a herd; the first 0.5 s is left out for the retries in it;
 *   recovery       seconds k from the stop to the first [stop+k, stop+k+1) whose goodput
 *                  is ≥ 90 % of the baseline; flag > 10 s; "not-recovered" (flagged)
 *                  when no such second ends by the last client op — unless the stop is
 *                  within 10 s of it: then null, with a note, not flagged.
 * Verdict: false when a window is flagged; true otherwise; "unknown" without a request
 * log or the clock mapping (the loader), with a malformed log line (its file:line), or
 * with fewer than FL_RS_MIN_STEADY steady buckets while there are fault windows; no fault
 * windows: true with a note. A history with no client op: true, "no client ops". */
#ifndef FL_RETRY_STORM_H
#define FL_RETRY_STORM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

#define FL_RS_AMPLIFICATION_MAX 2.0
#define FL_RS_WAVE_RATIO_MAX 4.0
#define FL_RS_RECOVERY_MAX_S 10
#define FL_RS_RECOVERED_SHARE 0.9
#define FL_RS_AFTER_STOP_NS 10000000000LL  /* W reaches this far past the stop */
#define FL_RS_BACKLOG_NS 500000000LL       /* after a stop, not a wave: a pause's backlog */
#define FL_RS_HIT_AFTER_STOP_NS 1000000000LL /* a call arriving this soon after the stop was
                                               hit by the fault (a backlog, a retry) */
#define FL_RS_WARMUP_NS 2000000000LL       /* the run's first seconds are not steady */
#define FL_RS_MIN_STEADY 5
#define FL_RS_SERIES_MAX 3600              /* 1 s buckets plotted, widened beyond */

typedef enum {
    FL_RS_OK = 0,
    FL_RS_REPEAT,        /* an idempotent repeat answered from the journal: served */
    FL_RS_OVERLOADED,    /* shed */
    FL_RS_IDEM_MISMATCH,
    FL_RS_MALFORMED,
    FL_RS_OUTCOMES
} fl_rs_outcome;

/* One request fl-payments read. */
typedef struct fl_rs_arrival {
    int64_t arrived_ns; /* CLOCK_MONOTONIC */
    int64_t done_ns;    /* CLOCK_MONOTONIC, ≥ arrived_ns */
    int64_t call;       /* the caller's logical call id, as a number: equal ids, one call */
    int32_t attempt;    /* 1 = the first */
    uint8_t outcome;    /* fl_rs_outcome */
} fl_rs_arrival;

/* The outcome named s, or -1. */
int fl_rs_outcome_parse(const char *s);

/* The result (new reference) for h (paired, with times) and the n arrivals a (any order)
 * on the clock whose origin_ns is history time 0; NULL only when memory ran out. */
json_t *fl_check_retry_storm(const fl_history *h, const fl_rs_arrival *a, size_t n,
                             int64_t origin_ns);

/* Request logs read from a run directory. */
typedef struct fl_rs_log {
    fl_rs_arrival *arrivals;
    size_t count;
    json_t *files;       /* the logs read, relative to the run directory */
    size_t torn_skipped; /* torn last lines (a killed daemon) skipped */
    int64_t origin_ns;
} fl_rs_log;

/* Read RUN_DIR/test.json's "history_origin_mono_ns" and every
 * RUN_DIR/nodes/<node>/payments-requests.jsonl into log. 0; or 1 with why (the checker's
 * result is then unknown): no log, no mapping, a malformed line (file:line); or -1 when
 * memory ran out. A last line with no line end that does not parse is a torn write and
 * is skipped; any other line that does not parse is malformed. */
int fl_rs_log_read(const char *run_dir, fl_rs_log *log, char *why, size_t why_bytes);
void fl_rs_log_free(fl_rs_log *log);

/* The checker on a run directory: the loader, then fl_check_retry_storm, with the log's
 * files and skipped lines added; unknown with "error" when run_dir is NULL or the loader
 * says why. NULL with err only when memory ran out. */
json_t *fl_check_retry_storm_run_dir(const fl_history *h, const char *run_dir, fl_error *err);

#endif
