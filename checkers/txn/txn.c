/* The transactional checker's entry point (txn.h): read the transactions, infer versions
 * and edges, search the cycles, and judge what was found against the consistency model. */
#include "txn.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "empty_history.h"
#include "txn_internal.h"

#define DEFAULT_BUDGET 2000000000ull /* edge visits: minutes of search, never hours */
#define DEFAULT_SHOWN 8

static const char *workload_name(fl_txn_workload w) {
    return w == FL_TXN_RW_REGISTER ? "rw-register" : "list-append";
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted names of the anomaly types found. */
static json_t *sorted_types(const json_t *counts) {
    size_t n = json_object_size(counts), i = 0;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    json_t *out = json_array();
    if (!names) return out;
    const char *k;
    const json_t *val;
    json_object_foreach((json_t *)counts, k, val) names[i++] = k;
    qsort(names, n, sizeof *names, by_string);
    for (i = 0; i < n; i++) json_array_append_new(out, json_string(names[i]));
    free(names);
    return out;
}

static json_t *refuse_duplicates(txn_set *s, txn_found *f, json_t *result) {
    const char *kind = json_object_get(f->by_type, "duplicate-appends") ? "duplicate-appends"
                                                                          : "duplicate-writes";
    json_object_set_new(result, "valid", json_string("unknown"));
    json_object_set_new(result, "error", json_string(
        s->workload == FL_TXN_LIST_APPEND
            ? "two appends of one value to one key: every inference rests on each element "
              "naming one append (a workload must append unique values per key)"
            : "two writes of one value to one key: every inference rests on each value "
              "naming one write (a workload must write unique values per key)"));
    json_object_set(result, kind, json_object_get(f->by_type, kind));
    return result;
}

json_t *fl_check_txn(const fl_history *h, const fl_txn_options *o, fl_error *err) {
    assert(h && o);
    const char *model = o->model ? o->model : "strict-serializable";
    if (!fl_txn_model_known(model)) {
        fl_error_set(err, h->source ? h->source : "", 0, 0, "unknown consistency model \"%s\" "
                     "(see `faultline check --help`)", model);
        return NULL;
    }
    if (!fl_history_has_client_ops(h))
        return fl_empty_history_valid(h, json_pack("{s:b,s:s}", "valid", 1, "consistency-model", model));
    txn_set *s = txn_collect(h, o->workload, err);
    if (!s) return NULL;
    json_t *result = json_pack("{s:s,s:s}", "workload", workload_name(s->workload),
                               "consistency-model", model);
    txn_found f = {.by_type = json_object(), .counts = json_object(),
                   .max_shown = o->max_shown ? o->max_shown : DEFAULT_SHOWN, .s = s};
    edge_buf b = {0};
    txn_versions *v = NULL;
    txn_graph g = {0};
    json_t *stats = json_object();
    int rc = s->workload == FL_TXN_LIST_APPEND ? txn_list_analyse(s, &f, &b, &v)
                                               : txn_rw_analyse(s, o, &f, &b, &v);
    if (rc == 1) {
        refuse_duplicates(s, &f, result);
        goto out;
    }
    if (rc < 0) goto oom;
    txn_order_edges(s, &b);
    json_object_set_new(stats, "edges-found", json_integer((json_int_t)b.n));
    if (txn_graph_build(&g, s->n, &b)) goto oom;
    json_object_set_new(stats, "edges", json_integer((json_int_t)g.off[g.n]));
    bool undecided = false;
    if (txn_find_cycles(s, &g, v, o->budget_steps ? o->budget_steps : DEFAULT_BUDGET, &f,
                        &undecided, stats))
        goto oom;
    /* The verdict: false when the model forbids something found; unknown when a search
     * ran out of budget or nothing committed; else true. */
    json_t *types = sorted_types(f.counts), *prohibited = json_array(), *info = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
        json_array_append(txn_model_prohibits(model, json_string_value(t)) ? prohibited : info, t);
    uint32_t ok = 0, indeterminate = 0, failed = 0;
    for (uint32_t x = 0; x < s->n; x++) {
        ok += s->txns[x].type == FL_OK;
        indeterminate += s->txns[x].type == FL_INFO;
        failed += s->txns[x].type == FL_FAIL;
    }
    json_t *valid = json_array_size(prohibited) ? json_false()
                    : undecided || !ok ? json_string("unknown") : json_true();
    json_object_set_new(result, "valid", valid);
    if (undecided)
        json_object_set_new(result, "note", json_string("the cycle search ran out of its work "
                            "budget before deciding every class (--txn-budget)"));
    else if (!ok && !json_array_size(prohibited))
        json_object_set_new(result, "note", json_string("no transaction committed: nothing to check"));
    json_object_set_new(result, "anomaly-types", types);
    json_object_set_new(result, "prohibited", prohibited);
    json_object_set_new(result, "informational", info);
    json_object_set_new(result, "not", txn_models_ruled_out(types));
    json_object_set_new(result, "anomalies", f.by_type);
    json_object_set_new(result, "counts", f.counts);
    f.by_type = f.counts = NULL;
    json_object_set_new(result, "txns", json_pack("{s:i,s:i,s:i}", "ok", ok, "info",
                                                  indeterminate, "fail", failed));
    json_object_set(result, "stats", stats);
    if (o->certify) txn_certify(h, s->workload, o, result);
out:
    json_decref(f.by_type);
    json_decref(f.counts);
    json_decref(stats);
    edge_buf_free(&b);
    txn_graph_free(&g);
    txn_versions_free(v);
    txn_set_free(s);
    return result;
oom:
    fl_error_set(err, h->source ? h->source : "", 0, 0, "out of memory");
    json_decref(result);
    result = NULL;
    goto out;
}
