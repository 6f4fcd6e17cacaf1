/* The stats / perf checker: what a run did rather than whether it was correct — op
 * counts by outcome, throughput and latency over time, latency quantiles, fault windows
 * and the availability of the system inside and outside them, and which nodes
 * answered. Its verdict only says whether the numbers mean anything (see Verdict).
 *
 * History shape (any workload):
 *   - a client op is an invocation with process >= 0, completed by ok, fail or info on
 *     the same process (op.pair, from fl_history_pair) or never completed; its outcome
 *     is "ok", "fail", "info" or "none" (never completed); its f is the invocation's;
 *   - nemesis events (process "nemesis") make fault windows as windows.h says: a window
 *     of kind K runs from a "K-start" to the next "K-stop" or "heal";
 *   - `time` is nanoseconds since the run started; ops without one count everywhere
 *     except in throughput and latency; `node` says which node answered (the
 *     completion's, else the invocation's) and may be absent.
 *
 * Definitions:
 *   start_ns     the smallest time of any op (client or nemesis) that has one;
 *   buckets      bucket b covers times [start_ns + b*bucket_ns, start_ns + (b+1)*bucket_ns);
 *                bucket_ns is the option's width (1 s by default) times the smallest
 *                integer that keeps the number of buckets up to the last time within
 *                max_buckets (2000 by default), so a long run gets wider buckets;
 *   throughput   per bucket of completion time: completions (ok, fail, info) and ok
 *                completions;
 *   latency      completion time - invocation time, for completed ops whose two events
 *                both have a time; grouped by f and outcome (ok, fail, info);
 *   quantile q   of n latencies sorted ascending: the one at 1-based rank ceil(q*n)
 *                ("nearest rank": exact, always a measured latency; p100 = max);
 *   series       per f and outcome, per bucket of *invocation* time with at least one
 *                op: [bucket start ns, count, p50 ms, max ms] — at most max_buckets
 *                points each, for plotting;
 *   availability for each fault kind K: the client ops *invoked* while a window of K was
 *                open (an op invoked while windows of several kinds are open counts for
 *                each), and "outside": those invoked while no window of any kind was
 *                open; ok_share = ok / invoked. An op's fate is decided by the system
 *                around its invocation, so invocation is what places it; an op never
 *                completed counts as not ok (the client had no answer);
 *   nodes        per node named by a completion: completions, ok completions,
 *                ok_share = ok / completed, share_of_ok = ok / every ok completion that
 *                names a node (the shares sum to 1).
 *
 * Verdict: true; "unknown" with `reason` when there is no client op, or when some f the
 * workload invoked never completed ok (never_ok names each such f with its counts and
 * its first invocation: the workload could not do it at all, so availability and
 * latency figures say nothing about it, and a correctness checker that passed may have
 * had nothing to check). Never false: performance is not correctness, so nothing here
 * can be a false alarm.
 *
 * Result object (DESIGN.md "Checkers"):
 *   {"valid": true|"unknown", "reason" (only when unknown),
 *    "never_ok": [{"f", "invoked", "fail", "info", "none", "first_op": the first
 *        invocation as fl_op_pair_json shows ops}] (first 100, only when some f never
 *        completed ok),
 *    "op_count": client invocations,
 *    "counts": {f: {"invoked", "ok", "fail", "info", "none"}} in order of first
 *        invocation, "totals": the same over every f,
 *    "untimed_count": completed client ops without a latency (a time is missing),
 *    "start_ns", "end_ns": the smallest and largest time (null when no op has one),
 *    "ok_per_s": ok completions with a time / (end_ns - start_ns) in s (null when that
 *        is 0),
 *    "throughput": {"start_ns", "bucket_ns", "ok": [count per bucket],
 *        "all": [count per bucket]} (null when no op has a time),
 *    "latency": {f: {outcome: {"count", "min_ms", "p50_ms", "p95_ms", "p99_ms",
 *        "max_ms", "mean_ms"}}} (outcomes with a latency only),
 *    "latency_series": {"start_ns", "bucket_ns", "series": [{"f", "type", "points":
 *        [[t_ns, count, p50_ms, max_ms], …]}, …]} (null when no op has a time),
 *    "fault_windows": [fl_fault_window_json, …] (first 2000), "fault_window_count",
 *    "unmatched_stop_count",
 *    "availability": {"during": {kind: A}, "outside": A, "all": A} where A is
 *        {"invoked", "ok", "fail", "info", "none", "ok_share" (null when nothing was
 *        invoked), "ok_latency": quantiles as in latency, of the ok ops (null if none)},
 *    "nodes": {node: {"completed", "ok", "ok_share", "share_of_ok"}} (only when some
 *        completion names a node)}
 *
 * The history must have been paired (fl_history_pair). Returns the result (new
 * reference) or NULL with err set (its line is the op's) when the history does not fit:
 * a completion without a paired invocation, a negative time, a completion timed before
 * its invocation, a nemesis f "-start" without a kind, an option out of range; or out
 * of memory. Time O(n log n) for n ops (two sorts of the latencies); memory 16 bytes
 * per completed op, plus as much for each fault kind an ok op was invoked in. */
#ifndef FL_CHECK_PERF_H
#define FL_CHECK_PERF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"

#define FL_PERF_BUCKET_NS_DEFAULT 1000000000LL
#define FL_PERF_BUCKET_NS_MIN 1000LL            /* 1 µs */
#define FL_PERF_BUCKET_NS_MAX 3600000000000LL   /* 1 h */
#define FL_PERF_MAX_BUCKETS_DEFAULT 2000
#define FL_PERF_MAX_BUCKETS_MIN 10
#define FL_PERF_MAX_BUCKETS_MAX 100000

typedef struct fl_perf_options {
    int64_t bucket_ns;  /* bucket width before widening; 0: FL_PERF_BUCKET_NS_DEFAULT */
    size_t max_buckets; /* widen buckets past this many; 0: FL_PERF_MAX_BUCKETS_DEFAULT */
} fl_perf_options;

/* o may be NULL (defaults). */
json_t *fl_check_perf(const fl_history *h, const fl_perf_options *o, fl_error *err);

#endif
