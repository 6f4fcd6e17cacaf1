/* The ledger checker (workload `saga`, DESIGN.md "Targets", payments): did every order
 * pay once, every acknowledged cancellation get its money back exactly once, and does the
 * money add up?
 *
 * History shape (other fs and nemesis ops are ignored):
 *   - order:  key O; invoke value {"account", "amount"}; ok: placed and charged;
 *   - cancel: key O; ok: the cancellation is acknowledged, its refund owed;
 *   - ledger: the final read of the payments ledger after the heal; ok value
 *     {"entries": [{"order", "account", "kind": "charge"|"refund", "amount", "key"}…],
 *      "balances": {account: integer…}, "initial": {account: integer…}}.
 * Orders are matched to ledger entries by the canonical JSON text of O.
 * Anomalies (each {"type", "order" or "account", "ops", "entries", "explanation"}):
 *   double-charge          an order with more than one charge entry;
 *   over-refund            refunds above the order's charges (a refund paid twice);
 *   lost-compensation      an acknowledged cancellation with no refund entry — unless
 *                          the read's "pending" {node: count} says an orders service
 *                          had not settled and the order's last `read-order` state is
 *                          not "cancelled": then the refund is still owed, counted in
 *                          "refunds-owed", and the verdict (nothing else wrong) unknown;
 *   refund-without-cancel  a refund for an order never cancelled, or whose every cancel
 *                          failed (certainly did not happen);
 *   money-not-conserved    an account whose balance read is not its initial balance
 *                          minus its charges plus its refunds, entry by entry.
 * Information: charges of orders whose `order` op failed or ended in doubt, counts.
 * Unknown without an ok `ledger` read (the last one counts); malformed input (a ledger
 * value not of that shape) is refused with an error naming the op. */
#ifndef FL_LEDGER_H
#define FL_LEDGER_H

#include <jansson.h>

#include "history.h"

#define FL_LEDGER_ANOMALIES_SHOWN 100

/* The result (new reference), or NULL with err (malformed input). h must be paired. */
json_t *fl_check_ledger(const fl_history *h, fl_error *err);

#endif
