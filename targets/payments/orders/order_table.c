/* The durable order table (see order_table.h). */
#include "order_table.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc_record.h"
#include "log.h"

#define JOURNAL_NAME "orders.log"
#define JOURNAL_PENDING_BYTES_MAX ((size_t)1 << 20)

static const char *const state_names[] = {"charging", "charged", "failed", "refunding",
                                          "cancelled"};

const char *or_state_name(or_state s) { return state_names[s]; }

int or_state_parse(const char *name, or_state *out) {
    for (int s = 0; s <= OR_CANCELLED; s++)
        if (!strcmp(name, state_names[s])) return *out = (or_state)s, 0;
    return -1;
}

static size_t hash(const char *s) {
    size_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of ckey in the index: where it is, or the empty slot where it would go. */
static size_t slot_of(const or_table *t, const char *ckey) {
    size_t mask = t->index_cap - 1, i = hash(ckey) & mask;
    while (t->index[i] && strcmp(t->orders[t->index[i] - 1].ckey, ckey)) i = (i + 1) & mask;
    return i;
}

static or_order *find(const or_table *t, const char *ckey) {
    if (!t->index_cap) return NULL;
    size_t i = slot_of(t, ckey);
    return t->index[i] ? &t->orders[t->index[i] - 1] : NULL;
}

static int grow_index(or_table *t) {
    size_t cap = t->index_cap ? t->index_cap * 2 : 1024;
    size_t *old = t->index, old_cap = t->index_cap;
    t->index = calloc(cap, sizeof *t->index);
    if (!t->index) return t->index = old, -1;
    t->index_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) t->index[slot_of(t, t->orders[old[i] - 1].ckey)] = old[i];
    free(old);
    return 0;
}

/* A new order (state charging), not yet journalled; NULL when full. */
static or_order *add(or_table *t, const char *ckey) {
    if (t->count >= OR_ORDERS_MAX) return NULL;
    if (2 * (t->count + 1) >= t->index_cap && grow_index(t) != 0) return NULL;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        or_order *o = realloc(t->orders, cap * sizeof *o);
        if (!o) return NULL;
        t->orders = o, t->cap = cap;
    }
    or_order *o = &t->orders[t->count];
    *o = (or_order){.state = OR_CHARGING};
    snprintf(o->ckey, sizeof o->ckey, "%s", ckey);
    t->index[slot_of(t, ckey)] = ++t->count;
    return o;
}

int ot_apply_line(or_table *t, const char *line, size_t len, char *err, size_t err_bytes) {
    json_t *j = fl_crc_record_decode(line, len, err, err_bytes);
    if (!j) return -1;
    const char *ckey = NULL, *state = NULL, *account = NULL;
    json_int_t amount = 0;
    or_state s;
    int rc = -1;
    if (json_unpack(j, "{s:s, s:s, s:s, s:I}", "o", &ckey, "s", &state, "a", &account, "m",
                    &amount) != 0 || strlen(ckey) > FL_KEY_TEXT_MAX ||
        strlen(account) >= OR_ACCOUNT_BYTES || or_state_parse(state, &s) != 0 || amount < 1)
        snprintf(err, err_bytes, "not an order record (o, s, a, m)");
    else {
        or_order *o = find(t, ckey);
        if (!o) o = add(t, ckey);
        if (!o) snprintf(err, err_bytes, "more than %zu orders", OR_ORDERS_MAX);
        else {
            o->state = s, o->amount = amount;
            snprintf(o->account, sizeof o->account, "%s", account);
            rc = 0;
        }
    }
    json_decref(j);
    return rc;
}

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    return ot_apply_line(arg, line, len, err, err_bytes);
}

int ot_open(or_table *t, const char *dir, char *err, size_t err_bytes) {
    *t = (or_table){0};
    pthread_mutex_init(&t->mu, NULL);
    fl_applog_scan_result r;
    if (fl_applog_open(&t->journal, dir, JOURNAL_NAME, JOURNAL_PENDING_BYTES_MAX, one_line, t,
                       &r, err, err_bytes) != 0)
        return -1;
    fl_log("recovered %zu order%s from %zu record%s in %s", t->count, t->count == 1 ? "" : "s",
           r.records, r.records == 1 ? "" : "s", t->journal.path);
    return 0;
}

void ot_close(or_table *t) {
    fl_applog_close(&t->journal);
    free(t->orders);
    free(t->index);
    pthread_mutex_destroy(&t->mu);
}

/* Journals o's state and makes it durable; a state that cannot be made durable must not
 * be acted on, so the process exits as a crash would (nothing of it acknowledged). */
int ot_record_encode(fl_buf *b, const or_order *o) {
    json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "o", o->ckey, "s", state_names[o->state],
                          "a", o->account, "m", (json_int_t)o->amount);
    int rc = j ? fl_crc_record_encode(b, j) : -1;
    json_decref(j);
    return rc;
}

static void persist(or_table *t, const or_order *o) {
    char err[512] = "out of memory";
    if (ot_record_encode(&t->journal.pending, o) != 0) goto fatal;
    fl_applog_added(&t->journal);
    if (fl_applog_commit(&t->journal, err, sizeof err) != 0) goto fatal;
    return;
fatal:
    fl_log("cannot make an order's state durable: %s; exiting without acting on it", err);
    _exit(1);
}

ot_create_result ot_create(or_table *t, const char *ckey, const char *account, int64_t amount,
                           or_order *out) {
    pthread_mutex_lock(&t->mu);
    ot_create_result r = OT_EXISTS;
    or_order *o = find(t, ckey);
    if (!o) {
        o = add(t, ckey);
        if (!o) r = OT_FULL;
        else {
            snprintf(o->account, sizeof o->account, "%s", account);
            o->amount = amount;
            o->busy = true;
            persist(t, o);
            r = OT_CREATED;
        }
    }
    if (o) *out = *o;
    pthread_mutex_unlock(&t->mu);
    return r;
}

bool ot_get(or_table *t, const char *ckey, or_order *out) {
    pthread_mutex_lock(&t->mu);
    or_order *o = find(t, ckey);
    if (o) *out = *o;
    pthread_mutex_unlock(&t->mu);
    return o != NULL;
}

bool ot_claim(or_table *t, const char *ckey, or_state from, or_order *out) {
    pthread_mutex_lock(&t->mu);
    or_order *o = find(t, ckey);
    bool claimed = o && o->state == from && !o->busy;
    if (claimed) {
        o->busy = true;
        *out = *o;
    }
    pthread_mutex_unlock(&t->mu);
    return claimed;
}

void ot_set_state(or_table *t, const char *ckey, or_state s, bool release) {
    pthread_mutex_lock(&t->mu);
    or_order *o = find(t, ckey);
    assert(o && o->busy); /* only the claimant moves an order */
    o->state = s;
    persist(t, o);
    if (release) o->busy = false;
    pthread_mutex_unlock(&t->mu);
}

void ot_release(or_table *t, const char *ckey) {
    pthread_mutex_lock(&t->mu);
    or_order *o = find(t, ckey);
    assert(o && o->busy);
    o->busy = false;
    pthread_mutex_unlock(&t->mu);
}

static bool pending(const or_order *o) {
    return o->state == OR_CHARGING || o->state == OR_REFUNDING;
}

size_t ot_claim_pending(or_table *t, or_order *out, size_t max) {
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->count && n < max; i++) {
        or_order *o = &t->orders[i];
        if (!pending(o) || o->busy) continue;
        o->busy = true;
        out[n++] = *o;
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t ot_pending_count(or_table *t) {
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->count; i++) n += pending(&t->orders[i]);
    pthread_mutex_unlock(&t->mu);
    return n;
}
