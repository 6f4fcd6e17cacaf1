/* The session checker: the four session guarantees of Terry et al. (1994) —
 * read-your-writes, monotonic reads, monotonic writes, writes-follow-reads — checked
 * per session on registers with unique values and, exactly, on list-append keys.
 *
 * Sessions. A session is one process number. Its ops are sequential, so "earlier" and
 * "later" within a session are history order (each op completed before the next was
 * invoked). After an `info` a worker continues under a new process number: a crashed
 * process starts a new session. Nemesis ops are ignored.
 *
 * History shape. Ops with f read, write, cas or append, each on a key (ops without a
 * key form one more key, named null). A key is
 *   a list-append key  when some op on it is an append: f append with an integer value,
 *                      unique per key among appends that did not fail; an ok read's
 *                      value is the whole list (null: nothing appended yet, = []);
 *   a register         when some op on it is a write (value: the value written) or a cas
 *                      (value: [old, new]); written values (write values and cas new
 *                      values of ops that did not fail) are unique per key and never
 *                      null, the initial value of every key; an ok read's value is the
 *                      value read;
 *   unused             otherwise (only reads, or other f's): its ops are ignored.
 * Only ok reads are reads. An append or write that completed fail certainly did not
 * happen; one that completed info or never completed may or may not have; an ok one
 * did. Other ops (f add, ...) are ignored.
 *
 * Models the rules are sound for (no rule needs the replicas' version order):
 *   register  each key's writes are applied in one total order, the version order; a
 *             read returns the latest write, in that order, among the writes its
 *             replica has (null when it has none). A cas [a, b] that succeeded replaced
 *             a: it comes after the write of a in the version order.
 *   list      each key's states are lists, each extending the one before by one
 *             append; a read returns a state. A list read is thus the order of every
 *             append it contains.
 *
 * Rules (rule names as reported; "s" is the session, k the key; "earlier" means in
 * s's own order). A read counts at most one violation of ryw and one of mr, and at most
 * one of mw and one of wfr per session whose appends it lists.
 *
 *   ryw  read-your-writes — a read of s sees every acknowledged write of s before it.
 *     own-append-missing        (list) s's ok append x to k is missing from a later
 *                               read of s of k.
 *     initial-after-own-write   (register) s's read returns null after s's ok write or
 *                               cas of k: the read sees that write, so some write.
 *     own-cas-overwritten       (register) s's read returns a after s's ok cas [a, b]:
 *                               the read sees the cas, which comes after a.
 *     own-write-overwritten     (register; applied only when mw is claimed too) s wrote
 *                               a, then b, then reads a: either the read missed b (ryw)
 *                               or b was ordered before a (mw).
 *     read-value-overwritten    (register; applied only when wfr is claimed too) s read
 *                               a (not null), then wrote b, then reads a: either the read
 *                               missed b (ryw) or b was ordered before a (wfr).
 *   mr   monotonic reads — a read of s sees every write an earlier read of s saw.
 *     read-not-extended         (list) a read of s of k does not have s's previous read
 *                               of k as a prefix (it is compared with that one read).
 *     initial-after-read        (register) s reads null after s read a non-null value.
 *     read-value-reverted       (register) s reads a, later b != a, later a again: the
 *                               second read saw a's write and returned b, so b comes
 *                               after a; the third saw both.
 *   mw   monotonic writes — s's writes are applied in s's order, and a replica with a
 *        later write of s has the earlier ones.
 *     missing-earlier-append    (list) a read (of any session) contains x, appended by
 *                               s, but not s's earlier ok append w to the same key.
 *     session-order-reversed    (list) a read (of any session) lists x, appended by s,
 *                               before w, which s appended earlier and acknowledged.
 *                               (The order of s's appends in s's own reads is checked
 *                               here, not under ryw: a store may show a session all its
 *                               writes, as ryw asks, yet apply them out of order.)
 *     An append that ended info or never completed may be missing; one that failed is
 *     ignored (if it shows up, that is not a session anomaly).
 *   wfr  writes-follow-reads — a write of s comes after the writes s read before it.
 *     read-not-prefix-before-append  (list) s's latest read of k before appending x
 *                               returned L, yet a read (of any session) containing x
 *                               does not have L as a prefix of the part before x.
 *   On registers no rule for mw or wfr alone is sound: a read shows only the last write
 *   it saw, not which earlier writes its replica had nor their order. Those guarantees
 *   are reported "not-checked" on register keys, never guessed.
 *
 * Reads of a list with a duplicated element (values are unique, so this is another
 * anomaly) are left out of the mw and wfr rules, where "the position of x" would be
 * ambiguous; they are counted in duplicate_element_reads.
 *
 * Verdict: false if a claimed guarantee is violated; else "unknown" (with reason) when
 * there are no reads, or when no claimed guarantee could be checked on any key (e.g.
 * only mw claimed, on registers); else true.
 *
 * Result object:
 *   {"valid": true|false|"unknown", "reason" (only when unknown),
 *    "guarantees": {for each claimed guarantee, in the order ryw, mr, mw, wfr:
 *      "ryw": {"valid": true|false|"not-checked",
 *              "violation_count": every violation found,
 *              "violations": the first 100, in history order of the read that shows
 *                  them: {"rule", "explanation": one sentence naming the ops by index,
 *                  "key", "session": the process whose guarantee broke (for mw and
 *                  wfr the appending one), "ops": [op, ...] as fl_op_pair_json shows
 *                  them (checkers/history/result.h): the earlier op(s) then the
 *                  read],
 *              "rules": names of the rules applied,
 *              "checked_keys": keys the guarantee was checked on,
 *              "not_checked_keys" and "reason": when some keys (registers) could not
 *                  be checked for it (valid is "not-checked" when no key could)},
 *      ...},
 *    "sessions": processes with an op on a register or list-append key,
 *    "reads": ok reads of such keys, "keys": such keys, "list_keys", "register_keys",
 *    "duplicate_element_reads"}
 *
 * The history must have been paired (fl_history_pair). Returns the result (new
 * reference) or NULL with err set (its line is the op's) when the history does not fit
 * the shape above — a completion without a paired invocation, a key with both appends
 * and writes, an append whose value is not an integer, a list read whose value is not
 * a list of integers (or null), a write of null or without a value, a cas whose value
 * is not [old, new], a value appended or written twice to a key, an ok read without a
 * value — or on out of memory.
 *
 * Cost: O(n + E) expected time for n ops and E elements in all list reads (hash maps;
 * list prefixes are compared by prefix hashes, each read once per rule, so there is no
 * comparison of every pair of reads), O(n) memory besides the history. */
#ifndef FL_CHECK_SESSION_H
#define FL_CHECK_SESSION_H

#include <stddef.h>

#include <jansson.h>

#include "history.h"

/* Guarantees, as a bit mask. */
enum {
    FL_SESSION_RYW = 1u << 0, /* read-your-writes */
    FL_SESSION_MR = 1u << 1,  /* monotonic reads */
    FL_SESSION_MW = 1u << 2,  /* monotonic writes */
    FL_SESSION_WFR = 1u << 3, /* writes-follow-reads */
    FL_SESSION_ALL = 0xfu,
};

/* Check the claimed guarantees (0 means all four). See above. */
json_t *fl_check_session(const fl_history *h, unsigned guarantees, fl_error *err);

/* Parse a comma-separated list of guarantees: short names ryw, mr, mw, wfr, long names
 * read-your-writes, monotonic-reads, monotonic-writes, writes-follow-reads, or all;
 * case-insensitive, blanks around names allowed; "" means all. 0 with *out set, or -1
 * with a message naming the bad name in why. */
int fl_session_guarantees_parse(const char *text, unsigned *out, char *why, size_t why_bytes);

/* "ryw", "mr", "mw" or "wfr" for one bit; NULL for anything else. */
const char *fl_session_guarantee_name(unsigned bit);

#endif
