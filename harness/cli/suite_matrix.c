/* A suite file's matrix (see suite_file.h): every combination of its axes, minus the
 * excluded ones and the (target, bug) pairs where the target has no such bug, so one
 * matrix can list the bugs of several targets. */
#include <stdio.h>
#include <string.h>

#include "exit_codes.h"
#include "suite_file.h"
#include "target.h"

/* The axes in expansion order: target outermost, seed innermost. */
static const char *const axes[] = {"target", "workload", "nemesis", "bug", "seed"};
#define AXES (sizeof axes / sizeof axes[0])
enum { AX_TARGET, AX_WORKLOAD, AX_NEMESIS, AX_BUG, AX_SEED };

typedef struct matrix {
    const char *where;
    json_t *values[AXES];  /* a list per axis present, NULL for an absent axis */
    const json_t *settings, *exclude, *defaults;
    const char *prefix;
} matrix;

static int complain(const char *where, const char *what, const char *field) {
    fprintf(stderr, "%s%s%s: %s\n", where, field ? "." : "", field ? field : "", what);
    return FL_EXIT_DATAERR;
}

static bool value_ok(size_t axis, const json_t *v) {
    if (json_is_null(v)) return axis == AX_NEMESIS || axis == AX_BUG; /* none, correct */
    if (axis == AX_SEED) return json_is_integer(v) && json_integer_value(v) >= 0;
    return json_is_string(v) && json_string_length(v) > 0;
}

static int read_matrix(const json_t *m, const json_t *defaults, const char *where, matrix *x) {
    memset(x, 0, sizeof *x);
    x->where = where;
    x->defaults = defaults;
    if (!json_is_object(m)) return complain(where, "want an object of axes", NULL);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)m, key, v) {
        size_t a = 0;
        while (a < AXES && strcmp(axes[a], key)) a++;
        if (a < AXES) {
            x->values[a] = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
            if (json_array_size(x->values[a]) == 0)
                return complain(where, "an empty list: the matrix expands to no test", key);
            size_t i;
            json_t *item;
            json_array_foreach(x->values[a], i, item) if (!value_ok(a, item)) {
                char what[160];
                snprintf(what, sizeof what, "item %zu: want %s", i,
                         a == AX_SEED ? "an integer from 0" :
                         a == AX_NEMESIS || a == AX_BUG ? "a string, or null for none" : "a string");
                return complain(where, what, key);
            }
        } else if (!strcmp(key, "settings")) {
            if (!json_is_object(v)) return complain(where, "want an object of settings", key);
            if (json_object_get(v, "name")) return complain(where, "\"name\" is made per combination", key);
            x->settings = v;
        } else if (!strcmp(key, "exclude")) {
            if (!json_is_array(v)) return complain(where, "want a list of partial combinations", key);
            x->exclude = v;
        } else if (!strcmp(key, "name")) {
            if (!json_is_string(v)) return complain(where, "want a string (the names' prefix)", key);
            x->prefix = json_string_value(v);
        } else {
            char what[200];
            snprintf(what, sizeof what, "unknown key \"%s\" (want target, workload, nemesis, bug, "
                     "seed, settings, exclude, name)", key);
            return complain(where, what, NULL);
        }
    }
    size_t i;
    const json_t *e;
    json_array_foreach(x->exclude, i, e) {
        json_object_foreach((json_t *)e, key, v) {
            size_t a = 0;
            while (a < AXES && strcmp(axes[a], key)) a++;
            if (a == AXES || !x->values[a]) {
                char what[200];
                snprintf(what, sizeof what, "item %zu: \"%s\" is not an axis of this matrix", i, key);
                return complain(where, what, "exclude");
            }
        }
        if (!json_is_object(e) || json_object_size(e) == 0)
            return complain(where, "want objects of axis values", "exclude");
    }
    return 0;
}

/* The target a combination runs: its axis value, else the settings', else the default. */
static const char *target_of(const matrix *x, const json_t *combo) {
    const char *t = json_string_value(json_object_get(combo, "target"));
    if (!t) t = json_string_value(json_object_get(x->settings, "target"));
    if (!t) t = json_string_value(json_object_get(x->defaults, "target"));
    return t ? t : "quorumkv";
}

/* A bug counts as possible when some target of the matrix has it, or when a target is
 * unknown (the test's own check then names the target, which is the real mistake). */
static int check_bugs(const matrix *x) {
    size_t i;
    const json_t *bug;
    json_array_foreach(x->values[AX_BUG], i, bug) {
        if (json_is_null(bug)) continue;
        bool somewhere = false;
        size_t n = x->values[AX_TARGET] ? json_array_size(x->values[AX_TARGET]) : 1;
        for (size_t j = 0; j < n && !somewhere; j++) {
            json_t *combo = json_object();
            if (x->values[AX_TARGET])
                json_object_set(combo, "target", json_array_get(x->values[AX_TARGET], j));
            const fl_target *t = fl_target_find(target_of(x, combo));
            somewhere = !t || fl_target_has_bug(t, json_string_value(bug));
            json_decref(combo);
        }
        if (!somewhere) {
            char what[300];
            snprintf(what, sizeof what, "\"%.100s\": no target of this matrix has this seeded bug "
                     "(see `faultline targets`)", json_string_value(bug));
            return complain(x->where, what, "bug");
        }
    }
    return 0;
}

static bool excluded(const matrix *x, const json_t *combo) {
    size_t i;
    const json_t *e;
    json_array_foreach(x->exclude, i, e) {
        bool all = true;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)e, key, v) all = all && json_equal(v, json_object_get(combo, key));
        if (all) return true;
    }
    return false;
}

/* PREFIX-target-workload-nemesis-bug-sSEED, from the axes present; any character a
 * folder name should not have becomes '_' (partition:one,kill → partition_one_kill). */
static void combo_name(const matrix *x, const json_t *combo, char *out, size_t bytes) {
    size_t len = (size_t)snprintf(out, bytes, "%s", x->prefix ? x->prefix : "");
    for (size_t a = 0; a < AXES; a++) {
        if (!x->values[a]) continue;
        const json_t *v = json_object_get(combo, axes[a]);
        char part[256];
        if (a == AX_SEED) snprintf(part, sizeof part, "s%lld", (long long)json_integer_value(v));
        else if (json_is_null(v)) snprintf(part, sizeof part, "%s", a == AX_BUG ? "correct" : "none");
        else snprintf(part, sizeof part, "%s", json_string_value(v));
        for (char *p = part; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p)) *p = '_';
        if (len < bytes) len += (size_t)snprintf(out + len, bytes - len, "%s%s", len ? "-" : "", part);
    }
    if (!out[0]) snprintf(out, bytes, "matrix");
}

int fl_suite_matrix_expand(const json_t *m, const json_t *defaults, const char *where, json_t *tests) {
    matrix x;
    int rc = read_matrix(m, defaults, where, &x);
    if (rc == 0) rc = check_bugs(&x);
    size_t at[AXES] = {0}, made = 0, dropped = 0;
    json_t *base = rc == 0 ? fl_suite_merge(defaults, x.settings) : NULL;
    for (bool more = rc == 0; more;) {
        json_t *combo = json_object();
        for (size_t a = 0; a < AXES; a++)
            if (x.values[a]) json_object_set(combo, axes[a], json_array_get(x.values[a], at[a]));
        const json_t *bug = json_object_get(combo, "bug");
        const fl_target *t = fl_target_find(target_of(&x, combo));
        bool fits = !json_is_string(bug) || !t || fl_target_has_bug(t, json_string_value(bug));
        if (excluded(&x, combo) || !fits) {
            dropped++;
        } else {
            char name[512], here[4600];
            combo_name(&x, combo, name, sizeof name);
            snprintf(here, sizeof here, "%s \"%s\"", where, name);
            json_object_set_new(combo, "name", json_string(name));
            json_array_append_new(tests, json_pack("{s:s,s:s,s:o}", "name", name, "where", here,
                                                   "settings", fl_suite_merge(base, combo)));
            made++;
        }
        json_decref(combo);
        /* the next combination: the last axis turns fastest */
        more = false;
        for (size_t a = AXES; a-- > 0;) {
            if (!x.values[a]) continue;
            if (++at[a] < json_array_size(x.values[a])) {
                more = true;
                break;
            }
            at[a] = 0;
        }
    }
    if (rc == 0 && made == 0) {
        char what[160];
        snprintf(what, sizeof what, "every one of its %zu combinations is excluded: the matrix "
                 "expands to no test", dropped);
        rc = complain(where, what, NULL);
    }
    json_decref(base);
    for (size_t a = 0; a < AXES; a++) json_decref(x.values[a]);
    return rc;
}
