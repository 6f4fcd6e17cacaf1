/* The set-full checker, as Jepsen's jepsen.checker/set-full: reads are made all through
 * the run, and each element's timeline (added, seen, missed, seen again) says whether
 * it became visible for good (stable), vanished (lost), or was seen late (stale), and
 * how long it took to become visible for good.
 *
 * History shape: as checkers/set/set.h (adds with f "add" and value = the element; ok
 * reads with f "read" and value = the list of elements; ops with a key form one set per
 * key; other client ops, failed and info reads, and nemesis ops are ignored). The sets
 * only grow: a history that also removes elements is not a set-full history.
 * Positions are places in the history file, which is real-time order (DESIGN.md
 * "History writing"): "after" and "before" below compare positions, never clocks.
 *
 * Per element e of a set:
 *   first add      the first invocation of an add of e (A);
 *   a read lists e when e is in its list and the read ended after A (a read that ended
 *                  before A and lists e makes e unexpected, below, and counts no further);
 *   a read misses e when it was invoked after A and does not list e (a read invoked
 *                  before any add of e began may miss it in any store);
 *   known (K)      the earliest of: the completion of an ok add of e, the completion of a
 *                  read listing e (from then on e certainly took effect);
 *   last seen      the latest-invoked read listing e; last missed: likewise missing e.
 * Exactly one outcome per attempted element:
 *   stable      some read lists e and no read invoked after the last one seen misses it;
 *   lost        not stable, a read invoked after K missed it, and its set has a final read
 *               (an ok read invoked after every add of the set ended, set.h's rule). Then
 *               the set's last-invoked read is final and misses e: an element that had
 *               certainly been added is gone from the final state;
 *   maybe_lost  as lost, but its set has no final read: the reads that missed it ran
 *               while adds were still running, so a store that is only eventually
 *               consistent may not have applied it yet — not an anomaly by itself;
 *   never_read  the rest: no read invoked after K missed it and none saw it for good
 *               (no read began after its add completed, or its adds never completed ok
 *               and no read saw it; Jepsen's never-read).
 * And, as flags beside the outcome:
 *   stale       stable, yet a read invoked after K missed it: seen late. Not an anomaly
 *               unless the store claims linearizability (option `linearizable`): a read
 *               that began after K must follow e's add (or the read that saw e) in any
 *               linearization, and the set only grows, so it must list e;
 *   duplicated  an ok read lists e more than once (a set holds an element once);
 *   unexpected  e is listed by a read that ended before any add of e was invoked, or
 *               no add of e was ever invoked (an add cannot act before it is invoked);
 *   failed_but_present  every add of e completed fail, yet a read lists it (a fail is a
 *               promise that the add did not happen).
 * Elements are classified by all their adds together, as set.h does: acknowledged (some
 * add ok), else indeterminate (some add info or never completed), else failed.
 *
 * Verdict: false on any lost, duplicated, unexpected or failed_but_present element, and
 * with `linearizable` also on any stale or maybe_lost element (both were missed by a
 * read invoked after K); else "unknown" (with `reason`) when there is no final read, or
 * a set with adds has none (as set.h); else true. Every rule above holds in any store
 * that keeps acknowledged adds (and those seen once) and answers with the set's
 * contents; the linearizable-only rules in any linearizable one.
 * Where this differs from Jepsen: Jepsen calls an element stale when its stable latency
 * in whole milliseconds is positive (a stale read under 1 ms passes) and here positions
 * decide; Jepsen's lost needs no final read (here that is maybe_lost) and its verdict is
 * unknown only when nothing is stable; Jepsen counts as a miss any read that completed
 * after the add was invoked, here only reads invoked after it (which only moves some
 * elements from never_read to stable); Jepsen shows the 8 worst stale elements and has
 * no unexpected or failed_but_present.
 *
 * Latencies (Jepsen's), in milliseconds, for elements whose known op has a time:
 *   stable latency  of a stable element: time of the invocation of the last read that
 *                   missed it minus the time of K when stale, else 0 (it was visible for
 *                   good from the moment it was known);
 *   lost latency    of a lost element: time of the invocation of the last read that saw
 *                   it minus the time of K when that read began after K, else 0.
 *   Quantiles as Jepsen takes them: the q-quantile of n sorted values v[0..n) is
 *   v[min(n - 1, floor(q·n))].
 *
 * Result object (DESIGN.md "Checkers"):
 *   {"valid": true|false|"unknown", "reason": "…" (only when unknown),
 *    "linearizable": the option,
 *    "add_count": add invocations, "attempted_count", "acknowledged_count",
 *    "indeterminate_count", "failed_count": distinct elements (per set) by their adds,
 *    "read_count": ok reads, "final_read_count",
 *    for each of stable, lost, maybe_lost, never_read, stale, duplicated, unexpected,
 *    failed_but_present: "<class>": its first 100 elements in listing order (set.h's: by
 *        set, numbers before strings …) and "<class>_count",
 *    "lost_ops", "maybe_lost_ops", "stale_ops": the first 10 elements of each, as
 *        {"element", "key" (only for ops with a key), "add": the first ok add (else the
 *         first add) as fl_op_pair_json shows it plus "time" / "complete_time" (ns) when
 *         present, "known": {"by": "add"|"read", "index": the invocation's index,
 *         "complete_index", "time" (the completion's, when present)},
 *         "missed_by": the first 10 reads invoked after K that miss it, in invocation
 *         order, "missed_by_count", "last_seen_by": a read or null,
 *         "stable_latency_ms" (stale) / "lost_latency_ms" (lost) when measured},
 *    "duplicated_ops": first 10, {"element", "key", "read": the first (by invocation)
 *         read listing it twice, "read_count": reads listing it more than once},
 *    "unexpected_ops": first 10, {"element", "key", "read": the first read listing it
 *         before any add, "add": its first add or null},
 *    "failed_but_present_ops": first 10, {"element", "key", "add": its first add,
 *         "present_in": the first read listing it, "present_count": reads listing it},
 *    "stable_latency_ms", "lost_latency_ms": {"measured": elements with a latency,
 *         "p50", "p95", "p99", "max"} (null values when none was measured),
 *    "worst_stale": the 10 stale elements with the largest measured stable latency,
 *         largest first, {"element", "key", "stable_latency_ms", "known",
 *         "last_missed_by": a read},
 *    "keys_without_final_read": as set.h (only when some but not all sets have one)}
 *   A read is shown as {"index": its invocation's index, "complete_index", "process",
 *   "node" (null when absent), "time" (the invocation's, when present),
 *   "element_count"}: not with fl_op_pair_json, whose "output" would repeat the whole
 *   list read.
 *
 * The history must have been paired (fl_history_pair). Returns the result (new
 * reference) or NULL with err set (at the op's line) when the history does not fit: an
 * add without a value, an ok read whose value is not a list, a completion without a
 * paired invocation or whose f is another than its invocation's; or out of memory.
 * Time: O(n + S + E log E + R log R) for n ops, S elements listed by all reads, E
 * distinct elements and R ok reads; memory O(E + R) beside the history. */
#ifndef FL_CHECK_SET_FULL_H
#define FL_CHECK_SET_FULL_H

#include <stdbool.h>

#include <jansson.h>

#include "history.h"

typedef struct fl_set_full_options {
    bool linearizable; /* the store claims linearizability: stale reads are anomalies */
} fl_set_full_options;

/* o may be NULL (all options off). */
json_t *fl_check_set_full(const fl_history *h, const fl_set_full_options *o, fl_error *err);

#endif
