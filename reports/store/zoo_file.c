/* A zoo.json read back, and the store's zoo pages found (see zoo.h). */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zoo.h"

#define ZOO_STAMP_CHARS 16 /* YYYYmmddTHHMMSSZ */
#define ZOO_PAGES_MAX 10000

/* A count of runs from the file: an integer from 0 to runs, else -1. */
static json_int_t count_of(const json_t *row, const char *key, json_int_t runs) {
    const json_t *v = json_object_get(row, key);
    if (!json_is_integer(v)) return -1;
    json_int_t n = json_integer_value(v);
    return n >= 0 && n <= runs ? n : -1;
}

/* A name field: a non-empty string of at most FL_ZOO_NAME_BYTES_MAX bytes, or (when
 * may_be_null) null or absent. */
static bool name_ok(const json_t *v, bool may_be_null) {
    if (!v || json_is_null(v)) return may_be_null;
    size_t n = json_string_length(v);
    return json_is_string(v) && n > 0 && n <= FL_ZOO_NAME_BYTES_MAX;
}

/* One row, normalised; NULL with err. */
static json_t *read_row(const json_t *row, size_t i, const json_t *seen, char *err,
                        size_t bytes) {
    if (!json_is_object(row)) return snprintf(err, bytes, "rows[%zu]: not an object", i), NULL;
    const json_t *name = json_object_get(row, "name"), *runs = json_object_get(row, "runs");
    if (!name_ok(name, false))
        return snprintf(err, bytes, "rows[%zu]: \"name\" must be a string of 1 to %d bytes", i,
                        FL_ZOO_NAME_BYTES_MAX), NULL;
    if (json_object_get(seen, json_string_value(name)))
        return snprintf(err, bytes, "rows[%zu]: a second row named \"%.80s\"", i,
                        json_string_value(name)), NULL;
    const json_t *target = json_object_get(row, "target"), *mode = json_object_get(row, "mode");
    if (!name_ok(target, true) || !name_ok(mode, true))
        return snprintf(err, bytes, "rows[%zu]: \"target\" and \"mode\" must be short strings", i),
               NULL;
    if (!json_is_array(runs))
        return snprintf(err, bytes, "rows[%zu]: \"runs\" must be a list", i), NULL;
    json_int_t made = (json_int_t)json_array_size(runs);
    json_int_t detected = count_of(row, "detected", made), unknown = count_of(row, "unknown", made),
               errors = count_of(row, "errors", made);
    if (detected < 0 || unknown < 0 || errors < 0 || detected + unknown + errors > made)
        return snprintf(err, bytes, "rows[%zu]: \"detected\", \"unknown\" and \"errors\" must be "
                        "counts of its %lld runs", i, (long long)made), NULL;
    return json_pack("{s:O,s:O?,s:O?,s:b,s:I,s:I,s:I,s:I}", "name", name, "target",
                     json_is_null(target) ? NULL : target, "mode", json_is_null(mode) ? NULL : mode,
                     "correct", json_is_true(json_object_get(row, "correct")), "runs", made,
                     "detected", detected, "unknown", unknown, "errors", errors);
}

json_t *fl_zoo_parse(const char *text, size_t len, char *err, size_t bytes) {
    assert(text || len == 0);
    json_error_t e;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!doc) return snprintf(err, bytes, "line %d: %s", e.line, e.text), NULL;
    const json_t *started = json_object_get(doc, "started"), *rows = json_object_get(doc, "rows");
    const json_t *exit = json_object_get(doc, "exit");
    json_t *out = NULL, *list = json_array(), *seen = json_object();
    if (!json_is_object(doc) || !name_ok(started, false) || !json_is_array(rows)) {
        snprintf(err, bytes, "not a zoo.json: want an object with \"started\" and \"rows\"");
    } else if (json_array_size(rows) > FL_ZOO_ROWS_MAX) {
        snprintf(err, bytes, "%zu rows: more than %d", json_array_size(rows), FL_ZOO_ROWS_MAX);
    } else if (exit && !json_is_null(exit) && !json_is_integer(exit)) {
        snprintf(err, bytes, "\"exit\" must be an integer");
    } else {
        size_t i;
        const json_t *row;
        bool ok = true;
        json_array_foreach(rows, i, row) {
            json_t *r = read_row(row, i, seen, err, bytes);
            if (!r) {
                ok = false;
                break;
            }
            json_object_set_new(seen, json_string_value(json_object_get(r, "name")), json_true());
            json_array_append_new(list, r);
        }
        if (ok)
            out = json_pack("{s:O,s:O,s:O}", "started", started, "exit",
                            json_is_integer(exit) ? exit : json_null(), "rows", list);
    }
    json_decref(list);
    json_decref(seen);
    json_decref(doc);
    return out;
}

json_t *fl_zoo_read(const char *path, char *err, size_t bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) return snprintf(err, bytes, "%s: %s", path, strerror(errno)), NULL;
    char *text = malloc(FL_ZOO_FILE_BYTES_MAX + 1);
    size_t n = text ? fread(text, 1, FL_ZOO_FILE_BYTES_MAX + 1, f) : 0;
    bool failed = !text || ferror(f);
    fclose(f);
    json_t *zoo = NULL;
    if (failed) snprintf(err, bytes, "%s: cannot read it", path);
    else if (n > FL_ZOO_FILE_BYTES_MAX) snprintf(err, bytes, "%s: larger than %d bytes", path,
                                                  FL_ZOO_FILE_BYTES_MAX);
    else if (!(zoo = fl_zoo_parse(text, n, err, bytes))) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, bytes, "%s: %s", path, why);
    }
    free(text);
    return zoo;
}

/* YYYYmmddTHHMMSSZ, maybe with -N (harness/run/run_store.c's UTC stamps). */
static bool zoo_stamp(const char *name) {
    for (int i = 0; i < ZOO_STAMP_CHARS; i++) {
        char c = name[i], want = i == 8 ? 'T' : i == 15 ? 'Z' : 0;
        if (want ? c != want : (c < '0' || c > '9')) return false;
    }
    const char *rest = name + ZOO_STAMP_CHARS;
    if (!*rest) return true;
    size_t digits = strspn(rest + 1, "0123456789");
    return rest[0] == '-' && digits > 0 && digits <= 6 && !rest[1 + digits];
}

/* Newest first: by stamp, then by the -N suffix (its length first: -10 after -9). */
static int newest_first(const void *a, const void *b) {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    int by_stamp = strncmp(y, x, ZOO_STAMP_CHARS);
    if (by_stamp) return by_stamp;
    return lx != ly ? (ly > lx ? 1 : -1) : strcmp(y, x);
}

json_t *fl_store_scan_zoos(const char *store_dir) {
    char dir[4096], path[4200];
    json_t *pages = json_array();
    snprintf(dir, sizeof dir, "%s/zoo", store_dir);
    DIR *d = opendir(dir);
    if (!d) return pages;
    char **names = calloc(ZOO_PAGES_MAX, sizeof *names);
    size_t n = 0;
    struct dirent *e;
    while (names && n < ZOO_PAGES_MAX && (e = readdir(d)))
        if (zoo_stamp(e->d_name) && (names[n] = strdup(e->d_name))) n++;
    closedir(d);
    if (names) qsort(names, n, sizeof *names, newest_first);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char err[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        json_t *zoo = lstat(path, &st) == 0 && S_ISDIR(st.st_mode) /* no link leads out */
                          ? (snprintf(path, sizeof path, "%s/%s/zoo.json", dir, names[i]),
                             fl_zoo_read(path, err, sizeof err))
                          : NULL;
        if (zoo) {
            snprintf(path, sizeof path, "zoo/%s/zoo.html", names[i]);
            json_object_set_new(zoo, "href", json_string(path));
            json_object_set_new(zoo, "stamp", json_string(names[i]));
            json_array_append_new(pages, zoo);
        }
        free(names[i]);
    }
    free(names);
    return pages;
}
