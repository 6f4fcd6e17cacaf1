/* The linearizability checker's result object: per key the verdict with its
 * certificate (the linearization, or the failing window) and, for an invalid key, what
 * a reviewer needs to see why: the op that could not take effect, the ops concurrent
 * with it, the longest linearizable prefix and the states it could end in. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

#define PREFIX_SHOWN_MAX 1000
#define CONCURRENT_SHOWN_MAX 32

static json_t *verdict_json(fl_verdict v) {
    return v == FL_VERDICT_VALID ? json_true()
           : v == FL_VERDICT_INVALID ? json_false() : json_string("unknown");
}

/* A key's name in the result: a string key as itself, the nil key as "nil", any other
 * key (and a string that would read the same as one, or as "null", the name of ops
 * without a key, or as "nil") as its JSON text, so two keys never share a name. */
static json_t *key_name(const fl_history *h, int32_t key) {
    if (key == FL_NO_KEY) return json_string("null");
    const json_t *k = h->keys[key];
    if (json_is_null(k)) return json_string("nil");
    if (json_is_string(k)) {
        const char *s = json_string_value(k);
        size_t len = json_string_length(k);
        if (strcmp(s, "null") != 0 && strcmp(s, "nil") != 0 &&
            fl_strmap_get(h->key_ids, s, len) < 0)
            return json_incref((json_t *)k);
    }
    char *text = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_t *name = json_string(text ? text : "?");
    free(text);
    return name;
}

static json_t *indices(const fl_history *h, const fl_call *calls, const uint32_t *which,
                       size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_integer(h->ops[calls[which[i]].invoke_pos].index));
    return list;
}

static void add_linearization(json_t *r, const fl_history *h, const key_job *job) {
    const fl_call *calls = job->part->calls;
    json_object_set_new(r, "linearization",
                        indices(h, calls, job->search.order, job->search.order_len));
    json_t *took_effect = json_array();
    for (size_t i = 0; i < job->search.order_len; i++) {
        const fl_call *c = &calls[job->search.order[i]];
        if (!fl_call_known(c))
            json_array_append_new(took_effect, json_integer(h->ops[c->invoke_pos].index));
    }
    json_object_set_new(r, "info_took_effect", took_effect);
}

/* The candidates: the failing op, then the ops of the window whose intervals overlap
 * it (indices into the window's calls, at most CONCURRENT_SHOWN_MAX + 1). */
static size_t candidates(const fl_window *w, size_t *out) {
    size_t count = 0, failing = 0;
    for (size_t i = 0; i < w->count; i++)
        if (w->calls[i] == w->failing_call) failing = i;
    const fl_call *x = &w->window_calls[failing];
    out[count++] = failing;
    for (size_t i = 0; i < w->count && count < CONCURRENT_SHOWN_MAX + 1; i++) {
        const fl_call *c = &w->window_calls[i];
        if (i == failing) continue;
        if (c->invoke_pos < x->return_pos && (c->return_pos > x->invoke_pos)) out[count++] = i;
    }
    return count;
}

static json_t *concurrent_ops(const fl_history *h, const key_job *job, const size_t *cand,
                              size_t count) {
    json_t *list = json_array();
    for (size_t i = 1; i < count; i++)
        json_array_append_new(list,
                              fl_op_pair_json(h, job->window.window_calls[cand[i]].invoke_pos));
    return list;
}

/* Why c cannot come next in s: the model's words, else its state and the op's fields. */
static void why_not(const fl_history *h, const fl_model *m, const fl_interner *in, fl_state s,
                    const fl_call *c, char *buf, size_t len) {
    if (m->explain) {
        m->explain(in, s, c, buf, len);
        return;
    }
    const fl_op *inv = &h->ops[c->invoke_pos];
    const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
    bool has_value = inv->value && !json_is_null(inv->value); /* a read's nil is no input */
    char state[200];
    char *v = has_value ? json_dumps(inv->value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *out = done && done->type == FL_OK && done->value &&
                        !(inv->value && json_equal(inv->value, done->value))
                    ? json_dumps(done->value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    fl_model_state_text(m, in, s, state, sizeof state);
    snprintf(buf, len, "%s%s%s%s%s is not legal when the state is %s", inv->f, v ? " " : "",
             v ? v : "", out ? " returning " : "", out ? out : "", state);
    free(v);
    free(out);
}

/* One candidate in one state: took effect already (it is in the linearized prefix of
 * the first state), cannot come next (and why), or could (and the state it leads to). */
static json_t *verdict_in(const fl_history *h, const fl_model *m, fl_interner *in,
                          fl_state s, const fl_call *c, bool in_prefix) {
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(h->ops[c->invoke_pos].index));
    const char *maybe = fl_call_known(c) ? ""
                        : " (its outcome is unknown: it may also never take effect)";
    char why[600], next_text[200];
    fl_state next = s;
    int rc = in_prefix ? 1 : m->step(in, s, c, &next);
    if (in_prefix) {
        json_object_set_new(o, "effect", json_string("took-effect"));
        snprintf(why, sizeof why, "already took effect (in the linearized prefix)");
    } else if (rc <= 0) {
        json_object_set_new(o, "effect", json_string("cannot"));
        char reason[400];
        if (rc < 0) snprintf(reason, sizeof reason, "out of memory");
        else why_not(h, m, in, s, c, reason, sizeof reason);
        snprintf(why, sizeof why, "cannot come next: %s%s", reason, maybe);
    } else {
        json_object_set_new(o, "effect", json_string("could"));
        json_object_set_new(o, "next", m->describe(in, next));
        fl_model_state_text(m, in, next, next_text, sizeof next_text);
        snprintf(why, sizeof why, "could come next (\xE2\x86\x92 %s), but the search found no "
                 "way to go on from there to the failing op%s", next_text, maybe);
    }
    json_object_set_new(o, "why", json_string(why));
    return o;
}

/* Per state the ops before the failing op can leave the model in: what each
 * candidate can do there. The report renders this; it has no model of its own. */
static json_t *candidate_states(const fl_history *h, const fl_model *m, const key_job *job,
                                const size_t *cand, size_t count) {
    const fl_window *w = &job->window;
    json_t *list = json_array();
    for (size_t s = 0; s < w->explain.watch_state_count; s++) {
        fl_state state = w->explain.watch_states[s];
        json_t *ops = json_array();
        for (size_t i = 0; i < count; i++) {
            bool in_prefix = false;
            for (size_t p = 0; s == 0 && p < w->explain.watch_prefix_len; p++)
                in_prefix |= w->explain.watch_prefix[p] == cand[i];
            json_array_append_new(ops, verdict_in(h, m, &job->part->in, state,
                                                  &w->window_calls[cand[i]], in_prefix));
        }
        json_array_append_new(list, json_pack("{s:o, s:o}", "state",
                                              m->describe(&job->part->in, state), "ops", ops));
    }
    return list;
}

static void add_explanation(json_t *r, const fl_history *h, const fl_model *m,
                            const key_job *job) {
    const fl_window *w = &job->window;
    const fl_call *x = &job->part->calls[w->failing_call];
    size_t cand[CONCURRENT_SHOWN_MAX + 1];
    size_t cand_count = candidates(w, cand);
    json_object_set_new(r, "failing_op", fl_op_pair_json(h, x->invoke_pos));
    json_object_set_new(r, "concurrent_ops", concurrent_ops(h, job, cand, cand_count));
    json_object_set_new(r, "candidates", candidate_states(h, m, job, cand, cand_count));
    json_t *states = json_array();
    for (size_t i = 0; i < w->explain.watch_state_count; i++)
        json_array_append_new(states, m->describe(&job->part->in, w->explain.watch_states[i]));
    json_object_set_new(r, "states_before_failing_op", states);
    size_t shown = w->explain.watch_prefix_len;
    size_t skip = shown > PREFIX_SHOWN_MAX ? shown - PREFIX_SHOWN_MAX : 0;
    json_t *prefix = json_array();
    for (size_t i = skip; i < shown; i++) {
        const fl_call *c = &w->window_calls[w->explain.watch_prefix[i]];
        json_array_append_new(prefix, json_integer(h->ops[c->invoke_pos].index));
    }
    json_object_set_new(r, "linearized_prefix", prefix);
    json_object_set_new(r, "linearized_prefix_length", json_integer((json_int_t)shown));
    json_t *window = json_object();
    json_object_set_new(window, "cut_index", json_integer(h->ops[x->return_pos].index));
    json_object_set_new(window, "ops", indices(h, job->part->calls, w->calls, w->count));
    json_object_set_new(window, "minimized", json_boolean(w->minimized));
    json_object_set_new(window, "searches", json_integer((json_int_t)w->searches));
    json_object_set_new(r, "window", window);
    char why[1400];
    json_t *anomaly = m->anomaly ? m->anomaly(h, job->part->invokes, job->part->invoke_count,
                                              x->invoke_pos) : NULL;
    int at = anomaly ? snprintf(why, sizeof why, "%s. ",
                                json_string_value(json_object_get(anomaly, "sentence")))
                     : 0;
    if (at < 0 || (size_t)at >= sizeof why / 2) at = 0;
    if (anomaly) json_object_set_new(r, "anomaly", anomaly);
    snprintf(why + at, sizeof why - (size_t)at,
             "op %lld (%s) cannot take effect: among the %zu ops of its window no order lets "
             "it, in any of the %zu state(s) the ops before it can leave the model in",
             (long long)h->ops[x->invoke_pos].index, h->ops[x->invoke_pos].f, w->count,
             w->explain.watch_state_count);
    if (w->explain.verdict == FL_VERDICT_UNKNOWN)
        snprintf(why + strlen(why), sizeof why - strlen(why),
                 " (the states listed are incomplete: %s)", w->explain.unknown_reason);
    json_object_set_new(r, "explanation", json_string(why));
}

static json_t *key_result(const fl_history *h, const fl_lin_options *o, const key_job *job) {
    json_t *r = json_object();
    json_object_set_new(r, "valid", verdict_json(job->verdict));
    json_object_set_new(r, "ops", json_integer((json_int_t)job->part->invoke_count));
    json_object_set_new(r, "failed_ops_dropped", json_integer((json_int_t)job->part->failed));
    json_object_set_new(r, "unobserved_ops_dropped",
                        json_integer((json_int_t)job->part->unobserved));
    json_object_set_new(r, "steps", json_integer((json_int_t)job->search.steps));
    json_object_set_new(r, "cache_entries", json_integer((json_int_t)job->search.cache_entries));
    json_object_set_new(r, "seconds", json_real(job->seconds));
    if (job->verdict == FL_VERDICT_UNKNOWN)
        json_object_set_new(r, "reason", json_string(job->reason ? job->reason : "unknown"));
    if (job->verdict == FL_VERDICT_VALID && o->full_certificates) add_linearization(r, h, job);
    if (job->verdict == FL_VERDICT_INVALID && job->has_window)
        add_explanation(r, h, o->model, job);
    if (job->verdict == FL_VERDICT_INVALID && !job->has_window)
        json_object_set_new(r, "explanation",
                            json_string("no linearization exists; the failing window could not "
                                        "be narrowed within the budget"));
    if (job->certified >= 0)
        json_object_set_new(r, "certified", job->certified == 2 ? json_string("unknown")
                                                                : json_boolean(job->certified));
    if (job->certified == 0 || job->certified == 2)
        json_object_set_new(r, "certificate_problem", json_string(job->certificate_problem));
    return r;
}

/* The earliest op (by position) that does not fit the model, if any. */
static const key_job *first_prepare_error(const key_job *jobs, size_t count) {
    const key_job *first = NULL;
    for (size_t i = 0; i < count; i++)
        if (jobs[i].prepare_error &&
            (!first || jobs[i].prepare_error_pos < first->prepare_error_pos))
            first = &jobs[i];
    return first;
}

json_t *fl_lin_summarize(const fl_history *h, const fl_lin_options *o, const key_job *jobs,
                         size_t count, double seconds, fl_error *err) {
    const key_job *bad = first_prepare_error(jobs, count);
    if (bad) {
        const fl_op *op = bad->prepare_error_pos >= 0 ? &h->ops[bad->prepare_error_pos] : NULL;
        fl_error_set(err, h->source, op ? op->line : 0, 0, "op %lld (f %s) does not fit the "
                     "%s model: %s; choose another --model (%s takes: %s)",
                     op ? (long long)op->index : -1LL, op ? op->f : "?", o->model->name,
                     bad->prepare_error, o->model->name, o->model->summary);
        return NULL;
    }
    json_t *result = json_object(), *keys = json_object(), *invalid = json_array(),
           *unknown = json_array(), *valid = json_true();
    size_t counts[3] = {0}, ops = 0;
    json_t *certified = json_true();
    for (size_t i = 0; i < count; i++) {
        const key_job *job = &jobs[i];
        json_t *name = key_name(h, job->part->key);
        json_t *r = key_result(h, o, job);
        json_t *worse = fl_verdict_worst(valid, json_object_get(r, "valid"));
        json_decref(valid);
        valid = worse;
        counts[job->verdict]++;
        ops += job->part->invoke_count;
        if (job->verdict == FL_VERDICT_INVALID) json_array_append(invalid, name);
        if (job->verdict == FL_VERDICT_UNKNOWN) json_array_append(unknown, name);
        if (job->certified == 0 || (job->certified == 2 && json_is_true(certified))) {
            json_decref(certified);
            certified = job->certified == 0 ? json_false() : json_string("unknown");
        }
        json_object_set_new(keys, json_string_value(name), r);
        json_decref(name);
    }
    json_object_set_new(result, "valid", valid);
    /* No model is needed (nor can one be inferred) when there are no client ops. */
    json_object_set_new(result, "model", o->model ? json_string(o->model->name) : json_null());
    json_object_set_new(result, "ops", json_integer((json_int_t)ops));
    json_object_set_new(result, "key_count", json_integer((json_int_t)count));
    json_object_set_new(result, "valid_keys", json_integer((json_int_t)counts[FL_VERDICT_VALID]));
    json_object_set_new(result, "invalid_keys", invalid);
    json_object_set_new(result, "unknown_keys", unknown);
    if (o->certify) json_object_set_new(result, "certified", certified);
    else json_decref(certified);
    json_object_set_new(result, "seconds", json_real(seconds));
    json_object_set_new(result, "keys", keys);
    if (h->warning[0]) json_object_set_new(result, "warning", json_string(h->warning));
    return result;
}
