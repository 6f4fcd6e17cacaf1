/* fl-payments' ledger (DESIGN.md "Targets", payments): the entries in order, the accounts'
 * balances, and the idempotency keys, with the one decision a charge or refund makes.
 * Pure: no I/O, no clock; the server journals and replies what pay_ledger_apply says.
 *
 *   entry    seq (1, 2, …: its place in the ledger), the order it is for, the account, the
 *            kind (a charge subtracts the amount, a refund adds it), the amount, and the
 *            idempotency key it was made under (or none);
 *   account  created on its first entry with the ledger's initial balance; no overdraft
 *            check (balances may go negative), and a refund is not checked against the
 *            order's charges: a plain ledger API, where the caller's idempotency key is
 *            what keeps a retried refund from paying twice;
 *   key      at most one entry per key: an operation under a key already used gets the
 *            first entry back (a repeat: nothing new), or a mismatch when it asks for
 *            something else (kind, order, account or amount differ). */
#ifndef PAY_LEDGER_H
#define PAY_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wire.h"

#define PAY_ENTRIES_MAX ((size_t)1 << 22)  /* past this, new entries fail ("full") */
#define PAY_AMOUNT_MAX 1000000000          /* an amount is 1..this */
#define PAY_BALANCE_ABS_MAX 1000000000000000LL /* --initial-balance is 0..this */
#define PAY_NAME_BYTES_MAX 1024            /* an account, an idempotency key, a call id */

/* So no balance can overflow: the initial one plus every amount the ledger can hold. */
_Static_assert(PAY_BALANCE_ABS_MAX / PAY_AMOUNT_MAX + (long long)PAY_ENTRIES_MAX <
                   INT64_MAX / PAY_AMOUNT_MAX,
               "balances fit in int64_t");

typedef enum { PAY_CHARGE, PAY_REFUND } pay_kind;

/* What a charge or refund asks for. Strings NUL-free, at most PAY_NAME_BYTES_MAX bytes. */
typedef struct pay_op {
    pay_kind kind;
    const json_t *order;    /* a string or an integer (wire.h fl_key_text) */
    const char *account;    /* non-empty */
    int64_t amount;         /* 1..PAY_AMOUNT_MAX */
    const char *key;        /* the idempotency key; NULL: none */
} pay_op;

typedef struct pay_entry {
    uint64_t seq;           /* its index + 1 */
    json_t *order;          /* a reference the ledger holds */
    char *ckey;             /* the order's canonical text (owned) */
    size_t account;         /* index into the ledger's accounts */
    pay_kind kind;
    int64_t amount;
    char *key;              /* owned; NULL: none */
    int64_t balance;        /* the account's balance right after this entry */
} pay_entry;

typedef struct pay_account {
    char *name;             /* owned */
    int64_t initial, balance;
} pay_account;

typedef struct pay_ledger {
    int64_t initial;        /* a new account's balance */
    pay_entry *entries;     /* count used of cap; entries[i].seq == i + 1 */
    size_t count, cap;
    pay_account *accounts;
    size_t account_count, account_cap;
    json_t *account_index;  /* object: name -> integer index into accounts */
    json_t *key_index;      /* object: idempotency key -> integer index into entries */
} pay_ledger;

typedef enum { PAY_APPLIED, PAY_REPEAT, PAY_MISMATCH, PAY_FULL } pay_outcome;

/* "charge", "refund" */
const char *pay_kind_name(pay_kind kind);
/* 0 and *kind, or -1. */
int pay_kind_parse(const char *name, pay_kind *kind);

void pay_ledger_init(pay_ledger *l, int64_t initial);
void pay_ledger_free(pay_ledger *l);

/* Decides op: APPLIED (a new entry, the account's balance moved), REPEAT (the key's entry,
 * nothing changed), MISMATCH (the key's entry asked for something else; nothing changed)
 * or FULL (PAY_ENTRIES_MAX entries; nothing changed). *e: the entry (new or the key's;
 * NULL when FULL), valid until the next change. */
pay_outcome pay_ledger_apply(pay_ledger *l, const pay_op *op, const pay_entry **e);

/* Replay: op as entry seq, which must be the next one, its key unused. 0, or -1 with err. */
int pay_ledger_restore(pay_ledger *l, uint64_t seq, const pay_op *op, char *err,
                       size_t err_bytes);

static inline const char *pay_entry_account(const pay_ledger *l, const pay_entry *e) {
    return l->accounts[e->account].name;
}

/* A charge or refund's ok value, new reference: {"entry","order","account","kind",
 * "amount","balance","repeat"}. NULL only when memory ran out. */
json_t *pay_entry_result_json(const pay_ledger *l, const pay_entry *e, bool repeat);
/* The entry as recorded: {"seq","order","account","kind","amount","key"}. New reference. */
json_t *pay_entry_json(const pay_ledger *l, const pay_entry *e);
/* The ledger read's value: {"entries":[…],"balances":{A:B},"initial":{A:B0}}. */
json_t *pay_ledger_json(const pay_ledger *l);

#endif
