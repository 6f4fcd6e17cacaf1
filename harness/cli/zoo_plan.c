/* The zoo's rows (see zoo_run.h): which modes of which targets, and the few settings
 * the zoo gives each; everything else is the target's defaults, the same for its
 * correct mode and every bug. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "run_series.h"
#include "nodes.h"
#include "zoo_run.h"

static bool wanted_target(const fl_zoo_options *o, const fl_target *t) {
    return !o->target || !strcmp(o->target, t->name);
}

/* The mode (a bug's or finding's name, or "correct") is one --bug selects. */
static bool wanted_mode(const fl_zoo_options *o, const char *mode) {
    return !o->bug || !strcmp(o->bug, mode);
}

bool fl_zoo_row_expects(const fl_zoo_row *r) { return r->bug || r->finding; }

const char *fl_zoo_row_mode(const fl_zoo_row *r) {
    return r->bug ? r->bug->name : r->finding ? r->finding->name : "correct";
}

/* A finding that holds at the target's defaults: the target has no correct mode. */
static bool unsafe_by_default(const fl_target *t) {
    for (size_t f = 0; t->findings && t->findings[f].name; f++)
        if (!t->findings[f].options) return true;
    return false;
}

/* The targets the zoo has rows for: the built-in ones, or the --target-file's alone. */
static const fl_target *const *zoo_targets(const fl_zoo_options *o) {
    static const fl_target *from_file[2];
    from_file[0] = o->file_target;
    return o->file_target ? from_file : fl_targets;
}

/* "faultline zoo: --target X: …; known: a, b" / "--bug X: …; known: correct, …". */
static int refuse(const fl_zoo_options *o, bool target) {
    fprintf(stderr, "faultline zoo: --%s %s: %s; known: ", target ? "target" : "bug",
            target ? o->target : o->bug,
            target ? "no such target" : o->target ? "no such bug of this target" : "no target has this bug");
    if (!target) fputs("correct", stderr);
    bool first = target;
    const fl_target *const *targets = zoo_targets(o);
    for (size_t i = 0; targets[i]; i++) {
        const fl_target *t = targets[i];
        if (target) {
            fprintf(stderr, "%s%s", first ? "" : ", ", t->name);
            first = false;
            continue;
        }
        if (!wanted_target(o, t)) continue;
        for (size_t b = 0; t->bugs[b].name; b++) fprintf(stderr, ", %s", t->bugs[b].name);
        for (size_t f = 0; t->findings && t->findings[f].name; f++)
            fprintf(stderr, ", %s", t->findings[f].name);
    }
    fputc('\n', stderr);
    return FL_EXIT_USAGE;
}

/* Are the nodes machines of their own (every node's clock "system": VMs, a user's
 * machines), where a fault a local cluster lacks (netem) can be applied? */
static bool nodes_are_machines(const char *nodes_file) {
    const char *path = fl_nodes_default_path(nodes_file);
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES];
    if (!path || fl_nodes_read(path, &n, err) != 0) return false;
    bool machines = n.count > 0;
    for (size_t i = 0; i < n.count; i++) machines &= n.nodes[i].clock == FL_CLOCK_SYSTEM;
    fl_nodes_free(&n);
    return machines;
}

static json_t *row_settings(const fl_zoo_options *o, const fl_zoo_row *r) {
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    json_t *s = json_pack("{s:s,s:s,s:f,s:s,s:i,s:s}", "name", r->name, "target", r->target->name,
                          "time-limit", o->time_limit_s, "seed", seed, "test-count",
                          fl_zoo_row_expects(r) ? o->runs : o->correct_runs, "store", o->store);
    if (r->bug) json_object_set_new(s, "bug", json_string(r->bug->name));
    if (r->finding && r->finding->options) { /* "K=V,K=V" -> ["K=V", "K=V"] */
        json_t *opts = json_array();
        for (const char *p = r->finding->options; *p;) {
            size_t n = strcspn(p, ",");
            json_array_append_new(opts, json_stringn(p, n));
            p += n + (p[n] == ',');
        }
        json_object_set_new(s, "target-opt", opts);
    }
    if (o->nodes_file) json_object_set_new(s, "nodes-file", json_string(o->nodes_file));
    /* The fault the bug needs, where it can be had, for as long as the bug needs it;
     * elsewhere the row says what it needs. */
    if (r->bug && r->bug->needs_nemesis && nodes_are_machines(o->nodes_file)) {
        json_object_set_new(s, "nemesis", json_string(r->bug->needs_nemesis));
        if (r->bug->needs_seconds > o->time_limit_s)
            json_object_set_new(s, "time-limit", json_real(r->bug->needs_seconds));
    }
    return s;
}

/* Resolves the row as `faultline suite` resolves a test; a refusal is kept, not fatal:
 * the row then shows why it did not run. */
static void resolve_row(const fl_zoo_options *o, fl_zoo_row *r) {
    r->settings = row_settings(o, r);
    char where[200];
    snprintf(where, sizeof where, "faultline zoo: %s", r->name);
    int rc = fl_test_config_resolve(&r->config, r->settings, where, r->refused, sizeof r->refused);
    if (rc == FL_EXIT_DATAERR) snprintf(r->refused, sizeof r->refused, "its settings do not apply");
    else if (rc == 0) r->refused[0] = '\0';
    /* The run's target is the file's; each run's test.json names the file, as faultline
     * test --target-file writes it. */
    if (rc == 0 && o->target_file) {
        r->config.target_file = o->target_file;
        r->config.file_target = o->file_target;
    }
}

int fl_zoo_plan(const fl_zoo_options *o, fl_zoo_row **rows, size_t *count) {
    *count = 0;
    *rows = calloc(FL_ZOO_PLAN_ROWS_MAX, sizeof **rows);
    if (!*rows) return fputs("faultline zoo: out of memory\n", stderr), FL_EXIT_HARNESS;
    bool target_known = false;
    const fl_target *const *targets = zoo_targets(o);
    for (size_t i = 0; targets[i]; i++) {
        const fl_target *t = targets[i];
        if (!wanted_target(o, t)) continue;
        target_known = true;
        size_t bugs = 0, findings = 0;
        while (t->bugs[bugs].name) bugs++;
        while (t->findings && t->findings[findings].name) findings++;
        /* m = 0: the correct mode, then the bugs, then the known findings */
        for (size_t m = unsafe_by_default(t) ? 1 : 0; m <= bugs + findings; m++) {
            fl_zoo_row row = {.target = t};
            if (m >= 1 && m <= bugs) row.bug = &t->bugs[m - 1];
            if (m > bugs) row.finding = &t->findings[m - bugs - 1];
            assert(!(row.bug && row.finding) && (m == 0) == !fl_zoo_row_expects(&row));
            if (!wanted_mode(o, fl_zoo_row_mode(&row))) continue;
            if (*count == FL_ZOO_PLAN_ROWS_MAX) {
                fprintf(stderr, "faultline zoo: more than %d rows\n", FL_ZOO_PLAN_ROWS_MAX);
                return FL_EXIT_HARNESS;
            }
            fl_zoo_row *r = &(*rows)[(*count)++];
            *r = row;
            snprintf(r->name, sizeof r->name, "zoo-%s-%s", t->name, fl_zoo_row_mode(r));
            resolve_row(o, r);
        }
    }
    if (!target_known) return refuse(o, true);
    if (*count == 0) return refuse(o, false);
    return 0;
}

void fl_zoo_plan_free(fl_zoo_row *rows, size_t count) {
    for (size_t i = 0; rows && i < count; i++) {
        fl_test_config_free(&rows[i].config);
        json_decref(rows[i].settings);
    }
    free(rows);
}

/* The settings the target's defaults filled, with their values. */
static json_t *from_target(const fl_zoo_row *r) {
    json_t *all = fl_test_config_json(&r->config), *picked = json_object();
    for (size_t i = 0; r->config.target_defaults[i]; i++) {
        const char *key = r->config.target_defaults[i];
        json_object_set(picked, key, json_object_get(all, key));
    }
    json_decref(all);
    return picked;
}

static void print_json(FILE *out, const json_t *v) {
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    fputs(text ? text : "{}", out);
    free(text);
}

void fl_zoo_list(FILE *out, const fl_zoo_row *rows, size_t count, int sim_seeds) {
    for (size_t i = 0; i < count; i++) {
        const fl_zoo_row *r = &rows[i];
        json_t *given = json_deep_copy(r->settings), *defaults = from_target(r);
        json_object_del(given, "name");
        fprintf(out, "%s\t", r->name);
        print_json(out, given);
        fputc('\t', out);
        print_json(out, defaults);
        if (r->bug && r->bug->needs) fprintf(out, "\tneeds: %s", r->bug->needs);
        if (r->finding) fprintf(out, "\tknown finding: %s", r->finding->documented);
        if (r->target->simulator && sim_seeds > 0)
            fprintf(out, "\tsimulator: %s, %d seeds", r->target->simulator, sim_seeds);
        if (r->refused[0]) fprintf(out, "\tcannot run: %s", r->refused);
        fputc('\n', out);
        json_decref(given);
        json_decref(defaults);
    }
}
