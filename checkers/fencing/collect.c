/* Reading the lock workload out of a history (see fencing.h): one pass in history order
 * turns reads and writes into accesses (token, outcome, seq, fence, whether a newer
 * acquire had already returned), notes each lock's acquires and each resource's final
 * value, then groups the accesses by resource. */
#include "fencing_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static size_t group_of(const fl_op *inv) {
    return inv->key == FL_NO_KEY ? 0 : (size_t)inv->key + 1;
}

/* An integer field of an op's value: 1 found (in *out), 0 absent or null (or value not
 * an object: a storage that tracks no fence says "fence": null), -1 present but not an
 * integer (err set). */
static int int_field(fencing *c, const fl_op *op, const char *name, int64_t *out) {
    const json_t *v = json_is_object(op->value) ? json_object_get(op->value, name) : NULL;
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    fl_error_set(c->err, c->h->source, op->line, 0,
                 "%s %s (index %lld) of process %lld: its \"%s\" is not an integer",
                 fl_op_type_name(op->type), op->f, (long long)op->index,
                 (long long)op->process, name);
    return -1;
}

static int out_of_memory(fencing *c) {
    fl_error_set(c->err, c->h->source, 0, 0, "out of memory in the fencing checker");
    return -1;
}

static uint8_t outcome_of(const fl_op *done) {
    if (!done || done->type == FL_INFO) return OUT_UNKNOWN;
    if (done->type == FL_OK) return OUT_ACCEPTED;
    return done->error && !strcmp(done->error, "stale-token") ? OUT_REJECTED : OUT_FAILED;
}

/* The read or write invoked at pos. 0, or -1 with err set. */
static int on_access(fencing *c, size_t pos, bool write) {
    const fl_history *h = c->h;
    const fl_op *inv = &h->ops[pos];
    const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
    access a = {.inv = (int64_t)pos, .done = inv->pair, .newer_acq = FL_NO_PAIR,
                .group = group_of(inv), .kind = write ? ACCESS_WRITE : ACCESS_READ,
                .outcome = outcome_of(done)};
    int rc = int_field(c, inv, "token", &a.token);
    if (rc < 0) return -1;
    if (rc == 0) {
        fl_error_set(c->err, h->source, inv->line, 0,
                     "%s (index %lld) of process %lld has no \"token\" in its value: the "
                     "fencing checker needs the token of every read and write",
                     inv->f, (long long)inv->index, (long long)inv->process);
        return -1;
    }
    if (done && (a.outcome == OUT_ACCEPTED || a.outcome == OUT_REJECTED)) {
        if ((rc = int_field(c, done, "seq", &a.seq)) < 0) return -1;
        a.has_seq = rc == 1;
        if ((rc = int_field(c, done, "fence", &a.fence)) < 0) return -1;
        a.has_fence = rc == 1;
    }
    resource *r = &c->res[a.group];
    if (r->best_acq != FL_NO_PAIR && r->best_acq_token > a.token) {
        a.newer_acq = r->best_acq;
        a.newer_token = r->best_acq_token;
        r->stalled++;
    }
    r->used = true;
    r->n_outcome[a.outcome]++;
    if (fl_grow((void **)&c->acc, &c->cap_acc, c->n_acc + 1, sizeof *c->acc) != 0)
        return out_of_memory(c);
    c->acc[c->n_acc++] = a;
    return 0;
}

/* An ok acquire, renew or release (done) of resource g's lock with token. 0, or -1 with
 * err. */
static int add_grant(fencing *c, size_t g, int64_t token, const fl_op *done, grant_kind kind) {
    if (c->n_grants == c->cap_grants) {
        size_t cap = c->cap_grants ? 2 * c->cap_grants : 64;
        grant *more = realloc(c->grants, cap * sizeof *more);
        if (!more) return out_of_memory(c);
        c->grants = more;
        c->cap_grants = cap;
    }
    c->grants[c->n_grants++] = (grant){g, token, (int64_t)(done - c->h->ops), kind};
    return 0;
}

/* A completion of an acquire, renew, release, peek or read: the lock's grants and newest
 * token, the resource's final value. 0, or -1 with err set. */
static int on_completion(fencing *c, const fl_op *op, const char *f) {
    if (op->type != FL_OK) return 0;
    resource *r = &c->res[group_of(&c->h->ops[op->pair])];
    if (!strcmp(f, "acquire")) {
        int64_t token;
        int rc = int_field(c, op, "token", &token);
        if (rc < 0) return -1;
        if (rc == 0) {
            fl_error_set(c->err, c->h->source, op->line, 0,
                         "ok acquire (index %lld) of process %lld has no \"token\" in its "
                         "value", (long long)op->index, (long long)op->process);
            return -1;
        }
        r->acquires++;
        r->used = true;
        if (add_grant(c, group_of(&c->h->ops[op->pair]), token, op, GRANT_ACQUIRE) != 0)
            return -1;
        if (r->best_acq == FL_NO_PAIR || token > r->best_acq_token) {
            r->best_acq = op->pair;
            r->best_acq_token = token;
        }
    } else if (!strcmp(f, "renew")) {
        /* The token the holder named (a reply need not repeat it). */
        int64_t token;
        int rc = int_field(c, &c->h->ops[op->pair], "token", &token);
        if (rc < 0) return -1;
        if (rc == 1 && add_grant(c, group_of(&c->h->ops[op->pair]), token, op, GRANT_RENEW) != 0)
            return -1;
    } else if (!strcmp(f, "peek") || (!strcmp(f, "read") && !r->final_is_peek)) {
        r->final = op->pair;
        r->final_is_peek = !strcmp(f, "peek");
    }
    return 0;
}

/* A release asked for (its invocation): unless it certainly failed, the lease may have
 * ended there. 0, or -1 with err. */
static int on_release(fencing *c, const fl_op *inv) {
    int64_t token;
    int rc = int_field(c, inv, "token", &token);
    if (rc <= 0) return rc;
    if (inv->pair != FL_NO_PAIR && c->h->ops[inv->pair].type == FL_FAIL) return 0;
    return add_grant(c, group_of(inv), token, inv, GRANT_RELEASE);
}

/* The f of the op at pos (a completion's is its invocation's). 0, or -1 with err. */
static int op_f(fencing *c, const fl_op *op, const char **f) {
    const fl_history *h = c->h;
    if (op->type != FL_INVOKE && op->pair == FL_NO_PAIR) {
        fl_error_set(c->err, h->source, op->line, 0,
                     "%s completion (index %lld) of process %lld has no paired invocation: "
                     "the history must be paired (fl_history_pair) before the fencing "
                     "checker runs", fl_op_type_name(op->type), (long long)op->index,
                     (long long)op->process);
        return -1;
    }
    *f = op->type == FL_INVOKE ? op->f : h->ops[op->pair].f;
    return 0;
}

static int cmp_token(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Group the accesses by resource (a counting sort keeps invocation order) and count
 * each resource's distinct tokens. 0, or -1 with err set. */
static int group(fencing *c) {
    c->by_group = malloc((c->n_acc ? c->n_acc : 1) * sizeof *c->by_group);
    int64_t *tokens = malloc((c->n_acc ? c->n_acc : 1) * sizeof *tokens);
    if (!c->by_group || !tokens) {
        free(tokens);
        return out_of_memory(c);
    }
    size_t next = 0;
    for (size_t g = 0; g < c->n_res; g++) {
        c->res[g].first = next;
        next += c->res[g].n_outcome[0] + c->res[g].n_outcome[1] + c->res[g].n_outcome[2] +
                c->res[g].n_outcome[3];
    }
    assert(next == c->n_acc);
    for (size_t i = 0; i < c->n_acc; i++) {
        resource *r = &c->res[c->acc[i].group];
        tokens[r->first + r->count] = c->acc[i].token;
        c->by_group[r->first + r->count++] = i;
    }
    for (size_t g = 0; g < c->n_res; g++) {
        resource *r = &c->res[g];
        qsort(tokens + r->first, r->count, sizeof *tokens, cmp_token);
        for (size_t i = 0; i < r->count; i++)
            r->distinct_tokens += i == 0 || tokens[r->first + i] != tokens[r->first + i - 1];
    }
    free(tokens);
    return 0;
}

static int cmp_grant(const void *a, const void *b) {
    const grant *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->token != y->token) return x->token < y->token ? -1 : 1;
    return (x->done > y->done) - (x->done < y->done);
}

/* by_token: the grants sorted for lookups. 0, or -1 with err set. */
static int sort_grants(fencing *c) {
    c->by_token = malloc((c->n_grants ? c->n_grants : 1) * sizeof *c->by_token);
    if (!c->by_token) return out_of_memory(c);
    if (c->n_grants) memcpy(c->by_token, c->grants, c->n_grants * sizeof *c->by_token);
    qsort(c->by_token, c->n_grants, sizeof *c->by_token, cmp_grant);
    return 0;
}

int fl_fence_collect(fencing *c) {
    const fl_history *h = c->h;
    assert(c->res);
    assert(c->n_res == h->key_count + 1);
    for (size_t g = 0; g < c->n_res; g++) c->res[g].best_acq = c->res[g].final = FL_NO_PAIR;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        const char *f;
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (op_f(c, op, &f) != 0) return -1;
        bool rw = !strcmp(f, "read") || !strcmp(f, "write");
        if (op->type == FL_INVOKE) {
            if (rw && on_access(c, i, f[0] == 'w') != 0) return -1;
            if (!strcmp(f, "release") && on_release(c, op) != 0) return -1;
        } else if (on_completion(c, op, f) != 0) {
            return -1;
        }
    }
    return group(c) != 0 || sort_grants(c) != 0 ? -1 : 0;
}
