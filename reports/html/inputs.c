/* Reading test.json, results.json and the node log listing for the report. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape.h"

#define LOG_FILES_MAX 1000

int rp_read_json_file(const char *path, json_t **out, char *err, size_t bytes) {
    *out = NULL;
    FILE *in = fopen(path, "rb");
    if (!in) {
        if (errno == ENOENT) return 0;
        snprintf(err, bytes, "%s: %s", path, strerror(errno));
        return -2;
    }
    struct stat st;
    char *text = NULL, *clean = NULL;
    size_t len = 0;
    int rc = -2;
    if (fstat(fileno(in), &st) == 0 && (text = malloc((size_t)st.st_size + 1)))
        len = fread(text, 1, (size_t)st.st_size, in);
    if (!text || ferror(in)) {
        snprintf(err, bytes, "%s: %s", path, text ? "read error" : "out of memory");
        goto done;
    }
    const char *parse = text;
    if (!fl_utf8_valid(text, len)) {
        if (!(clean = malloc(3 * len + 1))) {
            snprintf(err, bytes, "%s: out of memory", path);
            goto done;
        }
        len = fl_utf8_sanitize(text, len, clean);
        parse = clean;
    }
    json_error_t jerr;
    *out = json_loadb(parse, len, JSON_ALLOW_NUL, &jerr);
    rc = *out ? 0 : -1;
    if (!*out) snprintf(err, bytes, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
done:
    free(text);
    free(clean);
    fclose(in);
    return rc;
}

typedef struct log_file {
    char *node, *file;
    long long bytes;
} log_file;

static int by_node_then_file(const void *a, const void *b) {
    const log_file *x = a, *y = b;
    int c = strcmp(x->node, y->node);
    return c ? c : strcmp(x->file, y->file);
}

static size_t list_node(const char *dir, const char *node, log_file *files, size_t count) {
    DIR *d = opendir(dir);
    if (!d) return count;
    struct dirent *e;
    while (count < LOG_FILES_MAX && (e = readdir(d))) {
        char path[8192 + 512];
        struct stat st;
        snprintf(path, sizeof path, "%.8000s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        files[count] = (log_file){strdup(node), strdup(e->d_name), (long long)st.st_size};
        if (!files[count].node || !files[count].file) {
            free(files[count].node);
            free(files[count].file);
            continue;
        }
        count++;
    }
    closedir(d);
    return count;
}

json_t *rp_node_logs(const char *run_dir) {
    json_t *list = json_array();
    char nodes_dir[4200];
    snprintf(nodes_dir, sizeof nodes_dir, "%s/nodes", run_dir);
    DIR *d = opendir(nodes_dir);
    log_file *files = d ? malloc(LOG_FILES_MAX * sizeof *files) : NULL;
    size_t count = 0;
    struct dirent *e;
    while (files && count < LOG_FILES_MAX && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char dir[8192];
        snprintf(dir, sizeof dir, "%.4200s/%.256s", nodes_dir, e->d_name);
        count = list_node(dir, e->d_name, files, count);
    }
    if (d) closedir(d);
    if (count) qsort(files, count, sizeof *files, by_node_then_file);
    for (size_t i = 0; i < count; i++) {
        json_t *node = fl_json_string_lossy(files[i].node, strlen(files[i].node));
        json_t *file = fl_json_string_lossy(files[i].file, strlen(files[i].file));
        if (node && file)
            json_array_append_new(list, json_pack("{s:o,s:o,s:I}", "node", node, "file", file,
                                                  "bytes", (json_int_t)files[i].bytes));
        free(files[i].node);
        free(files[i].file);
    }
    free(files);
    return list;
}

const char *rp_verdict_word(const json_t *results) {
    const json_t *valid = json_object_get(results, "valid");
    return json_is_true(valid) ? "valid" : json_is_false(valid) ? "anomaly" : "unknown";
}

static void replace_by_length(json_t *o, const char *name) {
    const json_t *list = json_object_get(o, name);
    if (!json_is_array(list)) return;
    char count_name[64];
    snprintf(count_name, sizeof count_name, "%s_length", name);
    json_object_set_new(o, count_name, json_integer((json_int_t)json_array_size(list)));
    json_object_del(o, name);
}

void rp_trim_results(json_t *results) {
    const char *name, *key;
    json_t *checker, *r;
    json_object_foreach(json_object_get(results, "checkers"), name, checker) {
        json_object_foreach(json_object_get(checker, "keys"), key, r) {
            if (!json_is_object(r)) continue;
            replace_by_length(r, "linearization");
            replace_by_length(r, "info_took_effect");
        }
    }
}
