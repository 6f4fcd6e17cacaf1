/* The ledger's entries, balances and idempotency keys (see ledger.h). */
#include "ledger.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"charge", "refund"};

const char *pay_kind_name(pay_kind kind) {
    assert((size_t)kind < sizeof kind_names / sizeof kind_names[0]);
    return kind_names[kind];
}

int pay_kind_parse(const char *name, pay_kind *kind) {
    if (!strcmp(name, "charge")) *kind = PAY_CHARGE;
    else if (!strcmp(name, "refund")) *kind = PAY_REFUND;
    else return -1;
    return 0;
}

void pay_ledger_init(pay_ledger *l, int64_t initial) {
    assert(initial >= 0 && initial <= PAY_BALANCE_ABS_MAX);
    *l = (pay_ledger){.initial = initial, .account_index = json_object(),
                      .key_index = json_object()};
    if (!l->account_index || !l->key_index) abort();
}

void pay_ledger_free(pay_ledger *l) {
    for (size_t i = 0; i < l->count; i++) {
        json_decref(l->entries[i].order);
        free(l->entries[i].ckey);
        free(l->entries[i].key);
    }
    for (size_t i = 0; i < l->account_count; i++) free(l->accounts[i].name);
    free(l->entries);
    free(l->accounts);
    json_decref(l->account_index);
    json_decref(l->key_index);
    *l = (pay_ledger){0};
}

static void *grow(void *items, size_t *cap, size_t item_bytes) {
    *cap = *cap ? *cap * 2 : 64;
    items = realloc(items, *cap * item_bytes);
    if (!items) abort();
    return items;
}

/* The account's index, added with the initial balance when new. Never fails: there are
 * never more accounts than entries. */
static size_t account_of(pay_ledger *l, const char *name) {
    json_t *i = json_object_get(l->account_index, name);
    if (i) return (size_t)json_integer_value(i);
    if (l->account_count == l->account_cap)
        l->accounts = grow(l->accounts, &l->account_cap, sizeof *l->accounts);
    pay_account *a = &l->accounts[l->account_count];
    *a = (pay_account){.name = strdup(name), .initial = l->initial, .balance = l->initial};
    if (!a->name ||
        json_object_set_new(l->account_index, name, json_integer((json_int_t)l->account_count)))
        abort();
    return l->account_count++;
}

static char *dup_or_null(const char *s) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

/* Appends op as the next entry (the caller checked there is room and the key is unused). */
static const pay_entry *append(pay_ledger *l, const pay_op *op) {
    assert(l->count < PAY_ENTRIES_MAX);
    assert(op->amount >= 1 && op->amount <= PAY_AMOUNT_MAX);
    assert(!op->key || !json_object_get(l->key_index, op->key));
    char ckey[FL_KEY_TEXT_MAX + 1], err[64];
    if (fl_key_text(op->order, ckey, err, sizeof err) != 0) abort(); /* parsers check it */
    if (l->count == l->cap) l->entries = grow(l->entries, &l->cap, sizeof *l->entries);
    size_t account = account_of(l, op->account);
    pay_account *a = &l->accounts[account];
    a->balance += op->kind == PAY_CHARGE ? -op->amount : op->amount;
    pay_entry *e = &l->entries[l->count];
    *e = (pay_entry){.seq = l->count + 1, .order = json_incref((json_t *)op->order),
                     .ckey = dup_or_null(ckey), .account = account, .kind = op->kind,
                     .amount = op->amount, .key = dup_or_null(op->key), .balance = a->balance};
    if (op->key && json_object_set_new(l->key_index, op->key, json_integer((json_int_t)l->count)))
        abort();
    l->count++;
    return e;
}

/* The entry made under key, or NULL. */
static const pay_entry *keyed(const pay_ledger *l, const char *key) {
    json_t *i = key ? json_object_get(l->key_index, key) : NULL;
    if (!i) return NULL;
    assert((size_t)json_integer_value(i) < l->count);
    return &l->entries[json_integer_value(i)];
}

/* Does the entry e answer op (the same kind, order, account and amount)? */
static bool same_op(const pay_ledger *l, const pay_entry *e, const pay_op *op) {
    char ckey[FL_KEY_TEXT_MAX + 1], err[64];
    return e->kind == op->kind && e->amount == op->amount &&
           !strcmp(pay_entry_account(l, e), op->account) &&
           fl_key_text(op->order, ckey, err, sizeof err) == 0 && !strcmp(e->ckey, ckey);
}

pay_outcome pay_ledger_apply(pay_ledger *l, const pay_op *op, const pay_entry **e) {
    *e = keyed(l, op->key);
    if (*e) return same_op(l, *e, op) ? PAY_REPEAT : PAY_MISMATCH;
    if (l->count >= PAY_ENTRIES_MAX) return PAY_FULL;
    *e = append(l, op);
    return PAY_APPLIED;
}

int pay_ledger_restore(pay_ledger *l, uint64_t seq, const pay_op *op, char *err,
                       size_t err_bytes) {
    if (seq != l->count + 1) {
        snprintf(err, err_bytes, "entry %llu where entry %zu was due", (unsigned long long)seq,
                 l->count + 1);
        return -1;
    }
    if (keyed(l, op->key)) {
        snprintf(err, err_bytes, "a second entry under one idempotency key");
        return -1;
    }
    if (l->count >= PAY_ENTRIES_MAX) {
        snprintf(err, err_bytes, "more than %zu entries", PAY_ENTRIES_MAX);
        return -1;
    }
    append(l, op);
    return 0;
}

json_t *pay_entry_result_json(const pay_ledger *l, const pay_entry *e, bool repeat) {
    return json_pack("{s:I, s:O, s:s, s:s, s:I, s:I, s:b}", "entry", (json_int_t)e->seq,
                     "order", e->order, "account", pay_entry_account(l, e), "kind",
                     pay_kind_name(e->kind), "amount", (json_int_t)e->amount, "balance",
                     (json_int_t)e->balance, "repeat", repeat);
}

json_t *pay_entry_json(const pay_ledger *l, const pay_entry *e) {
    return json_pack("{s:I, s:O, s:s, s:s, s:I, s:o}", "seq", (json_int_t)e->seq, "order",
                     e->order, "account", pay_entry_account(l, e), "kind",
                     pay_kind_name(e->kind), "amount", (json_int_t)e->amount, "key",
                     e->key ? json_string(e->key) : json_null());
}

json_t *pay_ledger_json(const pay_ledger *l) {
    json_t *entries = json_array(), *balances = json_object(), *initial = json_object();
    int rc = !entries || !balances || !initial;
    for (size_t i = 0; !rc && i < l->count; i++)
        rc = json_array_append_new(entries, pay_entry_json(l, &l->entries[i]));
    for (size_t i = 0; !rc && i < l->account_count; i++) {
        const pay_account *a = &l->accounts[i];
        rc = json_object_set_new(balances, a->name, json_integer((json_int_t)a->balance)) ||
             json_object_set_new(initial, a->name, json_integer((json_int_t)a->initial));
    }
    if (rc) {
        json_decref(entries);
        json_decref(balances);
        json_decref(initial);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:o}", "entries", entries, "balances", balances, "initial",
                     initial);
}
