/* The fencing checker (workload `lock`, DESIGN.md "Targets", lockd): did the guarded
 * storage (fl-fencestore) honour the lock service's fencing tokens, and did the
 * increments that passed the fence survive?
 *
 * History shape (other fs, renew, release and nemesis ops are ignored; lock L guards
 * resource R = L, so both share one key):
 *   - acquire: key L; ok value {"token", "expires_ms", "node", "term"};
 *   - read:  key R; invoke value {"token"}; ok value {"token","value","fence","seq"};
 *   - write: key R; invoke value {"token","value"[,"paused_ms"]}; ok value the same plus
 *     "fence","seq"; fail with error "stale-token" and value {"fence","seq"};
 *   - peek:  key R, a final unfenced read; ok value {"value"}.
 * A read or write is an *access*. Its outcome is *accepted* (ok), *rejected* (fail
 * "stale-token"), *failed* (any other fail: it certainly did not happen) or *unknown*
 * (info, or never completed: it may have been accepted). The storage's *decisions* are
 * the accepted and rejected accesses.
 *
 * Order of decisions, per resource: by `seq` when every decision of the resource
 * carries one, all distinct ("order": "seq"); otherwise by real time ("real-time"):
 * A is certainly before B when A completed before B was invoked (positions in the file,
 * which is real-time order), and possibly before B when A was invoked before B
 * completed. The storage decides each access between its invocation and completion, so
 * real time alone never makes an anomaly that did not happen.
 * Anomalies (each {"type", "key", "ops", "explanation"}):
 *   stale-accepted      an accepted access whose token is lower than the token of an
 *                       access accepted certainly before it (by seq, else real time);
 *                       names both, and for a write the last accepted write before it
 *                       with a higher token: the newer holder's write it undid;
 *   false-rejection     a rejected access whose token is at least every token accepted
 *                       before it (by seq; in real time: possibly before it) and every
 *                       token of an unknown access invoked before it completed: the
 *                       fence was never that high, availability lost for nothing;
 *   lost-increments     the final value of R (the last ok peek, else the last ok read)
 *                       is below the ok writes completed before that op began;
 *   phantom-increments  it is above the writes invoked before that op completed that
 *                       did not fail (accepted + unknown): counted twice or never made.
 * Information: per resource the counts of accepted, rejected, failed and unknown
 * accesses, ok acquires and distinct tokens; "stalled-holders": accesses with token K
 * invoked after an acquire of the same lock returned a token > K (the holder's lease
 * expired while it was stalled, so the fence was exercised), counted by outcome, the
 * first 20 listed with their paused_ms when the write's invocation has one.
 *
 * Verdict: false on any anomaly; else "unknown" (with "reason") when no access was
 * accepted at all, or some resource that was accessed had no access accepted or no
 * final value (its "increments" say why); else true. A lock acquired but never used to
 * access its resource is listed but judged nothing. A history with no client ops is
 * valid (empty_history.h).
 *
 * Result: {"valid", "reason"?, "anomaly_count", "anomalies": the first 100 in the
 * order found (per resource: stale-accepted, false-rejection, increments),
 * "anomaly-types": the distinct types, "accepted_count", "rejected_count",
 * "acquire_count", "key_count", "keys": the first 100 resources as {"key", "valid",
 * "order", "accepted", "rejected", "failed", "unknown", "acquires", "distinct_tokens"
 * (of its accesses), "stalled", "anomaly_count", "increments": {"valid",
 * "acknowledged", "unknown",
 * "final" (null when none), "final_op", "reason"?}}, "stalled-holders": {"count",
 * "accepted", "rejected", "other", "accesses": [{"op", "key", "token",
 * "newer_token", "acquire_index", "paused_ms"?}]}}.
 * Ops are shown as fl_op_pair_json; times in explanations are seconds since the run
 * started ("event N" for an op without a time).
 *
 * The history must have been paired (fl_history_pair). Returns the result (new
 * reference), or NULL with err set (naming the op's index and line) when the history
 * does not fit: a read or write whose invocation has no integer "token", an ok acquire
 * without one, a "seq" or "fence" that is not an integer, a final value that is not an
 * integer (null counts as 0, the register's initial value), a completion without its
 * invocation; or out of memory. Time O(n log n), memory O(n) for n ops. */
#ifndef FL_CHECK_FENCING_H
#define FL_CHECK_FENCING_H

#include <jansson.h>

#include "history.h"

json_t *fl_check_fencing(const fl_history *h, fl_error *err);

#endif
