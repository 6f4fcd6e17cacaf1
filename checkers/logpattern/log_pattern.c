/* The log-pattern checker (see log_pattern.h): the walk over RUN_DIR/nodes — node
 * directories, their files and the files one directory below, in name order and
 * without recursion — and the result. Each file is read by log_scan.c. */
#include "log_pattern.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log_scan.h"

typedef enum { ENTRY_FILE, ENTRY_DIR, ENTRY_OTHER } entry_kind;

static int not_dots(const struct dirent *d) {
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Byte order, not the locale's collation: the same run gives the same result anywhere. */
static int by_name(const struct dirent **a, const struct dirent **b) {
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void free_list(struct dirent **list, int n) {
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
}

/* rel + "/" + name into out (PATH_MAX); false (noted as skipped) when too long. */
static bool join(lp_scan *s, char *out, const char *rel, const char *name) {
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", rel, name) < PATH_MAX) return true;
    lp_note(s, s->skipped, &s->skipped_count, name, "reason", "path too long");
    return false;
}

/* What RUN_DIR/rel is, without following a symlink; ENTRY_OTHER with *why otherwise. */
static entry_kind kind_of(const lp_scan *s, const char *rel, const char **why) {
    char path[PATH_MAX];
    struct stat st;
    *why = "path too long";
    if ((size_t)snprintf(path, sizeof path, "%s/%s", s->run_dir, rel) >= sizeof path)
        return ENTRY_OTHER;
    if (lstat(path, &st) != 0) return *why = strerror(errno), ENTRY_OTHER;
    if (S_ISREG(st.st_mode)) return ENTRY_FILE;
    if (S_ISDIR(st.st_mode)) return ENTRY_DIR;
    *why = S_ISLNK(st.st_mode) ? "a symbolic link (not followed)" : "not a regular file";
    return ENTRY_OTHER;
}

/* The entries of RUN_DIR/rel in name order: their number, or -1 (errno set). */
static int list_dir(const lp_scan *s, const char *rel, struct dirent ***list) {
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", s->run_dir, rel) >= sizeof path)
        return errno = ENAMETOOLONG, -1;
    return scandir(path, list, not_dots, by_name);
}

/* nodes/<node> (depth 0): its files and the files of its directories;
 * nodes/<node>/<dir> (depth 1): its files. Anything deeper is skipped. */
static void walk(lp_scan *s, const char *node, const char *rel, int depth) {
    struct dirent **list;
    int n = list_dir(s, rel, &list);
    if (n < 0) {
        lp_note(s, s->unreadable, &s->unreadable_count, rel, "error", strerror(errno));
        return;
    }
    char child[PATH_MAX];
    for (int i = 0; i < n; i++) {
        if (!join(s, child, rel, list[i]->d_name)) continue;
        const char *why;
        entry_kind k = kind_of(s, child, &why);
        if (k == ENTRY_FILE) lp_scan_file(s, node, child);
        else if (k == ENTRY_DIR && depth == 0) walk(s, node, child, 1);
        else lp_note(s, s->skipped, &s->skipped_count, child, "reason",
                     k == ENTRY_DIR ? "a directory deeper than nodes/<node>/<dir>/" : why);
    }
    free_list(list, n);
}

/* Every node directory; 0, or 1 with reason when there is no nodes directory. */
static int walk_nodes(lp_scan *s, char *reason, size_t reason_bytes) {
    struct dirent **list;
    int n = list_dir(s, "nodes", &list);
    if (n < 0) {
        snprintf(reason, reason_bytes, "no node logs: %s/nodes: %s", s->run_dir,
                 strerror(errno));
        return 1;
    }
    char rel[PATH_MAX];
    for (int i = 0; i < n; i++) {
        if (!join(s, rel, "nodes", list[i]->d_name)) continue;
        const char *why;
        entry_kind k = kind_of(s, rel, &why);
        if (k == ENTRY_DIR) walk(s, list[i]->d_name, rel, 0);
        else lp_note(s, s->skipped, &s->skipped_count, rel, "reason",
                     k == ENTRY_FILE ? "not in a node directory (nodes/<node>/)" : why);
    }
    free_list(list, n);
    return 0;
}

/* The reason there is no verdict, or NULL (then valid is true or false). */
static json_t *unknown_reason(const lp_scan *s, int no_nodes, const char *nodes_reason) {
    char text[PATH_MAX + 256];
    if (s->match_count) return NULL;
    if (no_nodes) return lp_name_json(nodes_reason);
    if (!s->files_scanned && !s->unreadable_count) {
        snprintf(text, sizeof text, "no log files under %s/nodes", s->run_dir);
    } else if (s->unreadable_count) {
        snprintf(text, sizeof text, "%llu log file%s or director%s could not be read "
                 "(unreadable)", (unsigned long long)s->unreadable_count,
                 s->unreadable_count == 1 ? "" : "s", s->unreadable_count == 1 ? "y" : "ies");
    } else if (s->match_error_count) {
        snprintf(text, sizeof text, "pcre2 could not finish matching %llu line%s "
                 "(match_error shows the first)", (unsigned long long)s->match_error_count,
                 s->match_error_count == 1 ? "" : "s");
    } else {
        return NULL;
    }
    return lp_name_json(text);
}

static json_t *result(lp_scan *s, int no_nodes, const char *nodes_reason) {
    json_t *r = json_object(), *names = json_array(), *by_pattern = json_object();
    for (size_t i = 0; i < s->patterns.count; i++) {
        const lp_pattern *p = &s->patterns.list[i];
        json_array_append_new(names, json_string(p->name));
        json_object_set_new(by_pattern, p->name, json_integer((json_int_t)p->matches));
    }
    json_t *reason = unknown_reason(s, no_nodes, nodes_reason);
    json_object_set_new(r, "valid", s->match_count ? json_false()
                                    : reason       ? json_string("unknown") : json_true());
    if (reason) json_object_set_new(r, "reason", reason);
    json_object_set_new(r, "patterns", names);
    json_object_set_new(r, "max_file_bytes", json_integer((json_int_t)s->max_file_bytes));
    json_object_set_new(r, "files_scanned", json_integer((json_int_t)s->files_scanned));
    json_object_set_new(r, "bytes_scanned", json_integer((json_int_t)s->bytes_scanned));
    json_object_set(r, "matches", s->matches);
    json_object_set_new(r, "match_count", json_integer((json_int_t)s->match_count));
    json_object_set_new(r, "by_pattern", by_pattern);
    json_object_set(r, "truncated_files", s->truncated);
    json_object_set(r, "skipped", s->skipped);
    json_object_set_new(r, "skipped_count", json_integer((json_int_t)s->skipped_count));
    json_object_set(r, "unreadable", s->unreadable);
    json_object_set_new(r, "unreadable_count", json_integer((json_int_t)s->unreadable_count));
    json_object_set_new(r, "match_error_count",
                        json_integer((json_int_t)s->match_error_count));
    if (s->match_error) json_object_set(r, "match_error", s->match_error);
    return r;
}

static int take_options(lp_scan *s, const fl_log_pattern_options *o, char *err,
                        size_t err_bytes) {
    s->max_file_bytes = o && o->max_file_bytes ? o->max_file_bytes
                                               : FL_LOG_PATTERN_MAX_FILE_BYTES_DEFAULT;
    if (s->max_file_bytes > (uint64_t)INT64_MAX) {
        snprintf(err, err_bytes, "log-pattern max file bytes %llu is too large",
                 (unsigned long long)s->max_file_bytes);
        return -1;
    }
    return lp_patterns_build(&s->patterns, o, err, err_bytes);
}

int fl_log_patterns_validate(const fl_log_pattern_options *o, char *err, size_t err_bytes) {
    lp_scan s;
    memset(&s, 0, sizeof s);
    if (take_options(&s, o, err, err_bytes) != 0) return -1;
    lp_patterns_free(&s.patterns);
    return 0;
}

json_t *fl_check_log_patterns(const char *run_dir, const fl_log_pattern_options *o,
                              char *err, size_t err_bytes) {
    lp_scan s;
    memset(&s, 0, sizeof s);
    s.run_dir = run_dir;
    struct stat st;
    const char *why = stat(run_dir, &st) != 0 ? strerror(errno)
                      : !S_ISDIR(st.st_mode)  ? "not a directory" : NULL;
    if (why) {
        snprintf(err, err_bytes, "run directory %s: %s", run_dir, why);
        return NULL;
    }
    if (take_options(&s, o, err, err_bytes) != 0) return NULL;
    s.matches = json_array();
    s.truncated = json_array();
    s.skipped = json_array();
    s.unreadable = json_array();
    json_t *r = NULL;
    char nodes_reason[PATH_MAX + 128] = "";
    if (s.matches && s.truncated && s.skipped && s.unreadable) {
        int no_nodes = walk_nodes(&s, nodes_reason, sizeof nodes_reason);
        if (!s.out_of_memory) r = result(&s, no_nodes, nodes_reason);
    }
    if (!r) snprintf(err, err_bytes, "out of memory in the log-pattern checker");
    json_decref(s.matches);
    json_decref(s.truncated);
    json_decref(s.skipped);
    json_decref(s.unreadable);
    json_decref(s.match_error);
    lp_patterns_free(&s.patterns);
    return r;
}
