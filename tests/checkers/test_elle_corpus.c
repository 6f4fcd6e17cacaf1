/* The transactional corpus (tests/corpus/elle): every history expected.tsv lists exists,
 * is listed once, and reads with the project's EDN reader into a history whose client
 * ops are all `:f :txn` with a vector of micro-ops — [:append k v] and [:r k list] for
 * list-append, [:w k v] and [:r k v] for rw-register — and as many ops as the table
 * says; and the transactional checker (checkers/txn) gives every history the verdict
 * Elle gives under the model and options the table names, reports each anomaly Elle
 * lists (or one that implies it), and certifies everything it reports. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "txn.h"

#ifndef FL_ELLE_CORPUS_DIR
#error "FL_ELLE_CORPUS_DIR must name tests/corpus/elle (tests/CMakeLists.txt defines it)"
#endif

#define ROWS_MAX 256

typedef struct row {
    char file[128];
    char workload[32];
    char verdict[16];
    char anomalies[512];
    long ops;
    char model[128];
} row;

/* expected.tsv: file, workload, verdict, anomalies ("-" for none), ops, model,
 * confidence. */
static size_t read_rows(row *rows) {
    FILE *in = fopen(FL_ELLE_CORPUS_DIR "/expected.tsv", "r");
    if (!in) fail_msg("cannot open %s/expected.tsv", FL_ELLE_CORPUS_DIR);
    char line[1024];
    size_t n = 0;
    if (!fgets(line, sizeof line, in) || strncmp(line, "file\tworkload\tverdict\t", 22))
        fail_msg("expected.tsv: no header line");
    while (fgets(line, sizeof line, in)) {
        row *r = &rows[n];
        if (sscanf(line, "%127[^\t]\t%31[^\t]\t%15[^\t]\t%511[^\t]\t%ld\t%127[^\t]", r->file,
                   r->workload, r->verdict, r->anomalies, &r->ops, r->model) != 6)
            fail_msg("expected.tsv: cannot read line %zu: %s", n + 2, line);
        assert_true(++n < ROWS_MAX);
    }
    fclose(in);
    return n;
}

static bool is_keyword(const json_t *v, const char *name) {
    const char *s = json_string_value(v);
    /* EDN keywords travel as ":name" strings (DESIGN.md "EDN in JSON") */
    return s && s[0] == ':' && !strcmp(s + 1, name);
}

/* Keys are keywords, strings or integers; never collections. */
static bool is_key(const json_t *k) { return json_is_string(k) || json_is_integer(k); }

/* NULL when mop is a micro-op of workload (read values as of an invocation, nil, or a
 * completion's); else why not. */
static const char *micro_op_problem(const json_t *mop, bool list_append) {
    if (!json_is_array(mop) || json_array_size(mop) != 3) return "not a 3-element vector";
    const json_t *f = json_array_get(mop, 0), *k = json_array_get(mop, 1),
                 *v = json_array_get(mop, 2);
    if (!is_key(k)) return "key is not a keyword, string or integer";
    if (is_keyword(f, "r")) {
        if (json_is_null(v)) return NULL;
        if (!list_append) return json_is_integer(v) ? NULL : "rw read of a non-integer";
        if (!json_is_array(v)) return "list-append read of a non-list";
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (!json_is_integer(e)) return "list of non-integers";
        return NULL;
    }
    if (is_keyword(f, list_append ? "append" : "w"))
        return json_is_integer(v) ? NULL : "written value is not an integer";
    return list_append ? "not :append or :r" : "not :w or :r";
}

/* NULL when every client op of h is a txn of micro-ops; else why not (in why). */
static const char *history_problem(const fl_history *h, bool list_append, char *why,
                                   size_t bytes) {
    size_t txns = 0;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (strcmp(op->f, "txn") != 0)
            return snprintf(why, bytes, "op %lld: f %s, not txn", (long long)op->index, op->f), why;
        if (op->key != FL_NO_KEY)
            return snprintf(why, bytes, "op %lld: split as a [k v] tuple",
                            (long long)op->index), why;
        /* a failed or crashed txn may leave its reads out: then no value is fine */
        if (!op->value && op->type != FL_INVOKE) continue;
        if (!json_is_array(op->value) || json_array_size(op->value) == 0)
            return snprintf(why, bytes, "op %lld: value is not a vector of micro-ops",
                            (long long)op->index), why;
        size_t j;
        json_t *mop;
        json_array_foreach(op->value, j, mop) {
            const char *p = micro_op_problem(mop, list_append);
            if (p) return snprintf(why, bytes, "op %lld, micro-op %zu: %s", (long long)op->index, j, p), why;
        }
        txns++;
    }
    if (!txns) return snprintf(why, bytes, "no transactions"), why;
    return NULL;
}

static void test_every_history_reads(void **state) {
    (void)state;
    static row rows[ROWS_MAX];
    size_t n = read_rows(rows);
    size_t counts[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        bool list_append = !strcmp(r->workload, "list-append");
        if (!list_append && strcmp(r->workload, "rw-register"))
            fail_msg("%s: workload %s", r->file, r->workload);
        if (strcmp(r->verdict, "valid") && strcmp(r->verdict, "invalid"))
            fail_msg("%s: verdict %s", r->file, r->verdict);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(rows[j].file, r->file)) fail_msg("%s is listed twice", r->file);
        char path[4096], why[512];
        snprintf(path, sizeof path, "%s/%.127s", FL_ELLE_CORPUS_DIR, r->file);
        fl_history *h = NULL;
        fl_error err;
        /* auto-detecting jepsen.independent tuples must not mistake two micro-ops for one */
        fl_read_options opt = {.allow_truncated = false, .independent = -1};
        if (fl_history_read_file(path, &opt, &h, &err) != FL_READ_OK) {
            fl_error_format(&err, why, sizeof why);
            fail_msg("%s", why);
        }
        if ((long)h->count != r->ops)
            fail_msg("%s: %zu ops, expected.tsv says %ld", r->file, h->count, r->ops);
        if (history_problem(h, list_append, why, sizeof why))
            fail_msg("%s: %s", r->file, why);
        counts[list_append]++;
        fl_history_free(h);
    }
    print_message("%zu histories: %zu list-append, %zu rw-register\n", n, counts[1], counts[0]);
    assert_true(counts[0] > 0 && counts[1] > 0);
}

/* Every .edn file of the folder is listed, so the count is the folder's (the README
 * beside them says 44; the table and the files are what count). */
static void test_every_file_is_listed(void **state) {
    (void)state;
    static row rows[ROWS_MAX];
    size_t n = read_rows(rows), files = 0;
    DIR *dir = opendir(FL_ELLE_CORPUS_DIR);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".edn")) continue;
        files++;
        bool listed = false;
        for (size_t i = 0; i < n && !listed; i++) listed = !strcmp(rows[i].file, e->d_name);
        if (!listed) fail_msg("%s is not in expected.tsv", e->d_name);
    }
    closedir(dir);
    assert_int_equal(files, n);
    assert_true(n >= 44);
}

/* Where faultline's verdict is not Elle's on purpose: the row's file, our verdict, an
 * anomaly we must report, and why. */
static const struct deviation {
    const char *file, *verdict, *anomaly, *why;
} deviations[] = {
    {"rw-t-keys-wfr-valid.edn", "invalid", "garbage-read",
     "it reads x = 5, which no transaction wrote; Elle lets such reads pass (jepsen-io/elle#8)"},
};

static const struct deviation *deviation_of(const char *file) {
    for (size_t i = 0; i < sizeof deviations / sizeof deviations[0]; i++)
        if (!strcmp(deviations[i].file, file)) return &deviations[i];
    return NULL;
}

/* Does the result report a, or an anomaly that implies it? */
static bool reported(const json_t *result, const char *a) {
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(result, "anomaly-types"), i, t)
        if (fl_txn_anomaly_implies(json_string_value(t), a)) return true;
    return false;
}

/* The checker's options for a row's model column: "MODEL[;OPT,OPT…]". */
static void options_of(const row *r, fl_txn_options *o, char *model, size_t bytes) {
    snprintf(model, bytes, "%s", r->model);
    char *semi = strchr(model, ';');
    *o = (fl_txn_options){.workload = strcmp(r->workload, "list-append") ? FL_TXN_RW_REGISTER
                                                                          : FL_TXN_LIST_APPEND,
                          .certify = true};
    if (semi) {
        *semi = 0;
        o->sequential_keys = strstr(semi + 1, "sequential-keys") != NULL;
        o->linearizable_keys = strstr(semi + 1, "linearizable-keys") != NULL;
        /* wfr-keys: on by default here */
    }
    o->model = model;
}

static void test_verdicts_match_elle(void **state) {
    (void)state;
    static row rows[ROWS_MAX];
    size_t n = read_rows(rows), failures = 0, extra = 0;
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        char path[4096], model[128], why[512];
        snprintf(path, sizeof path, "%s/%.127s", FL_ELLE_CORPUS_DIR, r->file);
        fl_history *h = NULL;
        fl_error err;
        fl_read_options ro = {.allow_truncated = false, .independent = -1};
        assert_int_equal(fl_history_read_file(path, &ro, &h, &err), FL_READ_OK);
        assert_int_equal(fl_history_pair(h, &err), 0);
        fl_txn_options o;
        options_of(r, &o, model, sizeof model);
        json_t *result = fl_check_txn(h, &o, &err);
        if (!result) {
            fl_error_format(&err, why, sizeof why);
            fail_msg("%s: %s", r->file, why);
        }
        const struct deviation *d = deviation_of(r->file);
        const char *want = d ? d->verdict : r->verdict;
        const json_t *valid = json_object_get(result, "valid");
        bool ok = !strcmp(want, "valid") ? json_is_true(valid) : json_is_false(valid);
        if (!ok) print_error("%s: verdict %s, expected %s\n", r->file,
                             json_is_true(valid) ? "valid" : json_is_false(valid) ? "invalid" : "unknown", want);
        if (d && !reported(result, d->anomaly)) {
            print_error("%s: %s not reported (%s)\n", r->file, d->anomaly, d->why);
            ok = false;
        }
        char list[512];
        snprintf(list, sizeof list, "%s", r->anomalies);
        for (char *save = NULL, *a = strtok_r(list, ",", &save); a && strcmp(a, "-"); a = strtok_r(NULL, ",", &save))
            if (!reported(result, a)) {
                print_error("%s: Elle's %s is neither reported nor implied\n", r->file, a);
                ok = false;
            }
        if (!json_is_true(json_object_get(result, "certified"))) {
            char *text = json_dumps(json_object_get(result, "certify-errors"), JSON_COMPACT);
            print_error("%s: not certified: %s\n", r->file, text ? text : "?");
            free(text);
            ok = false;
        }
        extra += json_array_size(json_object_get(result, "anomaly-types"));
        failures += !ok;
        json_decref(result);
        fl_history_free(h);
    }
    print_message("%zu histories, %zu failed; %zu anomaly types reported in all\n", n, failures, extra);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_history_reads),
        cmocka_unit_test(test_every_file_is_listed),
        cmocka_unit_test(test_verdicts_match_elle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
