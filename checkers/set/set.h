/* The set / durability checker, as Jepsen's `set` and `set-full` checkers: every
 * acknowledged add must be in every final read, nothing may be read that was never
 * added or whose add certainly failed, and indeterminate adds that did take effect
 * are reported as recovered.
 *
 * History shape (the set workload; other client ops and every nemesis op are ignored):
 *   - an add is an invocation with f "add" and value = the element (any JSON value but
 *     null; elements are equal when their canonical JSON text is: sorted keys, compact,
 *     so 1 and 1.0 are different elements), completed by ok, fail or info on the same
 *     process (op.pair), or never completed;
 *   - a read is an op with f "read" whose ok completion's value is the list of
 *     elements; `node` (on the completion, else on the invocation) says which node
 *     answered and may be absent.
 *   Ops with a key form one set per key (jepsen.independent): adds of key k are checked
 *   against reads of key k only; ops without a key form one more set.
 *
 * Each element (per key) is classified by all its adds together:
 *   acknowledged   some add of it completed ok;
 *   indeterminate  else some add completed info or never completed (it may or may not
 *                  have taken effect, at any time after its invocation);
 *   failed         else (every add of it completed fail: it certainly did not happen);
 *   unattempted    no add of it was invoked at all.
 *
 * Final-read rule: an ok read of set k is a *final read* when it was invoked after
 * every add of set k had ended — after its completion (ok, fail or info), or after its
 * invocation for an add that never completed. Such a read cannot be concurrent with
 * any add that completed, so an acknowledged element missing from it is lost, never
 * merely not yet applied. Other ok reads (made while adds were still running) are
 * ignored and only counted (ignored_read_count). The harness makes one final read per
 * node once the faults have stopped and the workers have finished.
 *
 * Per final read:
 *   lost                acknowledged elements missing from it;
 *   unexpected          elements in it that were never attempted;
 *   failed_but_present  elements in it whose adds all failed;
 *   duplicated          elements it lists more than once (a set has no duplicates);
 *   recovered           indeterminate elements present in it (not an anomaly).
 *
 * Verdict: false if any final read has a lost, unexpected, failed_but_present or
 * duplicated element; else "unknown" (with `reason`) if there is no final read at all,
 * or a set with adds has no final read; else true.
 *
 * Result object (DESIGN.md "Checkers"):
 *   {"valid": true|false|"unknown", "reason": "…" (only when unknown),
 *    "add_count": add invocations,
 *    "attempted_count", "acknowledged_count", "indeterminate_count", "failed_count":
 *        distinct elements (per set) in each class (attempted = the other three),
 *    "final_read_count", "ignored_read_count",
 *    "final_reads": [{"index": the read's invocation index, "complete_index",
 *        "process", "node" (null when absent), "line" (the completion's), "key" (only
 *        for ops with a key), "element_count": length of the list read,
 *        "lost": first 100 sorted, "lost_count", "unexpected", "unexpected_count",
 *        "failed_but_present", "failed_but_present_count", "duplicated",
 *        "duplicated_count", "recovered_count"}, …] in history order,
 *    "lost": the union over final reads, first 100 sorted, "lost_count",
 *    "never_read_count": acknowledged elements missing from every final read of their
 *        set,
 *    "lost_ops": for the first 10 lost elements {"element", "key" (if any), "add": the
 *        ok add (below), "missing_from": [{"index", "node"} of each final read missing
 *        it]},
 *    "unexpected", "unexpected_count", "failed_but_present", "failed_but_present_count",
 *    "failed_but_present_ops": for the first 10, {"element", "key", "add": the first
 *        failed add, "present_in": [{"index", "node"}, …]},
 *    "duplicated", "duplicated_count", "recovered", "recovered_count",
 *    "keys_without_final_read": [keys, first 100; null for the set without a key] (only
 *        when there are final reads but some set with adds has none)}
 *   An add is shown as fl_op_pair_json shows ops (checkers/history/result.h):
 *   {"index", "process", "f", "value", "type" (of the completion; "info" if none),
 *    "complete_index" (null if none), "line", and "time" / "complete_time" (ns) and
 *    "node" (the completion's) when present}.
 *   Element lists are sorted by set (key), then numbers numerically before strings
 *   (byte order) before other values (by canonical text); a union over several sets
 *   lists an element once per set it is in.
 *
 * The history must have been paired (fl_history_pair). Returns the result (new
 * reference) or NULL with err set (its line is the op's) when the history does not fit:
 * an add without a value, an ok read whose value is not a list, a completion without a
 * paired invocation; or out of memory. Time: O(n + E log E) for n ops and E distinct
 * elements (hashing, one sort), plus O(E_k) per final read of set k for the lost scan. */
#ifndef FL_CHECK_SET_H
#define FL_CHECK_SET_H

#include <jansson.h>

#include "history.h"

json_t *fl_check_set(const fl_history *h, fl_error *err);

#endif
