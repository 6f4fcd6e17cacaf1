/* Reading and checking a target file (see target_file.h; the format is in DESIGN.md
 * "Target files"). Every error names the file, the line of the field (jansson keeps no
 * positions for values: json_line.c finds the member's line in the text) and what to
 * write instead; unknown fields and unknown placeholders are errors, never ignored. */
#include "target_file.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "exit_codes.h"
#include "file_adapter.h"
#include "file_text.h"
#include "json_line.h"
#include "libexec.h"
#include "workload.h"

/* Every file loaded, the latest first: a suite's tests each hold theirs until they run. */
static fl_target_file *loaded;

const fl_target_file *fl_target_file_current(void) {
    return loaded;
}

const fl_target_file *fl_target_file_of(const fl_target *t) {
    for (const fl_target_file *tf = loaded; tf; tf = tf->next)
        if (&tf->target == t) return tf;
    return NULL;
}

const fl_target_file *fl_target_file_named(const char *name) {
    for (const fl_target_file *tf = loaded; tf; tf = tf->next)
        if (!strcmp(tf->name, name)) return tf;
    return NULL;
}

/* The placeholders each kind of template may hold. */
static const char *const node_names[] = {"node", "host", "index", "port", "peers", "hosts",
                                         "first_host", "workdir", "dir", "data", "log",
                                         "pidfile", "bug_flags", NULL};

char *fl_tf_expand(const char *template, const char *const *names, const char *const *values,
                   char *err, size_t bytes) {
    size_t cap = strlen(template) + 1, used = 0;
    for (size_t i = 0; names[i]; i++) cap += strlen(values[i]) * 4; /* generous */
    char *out = malloc(cap);
    if (!out) return snprintf(err, bytes, "out of memory"), NULL;
    for (const char *p = template; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            out[used++] = *p;
            p += 2;
            continue;
        }
        /* A placeholder is {name} (lower-case letters, digits, _): any other brace, the
         * shell's ${VAR} and { cmd; } among them, is text. */
        size_t word = p[0] == '{' ? strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") : 0;
        if (p[0] != '{' || (p > template && p[-1] == '$') || !word || p[1 + word] != '}') {
            out[used++] = *p++;
            continue;
        }
        const char *close = p + 1 + word;
        size_t len = close ? (size_t)(close - p - 1) : 0;
        size_t i = 0;
        while (close && names[i] && !(strlen(names[i]) == len && !strncmp(names[i], p + 1, len)))
            i++;
        if (!close || !names[i]) {
            snprintf(err, bytes, "unknown placeholder %.*s (known here: ",
                     close ? (int)(close - p + 1) : (int)strlen(p), p);
            for (size_t k = 0; names[k]; k++) {
                size_t at = strlen(err);
                snprintf(err + at, bytes - at, "%s{%s}", k ? ", " : "", names[k]);
            }
            size_t at = strlen(err);
            snprintf(err + at, bytes - at, "; a literal brace is {{ or }})");
            free(out);
            return NULL;
        }
        size_t vlen = strlen(values[i]);
        if (used + vlen + strlen(close + 1) + 1 > cap) {
            char *grown = realloc(out, cap = (used + vlen + strlen(close + 1) + 1) * 2);
            if (!grown) return free(out), snprintf(err, bytes, "out of memory"), NULL;
            out = grown;
        }
        memcpy(out + used, values[i], vlen);
        used += vlen;
        p = close + 1;
    }
    out[used] = '\0';
    return out;
}

typedef struct loader {
    const char *path;
    const char *text;
    json_t *root;
    char *err;
    size_t bytes;
} loader;

/* "FILE:LINE: field F: …" with the line of the top-level member (0: the file alone). */
static int bad(loader *l, const char *field, const char *fmt, ...) {
    int line = field ? fl_json_line_of(l->text, field, -1) : 0;
    int n = line > 0 ? snprintf(l->err, l->bytes, "%s:%d: ", l->path, line)
                     : snprintf(l->err, l->bytes, "%s: ", l->path);
    if (field && n >= 0 && (size_t)n < l->bytes)
        n += snprintf(l->err + n, l->bytes - (size_t)n, "field \"%s\": ", field);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < l->bytes) vsnprintf(l->err + n, l->bytes - (size_t)n, fmt, ap);
    va_end(ap);
    return FL_EXIT_DATAERR;
}

static const char *const known_fields[] = {
    "name", "summary", "port", "install", "start", "writes_pidfile", "ready", "ready_timeout",
    "logs", "primaries", "clock_shim", "ops", "workloads", "client", "bugs", "defaults", NULL};

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

/* A string member, or NULL when absent; a member of another type is an error. */
static int get_string(loader *l, json_t *obj, const char *key, const char *field, char **out,
                      bool required) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v) return required ? bad(l, field, "missing (a string)") : 0;
    if (!json_is_string(v) || !json_string_length(v))
        return bad(l, field, "%s must be a non-empty string", key);
    *out = strdup(json_string_value(v));
    return 0;
}

/* Every placeholder in template is one of names (checked with stand-in values). */
static int check_template(loader *l, const char *field, const char *template,
                          const char *const *names) {
    const char *stand_in[32];
    for (size_t i = 0; names[i]; i++) stand_in[i] = "x";
    char why[512];
    char *expanded = fl_tf_expand(template, names, stand_in, why, sizeof why);
    if (!expanded) return bad(l, field, "%s", why);
    free(expanded);
    return 0;
}

static int string_list(loader *l, json_t *v, const char *field, const char **out, size_t max,
                       bool required) {
    if (!v) return required ? bad(l, field, "missing (a list of strings)") : 0;
    if (!json_is_array(v) || json_array_size(v) > max)
        return bad(l, field, "a list of at most %zu strings", max);
    if (required && json_array_size(v) == 0) return bad(l, field, "must not be empty");
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s) || !json_string_length(s))
            return bad(l, field, "element %zu is not a non-empty string", i);
        out[i] = strdup(json_string_value(s));
    }
    return 0;
}

static int load_install(loader *l, fl_target_file *tf, const char *libexec_dir) {
    json_t *in = json_object_get(l->root, "install");
    if (!in) return 0;
    if (!json_is_object(in)) return bad(l, "install", "an object: {\"upload\": [...], \"command\": \"...\"}");
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v) if (strcmp(key, "upload") && strcmp(key, "command"))
        return bad(l, "install", "unknown key \"%s\" (known: upload, command)", key);
    if (get_string(l, in, "command", "install", &tf->install, false)) return FL_EXIT_DATAERR;
    if (tf->install && check_template(l, "install", tf->install, node_names)) return FL_EXIT_DATAERR;
    json_t *ups = json_object_get(in, "upload");
    if (!ups) return 0;
    if (!json_is_array(ups) || json_array_size(ups) > FL_TF_LIST_MAX)
        return bad(l, "install", "upload: a list of at most %d {\"from\", \"to\"}", FL_TF_LIST_MAX);
    const char *names[] = {"file_dir", "libexec", NULL};
    const char *values[] = {tf->file_dir, libexec_dir, NULL};
    for (size_t i = 0; i < json_array_size(ups); i++) {
        json_t *u = json_array_get(ups, i);
        const char *from = json_string_value(json_object_get(u, "from"));
        const char *to = json_string_value(json_object_get(u, "to"));
        if (!json_is_object(u) || !from || !to || json_object_size(u) != 2)
            return bad(l, "install", "upload[%zu]: {\"from\": a file here, \"to\": a path on "
                       "the node}", i);
        char why[512];
        char *local = fl_tf_expand(from, names, values, why, sizeof why);
        if (!local) return bad(l, "install", "upload[%zu].from: %s", i, why);
        /* A relative path is the target file's folder's. */
        char *abs = NULL;
        if (local[0] != '/' && asprintf(&abs, "%s/%s", tf->file_dir, local) > 0) {
            free(local);
            local = abs;
        }
        tf->uploads[tf->upload_count++] = (fl_tf_upload){local, strdup(to)};
        if (access(local, R_OK) != 0)
            return bad(l, "install", "upload[%zu].from: %s: %s", i, local, strerror(errno));
        if (check_template(l, "install", to, node_names)) return FL_EXIT_DATAERR;
    }
    return 0;
}

static int load_ready(loader *l, fl_target_file *tf) {
    json_t *r = json_object_get(l->root, "ready");
    if (!r) return bad(l, NULL, "field \"ready\" is missing: one of {\"tcp\": PORT}, "
                       "{\"command\": \"…\"}, {\"client\": true}");
    if (!json_is_object(r) || json_object_size(r) != 1)
        return bad(l, "ready", "exactly one of {\"tcp\": PORT}, {\"command\": \"…\"}, "
                   "{\"client\": true}");
    json_t *v;
    if ((v = json_object_get(r, "tcp"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
            return bad(l, "ready", "tcp: a port from 1 to 65535");
        tf->ready_tcp = (int)json_integer_value(v);
    } else if ((v = json_object_get(r, "command"))) {
        if (!json_is_string(v) || !json_string_length(v)) return bad(l, "ready", "command: a string");
        tf->ready_command = strdup(json_string_value(v));
        if (check_template(l, "ready", tf->ready_command, node_names)) return FL_EXIT_DATAERR;
    } else if ((v = json_object_get(r, "client"))) {
        if (!json_is_true(v)) return bad(l, "ready", "client: true (the client answers a ping)");
        tf->ready_client = true;
    } else {
        return bad(l, "ready", "unknown check (known: tcp, command, client)");
    }
    json_t *t = json_object_get(l->root, "ready_timeout");
    tf->ready_timeout_ms = 30000;
    if (t) {
        if (!json_is_number(t) || json_number_value(t) <= 0 || json_number_value(t) > 3600)
            return bad(l, "ready_timeout", "seconds, more than 0 and at most 3600");
        tf->ready_timeout_ms = (int)(json_number_value(t) * 1000);
        if (tf->ready_timeout_ms < 1) tf->ready_timeout_ms = 1; /* 0.0001 s: still a wait */
    }
    return 0;
}

static int load_client(loader *l, fl_target_file *tf, const char *libexec_dir) {
    json_t *c = json_object_get(l->root, "client");
    if (!c) return bad(l, NULL, "field \"client\" is missing: {\"command\": [\"program\", \"arg\", …]}");
    json_t *argv = json_object_get(c, "command");
    if (!json_is_object(c) || json_object_size(c) != 1 || !json_is_array(argv) ||
        json_array_size(argv) == 0 || json_array_size(argv) > FL_TF_LIST_MAX)
        return bad(l, "client", "{\"command\": [\"program\", \"arg\", …]} (at most %d words; run "
                   "on the controller, one process per worker)", FL_TF_LIST_MAX);
    const char *names[] = {"file_dir", "libexec", NULL};
    const char *values[] = {tf->file_dir, libexec_dir, NULL};
    for (size_t i = 0; i < json_array_size(argv); i++) {
        const char *word = json_string_value(json_array_get(argv, i));
        if (!word || !word[0]) return bad(l, "client", "command[%zu]: a non-empty string", i);
        char why[512];
        tf->client_argv[i] = fl_tf_expand(word, names, values, why, sizeof why);
        if (!tf->client_argv[i]) return bad(l, "client", "command[%zu]: %s", i, why);
    }
    return 0;
}

static int load_bugs(loader *l, fl_target_file *tf) {
    json_t *bugs = json_object_get(l->root, "bugs");
    if (!bugs) return 0;
    if (!json_is_object(bugs) || json_object_size(bugs) > FL_TF_LIST_MAX)
        return bad(l, "bugs", "an object: {\"NAME\": {\"help\": \"…\", \"flags\": \"…\"}} "
                   "(at most %d)", FL_TF_LIST_MAX);
    const char *name;
    json_t *b;
    size_t n = 0;
    json_object_foreach(bugs, name, b) {
        const char *help = json_string_value(json_object_get(b, "help"));
        const char *flags = json_string_value(json_object_get(b, "flags"));
        /* Optional, as a built-in bug's: a fault a local cluster cannot apply, as words
         * and as a --nemesis spec the zoo runs it with on machines, and for how long. */
        const json_t *needs = json_object_get(b, "needs"), *spec = json_object_get(b, "needs_nemesis"),
                     *seconds = json_object_get(b, "needs_seconds");
        size_t fields = 2 + (needs != NULL) + (spec != NULL) + (seconds != NULL);
        if (!json_is_object(b) || !help || !flags || json_object_size(b) != fields)
            return bad(l, "bugs", "%s: {\"help\": what it breaks, \"flags\": what {bug_flags} "
                       "becomes; optional \"needs\", \"needs_nemesis\", \"needs_seconds\"}", name);
        if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-+") != strlen(name))
            return bad(l, "bugs", "%s: a name of lower-case letters, digits, - and +", name);
        if (needs && (!json_is_string(needs) || !json_string_length(needs)))
            return bad(l, "bugs", "%s: needs: words saying the fault it needs", name);
        if (spec && (!json_is_string(spec) || !json_string_length(spec) || !needs))
            return bad(l, "bugs", "%s: needs_nemesis: that fault as a --nemesis spec, with "
                       "\"needs\" saying it in words", name);
        if (seconds && (!json_is_number(seconds) || json_number_value(seconds) <= 0 ||
                        json_number_value(seconds) > 86400 || !spec))
            return bad(l, "bugs", "%s: needs_seconds: how long a run with needs_nemesis lasts "
                       "at least, in seconds (up to 86400)", name);
        tf->bugs[n] = (fl_target_bug){strdup(name), strdup(help),
                                      needs ? strdup(json_string_value(needs)) : NULL,
                                      spec ? strdup(json_string_value(spec)) : NULL,
                                      seconds ? json_number_value(seconds) : 0};
        tf->bug_flags[n++] = strdup(flags);
    }
    return 0;
}

static int load_defaults(loader *l, fl_target_file *tf) {
    json_t *d = json_object_get(l->root, "defaults");
    if (!d) return 0;
    if (!json_is_object(d)) return bad(l, "defaults", "an object");
    static const char *const keys[] = {"workload", "nemesis", "nemesis_interval", "at_once",
                                       "concurrency", "op_timeout", "why", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(d, key, v) {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], key)) k++;
        if (!keys[k])
            return bad(l, "defaults", "unknown key \"%s\" (known: workload, nemesis, "
                       "nemesis_interval, at_once, concurrency, op_timeout, why)", key);
        bool text = k == 0 || k == 1 || k == 6;
        if (text ? !json_is_string(v) : !json_is_number(v) || json_number_value(v) <= 0)
            return bad(l, "defaults", "%s: %s", key, text ? "a string" : "a number above 0");
    }
    fl_target_defaults *o = &tf->defaults;
    o->workload = dup_or_null(json_string_value(json_object_get(d, "workload")));
    o->nemesis = dup_or_null(json_string_value(json_object_get(d, "nemesis")));
    o->why = dup_or_null(json_string_value(json_object_get(d, "why")));
    o->nemesis_interval_s = json_number_value(json_object_get(d, "nemesis_interval"));
    o->at_once = (int)json_number_value(json_object_get(d, "at_once"));
    o->concurrency = (int)json_number_value(json_object_get(d, "concurrency"));
    o->op_timeout_s = json_number_value(json_object_get(d, "op_timeout"));
    tf->has_defaults = true;
    return 0;
}

/* The ops and workloads: every workload named must exist and find its ops here. */
static int load_ops(loader *l, fl_target_file *tf) {
    if (string_list(l, json_object_get(l->root, "ops"), "ops", tf->ops, FL_TF_LIST_MAX, true) ||
        string_list(l, json_object_get(l->root, "workloads"), "workloads", tf->workloads,
                    FL_TF_LIST_MAX, false))
        return FL_EXIT_DATAERR;
    for (size_t i = 0; tf->workloads[i]; i++) {
        const fl_workload_def *w = fl_workload_find(tf->workloads[i]);
        if (!w) return bad(l, "workloads", "%s is not a workload (`faultline test --help` lists "
                           "them)", tf->workloads[i]);
    }
    const char *w = tf->defaults.workload;
    if (w && !fl_workload_find(w))
        return bad(l, "defaults", "workload %s is not a workload", w);
    return 0;
}

static int load_fields(loader *l, fl_target_file *tf) {
    const char *key;
    json_t *v;
    json_object_foreach(l->root, key, v) {
        size_t k = 0;
        while (known_fields[k] && strcmp(known_fields[k], key)) k++;
        if (!known_fields[k]) {
            char known[512] = "";
            for (size_t i = 0; known_fields[i]; i++) {
                size_t at = strlen(known);
                snprintf(known + at, sizeof known - at, "%s%s", i ? ", " : "", known_fields[i]);
            }
            return bad(l, key, "not a field of a target file (known: %s)", known);
        }
    }
    if (get_string(l, l->root, "name", "name", &tf->name, true)) return FL_EXIT_DATAERR;
    if (strlen(tf->name) > 40 ||
        strspn(tf->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(tf->name) ||
        tf->name[0] == '-')
        return bad(l, "name", "%s: lower-case letters, digits and -, at most 40", tf->name);
    for (size_t i = 0; fl_targets[i]; i++)
        if (!strcmp(fl_targets[i]->name, tf->name))
            return bad(l, "name", "%s is a built-in target's name: choose another", tf->name);
    if (get_string(l, l->root, "summary", "summary", &tf->summary, false)) return FL_EXIT_DATAERR;
    json_t *port = json_object_get(l->root, "port");
    if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
        return bad(l, port ? "port" : NULL, "%s", port ? "a port from 1 to 65535"
                                                       : "field \"port\" is missing ({port})");
    tf->port = (int)json_integer_value(port);
    if (get_string(l, l->root, "start", "start", &tf->start, true) ||
        check_template(l, "start", tf->start, node_names))
        return FL_EXIT_DATAERR;
    json_t *wp = json_object_get(l->root, "writes_pidfile");
    if (wp && !json_is_boolean(wp)) return bad(l, "writes_pidfile", "true or false");
    tf->writes_pidfile = json_is_true(wp);
    json_t *shim = json_object_get(l->root, "clock_shim");
    if (shim && !json_is_boolean(shim)) return bad(l, "clock_shim", "true or false");
    tf->clock_shim = !shim || json_is_true(shim);
    if (get_string(l, l->root, "primaries", "primaries", &tf->primaries, false) ||
        (tf->primaries && check_template(l, "primaries", tf->primaries, node_names)))
        return FL_EXIT_DATAERR;
    const char *logs[FL_TF_LIST_MAX] = {0};
    int listed = string_list(l, json_object_get(l->root, "logs"), "logs", logs, FL_TF_LIST_MAX,
                             false);
    while (tf->log_count < FL_TF_LIST_MAX && logs[tf->log_count]) /* all owned by tf first */
        tf->logs[tf->log_count] = (char *)logs[tf->log_count], tf->log_count++;
    if (listed) return FL_EXIT_DATAERR;
    for (size_t i = 0; i < tf->log_count; i++)
        if (check_template(l, "logs", tf->logs[i], node_names)) return FL_EXIT_DATAERR;
    return 0;
}

static void tf_free(fl_target_file *tf) {
    if (!tf) return;
    free(tf->path);
    free(tf->file_dir);
    free(tf->name);
    free(tf->summary);
    for (size_t i = 0; i < tf->upload_count; i++) free(tf->uploads[i].from), free(tf->uploads[i].to);
    free(tf->install);
    free(tf->start);
    free(tf->ready_command);
    for (size_t i = 0; i < tf->log_count; i++) free(tf->logs[i]);
    free(tf->primaries);
    for (size_t i = 0; tf->ops[i]; i++) free((char *)tf->ops[i]);
    for (size_t i = 0; tf->workloads[i]; i++) free((char *)tf->workloads[i]);
    for (size_t i = 0; tf->client_argv[i]; i++) free(tf->client_argv[i]);
    for (size_t i = 0; tf->bugs[i].name; i++) {
        free((char *)tf->bugs[i].name);
        free((char *)tf->bugs[i].help);
        free((char *)tf->bugs[i].needs);
        free((char *)tf->bugs[i].needs_nemesis);
        free(tf->bug_flags[i]);
    }
    free((char *)tf->defaults.workload);
    free((char *)tf->defaults.nemesis);
    free((char *)tf->defaults.why);
    free(tf->pidfile_template);
    free(tf);
}

void fl_target_file_unload_all(void) {
    while (loaded) {
        fl_target_file *next = loaded->next;
        tf_free(loaded);
        loaded = next;
    }
}

int fl_target_file_load(const char *path, const fl_target **out, char *err, size_t bytes) {
    assert(path && out);
    *out = NULL;
    char *text = fl_file_text(path, NULL);
    if (!text) return snprintf(err, bytes, "%s: %s", path, strerror(errno)), FL_EXIT_HARNESS;
    int rc = fl_target_file_parse(path, text, out, err, bytes);
    free(text);
    return rc;
}

int fl_target_file_parse(const char *path, const char *text, const fl_target **out, char *err,
                         size_t bytes) {
    assert(path && text && out);
    *out = NULL;
    loader l = {.path = path, .text = text, .err = err, .bytes = bytes};
    json_error_t je;
    l.root = json_loads(l.text, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!l.root) {
        snprintf(err, bytes, "%s:%d: %s", path, je.line, je.text);
        rc = FL_EXIT_DATAERR;
    }
    else if (!json_is_object(l.root)) rc = bad(&l, NULL, "a target file is a JSON object");
    fl_target_file *tf = rc ? NULL : calloc(1, sizeof *tf);
    if (!rc && !tf) {
        snprintf(err, bytes, "out of memory");
        rc = FL_EXIT_HARNESS;
    }
    char libexec_dir[4096] = "";
    if (!rc) {
        tf->path = strdup(path);
        char *abs = realpath(path, NULL);
        char *slash = abs ? strrchr(abs, '/') : NULL;
        if (slash) *slash = '\0';
        tf->file_dir = abs ? abs : strdup(".");
        /* {libexec}: where the companion binaries are (fl-quorumkv for one). */
        char ignored[256];
        if (fl_libexec_dir(libexec_dir, sizeof libexec_dir, ignored, sizeof ignored) != 0)
            libexec_dir[0] = '\0';
        rc = load_fields(&l, tf);
    }
    if (!rc) rc = load_install(&l, tf, libexec_dir);
    if (!rc) rc = load_ready(&l, tf);
    if (!rc) rc = load_defaults(&l, tf);
    if (!rc) rc = load_ops(&l, tf);
    if (!rc) rc = load_client(&l, tf, libexec_dir);
    if (!rc) rc = load_bugs(&l, tf);
    json_decref(l.root);
    if (rc) {
        tf_free(tf);
        return rc;
    }
    if (asprintf(&tf->pidfile_template, "{workdir}/%s/%s.pid", tf->name, tf->name) < 0) {
        tf_free(tf);
        return snprintf(err, bytes, "out of memory"), FL_EXIT_HARNESS;
    }
    fl_file_adapter_fill(tf);
    tf->next = loaded;
    loaded = tf;
    *out = &tf->target;
    return 0;
}

void fl_target_file_describe(const fl_target_file *tf, FILE *out) {
    fprintf(out, "%s (from %s)%s%s\n", tf->name, tf->path, tf->summary ? ": " : "",
            tf->summary ? tf->summary : "");
    fprintf(out, "  on every node, in <workdir>/%s/ (data/, %s.log, %s.pid):\n", tf->name,
            tf->name, tf->name);
    for (size_t i = 0; i < tf->upload_count; i++)
        fprintf(out, "    upload %s -> %s\n", tf->uploads[i].from, tf->uploads[i].to);
    if (tf->install) fprintf(out, "    install (once): %s\n", tf->install);
    fprintf(out, "    start: %s%s\n", tf->start,
            tf->writes_pidfile ? " (it writes {pidfile})" : " (it must not fork: its pid is recorded)");
    fprintf(out, "    %s clock shim\n", tf->clock_shim ? "under the" : "never under the");
    if (tf->ready_command) fprintf(out, "    ready when: %s exits 0\n", tf->ready_command);
    else if (tf->ready_tcp) fprintf(out, "    ready when: port %d accepts\n", tf->ready_tcp);
    else fprintf(out, "    ready when: the client answers a ping\n");
    fprintf(out, "    within %.0f s; logs: %s.log", tf->ready_timeout_ms / 1000.0, tf->name);
    for (size_t i = 0; i < tf->log_count; i++) fprintf(out, ", %s", tf->logs[i]);
    fprintf(out, "\n    primaries: %s\n", tf->primaries ? tf->primaries : "(cannot say)");
    fprintf(out, "  ops:");
    for (size_t i = 0; tf->ops[i]; i++) fprintf(out, " %s", tf->ops[i]);
    fprintf(out, "; workloads:");
    if (!tf->workloads[0]) fprintf(out, " any that needs only these ops");
    for (size_t i = 0; tf->workloads[i]; i++) fprintf(out, " %s", tf->workloads[i]);
    fprintf(out, "\n  client (on the controller, one process per worker):");
    for (size_t i = 0; tf->client_argv[i]; i++) fprintf(out, " %s", tf->client_argv[i]);
    fputc('\n', out);
    for (size_t i = 0; tf->bugs[i].name; i++) {
        const fl_target_bug *b = &tf->bugs[i];
        fprintf(out, "  bug %s: %s ({bug_flags} = %s)\n", b->name, b->help, tf->bug_flags[i]);
        if (b->needs) fprintf(out, "    needs: %s\n", b->needs);
        if (b->needs_nemesis)
            fprintf(out, "    on machines the zoo runs it with --nemesis %s", b->needs_nemesis);
        if (b->needs_nemesis && b->needs_seconds > 0)
            fprintf(out, " for %.0f s at least", b->needs_seconds);
        if (b->needs_nemesis) fputc('\n', out);
    }
    if (tf->has_defaults)
        fprintf(out, "  defaults: workload %s, nemesis %s\n",
                tf->defaults.workload ? tf->defaults.workload : "-",
                tf->defaults.nemesis ? tf->defaults.nemesis : "-");
}
