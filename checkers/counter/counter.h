/* The counter checker, as Jepsen's jepsen.checker/counter: every read of a counter must
 * lie between what the adds that certainly happened before it sum to and what the adds
 * that could have happened by then sum to.
 *
 * History shape (other client ops, failed and info reads, and nemesis ops are ignored):
 *   - an add is an invocation with f "add" and value = an integer delta (the ok
 *     completion's value is used when the invocation has none), completed by ok, fail or
 *     info on the same process (op.pair), or never completed. Deltas may be negative;
 *   - a read is an op with f "read" whose ok completion's value is the integer read.
 *   Ops with a key form one counter per key (jepsen.independent); ops without a key one
 *   more. Every counter starts at 0.
 * Positions are places in the history file, which is real-time order (DESIGN.md
 * "History writing"); "before" compares positions.
 *
 * For an ok read R of a counter, invoked at position i and completed at position c:
 *   certain adds   the counter's ok adds that completed before i: they took effect
 *                  before R began;
 *   possible adds  the counter's other adds invoked before c that did not fail (ok adds
 *                  concurrent with R, info adds, adds that never completed): each may or
 *                  may not have taken effect when R read. An add invoked after c cannot
 *                  have, and a failed add never did;
 *   lower = sum of certain deltas + sum of negative possible deltas,
 *   upper = sum of certain deltas + sum of positive possible deltas.
 * R is an error when its value is below lower (too-low: an acknowledged add is missing,
 * or a decrement counted that did not happen) or above upper (too-high: an add counted
 * twice, or one that failed or was never made). Sound: whichever possible adds took
 * effect by the moment R read, the counter was within [lower, upper]. With only
 * non-negative deltas this is Jepsen's rule (lower: acknowledged adds completed before
 * the read began; upper: adds attempted before it ended), except that failed adds never
 * count toward upper (Jepsen counts them until their failure is recorded).
 *
 * Verdict: false if any read is an error; else "unknown" (with `reason`) if no read
 * completed ok; else true.
 *
 * Result object (DESIGN.md "Checkers"):
 *   {"valid": true|false|"unknown", "reason": "…" (only when unknown),
 *    "read_count": ok reads checked, "add_count": add invocations,
 *    "error_count",
 *    "errors": the first 100 errors in history order (of the reads' completions), each
 *      {"kind": "too-low"|"too-high", "key" (only for ops with a key),
 *       "read": the read as fl_op_pair_json shows it (its "output" is the value read),
 *       "value", "lower", "upper",
 *       "certain_count": certain adds, "possible_count": possible adds,
 *       and for too-low: "acknowledged_before": the first 10 certain adds (in the order
 *       they completed, as fl_op_pair_json), "acknowledged_before_count"},
 *    and when ops have keys: "key_count", "keys": the first 100 keys (in order of first
 *      appearance; null for ops without a key) as {"key", "valid", "read_count",
 *      "add_count", "error_count"}, "invalid_keys": the first 100 keys with errors}
 *
 * The history must have been paired (fl_history_pair). Returns the result (new
 * reference) or NULL with err set (at the op's line) when the history does not fit: an
 * add whose delta is not an integer, an ok read whose value is not an integer, a
 * completion without a paired invocation or whose f is another than its invocation's
 * (a completion may leave f out), sums that overflow 64 bits; or out of memory.
 * Time: O(n log n) for n ops (one pass, a binary search per read); memory O(n). */
#ifndef FL_CHECK_COUNTER_H
#define FL_CHECK_COUNTER_H

#include <jansson.h>

#include "history.h"

json_t *fl_check_counter(const fl_history *h, fl_error *err);

#endif
